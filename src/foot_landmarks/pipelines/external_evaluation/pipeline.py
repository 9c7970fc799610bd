"""Wiring of the external_evaluation pipeline: one namespaced copy per outside set."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from .nodes import (
    draw_worst_external_feet,
    external_summary_table,
    log_external_to_mlflow,
    predict_external_set,
    score_external_set,
)

EXTERNAL_SETS = ("real_annotated", "cleanroom_photo_form", "cleanroom_flatbed_ink", "cleanroom_bare_sole")


def _named(func, set_name: str):
    return update_wrapper(partial(func, set_name=set_name), func)


def set_template(set_name: str) -> Pipeline:
    return Pipeline(
        [
            Node(predict_external_set, ["landmark_model", "external_set", "params:external_evaluation"],
                 ["external_landmarks", "external_failures"], name="predict"),
            Node(_named(score_external_set, set_name), ["external_set", "external_landmarks"],
                 ["external_point_errors", "external_summary", "external_per_landmark", "external_confidence_deciles"],
                 name="score"),
            Node(draw_worst_external_feet, ["external_set", "external_point_errors"], "external_worst_feet",
                 name="draw_worst_feet"),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    per_set = sum(
        (Pipeline(set_template(name), namespace=name, inputs={"landmark_model"},
                  parameters={"params:external_evaluation"}) for name in EXTERNAL_SETS),
        Pipeline([]),
    )
    summaries = [f"{name}.external_summary" for name in EXTERNAL_SETS]
    return per_set + Pipeline(
        [
            Node(external_summary_table, summaries, "external_summary_table", name="external_summary_table"),
            Node(log_external_to_mlflow, "external_summary_table", None, name="log_external_to_mlflow"),
        ],
        tags="external_evaluation",
    )
