"""Inference pipeline: the registered model (catalog `landmark_model`) -> landmarks.csv,
errors.csv, overlays, measurements, insole outlines (SVG/DXF) and one-page reports of a scan folder."""

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.inference.nodes import draw_overlays, measure_feet, predict_scans


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                predict_scans,
                ["landmark_model", "scans_to_predict", "params:inference.dpi", "params:inference.page_size"],
                ["landmarks", "prediction_errors"],
                name="predict_scans",
            ),
            Node(draw_overlays, "landmarks", "landmark_overlays", name="draw_overlays"),
            Node(
                measure_feet,
                ["landmarks", "params:inference.clinical.enabled"],
                {
                    "measurements": "foot_measurements",
                    "insole_svg": "insole_outlines_svg",
                    "insole_dxf": "insole_outlines_dxf",
                    "report_png": "clinical_reports_png",
                    "report_pdf": "clinical_reports_pdf",
                },
                name="measure_feet",
            ),
        ]
    )
