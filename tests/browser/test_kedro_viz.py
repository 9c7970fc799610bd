"""kedro-viz draws the project's pipelines: `kedro viz run` served, rendered in headless Chromium.

For each of data_processing, training, evaluation and inference the test picks the pipeline in
kedro-viz's own pipeline dropdown and waits until the flowchart (SVG ``g.pipeline-node``) shows
exactly the top-level tasks and namespace groups (one per model variant) that kedro-viz's API
reports for it, plus names known to exist; it opens one variant group to see its tasks, and saves
a screenshot of the default pipeline to docs/kedro_viz.png (only to the test's tmp folder when
$CI is set).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

pytestmark = pytest.mark.browser

START_TIMEOUT_S = 180
RENDER_TIMEOUT_MS = 90_000
QUICK_VARIANT = "resnet18_light_s4"  # the Makefile's CPU profile, a namespace of training/evaluation
PIPELINES = ("data_processing", "training", "evaluation", "inference")
# Names that must be drawn at the top level of each pipeline (tasks or namespace groups) ...
KNOWN_TOP_LEVEL = {
    "data_processing": {"validate_samples_node", "clean_prints_node"},
    "training": {QUICK_VARIANT},
    "evaluation": {QUICK_VARIANT},
    "inference": {"predict_scans"},
}
# ... and inside the QUICK_VARIANT group once it is opened.
KNOWN_IN_VARIANT = {
    "training": {"build_model_input", "train_model"},
    "evaluation": {"evaluate_predictions"},
}
DROPDOWN = '[data-test="kedro-pipeline-selector"]'
DRAWN = "g.pipeline-node--task, g.pipeline-node--modularPipeline"


def _free_port() -> int:
    """A free port below 49152: kedro-viz refuses any port above 49151 (the ephemeral range)."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 49_000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free TCP port between 20000 and 49000")


def _kedro_command() -> list[str]:
    kedro = Path(sys.executable).with_name("kedro")
    return [str(kedro)] if kedro.exists() else [sys.executable, "-m", "kedro"]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="module")
def viz_server(tmp_path_factory):
    """`kedro viz run` from the project root on a free port; always stopped afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("kedro_viz") / "kedro_viz.log"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "MPLBACKEND": "Agg"}
    command = _kedro_command() + ["viz", "run", "--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"`{' '.join(command)}` exited with {process.returncode}:\n{_tail(log)}")
            try:
                _get_json(f"{url}/api/main")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"kedro viz did not answer on {url} within {START_TIMEOUT_S} s:\n{_tail(log)}")
            time.sleep(1)
        yield url
    finally:
        # kedro viz runs the server in a child process: stop the whole process group.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _expected_top_level(url: str, pipeline: str) -> set[str]:
    """Top-level tasks and namespace groups of a pipeline, as kedro-viz's API gives them."""
    data = _get_json(f"{url}/api/pipelines/{pipeline}")
    return {
        node["name"]
        for node in data["nodes"]
        if node["type"] in ("task", "modularPipeline") and not node.get("modular_pipelines")
    }


def _drawn(page) -> set[str]:
    return set(page.eval_on_selector_all(DRAWN, "els => els.map(e => e.textContent.trim())"))


def _dismiss_popups(page) -> None:
    """The first-visit feature tour and the 'new version' banner (its check has no network here)."""
    for selector in (".feature-hints__close", ".update-reminder-unexpanded button:has-text('Dismiss')"):
        popup = page.locator(selector)
        if popup.count() and popup.first.is_visible():
            popup.first.click()


def _select_pipeline(page, name: str) -> None:
    page.click(f"{DROPDOWN} button.dropdown__label")
    page.click(f'{DROPDOWN} .menu-option__content[title="{name}"]')
    page.wait_for_function(
        "([sel, name]) => document.querySelector(sel + ' .dropdown__label').textContent.trim() === name",
        arg=[DROPDOWN, name],
    )


def _wait_drawn(page, names: set[str], exact: bool, absent: tuple[str, ...] = ()) -> None:
    """Wait until the flowchart shows these names (if exact, no other task or group; never `absent`)."""
    page.wait_for_function(
        """([sel, names, exact, absent]) => {
            const drawn = new Set([...document.querySelectorAll(sel)]
                .filter(e => e.getBoundingClientRect().width > 0)
                .map(e => e.textContent.trim()));
            return names.every(n => drawn.has(n)) && (!exact || drawn.size === names.length)
                && !absent.some(n => drawn.has(n));
        }""",
        arg=[DRAWN, sorted(names), exact, list(absent)],
        timeout=RENDER_TIMEOUT_MS,
    )


def test_kedro_viz_draws_every_pipeline(viz_server: str, page, tmp_path) -> None:
    listed = {p["id"] for p in _get_json(f"{viz_server}/api/main")["pipelines"]}
    assert set(PIPELINES) <= listed, f"kedro-viz lists {sorted(listed)}"

    page.goto(viz_server)
    page.wait_for_selector("g.pipeline-node", timeout=RENDER_TIMEOUT_MS)
    _dismiss_popups(page)

    for pipeline in PIPELINES:
        expected = _expected_top_level(viz_server, pipeline)
        assert KNOWN_TOP_LEVEL[pipeline] <= expected, f"{pipeline}: API has {sorted(expected)}"
        _select_pipeline(page, pipeline)
        try:
            _wait_drawn(page, expected, exact=True)
        except Exception:  # say what was drawn instead of a bare timeout
            pytest.fail(f"{pipeline}: drew {sorted(_drawn(page))}, expected {sorted(expected)}")
        if pipeline in KNOWN_IN_VARIANT:
            # Open the variant's namespace group with a click, as a user does.
            page.click(f'g.pipeline-node--modularPipeline:has-text("{QUICK_VARIANT}")')
            try:  # the group is open: its tasks are drawn instead of the group
                _wait_drawn(page, KNOWN_IN_VARIANT[pipeline], exact=False, absent=(QUICK_VARIANT,))
            except Exception:
                pytest.fail(f"{pipeline}: opening {QUICK_VARIANT} drew {sorted(_drawn(page))}")
        _dismiss_popups(page)

    # The picture: the default pipeline on a fresh load (clicks above may have scrolled panels).
    page.goto(f"{viz_server}/?pid=__default__")
    _wait_drawn(page, _expected_top_level(viz_server, "__default__"), exact=True)
    _dismiss_popups(page)
    page.wait_for_timeout(2500)  # zoom-to-fit and the banners' transitions
    _dismiss_popups(page)
    shots = [tmp_path / "kedro_viz.png"]
    if not os.environ.get("CI"):
        shots.append(REPO_ROOT / "docs" / "kedro_viz.png")
    for shot in shots:
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
