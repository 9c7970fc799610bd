"""Small prediction tables (LANDMARK_COLUMNS, as `predict` writes them) and tiny scans on disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from foot_landmarks.inference import LANDMARK_COLUMNS
from foot_landmarks.landmarks import LANDMARK_NAMES

# One foot in image px: heel (8) 200 px below the hallux tip (1), every other toe nearer the
# heel, so the foot length (8 to the farthest toe tip) is exactly 200 px.
FOOT = {1: (60.0, 40.0), 2: (80.0, 50.0), 3: (95.0, 60.0), 4: (108.0, 72.0), 5: (118.0, 86.0),
        6: (50.0, 110.0), 7: (125.0, 125.0), 8: (60.0, 240.0)}


def foot_rows(image: str, confidence: list[float], foot: str = "", side: str | None = None, dpi: float = 254.0,
              shift: tuple[float, float] = (0.0, 0.0)) -> pd.DataFrame:
    """The 8 prediction rows of one foot (LANDMARK_COLUMNS), FOOT shifted by `shift`."""
    xy = np.array([FOOT[k] for k in range(1, 9)]) + np.array(shift)
    confidence = np.asarray(confidence, float)
    return pd.DataFrame({
        "image": image, "foot": foot, "landmark": range(1, 9), "name": [LANDMARK_NAMES[k] for k in range(1, 9)],
        "x_px": xy[:, 0], "y_px": xy[:, 1], "x_mm": xy[:, 0] * 25.4 / dpi, "y_mm": xy[:, 1] * 25.4 / dpi,
        "confidence": confidence, "low_confidence": confidence < 0.5,
        "side": side if side is not None else (foot or "right"), "side_source": "detected",
        "dpi": dpi, "scale_source": "given",
    }).reindex(columns=LANDMARK_COLUMNS)  # columns the table gains later (e.g. warnings) stay empty


def write_png(path, size=(200, 300), seed=0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=(size[1], size[0]), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
