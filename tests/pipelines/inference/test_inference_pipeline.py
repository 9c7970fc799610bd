"""The inference pipeline in Kedro sessions of the project's conf, against the tiny registry of
tests/conftest.py: the catalog's `landmark_model` (kedro-mlflow's MlflowModelRegistryDataset) is
the registered model by alias, or by version through runtime params; a run saves every output
through the catalog and logs nothing to MLflow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

@pytest.fixture()
def project(kedro_project, tiny_registry):
    """The project copy, its MLflow store the tiny registry and its one scan to predict."""
    scans = kedro_project / "data" / "01_raw" / "new_scans"  # the catalog's default scan folder
    scans.mkdir(parents=True)
    shutil.copy(tiny_registry.scan, scans)
    return kedro_project


def _catalog_model(project: Path, runtime_params: dict | None = None):
    """`landmark_model` from the catalog of a Kedro session: (dataset, loaded model)."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime_params or {}) as session:
        catalog = session.load_context().catalog
        return catalog["landmark_model"], catalog.load("landmark_model")


def test_landmark_model_is_the_champion_from_the_registry_and_predicts(project, tiny_registry):
    dataset, model = _catalog_model(project)
    name = tiny_registry.registry["model_name"]
    assert type(dataset).__name__ == "MlflowModelRegistryDataset"
    assert dataset.model_uri == f"models:/{name}@{tiny_registry.registry['champion_alias']}"
    assert model.metadata.run_id == tiny_registry.run_id
    # the optional columns may be missing on some rows (the signature's check makes them NaN)
    scans = pd.DataFrame({"image": [str(tiny_registry.scan)] * 2, "dpi": [300.0, None], "view": ["print", None]})
    landmarks = model.predict(scans)
    assert "error" not in landmarks and landmarks["landmark"].tolist() == list(range(1, 9)) * 2
    assert landmarks[["x_px", "y_px"]].notna().all().all() and landmarks["x_mm"][:8].notna().all()


def test_runtime_params_choose_another_alias_or_a_version(project, tiny_registry):
    from mlflow import MlflowClient

    name = tiny_registry.registry["model_name"]
    MlflowClient().set_registered_model_alias(name, "challenger", "1")
    dataset, model = _catalog_model(project, {"model_alias": "challenger"})
    assert dataset.model_uri == f"models:/{name}@challenger" and model.metadata.run_id == tiny_registry.run_id
    dataset, model = _catalog_model(project, {"model_version": 1, "model_alias": None})
    assert dataset.model_uri == f"models:/{name}/1" and model.metadata.run_id == tiny_registry.run_id


@pytest.mark.slow  # renders the report pages
def test_an_inference_run_saves_every_output_and_logs_no_mlflow_run(project, tiny_registry):
    import mlflow
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    runs_before = len(mlflow.search_runs(search_all_experiments=True))
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params={}) as session:
        session.run(pipeline_names=["inference"])
    assert len(mlflow.search_runs(search_all_experiments=True)) == runs_before

    stem = tiny_registry.scan.stem
    out = project / "data"
    landmarks = pd.read_csv(out / "07_model_output" / "inference" / "landmarks.csv")
    assert landmarks["landmark"].tolist() == list(range(1, 9))
    measurements = pd.read_csv(out / "08_reporting" / "inference" / "measurements.csv")
    assert measurements["clinical_files"].tolist() == [stem]
    clinical = out / "08_reporting" / "inference" / "clinical"
    assert sorted(p.name for p in clinical.iterdir()) == sorted(
        f"{stem}_{kind}" for kind in ("insole.svg", "insole.dxf", "report.png", "report.pdf"))
    assert (clinical / f"{stem}_report.pdf").read_bytes()[:4] == b"%PDF"
    assert [p.name for p in (out / "08_reporting" / "inference" / "overlays").iterdir()] == [f"{stem}.png"]
