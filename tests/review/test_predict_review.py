"""`foot-landmarks predict ... --review DIR` with a registered model (tests/conftest.py's tiny registry)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from foot_landmarks.command_line import main
from foot_landmarks.io.via import read_via


@pytest.mark.slow  # a registered model (about 25 s to make)
def test_predict_review_writes_a_via_project_of_the_predictions(tiny_registry, tmp_path, capsys) -> None:
    model = f"models:/{tiny_registry.registry['model_name']}@{tiny_registry.registry['champion_alias']}"
    out, review = tmp_path / "out", tmp_path / "review"
    argv = ["predict", str(tiny_registry.scan), "--model", model, "--out", str(out), "--no-overlays",
            "--dpi", "300", "--review", str(review)]
    assert main(argv) == 0
    assert "Project > Load" in capsys.readouterr().out

    landmarks = pd.read_csv(out / "landmarks.csv")
    project = json.loads((review / "via_project.json").read_text())
    (record,) = project["_via_img_metadata"].values()
    assert record["filename"] == tiny_registry.scan.name
    assert project["_via_settings"]["core"]["default_filepath"].rstrip("/") == str(tiny_registry.scan.parent)
    assert record["file_attributes"]["dpi"] == "300"
    points = read_via(review / "via_annotations.csv").points.sort_values("landmark")
    assert len(points) == len(landmarks) == 8
    assert abs(points["x"].to_numpy() - landmarks.sort_values("landmark")["x_px"].to_numpy()).max() <= 5e-4
