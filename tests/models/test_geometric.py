"""Geometric baseline on prints of known geometry, rasterised here."""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks.models.geometric import landmarks_from_mask, predict_geometric, segment_print

HEIGHT, WIDTH = 340, 180
CENTRE = np.array([WIDTH / 2, HEIGHT / 2])
# (cx, cy, semi-axis x, semi-axis y) in the upright foot frame: right foot, hallux on the left.
# Heel and second toe share x = 85, so the foot axis (8 -> 2) is vertical.
HEEL = (85, 285, 30, 38)
BALL = (83, 135, 50, 35)
TOES = [(50, 72, 15, 18), (85, 67, 9, 13), (106, 72, 8, 11), (124, 79, 7, 10), (140, 93, 6, 8)]
MIDFOOT_BAND = (65, 110, 135, 285)  # x0, x1, y0, y1: the lateral arch of a normal foot


def rasterise(angle_deg: float = 0.0) -> dict[str, np.ndarray]:
    """Bool masks of each part, the foot rotated by `angle_deg` about the image centre."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH].astype(float)
    # sample each pixel centre in the upright frame (inverse rotation)
    angle = np.deg2rad(angle_deg)
    dx, dy = cols - CENTRE[0], rows - CENTRE[1]
    x = CENTRE[0] + np.cos(angle) * dx + np.sin(angle) * dy
    y = CENTRE[1] - np.sin(angle) * dx + np.cos(angle) * dy

    def ellipse(cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
        return ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1.0

    x0, x1, y0, y1 = MIDFOOT_BAND
    return {
        "heel": ellipse(*HEEL),
        "ball": ellipse(*BALL),
        "band": (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1),
        **{f"toe{i + 1}": ellipse(*toe) for i, toe in enumerate(TOES)},
    }


def image_of(parts: dict[str, np.ndarray]) -> np.ndarray:
    return (np.any(list(parts.values()), axis=0) * 255).astype(np.uint8)


def extreme(shape: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Truth by LANDMARKS.md: most extreme pixel centre along `direction`, middle of the flat run."""
    rows, cols = np.nonzero(shape)
    xy = np.stack([cols, rows], axis=-1).astype(float)
    along = xy @ direction
    run = xy[along >= along.max() - 0.5]
    across = run @ np.array([-direction[1], direction[0]])
    return run[np.argmin(np.abs(across - 0.5 * (across.min() + across.max())))]


def truth(parts: dict[str, np.ndarray], angle_deg: float) -> np.ndarray:
    angle = np.deg2rad(angle_deg)
    # the upright axis (0, -1) and medial (-1, 0), rotated like the image
    distal = np.array([np.sin(angle), -np.cos(angle)])
    medial = np.array([-np.cos(angle), -np.sin(angle)])
    body = parts["heel"] | parts["ball"] | parts["band"]
    toes = [extreme(parts[f"toe{i}"], distal) for i in range(1, 6)]
    return np.array(
        [*toes, extreme(parts["ball"], medial), extreme(parts["ball"], -medial), extreme(body, -distal)]
    )


@pytest.fixture(scope="module")
def upright() -> dict[str, np.ndarray]:
    return rasterise(0.0)


def test_upright_print_hits_the_exact_extremes(upright: dict[str, np.ndarray]) -> None:
    expected = truth(upright, 0.0)
    # sanity of the construction: heel and second toe on one vertical line, hallux left
    assert expected[7, 0] == expected[1, 0] == 85 and expected[0, 0] < expected[4, 0]
    points, confidence = predict_geometric(image_of(upright))
    errors = np.linalg.norm(points - expected, axis=-1)
    assert errors.max() <= 1.0, errors
    np.testing.assert_array_equal(confidence, np.ones(8))


def test_rotated_print_within_two_pixels() -> None:
    parts = rasterise(5.0)
    points, _ = predict_geometric(image_of(parts))
    errors = np.linalg.norm(points - truth(parts, 5.0), axis=-1)
    assert errors.max() <= 2.0, errors


def test_speck_away_from_the_foot_changes_nothing(upright: dict[str, np.ndarray]) -> None:
    image = image_of(upright)
    clean, _ = predict_geometric(image)
    noisy = image.copy()
    noisy[15:18, 160:163] = 255  # above and beside the toes
    noisy[330:332, 10:12] = 255  # below and beside the heel
    points, _ = predict_geometric(noisy)
    np.testing.assert_array_equal(points, clean)


def test_segmentation_of_a_dark_print_on_white(upright: dict[str, np.ndarray]) -> None:
    bright = image_of(upright)
    mask = segment_print(255 - bright, print_is_bright=False)
    np.testing.assert_array_equal(mask, segment_print(bright))
    # the smoothed edge is cut low (Li), so the mask may grow by about a pixel all round
    assert mask.sum() == pytest.approx(bright.astype(bool).sum(), rel=0.08)
    assert not segment_print(np.zeros((20, 20), dtype=np.uint8)).any()


def test_left_foot_is_the_mirror(upright: dict[str, np.ndarray]) -> None:
    mask = segment_print(image_of(upright))
    right, _ = landmarks_from_mask(mask, side="right")
    left, _ = landmarks_from_mask(mask[:, ::-1], side="left")
    mirrored = left.copy()
    mirrored[:, 0] = WIDTH - 1 - left[:, 0]
    assert np.abs(mirrored - right).max() <= 1.0


def test_missing_little_toe_gets_low_confidence(upright: dict[str, np.ndarray]) -> None:
    parts = {name: part for name, part in upright.items() if name != "toe5"}
    expected = truth({**parts, "toe5": upright["toe5"]}, 0.0)
    points, confidence = predict_geometric(image_of(parts))
    # the four toe prints keep their own tips, matched to toes 1-4 by position
    assert np.linalg.norm(points[:4] - expected[:4], axis=-1).max() <= 1.0
    assert (confidence[:4] == 0.5).all() and confidence[4] == pytest.approx(0.1)
    assert (confidence[5:] == 1.0).all()


def test_empty_mask_gives_nan() -> None:
    points, confidence = landmarks_from_mask(np.zeros((10, 10), dtype=bool))
    assert np.isnan(points).all() and (confidence == 0).all()
