"""Inference pipeline: registry model -> landmarks.csv, errors.csv, overlays, measurements,
insole outlines (SVG/DXF) and one-page reports of a scan folder."""

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.inference.nodes import draw_overlays, load_registered_model, measure_feet, predict_scans


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(load_registered_model, "params:inference.model_uri", "landmark_model", name="load_registered_model"),
            Node(
                predict_scans,
                ["landmark_model", "scans_to_predict", "params:inference.dpi", "params:inference.page_size"],
                ["landmarks", "prediction_errors"],
                name="predict_scans",
            ),
            Node(draw_overlays, "landmarks", "landmark_overlays", name="draw_overlays"),
            Node(
                measure_feet,
                ["landmarks", "params:inference.clinical.output_dir", "params:inference.clinical.enabled"],
                "foot_measurements",
                name="measure_feet",
            ),
        ]
    )
