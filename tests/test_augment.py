"""The augmentation moves landmarks with the image."""

import math

import numpy as np
import torch

from foot_landmarks.augment import (
    elastic_displacements,
    elastic_points,
    random_elastic,
    random_rotate,
    rotation_scale_matrices,
    transform_points,
    warp_batch,
    warp_elastic,
)


def _dot_image(h, w, x, y, sigma=1.5):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)).astype(np.float32)


def _peak_centroid(img: np.ndarray) -> np.ndarray:
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    w = np.where(img > 0.2 * img.max(), img, 0)
    return np.array([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])


def _window_centroid(img: np.ndarray, x: float, y: float, half: int = 5) -> np.ndarray:
    """(x, y) centroid of `img` in the (2 half + 1)^2 window around pixel (x, y)."""
    win = img[int(y) - half : int(y) + half + 1, int(x) - half : int(x) + half + 1]
    yy, xx = np.mgrid[int(y) - half : int(y) + half + 1, int(x) - half : int(x) + half + 1]
    return np.array([(win * xx).sum(), (win * yy).sum()]) / win.sum()


def test_rotating_a_known_point_moves_the_dot_to_the_rotated_point():
    h, w = 64, 48
    point = np.array([10.3, 15.7])
    image = torch.from_numpy(_dot_image(h, w, *point))[None, None]
    m = torch.tensor(
        [[math.cos(0.3), -math.sin(0.3), 0.0], [math.sin(0.3), math.cos(0.3), 0.0], [0.0, 0.0, 1.0]]
    )
    c = torch.tensor([[1, 0, (w - 1) / 2], [0, 1, (h - 1) / 2], [0, 0, 1.0]])
    m = (c @ m @ torch.linalg.inv(c))[None]
    warped = warp_batch(image, m)[0, 0].numpy()
    moved = transform_points(torch.tensor(point, dtype=torch.float32)[None, None], m)[0, 0].numpy()
    # expected by hand: rotate (10.3, 15.7) by 0.3 rad about (23.5, 31.5)
    dx, dy = point - [23.5, 31.5]
    expected = [23.5 + dx * math.cos(0.3) - dy * math.sin(0.3), 31.5 + dx * math.sin(0.3) + dy * math.cos(0.3)]
    np.testing.assert_allclose(moved, expected, atol=1e-4)
    np.testing.assert_allclose(_peak_centroid(warped), moved, atol=0.05)


def test_random_rotation_keeps_points_on_their_dots_and_stays_within_limit():
    h, w = 80, 40
    points = torch.tensor([[[12.0, 20.0], [30.5, 60.25]]] * 6)
    images = torch.stack([torch.from_numpy(_dot_image(h, w, 12.0, 20.0) + _dot_image(h, w, 30.5, 60.25))[None]] * 6)
    g = torch.Generator().manual_seed(3)
    warped, moved = random_rotate(images, points, max_degrees=3.0, generator=g)
    for img, pts in zip(warped[:, 0].numpy(), moved.numpy()):
        for x, y in pts:
            assert np.hypot(*(_window_centroid(img, x, y) - [x, y])) < 0.1
    m = rotation_scale_matrices(500, h, w, 3.0, generator=torch.Generator().manual_seed(0))
    angles = torch.rad2deg(torch.atan2(m[:, 1, 0], m[:, 0, 0]))
    assert angles.abs().max() <= 3.0 and angles.abs().max() > 2.5


def test_random_shift_moves_points_with_their_dots_by_up_to_the_limit():
    h, w = 80, 40
    points = torch.tensor([[[12.0, 20.0], [30.5, 60.25]]] * 6)
    images = torch.stack([torch.from_numpy(_dot_image(h, w, 12.0, 20.0) + _dot_image(h, w, 30.5, 60.25))[None]] * 6)
    warped, moved = random_rotate(images, points, 0.0, generator=torch.Generator().manual_seed(5), max_shift=0.1)
    for img, pts in zip(warped[:, 0].numpy(), moved.numpy()):
        for x, y in pts:
            assert np.hypot(*(_window_centroid(img, x, y) - [x, y])) < 0.1
    # pure shifts, each within 10 % of the width (x) and the height (y), and not all alike
    m = rotation_scale_matrices(500, h, w, 0.0, generator=torch.Generator().manual_seed(0), max_shift=0.1)
    assert torch.allclose(m[:, :2, :2], torch.eye(2).expand(500, 2, 2))
    assert m[:, 0, 2].abs().max() <= 0.1 * w and m[:, 0, 2].abs().max() > 0.09 * w
    assert m[:, 1, 2].abs().max() <= 0.1 * h and m[:, 1, 2].abs().max() > 0.09 * h
    # the same seed draws the same rotations with or without shifts
    a = rotation_scale_matrices(20, h, w, 3.0, generator=torch.Generator().manual_seed(1))
    b = rotation_scale_matrices(20, h, w, 3.0, generator=torch.Generator().manual_seed(1), max_shift=0.1)
    assert torch.allclose(a[:, :2, :2], b[:, :2, :2])


def test_marks_touching_the_print_start_at_a_toe_tip_or_the_heel_and_leave_other_images_alone():
    from foot_landmarks.augment import touching_marks

    h, w = 256, 128
    # an upright right foot's points (input px): toes 1-5, forefoot sides, heel
    points = torch.tensor([[40, 30], [55, 26], [68, 30], [80, 36], [90, 45], [30, 80], [100, 90], [64, 240]],
                          dtype=torch.float32).repeat(24, 1, 1)
    blank = torch.zeros(24, 1, h, w)
    assert torch.equal(touching_marks(blank, points, 0.0), blank)
    marked = touching_marks(blank, points, 1.0, torch.Generator().manual_seed(1))
    assert torch.equal(blank, torch.zeros_like(blank))  # the input is not drawn on
    anchors = points[0, [0, 1, 2, 3, 4, 7]]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    for image in marked[:, 0]:
        ink = torch.nonzero(image > 0.2).flip(-1).float()  # (x, y) of the mark
        assert len(ink) > 0
        # it touches the print where a point is: some mark pixel within 1.5 px of a toe tip or the heel
        assert torch.cdist(anchors, ink).min() <= 1.5
    half = touching_marks(blank, points, 0.5, torch.Generator().manual_seed(2))
    changed = (half.flatten(1) > 0).any(dim=1)
    assert 0 < int(changed.sum()) < 24


def test_erased_bars_blacken_a_bar_at_a_toe_tip_and_darken_nothing_else():
    from foot_landmarks.augment import erased_bars

    h, w = 256, 128
    points = torch.tensor([[40, 30], [55, 26], [68, 30], [80, 36], [90, 45], [30, 80], [100, 90], [64, 240]],
                          dtype=torch.float32).repeat(24, 1, 1)
    inked = torch.full((24, 1, h, w), 0.8)  # print everywhere: what a bar takes away shows
    assert torch.equal(erased_bars(inked, points, 0.0), inked)
    erased = erased_bars(inked, points, 1.0, torch.Generator().manual_seed(1))
    assert torch.equal(inked, torch.full_like(inked, 0.8))  # the input is not drawn on
    assert (erased <= inked + 1e-6).all()  # a painted-out bar only darkens
    tips = points[0, :5]
    lateral = 0
    for image in erased[:, 0]:
        black = torch.nonzero(image < 0.05).flip(-1).float()  # (x, y) of the bar's core
        assert len(black) > 0
        # the bar is over or beside a toe: within a bar's thickness of a toe tip, never at the heel
        assert torch.cdist(tips, black).min() <= 0.03 * h + 1
        assert torch.cdist(points[0, 7:], black).min() > 0.2 * h
        # it reaches in from the lateral side (right-foot configuration: x grows laterally), where
        # the ruler bars of real sheets are: mainly lateral of the toe tip nearest to it
        nearest = tips[torch.cdist(black.mean(0, keepdim=True), tips).argmin()]
        lateral += int((black[:, 0] - nearest[0]).mean() > 0)
    assert lateral >= 16  # of 24 (mirrored bars: 7)
    half = erased_bars(inked, points, 0.5, torch.Generator().manual_seed(2))
    changed = (half != inked).flatten(1).any(dim=1)
    assert 0 < int(changed.sum()) < 24


def test_a_constant_elastic_field_is_a_shift_the_points_follow_exactly():
    h, w = 40, 30
    image = torch.from_numpy(_dot_image(h, w, 12.0, 20.0))[None, None]
    field = torch.zeros(1, 2, h, w)
    field[:, 0], field[:, 1] = 2.5, -1.25  # every output pixel shows the source 2.5 right, 1.25 up
    warped = warp_elastic(image, field)[0, 0].numpy()
    moved = elastic_points(torch.tensor([[[12.0, 20.0]]]), field)[0, 0].numpy()
    np.testing.assert_allclose(moved, [9.5, 21.25], atol=1e-5)  # by hand: p - u
    np.testing.assert_allclose(_peak_centroid(warped), moved, atol=0.05)


def test_random_elastic_keeps_each_point_on_its_dot_where_the_field_bends():
    h, w = 256, 128
    spots = [(30.3, 40.7), (100.2, 200.1), (64.0, 128.5), (15.5, 240.0)]
    image = torch.from_numpy(sum(_dot_image(h, w, x, y, sigma=1.0) for x, y in spots))[None, None]
    points = torch.tensor([spots], dtype=torch.float32)
    g = torch.Generator().manual_seed(5)
    images, many = image.repeat(8, 1, 1, 1), points.repeat(8, 1, 1)
    warped, moved = random_elastic(images, many, amplitude_px=6.0, generator=g)
    shifts = (moved - many).norm(dim=-1)
    assert shifts.max() > 4  # the warp is not a no-op
    for img, pts in zip(warped[:, 0].numpy(), moved.numpy()):
        for x, y in pts:
            r0, c0 = int(round(y)) - 4, int(round(x)) - 4
            win = img[r0 : r0 + 9, c0 : c0 + 9]
            yy, xx = np.mgrid[r0 : r0 + 9, c0 : c0 + 9]
            centroid = np.array([(win * xx).sum(), (win * yy).sum()]) / win.sum()
            assert np.hypot(*(centroid - [x, y])) < 0.15


def test_elastic_fields_are_smooth_and_scaled_by_their_amplitude():
    fields = elastic_displacements(200, 256, 128, 6.0, torch.Generator().manual_seed(0))
    assert abs(float(fields.std()) - 6.0) < 1.5
    # neighbouring pixels move almost alike: the local slope stays under 1 (no folding, and the
    # points' inverse converges)
    slope = torch.maximum(fields.diff(dim=2).abs().amax(dim=(1, 2, 3)), fields.diff(dim=3).abs().amax(dim=(1, 2, 3)))
    assert float(slope.max()) < 1 and float(slope.median()) < 0.6
