"""The foot finder: generated pages -> a small page network that finds every foot (foot_landmarks.foot_finder)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
