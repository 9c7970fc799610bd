"""The 8 landmarks of one foot from its final print mask, by the rules of LANDMARKS.md.

Input is the image's own pixel frame (pixel centre = integer coordinates): a label image whose
pixels hold `base + k` where toe k left ink (k = 1..5) and `base + 6` where the sole did, and a
second label image with the whole outline of each toe pad (`base + k`) for toes that left none.

- Toe k (points 1-5): the most distal pixel of toe k's print along the foot axis; a toe with no
  print uses its outline instead and is marked not visible.
- Point 8: the most posterior pixel of the sole print along the axis.
- The axis runs from point 8 to point 2, so the points and the axis are found together: start from
  the model's axis, find the points, take the new axis, and repeat until nothing moves (see
  AXIS_RUN_TOLERANCE_PX for the rare axis that keeps alternating).
- Points 6 and 7: the most medial / lateral pixel of the forefoot, the sole print distal to the
  narrowest part of the midfoot. The narrowest part is the axial slice (4 mm wide) with the least
  extent across the axis between 30 % and 65 % of the foot length from the heel (zero where a high
  arch left no midfoot contact; the middle slice of a run of equals).
- Flat runs: every pixel within 0.5 px of the extreme value belongs to the run; the point is the
  mean of the run, or the run pixel nearest to that mean where the run is broken (the point then
  stays on the print).

Only edge pixels are searched: a pixel whose 8 neighbours all belong to the same part has a
neighbour at least 1 px farther along any direction, so it can never be within 0.5 px of an
extreme. (The midfoot widths are measured on edge pixels too; a slice's extent can differ from the
all-pixel extent by under a pixel where the slice border cuts the print.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RUN_TOLERANCE_PX = 0.5
# Where a flat run makes the axis alternate between two directions a hair apart, points 2 and 8
# are taken from a 0.4 px band: they then stay within 0.5 px of the extreme along either direction.
AXIS_RUN_TOLERANCE_PX = 0.4
SLICE_MM = 4.0
MIDFOOT_RANGE = (0.30, 0.65)


@dataclass
class FootTruth:
    points: np.ndarray  # (8, 2) x, y in image pixels
    visible: np.ndarray  # (8,) 1 / 0
    axis: np.ndarray  # unit vector from point 8 to point 2
    medial: np.ndarray  # unit vector across the axis toward the hallux side
    forefoot_start: float  # axial coordinate (px along `axis`) where the forefoot begins
    iterations: int


def extreme_run(xy: np.ndarray, direction: np.ndarray, tolerance: float = RUN_TOLERANCE_PX) -> np.ndarray:
    """The flat-run point of the pixels `xy` (n, 2) that lie farthest along `direction`."""
    proj = xy @ direction
    run = xy[proj >= proj.max() - tolerance]
    centre = run.mean(axis=0)
    nearest = run[np.argmin(np.sum((run - centre) ** 2, axis=1))]
    if np.linalg.norm(nearest - centre) > 1.0:  # a broken run: keep the point on the print
        return nearest.astype(float)
    return centre


def edge_pixels(labels: np.ndarray, codes: range) -> dict[int, np.ndarray]:
    """(n, 2) x, y of the pixels of each code that are not surrounded by 8 pixels of the same code."""
    padded = np.pad(labels, 1)
    h, w = labels.shape
    interior = np.ones(labels.shape, dtype=bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                interior &= padded[dy:dy + h, dx:dx + w] == labels
    ys, xs = np.nonzero((labels >= codes.start) & (labels < codes.stop) & ~interior)
    lab = labels[ys, xs]
    order = np.argsort(lab, kind="stable")
    ys, xs, lab = ys[order], xs[order], lab[order]
    out = {}
    bounds = np.searchsorted(lab, list(codes) + [codes.stop])
    for i, code in enumerate(codes):
        a, b = bounds[i], bounds[i + 1]
        out[code] = np.column_stack([xs[a:b], ys[a:b]]).astype(float)
    return out


def forefoot_start(sole_xy: np.ndarray, axis: np.ndarray, heel_t: float, foot_length_px: float,
                   px_per_mm: float) -> float:
    """Axial coordinate of the middle of the narrowest midfoot slice (see the module docstring)."""
    across = np.array([-axis[1], axis[0]])
    t = sole_xy @ axis
    s = sole_xy @ across
    width = max(SLICE_MM * px_per_mm, 2.0)
    lo = heel_t + MIDFOOT_RANGE[0] * foot_length_px
    hi = heel_t + MIDFOOT_RANGE[1] * foot_length_px
    n = max(int(np.ceil((hi - lo) / width)), 1)
    idx = np.floor((t - lo) / width).astype(int)
    inside = (idx >= 0) & (idx < n)
    s_min = np.full(n, np.inf)
    s_max = np.full(n, -np.inf)
    np.minimum.at(s_min, idx[inside], s[inside])
    np.maximum.at(s_max, idx[inside], s[inside])
    extent = np.where(np.isfinite(s_min), s_max - s_min, 0.0)
    best = np.flatnonzero(extent <= extent.min() + 1e-9)
    # Several equal slices (a gap with no contact): the middle one of the first run.
    run_end = best[0]
    while run_end + 1 < n and run_end + 1 in best:
        run_end += 1
    middle = (best[0] + run_end) // 2
    return float(lo + (middle + 0.5) * width)


def foot_landmarks(ink: np.ndarray, outline: np.ndarray, base: int, axis_hint: np.ndarray,
                   medial_hint: np.ndarray, px_per_mm: float, offset: tuple[int, int] = (0, 0),
                   max_iterations: int = 12) -> FootTruth:
    """Landmarks of the foot whose codes start at `base` (see the module docstring)."""
    toes, visible = [], np.ones(8, dtype=int)
    printed = edge_pixels(ink, range(base + 1, base + 7))
    outlined = None
    for k in range(1, 6):
        xy = printed[base + k]
        if len(xy) == 0:
            if outlined is None:
                outlined = edge_pixels(outline, range(base + 1, base + 6))
            xy = outlined[base + k]
            visible[k - 1] = 0
        if len(xy) == 0:
            raise ValueError(f"toe {k} has neither a print nor an outline in the image")
        toes.append(xy + np.asarray(offset, dtype=float))
    sole = printed[base + 6] + np.asarray(offset, dtype=float)
    if len(sole) == 0:
        raise ValueError("the sole left no print in the image")

    axis = np.asarray(axis_hint, dtype=float)
    axis = axis / np.linalg.norm(axis)
    points = np.zeros((8, 2))
    iterations = 0
    axis_tolerance = RUN_TOLERANCE_PX
    for iterations in range(1, max_iterations + 1):
        if iterations > max_iterations // 2:
            axis_tolerance = AXIS_RUN_TOLERANCE_PX
        for k in range(5):
            points[k] = extreme_run(toes[k], axis, axis_tolerance if k == 1 else RUN_TOLERANCE_PX)
        points[7] = extreme_run(sole, -axis, axis_tolerance)
        new_axis = points[1] - points[7]
        new_axis /= np.linalg.norm(new_axis)
        if np.allclose(new_axis, axis, atol=1e-12, rtol=0.0):
            break
        axis = new_axis
    if iterations == max_iterations:  # still alternating: the other points follow the last axis
        axis = points[1] - points[7]
        axis /= np.linalg.norm(axis)
        for k in (0, 2, 3, 4):
            points[k] = extreme_run(toes[k], axis)
    medial = np.array([-axis[1], axis[0]])
    if medial @ medial_hint < 0:
        medial = -medial
    heel_t = points[7] @ axis
    length = max(float((points[:5] @ axis).max() - heel_t), 1.0)
    start = forefoot_start(sole, axis, heel_t, length, px_per_mm)
    forefoot = sole[sole @ axis >= start]
    if len(forefoot) == 0:
        raise ValueError("no forefoot print distal to the narrowest part of the midfoot")
    points[5] = extreme_run(forefoot, medial)
    points[6] = extreme_run(forefoot, -medial)
    return FootTruth(points=points, visible=visible, axis=axis, medial=medial, forefoot_start=start,
                     iterations=iterations)
