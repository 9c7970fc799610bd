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


def score_finder(finder: FootFinder, pages: dict[str, np.ndarray], params: dict) -> dict[str, float]:
    """Scores on the held-out pages (the last `valid_share`), each turned by a random angle."""
    n_valid = max(1, int(round(float(params.get("valid_share", 0.1)) * len(pages["canvases"]))))
    scores = finder_scores(finder, pages["canvases"][-n_valid:], pages["points"][-n_valid:], int(params.get("seed", 0)))
    log.info("foot finder on %d held-out pages: %s", n_valid, {k: round(v, 3) for k, v in scores.items()})
    return scores


def log_finder_to_mlflow(finder: FootFinder, history: pd.DataFrame, scores: dict, params: dict) -> None:
    """One MLflow run `foot_finder` (nested under the `kedro run` parent run when there is one)."""
    with mlflow.start_run(run_name="foot_finder", nested=mlflow.active_run() is not None):
        mlflow.set_tag("variant", "foot_finder")
        mlflow.log_params({f"foot_finder.{k}": v for k, v in params.items() if not isinstance(v, dict)})
        for row in history.itertuples():
            mlflow.log_metrics({"finder_train_loss": row.train_loss, "finder_valid_loss": row.valid_loss}, step=int(row.epoch))
        mlflow.log_metrics({f"finder_{k}": v for k, v in {**scores, **finder.info}.items()
                            if isinstance(v, (int, float)) and np.isfinite(v)})
