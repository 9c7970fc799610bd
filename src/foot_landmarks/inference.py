"""Raw scan in, 8 landmarks out in original scan pixels and millimetres.

decode the file -> preprocess (foot_landmarks.preprocessing) -> resize to the network's input ->
network -> heatmap decoding -> inverse of every geometric step -> mm from the scan's dpi.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from foot_landmarks import geometry as geo
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.io.datasets import ScanImage, reduction_for
from foot_landmarks.landmarks import LANDMARK_IDS, LANDMARK_NAMES, px_to_mm
from foot_landmarks.predict_command import IMAGE_SUFFIXES  # noqa: F401  (re-exported)
from foot_landmarks.preprocessing import crop_print

log = logging.getLogger(__name__)

LANDMARK_COLUMNS = [
    "image", "foot", "landmark", "name", "x_px", "y_px", "x_mm", "y_mm", "confidence", "low_confidence",
    "side", "side_source", "dpi", "scale_source",
]
ERROR_COLUMNS = ["image", "error"]


class ScanError(ValueError):
    """A scan that cannot be read or holds no usable foot print."""


def file_dpi(path: str | Path) -> float | None:
    """The dpi written in the image file, if any (JPEG JFIF / PNG pHYs / TIFF)."""
    try:
        with Image.open(path) as img:
            dpi = img.info.get("dpi")
    except OSError:
        return None
    if not dpi:
        return None
    value = float(dpi[0])
    return value if value > 1 else None  # JFIF writes 1 ("no unit") when it does not know


@dataclass
class ScanPredictor:
    detector: LandmarkDetector
    crop_height: int = 666
    crop_margin: float = 0.04
    analysis_long_side: int = 400
    low_confidence: float = 0.3

    def predict_scan(self, path: str | Path, dpi: float | None = None, side: str | None = None) -> pd.DataFrame:
        """The 8 landmarks of the foot on one scan (one row each); raises ScanError."""
        scan = ScanImage(str(path))
        try:
            width, height = scan.size()
            # The crop is about the foot's size; decode no finer than twice the crop needs.
            gray, to_work = scan.read(reduction_for(max(width, height), 2 * self.crop_height))
        except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... for broken files
            raise ScanError(f"{path}: cannot read image ({type(exc).__name__}: {exc})") from None
        side = side if side in ("left", "right") else None
        processed = crop_print(gray, to_work, side, self.crop_height, self.crop_margin, self.analysis_long_side)
        if processed.problem:
            raise ScanError(f"{path}: {processed.problem}")
        input_image, resize = geo.resize_with_matrix(processed.crop, self.detector.input_size)
        points_input, confidence = self.detector.predict(input_image[None])
        to_input = geo.compose(processed.to_crop, resize)
        points = geo.apply_to_points(geo.invert(to_input), points_input[0])
        if dpi is not None and not (isinstance(dpi, float) and math.isnan(dpi)):
            dpi, scale_source = float(dpi), "given"
        elif (from_file := file_dpi(path)) is not None:
            dpi, scale_source = from_file, "file"
        else:
            dpi, scale_source = math.nan, "none (pixels only)"
        mm = px_to_mm(points, dpi)
        return pd.DataFrame(
            {
                "image": str(path),
                "foot": "",
                "landmark": list(LANDMARK_IDS),
                "name": [LANDMARK_NAMES[k] for k in LANDMARK_IDS],
                "x_px": points[:, 0],
                "y_px": points[:, 1],
                "x_mm": mm[:, 0],
                "y_mm": mm[:, 1],
                "confidence": confidence[0],
                "low_confidence": confidence[0] < self.low_confidence,
                "side": processed.side,
                "side_source": processed.side_source,
                "dpi": dpi,
                "scale_source": scale_source,
            },
            columns=LANDMARK_COLUMNS,
        )

    def predict_files(self, paths, dpi=None, side=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every scan in `paths`; scans that fail get a row in the errors table, the rest still come out."""
        paths = list(paths)
        dpis = dpi if isinstance(dpi, (list, tuple)) else [dpi] * len(paths)
        sides = side if isinstance(side, (list, tuple)) else [side] * len(paths)
        tables, errors = [], []
        for i, (path, d, s) in enumerate(zip(paths, dpis, sides), start=1):
            try:
                tables.append(self.predict_scan(path, d, s))
            except ScanError as exc:
                errors.append({"image": str(path), "error": str(exc)})
                log.warning("%s", exc)
            if i % 10 == 0 or i == len(paths):
                log.info("predicted %d/%d scans", i, len(paths))
        landmarks = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=LANDMARK_COLUMNS)
        return landmarks, pd.DataFrame(errors, columns=ERROR_COLUMNS)


def draw_overlay(path: str | Path, landmarks: pd.DataFrame, max_side: int = 1200) -> Image.Image:
    """The scan (reduced) with its landmarks numbered; low-confidence ones drawn hollow in orange."""
    with Image.open(path) as img:
        img = img.convert("RGB")
    scale = min(1.0, max_side / max(img.size))
    if scale < 1:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(img)
    r = max(4, round(0.006 * max(img.size)))
    for row in landmarks.itertuples():
        x, y = (row.x_px + 0.5) * scale - 0.5, (row.y_px + 0.5) * scale - 0.5
        colour = (255, 140, 0) if row.low_confidence else (220, 20, 60)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=2, fill=None if row.low_confidence else colour)
        draw.text((x + r + 2, y - r - 2), str(row.landmark), fill=(0, 90, 255))
    return img
