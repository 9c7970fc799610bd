"""The foot-landmarks command line: synth, contact-sheet and its one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_errors import ERROR_PREFIX, cli_error_line

from foot_landmarks.command_line import main


@pytest.mark.parametrize("n", ["0", "-4", "abc", "2.5", ""])
def test_synth_bad_n_is_one_line_exit_2(n, tmp_path, capsys):
    assert main(["synth", "--n", n, "--seed", "1", "--out", str(tmp_path / "out")]) == 2
    assert "--n" in cli_error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [[], ["synth"], ["synth", "--n", "2"], ["nonsense"], ["synth", "--n", "2", "--out", "x", "--seed", "s"],
     ["synth", "--n", "2", "--out", "x", "--processes", "0"]],
)
def test_bad_arguments_are_one_line_exit_2(argv, capsys):
    assert main(argv) == 2
    cli_error_line(capsys)


def test_unwritable_out_dir(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["synth", "--n", "1", "--out", str(blocker / "sub")]) == 2
    cli_error_line(capsys)
    assert main(["synth", "--n", "1", "--out", str(blocker)]) == 2
    cli_error_line(capsys)


def test_refuses_to_overwrite_without_force_and_force_works(tmp_path, capsys):
    out = tmp_path / "ds"
    (out / "images").mkdir(parents=True)
    (out / "images" / "old.jpg").write_bytes(b"old")
    (out / "via_annotations.csv").write_text("old annotations")
    assert main(["synth", "--n", "1", "--seed", "3", "--out", str(out), "--processes", "1"]) == 2
    assert "--force" in cli_error_line(capsys)
    assert (out / "via_annotations.csv").read_text() == "old annotations"
    assert (out / "images" / "old.jpg").exists()

    assert main(["synth", "--n", "1", "--seed", "3", "--out", str(out), "--processes", "1", "--force", "--json"]) == 0
    assert '"usable": 1' in capsys.readouterr().out
    assert (out / "via_annotations.csv").read_text().startswith("filename,file_size")
    assert [p.suffix for p in (out / "images").iterdir()] == [".jpg"]
    assert not (out / "images" / "old.jpg").exists()

    sheet = tmp_path / "sheet.png"
    assert main(["contact-sheet", "--data", str(out), "--out", str(sheet), "--count", "2"]) == 0
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_contact_sheet_without_data_is_one_line(tmp_path, capsys):
    assert main(["contact-sheet", "--data", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    cli_error_line(capsys)


def test_entry_point_exit_status_and_stderr(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from foot_landmarks.command_line import main; sys.exit(main())",
         "synth", "--n", "zero", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.startswith(ERROR_PREFIX) and len(run.stderr.strip().splitlines()) == 1


# --- predict: every input it cannot use is one line naming it, exit status 2 -------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A SQLite MLflow store holding the model name `foot-landmarks` with one version and no alias."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path_factory.mktemp('store') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("foot-landmarks")
    client.create_model_version("foot-landmarks", source="file:///nowhere")
    return uri


@pytest.fixture
def scans(tmp_path):
    """A folder holding one (unread) scan file: predict fails before it reads any."""
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"not read")
    return folder


def _predict(argv, capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["predict", *argv])
    return status, cli_error_line(capsys)


def test_predict_with_a_missing_model_folder(scans, tmp_path, capsys, store):
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--model", str(tmp_path / "nope"),
                             "--tracking-uri", store], capsys)
    assert status == 2
    assert line == f"{ERROR_PREFIX} model {tmp_path / 'nope'}: no such folder (give a models:/ URI or an MLflow model folder)"
    assert not (tmp_path / "o").exists()  # nothing written


def test_predict_with_a_model_name_not_in_the_registry(scans, tmp_path, capsys, store):
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--model", "models:/no-such-model@champion",
                             "--tracking-uri", store], capsys)
    assert status == 2
    assert line == (f"{ERROR_PREFIX} model models:/no-such-model@champion (tracking URI {store}): "
                    "Registered Model with name=no-such-model not found")


def test_predict_with_an_alias_the_model_does_not_have(scans, tmp_path, capsys, store):
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--tracking-uri", store], capsys)
    assert status == 2
    assert line.startswith(f"{ERROR_PREFIX} model models:/foot-landmarks@champion (tracking URI {store}): ")
    assert "alias champion not found" in line


def test_predict_with_a_tracking_uri_mlflow_cannot_use(scans, tmp_path, capsys):
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--tracking-uri", "bogus://nowhere"], capsys)
    assert status == 2
    assert line.startswith(f"{ERROR_PREFIX} model models:/foot-landmarks@champion (tracking URI bogus://nowhere): ")
    assert "unsupported URI 'bogus://nowhere'" in line


def test_predict_with_a_sqlite_store_that_does_not_exist(scans, tmp_path, capsys):
    missing_db = tmp_path / "typo" / "mlflow.db"
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--tracking-uri", f"sqlite:///{missing_db}"],
                            capsys)
    assert status == 2
    assert line == f"{ERROR_PREFIX} tracking URI sqlite:///{missing_db}: no MLflow database at {missing_db}"
    assert not missing_db.exists()  # MLflow was not left to create an empty store


def test_predict_on_a_folder_without_scans(tmp_path, capsys, store):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no scans here")
    status, line = _predict([str(empty), "--out", str(tmp_path / "o"), "--tracking-uri", store], capsys)
    assert status == 2
    assert line == f"{ERROR_PREFIX} {empty}: no image files (.bmp, .jpeg, .jpg, .png, .tif, .tiff)"


def test_predict_with_a_page_size_it_does_not_know(scans, tmp_path, capsys, store):
    status, line = _predict([str(scans), "--out", str(tmp_path / "o"), "--page-size", "b17", "--tracking-uri", store],
                            capsys)
    assert status == 2
    assert line.startswith(f"{ERROR_PREFIX} argument --page-size: page size 'b17' not understood")


def test_predict_entry_point_reports_an_mlflow_failure_without_a_traceback(scans, tmp_path):
    """The installed command's own process: MLflow's logging and exceptions stay off stderr."""
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from foot_landmarks.command_line import main; sys.exit(main())",
         "predict", str(scans), "--out", str(tmp_path / "o"), "--tracking-uri", "bogus://nowhere"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [line for line in run.stderr.strip().splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
