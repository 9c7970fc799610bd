"""Inference: the registry's champion (or any MLflow model URI) on a folder of new scans."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
