"""Fixtures shared by test folders: a throw-away MLflow registry holding a tiny registered model, a
throw-away copy of the Kedro project, and a local HTTP server run for a test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
# An untrained light detector at a small input: loads and predicts in about a second on a CPU.
TINY_DETECTOR = {"architecture": "light", "encoder": "resnet18", "encoder_weights": "none", "input_size": [64, 32],
                 "stride": 4, "decoder_channels": 16, "sigma": 1.5, "decoder": "dark"}
TINY_DETECTOR_SEED = 0  # its int8 weights give 8 spread points on the registry's scan


TINY_HISTORY = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "valid_loss": [1.2, 0.7], "valid_nmae": [0.2, 0.1]})
TINY_TABLE = pd.DataFrame({"landmark": [1, 2], "mre_mm": [1.5, float("nan")]})


@dataclass
class TinyRegistry:
    tracking_uri: str
    registry: dict  # conf/base/parameters_training.yml's `registry` (model name, champion alias)
    run_id: str  # the run that logged the registered model
    scan: Path  # one synthetic scan to predict
    tables: dict[str, pd.DataFrame]  # the run's tables by name: the evaluation's and the training history


@contextmanager
def mlflow_pointed_at(uri: str):
    """MLflow's tracking and registry store set to `uri` (environment and mlflow's module state,
    which kedro-mlflow also sets), all put back afterwards; a logged model's pip requirements are
    not inferred (a subprocess of about 8 s that no test checks)."""
    import mlflow.models
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        patch.setattr(tracking_utils, "_tracking_uri", uri)
        patch.setattr(registry_utils, "_registry_uri", None)
        patch.setattr(fluent, "_active_experiment_id", None)
        patch.setattr(mlflow.models, "infer_pip_requirements", lambda *args, **kwargs: ["torch"])
        yield


@pytest.fixture(scope="session")
def mlflow_store():
    """:func:`mlflow_pointed_at`, for tests and fixtures that point MLflow at their own store."""
    return mlflow_pointed_at


@pytest.fixture(scope="session")
def tiny_registry_store(tmp_path_factory) -> TinyRegistry:
    """A SQLite MLflow store where foot_landmarks.tracking.log_variant_run registered an untrained
    tiny detector as version 1 of the project's model, with the champion alias (made once)."""
    import mlflow
    import torch

    from foot_landmarks.detector import LandmarkDetector
    from foot_landmarks.synthetic import generate_dataset
    from foot_landmarks.tracking import log_variant_run

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    registry = yaml.safe_load((REPO_ROOT / "conf" / "base" / "parameters_training.yml").read_text())["registry"]
    data = generate_dataset(1, seed=3, n_broken=0, processes=1, mix={"lowres": 1.0}, progress=False)
    (name, image), = data.files.items()
    scan = root / name
    scan.write_bytes(image)
    with mlflow_pointed_at(uri):
        client = mlflow.MlflowClient()
        # The project's experiment, for Kedro sessions on this store; made here so that its
        # artifacts stay in the tmp folder (the store's default root is the working directory).
        project_experiment = yaml.safe_load((REPO_ROOT / "conf" / "base" / "mlflow.yml").read_text())["tracking"]["experiment"]
        client.create_experiment(project_experiment["name"], artifact_location=(root / "project").as_uri())
        # the variant's own experiment, active as kedro-mlflow makes the project's
        experiment = client.create_experiment("tiny", artifact_location=(root / "artifacts").as_uri())
        mlflow.set_experiment(experiment_id=experiment)
        # Seeded weights: 2 of 400 unseeded draws put points 8 and 2 on the same pixel of the
        # scan, a foot without an axis that the clinical step rightly refuses.
        with torch.random.fork_rng():
            torch.manual_seed(TINY_DETECTOR_SEED)
            detector = LandmarkDetector.create(TINY_DETECTOR)
        with mlflow.start_run():  # as under `kedro run`: the variant's run is nested
            logged = log_variant_run(
                variant="tiny", detector=detector, history=TINY_HISTORY,
                metrics={registry["champion_metric"]: 5.0, "test_mre_mm": float("nan")},
                tables={"per_landmark_test.csv": TINY_TABLE}, figures={},
                params={"model": TINY_DETECTOR, "data_fingerprint": "tiny"}, registry=registry,
            )
    assert logged["version"] == "1" and logged["champion"]
    tables = {"per_landmark_test": TINY_TABLE, "training_history": TINY_HISTORY}
    return TinyRegistry(uri, registry, logged["run_id"], scan, tables)


@pytest.fixture(scope="module")
def tiny_registry(tiny_registry_store):
    """The tiny registry, MLflow pointed at it while the module's tests run."""
    with mlflow_pointed_at(tiny_registry_store.tracking_uri):
        yield tiny_registry_store


@pytest.fixture()
def kedro_project(tmp_path, monkeypatch):
    """A copy of the project's conf and pyproject (data empty, the installed package as code),
    the working directory while the test runs."""
    shutil.copytree(REPO_ROOT / "conf", tmp_path / "conf", ignore=shutil.ignore_patterns("local"))
    (tmp_path / "conf" / "local").mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "src").mkdir()  # Kedro wants the source folder; the installed package is used
    (tmp_path / "data" / "08_reporting").mkdir(parents=True)  # the log file's folder (conf/logging.yml)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    return tmp_path


@contextmanager
def serving(command: list[str], ready_url: str, timeout_s: float, log: Path, **popen):
    """`command` started in its own process group (output to `log`), yielded once `ready_url`
    answers 200 within `timeout_s` (else the test fails with the log's tail); the whole group is
    stopped afterwards (servers run workers in child processes), whatever happened."""

    def tail() -> str:
        return "\n".join(log.read_text(errors="replace").splitlines()[-40:])

    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"`{' '.join(command)}` exited with {process.returncode}:\n{tail()}")
            try:
                with urllib.request.urlopen(ready_url, timeout=10) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`{' '.join(command)}` did not answer on {ready_url} within {timeout_s} s:\n{tail()}")
            time.sleep(1)
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def local_server():
    """:func:`serving`, for fixtures that run a server."""
    return serving


@pytest.fixture(autouse=True)
def no_mlflow_run_carried_over():
    """MLflow state does not pass from one test to the next in a worker process. kedro-mlflow's
    hook is one object per process and keeps the last tracked pipeline's run id: a later session
    whose pipeline is not tracked (data_processing) restarts that run before each node, in
    whatever store it points at now; and its restart leaves the run on MLflow's stack after the
    pipeline ends. `kedro run` is one process per pipeline, so only in-process sessions meet it."""
    yield
    import sys

    if "mlflow" in sys.modules:
        import mlflow

        while mlflow.active_run() is not None:
            mlflow.end_run()
    if "kedro_mlflow.framework.hooks.mlflow_hook" in sys.modules:
        from kedro_mlflow.framework.hooks.mlflow_hook import mlflow_hook

        mlflow_hook.run_id = None
