"""Wiring of the foot_finder pipeline (the logic is in nodes.py)."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    generate_finder_pages,
    keep_better_finder,
    log_finder_to_mlflow,
    score_finder,
    shipped_finder,
    train_finder,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(generate_finder_pages, "params:foot_finder.pages", "foot_finder_pages", name="generate_finder_pages"),
            Node(train_finder, ["foot_finder_pages", "params:foot_finder.training"],
                 ["trained_foot_finder", "foot_finder_history"], name="train_finder"),
            Node(score_finder, ["trained_foot_finder", "foot_finder_pages", "params:foot_finder.training"],
                 "trained_foot_finder_scores", name="score_trained_finder"),
            Node(shipped_finder, None, "shipped_foot_finder", name="shipped_finder"),
            Node(score_finder, ["shipped_foot_finder", "foot_finder_pages", "params:foot_finder.training"],
                 "shipped_foot_finder_scores", name="score_shipped_finder"),
            Node(keep_better_finder, ["trained_foot_finder", "trained_foot_finder_scores", "shipped_foot_finder",
                                      "shipped_foot_finder_scores"], ["foot_finder", "foot_finder_scores"],
                 name="keep_better_finder"),
            Node(log_finder_to_mlflow, ["foot_finder", "foot_finder_history", "foot_finder_scores",
                                        "params:foot_finder.training"], None, name="log_finder_to_mlflow"),
        ],
        tags="foot_finder",
    )
