"""From landmarks to an insole: measurements, footprint indices, insole outline and a report.

One call per foot: :func:`clinical_outputs` (scan path + the 8 landmark rows of
ScanPredictor.predict_scan) gives one flat dict (floats / strings) suitable as a CSV row, and the
foot's files as functions that make them when called: the insole outline as SVG and DXF text,
the report page as a matplotlib figure (saved as PNG and PDF). Nothing is written here: the
inference pipeline's catalog saves them (foot_landmarks.clinical.files for the predict command).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage import morphology

from foot_landmarks import geometry as geo
from foot_landmarks.clinical.footprint_indices import footprint_indices
from foot_landmarks.clinical.insole import insole_outline_px, landmarks_mm, outline_mm, to_dxf, to_svg
from foot_landmarks.clinical.measurements import measurements
from foot_landmarks.io.datasets import ScanImage, reduction_for
from foot_landmarks.landmarks import LANDMARK_IDS, LANDMARK_NAMES, px_to_mm
from foot_landmarks.pages import read_page
from foot_landmarks.preprocessing import analysis_copy
from foot_landmarks.segmentation import SegmentationParams, print_problem, segment_print

__all__ = [
    "ClinicalOutputs",
    "PrintMask",
    "clinical_outputs",
    "footprint_indices",
    "insole_outline_px",
    "landmarks_frame",
    "measurements",
    "print_mask",
    "to_dxf",
    "to_svg",
]

MASK_LONG_SIDE = 1200  # px: the print mask is made at about this resolution (0.25 mm/px on A4)
REFINE_CLOSING_MM = 0.6  # closes the ink's ridge texture, keeps toe gaps wider than ~1.2 mm


@dataclass
class PrintMask:
    """The print of one scan: `mask` (bool) and `mask_to_px` (mask px -> original scan px)."""

    mask: np.ndarray
    mask_to_px: np.ndarray
    problem: str | None = None


@dataclass
class ClinicalOutputs:
    """One foot's measurement row, and its files by kind ("insole_svg", "insole_dxf",
    "report_png", "report_pdf"), each a function that makes the file's content when called."""

    row: dict[str, float | str]
    files: dict[str, Callable]


def print_mask(
    scan_path: str | Path, dpi: float | None = None, long_side: int = MASK_LONG_SIDE,
    seg_params: SegmentationParams | None = None,
) -> PrintMask:
    """Segment the print on the scan (foot_landmarks.segmentation) at about `long_side` px.

    segment_print closes the ink generously (it decides what is print), which can join toes to
    the ball; the mask used here is the raw ink (at segment_print's threshold) inside the found
    print, closed by only ~0.6 mm (with dpi known) and hole-filled, so toe gaps survive.
    """
    scan = ScanImage(str(scan_path))
    w, h = scan.size()
    # the look normalised first (a bare sole on glass, a colour map, a photographed sheet): the
    # segmentation reads dark ink on light paper, as for the crops
    page = read_page(scan, reduction_for(max(w, h), long_side))
    gray, to_work = page.gray, page.to_work
    small, k = analysis_copy(gray, long_side)
    to_small = geo.compose(to_work, geo.scale_matrix(1.0 / k, 1.0 / k))
    mask_to_px = geo.invert(to_small)
    seg = segment_print(small, seg_params)
    problem = print_problem(seg, seg_params)
    if not seg.found:
        return PrintMask(np.zeros(small.shape, bool), mask_to_px, problem)
    px_size = math.sqrt(abs(np.linalg.det(mask_to_px[:2, :2])))  # original px per mask px
    mm_per_px = px_to_mm(px_size, dpi) if dpi and math.isfinite(dpi) else px_size * 25.4 / 300.0
    radius = max(1, round(REFINE_CLOSING_MM / float(mm_per_px)))
    ink = (small <= seg.threshold) & ndi.binary_dilation(seg.mask, iterations=2)
    ink = morphology.closing(ink, morphology.disk(radius))
    ink = ndi.binary_fill_holes(ink) & ndi.binary_dilation(seg.mask, iterations=2)
    ink = morphology.remove_small_objects(ink, max_size=max(4, int(0.002 * seg.mask.sum())))
    return PrintMask(ink, mask_to_px, problem)


def landmarks_frame(
    points, image: str = "", side: str = "", dpi: float = math.nan, confidence=None,
    low_confidence: float = 0.3, side_source: str = "annotation", scale_source: str = "given",
) -> pd.DataFrame:
    """An 8-row table shaped like ScanPredictor.predict_scan's, from (8, 2) points in original px."""
    pts = np.asarray(points, dtype=float)
    conf = np.ones(8) if confidence is None else np.asarray(confidence, dtype=float)
    mm = np.asarray(px_to_mm(pts, dpi))
    return pd.DataFrame({
        "image": image, "foot": "", "landmark": list(LANDMARK_IDS),
        "name": [LANDMARK_NAMES[k] for k in LANDMARK_IDS],
        "x_px": pts[:, 0], "y_px": pts[:, 1], "x_mm": mm[:, 0], "y_mm": mm[:, 1],
        "confidence": conf, "low_confidence": conf < low_confidence,
        "side": side, "side_source": side_source, "dpi": float(dpi), "scale_source": scale_source,
    })


def clinical_outputs(scan_path: str | Path, landmarks_df: pd.DataFrame, report: bool = True) -> ClinicalOutputs:
    """Measurements, indices, insole (SVG + DXF) and report (PNG + PDF) of one foot of a scan.

    `landmarks_df`: its 8 rows of ScanPredictor.predict_scan (x_px, y_px in original scan px;
    dpi, side, confidence columns). Without a dpi there is no insole (it must be 1:1 in mm) and
    the mm values are NaN; ``insole_note`` in the row says so.
    """
    stem = Path(str(scan_path)).stem
    df = landmarks_df.sort_values("landmark")
    if len(df) != 8 or list(df["landmark"]) != list(LANDMARK_IDS):
        raise ValueError(f"{scan_path}: expected the 8 landmarks 1..8, got {list(df['landmark'])}")
    points = df[["x_px", "y_px"]].to_numpy(float)
    first = df.iloc[0]
    dpi = float(first["dpi"]) if "dpi" in df and pd.notna(first["dpi"]) else math.nan
    pm = print_mask(scan_path, dpi)

    row: dict[str, float | str] = {
        "image": str(scan_path),
        "side": str(first.get("side", "")),
        "side_source": str(first.get("side_source", "")),
        "dpi": dpi,
        "scale_source": str(first.get("scale_source", "")),
        "print_problem": pm.problem or "",
    }
    has_print = bool(pm.mask.any())
    row.update(measurements(points, dpi, pm.mask if has_print else None, pm.mask_to_px))
    if has_print:
        indices = footprint_indices(pm.mask, points, pm.mask_to_px)
        for key in ("min_midfoot_width", "max_forefoot_width", "max_heel_width", "sole_length"):
            indices[f"{key}_mm"] = float(px_to_mm(indices.pop(f"{key}_px"), dpi))
        row.update(indices)
    conf = df["confidence"].to_numpy(float) if "confidence" in df else np.full(8, math.nan)
    low = df["low_confidence"].to_numpy(bool) if "low_confidence" in df else np.zeros(8, bool)
    row["min_confidence"] = float(np.nanmin(conf)) if np.isfinite(conf).any() else math.nan
    row["n_low_confidence"] = float(low.sum())
    row["low_confidence_landmarks"] = ";".join(str(k) for k in df["landmark"][low])

    outline = insole_outline_px(points, dpi, pm.mask if has_print else None, pm.mask_to_px)
    files: dict[str, Callable] = {}
    if math.isfinite(dpi):
        o_mm, l_mm = outline_mm(outline, dpi), landmarks_mm(points, dpi)
        files["insole_svg"] = partial(to_svg, o_mm, l_mm, title=stem)
        files["insole_dxf"] = partial(to_dxf, o_mm, l_mm)
        row["insole_note"] = ""
    else:
        row["insole_note"] = "no dpi: insole not written (it must be 1:1 in mm)"
    if report:
        from foot_landmarks.clinical.report import report_figure

        # one page, saved twice (PNG and PDF): each save draws it afresh, so no figure waits in memory
        files["report_png"] = files["report_pdf"] = partial(report_figure, scan_path, df, row, outline)
    return ClinicalOutputs(row, files)
