"""Project pipelines: every folder under pipelines/ with a create_pipeline()."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    default = Pipeline([])
    for name in ("data_processing", "training", "evaluation"):
        default += pipelines.get(name, Pipeline([]))
    pipelines["__default__"] = default
    return pipelines
