"""Reporting: every variant's latest MLflow run side by side, with the accuracy-vs-compute chart."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
