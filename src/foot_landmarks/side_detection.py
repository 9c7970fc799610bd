"""Tell a left from a right foot print by its anatomy (for files whose annotation has no side).

Works on the print mask of an upright print (toes up) in print view, where a right foot has the
hallux on the left (LANDMARKS.md). Three cues, each a signed offset from the foot axis (heel
centre to forefoot centre) in units of the forefoot width, positive meaning "right foot":

- toe mass: the hallux is the biggest toe, so the toes' ink lies medially;
- first toe tip: the most distal ink (hallux or second toe) is medial;
- midfoot contact: the arch leaves no ink medially, the lateral band does.

Their sum is the score; when it is too small to trust, the side is unknown (None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Bands along the foot, as fractions of its length from the most distal ink (toes) down.
TOE_BAND = (0.0, 0.18)
FOREFOOT_BAND = (0.22, 0.38)
MIDFOOT_BAND = (0.45, 0.65)
HEEL_BAND = (0.82, 1.0)


@dataclass(frozen=True)
class SideEstimate:
    side: str | None  # "left", "right", or None when the cues do not agree enough
    score: float  # > 0 right, < 0 left
    cues: dict[str, float]


def _band(mask: np.ndarray, top: int, length: int, band: tuple[float, float]) -> np.ndarray:
    a, b = top + int(band[0] * length), top + max(int(band[1] * length), int(band[0] * length) + 1)
    return mask[a:b]


def _centroid_x(rows: np.ndarray) -> float:
    _, xs = np.nonzero(rows)
    return float(xs.mean()) if xs.size else np.nan


def side_cues(mask: np.ndarray) -> dict[str, float]:
    """The three signed cues (positive = right foot) of an upright print mask."""
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size < 10:
        return {}
    top, length = int(ys[0]), int(ys[-1] - ys[0] + 1)
    forefoot = _band(mask, top, length, FOREFOOT_BAND)
    fore_cols = np.flatnonzero(forefoot.any(axis=0))
    if fore_cols.size < 2:
        return {}
    fore_centre = 0.5 * (fore_cols[0] + fore_cols[-1])
    width = float(fore_cols[-1] - fore_cols[0] + 1)
    heel_centre = _centroid_x(_band(mask, top, length, HEEL_BAND))
    if np.isnan(heel_centre):
        heel_centre = fore_centre

    def axis_x(frac: float) -> float:  # the heel-to-forefoot line, at a fraction of the length
        fore_frac, heel_frac = np.mean(FOREFOOT_BAND), np.mean(HEEL_BAND)
        t = (frac - fore_frac) / (heel_frac - fore_frac)
        return fore_centre + t * (heel_centre - fore_centre)

    toe_x = _centroid_x(_band(mask, top, length, TOE_BAND))
    first_tip_x = float(np.flatnonzero(mask[top]).mean())
    mid_x = _centroid_x(_band(mask, top, length, MIDFOOT_BAND))
    cues = {
        "toe_mass": (axis_x(np.mean(TOE_BAND)) - toe_x) / width,
        "first_tip": (axis_x(0.0) - first_tip_x) / width,
        "midfoot_contact": (mid_x - axis_x(np.mean(MIDFOOT_BAND))) / width,
    }
    return {k: (0.0 if np.isnan(v) else float(v)) for k, v in cues.items()}


def detect_side(mask: np.ndarray, min_score: float = 0.08) -> SideEstimate:
    """The side of an upright print from its mask (bool, toes up), or None below `min_score`."""
    cues = side_cues(np.asarray(mask, dtype=bool))
    score = float(sum(cues.values()))
    if not cues or abs(score) < min_score:
        return SideEstimate(None, score, cues)
    return SideEstimate("right" if score > 0 else "left", score, cues)
