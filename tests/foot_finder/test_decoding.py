"""The foot finder's targets and their decoding, on maps drawn from known feet (no network)."""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder.decoding import decode_feet
from foot_landmarks.foot_finder.evaluation import true_configuration
from foot_landmarks.foot_finder.targets import axis_points, region_mask, target_maps

# A right foot in print view (hallux on the left), toes up, in map px (a 64 x 64 grid).
RIGHT = np.array([
    [14.0, 10.0], [18.0, 9.5], [21.0, 11.0], [23.5, 13.0], [25.5, 15.5],  # toe tips 1-5
    [12.0, 20.0], [27.0, 24.0], [19.0, 52.0],  # medial 6, lateral 7, heel 8
])


def _mirror(points: np.ndarray, width: int = 64) -> np.ndarray:
    out = points.copy()
    out[:, 0] = width - 1 - out[:, 0]
    return out


def test_the_region_holds_every_point_and_not_the_far_paper():
    mask = region_mask(RIGHT, (64, 64))
    rows, cols = np.rint(RIGHT[:, 1]).astype(int), np.rint(RIGHT[:, 0]).astype(int)
    assert mask[rows, cols].all()
    assert not mask[:, :5].any() and not mask[:, 40:].any() and not mask[60:].any()


def test_the_heatmaps_peak_at_the_heel_centre_the_toes_and_the_hallux():
    maps = target_maps([RIGHT], (64, 64))
    heel, toes = axis_points(RIGHT)
    for channel, where in ((1, heel), (2, toes), (3, RIGHT[0])):
        r, c = np.unravel_index(np.argmax(maps[channel]), maps[channel].shape)
        assert np.hypot(c - where[0], r - where[1]) <= 0.75


def _as_probability(maps: np.ndarray) -> np.ndarray:
    out = maps.copy()
    out[0] = np.where(maps[0] > 0, 0.9, 0.1)
    return out


def test_two_feet_are_decoded_with_their_axes_and_configurations():
    left = _mirror(RIGHT) + [0, 4]
    maps = _as_probability(target_maps([RIGHT - [8, 0], left + [8, 0]], (64, 64)))
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 2
    for found, truth in zip(feet, [RIGHT - [8, 0], left + [8, 0]]):  # left to right on the page
        heel, toes = axis_points(truth)
        assert np.linalg.norm(found.heel - heel) < 1.0 and np.linalg.norm(found.toes - toes) < 1.0
        assert found.configuration == true_configuration(truth)
        assert found.side_confidence > 0.5


def test_a_turned_foot_keeps_its_configuration():
    turn = geo.rotation(135, (31.5, 31.5))
    for points in (RIGHT, _mirror(RIGHT)):
        turned = geo.apply_to_points(turn, points)
        feet = decode_feet(_as_probability(target_maps([turned], (64, 64))), np.eye(3))
        assert len(feet) == 1
        assert feet[0].configuration == true_configuration(points)


def test_two_touching_feet_are_parted_between_their_heels_and_toes():
    # the second foot so close that the two regions join into one
    other = RIGHT + [13, 0]
    maps = _as_probability(target_maps([RIGHT, other], (64, 64)))
    from skimage.measure import label

    assert label(maps[0] > 0.5).max() == 1  # one joined region
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 2
    centres_x = sorted(float(0.5 * (f.heel + f.toes)[0]) for f in feet)
    assert abs(centres_x[1] - centres_x[0] - 13) < 2


def _gaussian(centre: np.ndarray, peak: float, sigma: float = 1.5, shape=(64, 64)) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return peak * np.exp(-((cols - centre[0]) ** 2 + (rows - centre[1]) ** 2) / (2 * sigma**2))


def test_a_stray_heel_response_on_the_ball_does_not_take_the_toes_of_its_foot():
    # two feet; the second has a strong false heel response on its ball, close to its toes: the
    # pair (ball, toes) is too short to be a foot, so the toes stay with the real heel
    second = RIGHT + [26, 0]
    maps = _as_probability(target_maps([RIGHT, second], (64, 64)))
    _, toes = axis_points(second)
    ball = toes + [0, 8]
    maps[1] = np.maximum(maps[1], _gaussian(ball, 1.2 * maps[1].max()))
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 2
    heel, toes = axis_points(second)
    assert np.linalg.norm(feet[1].heel - heel) < 1.0 and np.linalg.norm(feet[1].toes - toes) < 1.0


def test_a_heel_response_and_a_toe_response_of_two_feet_across_paper_are_no_foot():
    # two feet with a gap of paper between them, plus a stray heel response on the first's
    # forefoot and a stray toe response on the second's midfoot: the segment between the two
    # strays lies mostly on foot (its mean support passes) but crosses the paper, so no third foot
    other = RIGHT + [19, 0]
    maps = _as_probability(target_maps([RIGHT, other], (64, 64)))
    maps[1] = np.maximum(maps[1], _gaussian(np.array([21.0, 18.0]), 0.5))
    maps[2] = np.maximum(maps[2], _gaussian(np.array([41.0, 46.0]), 0.5))
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 2


@pytest.mark.parametrize(
    "silent_channel, warning",
    [(2, "no toe response"),  # toes printed too faintly for the toe map
     (1, "no heel response")],  # a heel under a glow or in shadow
)
def test_a_foot_end_without_its_response_is_placed_from_the_region_with_a_warning(silent_channel, warning):
    maps = _as_probability(target_maps([RIGHT], (64, 64)))
    maps[silent_channel] = 0.0
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 1
    heel, toes = axis_points(RIGHT)
    axis = (toes - heel) / np.linalg.norm(toes - heel)
    found = (feet[0].toes - feet[0].heel) / np.linalg.norm(feet[0].toes - feet[0].heel)
    assert np.degrees(np.arccos(np.clip(found @ axis, -1, 1))) < 10  # the foot's axis, toes up
    assert np.linalg.norm(feet[0].heel - heel) < 0.15 * np.linalg.norm(toes - heel)
    assert any(warning in w for w in feet[0].warnings)
    assert feet[0].configuration == true_configuration(RIGHT)


def test_toes_without_a_heel_response_reach_a_heel_printed_apart():
    maps = _as_probability(target_maps([RIGHT], (64, 64)))
    maps[1] = 0.0
    maps[0, 34:38] = 0.1  # a pale midfoot: the heel's region is apart from the forefoot's
    feet = decode_feet(maps, np.eye(3))
    assert len(feet) == 1
    heel, toes = axis_points(RIGHT)
    assert np.linalg.norm(feet[0].heel - heel) < 0.15 * np.linalg.norm(toes - heel)
