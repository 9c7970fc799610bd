"""Reporting pipeline: `kedro run --pipeline reporting` after any training run."""

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.reporting.nodes import collect_variant_runs, comparison_markdown, plot_accuracy_vs_compute


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            # no input: the variants' experiment is the active one, named in mlflow.yml
            Node(collect_variant_runs, None, "variant_comparison", name="collect_variant_runs"),
            Node(plot_accuracy_vs_compute, "variant_comparison", "accuracy_vs_compute", name="plot_accuracy_vs_compute"),
            Node(comparison_markdown, "variant_comparison", "variant_comparison_md", name="comparison_markdown"),
        ]
    )
