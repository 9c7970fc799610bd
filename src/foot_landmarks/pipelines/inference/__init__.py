"""Inference: the registered model's champion (or another alias or version) on a folder of new scans."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
