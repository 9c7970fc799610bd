"""A NaN loss stops the training pipeline before evaluation and MLflow: no model version is
registered and the champion alias stays where it was (a throw-away SQLite registry)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from drawn_print import POINTS, drawn_crop
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow.tracking import MlflowClient

import foot_landmarks.training as training
from foot_landmarks.pipelines.evaluation.pipeline import evaluation_template, namespaced
from foot_landmarks.pipelines.training.pipeline import training_template
from foot_landmarks.training import HeatmapLoss, NonFiniteLossError

VARIANT = "resnet18_light_s4"
CONF = yaml.safe_load((Path(__file__).resolve().parents[1] / "conf/base/parameters_training.yml").read_text())


def _samples(n: int = 12) -> tuple[pd.DataFrame, dict]:
    rows, crops = [], {}
    for i in range(n):
        shift = i % 3
        sample_id = f"drawn/{i}"
        points = POINTS + [0, shift]
        rows.append({
            "sample_id": sample_id, "split": ("train", "train", "val", "test")[i % 4], "to_crop": np.eye(3),
            "points": points, "points_orig": points, "visible": np.ones(8), "dpi": 50.0, "look": "ink_paper",
            "partition": f"drawn/images/{i}.png",
        })
        crops[sample_id] = drawn_crop(shift)
    return pd.DataFrame(rows), crops


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A throw-away registry holding one version of the model name, with the champion alias."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    settings = CONF["registry"]
    client = MlflowClient()
    client.create_registered_model(settings["model_name"])
    version = client.create_model_version(settings["model_name"], source="file:///nowhere").version
    client.set_registered_model_alias(settings["model_name"], settings["champion_alias"], version)
    yield client, settings, version
    mlflow.set_tracking_uri(None)


def test_a_nan_loss_registers_nothing_and_keeps_the_champion(registry, monkeypatch):
    client, settings, champion = registry
    forward = HeatmapLoss.forward
    calls = []

    def nan_in_second_training_batch(self, pred, keypoints, visible):
        calls.append(1)
        loss = forward(self, pred, keypoints, visible)
        # the precision check's probe steps first, then the first training batch, then the NaN
        return loss * float("nan") if len(calls) == training.PROBE_STEPS + 2 else loss

    monkeypatch.setattr(HeatmapLoss, "forward", nan_in_second_training_batch)
    samples, crops = _samples()
    model = {**CONF[VARIANT]["model"], "input_size": [64, 32], "decoder_channels": 16, "encoder_weights": "none",
             "refine": "none"}
    params = {**CONF[VARIANT]["training"], "epochs": 2, "batch_size": 2, "precision": "fp32"}
    pipeline = namespaced(training_template(VARIANT) + evaluation_template(VARIANT), VARIANT)
    given = {
        "samples": MemoryDataset(samples),
        "crops": MemoryDataset(crops),
        f"params:{VARIANT}.model": MemoryDataset(model),
        f"params:{VARIANT}.training": MemoryDataset(params),
        "params:registry": MemoryDataset(settings),
    }
    # inputs only the evaluation reads (raw scans, the page stage's models): registered, never loaded
    catalog = DataCatalog({**{name: MemoryDataset() for name in pipeline.inputs()}, **given})
    with pytest.raises(NonFiniteLossError) as stopped:
        SequentialRunner().run(pipeline, catalog)
    assert str(stopped.value).startswith(f"{VARIANT} (resnet18): training stopped at a non-finite loss (nan) in epoch 1/2")
    versions = client.search_model_versions(f"name = '{settings['model_name']}'")
    assert [v.version for v in versions] == [champion], "no model version registered"
    assert client.get_model_version_by_alias(settings["model_name"], settings["champion_alias"]).version == champion
    assert mlflow.search_runs(search_all_experiments=True).empty, "no MLflow run started"
