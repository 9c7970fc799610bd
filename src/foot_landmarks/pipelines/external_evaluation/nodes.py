"""Nodes of the external_evaluation pipeline: the registered model on outside sets, scored.

Each set is sent as a user would send it: whole images, with the dpi when the file attributes
give one and the view ("below" for a bare sole seen from below) when they say so; the side is not
given, so finding and orienting every foot is part of what is measured.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from PIL import Image

from foot_landmarks.external.scoring import (
    annotated_feet,
    by_confidence_decile,
    match_feet,
    per_landmark,
    point_errors,
    predicted_feet,
    summary,
)
from foot_landmarks.external.worst_feet import worst_feet_sheet
from foot_landmarks.inference import split_predictions
from foot_landmarks.io.external_set import ExternalSet

log = logging.getLogger(__name__)


def request_frame(external: ExternalSet, give_dpi: bool = True, give_view: bool = True) -> pd.DataFrame:
    """The model's input table for every usable annotated image of the set."""
    images = external.annotations.images
    images = images[images["usable"].astype(bool)].sort_values("image")
    frame = pd.DataFrame({"image": [external.image_path(name) for name in images["image"]]})
    if give_dpi:
        frame["dpi"] = images["dpi"].to_numpy(float)
    if give_view:
        views = [str((a or {}).get("view", "") or "").strip().lower() for a in images["attributes"]]
        frame["view"] = [v if v in ("print", "below") else None for v in views]
    return frame


def predict_external_set(model, external: ExternalSet, options: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(landmarks, errors) of the model on the set's images; empty tables for an absent set."""
    if external.annotations is None:
        log.warning("outside set skipped: %s", external.missing)
        return pd.DataFrame(), pd.DataFrame(columns=["image", "error"])
    frame = request_frame(external, bool(options.get("give_dpi", True)), bool(options.get("give_view", True)))
    log.info("predicting %d outside images from %s", len(frame), external.root)
    landmarks, errors = split_predictions(model.predict(frame))
    prefix = f"{external.root}/images/"
    for table in (landmarks, errors):
        if len(table):
            table["image"] = [str(p)[len(prefix):] if str(p).startswith(prefix) else str(p) for p in table["image"]]
    return landmarks, errors


def score_external_set(
    external: ExternalSet, landmarks: pd.DataFrame, set_name: str
) -> tuple[pd.DataFrame, dict, pd.DataFrame, pd.DataFrame]:
    """(point errors, summary, per-landmark table, error by confidence decile) of one set."""
    if external.annotations is None:
        return pd.DataFrame(), {"set": set_name, "missing": external.missing}, pd.DataFrame(), pd.DataFrame()
    errors = point_errors(match_feet(annotated_feet(external.annotations), predicted_feet(landmarks)))
    result = {"set": set_name, **summary(errors)}
    log.info(
        "%s: %d of %d feet found, mean error %.2f %% of the foot length, %.1f %% of feet with a point beyond 5 %%",
        set_name, result["feet_found"], result["feet_annotated"], result["mean_error_pct"], result["feet_any_beyond_5pct"],
    )
    return errors, result, per_landmark(errors), by_confidence_decile(errors)


def draw_worst_external_feet(external: ExternalSet, errors: pd.DataFrame) -> Image.Image:
    if external.annotations is None or errors.empty:
        return Image.new("RGB", (200, 40), "white")
    return worst_feet_sheet(errors, lambda name: Image.open(external.image_path(name)))


def external_summary_table(*summaries: dict) -> pd.DataFrame:
    """One row per set: feet found / annotated, errors as % of the foot length, the long tail."""
    return pd.DataFrame(list(summaries))


def log_external_to_mlflow(table: pd.DataFrame) -> None:
    """One MLflow run `external_evaluation` (nested under the `kedro run` parent run when there is
    one): every set's measures as metrics `<set>.<measure>`, the table as an artifact."""
    import mlflow

    with mlflow.start_run(run_name="external_evaluation", nested=mlflow.active_run() is not None):
        mlflow.set_tag("variant", "external_evaluation")
        for row in table.to_dict("records"):
            name = row.get("set", "set")
            mlflow.log_metrics({
                f"{name}.{k}": float(v) for k, v in row.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
            })
        mlflow.log_table(table, "external/summary.json")
