"""The learning curve a clinic reads (issue 21):

    kedro run --pipeline finetune_curve --params finetune.datasets=NAME

held-out error against the number of real feet used for fine-tuning (`finetune.learning_curve_n`,
capped at the real training feet there are; N = 0 is the model before fine-tuning), on the same
subject split as the `finetune` pipeline: a picture, a table and an MLflow run. Registers nothing."""

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.finetune.nodes import (
    learning_curve_table,
    log_learning_curve,
    plot_learning_curve,
    select_real_feet,
)
from foot_landmarks.tracking import load_registered_detector


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(load_registered_detector, ["params:registry", "params:finetune.base"], "finetune_base_detector",
                 name="load_base"),
            Node(select_real_feet, ["samples", "params:finetune"], "finetune_real_feet", name="select_real_feet"),
            Node(learning_curve_table,
                 ["finetune_base_detector", "finetune_real_feet", "samples", "crops", "raw_images", "params:finetune"],
                 "finetune_learning_curve_table", name="learning_curve_table"),
            Node(plot_learning_curve, "finetune_learning_curve_table", "finetune_learning_curve",
                 name="plot_learning_curve"),
            Node(log_learning_curve, ["finetune_learning_curve_table", "finetune_learning_curve"], None,
                 name="log_learning_curve"),
        ],
        tags="finetune_curve",
    )
