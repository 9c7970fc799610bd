"""The learning curve of fine-tuning: held-out error against the number of real feet used."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
