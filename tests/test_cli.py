"""The foot-landmarks command line: synth, contact-sheet and its one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from foot_landmarks.command_line import main

PREFIX = "foot-landmarks: error:"


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(PREFIX) and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("n", ["0", "-4", "abc", "2.5", ""])
def test_synth_bad_n_is_one_line_exit_2(n, tmp_path, capsys):
    assert main(["synth", "--n", n, "--seed", "1", "--out", str(tmp_path / "out")]) == 2
    assert "--n" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "argv",
    [[], ["synth"], ["synth", "--n", "2"], ["nonsense"], ["synth", "--n", "2", "--out", "x", "--seed", "s"],
     ["synth", "--n", "2", "--out", "x", "--processes", "0"]],
)
def test_bad_arguments_are_one_line_exit_2(argv, capsys):
    assert main(argv) == 2
    _one_line_error(capsys)


def test_unwritable_out_dir(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["synth", "--n", "1", "--out", str(blocker / "sub")]) == 2
    _one_line_error(capsys)
    assert main(["synth", "--n", "1", "--out", str(blocker)]) == 2
    _one_line_error(capsys)


def test_refuses_to_overwrite_without_force_and_force_works(tmp_path, capsys):
    out = tmp_path / "ds"
    (out / "images").mkdir(parents=True)
    (out / "images" / "old.jpg").write_bytes(b"old")
    (out / "via_annotations.csv").write_text("old annotations")
    assert main(["synth", "--n", "1", "--seed", "3", "--out", str(out), "--processes", "1"]) == 2
    assert "--force" in _one_line_error(capsys)
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
    _one_line_error(capsys)


def test_entry_point_exit_status_and_stderr(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from foot_landmarks.command_line import main; sys.exit(main())",
         "synth", "--n", "zero", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.startswith(PREFIX) and len(run.stderr.strip().splitlines()) == 1
