"""Measurement: a controlled domain shift (a base model trained without one look, fine-tuned on N feet of it)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
