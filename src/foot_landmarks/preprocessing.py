"""One scan page -> the processed crop a network sees, and the matrix that maps back.

Shared by the data_processing pipeline (training data) and inference (new scans), so a model
sees its inputs made exactly the way its training data were: segment the print on a reduced
copy, paint everything else as paper, crop with a margin, mirror left feet, invert, scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from foot_landmarks import geometry as geo
from foot_landmarks.segmentation import (
    PAPER,
    SegmentationParams,
    clean_page,
    keep_region,
    print_problem,
    segment_print,
)
from foot_landmarks.side_detection import detect_side


@dataclass
class ProcessedPrint:
    """`crop`: uint8, print bright on black, right-foot orientation; `to_crop`: original -> crop."""

    crop: np.ndarray | None
    to_crop: geo.Matrix | None
    problem: str | None = None
    side: str | None = None
    side_source: str = "annotation"


def analysis_copy(gray: np.ndarray, analysis_long_side: int) -> tuple[np.ndarray, int]:
    """An integer box reduction of the page to about `analysis_long_side` px (grids stay aligned)."""
    k = max(1, max(gray.shape) // analysis_long_side)
    return (np.asarray(Image.fromarray(gray).reduce(k)) if k > 1 else gray), k


def crop_print(
    gray: np.ndarray,
    to_work: geo.Matrix,
    side: str | None,
    crop_height: int,
    margin: float,
    analysis_long_side: int,
    seg_params: SegmentationParams | None = None,
    side_min_score: float = 0.08,
) -> ProcessedPrint:
    """Process one decoded page (`gray`, with `to_work` mapping original px to its px).

    `side` None means unknown: it is read from the print's anatomy (foot_landmarks.side_detection).
    """
    seg_params = seg_params or SegmentationParams()
    small, k = analysis_copy(gray, analysis_long_side)
    seg = segment_print(small, seg_params)
    problem = print_problem(seg, seg_params)
    if problem:
        return ProcessedPrint(None, None, problem, side)
    side_source = "annotation"
    if side not in ("left", "right"):
        side, side_source = detect_side(seg.mask, side_min_score).side, "detected"
        if side is None:
            return ProcessedPrint(None, None, "side unknown: not annotated and not detectable from the print")
    keep = keep_region(seg).repeat(k, axis=0).repeat(k, axis=1)[: gray.shape[0], : gray.shape[1]]
    cleaned = clean_page(gray, keep)

    x0, y0, x1, y1 = (v * k for v in seg.bbox)
    pad = margin * max(x1 - x0, y1 - y0)
    box = (int(np.floor(x0 - pad)), int(np.floor(y0 - pad)), int(np.ceil(x1 + pad)), int(np.ceil(y1 + pad)))
    image, to_crop = geo.crop_with_matrix(cleaned, box, fill=PAPER)
    steps = [to_work, to_crop]
    if side == "left":  # to right-foot orientation; landmark ids stay (toe 1 is the hallux)
        image, flip = geo.mirror_with_matrix(image)
        steps.append(flip)
    image = 255 - image  # print bright on black, as the network sees it
    out_width = max(1, round(image.shape[1] * crop_height / image.shape[0]))
    image, to_size = geo.resize_with_matrix(image, (crop_height, out_width))
    steps.append(to_size)
    return ProcessedPrint(image, geo.compose(*steps), None, side, side_source)
