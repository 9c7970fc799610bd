"""Evaluation pipeline: one namespaced instance per variant, over a trained `detector`, plus the
geometric baseline (no training) evaluated the same way."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.evaluation.nodes import (
    evaluate_predictions,
    log_baseline_to_mlflow,
    log_to_mlflow,
    metrics_by_kind,
    plot_learning_curves,
    plot_prediction_grid,
    predict_geometric_landmarks,
    predict_landmarks,
)
from foot_landmarks.pipelines.training.nodes import build_model_input
from foot_landmarks.variants import BASELINE_VARIANT, VARIANTS


def _bound(func, variant: str):
    return update_wrapper(partial(func, variant=variant), func)


def _scoring() -> list[Node]:
    return [
        Node(evaluate_predictions, ["predictions", "model_input"], ["metrics", "per_landmark"], name="evaluate_predictions"),
        Node(metrics_by_kind, ["predictions", "model_input", "samples"], "metrics_by_kind", name="metrics_by_kind"),
        Node(plot_prediction_grid, ["predictions", "model_input"], "prediction_grid", name="plot_prediction_grid"),
    ]


def evaluation_template(variant: str) -> Pipeline:
    return Pipeline(
        [
            Node(
                predict_landmarks,
                ["detector", "model_input", "samples", "crops", "raw_images", "params:training"],
                "predictions",
                name="predict_landmarks",
            ),
            *_scoring(),
            Node(plot_learning_curves, "training_history", "learning_curves", name="plot_learning_curves"),
            Node(
                _bound(log_to_mlflow, variant),
                [
                    "detector", "foot_finder", "training_history", "metrics", "per_landmark", "metrics_by_kind",
                    "learning_curves", "prediction_grid", "params:model", "params:training", "params:registry",
                ],
                "registration",
                name="log_to_mlflow",
            ),
        ]
    )


def baseline_template(variant: str = BASELINE_VARIANT) -> Pipeline:
    return Pipeline(
        [
            Node(build_model_input, ["samples", "crops", "params:model"], "model_input", name="build_model_input"),
            Node(predict_geometric_landmarks, ["samples", "crops", "model_input"], "predictions", name="predict_geometric_landmarks"),
            *_scoring(),
            Node(
                _bound(log_baseline_to_mlflow, variant),
                ["model_input", "metrics", "per_landmark", "metrics_by_kind", "prediction_grid", "params:model"],
                "registration",
                name="log_to_mlflow",
            ),
        ]
    )


def namespaced(template: Pipeline, variant: str) -> Pipeline:
    return Pipeline(
        template,
        namespace=variant,
        inputs={"samples", "crops", "raw_images", "foot_finder"} & template.inputs(),
        parameters={
            f"params:{name}": f"params:{variant}.{name}" if name in ("model", "training") else f"params:{name}"
            for name in ("model", "training", "registry")
            if f"params:{name}" in template.inputs()
        },
    )


def baseline_pipeline() -> Pipeline:
    return namespaced(baseline_template(), BASELINE_VARIANT)


def create_pipeline(**kwargs) -> Pipeline:
    """Re-evaluate every trained variant and the baseline; `--namespaces <variant>` runs one."""
    return sum((namespaced(evaluation_template(v), v) for v in VARIANTS), baseline_pipeline())
