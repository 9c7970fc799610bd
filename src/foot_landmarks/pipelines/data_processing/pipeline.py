"""Wiring of the data_processing pipeline (the logic is in nodes.py)."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    clean_prints,
    collect_annotations,
    report_rejections,
    split_samples,
    validate_samples,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=collect_annotations,
                inputs=[
                    "raw_annotations",
                    "params:data_processing.annotation_files",
                    "params:data_processing.ignored_datasets",
                ],
                outputs=["annotations", "landmark_points", "annotation_rejections"],
                name="collect_annotations_node",
            ),
            Node(
                func=validate_samples,
                inputs=[
                    "annotations",
                    "landmark_points",
                    "annotation_rejections",
                    "raw_images",
                    "foot_finder",
                    "params:data_processing",
                    "params:data_processing.strict",
                    "params:data_processing.workers",
                ],
                outputs=["candidates", "validation_rejections"],
                name="validate_samples_node",
            ),
            Node(
                func=clean_prints,
                inputs=[
                    "candidates",
                    "raw_images",
                    "foot_finder",
                    "params:data_processing",
                    "params:data_processing.crop_height",
                    "params:data_processing.workers",
                ],
                outputs=["processed_samples", "crops", "cleaning_rejections"],
                name="clean_prints_node",
            ),
            Node(
                func=split_samples,
                inputs=["processed_samples", "params:data_processing.split.ratios", "params:data_processing.split.seed"],
                outputs="samples",
                name="split_samples_node",
            ),
            Node(
                func=report_rejections,
                inputs=["validation_rejections", "cleaning_rejections"],
                outputs="rejections",
                name="report_rejections_node",
            ),
        ],
        tags="data_processing",
    )
