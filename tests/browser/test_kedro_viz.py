"""kedro-viz draws the project's pipelines: `kedro viz run` served, rendered in headless Chromium.

For each of data_processing, training, evaluation and inference the test picks the pipeline in
kedro-viz's own pipeline dropdown and waits until the flowchart (SVG ``g.pipeline-node``) shows
exactly the top-level tasks and namespace groups (one per model variant) that kedro-viz's API
reports for it, plus names known to exist; it opens one variant group to see its tasks, checks
that the inference pipeline draws the registered model as a catalog dataset (kedro-mlflow's
MlflowModelRegistryDataset `landmark_model`), and saves a screenshot of the default pipeline to
docs/kedro_viz.png (only to the test's tmp folder when $CI is set).
"""

from __future__ import annotations

import json
import os
import random
import socket
import sys
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
# Catalog datasets that must be drawn as dataset nodes, with their dataset class.
KNOWN_DATASETS = {"inference": {"landmark_model": "MlflowModelRegistryDataset"}}
DROPDOWN = '[data-test="kedro-pipeline-selector"]'
DRAWN = "g.pipeline-node--task, g.pipeline-node--modularPipeline"
DRAWN_DATA = "g.pipeline-node--data"


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


@pytest.fixture(scope="module")
def viz_server(tmp_path_factory, local_server):
    """`kedro viz run` from the project root on a free port; always stopped afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("kedro_viz") / "kedro_viz.log"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "MPLBACKEND": "Agg"}
    command = _kedro_command() + ["viz", "run", "--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    url = f"http://127.0.0.1:{port}"
    with local_server(command, f"{url}/api/main", START_TIMEOUT_S, log, cwd=REPO_ROOT, env=env):
        yield url


def _expected_top_level(url: str, pipeline: str) -> set[str]:
    """Top-level tasks and namespace groups of a pipeline, as kedro-viz's API gives them."""
    data = _get_json(f"{url}/api/pipelines/{pipeline}")
    return {
        node["name"]
        for node in data["nodes"]
        if node["type"] in ("task", "modularPipeline") and not node.get("modular_pipelines")
    }


def _datasets(url: str, pipeline: str) -> dict[str, str]:
    """{name: dataset class} of a pipeline's dataset nodes, as kedro-viz's API gives them."""
    data = _get_json(f"{url}/api/pipelines/{pipeline}")
    return {node["name"]: str(node.get("dataset_type")).rsplit(".", 1)[-1] for node in data["nodes"] if node["type"] == "data"}


def _drawn(page, selector: str = DRAWN) -> set[str]:
    return set(page.eval_on_selector_all(selector, "els => els.map(e => e.textContent.trim())"))


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


def _wait_drawn(page, names: set[str], exact: bool, absent: tuple[str, ...] = (), selector: str = DRAWN) -> None:
    """Wait until the flowchart shows these names (if exact, nothing else `selector` matches; never `absent`)."""
    page.wait_for_function(
        """([sel, names, exact, absent]) => {
            const drawn = new Set([...document.querySelectorAll(sel)]
                .filter(e => e.getBoundingClientRect().width > 0)
                .map(e => e.textContent.trim()));
            return names.every(n => drawn.has(n)) && (!exact || drawn.size === names.length)
                && !absent.some(n => drawn.has(n));
        }""",
        arg=[selector, sorted(names), exact, list(absent)],
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
        if pipeline in KNOWN_DATASETS:
            datasets = _datasets(viz_server, pipeline)
            for name, dataset_class in KNOWN_DATASETS[pipeline].items():
                assert datasets.get(name) == dataset_class, f"{pipeline}: API has datasets {datasets}"
            try:
                _wait_drawn(page, set(KNOWN_DATASETS[pipeline]), exact=False, selector=DRAWN_DATA)
            except Exception:
                pytest.fail(f"{pipeline}: drew datasets {sorted(_drawn(page, DRAWN_DATA))}")
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
