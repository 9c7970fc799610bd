"""The champion rule (foot_landmarks.tracking.update_champion) on a throw-away SQLite registry."""

from __future__ import annotations

import math

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
