"""Per-variant training: model input at the variant's size, then fastai training."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
