"""Nodes of the foot_finder pipeline: its own generated pages (another seed than the default
data, so the landmark test split is never seen), training, scores, MLflow."""

from __future__ import annotations

import logging

import mlflow
import numpy as np
import pandas as pd

from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.foot_finder.evaluation import finder_scores
from foot_landmarks.foot_finder.pages import pages_with_feet
from foot_landmarks.foot_finder.training import canvases_from_pages, train_foot_finder
from foot_landmarks.synthetic.generate import generate_dataset

log = logging.getLogger(__name__)


def generate_finder_pages(params: dict) -> dict[str, np.ndarray]:
    """Generated pages (every look, the broken prints too) as finder canvases with their feet's points."""
    data = generate_dataset(
        int(params["n_feet"]), int(params["seed"]), mix=params.get("mix"), processes=int(params.get("workers", 2))
    )
    pages = pages_with_feet(data.images, data.points, data.files, int(params.get("decode_long_side", 640)))
    canvases, points = canvases_from_pages(pages)
    order = np.random.default_rng(int(params["seed"])).permutation(len(canvases))
    log.info("foot finder pages: %d pages, %d feet", len(canvases), int(np.isfinite(points[:, :, 0, 0]).sum()))
    return {"canvases": canvases[order], "points": points[order]}


def train_finder(pages: dict[str, np.ndarray], params: dict) -> tuple[FootFinder, pd.DataFrame]:
    return train_foot_finder(pages["canvases"], pages["points"], float(params.get("valid_share", 0.1)), params)


def shipped_finder() -> FootFinder:
    """The finder shipped with the package: the incumbent a fresh training must match."""
    return FootFinder.bundled()


def score_finder(finder: FootFinder, pages: dict[str, np.ndarray], params: dict) -> dict[str, float]:
    """Scores on the held-out pages (the last `valid_share`), each turned by a random angle."""
    n_valid = max(1, int(round(float(params.get("valid_share", 0.1)) * len(pages["canvases"]))))
    scores = finder_scores(finder, pages["canvases"][-n_valid:], pages["points"][-n_valid:], int(params.get("seed", 0)))
    log.info("foot finder on %d held-out pages: %s", n_valid, {k: round(v, 3) for k, v in scores.items()})
    return scores


def keep_better_finder(
    trained: FootFinder, trained_scores: dict, shipped: FootFinder, shipped_scores: dict
) -> tuple[FootFinder, dict]:
    """The finder the landmark pipelines use: the one just trained or the one shipped with the
    package, whichever scores better on the held-out generated pages (`better_finder`). Two
    trainings of the same code differ by several feet per 40 outside pages (benchmarks/RESULTS.md),
    so a fresh training replaces the shipped finder only where it is not worse."""
    keep_trained = better_finder(trained_scores, shipped_scores)
    chosen, scores = (trained, trained_scores) if keep_trained else (shipped, shipped_scores)
    log.info("foot finder kept: %s (trained %s, shipped %s)", "trained" if keep_trained else "shipped",
             _brief(trained_scores), _brief(shipped_scores))
    return chosen, {**scores, "kept": "trained" if keep_trained else "shipped"}


def better_finder(candidate: dict, incumbent: dict) -> bool:
    """Whether `candidate`'s held-out scores are at least as good as `incumbent`'s: more feet
    found, by more than one foot; else, found alike, at least as many sides read right."""
    one_foot = 1.0 / max(float(candidate.get("feet", 1)), 1.0)
    found_gain = float(candidate["found_share"]) - float(incumbent["found_share"])
    if abs(found_gain) > one_foot + 1e-9:
        return found_gain > 0
    return float(candidate["configuration_accuracy"]) >= float(incumbent["configuration_accuracy"])


def _brief(scores: dict) -> dict:
    return {k: round(float(scores[k]), 3) for k in ("found_share", "configuration_accuracy")}


def log_finder_to_mlflow(finder: FootFinder, history: pd.DataFrame, scores: dict, params: dict) -> None:
    """One MLflow run `foot_finder` (nested under the `kedro run` parent run when there is one)."""
    with mlflow.start_run(run_name="foot_finder", nested=mlflow.active_run() is not None):
        mlflow.set_tag("variant", "foot_finder")
        mlflow.set_tag("finder_kept", scores.get("kept", "trained"))
        mlflow.log_params({f"foot_finder.{k}": v for k, v in params.items() if not isinstance(v, dict)})
        for row in history.itertuples():
            mlflow.log_metrics({"finder_train_loss": row.train_loss, "finder_valid_loss": row.valid_loss}, step=int(row.epoch))
        mlflow.log_metrics({f"finder_{k}": v for k, v in {**scores, **finder.info}.items()
                            if isinstance(v, (int, float)) and np.isfinite(v)})
