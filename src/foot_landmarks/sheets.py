"""Every foot print on a page: two panels of a printed form (left foot / right foot), or free.

:func:`find_feet` works on a reduced copy of a normalised page (dark ink on light paper, see
foot_landmarks.normalisation) and returns one box per foot, in the pixels of the page it was
given, so that foot_landmarks.preprocessing.crop_print can process each foot on its own
sub-image (crop the page to the box, keep the crop matrix, compose it with the page's matrix:
every step stays an exact 3x3 matrix).

What is not a foot:
- long thin straight lines (a form's panel borders, ruler bars drawn beside the toes or heel):
  the thin part of the ink (what an opening with a small disk removes) that also survives an
  opening with a long horizontal or vertical line element. They are erased before the feet are
  grouped, so a border line touching two feet never merges them; :func:`erase_lines` paints
  those that touch a foot as paper on the page (the others cannot join a print);
- other thin marks (writing) vanish in the opening with the small disk; specks are too small.
A foot is a group of ink regions close together (the sole plus its toe prints, or a heel cut
off by a high arch), large compared with the largest group and long rather than round.

The configuration (hallux left or right in the image) is not decided here: crop_print reads it
from the anatomy of each foot's mask (foot_landmarks.side_detection), as for a one-foot page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import measure, morphology

from foot_landmarks import geometry as geo
from foot_landmarks.preprocessing import analysis_copy
from foot_landmarks.segmentation import PAPER, ink_threshold
from foot_landmarks.side_detection import SideEstimate, detect_side


@dataclass(frozen=True)
class SheetParams:
    """Sizes as fractions of the analysis copy's long side, so they hold at any resolution."""

    closing_frac: float = 0.005  # joins grid / dotted ink into regions
    thin_frac: float = 0.006  # radius of the disk: ink thinner than ~2x this is a line or writing
    line_length_frac: float = 0.06  # a thin straight run at least this long is a drawn line
    group_frac: float = 0.03  # ink regions this close belong to the same foot (toes, split heel)
    min_foot_frac: float = 0.01  # of the page area: smaller groups are not feet
    min_foot_share: float = 0.3  # of the largest group's area: a second foot is about as big
    min_aspect: float = 1.3  # long side / short side of a foot's box
    margin_frac: float = 0.08  # of the foot's long side: margin of its box (toes, faint rim)
    min_part_share: float = 0.05  # of the largest group: smaller groups are not part of any foot
    stack_gap_frac: float = 0.2  # a heel this close below a forefoot (columns overlap) is the same foot
    fill_range: tuple[float, float] = (0.2, 0.9)  # foot area / its box area
    faint_min_height_share: float = 0.6  # a faint foot found in pass 2: height vs the feet found
    max_page_share: float = 0.7  # of the page area: a larger box is paper shading, not a foot
    max_edge_run: float = 0.5  # of the foot's long side: a longer run along the page edge is an edge shadow
    edge_band_frac: float = 0.01  # how near the page edge that run is measured
    touch_px: int = 3  # analysis px: a line this close to a foot touches it (and is erased)


@dataclass
class FootRegion:
    """One foot on the page.

    `box_xyxy`: integer box [x0, x1) x [y0, y1) in the page's pixels, with a margin, clipped to the
    page and so that it does not reach into another foot. `mask`: bool mask of this foot at analysis resolution
    (shape of the analysis copy); `to_analysis` maps page px to that mask's px.
    `side`: configuration read from the mask (print-view reading: "right" = hallux on the left).
    """

    box_xyxy: tuple[int, int, int, int]
    mask: np.ndarray
    to_analysis: geo.Matrix
    side: SideEstimate | None = None

    @property
    def centre_x(self) -> float:
        return 0.5 * (self.box_xyxy[0] + self.box_xyxy[2])


def _line_elements(length: int) -> list[np.ndarray]:
    return [np.ones((1, length), bool), np.ones((length, 1), bool)]


def line_mask(ink: np.ndarray, params: SheetParams | None = None) -> np.ndarray:
    """Long thin straight (horizontal or vertical) lines in an ink mask (analysis resolution)."""
    p = params or SheetParams()
    long_side = max(ink.shape)
    r = max(1, round(p.thin_frac * long_side))
    thin = ink & ~ndi.binary_opening(ink, morphology.disk(r))
    length = max(5, round(p.line_length_frac * long_side))
    lines = np.zeros_like(ink)
    for element in _line_elements(length):
        lines |= ndi.binary_opening(thin, element)
    return lines


def _ink(small: np.ndarray, p: SheetParams, threshold: float | None = None) -> np.ndarray:
    ink = small <= (ink_threshold(small) if threshold is None else threshold)
    radius = max(1, round(p.closing_frac * max(small.shape)))
    return ndi.binary_closing(ink, morphology.disk(radius))


@dataclass
class PageAnalysis:
    small: np.ndarray  # the analysis copy of the page
    k: int  # page px per analysis px (integer box reduction)
    ink: np.ndarray
    lines: np.ndarray  # the long thin lines that touch (or come within touch_px of) a foot
    feet: list[FootRegion]


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _candidate_groups(ink: np.ndarray, lines: np.ndarray, p: SheetParams) -> list[np.ndarray]:
    """Masks of ink groups (a sole with its toes), lines and thin marks removed, largest first.

    Groups one above the other (their columns overlap) are one foot whose heel printed apart
    from the forefoot (a high arch); feet of a sheet lie side by side.
    """
    long_side = max(ink.shape)
    r = max(1, round(p.thin_frac * long_side))
    body = ndi.binary_opening(ink & ~ndi.binary_dilation(lines, iterations=1), morphology.disk(r))
    gap = max(1, round(p.group_frac * long_side))
    labels = measure.label(ndi.binary_dilation(body, morphology.disk(gap)), connectivity=2)
    labels = np.where(body, labels, 0)
    ids, areas = np.unique(labels[labels > 0], return_counts=True)
    if ids.size == 0:
        return []
    keep = [(int(i), int(a)) for i, a in zip(ids, areas) if a >= p.min_part_share * areas.max()]
    masks = [labels == i for i, _ in keep]
    merged = True
    while merged:  # join stacked parts of one foot
        merged = False
        for a in range(len(masks)):
            for b in range(a + 1, len(masks)):
                ba, bb = _box(masks[a]), _box(masks[b])
                overlap = min(ba[2], bb[2]) - max(ba[0], bb[0])
                narrower = min(ba[2] - ba[0], bb[2] - bb[0])
                vgap = max(ba[1], bb[1]) - min(ba[3], bb[3])
                if overlap > 0.5 * narrower and vgap < p.stack_gap_frac * long_side:
                    masks[a] = masks[a] | masks.pop(b)
                    merged = True
                    break
            if merged:
                break
    split = []
    for mask in masks:
        split += _split_side_by_side(mask, p)
    return sorted(split, key=lambda m: -int(m.sum()))


def _split_side_by_side(mask: np.ndarray, p: SheetParams) -> list[np.ndarray]:
    """Two feet printed close together and joined by marks between them (the clinician's arrows,
    a double panel border): a group as wide as it is long, cut at its emptiest column when that
    column is nearly empty (only the marks cross it) and both halves are foot-shaped. Any other
    group is returned as it is."""
    x0, y0, x1, y1 = _box(mask)
    width, height = x1 - x0, y1 - y0
    if width < 0.6 * height or _is_foot_shape(mask, p):
        return [mask]
    columns = mask[:, x0:x1].sum(axis=0)
    lo, hi = int(0.3 * width), int(0.7 * width)
    cut = x0 + lo + int(np.argmin(columns[lo:hi]))
    if columns[cut - x0] > 0.2 * columns.max():  # no gap there: one wide print (a forefoot), not two
        return [mask]
    left, right = mask.copy(), mask.copy()
    left[:, cut:] = False
    right[:, :cut] = False
    halves = [h for h in (left, right) if h.any()]
    return halves if len(halves) == 2 and all(_is_foot_shape(h, p) for h in halves) else [mask]


def _is_foot_shape(mask: np.ndarray, p: SheetParams) -> bool:
    """Long, plausibly filled, not most of the page, and not lying along the page's edge (a
    scanner's edge shadow or uneven lighting on a photo gives such regions)."""
    x0, y0, x1, y1 = _box(mask)
    bw, bh = x1 - x0, y1 - y0
    fill = float(mask[y0:y1, x0:x1].mean())
    b = max(2, round(p.edge_band_frac * max(mask.shape)))
    edge_run = max(  # rows / columns in which the group comes within b px of each page edge
        int(mask[:b].any(axis=0).sum()), int(mask[-b:].any(axis=0).sum()),
        int(mask[:, :b].any(axis=1).sum()), int(mask[:, -b:].any(axis=1).sum()),
    )
    return (
        max(bw, bh) >= p.min_aspect * min(bw, bh)
        and p.fill_range[0] <= fill <= p.fill_range[1]
        and bw * bh <= p.max_page_share * mask.size
        and edge_run <= p.max_edge_run * max(bw, bh)
    )


def analyse_page(gray: np.ndarray, analysis_long_side: int = 400, params: SheetParams | None = None) -> PageAnalysis:
    """Ink, lines and feet of a normalised page (uint8, dark ink on light paper).

    Pass 1 thresholds the page (Otsu) and keeps the groups about as large as the largest. A sheet
    can hold a heavily inked foot beside a faint one, which Otsu then counts as paper: pass 2
    paints the feet found as paper, thresholds the rest again and adds a group only if it looks
    like a foot of the same size (long, plausibly filled, not touching the page border).
    """
    p = params or SheetParams()
    small, k = analysis_copy(gray, analysis_long_side)
    to_analysis = geo.compose(geo.translation(-(k - 1) / 2, -(k - 1) / 2), geo.scale_matrix(1 / k, 1 / k))
    ink = _ink(small, p)
    lines = line_mask(ink, p)
    groups = _candidate_groups(ink, lines, p)
    if not groups:
        return PageAnalysis(small, k, ink, np.zeros_like(lines), [])
    largest = float(groups[0].sum())
    masks = [
        m for m in groups
        if m.sum() >= p.min_foot_share * largest and m.sum() >= p.min_foot_frac * small.size and _is_foot_shape(m, p)
    ]
    if masks:
        rest = small.copy()
        found = np.zeros(small.shape, bool)
        for m in masks:
            x0, y0, x1, y1 = _box(m)
            pad = round(p.margin_frac * max(x1 - x0, y1 - y0))
            found[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad] = True
        rest[found] = np.uint8(np.median(small[~found])) if (~found).any() else PAPER
        if int(rest.max()) - int(rest.min()) >= 20:
            ink2 = _ink(rest, p, ink_threshold(rest[~found]))
            lines2 = line_mask(ink2, p)
            biggest = max(float(m.sum()) for m in masks)
            height = max(_box(m)[3] - _box(m)[1] for m in masks)
            for m in _candidate_groups(ink2, lines2, p):
                x0, y0, x1, y1 = _box(m)
                if (
                    m.sum() >= p.min_foot_share * biggest
                    and y1 - y0 >= p.faint_min_height_share * height
                    and x0 > 0 and y0 > 0 and x1 < small.shape[1] and y1 < small.shape[0]
                    and _is_foot_shape(m, p)
                ):
                    masks.append(m)
                    ink |= ink2 & m
                    lines |= lines2
    feet = []
    near = ndi.binary_dilation(np.any(masks, axis=0), iterations=p.touch_px) if masks else np.zeros_like(ink)
    labels = measure.label(lines, connectivity=2)
    touching = np.unique(labels[near & (labels > 0)])
    lines = np.isin(labels, touching) & (labels > 0)
    boxes = [_box(m) for m in masks]
    for box, mask in zip(boxes, masks):
        x0, y0, x1, y1 = box
        pad = p.margin_frac * max(x1 - x0, y1 - y0)
        ex = [x0 - pad, y0 - pad, x1 + pad, y1 + pad]
        for other in boxes:
            if other != box:
                _keep_apart(ex, box, other)
        # clipped to the page: a crop padded with white would be brighter than a photo's paper
        # and pull the crop's ink threshold into the paper
        page_box = (
            max(0, int(np.floor(ex[0] * k))),
            max(0, int(np.floor(ex[1] * k))),
            min(gray.shape[1], int(np.ceil(ex[2] * k))),
            min(gray.shape[0], int(np.ceil(ex[3] * k))),
        )
        feet.append(FootRegion(page_box, mask, to_analysis, detect_side(mask[y0:y1, x0:x1])))
    feet.sort(key=lambda f: f.centre_x)
    return PageAnalysis(small, k, ink, lines, feet)


def _keep_apart(ex: list[float], box: tuple, other: tuple) -> None:
    """Shrink the expanded box `ex` of the foot in `box` so it stops halfway to the foot in `other`."""
    if ex[2] <= other[0] or other[2] <= ex[0] or ex[3] <= other[1] or other[3] <= ex[1]:
        return  # no overlap
    if box[2] <= other[0]:
        ex[2] = min(ex[2], 0.5 * (box[2] + other[0]))
    elif other[2] <= box[0]:
        ex[0] = max(ex[0], 0.5 * (other[2] + box[0]))
    elif box[3] <= other[1]:
        ex[3] = min(ex[3], 0.5 * (box[3] + other[1]))
    elif other[3] <= box[1]:
        ex[1] = max(ex[1], 0.5 * (other[3] + box[1]))


def find_feet(gray_page: np.ndarray, analysis_long_side: int = 400, params: SheetParams | None = None) -> list[FootRegion]:
    """Every foot print on a normalised page (uint8, dark ink on light paper), left to right."""
    return analyse_page(gray_page, analysis_long_side, params).feet


def erase_lines(
    gray_page: np.ndarray, analysis: PageAnalysis, grow_px: int = 1, min_run: float = 0.5,
    params: SheetParams | None = None,
) -> np.ndarray:
    """The page with the analysis's long thin lines painted as paper (geometry unchanged).

    Each line found at analysis resolution is refined on the page: for a vertical line, the
    columns of its (grown) band that are ink along at least `min_run` of its length; for a
    horizontal one, such rows. So a print touching a border line loses only the line's own
    columns, not a band as wide as an analysis pixel. The rest of the line mask (a slanted ruler
    bar, line ends) is erased as the grown analysis mask.
    """
    if not analysis.lines.any():
        return gray_page
    p = params or SheetParams()
    k = analysis.k
    h, w = gray_page.shape
    out = gray_page.copy()
    dark = gray_page <= ink_threshold(analysis.small)
    length = max(5, round(p.line_length_frac * max(analysis.small.shape)))
    horizontal, vertical = (ndi.binary_opening(analysis.lines, e) for e in _line_elements(length))
    rest = analysis.lines & ~horizontal & ~vertical
    for lines, is_vertical in ((vertical, True), (horizontal, False)):
        for region in measure.regionprops(measure.label(lines, connectivity=2)):
            r0, c0, r1, c1 = region.bbox
            y0, x0 = max(0, (r0 - grow_px) * k), max(0, (c0 - grow_px) * k)
            y1, x1 = min(h, (r1 + grow_px) * k), min(w, (c1 + grow_px) * k)
            window = dark[y0:y1, x0:x1]
            if is_vertical:
                full = window.mean(axis=0) >= min_run
                out[y0:y1, x0:x1][:, full] = PAPER
            else:
                full = window.mean(axis=1) >= min_run
                out[y0:y1, x0:x1][full, :] = PAPER
    if rest.any():
        grown = ndi.binary_dilation(rest, iterations=grow_px) if grow_px > 0 else rest
        band = grown.repeat(k, axis=0).repeat(k, axis=1)[:h, :w]
        out[: band.shape[0], : band.shape[1]][band] = PAPER
    return out
