"""The foot finder's targets, made from a foot's 8 landmarks alone (no contact mask needed).

- region: the foot's outline, approximated as the convex hull of its 8 points and of the heel's
  sides (the heel is narrower than the forefoot: `HEEL_WIDTH_SHARE` of the 6-7 width), grown by
  `REGION_GROW` of the foot length. One blob per foot: the arch, the gaps between toes and a heel
  printed apart from the forefoot all lie inside it, so a foot is one connected region.
- heel: a Gaussian at the heel's centre (point 8 moved `HEEL_CENTRE_DEPTH` of the length toward
  the toes);
- toes: a Gaussian at the centre of the five toe tips;
- hallux and little toe: Gaussians at points 1 and 5 (which side of the axis each lies on is the
  configuration: two toes tell it more surely than one).
The axis heel centre -> toe centre orients the foot's crop; it turns with the page.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull
from skimage.draw import polygon as draw_polygon

from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS

CHANNELS = ("region", "heel", "toes", "hallux", "little_toe")
HEEL_WIDTH_SHARE = 0.68  # heel width / forefoot width (6 to 7) of an adult foot
HEEL_CENTRE_DEPTH = 0.12  # of the foot length: the heel's centre in front of point 8
REGION_GROW = 0.02  # of the foot length
SIGMA_SHARE = 0.035  # of the foot length: the heel / toe / hallux Gaussians
MIN_SIGMA, MAX_SIGMA = 1.0, 6.0  # target px


def foot_length(points: np.ndarray) -> float:
    """Heel (8) to the farthest toe tip, px (LANDMARKS.md)."""
    toes = points[[k - 1 for k in TOE_IDS]]
    return float(np.linalg.norm(toes - points[HEEL - 1], axis=1).max())


def axis_points(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(heel centre, toe centre) of a foot, px: the two ends the finder learns."""
    heel, toes = points[HEEL - 1], points[[k - 1 for k in TOE_IDS]].mean(axis=0)
    axis = toes - heel
    unit = axis / max(float(np.linalg.norm(axis)), 1e-9)
    return heel + HEEL_CENTRE_DEPTH * foot_length(points) * unit, toes


def outline_polygon(points: np.ndarray) -> np.ndarray:
    """(M, 2) convex polygon (x, y) around the foot: its 8 points and the heel's two sides."""
    points = np.asarray(points, float)
    heel_centre, toes = axis_points(points)
    axis = toes - heel_centre
    unit = axis / max(float(np.linalg.norm(axis)), 1e-9)
    across = np.array([-unit[1], unit[0]])
    width = abs(float((points[MEDIAL_FOREFOOT - 1] - points[LATERAL_FOREFOOT - 1]) @ across))
    half = 0.5 * HEEL_WIDTH_SHARE * width
    heel = points[HEEL - 1]
    extra = [heel_centre + half * across, heel_centre - half * across,
             heel + 0.6 * half * across + 0.02 * foot_length(points) * unit,
             heel - 0.6 * half * across + 0.02 * foot_length(points) * unit]
    cloud = np.concatenate([points, np.asarray(extra)])
    try:
        return cloud[ConvexHull(cloud).vertices]
    except Exception:  # degenerate (all points on a line): no region
        return cloud[:0]


def grown(polygon: np.ndarray, distance: float) -> np.ndarray:
    """A convex polygon moved outward by `distance` (each vertex along its direction from the centre)."""
    if len(polygon) == 0:
        return polygon
    centre = polygon.mean(axis=0)
    out = polygon - centre
    norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return polygon + out / norms * distance


def region_mask(points: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """The foot's region rasterised on a grid of `shape_hw` (points in that grid's px)."""
    polygon = grown(outline_polygon(points), REGION_GROW * foot_length(points))
    mask = np.zeros(shape_hw, bool)
    if len(polygon) >= 3:
        rows, cols = draw_polygon(polygon[:, 1], polygon[:, 0], shape_hw)
        mask[rows, cols] = True
    return mask


def _gaussian(centre: np.ndarray, sigma: float, shape_hw: tuple[int, int]) -> np.ndarray:
    h, w = shape_hw
    ys, xs = np.arange(h)[:, None], np.arange(w)[None, :]
    return np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * sigma**2)).astype(np.float32)


def target_maps(feet: list[np.ndarray], shape_hw: tuple[int, int]) -> np.ndarray:
    """(5, H, W) float32 targets of a page holding `feet` ((8, 2) points each, in target px):
    region (0/1), heel, toes, hallux, little toe (Gaussians, the maximum over feet)."""
    maps = np.zeros((len(CHANNELS), *shape_hw), np.float32)
    for points in feet:
        points = np.asarray(points, float)
        if not np.all(np.isfinite(points)):
            continue
        length = foot_length(points)
        sigma = float(np.clip(SIGMA_SHARE * length, MIN_SIGMA, MAX_SIGMA))
        heel, toes = axis_points(points)
        maps[0] = np.maximum(maps[0], region_mask(points, shape_hw))
        for channel, centre in ((1, heel), (2, toes), (3, points[0]), (4, points[4])):
            maps[channel] = np.maximum(maps[channel], _gaussian(centre, sigma, shape_hw))
    return maps
