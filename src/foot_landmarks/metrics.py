"""Landmark error metrics, exactly as ../shared/LANDMARKS.md defines them.

Shapes: points are (N, 8, 2) [x, y] arrays ordered by landmark id 1..8; per-point quantities
(errors, masks) are (N, 8). A `mask` selects the points that count (e.g. the visible ones); a
mask that selects nothing gives nan, never an exception. Errors that are nan (no prediction) are
carried through: they make MRE nan and count as misses in SDR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from foot_landmarks.geometry import apply_to_points
from foot_landmarks.landmarks import LANDMARK_IDS, LANDMARK_NAMES, MM_PER_INCH, TOE_IDS

SDR_RADII_MM: tuple[float, ...] = (2.0, 3.0, 4.0)


def _point_mask(shape: tuple[int, ...], mask: np.ndarray | None) -> np.ndarray:
    """(N, 8) bool mask, all True when `mask` is None."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    mask = np.asarray(mask).astype(bool)
    if mask.shape != shape:
        raise ValueError(f"mask shape {mask.shape} does not match the points' {shape}")
    return mask


def nmae(pred: np.ndarray, true: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Normalised mean absolute error (study, eq. 1), in the network's input frame.

        NMAE = 1 / (2 M) * sum_{points} sum_{c in x, y} |y_c - yhat_c| / |y_c|

    over the M points selected by `mask` (all if None). `true` is y, `pred` is yhat, both in
    input-frame px: the value depends on that frame, so report it with the input size. A true
    coordinate of exactly 0 makes the term infinite, as the formula says.
    """
    pred, true = np.asarray(pred, dtype=float), np.asarray(true, dtype=float)
    selected = _point_mask(true.shape[:-1], mask)
    if not selected.any():
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(true - pred) / np.abs(true)
    return float(relative[selected].mean())


def radial_errors_mm(pred_px: np.ndarray, true_px: np.ndarray, dpi: np.ndarray | float) -> np.ndarray:
    """(N, 8) Euclidean errors in mm: ||pred - true|| * 25.4 / dpi.

    Points are in ORIGINAL scan px (the frame the dpi belongs to); dpi is per sample, (N,), or
    one number for all. A photo has no dpi: pass instead each sample's original px -> mm matrix
    (N, 3, 3), e.g. a page calibration's homography, and the errors are measured on the page.
    """
    pred_px, true_px = np.asarray(pred_px, dtype=float), np.asarray(true_px, dtype=float)
    dpi = np.asarray(dpi, dtype=float)
    if dpi.ndim == 3:
        return np.linalg.norm(apply_to_points(dpi, pred_px) - apply_to_points(dpi, true_px), axis=-1)
    distance_px = np.linalg.norm(pred_px - true_px, axis=-1)
    if dpi.ndim == 1:
        dpi = dpi[:, None]  # one dpi per sample, broadcast over its landmarks
    return distance_px * MM_PER_INCH / dpi


def mean_radial_error(errors_mm: np.ndarray, mask: np.ndarray | None = None) -> float:
    """MRE = mean of the radial errors (mm) of the selected points; nan if none is selected."""
    errors_mm = np.asarray(errors_mm, dtype=float)
    selected = _point_mask(errors_mm.shape, mask)
    return float(errors_mm[selected].mean()) if selected.any() else float("nan")


def success_detection_rate(
    errors_mm: np.ndarray, radius_mm: float, mask: np.ndarray | None = None
) -> float:
    """SDR@r = share of the selected points with radial error <= r mm (0..1); nan if none."""
    errors_mm = np.asarray(errors_mm, dtype=float)
    selected = _point_mask(errors_mm.shape, mask)
    if not selected.any():
        return float("nan")
    return float((errors_mm[selected] <= radius_mm).mean())  # nan <= r is False: a miss


def per_landmark_table(errors_mm: np.ndarray, visible: np.ndarray | None = None) -> pd.DataFrame:
    """One row per landmark 1..8 over the samples where it is selected by `visible`.

    Columns: landmark, name, mre_mm, sd_mm (sample SD, ddof=1), median_mm, sdr_2mm, sdr_3mm,
    sdr_4mm (0..1), n (points counted). A landmark with no selected point has nan statistics.
    """
    errors_mm = np.asarray(errors_mm, dtype=float)
    selected = _point_mask(errors_mm.shape, visible)
    rows = []
    for column, landmark in enumerate(LANDMARK_IDS):  # 8 rows: a loop reads best here
        errors = errors_mm[selected[:, column], column]
        n = len(errors)
        row = {
            "landmark": landmark,
            "name": LANDMARK_NAMES[landmark],
            "mre_mm": errors.mean() if n else np.nan,
            "sd_mm": errors.std(ddof=1) if n > 1 else np.nan,
            "median_mm": np.median(errors) if n else np.nan,
        }
        for radius in SDR_RADII_MM:
            row[f"sdr_{radius:g}mm"] = (errors <= radius).mean() if n else np.nan
        row["n"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def summary(
    pred_orig: np.ndarray,
    true_orig: np.ndarray,
    dpi: np.ndarray | float,
    visible: np.ndarray | None = None,
    pred_input: np.ndarray | None = None,
    true_input: np.ndarray | None = None,
) -> dict[str, float]:
    """The headline numbers, over all points and over the visible ones (suffix `_visible`).

    Keys: mre_mm, sdr_2mm, sdr_3mm, sdr_4mm (from ORIGINAL scan px and dpi) and, when the
    input-frame points are given, nmae; each also as `<key>_visible`.
    """
    errors = radial_errors_mm(pred_orig, true_orig, dpi)
    visible_mask = _point_mask(errors.shape, visible)
    result: dict[str, float] = {}
    for suffix, mask in (("", None), ("_visible", visible_mask)):
        if pred_input is not None and true_input is not None:
            result[f"nmae{suffix}"] = nmae(pred_input, true_input, mask)
        result[f"mre_mm{suffix}"] = mean_radial_error(errors, mask)
        for radius in SDR_RADII_MM:
            result[f"sdr_{radius:g}mm{suffix}"] = success_detection_rate(errors, radius, mask)
    return result


def foot_length_px(true_px: np.ndarray) -> np.ndarray:
    """(N,) foot length: distance from point 8 (heel) to the farthest toe tip (points 1-5)."""
    true_px = np.asarray(true_px, dtype=float)
    heel = true_px[:, LANDMARK_IDS.index(8)]
    toes = true_px[:, [LANDMARK_IDS.index(t) for t in TOE_IDS]]
    return np.linalg.norm(toes - heel[:, None], axis=-1).max(axis=1)


def errors_as_foot_length_fraction(pred_px: np.ndarray, true_px: np.ndarray) -> np.ndarray:
    """(N, 8) radial errors as a fraction of each foot's length (for images without a dpi).

        e_ij = ||pred_ij - true_ij|| / max_{t in 1..5} ||true_i8 - true_it||

    Any consistent pixel frame works (the ratio has no unit); the foot length is taken from the
    true points.
    """
    pred_px, true_px = np.asarray(pred_px, dtype=float), np.asarray(true_px, dtype=float)
    distance_px = np.linalg.norm(pred_px - true_px, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return distance_px / foot_length_px(true_px)[:, None]
