"""The notebooks run end to end on a tiny synthetic data set, in a temporary copy of the project.

A copy of the project's conf/ and pyproject.toml (the package itself is the installed one) gets
24 synthetic prints; the data_processing pipeline and the cheap `geometric` baseline (training +
evaluation pipelines, namespace `geometric`: no network to train, but a real MLflow run and
predictions) run there; then both notebooks are executed with the venv's own Python as kernel and
must finish without a cell error. 02_results also runs against an empty MLflow store, where it
must say that there are no runs yet.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO_ROOT / "notebooks"
N_PRINTS = 24  # smallest round number whose subject split gives a non-empty test split
KERNEL_NAME = "foot_landmarks_test"

pytestmark = pytest.mark.slow

PREPARE = """
import sys
from pathlib import Path
from foot_landmarks.synthetic import generate_dataset, write_dataset
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

write_dataset(generate_dataset(int(sys.argv[1]), seed=3, processes=2, progress=False),
              Path("data/01_raw/synthetic"), force=True)
bootstrap_project(Path.cwd())
with KedroSession.create(Path.cwd()) as session:
    session.run(pipeline_name="data_processing")
with KedroSession.create(Path.cwd()) as session:
    session.run(pipeline_names=["training"], namespaces=["geometric"])
"""


def _environment(project: Path, tracking_uri: str) -> dict[str, str]:
    return {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "MPLBACKEND": "Agg",
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PYTHONWARNINGS": "ignore",
    }


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    """A copy of the project (conf, pyproject, notebooks) with small data processed in it."""
    project = tmp_path_factory.mktemp("project")
    shutil.copy2(REPO_ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(REPO_ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("credentials*"))
    for local in (project / "conf" / "local").glob("*"):
        if local.name != ".gitkeep":
            shutil.rmtree(local) if local.is_dir() else local.unlink()
    (project / "src").mkdir()  # Kedro wants the source folder; the package is the installed one
    for folder in ("01_raw", "02_intermediate", "03_primary", "04_feature", "05_model_input",
                   "06_models", "07_model_output", "08_reporting"):
        (project / "data" / folder).mkdir(parents=True)
    shutil.copytree(NOTEBOOKS, project / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    result = subprocess.run(
        [sys.executable, "-c", PREPARE, str(N_PRINTS)],
        cwd=project,
        env=_environment(project, f"sqlite:///{project / 'mlflow.db'}"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"preparing the small project failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert (project / "data" / "03_primary" / "samples.pkl").is_file()
    return project


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    """A kernelspec that runs this very interpreter (the venv's), found through $JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "foot_landmarks (test)",
                "language": "python",
            }
        )
    )
    return root


def _execute(name: str, project: Path, kernel_dir: Path, tracking_uri: str, monkeypatch) -> str:
    """Run a notebook in the copy's notebooks/ folder; return the text of all its outputs."""
    nbformat = pytest.importorskip("nbformat")
    execute = pytest.importorskip("nbconvert.preprocessors")
    for key, value in _environment(project, tracking_uri).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))
    notebook = nbformat.read(project / "notebooks" / name, as_version=4)
    processor = execute.ExecutePreprocessor(kernel_name=KERNEL_NAME, timeout=240)
    try:
        processor.preprocess(notebook, {"metadata": {"path": str(project / "notebooks")}})
    except execute.CellExecutionError as exc:
        pytest.fail(f"{name} failed:\n{str(exc)[-4000:]}")
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            for mime in ("text/plain", "text/markdown"):
                texts.append(str(output.get("data", {}).get(mime, "")))
    return "\n".join(texts)


def test_notebooks_are_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} holds outputs"


def test_01_data_runs_on_small_data(small_project: Path, kernel_dir: Path, monkeypatch) -> None:
    text = _execute("01_data.ipynb", small_project, kernel_dir, f"sqlite:///{small_project / 'mlflow.db'}", monkeypatch)
    assert "samples kept" in text
    assert "subjects in more than one split: 0" in text


def test_02_results_compares_variants_and_draws_worst(small_project: Path, kernel_dir: Path, monkeypatch) -> None:
    text = _execute("02_results.ipynb", small_project, kernel_dir, f"sqlite:///{small_project / 'mlflow.db'}", monkeypatch)
    assert "geometric" in text
    assert "variant geometric" in text  # the worst-predictions part ran
    assert "No MLflow runs yet" not in text


def test_02_results_says_so_without_mlflow_runs(small_project: Path, kernel_dir: Path, tmp_path, monkeypatch) -> None:
    text = _execute("02_results.ipynb", small_project, kernel_dir, f"sqlite:///{tmp_path / 'empty.db'}", monkeypatch)
    assert "No MLflow runs yet" in text
