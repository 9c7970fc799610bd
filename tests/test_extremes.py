"""extremes.flat_run_extreme on hand-worked pixel sets.

The generator's ground truth, the geometric baseline and the refinement all take their extreme
points from this one function, so a bug in it would move truth and prediction together and no
synthetic figure could show it. Every expected value here is worked out by hand from
LANDMARKS.md's rule: the most extreme pixel along a direction; where the extreme is a flat run
(pixels within 0.5 px of it along the direction), the pixel nearest the run's middle across the
direction; of two pixels equally near the middle, the first in the order given.
"""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks.extremes import FLAT_RUN_TOLERANCE_PX, flat_run_extreme

UP, DOWN, RIGHT = np.array([0.0, -1.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0])


def _block(x0: int, x1: int, y0: int, y1: int) -> np.ndarray:
    """Pixel centres (x, y) of the rectangle x0..x1 by y0..y1 (inclusive), row by row."""
    return np.array([(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)], dtype=float)


def test_tolerance_is_half_a_pixel_as_landmarks_md_says():
    assert FLAT_RUN_TOLERANCE_PX == 0.5


def test_a_single_pixel_is_its_own_extreme_in_every_direction():
    for direction in (UP, DOWN, RIGHT, [1.0, 1.0], [-0.3, 0.7]):
        np.testing.assert_array_equal(flat_run_extreme([[3.0, 4.0]], direction), [3.0, 4.0])


def test_a_unique_tip_wins_over_the_row_below_it():
    # a toe tip: one pixel at the top, three beneath it (1 px further down: outside 0.5 px)
    toe = np.array([[5, 2], [4, 2], [6, 2], [5, 1]], dtype=float)
    np.testing.assert_array_equal(flat_run_extreme(toe, UP), [5, 1])


def test_a_flat_run_gives_its_middle_pixel():
    # a heel's flat bottom row: x = 2..6 at y = 9 (5 pixels), middle x = 4
    heel = np.vstack([_block(1, 7, 5, 8), _block(2, 6, 9, 9)])
    np.testing.assert_array_equal(flat_run_extreme(heel, DOWN), [4, 9])
    # the run's middle is measured across the direction, whatever the pixels above it hold
    lopsided = np.vstack([_block(0, 20, 5, 8), _block(2, 6, 9, 9)])
    np.testing.assert_array_equal(flat_run_extreme(lopsided, DOWN), [4, 9])


def test_of_two_pixels_equally_near_the_middle_the_first_given_wins():
    # an even run: x = 2..5 at y = 9, middle x = 3.5, pixels 3 and 4 both 0.5 px from it
    row = _block(2, 5, 9, 9)
    np.testing.assert_array_equal(flat_run_extreme(row, DOWN), [3, 9])
    np.testing.assert_array_equal(flat_run_extreme(row[::-1], DOWN), [4, 9])


def test_a_run_with_a_gap_still_answers_a_pixel_of_the_set():
    # bottom row holds x = 0, 1 and 5: middle 2.5, nearest pixel x = 1 (1.5 away; x = 5 is 2.5 away)
    pixels = np.array([[0, 9], [1, 9], [5, 9], [3, 8], [3, 7]], dtype=float)
    np.testing.assert_array_equal(flat_run_extreme(pixels, DOWN), [1, 9])


def test_a_tilted_direction_takes_the_pixels_within_half_a_pixel_along_it():
    # direction (0.2, 1) / |.| over the row y = 9, x = 0..9: along = (0.2 x + 9) / 1.0198, largest at
    # x = 9; x counts when 0.2 (9 - x) / 1.0198 <= 0.5, i.e. x >= 6.45: the run is x = 7, 8, 9 and
    # its middle across the direction is x = 8
    row = _block(0, 9, 9, 9)
    np.testing.assert_array_equal(flat_run_extreme(row, [0.2, 1.0]), [8, 9])
    # the direction need not be a unit vector
    np.testing.assert_array_equal(flat_run_extreme(row, [1.0, 5.0]), [8, 9])


def test_a_diagonal_axis_on_a_square():
    # along (1, 1) / sqrt 2 the corner (3, 3) is at 6 / sqrt 2; its neighbours (2, 3) and (3, 2) are
    # 1 / sqrt 2 = 0.71 px behind: outside 0.5 px, so the corner alone
    square = _block(0, 3, 0, 3)
    np.testing.assert_array_equal(flat_run_extreme(square, [1.0, 1.0]), [3, 3])
    # with a 0.75 px tolerance the run is (2, 3), (3, 3), (3, 2): across (-1, 1) / sqrt 2 they lie at
    # +0.71, 0 and -0.71, so the middle is the corner again
    np.testing.assert_array_equal(flat_run_extreme(square, [1.0, 1.0], tolerance=0.75), [3, 3])
    # toward the top-right corner (1, -1): (3, 0)
    np.testing.assert_array_equal(flat_run_extreme(square, [1.0, -1.0]), [3, 0])


def test_a_rotated_flat_edge_gives_the_middle_of_the_edge():
    # a flat edge along the diagonal: pixels (k, 10 - k) for k = 0..6 all lie at along = 10 / sqrt 2
    # for the direction (1, 1); the middle of the seven is k = 3
    edge = np.array([[k, 10 - k] for k in range(7)] + [[k, 9 - k] for k in range(7)], dtype=float)
    np.testing.assert_array_equal(flat_run_extreme(edge, [1.0, 1.0]), [3, 7])


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.zeros((3,)), np.zeros((4, 3))])
def test_anything_but_a_non_empty_list_of_pixel_centres_is_refused(bad):
    with pytest.raises(ValueError, match="non-empty"):
        flat_run_extreme(bad, UP)
