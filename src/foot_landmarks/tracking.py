"""MLflow: one run per variant, the registered model `foot-landmarks`, and the `champion` alias.

The logged model is an MLflow pyfunc that takes raw scans (a DataFrame with an `image` column of
file paths, optional `dpi`, `side`, `view` and `page_size`) and returns the 8 landmarks per foot in
original scan pixels and millimetres with a confidence each: preprocessing, network, decoding and
inverse transforms all live inside (foot_landmarks.inference), so
`mlflow.pyfunc.load_model("models:/foot-landmarks@champion")` is all a user needs, and
`mlflow models serve -m models:/foot-landmarks@champion --env-manager local` serves it. It is
logged with its signature (:func:`model_signature`) and an input example.

Runs go to the active experiment: in a Kedro session, the one conf/base/mlflow.yml names.
"""

from __future__ import annotations

import logging
import math
import subprocess
import tempfile
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, Schema
from mlflow.types.schema import AnyType

import foot_landmarks
from foot_landmarks.detector import LandmarkDetector

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(foot_landmarks.__file__).parent


class FootLandmarksModel(mlflow.pyfunc.PythonModel):
    """Raw scans in, landmarks in original pixels and mm out (see foot_landmarks.inference).

    Input columns: `image` (path), optional `dpi`, `side`, `view` ("print" or "below": a scan
    of the bare sole from below shows the mirror of the print view) and `page_size` ("a4",
    "letter", "210x297": a photographed sheet without dpi is calibrated to mm on that page)."""

    def load_context(self, context):
        from foot_landmarks.foot_finder import FootFinder
        from foot_landmarks.inference import ScanPredictor

        finder = context.artifacts.get("foot_finder")  # models logged before the finder: the shipped one
        self.predictor = ScanPredictor(
            LandmarkDetector.load(context.artifacts["detector"]), FootFinder.load(finder) if finder else None
        )

    def predict(self, context, model_input, params=None):
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame({"image": list(model_input)})
        landmarks, errors = self.predictor.predict_files(
            frame["image"].tolist(),
            **{column: _optional(frame, column) for column in ("dpi", "side", "view", "page_size")},
        )
        # pyfunc returns one table; unreadable scans come back as rows with an `error` message.
        return pd.concat([landmarks, errors], ignore_index=True) if len(errors) else landmarks


def _optional(frame: pd.DataFrame, column: str) -> list | None:
    """An optional input column's values, a missing one as None (the signature's check turns a
    string column's None into NaN); None without the column."""
    return [None if pd.isna(value) else value for value in frame[column]] if column in frame else None


# The model's input: one row per scan. dpi, side, view and page_size may be left out (see
# FootLandmarksModel); the row's `image` is a path the model's process can read.
INPUT_SCHEMA = Schema([
    ColSpec("string", "image"),
    ColSpec("double", "dpi", required=False),
    ColSpec("string", "side", required=False),
    ColSpec("string", "view", required=False),
    ColSpec("string", "page_size", required=False),
])
INPUT_EXAMPLE = pd.DataFrame({"image": ["scans/scan_0001.jpg"], "dpi": [300.0], "side": ["right"],
                              "view": ["print"], "page_size": ["a4"]})
# Types of the landmark table's columns known here; a column added to it later is listed with
# any type until it is named here.
OUTPUT_TYPES = {
    "landmark": "long", "x_px": "double", "y_px": "double", "x_mm": "double", "y_mm": "double",
    "confidence": "double", "low_confidence": "boolean", "side_confidence": "double", "dpi": "double",
    "image": "string", "foot": "string", "name": "string", "side": "string", "side_source": "string",
    "scale_source": "string", "warnings": "string", "error": "string",
}


def model_signature() -> ModelSignature:
    """Input: :data:`INPUT_SCHEMA`; output: the columns of the landmark table as
    foot_landmarks.inference lists them now, and `error` (a row per scan that failed, which
    leaves the others empty: every column but `image` is optional)."""
    from foot_landmarks.inference import ERROR_COLUMNS, LANDMARK_COLUMNS

    columns = list(dict.fromkeys([*LANDMARK_COLUMNS, *ERROR_COLUMNS]))
    return ModelSignature(
        inputs=INPUT_SCHEMA,
        outputs=Schema([
            ColSpec(OUTPUT_TYPES.get(column, AnyType()), column, required=column == "image") for column in columns
        ]),
    )


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


def champion_version(client: MlflowClient, registry: dict) -> str | None:
    """The version the champion alias points at, or None when there is no champion."""
    try:
        return str(client.get_model_version_by_alias(registry["model_name"], registry["champion_alias"]).version)
    except MlflowException:
        return None


def load_registered_detector(registry: dict, reference: str | int = "champion") -> LandmarkDetector:
    """The LandmarkDetector inside a registered version: the pyfunc's `detector` artifact, as
    log_variant_run logs it. `reference`: `champion` (the registry's champion alias), another
    alias, or a version number. Its info gains `registered_model` and `registered_version`."""
    client = MlflowClient()
    name, ref = registry["model_name"], str(reference).strip()
    if ref.isdigit():
        version = ref
    else:
        version = client.get_model_version_by_alias(name, registry["champion_alias"] if ref == "champion" else ref).version
    uri = f"models:/{name}/{version}"
    artifacts = mlflow.models.get_model_info(uri).flavors["python_function"]["artifacts"]
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"{uri}/{artifacts['detector']['path']}", dst_path=tmp)
        detector = LandmarkDetector.load(path)
    detector.info.update(registered_model=name, registered_version=str(version))
    return detector


HELD_OUT_RULE = ("the champion alias moves to the fine-tuned version only if its mean error on the held-out "
                 "real feet is lower than the champion's on the same feet")


def promote_on_held_out(client: MlflowClient, registry: dict, version: str, error: float, champion_error: float,
                        scored_champion: str | None, n_held_out: int, unit: str) -> tuple[bool, str]:
    """HELD_OUT_RULE for a fine-tuned `version`: (whether it took the champion alias, why).

    `champion_error` was measured with the champion version `scored_champion`; if the alias has
    moved since, the scores no longer compare and the alias stays. (update_champion, the rule
    of full training runs, compares validation errors on the same data fingerprint instead.)"""
    if n_held_out == 0:
        return False, ("no held-out real feet (every subject went to training, or held_out_share is 0): nothing to "
                       "compare on, the champion stays")
    if not math.isfinite(error):
        return False, "the fine-tuned model has no finite error on the held-out feet"
    current = champion_version(client, registry)
    if current != (None if scored_champion is None else str(scored_champion)):
        return False, f"the champion moved to version {current} after version {scored_champion} was scored: run again"
    if current is not None and math.isfinite(champion_error) and error >= champion_error:
        return False, (f"held-out error {error:.3f} {unit} is not below the champion's (version {current}) "
                       f"{champion_error:.3f} {unit}")
    client.set_registered_model_alias(registry["model_name"], registry["champion_alias"], version)
    if current is None:
        return True, f"held-out error {error:.3f} {unit}; there was no champion"
    return True, f"held-out error {error:.3f} {unit} < the champion's (version {current}) {champion_error:.3f} {unit}"


def log_variant_run(
    variant: str,
    detector: LandmarkDetector | None,
    history: pd.DataFrame | None,
    metrics: dict,
    tables: dict,
    figures: dict,
    params: dict,
    registry: dict | None,
    finder=None,
) -> dict:
    """Log everything about one variant as an MLflow run (nested under the `kedro run` parent run
    when there is one); a trained one (`detector` given) is registered and may become champion.

    `tables` ({name: DataFrame}) are logged as MLflow tables evaluation/<name stem>.json."""
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
        for name, image in figures.items():
            mlflow.log_image(image, f"plots/{name}")
        mlflow.log_dict(_finite(metrics), "evaluation/metrics.json")
        for name, table in {**tables, **({"training_history": history} if history is not None else {})}.items():
            mlflow.log_table(table, f"evaluation/{Path(name).stem}.json")
        if detector is None:
            return {"variant": variant, "run_id": run.info.run_id, "model_uri": None, "version": None,
                    "champion": False}
        with tempfile.TemporaryDirectory() as tmp:
            detector_path = detector.save(Path(tmp) / "detector.pt", weights=registry.get("weights_format", "int8"))
            artifacts = {"detector": str(detector_path)}
            if finder is not None:  # the page stage's network travels with the model
                artifacts["foot_finder"] = str(finder.save(Path(tmp) / "foot_finder.pt"))
            model_info = mlflow.pyfunc.log_model(
                name="model",
                python_model=FootLandmarksModel(),
                artifacts=artifacts,
                code_paths=[str(PACKAGE_DIR)],
                registered_model_name=registry["model_name"],
                signature=model_signature(),
                input_example=INPUT_EXAMPLE,
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
