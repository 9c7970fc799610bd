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
Marks stuck to the print are not its extremes: a pen tick or a thin ruler bar touching a toe or
the heel (thin, straight, reaching away from the print's body; `thin_strokes`) is left out of
the outline in both stages, and a long narrow part standing free (a ruler bar just below the
heel; `bar_parts`) is never the part a point is taken to. Measured (2026-12-05, champion v2):
the generated validation and test points do not move at all; on the clean-room flatbed set
(seed 1, looked at while the rule was written) MRE 2.65 -> 2.28 mm, no unflagged point > 20 mm
instead of 2; on a second draw (seed 2) 4.81 -> 4.42 mm (benchmarks/RESULTS.md).
When two toe points fall on one toe and the print shows its toes apart (five toe prints, or four
beside a hallux or a little toe joined to the sole; a toe joined to the sole by a narrow neck
counts as apart), the toes are taken in medial-to-lateral order instead, as LANDMARKS.md numbers
them.
Points 6 and 7 are first taken to the medial and lateral extremes of the WHOLE forefoot
(foot_landmarks.anatomy_checks.forefoot_extremes), as LANDMARKS.md defines them: on a long,
nearly straight edge the network's point slides 10-75 mm from the extreme, beyond any radius.
Measured 2026-12-06 (2-core Intel Xeon, this machine's CPU-profile network; benchmarks/RESULTS.md):
generated validation MRE 0.903 -> 0.909 mm, test 0.982 -> 0.975 mm; clean-room flatbed and
bare-sole pages, seeds 1 and 2 (looked at while the rule was written), MRE 1.75 / 4.54 / 3.33 /
1.43 -> 1.65 / 4.87 / 3.06 / 0.76 mm.

Stage 2, where the scan itself is at hand (a `PageDetail`: evaluation re-reads it, inference has
it): the same rule once more on the page at scan resolution (0.085 mm a pixel at 300 dpi, five
times finer than the crop), with LANDMARKS.md's own 0.5 px flat-run tolerance. The ground truth is
an extreme of the print's pixels at that resolution; along a flat arc (the heel, 6 and 7) the
crop's coarser outline shifts the extreme by a millimetre. Each window takes its own level
(half-way between the print's and the background's median, split by Otsu), so uneven light and
ink density do not move the edge.
The page is the scan as read for the crop, with form borders and ruler lines erased
(foot_landmarks.pages.read_detail_page), but not cleaned as the crop is: that cleaning decides on
a copy a few hundred pixels wide and may cut a faint toe rim off. As on the crop, the print part
nearest the point is the one that counts, so a pen line beside a toe is not taken for it.
Measured on 60 validation feet (session 3's model; MRE mm): crop only 1.23; stage 2 restricted to
the crop's print 0.99; on the page 0.84; on the page with form lines erased (this) 0.69.
A pen tick the page stage painted out of the crop is still whole on the page: where a stage-2
extreme lies on ink thinner than a stroke, the page's own strokes are cut off first
(`page_strokes`). Measured 2026-12-07 (AMD, this machine's CPU-profile network): generated
validation and test points unchanged to the last digit; clean-room flatbed ink, decision draws 1
and 2, feet with a point beyond 4 mm 38 -> 33 %, MRE 1.27 -> 1.24 mm (hallux tips 5-9 mm up a
tick back to 0.2-3.8 mm); report draws 3, 5, 31 50 -> 45 %, 2.97 -> 2.94 mm; +3 % time a page.
A print inked as dots (or a grid) is all of its cells: on a page of ink, where a window's ink is
such a pattern (`is_pattern`), stage 2 joins the cells across the pattern's gaps before it takes
the part nearest the point, so the extreme is the most distal dot's, not the nearest dot's.
Not on skin (SKIN_PAGE_KINDS), whose ridges may look like a pattern at scan resolution.
Measured 2026-12-07 (same network): clean-room flatbed ink, decision draws 1 and 2, MRE 1.24 ->
1.08 mm, median 0.25 -> 0.17 mm; report draws 2.94 -> 2.83 mm; generated validation MRE 0.9634
-> 0.9628 mm, test 1.0122 -> 1.0152 mm (one hallux already 15 mm off, 3 mm further;
benchmarks/RESULTS.md).

Measured on the default data's validation / test splits (resnet18_light_s4, 2 cores): see
conf/base/parameters_training.yml and the README. Colour maps and the feet of two-foot sheets are
not refined (see `refines`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.measure import find_contours, label, regionprops
from skimage.morphology import disk, opening

from foot_landmarks.anatomy_checks import forefoot_extremes, neck_radius_px
from foot_landmarks.extremes import FLAT_RUN_TOLERANCE_PX, flat_run_extreme
from foot_landmarks.geometry import apply_to_points, compose, invert
from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS, foot_axes
from foot_landmarks.models.geometric import print_intensity, print_mask
from foot_landmarks.pages import PRINT_CLOSING, TEXTURED_SHARE

# The flat-run tolerance of LANDMARKS.md is 0.5 px of the 300 dpi scan; a crop pixel is ~5 of those.
CROP_FLAT_RUN_TOLERANCE_PX = 0.1
OUTLINE_MARGIN_PX = 2  # the outline is traced on the component's box grown by this much
MIN_TOE_AREA_SHARE = 0.002  # of the print's area: a smaller part is a speck, not a toe print
# A pen tick or a ruler bar touching a toe or the heel joins the print's part. It is thinner than
# any part of a foot's print (half-width under ~1.5 mm, as fractions of the crop's height, ~275 mm)
# and reaches away from the print's body (~3 mm or more), where a ragged ink edge stays within
# ~1 mm of it; its outline is no extreme of the foot.
STROKE_HALF_WIDTH_FRACTION = 0.0055
STROKE_REACH_FRACTION = 0.011
# gaps of an ink pattern (dots, a grid) closed before strokes are looked for (~0.7 mm)
PATTERN_GAP_FRACTION = 0.0025
# A part this many times longer than wide is a ruler bar, a line or a tick standing free of the
# print (toe, heel and sole prints are at most ~2.5 times): no point is taken onto it.
BAR_ELONGATION = 4.0
STROKE_ELONGATION = 3.0  # a stroke's piece beyond the print: a tick is ~5 times longer than wide


@dataclass(frozen=True)
class PrintRefinement:
    """How far a point may move (a fraction of the crop's height: 0.02 of a 666 px crop of an
    adult foot is ~5.5 mm; toe tips and the sole's points 6-8 apart) and how often the axis is
    taken again from the refined points."""

    # chosen on the validation split (MRE mm, the CPU profile's points): 0.015: 1.38, 0.02: 1.33, 0.025: 1.31
    radius_fraction: float = 0.02
    # points 6, 7, 8 lie on long flat arcs where the network's point slides along the edge; chosen
    # on the validation split (session 6; MRE mm / SDR@4mm): 0.02: 0.842 / 94.99 %, 0.03: 0.829 /
    # 95.28 %, 0.04: 0.830 / 95.38 %
    sole_radius_fraction: float = 0.03
    axis_iterations: int = 2
    # points 6 and 7 first taken to the whole forefoot's extremes (anatomy_checks.forefoot_extremes)
    whole_forefoot: bool = True


@dataclass(frozen=True)
class PageDetail:
    """A foot's page at scan resolution for stage 2: `image` uint8 with the print BRIGHT on a dark
    background (the normalised page, inverted), `crop_to_image`, crop px -> `image` px, and
    whether the print may be ink laid as a pattern (dots, a grid: `is_pattern`); skin is none."""

    image: np.ndarray
    crop_to_image: np.ndarray
    ink_patterns: bool = True

    @classmethod
    def of_page(cls, gray: np.ndarray, to_page: np.ndarray, to_crop: np.ndarray, page_kind: str | None = None) -> "PageDetail":
        """From a normalised page (`gray`: dark ink on light paper, foot_landmarks.pages.Page)
        with `to_page` (original px -> page px), the foot's `to_crop` (original px -> crop px)
        and the page's kind (skin on glass, SKIN_PAGE_KINDS, has no ink patterns)."""
        return cls(255 - np.asarray(gray), compose(invert(to_crop), to_page), page_kind not in SKIN_PAGE_KINDS)


UNREFINED_PAGE_KINDS = ("colour map",)
# Skin on glass seen from below: the print's edge is the skin's however many feet the page holds.
SKIN_PAGE_KINDS = ("bright on dark",)


def variant_refines(model_config: dict) -> bool:
    """Whether a variant has the print refinement (model parameter `refine: print`)."""
    return model_config.get("refine", "none") == "print"


def refines(model_config: dict, page_kind: str | None, on_sheet: bool = False) -> bool:
    """Whether a variant's points on a page of this kind get the print refinement.

    Not on colour maps, and not on the feet of a sheet with several (`on_sheet`: an ink-mat form
    or a pressure plate) unless the page shows skin (bare soles on glass, `SKIN_PAGE_KINDS`): on
    a form the print is a pattern of grid lines, dots or sensor cells whose edge lies up to a pitch
    away from the skin's. Measured (session 4's model, DARK alone vs
    refined): photographed forms test SDR@4mm 97.3 vs 92.9 %, validation forms 2.23 vs 2.48 mm;
    pressure maps MRE 2.08 vs 3.00 mm. Not even the toe numbering (session 5): on ink-mat grids
    the crop's parts are not the toes, and it moved 2 of 54 validation sheet feet, both from
    ~1 mm to 15-35 mm.
    """
    skin = page_kind in SKIN_PAGE_KINDS
    return variant_refines(model_config) and page_kind not in UNREFINED_PAGE_KINDS and (skin or not on_sheet)


def landmark_directions(points: np.ndarray) -> np.ndarray:
    """(8, 2) unit vectors along which each landmark is an extreme, for points in the right-foot
    configuration (hallux on the left): distal for the toes, medial for 6, lateral for 7,
    posterior for 8. The axis runs from point 8 to point 2 (LANDMARKS.md)."""
    axis, medial, _ = foot_axes(points)
    directions = np.empty((len(points), 2))
    directions[[k - 1 for k in TOE_IDS]] = axis
    directions[MEDIAL_FOREFOOT - 1] = medial
    directions[LATERAL_FOREFOOT - 1] = -medial
    directions[HEEL - 1] = -axis
    return directions


def _half_way_level(intensity: np.ndarray, mask: np.ndarray) -> float:
    """The edge between print (`mask`) and background: half-way between their median intensities."""
    return 0.5 * (float(np.median(intensity[mask])) + float(np.median(intensity[~mask])))


def _contour(values: np.ndarray, inside: np.ndarray, level: float, outside: float, x0: int, y0: int) -> np.ndarray:
    """(N, 2) sub-pixel outline (x, y) of `values` at `level` where `inside`; everything else reads
    as `outside`, so the outline closes around that region alone. (x0, y0): where values[0, 0] is."""
    lines = find_contours(np.pad(np.where(inside, values, outside), 1), level)
    if not lines:
        return np.zeros((0, 2))
    return np.concatenate([line[:, ::-1] for line in lines]) + [x0 - 1, y0 - 1]


def _part_nearest(parts: np.ndarray, nearest: tuple[np.ndarray, np.ndarray], xy: np.ndarray) -> int:
    """Label in `parts` of the print pixel nearest to point (x, y) (`nearest`: the row and column
    indices of a distance transform of the background)."""
    h, w = parts.shape
    col, row = int(np.clip(round(xy[0]), 0, w - 1)), int(np.clip(round(xy[1]), 0, h - 1))
    return int(parts[nearest[0][row, col], nearest[1][row, col]])


def thin_strokes(mask: np.ndarray, half_width: float, reach: float) -> np.ndarray:
    """Bool mask of the strokes stuck to `mask`'s print: what an opening by a disk of radius
    `half_width` (px) removes, in connected pieces that touch what the opening keeps (the body),
    of which some pixel lies `reach` px or more from it, no wider on average than the disk and
    straight (STROKE_ELONGATION). A ragged edge stays close to the body; the fragments of a faint
    toe are wide or bent: neither is a stroke."""
    mask = ndimage.binary_fill_holes(mask)
    body = _opened(mask, max(1.0, half_width))
    residue = mask & ~body
    if not residue.any() or not body.any():
        return np.zeros_like(residue)
    pieces = label(residue, connectivity=2)
    index = np.arange(1, pieces.max() + 1)
    touching = np.asarray(ndimage.maximum(ndimage.binary_dilation(body), pieces, index)) > 0
    farthest = np.asarray(ndimage.maximum(ndimage.distance_transform_edt(~body), pieces, index))
    # and thin all along: its area over its reach (a stroke's width) no more than the disk's width
    thin = np.bincount(pieces.ravel())[1:] <= 2 * max(1.0, half_width) * farthest
    straight = np.isin(index, bar_parts(pieces, STROKE_ELONGATION))
    return np.isin(pieces, index[touching & thin & straight & (farthest >= reach)])


def _opened(mask: np.ndarray, radius: float) -> np.ndarray:
    """Opening by a disk of `radius` px, made of Euclidean distances: exact for any radius, and
    linear in the pixels."""
    core = ndimage.distance_transform_edt(mask) > radius
    return ndimage.distance_transform_edt(~core) <= radius if core.any() else core


def _closed(mask: np.ndarray, radius: float) -> np.ndarray:
    """Closing by a disk of `radius` px (the opening of the background)."""
    return ~_opened(np.pad(~mask, 1, constant_values=False), radius)[1:-1, 1:-1]


def bar_parts(parts: np.ndarray, elongation: float = BAR_ELONGATION) -> list[int]:
    """Labels of the parts at least `elongation` times longer than wide (moments' axes)."""
    return [
        region.label
        for region in regionprops(parts)
        if region.area >= 3 and region.axis_major_length >= elongation * max(region.axis_minor_length, 1.0)
    ]


def _on_strokes(xy: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Bool per point (x, y): on a pixel of `near` (the strokes grown by 2 px, PrintOutline)."""
    cols = np.clip(np.round(xy[:, 0]).astype(int), 0, near.shape[1] - 1)
    rows = np.clip(np.round(xy[:, 1]).astype(int), 0, near.shape[0] - 1)
    return near[rows, cols]


class PrintOutline:
    """The print of one crop: its parts (connected components) and their sub-pixel outlines."""

    def __init__(self, crop: np.ndarray):
        self.smooth, self.level = print_intensity(crop, print_is_bright=True)
        mask = print_mask(self.smooth, self.level)
        if mask.any() and (~mask).any():
            # Li's level decides WHAT is print (it keeps faint toes) but sits low on an edge (measured:
            # Li's level puts extremes ~0.8 px outside a rendered ellipse, the half-way one on it)
            self.level = _half_way_level(self.smooth, mask)
        self.parts = label(mask, connectivity=2)
        height = mask.shape[0]
        filled = _closed(mask, PATTERN_GAP_FRACTION * height) | mask
        strokes = mask & thin_strokes(filled, STROKE_HALF_WIDTH_FRACTION * height, STROKE_REACH_FRACTION * height)
        # only strokes the outline follows (inked above its level): a faint toe's rim below it is none
        pieces = label(strokes, connectivity=2)
        inked = np.flatnonzero(np.asarray(ndimage.median(self.smooth, pieces, np.arange(1, pieces.max() + 1))) >= self.level)
        self.strokes = np.isin(pieces, inked + 1)
        # outline points on or within 2 px of a stroke are left out (grown once: asked per part and point)
        self.near_strokes = ndimage.binary_dilation(self.strokes, iterations=2) if self.strokes.any() else None
        # for every pixel, the nearest print pixel not on a bar: which part a point belongs to
        candidates = mask & ~np.isin(self.parts, bar_parts(self.parts))
        candidates = candidates if candidates.any() else mask
        self._nearest = ndimage.distance_transform_edt(~candidates, return_indices=True, return_distances=False) if mask.any() else None
        self._outlines: dict[int, np.ndarray] = {}

    def part_at(self, xy: np.ndarray) -> int:
        """Label of the print part nearest to point (x, y); 0 when the crop has no print."""
        return 0 if self._nearest is None else _part_nearest(self.parts, self._nearest, xy)

    def separate_toes(self, points: np.ndarray) -> dict[int, int] | None:
        """Which toe print each toe point belongs to ({point index: part label}) when the print
        shows its toes apart from the sole, distal of the forefoot extremes; None otherwise. Toes
        are numbered from the medial side (LANDMARKS.md): five toe prints are toes 1-5; four,
        while the hallux's print is joined to the sole (point 1 lies on the sole's part), are 2-5,
        and while the little toe's is (point 5 on the sole's part), 1-4.

        A toe that touches the sole through a narrow neck (a little toe pressed against the ball,
        common on bare-sole scans) counts as apart: when the parts as they are give no numbering,
        they are taken again with such necks cut, and `parts` keeps that labelling when it does.
        `points`: the network's (8, 2) points, which say where the sole (6, 7, 8) and the axis are.
        """
        numbering = self._numbering(self.parts, points)
        if numbering is None:
            necks_cut = self._necks_cut()
            numbering = self._numbering(necks_cut, points)
            if numbering is not None:
                self.parts = necks_cut
                self._outlines.clear()
        return numbering

    def _numbering(self, parts: np.ndarray, points: np.ndarray) -> dict[int, int] | None:
        part_of = [_part_nearest(parts, self._nearest, q) for q in points]
        sole = {part_of[k - 1] for k in (MEDIAL_FOREFOOT, LATERAL_FOREFOOT, HEEL)}
        toes = self._toes_among(parts, sole, points)
        if len(toes) == 5:
            return dict(enumerate(toes))
        if len(toes) == 4 and part_of[0] in sole:  # the hallux's print joined to the sole
            return {k + 1: toe for k, toe in enumerate(toes)}
        if len(toes) == 4 and part_of[4] in sole:  # the little toe's print joined to the sole
            return dict(enumerate(toes))
        return None

    def _toes_among(self, parts: np.ndarray, sole: set[int], points: np.ndarray) -> list[int]:
        """Labels in `parts` of the toe prints apart from the `sole` parts, medial to lateral."""
        directions = landmark_directions(points)
        distal, medial = directions[1], directions[MEDIAL_FOREFOOT - 1]
        front = max(points[MEDIAL_FOREFOOT - 1] @ distal, points[LATERAL_FOREFOOT - 1] @ distal)
        areas = np.bincount(parts.ravel())
        min_area = MIN_TOE_AREA_SHARE * areas[1:].sum()
        labels = [k for k in range(1, len(areas)) if k not in sole and areas[k] >= min_area]
        if not labels:
            return []
        centres = np.asarray(ndimage.center_of_mass(parts > 0, parts, labels))[:, ::-1]  # (x, y)
        toes = [(float(c @ medial), k) for c, k in zip(centres, labels) if c @ distal > front]
        return [k for _, k in sorted(toes, reverse=True)]

    def _necks_cut(self) -> np.ndarray:
        """The print's parts with narrow necks cut: the cores an opening leaves, each grown back
        over the print pixels nearest to it (a speck the opening removes joins its neighbour)."""
        mask = self.parts > 0
        radius = neck_radius_px(mask.shape[0])
        cores = label(opening(mask, disk(radius)), connectivity=1)
        if cores.max() == 0:
            return self.parts
        nearest = ndimage.distance_transform_edt(cores == 0, return_indices=True, return_distances=False)
        return np.where(mask, cores[nearest[0], nearest[1]], 0)

    def outline(self, part: int) -> np.ndarray:
        """(N, 2) sub-pixel points (x, y) of the part's outline at the print's level, less where
        a thin stroke (a pen tick, a ruler bar) sticks to it."""
        if part not in self._outlines:
            rows, cols = np.nonzero(self.parts == part)
            r0, c0 = max(rows.min() - OUTLINE_MARGIN_PX, 0), max(cols.min() - OUTLINE_MARGIN_PX, 0)
            r1, c1 = rows.max() + OUTLINE_MARGIN_PX + 1, cols.max() + OUTLINE_MARGIN_PX + 1
            region = ndimage.binary_dilation(self.parts[r0:r1, c0:c1] == part, iterations=OUTLINE_MARGIN_PX)
            # other parts and the background read as 0
            xy = _contour(self.smooth[r0:r1, c0:c1], region, self.level, 0.0, c0, r0)
            self._outlines[part] = xy[~_on_strokes(xy, self.near_strokes)] if len(xy) and self.near_strokes is not None else xy
        return self._outlines[part]


MIN_WINDOW_CONTRAST = 8  # gray levels: a window flatter than this has no edge to find


def page_strokes(part: np.ndarray, crop_height: float) -> np.ndarray:
    """Bool mask of the thin strokes stuck to one print part of the page at scan resolution, by
    the crop's rule (`thin_strokes`; `crop_height`, the foot's crop height in this image's px,
    sets the scale). Where most of the part's ink is thinner than a stroke (`is_pattern`: a
    grid's lines, as `pages` decides it), the part is closed at the print's scale first
    (PRINT_CLOSING, of the foot's length there, taken of the crop's height here: the crop is a
    little longer than the foot), so a grid's lines sticking out of its edge are body, and a
    tick is not."""
    filled = _closed(part, PATTERN_GAP_FRACTION * crop_height) | part
    half_width = STROKE_HALF_WIDTH_FRACTION * crop_height
    if is_pattern(filled, 2 * half_width):
        filled = _closed(filled, PRINT_CLOSING * crop_height) | filled
    return thin_strokes(filled, half_width, STROKE_REACH_FRACTION * crop_height)


@dataclass(frozen=True)
class _PageWindow:
    """A window of the page around a point, with the print part nearest the point."""

    values: np.ndarray  # float intensities, print bright
    part: np.ndarray  # bool: the print part nearest the point
    level: float  # the window's half-way level
    x0: int
    y0: int

    def outline(self, part: np.ndarray | None = None) -> np.ndarray:
        """(N, 2) sub-pixel outline (x, y, image px) of `part` (default: the window's part)."""
        part = self.part if part is None else part
        return _contour(self.values, part, self.level, self.values.min(), self.x0, self.y0)

    def thin_at(self, xy: np.ndarray, half_width: float) -> bool:
        """Whether the part is thinner than a stroke (`half_width`, image px) all around image
        point `xy`: no pixel of it within 2 `half_width` lies that deep inside it."""
        col, row = int(round(xy[0])) - self.x0, int(round(xy[1])) - self.y0
        reach = int(np.ceil(2 * half_width))
        near = self.part[max(0, row - reach) : row + reach + 1, max(0, col - reach) : col + reach + 1]
        return bool(near.any()) and float(ndimage.distance_transform_edt(np.pad(near, 1)).max()) < half_width


def is_pattern(mask: np.ndarray, gap: float) -> bool:
    """Whether ink is a pattern (dots, a grid's lines) rather than solid: most of it lies within
    half a pattern gap (`gap`, px) of its edge. A toe print's rim that deep is a small share of it,
    even the little toe's (~25 %); a dot's or a grid line's is nearly all of it."""
    return bool(mask.any()) and float(np.mean(ndimage.distance_transform_edt(mask)[mask] < gap / 2)) > TEXTURED_SHARE


def _page_window(
    image: np.ndarray, centre: np.ndarray, radius: float, crop_height: float, ink_patterns: bool = True
) -> _PageWindow | None:
    """The window of half-size 2 * `radius` around `centre` (image px) at its own half-way level,
    with the print part nearest `centre`; None when the window is flat or holds no print. Where the
    window's ink is a pattern (`is_pattern`, looked for where `ink_patterns`: not on skin, whose
    ridges at scan resolution may look like one), its cells joined across the pattern's gaps
    (PATTERN_GAP_FRACTION of `crop_height`, the crop's height in image px) make one part: the
    print is all of its dots, not the one nearest the point."""
    h, w = image.shape
    half = int(np.ceil(2 * radius))
    x0, y0 = max(0, int(centre[0]) - half), max(0, int(centre[1]) - half)
    x1, y1 = min(w, int(centre[0]) + half + 1), min(h, int(centre[1]) + half + 1)
    window = image[y0:y1, x0:x1].astype(float)
    if window.size == 0 or np.ptp(window) < MIN_WINDOW_CONTRAST:
        return None
    level = _half_way_level(window, window > threshold_otsu(window))
    mask = window > level
    if not mask.any():
        return None
    gap = PATTERN_GAP_FRACTION * crop_height
    joined = _closed(mask, gap) | mask if ink_patterns and is_pattern(mask, gap) else mask
    parts = label(joined, connectivity=2)
    nearest = ndimage.distance_transform_edt(~joined, return_indices=True, return_distances=False)
    part = (parts == _part_nearest(parts, nearest, centre - [x0, y0])) & mask
    return _PageWindow(window, part, level, x0, y0)


def _extreme_on_page(
    detail: PageDetail,
    start: np.ndarray,
    direction: np.ndarray,
    radius: float,
    near_strokes: np.ndarray | None,
    crop_height: int,
) -> np.ndarray | None:
    """Stage 2 for one point (crop px in, crop px out): the extreme along `direction` of the
    page's outline within `radius` (crop px) of `start`, less where it runs on or beside the
    crop's strokes (`near_strokes`: PrintOutline's; decided on the crop, whose print is smoothed
    and filled, not on the page's ridges and pores); None when there is none. Where that extreme
    lies on ink thinner than a stroke, the page's own strokes (`page_strokes`; `crop_height` in
    crop px sets their scale) are cut off the part and the extreme is taken again: the page
    stage paints a pen tick out of the crop but leaves a stub too short to be a stroke there,
    while the page holds the whole tick (a hallux tip was carried 5-9 mm up one). Testing for
    thin ink first keeps the cost (strokes looked for in every window: +13 % time a page)."""
    on_page = apply_to_points(detail.crop_to_image, np.stack([start, start + direction]))
    step = on_page[1] - on_page[0]
    scale = float(np.linalg.norm(step))  # page px per crop px, along the direction
    window = _page_window(detail.image, on_page[0], radius * scale, crop_height * scale, detail.ink_patterns)
    if window is None:
        return None
    to_crop = invert(detail.crop_to_image)

    def extreme_of(part: np.ndarray | None = None) -> np.ndarray | None:
        outline = window.outline(part)
        outline = outline[np.hypot(*(outline - on_page[0]).T) <= radius * scale]
        if len(outline) and near_strokes is not None:
            outline = outline[~_on_strokes(apply_to_points(to_crop, outline), near_strokes)]
        return flat_run_extreme(outline, step / scale, FLAT_RUN_TOLERANCE_PX) if len(outline) else None

    extreme = extreme_of()
    if extreme is not None and window.thin_at(extreme, STROKE_HALF_WIDTH_FRACTION * crop_height * scale):
        # a stroke cut off where it leaves the print's body: the outline runs on the print's own
        # rim across the stroke's root, where a tick drawn to mark a point hides the extreme
        strokes = page_strokes(window.part, crop_height * scale)
        if strokes.any():
            extreme = extreme_of(window.part & ~strokes)
    return None if extreme is None else apply_to_points(to_crop, extreme[None])[0]


def refine_to_print(
    crop: np.ndarray,
    points: np.ndarray,
    settings: PrintRefinement = PrintRefinement(),
    detail: PageDetail | None = None,
) -> np.ndarray:
    """The (8, 2) points (crop pixels, right-foot configuration, print bright on black) moved to
    the extremes of the print near them (6 and 7 first to the whole forefoot's, as
    `settings.whole_forefoot` says); points with no print nearby are returned unchanged.
    With the page at scan resolution (`detail`), stage 2 places them on it."""
    points = np.asarray(points, dtype=float)
    if not np.all(np.isfinite(points)):
        return points.copy()
    if settings.whole_forefoot:
        points = forefoot_extremes(crop, points)
    outline = PrintOutline(np.asarray(crop))
    if outline.level is None:
        return points.copy()
    height = outline.parts.shape[0]
    radii = [settings.radius_fraction * height] * len(TOE_IDS)
    radii += [settings.sole_radius_fraction * height] * (len(points) - len(TOE_IDS))
    parts = [outline.part_at(p) for p in points]  # chosen once, from the network's points
    reach = list(radii)  # on the crop: a renumbered toe is taken wherever its print is
    if len(set(parts[: len(TOE_IDS)])) < len(TOE_IDS) and (toes := outline.separate_toes(points)) is not None:
        # two toe points on one toe while the print shows its toes apart: toes are numbered from
        # the medial side (LANDMARKS.md), so each point takes its toe, wherever the network put it
        parts = [outline.part_at(p) for p in points]  # separate_toes may have cut toes off the sole
        for k, toe in toes.items():
            if toe != parts[k]:
                parts[k], reach[k] = toe, np.inf
    refined = points.copy()
    for _ in range(settings.axis_iterations):
        if np.linalg.norm(refined[1] - refined[HEEL - 1]) < 1:
            break  # no axis to measure along
        directions = landmark_directions(refined)
        for k, (start, part) in enumerate(zip(points, parts)):
            if part == 0:
                continue
            xy = outline.outline(part)
            near = xy[np.hypot(*(xy - start).T) <= reach[k]]
            if len(near):
                refined[k] = flat_run_extreme(near, directions[k], CROP_FLAT_RUN_TOLERANCE_PX)
    if detail is None or np.linalg.norm(refined[1] - refined[HEEL - 1]) < 1:
        return refined
    directions = landmark_directions(refined)
    for k, part in enumerate(parts):
        if part == 0:
            continue
        # within the point's radius of its crop extreme (a renumbered toe's too)
        on_page = _extreme_on_page(detail, refined[k], directions[k], radii[k], outline.near_strokes, height)
        if on_page is not None:
            refined[k] = on_page
    return refined
