"""Training pipeline: one namespaced instance per variant (foot_landmarks.variants), each trained
then evaluated and logged to MLflow, plus the geometric baseline.
`kedro run --pipeline training --namespaces <variant>` runs one."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.training.nodes import build_model_input, train_model
from foot_landmarks.variants import VARIANTS


def training_template(variant: str | None = None) -> Pipeline:
    """build_model_input -> train_model; `variant` names the run in training's log lines and errors."""
    train = update_wrapper(partial(train_model, variant=variant), train_model)
    return Pipeline(
        [
            Node(build_model_input, ["samples", "crops", "params:model"], "model_input", name="build_model_input"),
            Node(
                train,
                ["model_input", "params:model", "params:training"],
                ["detector", "training_history"],
                name="train_model",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    # Imported here: the evaluation pipeline reuses build_model_input from this package.
    from foot_landmarks.pipelines.evaluation.pipeline import baseline_pipeline, evaluation_template, namespaced

    return sum((namespaced(training_template(v) + evaluation_template(v), v) for v in VARIANTS), baseline_pipeline())
