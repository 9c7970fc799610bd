"""Fine-tuning the champion on a clinic's own feet, promoted only when better on held-out real feet."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
