"""The processed crop of one foot, as the network sees it, with the matrix that maps back.

Made by foot_landmarks.pages (the same for training data and new scans): the foot upright, cut
around its print, cleaned, mirrored to right-foot configuration, inverted, scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from foot_landmarks import geometry as geo


@dataclass
class ProcessedPrint:
    """`crop`: uint8, print bright on black, right-foot orientation; `to_crop`: original -> crop."""

    crop: np.ndarray
    to_crop: geo.Matrix
    side: str | None = None
    side_source: str = "annotation"
    side_confidence: float = 1.0
    warnings: list[str] = field(default_factory=list)  # doubts about this foot, for the report
    axis_unsure: bool = False  # toes and heel may be read the wrong way round: every point is doubtful
    axis_guessed: bool = False  # the finder placed the heel or the toes where it saw neither
    cut_by_edge: bool = False  # the print reaches the image's edge: its outline may be cut off
    outline_mended: bool = False  # its outline and axis were taken from the ink, not the finder: every point doubtful


def analysis_copy(gray: np.ndarray, analysis_long_side: int) -> tuple[np.ndarray, int]:
    """An integer box reduction of the page to about `analysis_long_side` px (grids stay aligned)."""
    k = max(1, max(gray.shape) // analysis_long_side)
    return (np.asarray(Image.fromarray(gray).reduce(k)) if k > 1 else gray), k
