"""The anatomy checks on rendered prints: point 7 left on the midfoot or on a blot beside the
foot goes to the forefoot's lateral extreme, a point already right is left alone, two toe points
on one toe, a toe point on no print (a toe that left no ink) or on another print (the other
foot), and a point 7 on a long straight edge are flagged; points 6 and 7 anywhere on the
forefoot go to its extremes."""

from __future__ import annotations

import numpy as np
from skimage.measure import label

from foot_landmarks.anatomy_checks import check_points, forefoot_extremes
from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT
from foot_landmarks.refinement import PrintRefinement, refine_to_print

from clinical.rendered_prints import rendered_print


def _crop_and_truth(seed: int, band: float):
    """An upright right-foot print (bright on black) and its true points, crop px."""
    mask, _, points, anatomy = rendered_print(seed, band)
    rows, cols = np.nonzero(mask)
    pad = 20
    y0, x0 = rows.min() - pad, cols.min() - pad
    crop = np.zeros((rows.max() - y0 + pad, cols.max() - x0 + pad), np.uint8)
    crop[rows - y0, cols - x0] = 230
    return crop, points - [x0, y0], anatomy


def test_point_7_on_a_narrow_lateral_band_is_moved_to_the_forefoot():
    crop, truth, _ = _crop_and_truth(4, 0.12)  # a high arch's narrow band
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    wrong = truth.copy()
    # the network's point on the band's lateral edge, 40 % of the way up from the heel
    level = truth[HEEL - 1] + 0.4 * (truth[1] - truth[HEEL - 1])
    row = crop[int(level[1])]
    wrong[LATERAL_FOREFOOT - 1] = [np.flatnonzero(row)[-1], level[1]]
    checked, flags = check_points(crop, wrong)
    assert flags[LATERAL_FOREFOOT - 1].startswith("point 7 lay behind the forefoot")
    assert np.linalg.norm(checked[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) < 0.03 * length
    assert not flags[MEDIAL_FOREFOOT - 1]


def test_point_7_on_a_blot_beside_the_forefoot_is_moved_to_the_forefoot():
    crop, truth, _ = _crop_and_truth(7, 0.5)
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    # a round blot (a coin, the other foot's edge) beside the ball, clear of the print
    pad = int(0.35 * length)
    crop = np.pad(crop, ((0, 0), (0, pad)))
    centre = truth[LATERAL_FOREFOOT - 1] + [0.2 * length, 0.0]
    yy, xx = np.indices(crop.shape)
    crop[np.hypot(xx - centre[0], yy - centre[1]) < 0.08 * length] = 230
    wrong = truth.copy()
    wrong[LATERAL_FOREFOOT - 1] = centre + [0.08 * length, 0.0]  # the blot's lateral extreme
    checked, flags = check_points(crop, wrong)
    assert flags[LATERAL_FOREFOOT - 1].startswith("point 7 lay on another print than the foot's")
    assert np.linalg.norm(checked[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) < 0.03 * length
    checked, flags = check_points(crop, truth)  # the right point beside the same blot stays
    assert np.allclose(checked, truth) and not any(flags)


def test_right_points_pass_unchanged():
    crop, truth, _ = _crop_and_truth(7, 0.5)
    checked, flags = check_points(crop, truth)
    assert np.allclose(checked, truth) and not any(flags)


def test_two_toe_points_on_one_toe_are_flagged():
    crop, truth, _ = _crop_and_truth(7, 0.5)
    doubled = truth.copy()
    doubled[2] = truth[1] + [1.0, 1.0]  # point 3 on toe 2
    _, flags = check_points(crop, doubled)
    assert "two toe points (2 and 3) on one toe print" in flags[1] and flags[2] == flags[1]


def test_a_toe_that_left_no_ink_is_flagged_and_the_inked_toes_are_not():
    crop, truth, _ = _crop_and_truth(7, 0.5)
    components = label(crop > 0, connectivity=2)
    toe_5 = components == components[int(truth[4, 1]), int(truth[4, 0])]
    assert toe_5.sum() < 0.05 * (crop > 0).sum()  # toe 5's own print, apart from the sole's
    crop[toe_5] = 0  # the toe did not touch the paper; its tip is where it was
    checked, flags = check_points(crop, truth)
    assert flags[4].startswith("toe point 5 on no print")
    # the print nearest the inkless toe's tip is toe 4's, so toe 4 stays flagged as sharing it
    assert flags[3] == "two toe points (4 and 5) on one toe print"
    assert np.allclose(checked, truth) and not any(flags[k] for k in (0, 1, 2, 5, 6, 7))


def test_a_toe_point_in_empty_paper_beside_the_toes_is_flagged():
    crop, truth, _ = _crop_and_truth(7, 0.5)
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    pad = int(0.1 * length)
    crop, truth = np.pad(crop, ((pad, 0), (0, 0))), truth + [0.0, pad]
    off = truth.copy()
    off[0] = truth[0] - [0.0, 0.04 * length]  # the hallux point 4 % of the foot's length beyond its tip
    _, flags = check_points(crop, off)
    assert flags[0].startswith("toe point 1 on no print (4.0% of the foot's length") and not any(flags[1:])
    off[0] = truth[0] - [0.0, 0.005 * length]  # half a per cent: the print's ragged edge, no flag
    _, flags = check_points(crop, off)
    assert not any(flags)


def test_a_toe_point_on_the_other_foot_beside_this_one_is_flagged():
    """Point 5 taken to the other foot of a pair standing close beside this one (its print
    mirrored, a little lower) is flagged; the true points beside the same print are not."""
    crop, truth, _ = _crop_and_truth(7, 0.5)
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    drop = int(0.15 * length)
    other = np.pad(np.fliplr(crop), ((drop, 0), (0, 0)))[: crop.shape[0]]
    pair = np.concatenate([crop, other], axis=1)
    rows, cols = np.nonzero(other)
    near = np.argmin(np.hypot(cols + crop.shape[1] - truth[4, 0], rows - truth[4, 1]))
    wrong = truth.copy()
    wrong[4] = [cols[near] + crop.shape[1], rows[near]]  # the other foot's print nearest toe 5
    assert np.linalg.norm(wrong[4] - truth[4]) > 0.05 * length
    checked, flags = check_points(pair, wrong)
    assert flags[4] == "toe point 5 on a print that is neither a toe nor the foot's"
    assert np.allclose(checked, wrong) and not any(flags[:4]) and not any(flags[5:])
    _, flags = check_points(pair, truth)
    assert not any(flags)


def _with_straight_lateral_edge(crop: np.ndarray, truth: np.ndarray, run: float) -> np.ndarray:
    """The print with its lateral forefoot edge made straight along the axis (the image's columns)
    through point 7, over `run` of the foot's length centred on it: a square-cut forefoot."""
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    x7, y7 = truth[LATERAL_FOREFOOT - 1]
    squared = crop.copy()
    for row in range(int(round(y7 - run / 2 * length)), int(round(y7 + run / 2 * length)) + 1):
        inked = np.flatnonzero(crop[row])
        squared[row, inked[0] : int(round(x7)) + 1] = 230
    return squared


def test_point_7_on_a_long_straight_edge_is_flagged():
    """A lateral edge straight for 12 % of the foot's length (~30 mm): point 7, right or anywhere
    on that edge, is flagged; at 4 % (~10 mm, a short flat) or on the rendered curve it is not."""
    crop, truth, _ = _crop_and_truth(7, 0.5)
    long_edge = _with_straight_lateral_edge(crop, truth, 0.12)
    checked, flags = check_points(long_edge, truth)
    assert flags[LATERAL_FOREFOOT - 1].startswith("point 7 on a long, nearly straight edge")
    assert np.allclose(checked, truth) and not any(flags[k] for k in range(8) if k != LATERAL_FOREFOOT - 1)
    _, flags = check_points(_with_straight_lateral_edge(crop, truth, 0.04), truth)
    assert not any(flags)


def test_two_toe_points_closer_than_two_toes_can_be_are_flagged_without_a_print():
    """A grid print's toes merge, so no toe print can be told apart; toe points 2 and 3 at 1.5 %
    of the foot's length (neighbouring tips lie 6-8 % apart) are still flagged, the others not."""
    _, truth, _ = _crop_and_truth(7, 0.5)
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    close = truth.copy()
    close[2] = truth[1] + [0.015 * length, 0.0]
    blank = np.zeros((int(truth[:, 1].max()) + 20, int(truth[:, 0].max()) + 20), np.uint8)
    checked, flags = check_points(blank, close)
    assert np.allclose(checked, close)
    assert flags[1].startswith("toe points 2 and 3 closer than two toes can be") and flags[2] == flags[1]
    assert not any(flags[k] for k in (0, 3, 4, 5, 6, 7))
    _, flags = check_points(blank, truth)
    assert not any(flags)


def _on_lateral_edge(crop: np.ndarray, truth: np.ndarray, back: float) -> np.ndarray:
    """A point on the print's lateral (right) edge, `back` of the foot's length behind point 7."""
    axis = (truth[1] - truth[HEEL - 1]) / np.linalg.norm(truth[1] - truth[HEEL - 1])
    level = truth[LATERAL_FOREFOOT - 1] - back * np.linalg.norm(truth[1] - truth[HEEL - 1]) * axis
    row = int(round(level[1]))
    return np.array([float(np.flatnonzero(crop[row])[-1]), float(row)])


def test_point_7_elsewhere_on_the_forefoots_edge_goes_to_its_lateral_extreme():
    """The network's point 7 on the right stretch of edge but 8 % of the foot's length (~20 mm)
    behind the fifth metatarsal head: the whole forefoot's extreme is the generator's point 7."""
    crop, truth, _ = _crop_and_truth(7, 0.5)
    length = np.linalg.norm(truth[1] - truth[HEEL - 1])
    wrong = truth.copy()
    wrong[LATERAL_FOREFOOT - 1] = _on_lateral_edge(crop, truth, 0.08)
    assert np.linalg.norm(wrong[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) > 0.05 * length
    moved = forefoot_extremes(crop, wrong)
    assert np.linalg.norm(moved[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) < 0.01 * length
    others = [k for k in range(8) if k not in (MEDIAL_FOREFOOT - 1, LATERAL_FOREFOOT - 1)]
    assert np.array_equal(moved[others], wrong[others])
    # the refinement takes the same step first and ends where it ends from the true points;
    # within its radius alone the point stays off
    refined = refine_to_print(crop, wrong)
    assert np.linalg.norm(refined - refine_to_print(crop, truth), axis=1).max() < 0.5
    assert np.linalg.norm(refined[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) < 0.01 * length
    local = refine_to_print(crop, wrong, PrintRefinement(whole_forefoot=False))
    assert np.linalg.norm(local[LATERAL_FOREFOOT - 1] - truth[LATERAL_FOREFOOT - 1]) > 0.03 * length


def test_the_whole_forefoot_step_changes_nothing_where_the_points_are_right():
    for seed, band in ((7, 0.5), (4, 0.12), (11, 0.8)):  # normal, high and flat arches
        crop, truth, _ = _crop_and_truth(seed, band)
        with_step = refine_to_print(crop, truth)
        without = refine_to_print(crop, truth, PrintRefinement(whole_forefoot=False))
        assert np.linalg.norm(with_step - without, axis=1).max() < 0.5
