"""Outside-set scoring: feet matched, found, and their errors, against hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from foot_landmarks.external.scoring import (
    annotated_feet,
    by_confidence_decile,
    match_feet,
    point_errors,
    predicted_feet,
    summary,
)
from foot_landmarks.io.via import ViaAnnotations
from foot_landmarks.landmarks import LANDMARK_IDS

# A foot 100 px long (heel (0, 100) to hallux (0, 0)), upright.
FOOT = np.array([[0, 0], [10, 2], [20, 6], [30, 10], [40, 15], [-5, 30], [45, 35], [0, 100]], float)


def _truth(feet: dict[tuple[str, str], np.ndarray], dpi: float = float("nan")) -> ViaAnnotations:
    images = pd.DataFrame(
        [{"image": image, "file_size": 1, "side": "", "subject": image, "dpi": dpi, "source": "t", "usable": True,
          "attributes": {}} for image in sorted({i for i, _ in feet})]
    )
    points = pd.DataFrame(
        [{"image": image, "landmark": k, "x": x, "y": y, "visible": 1, "foot": foot}
         for (image, foot), xy in feet.items() for k, (x, y) in zip(LANDMARK_IDS, xy)]
    )
    return ViaAnnotations(images, points)


def _prediction(image: str, foot: str, xy: np.ndarray, confidence: float = 0.9) -> pd.DataFrame:
    return pd.DataFrame({"image": image, "foot": foot, "landmark": list(LANDMARK_IDS), "x_px": xy[:, 0],
                         "y_px": xy[:, 1], "confidence": confidence, "low_confidence": confidence < 0.3})


def test_each_foot_takes_its_own_prediction_and_the_errors_are_fractions_of_its_length():
    truth = _truth({("sheet.jpg", "left"): FOOT, ("sheet.jpg", "right"): FOOT + [300, 0]})
    # predictions in the other order, the right foot's labelled wrongly: matching is by place
    moved = FOOT + [300, 0]
    moved[7] += [0, 5]  # heel 5 px off = 5 % of 100 px
    predicted = pd.concat([_prediction("sheet.jpg", "left", moved), _prediction("sheet.jpg", "right", FOOT)])
    errors = point_errors(match_feet(annotated_feet(truth), predicted_feet(predicted)))
    by_foot = errors.groupby("foot")["error_frac"].max()
    assert by_foot["left"] == 0 and np.isclose(by_foot["right"], 0.05)
    result = summary(errors)
    assert result["feet_found"] == 2 and result["feet_annotated"] == 2
    assert np.isclose(result["mean_error_pct"], 100 * 0.05 / 16)
    assert np.isclose(result["points_within_2pct"], 100 * 15 / 16)
    assert result["feet_any_beyond_5pct"] == 0  # 5 % is not beyond 5 %


def test_a_prediction_far_from_every_foot_does_not_count_as_finding_it():
    truth = _truth({("a.jpg", ""): FOOT})
    errors = point_errors(match_feet(annotated_feet(truth), predicted_feet(_prediction("a.jpg", "", FOOT + [60, 0]))))
    assert not errors["found"].any()
    assert summary(errors)["feet_found"] == 0


def test_millimetres_and_the_unflagged_long_tail_with_a_dpi():
    truth = _truth({("a.jpg", ""): FOOT}, dpi=25.4)  # 1 px = 1 mm
    off = FOOT.copy()
    off[6] += [21, 0]  # point 7 21 mm off, confidently
    result = summary(point_errors(match_feet(annotated_feet(truth), predicted_feet(_prediction("a.jpg", "", off)))))
    assert np.isclose(result["mre_mm"], 21 / 8)
    assert result["feet_any_beyond_4mm"] == 100 and result["feet_beyond_20mm_unflagged"] == 1
    flagged = summary(point_errors(match_feet(annotated_feet(truth), predicted_feet(_prediction("a.jpg", "", off, 0.1)))))
    assert flagged["feet_beyond_20mm_unflagged"] == 0


def test_measures_over_visible_points_leave_out_a_toe_that_left_no_ink():
    truth = _truth({("a.jpg", ""): FOOT}, dpi=25.4)  # 1 px = 1 mm
    truth.points.loc[truth.points["landmark"] == 5, "visible"] = 0
    off = FOOT.copy()
    off[4] += [0, 16]  # the ink-less fifth toe 16 mm off
    off[0] += [0, 8]  # the hallux 8 mm off
    result = summary(point_errors(match_feet(annotated_feet(truth), predicted_feet(_prediction("a.jpg", "", off)))))
    assert np.isclose(result["mre_mm"], 24 / 8) and np.isclose(result["mre_mm_visible"], 8 / 7)
    assert np.isclose(result["mean_error_pct"], 100 * 0.24 / 8)
    assert np.isclose(result["mean_error_pct_visible"], 100 * 0.08 / 7)
    assert result["feet_any_beyond_4mm_visible"] == 100
    assert result["feet_any_beyond_5pct"] == 100 and result["feet_any_beyond_5pct_visible"] == 100
    assert "found_share_visible" not in result


def test_confidence_deciles_put_the_least_confident_points_first():
    errors = pd.DataFrame({"found": True, "confidence": np.linspace(0, 1, 20), "error_frac": np.linspace(0.1, 0.0, 20)})
    table = by_confidence_decile(errors)
    assert list(table["decile"]) == list(range(1, 11))
    assert table["mean_pct"].is_monotonic_decreasing
