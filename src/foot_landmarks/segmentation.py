"""Find the ink print of one foot on a scanned sheet and tell it apart from everything else.

A sheet holds the print (the foot's large component plus the separate toe prints near it) and
things that are not the print: pen writing (thin strokes), blots (solid, compact, roundish
ink), specks. :func:`segment_print` labels the dark components of a grayscale page and keeps
the print; :func:`print_problem` says why a print cannot be used (touching the sheet edge,
covered by a blot, an implausible shape); :func:`clean_page` paints everything that is not the
print as paper.

Everything works on a reduced copy of the page (a few hundred pixels): the decisions are about
shapes centimetres wide, and the crop box found there maps back to full resolution by a matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, morphology

PAPER = 255  # background value of a cleaned page (8-bit, dark ink on light paper)


@dataclass(frozen=True)
class SegmentationParams:
    """Shape rules, relative to the page or to the foot so they hold at any resolution."""

    closing_radius_frac: float = 0.004  # of the page's long side: joins ink texture into one region
    min_component_frac: float = 2e-5  # of the page area: smaller specks are ignored
    toe_gap_frac: float = 0.08  # of the foot length: a toe print lies at most this far from the foot
    # or from a toe print, and then has a toe's shape (a long second toe prints far from the ball):
    # holes filled / convex area and length / width (toe prints kept: >= 0.85 and <= 1.7)
    toe_min_solidity: float = 0.8
    toe_max_aspect: float = 2.0
    body_part_area_frac: float = 0.1  # of the largest part: a high arch splits heel from forefoot
    body_part_gap_frac: float = 4.0  # of the largest part's length: how far the other part may lie
    toe_zone_frac: float = 0.35  # toe prints lie in this distal share of an upright foot (toes up)
    min_toe_area_frac: float = 0.002  # of the foot area
    max_toe_area_frac: float = 0.35  # of the foot area: toes may print as one joined region
    min_stroke_width_frac: float = 0.012  # of the foot length: thinner marks are pen strokes
    blot_min_solidity: float = 0.93  # blots are compact and convex; a foot with its arch is not
    blot_max_aspect: float = 2.0  # and roundish; a foot is long and narrow
    blot_min_area_frac: float = 0.5  # of the foot area: smaller solid blobs may be toes or a heel
    # Blots are near-black solid ink; a print, even a heavy one, is textured and lighter. Without
    # this a high-arch forefoot or heel (solid, roundish, apart from the rest) looks like a blot.
    blot_max_gray_frac: float = 0.4  # of the ink threshold: mean gray of a blot
    blot_max_interior_std: float = 12.0  # gray levels: a blot is flat inside, heavy ink still grainy
    edge_shadow_frac: float = 0.6  # a border row/column this full of "ink" is a scanner's edge shadow
    edge_shadow_band_frac: float = 0.01  # of the page's long side: how deep such a shadow reaches
    blot_gap_frac: float = 0.03  # of the foot length: a blot this near the print covers it
    max_print_radius_frac: float = 0.25  # of the print length: a thicker region is a blot on it
    min_print_aspect: float = 1.5  # length / width of the print's box (feet are 2.2-3)
    print_fill_range: tuple[float, float] = (0.25, 0.85)  # ink area / box area of a print
    edge_margin_px: int = 1  # print pixels this close to the border lie on the sheet edge
    edge_cut_frac: float = 0.1  # of the print's width: a longer run along the edge means a cut
    faint_ink_frac: float = 0.5  # of the way from the ink threshold to the paper: faint toes' level
    faint_opening_scale: int = 1  # x the closing radius: an opening of the faint ink that joined the sole


@dataclass
class PrintSegmentation:
    """The print found on a page, at the resolution it was analysed at."""

    mask: np.ndarray  # bool (H, W): foot + toe prints
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) of `mask`
    threshold: float  # gray level at or below which a pixel is ink
    removed: dict[str, int] = field(default_factory=dict)  # kind -> number of components dropped
    blot_near_print: bool = False
    found: bool = True
    max_radius: float = 0.0  # radius of the largest disk inside the print (a blot makes it large)


def ink_threshold(gray: np.ndarray) -> float:
    """Otsu's threshold between ink and paper (pages are mostly paper, so Otsu is stable)."""
    if int(gray.max()) - int(gray.min()) < 20:  # a blank or uniform page has no ink
        return float(gray.min()) - 1.0
    return float(filters.threshold_otsu(gray))


def _aspect(region) -> float:
    major, minor = region.axis_major_length, max(region.axis_minor_length, 1e-6)
    return float(major / minor)


def _is_blot(region, foot_area: float, p: SegmentationParams, threshold: float) -> bool:
    return (  # cheapest first: most regions are small, and solidity needs a convex hull
        region.area >= p.blot_min_area_frac * foot_area
        and region.intensity_mean <= p.blot_max_gray_frac * threshold
        and _aspect(region) <= p.blot_max_aspect
        and region.solidity >= p.blot_min_solidity
        and _interior_std(region) <= p.blot_max_interior_std
    )


def _interior_std(region, erode_px: int = 2) -> float:
    """Gray-level spread inside a component, its rim excluded (the rim mixes ink and paper)."""
    interior = ndi.binary_erosion(region.image, iterations=erode_px)
    values = region.image_intensity[interior]
    return float(values.std()) if values.size >= 20 else 0.0


def _touches_border(region, shape: tuple[int, int]) -> bool:
    r0, c0, r1, c1 = region.bbox
    return r0 == 0 or c0 == 0 or r1 == shape[0] or c1 == shape[1]


def _drop_edge_shadows(ink: np.ndarray, p: SegmentationParams) -> np.ndarray:
    """Clear border rows/columns that are dark almost end to end: a scanner lid's shadow darkens a
    whole page edge, while a print cut by the edge covers only part of it."""
    ink = ink.copy()
    band = max(2, round(p.edge_shadow_band_frac * max(ink.shape)))
    for lines in (ink[:band], ink[-band:], ink[:, :band].T, ink[:, -band:].T):
        lines[lines.mean(axis=1) > p.edge_shadow_frac] = False
    return ink


def _body_parts(foot, regions, labels: np.ndarray, foot_mask: np.ndarray, p: SegmentationParams) -> list:
    """Other large parts of the same sole: with a high arch the heel (or forefoot) prints apart.

    Such a part is big, lies above or below the largest part (their columns overlap) and near it.
    """
    length = float(foot.bbox[2] - foot.bbox[0])
    distance = ndi.distance_transform_edt(~foot_mask)
    parts = []
    for region in regions:
        if region.label == foot.label or region.area < p.body_part_area_frac * foot.area:
            continue
        overlap = min(region.bbox[3], foot.bbox[3]) - max(region.bbox[1], foot.bbox[1])
        gap = float(distance[region.coords[:, 0], region.coords[:, 1]].min())
        # Columns must overlap: heel and forefoot are one above the other (a second foot of a
        # two-foot sheet sits beside). A quarter of the narrower part allows a turned print.
        narrower = min(region.bbox[3] - region.bbox[1], foot.bbox[3] - foot.bbox[1])
        if overlap > 0.25 * narrower and gap <= p.body_part_gap_frac * length:
            parts.append(region)
    return parts


def _joined_ink(ink: np.ndarray, radius: int, p: SegmentationParams) -> np.ndarray:
    """`ink` with its texture joined into regions (a closing of `radius` px) and specks removed."""
    h, w = ink.shape
    ink = morphology.closing(ink, morphology.disk(radius))
    return morphology.remove_small_objects(ink, max_size=max(1, int(p.min_component_frac * h * w)))


def _box_gap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Euclidean gap between two (row0, col0, row1, col1) boxes (0 when they overlap)."""
    rows = max(0, a[0] - b[2], b[0] - a[2])
    cols = max(0, a[1] - b[3], b[1] - a[3])
    return float(np.hypot(rows, cols))


@dataclass
class _ToeJudge:
    """Why a component beside the foot is not a toe print (None: it is one)."""

    p: SegmentationParams
    threshold: float
    foot_area: float
    foot_length: float
    toe_zone_end: float
    distance_to_foot: np.ndarray  # to the sole: how near a blot is
    shape: tuple[int, int]
    distance_to_print: np.ndarray | None = None  # to the sole and the toes kept so far

    def gap(self, region) -> float:
        """Distance from the region to the print kept so far (to the sole outside keep_toes)."""
        distance = self.distance_to_foot if self.distance_to_print is None else self.distance_to_print
        return float(distance[region.coords[:, 0], region.coords[:, 1]].min())

    def gap_to_sole(self, region) -> float:
        return float(self.distance_to_foot[region.coords[:, 0], region.coords[:, 1]].min())

    def blot_near(self, region) -> bool:
        # A blot bigger than the "foot" found beside it has swallowed the print's body.
        p = self.p
        reach = p.toe_gap_frac if region.area > self.foot_area else p.blot_gap_frac
        return self.gap_to_sole(region) <= reach * self.foot_length

    def __call__(self, region, depth: np.ndarray, shaped: bool = False) -> str | None:
        """`shaped`: the region must also have a toe's shape."""
        p = self.p
        if _is_blot(region, self.foot_area, p, self.threshold):
            return "blot"
        if self.gap(region) > p.toe_gap_frac * self.foot_length or region.centroid[0] > self.toe_zone_end:
            return "far"  # writing beside the arch or heel is never a toe
        beyond_sole = self.gap_to_sole(region) > p.toe_gap_frac * self.foot_length
        if (shaped or beyond_sole) and not self._toe_shaped(region):
            return "far"  # near a toe but not near the sole: only a toe-shaped print joins the row
        if _touches_border(region, self.shape):
            return "edge"  # a page-edge shadow or mark; a toe cut by the edge means the foot is too
        if 2 * depth[region.coords[:, 0], region.coords[:, 1]].max() < p.min_stroke_width_frac * self.foot_length:
            return "pen"
        if not p.min_toe_area_frac * self.foot_area <= region.area <= p.max_toe_area_frac * self.foot_area:
            return "large" if region.area > p.max_toe_area_frac * self.foot_area else "far"
        return None

    def _toe_shaped(self, region) -> bool:
        # a toe print is a compact oval (its holes filled: a faint grid print is full of them);
        # writing joined by the closing is long or ragged
        solidity = region.area_filled / max(region.area_convex, 1)
        return solidity >= self.p.toe_min_solidity and _aspect(region) <= self.p.toe_max_aspect

    def keep_toes(
        self,
        regions: list,
        depth: np.ndarray,
        keep: np.ndarray,
        shaped: frozenset[int] = frozenset(),
        distance: np.ndarray | None = None,
    ) -> dict[int, str | None]:
        """Judge `regions` and add the toe prints to `keep` (the print so far); label -> verdict.
        Regions whose label is in `shaped` must also have a toe's shape. `distance`: to `keep`,
        when already known.

        Toe prints lie in a row beside the ball, so a region near a toe already kept is near the
        print: a long second toe may print 25 mm from the ball but beside the hallux (measured on
        the default data: 1 second-toe tip in 7 was cleaned away when only the sole counted).
        """
        verdicts: dict[int, str | None] = {}
        reach = self.p.toe_gap_frac * self.foot_length
        todo = list(regions)
        while todo:
            self.distance_to_print = ndi.distance_transform_edt(~keep) if distance is None else distance
            distance = None
            new_toes = []
            for region in sorted(todo, key=self.gap):
                verdicts[region.label] = self(region, depth, region.label in shaped)
                if verdicts[region.label] is None:
                    keep[region.coords[:, 0], region.coords[:, 1]] = True
                    new_toes.append(region.bbox)
            # judged again: what was too far from the print but whose box lies within reach of a
            # new toe's box (the boxes' gap is at most the regions' gap)
            todo = [
                r
                for r in todo
                if verdicts[r.label] == "far"
                and self.gap(r) > reach
                and any(_box_gap(r.bbox, b) <= reach for b in new_toes)
            ]
        self.distance_to_print = None
        return verdicts


def segment_print(gray: np.ndarray, params: SegmentationParams | None = None) -> PrintSegmentation:
    """Label the ink of a grayscale page (uint8, dark ink) and keep the print of the foot.

    The foot is the largest ink component that is not a blot; toe prints are the separate
    components near it that are thick enough not to be pen strokes and small enough not to be
    a second foot or a blot.
    """
    p = params or SegmentationParams()
    h, w = gray.shape
    threshold = ink_threshold(gray)
    radius = max(1, round(p.closing_radius_frac * max(h, w)))
    ink = _joined_ink(_drop_edge_shadows(gray <= threshold, p), radius, p)
    labels = measure.label(ink, connectivity=2)
    regions = measure.regionprops(labels, intensity_image=gray)
    empty = PrintSegmentation(np.zeros_like(ink), (0, 0, 0, 0), threshold, found=False)
    if not regions:
        return empty

    by_area = sorted(regions, key=lambda r: r.area, reverse=True)
    # Provisional foot size for the blot test; a blot is judged against the biggest component.
    foot = next((r for r in by_area if not _is_blot(r, by_area[0].area * 0.5, p, threshold)), None)
    if foot is None:
        return empty
    foot_mask = labels == foot.label
    body = _body_parts(foot, regions, labels, foot_mask, p)
    for part in body:
        foot_mask |= labels == part.label
    ys, xs = np.nonzero(foot_mask)
    foot_rows = (int(ys.min()), int(ys.max()) + 1)
    foot_area = float(foot_mask.sum())
    foot_length = float(max(foot_rows[1] - foot_rows[0], xs.max() - xs.min() + 1))
    distance_to_foot = ndi.distance_transform_edt(~foot_mask)
    ink_depth = ndi.distance_transform_edt(ink)  # half the stroke width at each ink pixel

    toe_zone_end = foot_rows[0] + p.toe_zone_frac * (foot_rows[1] - foot_rows[0])
    body_labels = {foot.label, *(part.label for part in body)}
    keep = foot_mask.copy()
    removed = {"pen": 0, "blot": 0, "far": 0, "large": 0, "edge": 0}
    blot_near = False
    judge = _ToeJudge(p, threshold, foot_area, foot_length, toe_zone_end, distance_to_foot, labels.shape)
    others = [region for region in regions if region.label not in body_labels]
    verdicts = judge.keep_toes(others, ink_depth, keep, distance=distance_to_foot)
    for region in others:
        verdict = verdicts[region.label]
        if verdict == "blot":
            blot_near |= judge.blot_near(region)
        if verdict:
            removed[verdict] += 1
    # Pass 2, faint toes: a lightly inked toe is paper to Otsu's level when the sole is heavy
    # (measured on the default data: 1 lesser-toe tip in 5 was cleaned away). At a level half-way
    # to the paper, the regions beyond the sole are judged as toes by the same rules (a kept toe's
    # region is the toe with its faint rim).
    paper = float(np.median(gray))
    if paper > threshold:
        faint = _joined_ink(gray <= threshold + p.faint_ink_frac * (paper - threshold), radius, p)
        # At this level a faint toe may join the sole's faint rim. The sole (grown by the closing
        # radius) is taken out, and what was joined to it is opened: a faint band along the sole
        # (the mat's halo, a form's panel border) falls away, and a toe must have a toe's shape.
        joined = measure.label(faint, connectivity=2)
        with_sole = np.isin(joined, np.unique(joined[foot_mask & faint]))
        beyond = faint & ~ndi.binary_dilation(foot_mask, iterations=radius)
        carved = morphology.opening(beyond & with_sole, morphology.disk(p.faint_opening_scale * radius))
        faint_labels = measure.label((beyond & ~with_sole) | carved, connectivity=2)
        regions = measure.regionprops(faint_labels, intensity_image=gray)
        shaped = frozenset(r.label for r in regions if carved[r.coords[0, 0], r.coords[0, 1]])
        judge.keep_toes(regions, ndi.distance_transform_edt(faint_labels > 0), keep, shaped)
    ys, xs = np.nonzero(keep)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    max_radius = float(ndi.distance_transform_edt(keep).max())
    return PrintSegmentation(keep, bbox, threshold, removed, blot_near, max_radius=max_radius)


def print_problem(seg: PrintSegmentation, params: SegmentationParams | None = None) -> str | None:
    """Why this print cannot be used (None when it can): the rejection reason for the report."""
    p = params or SegmentationParams()
    if not seg.found:
        return "no print found on the page"
    h, w = seg.mask.shape
    x0, y0, x1, y1 = seg.bbox
    m = max(p.edge_margin_px, 1)
    # A tight crop may graze the print at a toe tip; a cut leaves a long straight run on the edge.
    runs = [seg.mask[:m].sum(axis=0), seg.mask[-m:].sum(axis=0), seg.mask[:, :m].sum(axis=1), seg.mask[:, -m:].sum(axis=1)]
    longest = max(int((run > 0).sum()) for run in runs)
    if longest > p.edge_cut_frac * min(x1 - x0, y1 - y0):
        return "print touches the page edge (part of the foot is missing)"
    if seg.blot_near_print:
        return "ink blot on or next to the print"
    box_h, box_w = y1 - y0, x1 - x0
    if seg.max_radius > p.max_print_radius_frac * max(box_h, box_w):
        return "ink blot on the print (a solid region far wider than any part of a foot)"
    aspect = max(box_h, box_w) / max(min(box_h, box_w), 1)
    fill = float(seg.mask[y0:y1, x0:x1].mean())
    if aspect < p.min_print_aspect:
        return f"print shape implausible (length/width {aspect:.2f} < {p.min_print_aspect}): blot or partial print"
    lo, hi = p.print_fill_range
    if not lo <= fill <= hi:
        return f"print area implausible (ink fills {fill:.0%} of its box, expected {lo:.0%}-{hi:.0%})"
    return None


def keep_region(seg: PrintSegmentation, grow_px: int = 2) -> np.ndarray:
    """The print mask grown a little, so the faint rim of the ink survives cleaning."""
    return ndi.binary_dilation(seg.mask, iterations=grow_px) if grow_px > 0 else seg.mask


def clean_page(gray: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Paint every pixel outside `keep` (same shape as `gray`) as paper."""
    return np.where(keep, gray, np.uint8(PAPER)).astype(np.uint8)
