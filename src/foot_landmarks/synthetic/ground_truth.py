"""The 8 landmarks of LANDMARKS.md, read off the rendered ink mask (not off the template shapes).

Given a :class:`~foot_landmarks.synthetic.render.PrintRender` at the image's final resolution:

- toe k (1-5): the most distal ink pixel of toe k's print (the render's label map says which ink
  pixels are toe k); a toe with no ink gets the most distal pixel of its outline and visible 0;
- 6 / 7: the most medial / lateral ink pixel of the forefoot: sole ink distal of the narrowest
  part of the midfoot (searched between the heel and ball centres, so a heel bulge never counts);
- 8: the most posterior sole ink pixel.

Every extreme uses :func:`foot_landmarks.extremes.flat_run_extreme` (middle of a flat run).
The axis is first the pose's (heel centre to second toe), then recomputed once from points 8 and 2
as LANDMARKS.md defines it, and all points are taken again along that axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from foot_landmarks.extremes import flat_run_extreme
from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, N_LANDMARKS, TOE_IDS
from foot_landmarks.synthetic.anatomy import SOLE_LABELS
from foot_landmarks.synthetic.render import PrintRender

NARROWEST_SMOOTHING_BINS = 5


def _pixels(mask: np.ndarray, x0: int, y0: int, step: int = 1) -> np.ndarray:
    rows, cols = np.nonzero(mask[::step, ::step] if step > 1 else mask)
    return np.column_stack([cols * step + x0, rows * step + y0]).astype(float)


def boundary(mask: np.ndarray) -> np.ndarray:
    """Pixels of `mask` with a 4-neighbour outside it.

    The extreme along any direction, and every pixel within 0.5 px of it, is such a pixel (its
    neighbour further along the direction is at least 0.7 px further out), so extremes can be
    searched on the boundary alone, in the same row-major order, with the same result.
    """
    inner = np.zeros_like(mask)
    inner[1:-1, 1:-1] = (
        mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    )
    return mask & ~inner


def narrowest_midfoot(
    sole_xy: np.ndarray, distal: np.ndarray, heel: np.ndarray, ball: np.ndarray, bin_px: float = 2.0
) -> float:
    """Position along `distal` (from the heel centre, px) of the narrowest midfoot cross-section.

    The width is the count of sole pixels per `bin_px` slice across the axis, lightly smoothed,
    searched between the heel and ball centres; where the minimum is a run (a high arch with no
    ink at all) the middle of the run is returned.
    """
    t = (sole_xy - heel) @ distal
    n_bins = max(1, int(np.floor(float((ball - heel) @ distal) / bin_px)))
    t_bin = np.floor(t / bin_px).astype(int)
    inside = (t_bin >= 0) & (t_bin < n_bins)
    width = np.bincount(t_bin[inside], minlength=n_bins).astype(float)
    k = NARROWEST_SMOOTHING_BINS
    smooth = np.convolve(np.pad(width, k // 2, mode="edge"), np.ones(k) / k, mode="valid")
    at_min = np.flatnonzero(smooth <= smooth.min() + 1e-9)
    run = at_min[at_min - at_min[0] == np.arange(len(at_min))]  # first contiguous run of minima
    return (0.5 * (run[0] + run[-1]) + 0.5) * bin_px


@dataclass
class _PixelSets:
    """Boundary pixels (x, y) of each part of a render: what the extremes are searched among."""

    toes: dict[int, np.ndarray]
    outlines: dict[int, np.ndarray]
    sole: np.ndarray
    sole_sample: np.ndarray


def _boundary_pixels(mask: np.ndarray, x0: int, y0: int) -> np.ndarray:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return np.zeros((0, 2))
    r0, c0 = rows[0], cols[0]
    crop = np.pad(mask[r0 : rows[-1] + 1, c0 : cols[-1] + 1], 1)  # crop first: boundary() is per pixel
    return _pixels(boundary(crop), x0 + c0 - 1, y0 + r0 - 1)


def _pixel_sets(render: PrintRender) -> _PixelSets:
    x0, y0 = render.x0, render.y0
    sole_mask = render.labels >= min(SOLE_LABELS)  # labels are 0 off the ink
    return _PixelSets(
        toes={k: _boundary_pixels(render.labels == k, x0, y0) for k in TOE_IDS},
        outlines={k: _boundary_pixels(render.outlines[k], x0, y0) for k in TOE_IDS},
        sole=_boundary_pixels(sole_mask, x0, y0),
        # The width profile only needs counts: every 2nd pixel each way is plenty.
        sole_sample=_pixels(sole_mask, x0, y0, step=2),
    )


def _points_along(
    sets: _PixelSets, render: PrintRender, distal: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lateral = np.array([distal[1], -distal[0]]) if render.mirrored else np.array([-distal[1], distal[0]])
    points = np.full((N_LANDMARKS, 2), np.nan)
    visible = np.ones(N_LANDMARKS, dtype=int)
    for k in TOE_IDS:
        if len(sets.toes[k]):
            points[k - 1] = flat_run_extreme(sets.toes[k], distal)
        else:  # no ink: the tip of the toe's outline, not visible
            visible[k - 1] = 0
            if len(sets.outlines[k]):  # (an outline off the sheet happens only in broken prints)
                points[k - 1] = flat_run_extreme(sets.outlines[k], distal)
    if len(sets.sole) == 0:  # the sole is off the sheet (a broken print): nothing to measure
        return points, np.zeros(N_LANDMARKS, dtype=int)
    heel_c, ball_c = render.anchors["heel"], render.anchors["ball"]
    t_narrow = narrowest_midfoot(sets.sole_sample, distal, heel_c, ball_c)
    forefoot = sets.sole[(sets.sole - heel_c) @ distal > t_narrow]
    if len(forefoot) == 0:
        forefoot = sets.sole
    points[MEDIAL_FOREFOOT - 1] = flat_run_extreme(forefoot, -lateral)
    points[LATERAL_FOREFOOT - 1] = flat_run_extreme(forefoot, lateral)
    points[HEEL - 1] = flat_run_extreme(sets.sole, -distal)
    return points, visible


def landmarks_from_render(render: PrintRender, refine_axis: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(8, 2) points [x, y] in the render's image pixels and (8,) visibility flags.

    Points that would fall off the image (a toe cut away by the page edge) are clamped inside it
    and marked visible 0; that only happens in prints flagged unusable.
    """
    sets = _pixel_sets(render)
    points, visible = _points_along(sets, render, render.distal)
    if refine_axis:
        axis = points[1] - points[HEEL - 1]
        if np.all(np.isfinite(axis)) and np.linalg.norm(axis) > 1:
            points, visible = _points_along(sets, render, axis / np.linalg.norm(axis))
    h, w = render.sheet_hw
    lost = ~np.all(np.isfinite(points), axis=1)
    points[lost] = [w / 2, h / 2]
    outside = (points[:, 0] < 0) | (points[:, 0] > w - 1) | (points[:, 1] < 0) | (points[:, 1] > h - 1)
    visible[outside] = 0
    points[:, 0] = np.clip(points[:, 0], 0, w - 1)
    points[:, 1] = np.clip(points[:, 1], 0, h - 1)
    return points, visible
