"""foot_landmarks.tracking on throw-away SQLite stores: the champion rule (update_champion), and
what a variant's run logs (log_variant_run): metrics, tables, the model with its signature."""

from __future__ import annotations

import math
from io import StringIO

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from foot_landmarks.tracking import FINGERPRINT_TAG, update_champion

REGISTRY = {"model_name": "feet", "champion_alias": "champion", "champion_metric": "val_mre_mm"}


@pytest.fixture()
def client(tmp_path):
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", registry_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    client.create_registered_model(REGISTRY["model_name"])
    return client


def _version(client, score: float, fingerprint: str) -> str:
    """A registered version scored `score` on the data `fingerprint` (as log_variant_run tags it)."""
    version = client.create_model_version(REGISTRY["model_name"], source="file:///nowhere").version
    client.set_model_version_tag(REGISTRY["model_name"], version, REGISTRY["champion_metric"], str(score))
    client.set_model_version_tag(REGISTRY["model_name"], version, FINGERPRINT_TAG, fingerprint)
    return version


def _champion(client) -> str:
    return client.get_model_version_by_alias(REGISTRY["model_name"], REGISTRY["champion_alias"]).version


def test_lower_validation_error_on_the_same_data_wins(client):
    first = _version(client, 1.0, "data-a")
    assert update_champion(client, REGISTRY, first, 1.0, "data-a") and _champion(client) == first
    worse = _version(client, 1.2, "data-a")
    assert not update_champion(client, REGISTRY, worse, 1.2, "data-a") and _champion(client) == first
    better = _version(client, 0.9, "data-a")
    assert update_champion(client, REGISTRY, better, 0.9, "data-a") and _champion(client) == better


def test_a_model_scored_on_new_data_takes_the_alias_even_with_a_higher_error(client):
    # a champion scored on other data (another validation split) is not comparable
    old = _version(client, 0.8, "data-a")
    update_champion(client, REGISTRY, old, 0.8, "data-a")
    new = _version(client, 1.5, "data-b")
    assert update_champion(client, REGISTRY, new, 1.5, "data-b") and _champion(client) == new
    worse_on_b = _version(client, 1.6, "data-b")  # from here on, scores on data-b compare
    assert not update_champion(client, REGISTRY, worse_on_b, 1.6, "data-b") and _champion(client) == new


def test_an_unscored_model_never_takes_the_alias(client):
    scored = _version(client, 1.0, "data-a")
    update_champion(client, REGISTRY, scored, 1.0, "data-a")
    unscored = _version(client, math.nan, "data-b")
    assert not update_champion(client, REGISTRY, unscored, math.nan, "data-b") and _champion(client) == scored


def test_a_variant_run_logs_its_numbers_tables_and_a_model_with_its_schema(tiny_registry):
    import mlflow

    from foot_landmarks.inference import LANDMARK_COLUMNS

    run = f"runs:/{tiny_registry.run_id}"
    # finite metrics only (a NaN metric is not a number to compare)
    assert mlflow.artifacts.load_dict(f"{run}/evaluation/metrics.json") == {"val_mre_mm": 5.0}
    for name, table in tiny_registry.tables.items():
        # an MLflow table: pandas' split orient, as mlflow.load_table reads it
        logged = pd.read_json(StringIO(mlflow.artifacts.load_text(f"{run}/evaluation/{name}.json")), orient="split")
        pd.testing.assert_frame_equal(logged, table, check_dtype=False)
    model = mlflow.models.get_model_info(f"models:/{tiny_registry.registry['model_name']}@champion")
    assert model.signature.inputs.input_names() == ["image", "dpi", "side", "view", "page_size"]
    assert model.signature.inputs.required_input_names() == ["image"]
    assert model.signature.outputs.input_names() == [*LANDMARK_COLUMNS, "error"]
    assert model.saved_input_example_info is not None


def test_the_output_schema_follows_the_landmark_table(monkeypatch):
    """A column added to the landmark table is in the next logged model's output schema, of any type."""
    import foot_landmarks.inference as inference
    from foot_landmarks.tracking import model_signature

    monkeypatch.setattr(inference, "LANDMARK_COLUMNS", [*inference.LANDMARK_COLUMNS, "added_later"])
    outputs = {spec.name: spec for spec in model_signature().outputs.inputs}
    assert list(outputs)[-2:] == ["added_later", "error"]
    assert outputs["added_later"].type.to_dict() == {"type": "any"} and not outputs["added_later"].required
    assert outputs["x_px"].type.name == "double" and outputs["landmark"].type.name == "long"
