"""Clinical measurements of one foot from its 8 landmarks (and, for the heel, its print mask).

Pure functions. Points are an (8, 2) array [x, y] ordered 1..8 in ORIGINAL scan pixels
(../shared/LANDMARKS.md frame: x right, y down). Millimetres come from the scan's dpi
(mm = px * 25.4 / dpi); where dpi is unknown (NaN) the mm values are NaN.

Foot frame used throughout the clinical package (`FootFrame`): origin at the heel point 8,
``u`` the unit vector of the foot axis 8 -> 2 (distal), ``v`` the unit vector across it pointing
LATERAL (toward the little toe), taken from the side on which point 7 lies relative to point 6.
Because ``v`` is read from the landmarks, nothing here depends on the foot's side: a left foot
is measured in its own (mirrored) print-view orientation.

A mask may be given in any frame (e.g. the reduced copy segmentation works on) together with the
3x3 matrix that maps mask pixel coordinates to original scan pixels (`mask_to_px`, as in
docs/CONTRACTS.md); lengths are measured after mapping the mask's pixel centres to original px.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS, px_to_mm

HEEL_WIDTH_AT = 1.0 / 6.0  # of the foot length from point 8, where the heel width is measured


@dataclass(frozen=True)
class FootFrame:
    """Heel point, distal unit axis ``u`` (8 -> 2) and lateral unit vector ``v`` (image px)."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def to_foot(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) image px -> (N, 2) [along, across] px (along distal from 8, across lateral)."""
        d = np.asarray(xy, dtype=float) - self.origin
        return np.column_stack([d @ self.u, d @ self.v])

    def to_image(self, st: np.ndarray) -> np.ndarray:
        st = np.asarray(st, dtype=float).reshape(-1, 2)
        return self.origin + st[:, :1] * self.u + st[:, 1:2] * self.v


def _points(points) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.shape != (8, 2):
        raise ValueError(f"points must be (8, 2) [x, y] ordered 1..8, got shape {pts.shape}")
    return pts


def foot_frame(points) -> FootFrame:
    """The foot frame of ``points`` (see module docstring)."""
    pts = _points(points)
    heel, toe2 = pts[HEEL - 1], pts[1]
    axis = toe2 - heel
    norm = float(np.hypot(*axis))
    if not np.isfinite(norm) or norm < 1e-9:
        raise ValueError("points 8 and 2 coincide or are missing: no foot axis")
    u = axis / norm
    v = np.array([-u[1], u[0]])  # u turned by +90 deg (clockwise on screen, y down)
    across = float((pts[LATERAL_FOREFOOT - 1] - pts[MEDIAL_FOREFOOT - 1]) @ v)
    if across < 0:
        v = -v
    elif across == 0:  # degenerate forefoot: fall back on the toes (hallux is medial)
        if float((pts[4] - pts[0]) @ v) < 0:
            v = -v
    return FootFrame(heel, u, v)


def foot_length_px(points) -> float:
    """Heel point 8 to the farthest toe tip, measured along the axis 8 -> 2 (px)."""
    frame = foot_frame(points)
    toes = _points(points)[[k - 1 for k in TOE_IDS]]
    return float(np.nanmax(frame.to_foot(toes)[:, 0]))


def forefoot_width_px(points) -> float:
    """Distance between the medial and lateral forefoot extremes 6 and 7 (px)."""
    pts = _points(points)
    return float(np.hypot(*(pts[LATERAL_FOREFOOT - 1] - pts[MEDIAL_FOREFOOT - 1])))


def axis_angle_deg(points) -> float:
    """Angle of the foot axis 8 -> 2 to the image vertical (toes up), in degrees.

    0 for an upright print; positive when the toes lean to the right of the page (the axis turned
    clockwise on screen), negative when they lean left. Range (-180, 180].
    """
    pts = _points(points)
    dx, dy = pts[1] - pts[HEEL - 1]
    return float(math.degrees(math.atan2(dx, -dy)))


def toe_positions_px(points) -> np.ndarray:
    """(5, 2) [along, across] of toe tips 1..5 in px: along the axis from 8, across it (+ lateral)."""
    frame = foot_frame(points)
    return frame.to_foot(_points(points)[[k - 1 for k in TOE_IDS]])


def mask_pixels_px(mask: np.ndarray, mask_to_px: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Centres of the True pixels of `mask` in original px, (N, 2) [x, y], and one pixel's side in px."""
    rows, cols = np.nonzero(np.asarray(mask, dtype=bool))
    xy = np.column_stack([cols, rows]).astype(float)
    if mask_to_px is None:
        return xy, 1.0
    m = np.asarray(mask_to_px, dtype=float)
    xy = xy @ m[:2, :2].T + m[:2, 2]
    return xy, float(math.sqrt(abs(np.linalg.det(m[:2, :2]))))


def width_profile(
    st: np.ndarray, pixel: float, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """Widths across the axis of a set of print pixels in foot coordinates, per slice of `pixel`.

    `st`: (N, 2) [along, across] of pixel centres (px). Slices of one pixel cover [lo, hi) along
    the axis; the width of a slice is the extent (max - min + one pixel) of its pixels across the
    axis, 0 where it holds none. Returns (slice centres, widths), both in px.
    """
    n = max(1, int(math.ceil((hi - lo) / pixel)))
    edges_lo = lo + pixel * np.arange(n)
    idx = np.floor((st[:, 0] - lo) / pixel).astype(int)
    ok = (idx >= 0) & (idx < n)
    idx, across = idx[ok], st[ok, 1]
    top = np.full(n, -np.inf)
    bottom = np.full(n, np.inf)
    np.maximum.at(top, idx, across)
    np.minimum.at(bottom, idx, across)
    width = np.where(np.isfinite(top), top - bottom + pixel, 0.0)
    return edges_lo + pixel / 2, width


def heel_width_px(
    points, mask: np.ndarray, mask_to_px: np.ndarray | None = None, at: float = HEEL_WIDTH_AT
) -> float:
    """Width of the heel print across the axis, `at` x foot length distal of point 8 (px).

    The slice is one mask pixel thick (at least one original px); its width is the extent of the
    print pixels in it. The mask is the print of this foot only (True = ink).
    """
    frame = foot_frame(points)
    xy, pixel = mask_pixels_px(mask, mask_to_px)
    if xy.size == 0:
        return math.nan
    st = frame.to_foot(xy)
    s = at * foot_length_px(points)
    pixel = max(pixel, 1.0)
    _, w = width_profile(st, pixel, s - pixel / 2, s + pixel / 2)
    return float(w[0]) if w[0] > 0 else math.nan


def measurements(
    points,
    dpi: float | None,
    mask: np.ndarray | None = None,
    mask_to_px: np.ndarray | None = None,
) -> dict[str, float]:
    """All measurements of one foot, as one flat dict of floats (mm from `dpi`; NaN if unknown).

    Keys: foot_length_px, foot_length_mm, forefoot_width_mm, heel_width_mm (NaN without a mask),
    axis_angle_deg, toe{k}_along_mm and toe{k}_across_mm for k = 1..5 (across: + lateral).
    """
    dpi = math.nan if dpi is None else float(dpi)
    length = foot_length_px(points)
    out = {
        "foot_length_px": length,
        "foot_length_mm": float(px_to_mm(length, dpi)),
        "forefoot_width_mm": float(px_to_mm(forefoot_width_px(points), dpi)),
        "heel_width_mm": math.nan,
        "axis_angle_deg": axis_angle_deg(points),
    }
    if mask is not None:
        out["heel_width_mm"] = float(px_to_mm(heel_width_px(points, mask, mask_to_px), dpi))
    for k, (along, across) in zip(TOE_IDS, toe_positions_px(points)):
        out[f"toe{k}_along_mm"] = float(px_to_mm(along, dpi))
        out[f"toe{k}_across_mm"] = float(px_to_mm(across, dpi))
    return out
