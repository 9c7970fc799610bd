"""Kedro pipeline `synthetic`: generate the synthetic scans and their VIA annotations."""

from foot_landmarks.pipelines.synthetic.pipeline import create_pipeline

__all__ = ["create_pipeline"]
