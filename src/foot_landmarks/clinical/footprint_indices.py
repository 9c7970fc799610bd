"""Footprint arch indices from a cleaned print mask and the 8 landmarks.

Inputs: ``mask`` (bool, any resolution: True = ink of this foot's print, toes included) and
``points`` (8, 2) in ORIGINAL scan px; ``mask_to_px`` (3x3) maps mask pixel coordinates to
original px (None: the mask is in original px). Everything is measured in the foot frame of
:mod:`.measurements` (axis 8 -> 2; widths perpendicular to it), so a rotated print or a left
foot needs no special handling.

Toes are excluded before any index is computed (:func:`split_toes`):
1. the mask's connected components (8-connectivity) that hold, or lie next to, points 6, 7 or 8
   are the sole ("body"); with a high arch heel and forefoot are separate components, both kept;
   any other component lying proximal of the forefoot (a piece of the lateral band) joins them;
2. the remaining components distal of the forefoot are toe prints and are dropped;
3. where a visible toe tip (1-5) lies ON the body (a toe printed joined to the ball), the body is
   eroded by about 1-3 mm until that toe's part comes apart from the forefoot's, and each body
   pixel goes to the nearest eroded part (a cut at the toe's neck); if no erosion separates
   them, the body is cut perpendicular to the axis at the most proximal pixel of the separate
   toe prints, or, if every toe is joined, at ``TOE_CUT_FALLBACK`` x foot length distal of the
   mean of 6 and 7 (that line cut may clip a few millimetres of the tilted ball top).

Divisions (Cavanagh & Rodgers 1987): the toe-less print's length along the axis, from its most
posterior to its most distal pixel, is divided into thirds: heel (rear), midfoot, forefoot.

Indices and their bands (each function returns an :class:`IndexResult` with value and band):
- Arch index, Cavanagh PR & Rodgers MM (1987) "The arch index: a useful measure from footprints",
  J Biomech 20(5):547-551: AI = midfoot-third area / total area of the three thirds.
  high arch AI <= 0.21, normal 0.21 < AI < 0.26, flat AI >= 0.26.
- Chippaux-Smirak index (CSI) = minimum width of the midfoot third / maximum width of the
  forefoot third, in %. Bands as used in the footprint-validity literature (Forriol & Pascual
  1990 classification, as tabulated e.g. by Pita-Fernandez S. et al. 2017, J Epidemiol 27:
  "Validity of footprint analysis to determine flatfoot ..."): 0 % high arch (no midfoot
  contact), 0.1-29.9 % normal, 30-39.9 % intermediate, 40-44.9 % low arch, >= 45 % flat.
  (Bands are in ``CSI_BANDS``; verify against the source before clinical use.)
- Staheli plantar arch index, Staheli LT, Chew DE & Corbett M (1987) "The longitudinal arch",
  J Bone Joint Surg Am 69(3):426-428: minimum width of the midfoot third / maximum width of the
  heel third. Adults' mean about 0.7, normal range (mean +- 2 SD) about 0.3-1.0; so here
  < 0.3 high arch, 0.3-1.0 normal, > 1.0 flat (``STAHELI_BANDS``).

Widths are caliper widths across the axis: for each slice one mask pixel thick, the extent of
the print's pixels in it (a slice with no print has width 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import disk

from foot_landmarks.clinical.measurements import (
    foot_frame,
    foot_length_px,
    mask_pixels_px,
    width_profile,
)
from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS

TOE_CUT_FALLBACK = 0.12  # of the foot length, distal of points 6/7: the toe line when no toe printed apart
NEAR_PX = 2.5  # mask pixels: how near a landmark must be to a component to belong to it

ARCH_INDEX_BANDS = ((0.21, "high arch"), (0.26, "normal"), (math.inf, "flat"))  # upper bounds; <=, <, >=
CSI_BANDS = ((0.0, "high arch"), (30.0, "normal"), (40.0, "intermediate"), (45.0, "low arch"), (math.inf, "flat"))
STAHELI_BANDS = ((0.3, "high arch"), (1.0, "normal"), (math.inf, "flat"))


@dataclass(frozen=True)
class IndexResult:
    value: float
    band: str


@dataclass
class PrintProfile:
    """The toe-less print in the foot frame (all lengths in original px)."""

    start: float  # along-axis position of the most posterior print pixel
    length: float  # toe-less print length along the axis
    pixel: float  # side of one mask pixel in original px
    areas: tuple[float, float, float]  # px^2 in heel, midfoot, forefoot thirds
    centres: np.ndarray  # slice centres along the axis
    widths: np.ndarray  # caliper width of each slice

    def third(self, k: int) -> np.ndarray:
        lo = self.start + k * self.length / 3
        hi = self.start + (k + 1) * self.length / 3
        return (self.centres >= lo) & (self.centres < hi)


def _band(value: float, bands, inclusive_first: bool = True) -> str:
    if not np.isfinite(value):
        return "unknown"
    for i, (upper, name) in enumerate(bands):
        if value < upper or (value == upper and (i == 0 and inclusive_first)):
            return name
    return bands[-1][1]


def arch_index_band(ai: float) -> str:
    """Cavanagh & Rodgers 1987: <= 0.21 high arch, 0.21-0.26 normal, >= 0.26 flat."""
    return _band(ai, ARCH_INDEX_BANDS)


def csi_band(csi_pct: float) -> str:
    """Chippaux-Smirak bands of ``CSI_BANDS`` (0 % = no midfoot contact = high arch)."""
    if np.isfinite(csi_pct) and csi_pct <= 0.0:
        return "high arch"
    return _band(csi_pct, CSI_BANDS, inclusive_first=False)


def staheli_band(si: float) -> str:
    """Staheli 1987 adult range: < 0.3 high arch, 0.3-1.0 normal, > 1.0 flat."""
    if not np.isfinite(si):
        return "unknown"
    return "high arch" if si < 0.3 else "normal" if si <= 1.0 else "flat"


def _to_mask_frame(points: np.ndarray, mask_to_px: np.ndarray | None) -> np.ndarray:
    if mask_to_px is None:
        return np.asarray(points, dtype=float)
    inv = np.linalg.inv(np.asarray(mask_to_px, dtype=float))
    pts = np.asarray(points, dtype=float)
    return pts @ inv[:2, :2].T + inv[:2, 2]


def split_toes(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sole, toes): the print without its toes, and the toe prints, both in the mask's frame."""
    mask = np.asarray(mask, dtype=bool)
    labels, n = ndi.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return mask.copy(), np.zeros_like(mask)
    pts_m = _to_mask_frame(points, mask_to_px)
    distance, (iy, ix) = ndi.distance_transform_edt(~mask, return_indices=True)
    h, w = mask.shape

    def component_at(p) -> tuple[int, float]:
        if not np.all(np.isfinite(p)):
            return 0, math.inf
        c, r = int(np.clip(round(p[0]), 0, w - 1)), int(np.clip(round(p[1]), 0, h - 1))
        outside = float(np.hypot(p[0] - c, p[1] - r))  # how far the point lies off the image
        return int(labels[iy[r, c], ix[r, c]]), float(distance[r, c]) + outside

    body = {component_at(pts_m[k - 1])[0] for k in (MEDIAL_FOREFOOT, LATERAL_FOREFOOT, HEEL)} - {0}
    frame = foot_frame(points)
    xy, _ = mask_pixels_px(mask, mask_to_px)
    st = frame.to_foot(xy)
    lab = labels[mask]
    s_fore = float(np.mean(frame.to_foot(np.asarray(points, float)[[MEDIAL_FOREFOOT - 1, LATERAL_FOREFOOT - 1]])[:, 0]))
    # Components that lie mostly proximal of the forefoot extremes belong to the sole.
    for k in range(1, n + 1):
        if k not in body and np.median(st[lab == k, 0]) < s_fore:
            body.add(k)
    in_body = np.isin(lab, list(body))
    keep = in_body.copy()
    joined = [k for k in TOE_IDS if (c := component_at(pts_m[k - 1]))[0] in body and c[1] <= NEAR_PX]
    if joined:
        neck = _cut_at_necks(mask & np.isin(labels, list(body)), pts_m, joined, foot_length_px(points) / pixel_scale(mask_to_px))
        if neck is not None:
            keep &= ~neck[mask]
            joined = []
    if joined:
        if (~in_body).any():
            cut = float(st[~in_body, 0].min())
        else:
            cut = s_fore + TOE_CUT_FALLBACK * foot_length_px(points)
        keep &= st[:, 0] < cut
    sole = np.zeros_like(mask)
    sole[mask] = keep
    return sole, mask & ~sole


def pixel_scale(mask_to_px: np.ndarray | None) -> float:
    """Original px per mask px."""
    if mask_to_px is None:
        return 1.0
    return float(math.sqrt(abs(np.linalg.det(np.asarray(mask_to_px, float)[:2, :2]))))


def _cut_at_necks(body: np.ndarray, pts_m: np.ndarray, joined: list[int], length: float) -> np.ndarray | None:
    """The pixels of toes printed joined to the ball, cut off at their neck (mask frame).

    The body is eroded by a growing radius (0.4-1.2 % of the foot length, about 1-3 mm) until
    every joined toe tip's eroded part is apart from the forefoot's; each body pixel then goes to
    the eroded part nearest to it. None when no radius separates them (the caller cuts by a line).
    """
    h, w = body.shape
    fore = [pts_m[k - 1] for k in (MEDIAL_FOREFOOT, LATERAL_FOREFOOT)]
    for frac in (0.004, 0.008, 0.012):
        r = max(1, round(frac * length))
        eroded = ndi.binary_erosion(body, structure=disk(r))
        if not eroded.any():
            return None
        lab, _ = ndi.label(eroded, structure=np.ones((3, 3), bool))
        _, (iy, ix) = ndi.distance_transform_edt(~eroded, return_indices=True)

        def at(p):
            c, rr = int(np.clip(round(p[0]), 0, w - 1)), int(np.clip(round(p[1]), 0, h - 1))
            return int(lab[iy[rr, c], ix[rr, c]])

        ball = {at(p) for p in fore}
        toes = {at(pts_m[k - 1]) for k in joined}
        if toes & ball:
            continue
        owner = lab[iy, ix]
        return body & np.isin(owner, list(toes))
    return None


def print_profile(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> PrintProfile:
    """The toe-less print's thirds and width profile (see module docstring)."""
    sole, _ = split_toes(mask, points, mask_to_px)
    xy, pixel = mask_pixels_px(sole, mask_to_px)
    if len(xy) == 0:
        raise ValueError("the print mask holds no sole pixels")
    st = foot_frame(points).to_foot(xy)
    start = float(st[:, 0].min()) - pixel / 2
    length = float(st[:, 0].max()) + pixel / 2 - start
    thirds = np.clip(np.floor((st[:, 0] - start) / (length / 3)), 0, 2).astype(int)
    areas = tuple(float(v) * pixel * pixel for v in np.bincount(thirds, minlength=3))
    centres, widths = width_profile(st, pixel, start, start + length)
    return PrintProfile(start, length, pixel, areas, centres, widths)


def _indices(profile: PrintProfile) -> dict[str, IndexResult]:
    total = sum(profile.areas)
    ai = profile.areas[1] / total if total > 0 else math.nan
    heel, mid, fore = (profile.widths[profile.third(k)] for k in range(3))
    min_mid = float(mid.min()) if mid.size else math.nan
    max_fore = float(fore.max()) if fore.size else math.nan
    max_heel = float(heel.max()) if heel.size else math.nan
    csi = 100.0 * min_mid / max_fore if max_fore > 0 else math.nan
    si = min_mid / max_heel if max_heel > 0 else math.nan
    return {
        "arch_index": IndexResult(float(ai), arch_index_band(ai)),
        "chippaux_smirak_pct": IndexResult(float(csi), csi_band(csi)),
        "staheli_index": IndexResult(float(si), staheli_band(si)),
    }


def arch_index(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> IndexResult:
    """Cavanagh & Rodgers arch index (midfoot-third area / toe-less print area) and its band."""
    return _indices(print_profile(mask, points, mask_to_px))["arch_index"]


def chippaux_smirak_index(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> IndexResult:
    """Chippaux-Smirak index in % (min midfoot width / max forefoot width) and its band."""
    return _indices(print_profile(mask, points, mask_to_px))["chippaux_smirak_pct"]


def staheli_index(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> IndexResult:
    """Staheli plantar arch index (min midfoot width / max heel width) and its band."""
    return _indices(print_profile(mask, points, mask_to_px))["staheli_index"]


def footprint_indices(mask: np.ndarray, points, mask_to_px: np.ndarray | None = None) -> dict[str, float | str]:
    """All three indices at once, flat: arch_index, arch_index_band, chippaux_smirak_pct,
    chippaux_smirak_band, staheli_index, staheli_band, plus the widths used (px):
    min_midfoot_width_px, max_forefoot_width_px, max_heel_width_px, sole_length_px."""
    profile = print_profile(mask, points, mask_to_px)
    res = _indices(profile)
    heel, mid, fore = (profile.widths[profile.third(k)] for k in range(3))
    return {
        "arch_index": res["arch_index"].value,
        "arch_index_band": res["arch_index"].band,
        "chippaux_smirak_pct": res["chippaux_smirak_pct"].value,
        "chippaux_smirak_band": res["chippaux_smirak_pct"].band,
        "staheli_index": res["staheli_index"].value,
        "staheli_band": res["staheli_index"].band,
        "min_midfoot_width_px": float(mid.min()) if mid.size else math.nan,
        "max_forefoot_width_px": float(fore.max()) if fore.size else math.nan,
        "max_heel_width_px": float(heel.max()) if heel.size else math.nan,
        "sole_length_px": profile.length,
    }
