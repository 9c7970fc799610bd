"""Nodes of the inference pipeline."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

import mlflow
import pandas as pd

from foot_landmarks.inference import draw_overlay, split_predictions
from foot_landmarks.io.datasets import IMAGE_SUFFIXES

log = logging.getLogger(__name__)


def load_registered_model(model_uri: str):
    """The MLflow pyfunc at `model_uri` (default `models:/foot-landmarks@champion`)."""
    log.info("loading %s", model_uri)
    return mlflow.pyfunc.load_model(model_uri)


def predict_scans(
    model, scans: Mapping[str, Callable], dpi: float | None = None, page_size: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Landmarks of every scan (landmarks.csv) and the scans that failed (errors.csv).

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


def measure_feet(landmarks: pd.DataFrame, output_dir: str, enabled: bool = True) -> pd.DataFrame:
    """Clinical measurements and indices per scan (measurements.csv); beside it, in `output_dir`,
    each scan's 1:1 insole outline (SVG, DXF) and one-page report (PNG, PDF).

    The per-scan files are written here rather than through the catalog: four formats per scan,
    made by ezdxf and matplotlib writers that want a path.
    """
    from foot_landmarks.clinical import clinical_outputs

    if not enabled or landmarks.empty:
        return pd.DataFrame()
    rows = []
    for (image, foot), rows_of_foot in landmarks.groupby(["image", "foot"], sort=True, dropna=False):
        foot = foot if isinstance(foot, str) else ""
        # a two-foot sheet: one folder per foot, so the two feet's files keep the scan's name
        out = Path(output_dir) / foot if foot else Path(output_dir)
        try:
            rows.append({"foot": foot, **clinical_outputs(image, rows_of_foot, out)})
        except ValueError as exc:  # a print the clinical step cannot measure: say so, go on
            log.warning("%s", exc)
            rows.append({"image": image, "foot": foot, "print_problem": str(exc)})
    return pd.DataFrame(rows)
