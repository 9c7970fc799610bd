"""Leave-one-sheet-out on a real annotated set read from any folder (images/ + via_annotations.csv;
default ../shared/data/real_annotated, another with `--params real_annotated_dir=/path/to/set`):

    kedro run --pipeline adaptation_loso

The set goes through data processing's own nodes in memory (nothing of it is written but the
table and the overlays under data/08_reporting/adaptation); then for each sheet the champion (or
`finetune.base`) is fine-tuned on the other sheets' feet and scored on the sheet's before and after:
on its feet cut from their annotation, and on its whole image as a user sends it."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.data_processing.pipeline import create_pipeline as data_processing
from foot_landmarks.pipelines.finetune.nodes import (
    as_data_set,
    draw_sheet_overlays,
    log_adaptation_table,
    run_leave_one_sheet_out,
)
from foot_landmarks.tracking import load_registered_detector


def real_set_processing() -> Pipeline:
    """Data processing over the set's folder, its outputs under the namespace `loso`."""
    processing = data_processing()
    renamed = {"raw_annotations": "loso_raw_annotations", "raw_images": "loso_raw_images", "foot_finder": "foot_finder"}
    return Pipeline(
        processing,
        namespace="loso",
        inputs={k: v for k, v in renamed.items() if k in processing.inputs()},
        parameters={p for p in processing.inputs() if p.startswith("params:")},
    )


def create_pipeline(**kwargs) -> Pipeline:
    log_table = update_wrapper(partial(log_adaptation_table, name="leave_one_sheet_out"), log_adaptation_table)
    return Pipeline(
        [
            Node(as_data_set, ["loso_scans", "params:adaptation.loso.name"], "loso_raw_images", name="key_scans"),
            Node(as_data_set, ["loso_annotations", "params:adaptation.loso.name"], "loso_raw_annotations",
                 name="key_annotations"),
            real_set_processing(),
            Node(load_registered_detector, ["params:registry", "params:finetune.base"], "loso_base_detector", name="load_base"),
            Node(run_leave_one_sheet_out,
                 ["loso_base_detector", "loso.samples", "loso.crops", "samples", "crops", "loso_raw_images",
                  "params:finetune"],
                 ["loso_table", "loso_points", "loso_whole_image_errors"], name="leave_one_sheet_out"),
            Node(draw_sheet_overlays, ["loso_points", "loso.samples", "loso.crops"], "loso_overlays",
                 name="draw_sheet_overlays"),
            Node(log_table, "loso_table", None, name="log_leave_one_sheet_out"),
        ],
        tags="adaptation_loso",
    )
