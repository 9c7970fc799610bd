"""Measurement: leave-one-sheet-out fine-tuning on a real annotated set in any folder."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
