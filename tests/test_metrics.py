"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from foot_landmarks.metrics import (
    errors_as_foot_length_fraction,
    foot_length_px,
    mean_radial_error,
    nmae,
    per_landmark_table,
    radial_errors_mm,
    success_detection_rate,
    summary,
)


def test_nmae_by_hand() -> None:
    true = np.full((1, 8, 2), 100.0)
    pred = true.copy()
    pred[0, 0] = [110.0, 100.0]  # |10| / 100 = 0.1 on one of 16 coordinates
    pred[0, 7] = [100.0, 70.0]  # |30| / 100 = 0.3
    assert nmae(pred, true) == pytest.approx((0.1 + 0.3) / 16)
    mask = np.zeros((1, 8), dtype=bool)
    mask[0, 0] = True  # only point 1: (0.1 + 0) / 2
    assert nmae(pred, true, mask) == pytest.approx(0.05)


def test_nmae_divides_by_the_true_coordinate() -> None:
    true = np.full((1, 8, 2), 50.0)
    pred = np.full((1, 8, 2), 100.0)
    assert nmae(pred, true) == pytest.approx(1.0)  # |50 - 100| / 50
    assert nmae(true, pred) == pytest.approx(0.5)  # |100 - 50| / 100


def test_radial_errors_use_each_samples_dpi() -> None:
    true = np.zeros((2, 8, 2))
    pred = np.zeros((2, 8, 2))
    pred[0, 0] = [3.0, 4.0]  # 5 px at 300 dpi = 5 * 25.4 / 300 mm
    pred[1, 0] = [3.0, 4.0]  # 5 px at 600 dpi: half of that
    errors = radial_errors_mm(pred, true, np.array([300.0, 600.0]))
    assert errors.shape == (2, 8)
    assert errors[0, 0] == pytest.approx(5 * 25.4 / 300)
    assert errors[1, 0] == pytest.approx(5 * 25.4 / 600)
    assert errors[:, 1:].sum() == 0
    np.testing.assert_allclose(radial_errors_mm(pred, true, 300.0)[0], errors[0])


def test_mre_and_sdr_by_hand() -> None:
    errors = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 0.5, 2.5, 10.0]])
    assert mean_radial_error(errors) == pytest.approx(28.0 / 8)
    assert success_detection_rate(errors, 2.0) == pytest.approx(3 / 8)  # 1, 2, 0.5; 2 counts
    assert success_detection_rate(errors, 3.0) == pytest.approx(5 / 8)
    assert success_detection_rate(errors, 4.0) == pytest.approx(6 / 8)
    mask = np.array([[1, 1, 0, 0, 0, 0, 0, 1]], dtype=bool)
    assert mean_radial_error(errors, mask) == pytest.approx(13.0 / 3)
    assert success_detection_rate(errors, 2.0, mask) == pytest.approx(2 / 3)


def test_empty_mask_gives_nan_not_an_error() -> None:
    errors = np.ones((2, 8))
    nothing = np.zeros((2, 8), dtype=bool)
    assert math.isnan(mean_radial_error(errors, nothing))
    assert math.isnan(success_detection_rate(errors, 2.0, nothing))
    assert math.isnan(nmae(np.ones((2, 8, 2)), np.ones((2, 8, 2)), nothing))
    table = per_landmark_table(errors, nothing)
    assert table["n"].eq(0).all() and table["mre_mm"].isna().all()


def test_missing_prediction_is_a_miss() -> None:
    errors = np.array([[np.nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    assert success_detection_rate(errors, 2.0) == pytest.approx(7 / 8)
    assert math.isnan(mean_radial_error(errors))


def test_per_landmark_table_by_hand() -> None:
    errors = np.zeros((3, 8))
    errors[:, 0] = [1.0, 2.0, 6.0]
    visible = np.ones((3, 8), dtype=bool)
    visible[2, 1] = False
    table = per_landmark_table(errors, visible)
    assert list(table["landmark"]) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert table.loc[0, "name"] == "hallux tip"
    first = table.iloc[0]
    assert first["mre_mm"] == pytest.approx(3.0)
    assert first["sd_mm"] == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1))
    assert first["median_mm"] == pytest.approx(2.0)
    assert first["sdr_2mm"] == pytest.approx(2 / 3)
    assert first["sdr_4mm"] == pytest.approx(2 / 3)
    assert table.loc[1, "n"] == 2 and table.loc[0, "n"] == 3


def test_summary_keys_and_values() -> None:
    true = np.full((1, 8, 2), 300.0)
    pred = true.copy()
    pred[0, 0, 0] += 30.0  # 30 px at 300 dpi = 2.54 mm, on point 1 only
    visible = np.ones((1, 8), dtype=bool)
    visible[0, 1] = False
    result = summary(pred, true, 300.0, visible, pred_input=pred / 3, true_input=true / 3)
    assert set(result) == {
        f"{key}{suffix}"
        for key in ("nmae", "mre_mm", "sdr_2mm", "sdr_3mm", "sdr_4mm")
        for suffix in ("", "_visible")
    }
    assert result["mre_mm"] == pytest.approx(2.54 / 8)
    assert result["mre_mm_visible"] == pytest.approx(2.54 / 7)
    assert result["sdr_2mm"] == pytest.approx(7 / 8)
    assert result["sdr_3mm_visible"] == pytest.approx(1.0)
    assert result["nmae"] == pytest.approx(0.1 / 16)  # 10 / 100 on one of 16 coordinates
    assert "nmae" not in summary(pred, true, 300.0, visible)


def test_foot_length_fraction() -> None:
    true = np.zeros((1, 8, 2))
    true[0, 7] = [0.0, 200.0]  # heel
    true[0, 0] = [0.0, 0.0]  # hallux: 200 px away
    true[0, 1] = [30.0, 40.0]  # sqrt(30^2 + 160^2) < 200
    true[0, 2:5] = [50.0, 100.0]
    assert foot_length_px(true)[0] == pytest.approx(200.0)
    pred = true.copy()
    pred[0, 5] += [6.0, 8.0]  # 10 px
    fraction = errors_as_foot_length_fraction(pred, true)
    assert fraction[0, 5] == pytest.approx(10 / 200)
    assert fraction[0, [0, 1, 2, 3, 4, 6, 7]].sum() == 0


def test_radial_errors_with_per_sample_mm_matrices() -> None:
    """A page calibration's matrix replaces the dpi: a diagonal one gives the dpi result, a
    projective one measures on the page."""
    pred = np.array([[[10.0, 0.0]], [[0.0, 0.0]]])
    true = np.zeros((2, 1, 2))
    dpi = np.array([300.0, 150.0])
    diagonal = np.stack([np.diag([25.4 / d, 25.4 / d, 1.0]) for d in dpi])
    np.testing.assert_allclose(radial_errors_mm(pred, true, diagonal), radial_errors_mm(pred, true, dpi))
    # x_mm = 2 x / (1 + 0.01 x): the point (10, 0) maps to 20 / 1.1 mm, the origin to 0
    projective = np.array([[[2.0, 0, 0], [0, 2.0, 0], [0.01, 0, 1.0]]] * 2)
    errors = radial_errors_mm(pred, true, projective)
    assert errors[0, 0] == pytest.approx(20 / 1.1) and errors[1, 0] == 0.0
