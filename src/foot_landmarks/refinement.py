"""Second stage of a learned variant: each point moved onto the print by its LANDMARKS.md rule.

The network knows WHICH boundary a point lies on (which toe, which side of the forefoot, the heel:
what the rule-only geometric baseline gets wrong by ~10 mm) but its heatmap, 2 input px a cell,
blurs WHERE on that boundary the extreme is. Here the rule decides that, on the crop (~0.4 mm a
pixel): the foot axis from the current points 8 and 2, then for each point the part of the print
nearest to it (its connected component, so a pen line that does not touch a toe is never taken for it),
and on that part's sub-pixel outline, within a radius of the point, the extreme along the point's
direction (distal for toe tips, medial / lateral for 6 / 7, posterior for 8) with the flat-run
midpoint rule. The axis is then taken again from the refined points 8 and 2, as LANDMARKS.md
defines it. A point with no print within the radius (a toe that left no ink) is left as it was.

Measured on the default data's validation / test splits (resnet18_light_s4, 2 cores): see
conf/base/parameters_training.yml and the README. Colour maps are not refined: a pressure map's
outline is its sensor cells, not the skin's contact edge (measured worse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.measure import find_contours, label

from foot_landmarks.extremes import flat_run_extreme
from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS
from foot_landmarks.models.geometric import print_intensity, print_mask

# The flat-run tolerance of LANDMARKS.md is 0.5 px of the 300 dpi scan; a crop pixel is ~5 of those.
CROP_FLAT_RUN_TOLERANCE_PX = 0.1
OUTLINE_MARGIN_PX = 2  # the outline is traced on the component's box grown by this much


@dataclass(frozen=True)
class PrintRefinement:
    """How far a point may move (a fraction of the crop's height: 0.02 of a 666 px crop of an
    adult foot is ~5.5 mm) and how often the axis is taken again from the refined points."""

    # chosen on the validation split (MRE mm, the CPU profile's points): 0.015: 1.38, 0.02: 1.33, 0.025: 1.31
    radius_fraction: float = 0.02
    axis_iterations: int = 2


UNREFINED_PAGE_KINDS = ("colour map",)


def variant_refines(model_config: dict) -> bool:
    """Whether a variant has the print refinement (model parameter `refine: print`)."""
    return model_config.get("refine", "none") == "print"


def refines(model_config: dict, page_kind: str | None) -> bool:
    """Whether a variant's points on a page of this kind get the print refinement (colour maps
    never, see the module docstring)."""
    return variant_refines(model_config) and page_kind not in UNREFINED_PAGE_KINDS


def landmark_directions(points: np.ndarray) -> np.ndarray:
    """(8, 2) unit vectors along which each landmark is an extreme, for points in the right-foot
    configuration (hallux on the left): distal for the toes, medial for 6, lateral for 7,
    posterior for 8. The axis runs from point 8 to point 2 (LANDMARKS.md)."""
    axis = points[1] - points[HEEL - 1]
    axis = axis / np.linalg.norm(axis)
    medial = np.array([axis[1], -axis[0]])  # toes up (0, -1) -> medial (-1, 0): the left
    directions = np.empty((len(points), 2))
    directions[[k - 1 for k in TOE_IDS]] = axis
    directions[MEDIAL_FOREFOOT - 1] = medial
    directions[LATERAL_FOREFOOT - 1] = -medial
    directions[HEEL - 1] = -axis
    return directions


class PrintOutline:
    """The print of one crop: its parts (connected components) and their sub-pixel outlines."""

    def __init__(self, crop: np.ndarray):
        self.smooth, self.level = print_intensity(crop, print_is_bright=True)
        mask = print_mask(self.smooth, self.level)
        if mask.any() and (~mask).any():
            # Li's level decides WHAT is print (it keeps faint toes) but sits low on an edge; the
            # edge itself is where the intensity is half-way from background to print (measured:
            # Li's level puts extremes ~0.8 px outside a rendered ellipse, this one on it)
            self.level = 0.5 * (float(np.median(self.smooth[mask])) + float(np.median(self.smooth[~mask])))
        self.parts = label(mask, connectivity=2)
        # for every pixel, the nearest print pixel: which part a point belongs to
        self._nearest = ndimage.distance_transform_edt(~mask, return_indices=True, return_distances=False) if mask.any() else None
        self._outlines: dict[int, np.ndarray] = {}

    def part_at(self, xy: np.ndarray) -> int:
        """Label of the print part nearest to point (x, y); 0 when the crop has no print."""
        if self._nearest is None:
            return 0
        h, w = self.parts.shape
        col, row = int(np.clip(round(xy[0]), 0, w - 1)), int(np.clip(round(xy[1]), 0, h - 1))
        return int(self.parts[self._nearest[0][row, col], self._nearest[1][row, col]])

    def outline(self, part: int) -> np.ndarray:
        """(N, 2) sub-pixel points (x, y) of the part's outline at the print's level."""
        if part not in self._outlines:
            rows, cols = np.nonzero(self.parts == part)
            r0, c0 = max(rows.min() - OUTLINE_MARGIN_PX, 0), max(cols.min() - OUTLINE_MARGIN_PX, 0)
            r1, c1 = rows.max() + OUTLINE_MARGIN_PX + 1, cols.max() + OUTLINE_MARGIN_PX + 1
            region = ndimage.binary_dilation(self.parts[r0:r1, c0:c1] == part, iterations=OUTLINE_MARGIN_PX)
            # other parts and the background read as 0: the outline closes around this part alone
            field = np.pad(np.where(region, self.smooth[r0:r1, c0:c1], 0.0), 1)
            lines = find_contours(field, self.level)
            xy = np.concatenate([line[:, ::-1] for line in lines]) if lines else np.zeros((0, 2))
            self._outlines[part] = xy + [c0 - 1, r0 - 1]
        return self._outlines[part]


def refine_to_print(crop: np.ndarray, points: np.ndarray, settings: PrintRefinement = PrintRefinement()) -> np.ndarray:
    """The (8, 2) points (crop pixels, right-foot configuration, print bright on black) moved to
    the extremes of the print near them; points with no print nearby are returned unchanged."""
    points = np.asarray(points, dtype=float)
    if not np.all(np.isfinite(points)):
        return points.copy()
    outline = PrintOutline(np.asarray(crop))
    if outline.level is None:
        return points.copy()
    radius = settings.radius_fraction * outline.parts.shape[0]
    parts = [outline.part_at(p) for p in points]  # chosen once, from the network's points
    refined = points.copy()
    for _ in range(settings.axis_iterations):
        if np.linalg.norm(refined[1] - refined[HEEL - 1]) < 1:
            break  # no axis to measure along
        directions = landmark_directions(refined)
        for k, (start, part) in enumerate(zip(points, parts)):
            if part == 0:
                continue
            xy = outline.outline(part)
            near = xy[np.hypot(*(xy - start).T) <= radius]
            if len(near):
                refined[k] = flat_run_extreme(near, directions[k], CROP_FLAT_RUN_TOLERANCE_PX)
    return refined
