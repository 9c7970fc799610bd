"""Wiring of the external_evaluation pipeline: one namespaced copy per outside set."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    draw_worst_external_feet,
    external_summary_table,
    log_external_to_mlflow,
    predict_external_set,
    score_external_set,
)

EXTERNAL_SETS = ("real_annotated", "cleanroom_photo_form", "cleanroom_flatbed_ink", "cleanroom_bare_sole")


def _set_pipeline(name: str) -> Pipeline:
    return Pipeline(
        [
            Node(predict_external_set, ["landmark_model", f"{name}.external_set", "params:external_evaluation"],
                 [f"{name}.external_landmarks", f"{name}.external_failures"], name=f"{name}.predict"),
            Node(score_external_set, [f"{name}.external_set", f"{name}.external_landmarks", f"params:external_evaluation.names.{name}"],
                 [f"{name}.external_point_errors", f"{name}.external_summary", f"{name}.external_per_landmark",
                  f"{name}.external_confidence_deciles"], name=f"{name}.score"),
            Node(draw_worst_external_feet, [f"{name}.external_set", f"{name}.external_point_errors"],
                 f"{name}.external_worst_feet", name=f"{name}.draw_worst_feet"),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    per_set = sum((_set_pipeline(name) for name in EXTERNAL_SETS), Pipeline([]))
    summaries = [f"{name}.external_summary" for name in EXTERNAL_SETS]
    return per_set + Pipeline(
        [
            Node(external_summary_table, summaries, "external_summary_table", name="external_summary_table"),
            Node(log_external_to_mlflow, "external_summary_table", None, name="log_external_to_mlflow"),
        ],
        tags="external_evaluation",
    )
