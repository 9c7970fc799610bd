"""MLflow: one run per variant, the registered model `foot-landmarks`, and the `champion` alias.

The logged model is an MLflow pyfunc that takes raw scans (a DataFrame with an `image` column of
file paths, optional `dpi` and `side`) and returns the 8 landmarks per foot in original scan pixels
and millimetres with a confidence each: preprocessing, network, decoding and inverse transforms
all live inside (foot_landmarks.inference), so `mlflow.pyfunc.load_model("models:/foot-landmarks@champion")`
is all a user needs.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import tempfile
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

import foot_landmarks
from foot_landmarks.detector import LandmarkDetector

log = logging.getLogger(__name__)
EXPERIMENT = "foot_landmarks"
PACKAGE_DIR = Path(foot_landmarks.__file__).parent


class FootLandmarksModel(mlflow.pyfunc.PythonModel):
    """Raw scans in, landmarks in original pixels and mm out (see foot_landmarks.inference).

    Input columns: `image` (path), optional `dpi`, `side`, `view` ("print" or "below": a scan
    of the bare sole from below shows the mirror of the print view) and `page_size` ("a4",
    "letter", "210x297": a photographed sheet without dpi is calibrated to mm on that page)."""

    def load_context(self, context):
        from foot_landmarks.inference import ScanPredictor

        self.predictor = ScanPredictor(LandmarkDetector.load(context.artifacts["detector"]))

    def predict(self, context, model_input, params=None):
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame({"image": list(model_input)})
        landmarks, errors = self.predictor.predict_files(
            frame["image"].tolist(),
            dpi=frame["dpi"].tolist() if "dpi" in frame else None,
            side=frame["side"].tolist() if "side" in frame else None,
            view=frame["view"].tolist() if "view" in frame else None,
            page_size=frame["page_size"].tolist() if "page_size" in frame else None,
        )
        # pyfunc returns one table; unreadable scans come back as rows with an `error` message.
        return pd.concat([landmarks, errors], ignore_index=True) if len(errors) else landmarks


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=PACKAGE_DIR
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _flatten(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value if not isinstance(value, (list, tuple)) else "x".join(map(str, value))
    return out


def _finite(metrics: dict) -> dict:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and math.isfinite(v)}


FINGERPRINT_TAG = "data_fingerprint"


def update_champion(client: MlflowClient, registry: dict, version: str, score: float, fingerprint: str | None = None) -> bool:
    """Point the champion alias at `version` if its score beats the current champion's (lower
    wins). Scores on different data do not compare: when the champion was scored on other data
    (its `data_fingerprint` tag differs from `fingerprint`), a scored `version` takes the alias."""
    name, alias, metric = registry["model_name"], registry["champion_alias"], registry["champion_metric"]
    try:
        current = client.get_model_version_by_alias(name, alias)
        current_score = float(current.tags.get(metric, "inf"))
    except MlflowException:
        current, current_score = None, math.inf
    if current is not None and current.version == version:
        return True
    if not math.isfinite(score):
        return False
    other_data = current is not None and fingerprint is not None and current.tags.get(FINGERPRINT_TAG) != fingerprint
    if other_data or score < current_score:
        client.set_registered_model_alias(name, alias, version)
        why = "the champion was scored on other data" if other_data else f"was {current_score:.3f}"
        log.info("%s@%s -> version %s (%s %.3f, %s)", name, alias, version, metric, score, why)
        return True
    return False


def log_variant_run(
    variant: str,
    detector: LandmarkDetector | None,
    history: pd.DataFrame | None,
    metrics: dict,
    tables: dict,
    figures: dict,
    params: dict,
    registry: dict | None,
) -> dict:
    """Log everything about one variant as an MLflow run (nested under the `kedro run` parent run
    when there is one); a trained one (`detector` given) is registered and may become champion."""
    if mlflow.active_run() is None:
        mlflow.set_experiment(EXPERIMENT)
    client = MlflowClient()
    with mlflow.start_run(run_name=variant, nested=mlflow.active_run() is not None) as run:
        info = detector.info if detector is not None else {}
        mlflow.set_tags({"variant": variant, "git_commit": git_commit(), "device": info.get("device", "cpu")})
        mlflow.log_params(_flatten("", {k: v for k, v in params.items() if k != "data_fingerprint"}, {}))
        fingerprint = str(info.get("data_fingerprint", params.get("data_fingerprint", "unknown")))
        mlflow.log_params({"encoder_weights_used": info.get("encoder_weights_used", "n/a"), FINGERPRINT_TAG: fingerprint})
        for row in (history.itertuples() if history is not None else ()):
            mlflow.log_metrics(
                _finite({"train_loss": row.train_loss, "valid_loss": row.valid_loss, "valid_nmae": row.valid_nmae}),
                step=int(row.epoch),
            )
        extra = {k: info[k] for k in ("train_seconds", "train_gflop_per_image", "train_images_per_second") if k in info}
        mlflow.log_metrics(_finite({**metrics, **extra}))
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for name, image in figures.items():
                mlflow.log_image(image, f"plots/{name}")
            (tmp / "metrics.json").write_text(json.dumps(_finite(metrics), indent=2))
            mlflow.log_artifact(str(tmp / "metrics.json"), "evaluation")
            for name, table in tables.items():
                table.to_csv(tmp / name, index=False)
                mlflow.log_artifact(str(tmp / name), "evaluation")
            if history is not None:
                history.to_csv(tmp / "training_history.csv", index=False)
                mlflow.log_artifact(str(tmp / "training_history.csv"), "evaluation")
            if detector is None:
                return {"variant": variant, "run_id": run.info.run_id, "model_uri": None, "version": None,
                        "champion": False}
            detector_path = detector.save(tmp / "detector.pt", weights=registry.get("weights_format", "int8"))
            model_info = mlflow.pyfunc.log_model(
                name="model",
                python_model=FootLandmarksModel(),
                artifacts={"detector": str(detector_path)},
                code_paths=[str(PACKAGE_DIR)],
                registered_model_name=registry["model_name"],
            )
        version = str(model_info.registered_model_version)
        score = float(metrics.get(registry["champion_metric"], math.nan))
        client.set_model_version_tag(registry["model_name"], version, registry["champion_metric"], str(score))
        client.set_model_version_tag(registry["model_name"], version, "variant", variant)
        client.set_model_version_tag(registry["model_name"], version, FINGERPRINT_TAG, fingerprint)
        champion = update_champion(client, registry, version, score, fingerprint)
        return {
            "variant": variant,
            "run_id": run.info.run_id,
            "model_uri": f"models:/{registry['model_name']}/{version}",
            "version": version,
            "champion": champion,
            registry["champion_metric"]: score,
        }
