"""Joint toe decoding: where two toe maps answer on one toe, the toes come from five different
peaks in medial-to-lateral order; toes the network already keeps apart are never touched."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from foot_landmarks.codecs import GaussianHeatmapCodec
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.toe_order import ordered_assignment, reorder_toes, toes_break_anatomy

INPUT_SIZE, STRIDE, SIGMA = (256, 128), 2, 2.0
CODEC = GaussianHeatmapCodec(INPUT_SIZE, stride=STRIDE, sigma=SIGMA, decoder="dark")
# an upright right-foot crop in input px: toe tips medial (left) to lateral, the lesser toes
# stepping back, forefoot extremes 6 / 7, heel 8
TIPS = np.array([[22.0, 14.0], [56.0, 10.0], [74.0, 17.0], [90.0, 30.0], [104.0, 48.0]])
SOLE = np.array([[16.0, 80.0], [112.0, 90.0], [62.0, 245.0]])


def blob(centre_xy: np.ndarray, height: float) -> np.ndarray:
    """One Gaussian of the codec's target shape at an input-px point, scaled to `height`."""
    maps, _ = CODEC.encode(np.repeat(np.asarray(centre_xy, float)[None], 8, axis=0))
    return height * maps[0]


def heatmaps(toe_blobs: dict[int, list[tuple[int, float]]]) -> np.ndarray:
    """(8, h, w): toe map k (1-5) with a blob of each (tip index, height) listed; 6-8 on the sole."""
    maps = np.zeros((8, *CODEC.heatmap_size), np.float32)
    for k, blobs in toe_blobs.items():
        for tip, height in blobs:
            maps[k - 1] = np.maximum(maps[k - 1], blob(TIPS[tip], height))
    for row, point in zip(range(5, 8), SOLE):
        maps[row] = blob(point, 0.8)
    return maps


# The real ink-mat failure: toe 5 faint against the ball, so maps 4 and 5 answer one toe medial
# (4 and 3 share toe 3), each keeping a weaker peak on its own toe (map 3 one on toe 2).
SHIFTED = {1: [(0, 0.6)], 2: [(1, 0.5)], 3: [(2, 0.35), (1, 0.29)], 4: [(2, 0.7), (3, 0.4)], 5: [(3, 0.5), (4, 0.25)]}


def test_the_best_ordered_assignment_is_found_among_all_choices():
    """Against brute force over every ordered choice of five candidates."""
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(5, 10))
        positions = np.sort(rng.uniform(0, 100, n))[:, None] * np.array([[1.0, 0.0]]) + rng.uniform(0, 5, (n, 2))
        distal = rng.uniform(0, 30, n)
        scores = rng.uniform(0, 1, (5, n))
        min_gaps, tolerance = np.array([8.0, 4.0, 4.0, 4.0]), 2.0

        def allowed(choice):
            for k in range(1, 5):
                a, b = choice[k - 1], choice[k]
                if np.linalg.norm(positions[a] - positions[b]) < min_gaps[k - 1]:
                    return False
                if k >= 2 and distal[b] > distal[a] + tolerance:
                    return False
            return True

        feasible = [c for c in itertools.combinations(range(n), 5) if allowed(c)]
        chosen = ordered_assignment(scores, positions, distal, min_gaps, tolerance)
        if not feasible:
            assert chosen is None
            continue
        best = max(sum(scores[k, c[k]] for k in range(5)) for c in feasible)
        assert chosen is not None and allowed(chosen) and list(chosen) == sorted(chosen)
        assert sum(scores[k, chosen[k]] for k in range(5)) == pytest.approx(best)


def test_two_toe_maps_on_one_toe_are_decoded_again_onto_five_toes():
    maps = heatmaps(SHIFTED)
    points, confidence = CODEC.decode(maps)
    assert toes_break_anatomy(points)  # toes 3 and 4 one by one: the same toe
    fixed, fixed_confidence, moved = reorder_toes(maps, points, confidence, CODEC)
    assert np.abs(fixed[:5] - TIPS).max() < 0.5
    assert moved.tolist() == [False, False, False, True, True, False, False, False]
    assert fixed_confidence[3] == pytest.approx(0.4, abs=0.02) and fixed_confidence[4] == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(fixed[5:], points[5:])


def test_toes_apart_and_in_order_are_left_as_decoded():
    maps = heatmaps({1: [(0, 0.6)], 2: [(1, 0.5)], 3: [(2, 0.5), (1, 0.3)], 4: [(3, 0.6), (2, 0.3)], 5: [(4, 0.4)]})
    points, confidence = CODEC.decode(maps)
    fixed, fixed_confidence, moved = reorder_toes(maps, points, confidence, CODEC)
    assert not toes_break_anatomy(points) and not moved.any()
    np.testing.assert_array_equal(fixed, points)
    np.testing.assert_array_equal(fixed_confidence, confidence)


@pytest.mark.parametrize(
    "spurious_peak",
    [
        # just lateral of the hallux, level with toe 2: the hallux is wide, so no toe tip lies there
        [31.0, 11.0],
        # on the ball's edge behind toe 2: toe 3 would then lie ahead of toe 2 (lesser toes step back)
        [38.0, 24.0],
    ],
)
def test_a_weak_toe_two_peak_off_the_toes_is_not_taken_for_a_toe(spurious_peak):
    """Taking it would let maps 3-5 keep their stronger, shifted peaks (a larger sum): the
    anatomy's spacing and toe-line rules forbid that."""
    maps = heatmaps(SHIFTED)
    maps[1] = np.maximum(maps[1], blob(np.array(spurious_peak), 0.3))
    points, confidence = CODEC.decode(maps)
    fixed, _, moved = reorder_toes(maps, points, confidence, CODEC)
    assert np.abs(fixed[:5] - TIPS).max() < 0.5 and not moved[1]


def test_without_a_fifth_peak_on_the_toes_they_are_left_and_still_break_the_anatomy():
    maps = heatmaps({1: [(0, 0.6)], 2: [(1, 0.5)], 3: [(2, 0.35)], 4: [(2, 0.7)], 5: [(3, 0.5)]})
    maps[4] = np.maximum(maps[4], blob(np.array([100.0, 170.0]), 0.1))  # a peak on the midfoot is no toe
    points, confidence = CODEC.decode(maps)
    fixed, _, moved = reorder_toes(maps, points, confidence, CODEC)
    assert not moved.any() and toes_break_anatomy(fixed)


def test_the_detector_decodes_toes_jointly_unless_its_config_says_not():
    config = {"architecture": "light", "input_size": list(INPUT_SIZE), "stride": STRIDE, "sigma": SIGMA}
    maps = heatmaps(SHIFTED)[None]
    decoded = LandmarkDetector(config, network=None).decode(maps)
    assert np.abs(decoded.points[0, :5] - TIPS).max() < 0.5 and decoded.redecoded[0].tolist()[3:5] == [True, True]
    np.testing.assert_array_equal(decoded.separate_points, CODEC.decode(maps)[0])  # one by one, kept
    off = LandmarkDetector({**config, "joint_toes": False}, network=None).decode(maps)
    np.testing.assert_array_equal(off.points, CODEC.decode(maps)[0])
    assert not off.redecoded.any()
