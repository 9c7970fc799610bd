"""External evaluation: the registered model on outside sets (real annotated scans, the clean-room renderer)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
