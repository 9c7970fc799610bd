"""End to end on a handful of synthetic scans: data_processing -> training (tiny model) -> MLflow
run, registry version and `champion` alias -> inference from models:/foot-landmarks@champion."""

import os
import shutil
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from foot_landmarks.synthetic import generate_dataset, write_dataset

REPO = Path(__file__).resolve().parents[1]
VARIANT = "resnet18_light_s4"


def _kedro_run(project: Path, pipeline: str, params: dict | None = None, namespaces=None) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=params or {}) as session:
        session.run(pipeline_names=[pipeline], namespaces=namespaces)


TINY = {VARIANT: {"model": {"input_size": [96, 48], "decoder_channels": 16},
                  "training": {"epochs": 2, "batch_size": 4}}}  # merged into the variant's conf


def _build_project(root: Path) -> None:
    """A throw-away copy of the project (conf + pyproject) with its own data/ and MLflow store,
    its data processed and the tiny variant trained and registered."""
    shutil.copytree(REPO / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "src").mkdir()  # Kedro wants the source folder; the installed package is used
    (root / "data" / "08_reporting").mkdir(parents=True)  # the log file's folder (conf/logging.yml)
    ds = generate_dataset(16, seed=5, n_broken=1, processes=1, mix={"lowres": 1.0}, progress=False)
    write_dataset(ds, root / "data" / "01_raw" / "synthetic")
    scans = root / "data" / "01_raw" / "new_scans"
    scans.mkdir(parents=True)
    for name in sorted(ds.files)[:3]:
        (scans / name).write_bytes(ds.files[name])
    (scans / "not_a_scan.jpg").write_bytes(b"this is not an image")
    _kedro_run(root, "data_processing", {"data_processing": {"split": {"ratios": {"train": 2, "val": 1, "test": 1}}}})
    _kedro_run(root, "training", TINY, namespaces=[VARIANT])


@pytest.fixture(scope="module")
def project(tmp_path_factory, monkeypatch_module):
    """The trained throw-away project, built once per test session: under xdist the workers
    share it (a folder beside their own temporary folders, built under a file lock), so the
    predict test finds the model whichever worker runs it."""
    from filelock import FileLock

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if shared else base) / "end_to_end_project"
    monkeypatch_module.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    monkeypatch_module.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    with FileLock(str(root) + ".lock"):
        if not (root / ".built").is_file():
            shutil.rmtree(root, ignore_errors=True)  # a build interrupted half-way
            root.mkdir(parents=True)
            monkeypatch_module.chdir(root)
            _build_project(root)
            (root / ".built").touch()
    monkeypatch_module.chdir(root)
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.slow
def test_train_register_and_predict_from_the_champion(project):
    # data processing and training ran in the `project` fixture (shared with the predict test)
    client = MlflowClient()
    runs = mlflow.search_runs(experiment_names=["foot_landmarks"], filter_string=f"tags.variant = '{VARIANT}'")
    assert len(runs) == 1
    run = runs.iloc[0]
    # the variant's own points are the refined ones; the network's DARK decoding is kept beside
    for key in ("metrics.val_nmae", "metrics.test_mre_mm", "metrics.test_mre_mm_dark", "metrics.test_sdr_2mm",
                "params.data_fingerprint"):
        assert pd.notna(run[key]), key
    history = client.get_metric_history(run["run_id"], "valid_nmae")
    assert [m.step for m in history] == [1, 2]
    champion = client.get_model_version_by_alias("foot-landmarks", "champion")
    assert champion.tags["variant"] == VARIANT

    _kedro_run(project, "inference")
    landmarks = pd.read_csv(project / "data" / "07_model_output" / "inference" / "landmarks.csv")
    errors = pd.read_csv(project / "data" / "07_model_output" / "inference" / "errors.csv")
    assert list(errors["image"].map(lambda p: Path(p).name)) == ["not_a_scan.jpg"]
    per_scan = landmarks.groupby("image")["landmark"].apply(sorted)
    assert len(per_scan) == 3 and all(ids == list(range(1, 9)) for ids in per_scan)
    from PIL import Image

    for image, rows in landmarks.groupby("image"):
        width, height = Image.open(image).size
        # original scan pixels: inside the scan, not the network's 96x48 frame
        assert rows["x_px"].between(-0.5, width).all() and rows["y_px"].between(-0.5, height).all()
        assert rows["y_px"].max() > 96
    reporting = project / "data" / "08_reporting" / "inference"
    assert len(list((reporting / "overlays").glob("*.png"))) == 3
    measurements = pd.read_csv(reporting / "measurements.csv")
    assert len(measurements) == 3 and (measurements["foot_length_mm"] > 0).all()  # tiny model: any length
    for kind in ("insole.svg", "insole.dxf", "report.png", "report.pdf"):
        assert len(list((reporting / "clinical").glob(f"*_{kind}"))) == 3, kind


@pytest.mark.slow
def test_predict_command_writes_landmarks_errors_and_overlays(project, tmp_path, capsys):
    from foot_landmarks.command_line import main

    scans = project / "data" / "01_raw" / "new_scans"
    out = tmp_path / "out"
    status = main(["predict", str(scans), "--out", str(out), "--tracking-uri", f"sqlite:///{project / 'mlflow.db'}"])
    assert status == 0
    landmarks = pd.read_csv(out / "landmarks.csv")
    assert landmarks.groupby("image").size().tolist() == [8, 8, 8]
    assert pd.read_csv(out / "errors.csv")["image"].map(lambda p: Path(p).name).tolist() == ["not_a_scan.jpg"]
    assert len(list(out.glob("*_landmarks.png"))) == 3
    assert "3 scans predicted, 1 failed" in capsys.readouterr().out


def test_predict_command_names_a_missing_input(tmp_path, capsys):
    from foot_landmarks.command_line import main

    assert main(["predict", str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("foot-landmarks: error:") and "nope.jpg" in err and "\n" not in err
