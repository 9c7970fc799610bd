"""The foot's frame from its points (LANDMARKS.md: the axis from point 8 to point 2)."""

import numpy as np
import pytest

from foot_landmarks.landmarks import foot_axes


def _points(heel, second_toe) -> np.ndarray:
    points = np.full((8, 2), 50.0)
    points[1], points[7] = second_toe, heel
    return points


def test_an_upright_foot_points_up_with_its_medial_side_on_the_left():
    axes = foot_axes(_points(heel=(10, 200), second_toe=(10, 50)))
    np.testing.assert_allclose(axes.distal, [0, -1])
    np.testing.assert_allclose(axes.medial, [-1, 0])  # right-foot configuration: hallux on the left
    assert axes.length == pytest.approx(150)


def test_a_foot_lying_toes_right_has_its_medial_side_up():
    distal, medial, length = foot_axes(_points(heel=(0, 0), second_toe=(30, 40)))
    np.testing.assert_allclose(distal, [0.6, 0.8])
    np.testing.assert_allclose(medial, [0.8, -0.6])
    assert length == pytest.approx(50)
    assert distal @ medial == pytest.approx(0)


@pytest.mark.parametrize("second_toe", [(10, 200), (np.nan, 5)])
def test_no_axis_where_heel_and_second_toe_coincide_or_are_missing(second_toe):
    assert foot_axes(_points(heel=(10, 200), second_toe=second_toe)) is None
