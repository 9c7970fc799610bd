"""data_processing: raw scans + VIA annotations -> validated, cleaned, oriented crops and splits."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
