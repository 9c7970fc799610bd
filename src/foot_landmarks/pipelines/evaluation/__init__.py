"""Per-variant evaluation: predictions, metrics, pictures and the MLflow run of each variant."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
