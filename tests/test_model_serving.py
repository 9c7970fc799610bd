"""The registered champion used outside Kedro: `mlflow models serve -m
models:/foot-landmarks@champion --env-manager local` answers a scan, and `foot-landmarks predict
--clinical` writes its clinical files.

The server runs against the tiny registry of tests/conftest.py on a free port of 127.0.0.1; the
test waits for it at most START_TIMEOUT_S, posts one synthetic scan's path to /invocations and
gets the 8 landmarks back. The server's whole process group is stopped afterwards, whatever
happened.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

START_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        return json.load(response)


@pytest.fixture()
def model_server(tiny_registry, tmp_path, local_server):
    """The champion served on a free local port; yields its base URL."""
    port = _free_port()
    model = f"models:/{tiny_registry.registry['model_name']}@{tiny_registry.registry['champion_alias']}"
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow_cli), "models", "serve", "-m", model, "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(port)]
    # the server starts `uvicorn` by name: the venv's bin folder first on PATH, as when activated
    env = {**os.environ, "MLFLOW_TRACKING_URI": tiny_registry.tracking_uri,
           "PATH": os.pathsep.join([str(mlflow_cli.parent), os.environ.get("PATH", "")])}
    url = f"http://127.0.0.1:{port}"
    with local_server(command, f"{url}/ping", START_TIMEOUT_S, tmp_path / "serve.log", env=env):
        yield url


@pytest.mark.slow
def test_the_served_champion_gives_8_landmarks_of_a_posted_scan(model_server, tiny_registry):
    answer = _post_json(
        f"{model_server}/invocations",
        {"dataframe_records": [{"image": str(tiny_registry.scan), "dpi": 300.0}]},
    )
    rows = answer["predictions"]
    assert [row["landmark"] for row in rows] == list(range(1, 9))
    assert all(row["image"] == str(tiny_registry.scan) and "error" not in row for row in rows)
    # an untrained model: anywhere on the scan, but in original scan pixels, and mm at the given dpi
    from PIL import Image

    width, height = Image.open(tiny_registry.scan).size
    px = np.array([[row["x_px"], row["y_px"]] for row in rows])
    mm = np.array([[row["x_mm"], row["y_mm"]] for row in rows])
    assert ((px >= -0.5) & (px <= [width, height])).all()
    assert np.ptp(mm, axis=0) == pytest.approx(np.ptp(px, axis=0) * 25.4 / 300.0, rel=1e-6)


@pytest.mark.slow
def test_the_predict_command_writes_the_clinical_files_of_the_champion(tiny_registry, tmp_path, capsys):
    from foot_landmarks.command_line import main

    out = tmp_path / "out"
    status = main(["predict", str(tiny_registry.scan), "--out", str(out), "--dpi", "300", "--clinical",
                   "--tracking-uri", tiny_registry.tracking_uri])
    assert status == 0, capsys.readouterr().err
    stem = tiny_registry.scan.stem
    measurements = pd.read_csv(out / "measurements.csv")
    assert measurements["clinical_files"].tolist() == [stem] and measurements["foot_length_mm"].gt(0).all()
    assert sorted(p.name for p in (out / "clinical").iterdir()) == sorted(
        f"{stem}_{kind}" for kind in ("insole.svg", "insole.dxf", "report.png", "report.pdf"))
