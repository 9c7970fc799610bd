"""Scoring predictions on data the project did not make: feet found, errors per point and foot.

The truth is a VIA annotation of whole images (one or two feet each); the prediction is the
landmark table of foot_landmarks.inference (8 rows per foot found). Predicted feet are matched to
annotated feet by the Hungarian assignment on the distance between the feet's centres (mean of
the 8 points), so a mirrored or badly placed foot still counts as found, and its errors count.
A foot is found when a predicted foot is assigned to it with its centre within
`FOUND_CENTRE_FRAC` of the foot length.

Errors are radial distances in image pixels, as a fraction of the foot length (LANDMARKS.md: heel
to the farthest toe tip, from the true points: no scale is needed) and in mm where a dpi is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from foot_landmarks.io.via import ViaAnnotations
from foot_landmarks.landmarks import LANDMARK_IDS, MM_PER_INCH
from foot_landmarks.metrics import foot_length_px

FOUND_CENTRE_FRAC = 0.25  # of the foot length: a predicted foot centred farther away is another foot
FAR_FRAC = 0.05  # of the foot length: "a point beyond 5 %" (issue 18's long-tail measure)
CLOSE_FRAC = 0.02  # of the foot length: "points within 2 %"
FAR_MM = (4.0, 20.0)  # mm: the long-tail measures where a dpi is known
POINT_COLUMNS = [
    "image", "foot", "landmark", "visible", "found", "x_true", "y_true", "x_pred", "y_pred",
    "error_px", "error_frac", "error_mm", "confidence", "low_confidence", "foot_length_px",
]


TRUTH_COLUMNS = ["image", "foot", "dpi", "points", "visible", "foot_length_px"]


def truth_foot(image: str, foot: str, dpi: float, points: np.ndarray, visible: np.ndarray) -> dict:
    """One annotated foot as the scoring reads it (a row of `annotated_feet`); `dpi` nan where
    none is known."""
    xy = np.asarray(points, float)
    return {
        "image": image,
        "foot": foot,
        "dpi": float(pd.to_numeric(dpi, errors="coerce")),
        "points": xy,
        "visible": np.asarray(visible, int),
        "foot_length_px": float(foot_length_px(xy[None])[0]),
    }


def annotated_feet(annotations: ViaAnnotations) -> pd.DataFrame:
    """One row per usable annotated foot (`truth_foot`): image, foot ("" or left/right), dpi,
    points (8, 2), visible (8,), foot_length_px. Feet without all 8 points are left out."""
    images = annotations.images.set_index("image")
    rows = []
    points = annotations.points.assign(foot=annotations.points["foot"].fillna("").astype(str))
    for (image, foot), group in points.groupby(["image", "foot"], sort=True):
        if image not in images.index or not bool(images.at[image, "usable"]):
            continue
        group = group.drop_duplicates("landmark").set_index("landmark").reindex(list(LANDMARK_IDS))
        if group[["x", "y"]].isna().any().any():
            continue
        visible = group["visible"].fillna(1).astype(int).to_numpy()
        rows.append(truth_foot(image, foot, images.at[image, "dpi"], group[["x", "y"]].to_numpy(float), visible))
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


def predicted_feet(landmarks: pd.DataFrame) -> pd.DataFrame:
    """The landmark table (8 rows per foot) as one row per predicted foot: image, points (8, 2),
    confidence (8,), low_confidence (8,)."""
    if landmarks.empty:
        return pd.DataFrame(columns=["image", "points", "confidence", "low_confidence"])
    table = landmarks.assign(foot=landmarks["foot"].fillna("").astype(str))
    rows = []
    for (image, _), group in table.groupby(["image", "foot"], sort=True):
        group = group.drop_duplicates("landmark").set_index("landmark").reindex(list(LANDMARK_IDS))
        rows.append(
            {
                "image": image,
                "points": group[["x_px", "y_px"]].to_numpy(float),
                "confidence": group["confidence"].to_numpy(float),
                "low_confidence": group["low_confidence"].fillna(False).astype(bool).to_numpy(),
            }
        )
    return pd.DataFrame(rows)


def match_feet(truth: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """`truth` (annotated_feet) with the predicted foot assigned to each: columns pred_points,
    confidence, low_confidence, found. Unfound feet keep NaN points."""
    out = []
    predicted_by_image = {image: group.reset_index(drop=True) for image, group in predicted.groupby("image")}
    for image, feet in truth.groupby("image", sort=True):
        feet = feet.reset_index(drop=True)
        candidates = predicted_by_image.get(image, predicted.iloc[:0])
        assigned: dict[int, int] = {}
        if len(candidates):
            centres_true = np.stack([np.nanmean(p, axis=0) for p in feet["points"]])
            centres_pred = np.stack([np.nanmean(p, axis=0) for p in candidates["points"]])
            cost = np.linalg.norm(centres_true[:, None] - centres_pred[None], axis=-1)
            cost = np.where(np.isfinite(cost), cost, 1e12)
            for i, j in zip(*linear_sum_assignment(cost)):
                if cost[i, j] <= FOUND_CENTRE_FRAC * feet.at[i, "foot_length_px"]:
                    assigned[i] = j
        for i, foot in feet.iterrows():
            j = assigned.get(i)
            found = j is not None
            out.append(
                {
                    **foot.to_dict(),
                    "found": found,
                    "pred_points": candidates.at[j, "points"] if found else np.full((8, 2), np.nan),
                    "confidence": candidates.at[j, "confidence"] if found else np.full(8, np.nan),
                    "low_confidence": candidates.at[j, "low_confidence"] if found else np.zeros(8, bool),
                }
            )
    return pd.DataFrame(out)


def point_errors(matched: pd.DataFrame) -> pd.DataFrame:
    """One row per annotated point: truth, prediction, radial error in px, as a fraction of the
    foot length and in mm (NaN without a dpi), the prediction's confidence."""
    rows = []
    for foot in matched.itertuples():
        error_px = np.linalg.norm(foot.pred_points - foot.points, axis=-1)
        mm_per_px = MM_PER_INCH / foot.dpi if np.isfinite(foot.dpi) and foot.dpi > 0 else np.nan
        for k, landmark in enumerate(LANDMARK_IDS):
            rows.append(
                {
                    "image": foot.image,
                    "foot": foot.foot,
                    "landmark": landmark,
                    "visible": int(foot.visible[k]),
                    "found": foot.found,
                    "x_true": foot.points[k, 0],
                    "y_true": foot.points[k, 1],
                    "x_pred": foot.pred_points[k, 0],
                    "y_pred": foot.pred_points[k, 1],
                    "error_px": error_px[k],
                    "error_frac": error_px[k] / foot.foot_length_px,
                    "error_mm": error_px[k] * mm_per_px,
                    "confidence": foot.confidence[k],
                    "low_confidence": bool(foot.low_confidence[k]),
                    "foot_length_px": foot.foot_length_px,
                }
            )
    return pd.DataFrame(rows, columns=POINT_COLUMNS)


def foot_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """One row per annotated foot: found, mean and max error (fraction, mm), any point beyond 5 %,
    whether any of its points was flagged low-confidence, and whether a point more than 20 mm
    off was not."""
    far_unflagged = (errors["error_mm"] > FAR_MM[1]) & ~errors["low_confidence"].astype(bool)
    # a one-foot image's foot is "" (NaN once read back from CSV): a group of its own
    errors = errors.assign(far_unflagged=far_unflagged, foot=errors["foot"].fillna(""))
    grouped = errors.groupby(["image", "foot"], sort=True)
    table = grouped.agg(
        found=("found", "first"),
        mean_frac=("error_frac", "mean"),
        max_frac=("error_frac", "max"),
        mean_mm=("error_mm", "mean"),
        max_mm=("error_mm", "max"),
        flagged=("low_confidence", "any"),
        far_unflagged=("far_unflagged", "any"),
    ).reset_index()
    table["any_beyond_5pct"] = table["max_frac"] > FAR_FRAC
    return table


def summary(errors: pd.DataFrame) -> dict[str, float]:
    """The outside measures of one set (issue 18 item 1): feet found / annotated, mean and median
    error as % of the foot length over found feet, share of points within 2 %, share of found feet
    with any point beyond 5 %; in mm where every foot has a dpi (MRE, SDR, feet beyond 4 mm, feet
    beyond 20 mm not flagged). The error measures come over all points and, suffixed `_visible`,
    over the visible ones (LANDMARKS.md: a toe that left no ink has only its outline's tip)."""
    out = _measures(errors)
    visible = errors[errors["visible"].fillna(1).astype(int) == 1]
    out.update({f"{k}_visible": v for k, v in _measures(visible).items() if k not in ("feet_annotated", "feet_found", "found_share")})
    return out


def _measures(errors: pd.DataFrame) -> dict[str, float]:
    feet = foot_errors(errors)
    found = errors[errors["found"]]
    out = {
        "feet_annotated": float(len(feet)),
        "feet_found": float(feet["found"].sum()),
        "found_share": float(feet["found"].mean()) if len(feet) else float("nan"),
        "mean_error_pct": 100 * float(found["error_frac"].mean()),
        "median_error_pct": 100 * float(found["error_frac"].median()),
        "points_within_2pct": 100 * float((found["error_frac"] <= CLOSE_FRAC).mean()),
        "feet_any_beyond_5pct": 100 * float(feet.loc[feet["found"], "any_beyond_5pct"].mean()),
    }
    if len(found) and found["error_mm"].notna().all():
        found_feet = feet[feet["found"]]
        out.update(
            mre_mm=float(found["error_mm"].mean()),
            median_mm=float(found["error_mm"].median()),
            sdr_2mm=100 * float((found["error_mm"] <= 2).mean()),
            sdr_4mm=100 * float((found["error_mm"] <= 4).mean()),
            feet_any_beyond_4mm=100 * float((found_feet["max_mm"] > FAR_MM[0]).mean()),
            # a point more than 20 mm off that the prediction did not flag low-confidence
            feet_beyond_20mm_unflagged=float(found_feet["far_unflagged"].sum()),
        )
    return out


def per_landmark(errors: pd.DataFrame) -> pd.DataFrame:
    """Per landmark over found feet: mean / median error as % of the foot length (and mm), share
    within 2 % and beyond 5 %."""
    found = errors[errors["found"]]
    table = found.groupby("landmark").agg(
        points=("error_frac", "size"),
        mean_pct=("error_frac", lambda e: 100 * e.mean()),
        median_pct=("error_frac", lambda e: 100 * e.median()),
        within_2pct=("error_frac", lambda e: 100 * (e <= CLOSE_FRAC).mean()),
        beyond_5pct=("error_frac", lambda e: 100 * (e > FAR_FRAC).mean()),
        mean_mm=("error_mm", "mean"),
    )
    return table.reset_index()


def by_confidence_decile(errors: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Error by confidence decile (lowest confidence first): does a low confidence mark the wrong
    points? Deciles of the found points' confidence; ties share a bin."""
    found = errors[errors["found"] & errors["confidence"].notna()].copy()
    if found.empty:
        return pd.DataFrame(columns=["decile", "points", "confidence_min", "confidence_max", "mean_pct", "beyond_5pct"])
    ranks = found["confidence"].rank(method="first")
    found["decile"] = np.minimum((bins * (ranks - 1) / len(found)).astype(int), bins - 1) + 1
    table = found.groupby("decile").agg(
        points=("error_frac", "size"),
        confidence_min=("confidence", "min"),
        confidence_max=("confidence", "max"),
        mean_pct=("error_frac", lambda e: 100 * e.mean()),
        beyond_5pct=("error_frac", lambda e: 100 * (e > FAR_FRAC).mean()),
    )
    return table.reset_index()
