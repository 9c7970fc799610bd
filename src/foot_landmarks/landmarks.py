"""The 8 plantar landmarks of ../shared/LANDMARKS.md: numbers, names, order and units.

Every module refers to landmarks through this file, so the numbering (1-8, as in the study)
is written down once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

N_LANDMARKS = 8
LANDMARK_IDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
LANDMARK_NAMES: dict[int, str] = {
    1: "hallux tip",
    2: "second toe tip",
    3: "third toe tip",
    4: "fourth toe tip",
    5: "fifth toe tip",
    6: "medial forefoot extreme",
    7: "lateral forefoot extreme",
    8: "heel point",
}
TOE_IDS: tuple[int, ...] = (1, 2, 3, 4, 5)
MEDIAL_FOREFOOT, LATERAL_FOREFOOT, HEEL = 6, 7, 8
SIDES: tuple[str, ...] = ("left", "right")


class FootAxes(NamedTuple):
    """The foot's frame from its points (LANDMARKS.md): unit vectors and the axis's length."""

    distal: np.ndarray  # from point 8 toward point 2
    medial: np.ndarray  # the axis turned toward the hallux side
    length: float  # |point 2 - point 8|, px


def foot_axes(points: np.ndarray) -> FootAxes | None:
    """The FootAxes of (8, 2) points in the right-foot configuration: the foot axis from point 8
    to point 2 (LANDMARKS.md) and that axis turned toward the hallux side (toes up (0, -1) ->
    medial (-1, 0), the left). None where points 8 and 2 coincide or are not finite."""
    axis = np.asarray(points[1], float) - np.asarray(points[HEEL - 1], float)
    norm = float(np.linalg.norm(axis))
    if not np.isfinite(norm) or norm < 1e-9:
        return None
    axis = axis / norm
    return FootAxes(axis, np.array([axis[1], -axis[0]]), norm)


def mirror_side(side: str | None) -> str | None:
    """The other foot ("left" <-> "right"); anything else (None, "") is returned as it is."""
    return {"left": "right", "right": "left"}.get(side or "", side)
STUDY_DPI = 300.0
MM_PER_INCH = 25.4


def px_to_mm(px: np.ndarray | float, dpi: np.ndarray | float) -> np.ndarray | float:
    """Pixels of a scan at `dpi` to millimetres (LANDMARKS.md: px x 25.4 / dpi)."""
    return np.asarray(px, dtype=float) * MM_PER_INCH / np.asarray(dpi, dtype=float)


def mm_to_px(mm: np.ndarray | float, dpi: np.ndarray | float) -> np.ndarray | float:
    return np.asarray(mm, dtype=float) * np.asarray(dpi, dtype=float) / MM_PER_INCH
