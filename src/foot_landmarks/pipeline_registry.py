"""Project pipelines: every folder under pipelines/ with a create_pipeline()."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from foot_landmarks.variants import BASELINE_VARIANT, EFFICIENT_VARIANTS


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    # A bare `kedro run` does what `make run` trains: the study's U-Nets need a GPU (hours per
    # variant on a CPU), so they run only when named (`--pipeline training --namespaces ...`).
    # (Kedro 1.x may load only the pipeline a run names; the default is built when both are here.)
    if "data_processing" in pipelines and "training" in pipelines:
        pipelines["__default__"] = pipelines["data_processing"] + pipelines[
            "training"
        ].only_nodes_with_namespaces([*EFFICIENT_VARIANTS, BASELINE_VARIANT])
    return pipelines
