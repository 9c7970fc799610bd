"""Geometric steps as matrices: marks moved by the image operations land where hand-worked geometry
and the matrices put them; pixel-centre resize; mirroring keeps ids."""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks import geometry as geo

POINTS = np.array([[10.25, 20.5], [0.0, 0.0], [99.0, 149.0], [50.3, 75.7]])


def _centroid(image: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(image > 0)
    w = image[ys, xs].astype(float)
    return np.array([(xs * w).sum() / w.sum(), (ys * w).sum() / w.sum()])


def test_crop_mirror_scale_rotation_move_a_mark_to_its_hand_worked_place() -> None:
    """A 4 x 4 mark centred on (19.5, 29.5), taken through the four image operations; where it
    ends up is worked out by hand, and both the pixels and the composed matrix must put it there.
      crop at (12, 7):            (19.5 - 12, 29.5 - 7)                = (7.5, 22.5)
      mirror, 88 px wide:         (87 - 7.5, 22.5)                     = (79.5, 22.5)
      resize 143 x 88 -> 286 x 176: ((x + 0.5) * 2 - 0.5, same for y)  = (159.5, 45.5)
      rotation by 90 deg about (88, 143): (88 - (y - 143), 143 + (x - 88)) = (185.5, 214.5)
    """
    image = np.zeros((150, 100), np.uint8)
    image[28:32, 18:22] = 255
    crop, to_crop = geo.crop_with_matrix(image, (12, 7, 100, 150))
    mirrored, flip = geo.mirror_with_matrix(crop)
    doubled, resize = geo.resize_with_matrix(mirrored, (286, 176))
    turn = geo.rotation(90.0, center=(88.0, 143.0))
    turned, _ = geo.warp_with_matrix(doubled, turn, (300, 300))
    expected = np.array([185.5, 214.5])
    np.testing.assert_allclose(_centroid(turned), expected, atol=0.02)
    chain = geo.compose(to_crop, flip, resize, turn)
    np.testing.assert_allclose(geo.apply_to_points(chain, [[19.5, 29.5]])[0], expected, atol=1e-9)
    # and back: the scan pixel under the turned mark's centre is the mark's centre
    np.testing.assert_allclose(geo.apply_to_points(geo.invert(chain), [expected])[0], [19.5, 29.5], atol=1e-9)


def test_mirror_sends_column_j_to_width_minus_1_minus_j() -> None:
    np.testing.assert_allclose(geo.apply_to_points(geo.mirror_x(88), [[0.0, 5.0], [87.0, 5.0], [7.5, 1.0]]),
                               [[87.0, 5.0], [0.0, 5.0], [79.5, 1.0]])


def test_resize_uses_pixel_centre_convention() -> None:
    m = geo.resize_matrix((100, 200), (50, 100))
    # x' = (x + 0.5) * w1 / w0 - 0.5: pixel 0 and 1 merge into 0, their centre is at 0.5 -> 0
    np.testing.assert_allclose(geo.apply_to_points(m, [[0.5, 0.5], [-0.5, -0.5]]), [[0.0, 0.0], [-0.5, -0.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_resize_with_matrix_moves_a_dot_where_the_matrix_says(dtype) -> None:
    image = np.zeros((120, 90), dtype)
    image[60:64, 30:34] = 255  # a 4x4 dot centred on (31.5, 61.5)
    out, m = geo.resize_with_matrix(image, (40, 30))
    tolerance = 0.02 if dtype == np.float32 else 0.1  # uint8: Lanczos ringing is clipped at 0
    ys, xs = np.nonzero(out > 0)
    w = out[ys, xs].astype(float)
    expected = geo.apply_to_points(m, [[31.5, 61.5]])[0]
    assert abs((xs * w).sum() / w.sum() - expected[0]) < tolerance
    assert abs((ys * w).sum() / w.sum() - expected[1]) < tolerance


def test_warp_with_matrix_agrees_with_the_point_mapping() -> None:
    image = np.zeros((80, 60), np.uint8)
    image[20, 15] = 255
    m = geo.compose(geo.rotation(90.0, center=(30.0, 40.0)), geo.translation(5, -3))
    out, _ = geo.warp_with_matrix(image, m, (80, 60))
    y, x = np.unravel_index(np.argmax(out), out.shape)
    assert out[y, x] >= 254  # a quarter turn maps pixel centres onto pixel centres
    np.testing.assert_allclose(geo.apply_to_points(m, [[15, 20]])[0], [x, y], atol=1e-6)


def test_crop_with_matrix_pads_outside_the_image() -> None:
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out, m = geo.crop_with_matrix(image, (-2, 1, 3, 6), fill=255)
    assert out.shape == (5, 5)
    assert out[0, 2] == image[1, 0] and out[0, 0] == 255 and out[4, 4] == 255
    np.testing.assert_allclose(geo.apply_to_points(m, [[0, 1]]), [[2, 0]])


def test_mirror_of_a_left_foot_puts_medial_point_6_left_of_lateral_7() -> None:
    # A left foot in print view: hallux (1) and medial extreme (6) on the right, lateral (7) on the left.
    left_points = np.array(
        [[70, 5], [60, 4], [52, 6], [45, 8], [38, 12], [80, 30], [35, 32], [58, 95]], dtype=float
    )
    image = np.zeros((100, 100), np.uint8)
    mirrored, m = geo.mirror_with_matrix(image)
    points = geo.apply_to_points(m, left_points)
    assert points[5, 0] < points[6, 0]  # ids unchanged: 6 is still the medial extreme
    assert points[0, 0] < points[4, 0]  # hallux now on the left, as for a right foot
    np.testing.assert_allclose(points[:, 1], left_points[:, 1])
    np.testing.assert_allclose(geo.apply_to_points(m, points), left_points)  # its own inverse


def test_nan_points_stay_nan() -> None:
    out = geo.apply_to_points(geo.scale_matrix(2, 2), [[np.nan, np.nan], [1.0, 1.0]])
    assert np.isnan(out[0]).all() and out[1] == pytest.approx([2.5, 2.5])
