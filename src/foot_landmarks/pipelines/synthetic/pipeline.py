"""Wiring of the `synthetic` pipeline."""

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.synthetic.nodes import generate_synthetic_scans


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                generate_synthetic_scans,
                inputs="params:synthetic",
                outputs=["synthetic_scans", "synthetic_via_annotations"],
                name="generate_synthetic_scans",
            )
        ]
    )
