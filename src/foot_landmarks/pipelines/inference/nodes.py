"""Nodes of the inference pipeline."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath

import pandas as pd

from foot_landmarks.inference import draw_overlay, split_predictions
from foot_landmarks.io.datasets import IMAGE_SUFFIXES

log = logging.getLogger(__name__)


def predict_scans(
    model, scans: Mapping[str, Callable], dpi: float | None = None, page_size: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Landmarks of every scan (landmarks.csv) and the scans that failed (errors.csv), by the
    registered model `model` (the catalog's `landmark_model`).

    `dpi` for files that do not state one; `page_size` to calibrate photographed sheets without dpi."""
    paths = [scans[key]().path for key in sorted(scans) if key.lower().endswith(IMAGE_SUFFIXES)]
    frame = pd.DataFrame({"image": paths})
    if dpi is not None:
        frame["dpi"] = float(dpi)
    if page_size:
        frame["page_size"] = str(page_size)
    landmarks, errors = split_predictions(model.predict(frame))
    log.info("%d scans predicted, %d failed", landmarks["image"].nunique(), len(errors))
    return landmarks, errors


def draw_overlays(landmarks: pd.DataFrame) -> dict[str, Callable]:
    """One PNG per scan with its landmarks (saved lazily, one at a time)."""
    return {
        PurePosixPath(image).stem: (lambda image=image, rows=rows: draw_overlay(image, rows))
        for image, rows in landmarks.groupby("image", sort=True)
    }


def measure_feet(landmarks: pd.DataFrame, enabled: bool = True) -> dict[str, pd.DataFrame | dict[str, Callable]]:
    """Clinical measurements and indices per scan and foot (`measurements`: measurements.csv),
    and each foot's 1:1 insole outline (SVG, DXF) and one-page report (PNG, PDF): one partition
    per foot, made when saved.

    A foot's partition name is the scan's stem, under a folder named after the foot on a two-foot
    sheet (the two feet's files keep the scan's name); its row holds it as `clinical_files`.
    """
    from foot_landmarks.clinical import clinical_outputs
    from foot_landmarks.clinical.files import CLINICAL_FILES

    rows, files = [], {kind: {} for kind in CLINICAL_FILES}
    if enabled and not landmarks.empty:
        for (image, foot), rows_of_foot in landmarks.groupby(["image", "foot"], sort=True, dropna=False):
            foot = foot if isinstance(foot, str) else ""
            name = "/".join(filter(None, (foot, PurePosixPath(image).stem)))
            try:
                outputs = clinical_outputs(image, rows_of_foot)
            except ValueError as exc:  # a print the clinical step cannot measure: say so, go on
                log.warning("%s", exc)
                rows.append({"image": image, "foot": foot, "print_problem": str(exc)})
                continue
            rows.append({"foot": foot, **outputs.row, "clinical_files": name})
            for kind, make in outputs.files.items():
                files[kind][name] = make
    return {"measurements": pd.DataFrame(rows), **files}
