"""One scan file -> a normalised page -> the upright crop of every foot on it.

Shared by the data_processing pipeline (annotated scans) and inference (new scans), so a model
sees every look (ink on paper, an ink-mat form, a bare-sole scan seen from below, a pressure
colour map, a phone photo) prepared exactly as its training data were:

1. read: decode as displayed (EXIF orientation applied) at a reduced scale (a matrix), colour kept
   only when it may be a colour map;
2. find the feet (foot_landmarks.foot_finder, a network: what is a foot is learned, not ruled):
   each foot's region, its heel and toes (its axis at any angle) and its hallux's side (on a
   sheet with two feet side by side, where they stand decides which is left, unless the hallux
   readings already make a pair);
3. normalise the look (foot_landmarks.normalisation; intensity only): a colour map to its
   intensity; prints brighter than their surroundings (bare soles on glass) inverted; a
   photographed sheet's page found (for mm), the table around it painted as paper;
4. long thin straight lines (form borders, rules) erased, and printed ruler bars where they lie
   clear of the prints (with the part pressed on a toe or the heel);
5. per foot: the page turned so the foot stands upright (toes up), cut around its print, what lies
   outside its region and marks inside it (pen strokes, writing in the arch) painted as paper, grey
   paper (a tinted form panel, a dim photo) lifted to the generator's paper level, mirrored to
   right-foot configuration, inverted, scaled: one exact matrix from original pixels to the crop.

Nothing is rejected for its look: a foot touching the image edge, with an uncertain axis or an
uncertain side gets its crop with a warning. Only a page with no foot at all has no answer.

`view`: "print" (an ink print seen from above) or "below" (glass plate, podoscope, bare-sole
scan: the mirror of print view). The configuration that orients a crop (hallux on the left =
"right") is the foot's side in print view and its mirror in a view from below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from scipy import ndimage as ndi
from skimage import morphology

from foot_landmarks import geometry as geo
from foot_landmarks.calibration import calibrate_page, page_homography, parse_page_size
from foot_landmarks.foot_finder import FootFinder, FoundFoot
from foot_landmarks.foot_finder.decoding import foot_from_points
from foot_landmarks.foot_finder.pages import finder_gray
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.landmarks import MM_PER_INCH, mirror_side
from foot_landmarks.models.geometric import _principal_axis_up
from foot_landmarks.normalisation import is_colour_map, normalise_page
from foot_landmarks.preprocessing import ProcessedPrint, analysis_copy
from foot_landmarks.segmentation import PAPER, ink_threshold
from foot_landmarks.form_lines import LineAnalysis, bar_mask, erase_lines, line_mask, page_ink

VIEWS = ("print", "below")
COLOUR_MAP_PAD = 0.05  # of the long side: background added around a colour-map rendering
REGION_KEEP_GROW = 0.03  # of the foot's length: what lies farther outside its region is not its print
LOOSE_MARGIN = 0.1  # of the foot's length: the first, loose upright cut around the region
MIN_INK_SHARE = 0.002  # of the loose cut: smaller ink specks do not extend the print's box
STROKE_HALF_WIDTH = 0.005  # of the foot's length (~1.3 mm): thinner marks are strokes, not print
MIN_PART_SHARE = 0.03  # of the print's largest part: a smaller island behind the toes is a mark
TOE_ZONE = 0.35  # of the foot's length from its distal end: where toe prints lie
TOES_DEEP = 0.2  # of the region's length: a toe response this far inside it missed toes printed apart
TOE_SEARCH = 0.4  # of the region's length: how much farther around it such a print is looked for
TOE_HEIGHT = 0.15  # of the region's length: the tallest blob taken for a toe
TOE_GAP = 0.06  # of the region's length: the widest gap between a toe and the print or the next toe
BODY_INSIDE = 0.5  # of an ink body's area: one its region holds this much of is the foot's print
HEEL_DEPTH = 0.12  # of a mended print's length: its heel centre ahead of its back end (foot_finder.targets)
TOES_DEPTH = 0.05  # of a mended print's length: its toes' centre behind its front end
MEND_LONG_SIDE = 800  # px: the longest side of the copy a foot's outline is remade on
END_SHARE = 0.3  # of a print's length: the end whose width is compared
WIDER_END = 1.15  # a print's end this much wider than the other is its forefoot
OTHER_FOOT_SHARE = 0.1  # of another foot's region: a mended region holding more of it holds two feet
PRINT_CLOSING = 0.012  # of the foot's length (~3 mm): joins a pale grid's or dots' cells into one body
TEXTURED_SHARE = 0.5  # of a print's ink thinner than a stroke: its ink is a grid or dots, not solid
# of a print's core: thin straight lines covering more of it are the print's own threads (a grid
# mat printing one way, or a grid whose reduced copy dropped every other thread), not a form's
# lines (on the clean-room flatbed decision draws 11-16 the five grid prints read as threads hold
# 4-23 %, no print of another ink over 0.5 %; on the real sheets none reaches 2 %). 1 % was tried
# (a sixth grid print at 1.3 % got its heel back) and lost a never-seen grid foot at 1.3 % (its
# toes 15-30 mm off): benchmarks/RESULTS.md.
MESH_SHARE = 0.02
REGION_RIM = 0.02  # of the foot's length: how far a region reaches beyond its print (foot_finder.targets)
# of the foot's length inside its print's outline (the region less its rim): print, never a ruler bar
# (a bar pressed on a toe or the heel overlaps the print by a few mm)
PRINT_CORE_DEPTH = 0.05
# The paper around a print, as the network sees it: a little under the generator's median paper
# (239 over its crops; a quarter lie under 231) and black (255 - 235) once inverted. Darker paper
# (a tinted form panel, a dim photo) is lifted to it.
PAPER_LEVEL = 235
# the finder's hallux-side contrast from which a detected side is trusted: on its held-out
# generated pages (turned at random) its configuration was right for 98 % of the feet at 0.2-0.35,
# 100 % above, 91 % at 0.1-0.2 and 72 % below 0.1
SIDE_TRUSTED = 0.2
# the warning of the two feet of a sheet whose axes point opposite ways (crop_feet)
OPPOSITE_AXES = "the sheet's two feet point opposite ways: one is read upside down, check both"
# How much more upright (configuration_score, inference) a foot of such a pair must look turned
# round, and the other as read: on 40 generated two-foot forms, one foot read upside down at random,
# the network chose right on all, the foot upside down gaining 0.31 or more and the other losing
# 0.33 or more; half of that. On outside pages of an unseen look the gains are mostly under 0.1
# (as good as a guess), so those pages stay as read, flagged.
UPRIGHT_MARGIN = 0.15
# Two feet of a sheet stand side by side when their axes are at most this far apart (deg), the
# line between them runs more across their axes than along them, and the shorter is at least this
# share of the longer (a subject's feet differ by a few %; a shadow or a table edge taken for a
# foot beside the print is rarely as long) (placed_configurations)
PAIR_AXES_DEG = 45.0
PAIR_LENGTH_RATIO = 0.8
PLACED = "placement on the sheet"
# Two readings of the finder whose widths overlap by this share of the narrower one, across their
# regions' mean principal axis, and whose heel-toe axes point within READ_TWICE_AXES_DEG of one
# way, are one foot read twice: a sheet's two feet stand side by side, apart across that axis,
# while one print read as a forefoot and a heel, or as toes and a sole, lies along it. A reading
# across a foot (a table edge or a shadow through it) is no second reading of it, and two readings
# pointing opposite ways are a pair one of which is upside down (_turn_one_of_two). Looked at on
# clean-room decision pages: side-by-side pairs overlap by at most 0.29 of a width.
ONE_FOOT_ABREAST = 0.5
READ_TWICE_AXES_DEG = 30.0
READ_TWICE = "the page network read one foot as two: the two readings were joined; check the whole foot"
OPPOSITE_AXES_SETTLED = ("the sheet's two feet were read pointing opposite ways: the one the landmark network "
                         "finds upright only turned round was turned; check both")


def configuration(side: str | None, view: str | None) -> str | None:
    """The print-view configuration of a foot of `side` seen in `view` (None: print view)."""
    if view not in (None, "", *VIEWS):
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    return mirror_side(side) if view == "below" else side


@dataclass
class Page:
    """`gray`: dark ink on light paper, uint8; `to_work`: original px -> `gray` px; `kind` and
    `steps` say how the look was normalised (for reports); `feet`: the feet found, in `gray` px."""

    gray: np.ndarray
    to_work: geo.Matrix
    kind: str
    steps: list[str] = field(default_factory=list)
    page_corners: np.ndarray | None = None  # a photographed sheet's corners in `gray` px
    feet: list[FoundFoot] = field(default_factory=list)


@dataclass(frozen=True)
class CropSettings:
    crop_height: int = 666
    margin: float = 0.04
    analysis_long_side: int = 400


def _print_is_bright(gray: np.ndarray, feet: list[FoundFoot]) -> bool | None:
    """Whether the feet's prints are brighter than what surrounds them (skin on glass) or darker
    (ink), by a vote of the feet on the finder's grid: a print is what departs most from the
    paper (or plate) around it, the ring's median: the region's darkest tenth falls further
    below it on an ink print, its brightest tenth rises further above it on a bare sole (medians
    and percentiles, so form lines in the ring or a pale print do not tip it). None without feet."""
    votes = []
    for foot in feet:
        region = foot.region
        ring = ndi.binary_dilation(region, iterations=4) & ~ndi.binary_dilation(region, iterations=1)
        if not ring.any() or not region.any():
            continue
        rows, cols = np.nonzero(region | ring)
        on_page = geo.apply_to_points(geo.invert(foot.to_map), np.stack([cols, rows], axis=1).astype(float))
        x = np.clip(np.rint(on_page[:, 0]).astype(int), 0, gray.shape[1] - 1)
        y = np.clip(np.rint(on_page[:, 1]).astype(int), 0, gray.shape[0] - 1)
        values = np.zeros(region.shape)
        values[rows, cols] = gray[y, x]
        around = np.median(values[ring])
        darker, brighter = around - np.percentile(values[region], 10), np.percentile(values[region], 90) - around
        votes.append(brighter > darker)
    return None if not votes else bool(np.mean(votes) > 0.5)


def read_page(
    scan: ScanImage, reduce: int = 1, finder: FootFinder | None = None, print_is_bright: bool | None = None
) -> Page:
    """Decode `scan` shrunk by `reduce`, find its feet (with a `finder`) and normalise its look
    (raises OSError etc. on a broken file). `print_is_bright`: the polarity already decided for
    this scan (a second, finer read of it), else decided from the feet found."""
    image, to_work = scan.read(reduce, keep_colour=True)
    if image.ndim == 3 and not is_colour_map(image):
        image, to_work = scan.read(reduce)  # a colour photo or scan of ink: plain luma gray
    raw = finder_gray(image)
    feet = finder.find(raw) if finder is not None else []
    anchors = np.concatenate([np.stack([f.heel, f.toes]) for f in feet]) if feet else None
    if print_is_bright is None:
        print_is_bright = _print_is_bright(raw, feet)
    normalised = normalise_page(image, print_is_bright=print_is_bright, must_hold=anchors)
    gray = normalised.gray
    if normalised.kind == "colour map":
        # A colour-map rendering is cut to the sensor's area, so its print may reach the frame.
        # Its background is known to be "no contact": pad with it (a translation, exact).
        pad = max(2, round(COLOUR_MAP_PAD * max(gray.shape)))
        h, w = gray.shape
        gray, to_padded = geo.crop_with_matrix(gray, (-pad, -pad, w + pad, h + pad), fill=PAPER)
        to_work = geo.compose(to_work, to_padded)
        feet = [f.moved(to_padded) for f in feet]
    corners = normalised.page_corners
    if corners is not None:
        # a photographed sheet: keep the page's box only (a crop, exact)
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
        h, w = gray.shape
        gray, to_page = geo.crop_with_matrix(gray, (max(0, x0), max(0, y0), min(w, x1), min(h, y1)), fill=PAPER)
        to_work = geo.compose(to_work, to_page)
        corners = geo.apply_to_points(to_page, corners)
        feet = [f.moved(to_page) for f in feet]
    return Page(gray, to_work, normalised.kind, list(normalised.steps), corners, feet)


def without_lines(gray: np.ndarray, analysis_long_side: int = 400, feet: list[FoundFoot] = ()) -> np.ndarray:
    """The page with its long thin straight lines (form borders, rules) and ruler bars painted
    as paper, found on a copy about `analysis_long_side` px big (foot_landmarks.form_lines). Bars
    are looked for only on a page whose `feet` are known, and never inside their prints; where a
    foot's print is itself made of such lines (a mat's threads, MESH_SHARE), neither lines nor
    bars are taken from its region."""
    small, k = analysis_copy(gray, analysis_long_side)
    ink = page_ink(small)
    lines = line_mask(ink)
    if feet:  # where the prints lie is known: a solid band across one is not taken for a bar
        regions = _regions_and_cores(feet, small.shape, k)
        meshes = [region for region, core in regions if (lines & core).sum() > MESH_SHARE * core.sum()]
        for region in meshes:
            lines &= ~region
        # nor a mesh print's rim: its last threads, with their ends, read as a bar on the copy
        lines |= bar_mask(small, ink, clear_of=np.any([core for _, core in regions] + meshes, axis=0))
    return erase_lines(gray, LineAnalysis(small, k, lines)) if lines.any() else gray


def _regions_and_cores(feet: list[FoundFoot], shape_hw: tuple[int, int], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each foot's region and where its print lies well inside it (PRINT_CORE_DEPTH), on a copy of
    the page reduced `k` times."""
    masks = []
    for foot in feet:
        depth = (REGION_RIM + PRINT_CORE_DEPTH) * float(np.linalg.norm(foot.toes - foot.heel)) / _grid_cell_px(foot)
        inside = ndi.distance_transform_edt(np.pad(foot.region, 1))[1:-1, 1:-1] > depth
        grid_to_copy = geo.compose(geo.invert(foot.to_map), geo.scale_matrix(1 / k, 1 / k))
        region, core = (geo.warp_with_matrix(m.astype(np.uint8) * 255, grid_to_copy, shape_hw)[0] > 127
                        for m in (foot.region, inside))
        masks.append((region, core))
    return masks


def detail_page(page: Page, analysis_long_side: int = 400) -> Page:
    """A page read at scan resolution (read_page with reduce 1), ready for the print refinement's
    second stage (foot_landmarks.refinement): its long thin lines erased, and its ruler bars where
    its feet are known; the rest of the ink is kept (the refinement takes the print part nearest
    each point)."""
    return Page(without_lines(page.gray, analysis_long_side, page.feet), page.to_work, page.kind, list(page.steps),
                page.page_corners, page.feet)


def at_scan_resolution(scan: ScanImage, page: Page, reduce: int) -> Page:
    """`page` (`scan` read shrunk by `reduce`) read again at the scan's full resolution, with the
    feet found on it carried over (where its ruler bars and mesh prints lie, for detail_page);
    `page` itself where it already is."""
    if reduce == 1:
        return page
    full = read_page(scan, 1, print_is_bright=page.kind == "bright on dark")
    return replace(full, feet=[f.moved(geo.compose(geo.invert(page.to_work), full.to_work)) for f in page.feet])


def read_detail_page(scan: ScanImage, print_is_bright: bool | None, analysis_long_side: int = 400) -> Page:
    """`scan` read and normalised at scan resolution (with the polarity its first read decided),
    then detail_page (no feet are looked for)."""
    return detail_page(read_page(scan, 1, print_is_bright=print_is_bright), analysis_long_side)


def upright_frame(foot: FoundFoot) -> geo.Matrix:
    """Page px -> a frame centred on the foot's region with its axis pointing up (toes up)."""
    axis = foot.axis
    turn = -90.0 - np.degrees(np.arctan2(axis[1], axis[0]))  # the axis onto (0, -1)
    centre = foot.region_points().mean(axis=0)
    return geo.compose(geo.translation(-centre[0], -centre[1]), geo.rotation(turn, (0.0, 0.0)))


def _grid_cell_px(foot: FoundFoot) -> float:
    """Page px per px of the finder's grid."""
    return float(np.sqrt(abs(np.linalg.det(geo.invert(foot.to_map)[:2, :2]))))


def _region_in(foot: FoundFoot, page_to_image: geo.Matrix, shape_hw: tuple[int, int], grow_px: float) -> np.ndarray:
    """The foot's region (finder grid) grown by `grow_px` page px and resampled into an image whose
    px are `page_to_image` @ page px (grown on the coarse grid: a disk of ~40 page px is costly)."""
    distance = ndi.distance_transform_edt(~foot.region) * _grid_cell_px(foot)
    grid_to_image = geo.compose(geo.invert(foot.to_map), page_to_image)
    grown = (np.clip(grow_px - distance, -1.0, 1.0) * 127.5 + 127.5).astype(np.uint8)  # soft edge
    region, _ = geo.warp_with_matrix(grown, grid_to_image, shape_hw)
    return region > 127


class LooseCut(NamedTuple):
    """A foot's page cut upright (toes up) around its region with a margin: `gray`, the region
    grown by REGION_KEEP_GROW (`keep`), page px -> cut px (`to_cut`), the region's box in cut px
    (x0, y0, x1, y1) and its length in page px."""

    gray: np.ndarray
    keep: np.ndarray
    to_cut: geo.Matrix
    region_box: tuple[float, float, float, float]
    length: float


def loose_cut(gray: np.ndarray, foot: FoundFoot, margin: float, long_side: int | None = None) -> LooseCut:
    """The foot cut upright with `margin` of its region's length on every side, read at
    `long_side` px at most (None: at page scale)."""
    to_up = upright_frame(foot)
    region_up = geo.apply_to_points(to_up, foot.region_points())
    (x0, y0), (x1, y1) = region_up.min(axis=0), region_up.max(axis=0)
    length = y1 - y0
    pad = margin * length
    box = np.floor([x0 - pad, y0 - pad]).astype(int), np.ceil([x1 + pad, y1 + pad]).astype(int)
    to_cut = geo.compose(to_up, geo.translation(-box[0][0], -box[0][1]))
    cut_hw = (int(box[1][1] - box[0][1]), int(box[1][0] - box[0][0]))
    scale = 1.0 if long_side is None else min(1.0, long_side / float(max(cut_hw)))
    if scale < 1.0:
        to_cut = geo.compose(to_cut, geo.scale_matrix(scale, scale))
        cut_hw = (int(np.ceil(scale * cut_hw[0])), int(np.ceil(scale * cut_hw[1])))
    cut, _ = geo.warp_with_matrix(gray, to_cut, cut_hw, fill=PAPER)
    keep = _region_in(foot, to_cut, cut_hw, REGION_KEEP_GROW * length)  # grown in page px
    region_box = tuple(float(v) for v in scale * (np.array([x0, y0, x1, y1]) - np.tile(box[0], 2)))
    return LooseCut(cut, keep, to_cut, region_box, float(length))


def closed_by_disk(mask: np.ndarray, radius: float) -> np.ndarray:
    """`mask` closed with a disk of `radius` px (at least 1), by distance transforms: as fast for a
    wide disk as for a narrow one. The image's edge does not erode what touches it."""
    if not mask.any() or mask.all():
        return mask.copy()
    radius = max(1.0, float(round(radius)))
    grown = ndi.distance_transform_edt(~mask) <= radius
    return ndi.distance_transform_edt(grown) > radius


def print_beyond_region(gray: np.ndarray, keep: np.ndarray, length: float) -> np.ndarray:
    """The foot's print where its region (`keep`) missed part of it (toes up): the ink bodies the
    region mostly holds, whole, and the toe prints apart from them: blobs no taller than a toe
    (TOE_HEIGHT of the `length`), within the print's width, whose top lies ahead of the print's
    middle, each at most TOE_GAP from the print or from a toe already taken (the lesser toes
    follow one another). Ink is closed first (PRINT_CLOSING), so a grid or dots make one body."""
    paper = np.uint8(np.percentile(gray[keep], 95))
    level = ink_threshold(np.where(keep, gray, paper))
    ink = closed_by_disk(gray <= level, PRINT_CLOSING * length)
    labels, n = ndi.label(ink)
    if n == 0:
        return np.zeros_like(keep)
    ids = np.arange(1, n + 1)
    inside = ndi.sum(keep, labels, ids) / np.maximum(ndi.sum(ink, labels, ids), 1)
    body = np.isin(labels, ids[inside >= BODY_INSIDE])
    if not body.any():
        return np.zeros_like(keep)
    rows, cols = np.nonzero(body)
    middle = (rows.min() + rows.max()) / 2
    candidates = []
    for k, (r, c) in enumerate(ndi.find_objects(labels)):
        if inside[k] < BODY_INSIDE and r.stop - r.start <= TOE_HEIGHT * length and r.start < middle \
                and c.start >= cols.min() - TOE_GAP * length and c.stop <= cols.max() + TOE_GAP * length:
            candidates.append(ids[k])
    taken = body.copy()
    for _ in range(5):  # the toe beside the print, then each toe beside the last
        near = ndi.distance_transform_edt(~taken) <= TOE_GAP * length
        new = [i for i in candidates if (near & (labels == i)).any()]
        if not new:
            break
        candidates = [i for i in candidates if i not in new]
        taken |= np.isin(labels, new)
    return ndi.binary_dilation(taken, iterations=2)


def toes_missed(foot: FoundFoot) -> bool:
    """Whether the finder saw no toes at the end of the foot's region: it placed them there without
    a response, or its toe response lies deep inside the region (TOES_DEEP of its length), where
    toes printed apart from the ball were left out of it."""
    if foot.ends_guessed:
        return True
    along = geo.apply_to_points(upright_frame(foot), np.vstack([foot.region_points(), foot.toes]))[:, 1]
    return float(along[-1] - along[:-1].min()) > TOES_DEEP * float(np.ptp(along[:-1]))


def _wider_end_behind(offsets: np.ndarray, axis: np.ndarray, along: np.ndarray) -> bool:
    """Whether a print's back end (`along` lowest) is plainly wider than its front end, each the
    END_SHARE of its length: a forefoot with its toes is wider than a heel (`offsets`: its pixels
    from their mean, `axis` the unit front direction)."""
    across = offsets @ np.array([-axis[1], axis[0]])
    span = float(np.ptp(along))
    front = across[along >= along.max() - END_SHARE * span]
    back = across[along <= along.min() + END_SHARE * span]
    return float(np.ptp(back)) > WIDER_END * float(np.ptp(front))


def mended_foot(gray: np.ndarray, foot: FoundFoot, others: list[FoundFoot] = (), remake: bool = False) -> FoundFoot:
    """`foot` itself, or where the finder missed its toes (toes_missed) or `remake` says so, the
    foot with its region remade from the print's ink (print_beyond_region: the ink bodies the
    region holds and the toe prints ahead of them, convex hull) and its axis from that print's
    principal axis (pointing as the finder's did, unless it guessed an end and the print's back
    end is plainly wider). Its hallux reading, made without toes, is dropped (side confidence 0:
    both configurations are compared later), and it is marked `mended` (every point is flagged).
    `gray`: the normalised page. A remade region reaching into one of the page's `others` feet
    (two prints touching) is not used."""
    if not foot.region.any() or not (remake or toes_missed(foot)):
        return foot
    # read at MEND_LONG_SIDE px at most: an outline needs no finer grid, and it is a fraction of the cost
    cut = loose_cut(gray, foot, LOOSE_MARGIN + TOE_SEARCH, MEND_LONG_SIDE)
    if not cut.keep.any():
        return foot
    cut_length = cut.region_box[3] - cut.region_box[1]
    found = print_beyond_region(cut.gray, cut.keep, cut_length)
    if found.sum() < BODY_INSIDE * cut.keep.sum():  # no print worth the name: keep the finder's reading
        return foot
    found = morphology.convex_hull_image(found)
    rows, cols = np.nonzero(found)
    xy = np.stack([cols, rows], axis=1).astype(float)
    centre = xy.mean(axis=0)
    axis = _principal_axis_up(xy)  # toes up: y decreasing
    along = (xy - centre) @ axis
    warning = "the page network saw no toes: the foot's outline and axis were taken from its ink, check them"
    if foot.ends_guessed and _wider_end_behind(xy - centre, axis, along):
        # the finder placed one end where it saw nothing: the forefoot is the wider end
        axis, along = -axis, -along
        warning += " (turned round: its wider end taken for the forefoot)"
    heel = centre + (along.min() + HEEL_DEPTH * np.ptp(along)) * axis
    toes = centre + (along.max() - TOES_DEPTH * np.ptp(along)) * axis
    to_page = geo.invert(cut.to_cut)
    region, _ = geo.warp_with_matrix(found.astype(np.uint8) * 255, geo.compose(to_page, foot.to_map), foot.region.shape)
    region = region > 127
    for other in others:
        grid = np.rint(geo.apply_to_points(foot.to_map, other.region_points())).astype(int)
        inside = np.all((grid >= 0) & (grid < region.shape[::-1]), axis=1)
        if region[grid[inside, 1], grid[inside, 0]].sum() > OTHER_FOOT_SHARE * len(grid):
            return foot
    heel_page, toes_page = geo.apply_to_points(to_page, np.stack([heel, toes]))
    return replace(
        foot, heel=heel_page, toes=toes_page, side_confidence=0.0, region=region, ends_guessed=False, mended=True,
        warnings=[*foot.warnings, warning],
    )


def read_twice(a: FoundFoot, b: FoundFoot) -> bool:
    """Whether two feet the finder read are one foot read twice: abreast across their regions'
    mean principal axis, pointing one way (ONE_FOOT_ABREAST, READ_TWICE_AXES_DEG)."""
    pa, pb = a.region_points(), b.region_points()
    if len(pa) < 3 or len(pb) < 3 or float(a.axis @ b.axis) < np.cos(np.radians(READ_TWICE_AXES_DEG)):
        return False
    ua, ub = _principal_axis_up(pa), _principal_axis_up(pb)
    mean_axis = ua + (ub if ua @ ub >= 0 else -ub)  # a sideways foot's two "up" axes may point apart
    across = np.array([-mean_axis[1], mean_axis[0]]) / max(float(np.linalg.norm(mean_axis)), 1e-9)
    (a0, a1), (b0, b1) = ((float(v.min()), float(v.max())) for v in (pa @ across, pb @ across))
    narrower = min(a1 - a0, b1 - b0)
    return narrower > 0 and min(a1, b1) - max(a0, b0) >= ONE_FOOT_ABREAST * narrower


def joined_reading(a: FoundFoot, b: FoundFoot) -> FoundFoot:
    """Two readings of one foot (read_twice, one map grid) as one: their regions joined, pointing
    the way both point, its side unread; its outline and axis are for mended_foot to remake."""
    return replace(a, region=a.region | b.region, side_confidence=0.0)


def mended_feet(gray: np.ndarray, feet: list[FoundFoot]) -> list[FoundFoot]:
    """Each of a page's feet, mended where the finder missed its toes (mended_foot)."""
    return [mended_foot(gray, foot, [other for other in feet if other is not foot]) for foot in feet]


def upright_crop(
    gray: np.ndarray, to_work: geo.Matrix, foot: FoundFoot, config: str, settings: CropSettings
) -> ProcessedPrint:
    """One foot of a normalised page, upright, cut around its print, cleaned, in right-foot
    configuration (`config` "left" is mirrored), inverted (print bright on black) and scaled to
    the crop height; `to_crop` maps original px to the crop."""
    loose, keep, to_loose, (x0, y0, x1, y1), length = loose_cut(gray, foot, LOOSE_MARGIN)
    # what is not this foot becomes paper of the page's own tone, so the region leaves no edge
    paper = np.uint8(np.percentile(loose[keep], 95)) if keep.any() else np.uint8(PAPER)
    loose = np.where(keep, loose, paper)
    ink = (loose <= ink_threshold(loose)) & keep
    toes_end = y0 + TOE_ZONE * length  # loose-cut row: toes lie above it (toes up)
    loose, ink = _without_marks(loose, ink, length, paper, toes_end)
    loose, paper = lift_paper(loose, keep & ~ink, paper)
    ink = morphology.remove_small_objects(ink, max_size=max(1, int(MIN_INK_SHARE * ink.size)))
    # the print's box: its ink, and the region (less its grown rim), which holds toes too faint for
    # the ink level
    rim = REGION_RIM * length
    rx0, ry0, rx1, ry1 = x0 + rim, y0 + rim, x1 - rim, y1 - rim
    rows, cols = np.nonzero(ink if ink.any() else keep)
    tight = (min(cols.min(), rx0), min(rows.min(), ry0), max(cols.max() + 1, rx1), max(rows.max() + 1, ry1))
    margin = settings.margin * max(tight[2] - tight[0], tight[3] - tight[1])
    crop_box = (int(np.floor(tight[0] - margin)), int(np.floor(tight[1] - margin)),
                int(np.ceil(tight[2] + margin)), int(np.ceil(tight[3] + margin)))
    image, to_box = geo.crop_with_matrix(loose, crop_box, fill=int(paper))
    steps = [to_work, to_loose, to_box]
    if config == "left":  # to right-foot orientation; landmark ids stay (toe 1 is the hallux)
        image, flip = geo.mirror_with_matrix(image)
        steps.append(flip)
    image = 255 - image  # print bright on black, as the network sees it
    out_width = max(1, round(image.shape[1] * settings.crop_height / image.shape[0]))
    image, to_size = geo.resize_with_matrix(image, (settings.crop_height, out_width))
    steps.append(to_size)
    return ProcessedPrint(image, geo.compose(*steps), config, warnings=list(foot.warnings))


def lift_paper(gray: np.ndarray, paper_mask: np.ndarray, paper: int, level: int = PAPER_LEVEL) -> tuple[np.ndarray, np.uint8]:
    """`gray` with its paper (the median over `paper_mask`) brought up to `level` by a gain, and
    the fill tone `paper` with it. A gain keeps ink dark and the print's contrast ratio; paper
    already at or above `level` is left as it is."""
    if not paper_mask.any():
        return gray, np.uint8(paper)
    gain = level / max(float(np.median(gray[paper_mask])), 1.0)
    if gain <= 1.0:
        return gray, np.uint8(paper)
    lifted = np.clip(np.rint(gray.astype(np.float32) * gain), 0, 255).astype(np.uint8)
    return lifted, np.uint8(min(255, round(float(paper) * gain)))


def _without_marks(
    gray: np.ndarray, ink: np.ndarray, length: float, paper: int, toes_end: float
) -> tuple[np.ndarray, np.ndarray]:
    """`gray` and its `ink` with what is not print painted as paper (the region is a hull, so the
    arch's hollow is inside it, where clinicians write): thin marks (pen strokes, ticks: no part
    thicker than 2 x STROKE_HALF_WIDTH of the foot's length, a toe print is several times
    thicker) and, behind the toes (`toes_end`: the row where the distal TOE_ZONE of the foot
    ends), small islands (writing, stamps: under MIN_PART_SHARE of the print's largest body; a
    heel printed apart from its forefoot is far larger). Grid or dotted ink is closed first, so a
    print's texture is one body: a little for the strokes, more (PRINT_CLOSING of the length, on
    a half-size copy) for the islands, so a pale grid's cells do not count as islands. Where the
    print itself is such a texture (most of its ink thinner than a stroke: a coarse ink-mat grid
    that the little closing leaves open), a thin part is a stroke only if it stays thin once
    closed at the print's scale too: a toe printed as a few grid lines is a thick body then, a
    pen tick is not."""
    closed = ndi.binary_closing(ink, morphology.disk(max(1, round(0.004 * length))))
    labels, n = ndi.label(closed)
    if n == 0:
        return gray, ink
    ids = np.arange(1, n + 1)
    depth = ndi.distance_transform_edt(closed)
    half_width = ndi.maximum(depth, labels, ids)
    thin = half_width < STROKE_HALF_WIDTH * length
    if np.mean(depth[closed] < STROKE_HALF_WIDTH * length) > TEXTURED_SHARE:
        at_print_scale = closed_by_disk(ink[::2, ::2], PRINT_CLOSING * length / 2)
        body_labels, m = ndi.label(at_print_scale)
        if m:  # half-widths in full px (the copy is half size)
            body_half_width = 2 * ndi.maximum(ndi.distance_transform_edt(at_print_scale), body_labels, np.arange(1, m + 1))
            thick = np.concatenate([[False], body_half_width >= STROKE_HALF_WIDTH * length])[body_labels]
            thick = np.repeat(np.repeat(thick, 2, axis=0), 2, axis=1)[: ink.shape[0], : ink.shape[1]]
            in_thick = ndi.maximum(thick, labels, ids) > 0  # a part of a thick body somewhere
            thin &= ~in_thick
    mark = np.isin(labels, ids[thin])
    half = ink[::2, ::2] & ~mark[::2, ::2]
    bodies, m = ndi.label(closed_by_disk(half, PRINT_CLOSING * length / 2))
    if m:
        body_ids = np.arange(1, m + 1)
        area = ndi.sum(bodies > 0, bodies, body_ids)
        centre_row = 2 * np.array([c[0] for c in ndi.center_of_mass(bodies > 0, bodies, body_ids)])
        islands = np.isin(bodies, body_ids[(area < MIN_PART_SHARE * area.max()) & (centre_row > toes_end)])
        mark |= np.repeat(np.repeat(islands, 2, axis=0), 2, axis=1)[: ink.shape[0], : ink.shape[1]] & ink
    mark = ndi.binary_dilation(mark, iterations=1)
    return np.where(mark, np.uint8(paper), gray), ink & ~mark


def _side_of(foot: FoundFoot, given: str | None, view: str | None) -> tuple[str, str, float, list[str]]:
    """(configuration, side source, confidence, warnings) of a foot: the side given wins; else
    the finder's reading, flagged when its hallux-side contrast is low."""
    if given in ("left", "right"):
        return configuration(given, view), "given", 1.0, []
    warnings = []
    if foot.side_confidence < SIDE_TRUSTED:
        warnings.append(f"side uncertain (hallux-side contrast {foot.side_confidence:.2f})")
    return foot.configuration, "detected", foot.side_confidence, warnings


def placed_configurations(feet: list[FoundFoot]) -> tuple[str, str] | None:
    """The configurations of a sheet's two feet from where they stand. A subject standing on a mat
    has the medial sides of the feet facing each other, so the foot on the left, seen toes up,
    looks like a left foot in print view ("left") and the other like a right one; seen from below,
    feet and places are both mirrored and the same holds. (A form printed one foot at a time may
    put the right foot in a left panel: crop_feet keeps hallux readings that make a pair.) None
    where the two are not such a pair (axes more than PAIR_AXES_DEG apart, one more ahead of the
    other than beside it, or lengths unlike: PAIR_LENGTH_RATIO)."""
    lengths = [float(np.linalg.norm(foot.toes - foot.heel)) for foot in feet]
    if min(lengths) < PAIR_LENGTH_RATIO * max(lengths):
        return None
    a, b = (foot.axis for foot in feet)
    if float(a @ b) < np.cos(np.radians(PAIR_AXES_DEG)):
        return None
    axis = (a + b) / np.linalg.norm(a + b)
    leftward = np.array([axis[1], -axis[0]])  # image px, y down: left of an axis pointing up
    offset = 0.5 * (feet[1].heel + feet[1].toes) - 0.5 * (feet[0].heel + feet[0].toes)
    across, along = float(offset @ leftward), float(offset @ axis)
    if abs(across) <= abs(along):
        return None
    return ("right", "left") if across > 0 else ("left", "right")


def _read_as_pair(feet: list[FoundFoot]) -> bool:
    """Whether two feet's hallux readings make a left and a right, one of them at least trusted
    (SIDE_TRUSTED)."""
    return feet[0].configuration != feet[1].configuration and max(f.side_confidence for f in feet) >= SIDE_TRUSTED


def _placed_side(foot: FoundFoot, config: str) -> tuple[str, str, float, list[str]]:
    """(configuration, side source, confidence, warnings) of a foot whose configuration its place
    on the sheet gives: the finder's hallux-side contrast where its reading agrees, else 0, with a
    warning where that reading was one the page stage would have trusted."""
    if foot.configuration == config:
        return config, PLACED, foot.side_confidence, []
    warnings = []
    if foot.side_confidence >= SIDE_TRUSTED:
        warnings.append(f"side from the feet's places on the sheet (left foot on the left); the hallux reading "
                        f"(contrast {foot.side_confidence:.2f}) said the other: check it")
    return config, PLACED, 0.0, warnings


def _turn_one_of_two(gray: np.ndarray, to_work: geo.Matrix, feet: list[FoundFoot], settings: CropSettings,
                     upright_score) -> list[FoundFoot] | None:
    """Of two feet of a sheet read pointing opposite ways, the pair with the one read upside down
    turned round, or None where the network does not say which. Each foot is cropped both ways
    and rated by `upright_score` (each crop in its better configuration, so that the side does
    not decide the axis): one foot must look more upright turned round, and the other as read,
    each by UPRIGHT_MARGIN at least (where one foot was split in two, a heel printed apart, the
    two ends do not answer so)."""
    turned = [foot.reversed() for foot in feet]
    crops = [upright_crop(gray, to_work, foot, "right", settings).crop for foot in [*feet, *turned]]
    scores = np.asarray(upright_score(crops + [c[:, ::-1] for c in crops]), float)
    as_read, reversed_ = np.maximum(scores[:4], scores[4:]).reshape(2, 2)
    gain = reversed_ - as_read  # per foot: how much more upright it looks turned round
    k = int(np.argmax(gain))
    if gain[k] < UPRIGHT_MARGIN or gain[1 - k] > -UPRIGHT_MARGIN:
        return None
    return [turned[i] if i == k else feet[i] for i in range(2)]


def crop_feet(
    page: Page, settings: CropSettings, side: str | None = None, view: str | None = None, upright_score=None
) -> tuple[list[tuple[str, ProcessedPrint]], list[str]]:
    """The upright crop of every foot found on `page`, each with its `foot` label (the anatomical
    side: the configuration, mirrored for a view from below; "" when the page holds one foot),
    and the problems of a page without feet. `side` (a one-foot page's known side) wins over the
    detected configuration; a sheet's two feet side by side take theirs from where they stand
    (placed_configurations) unless their hallux readings make a pair, one of them sure.
    `upright_score` (crops -> a score each, higher where a crop looks more like an upright foot)
    settles which of a sheet's two feet read pointing opposite ways is upside down; without it,
    both are only flagged. Two readings of one foot (read_twice) are joined into one, every point
    flagged."""
    if not page.feet:
        return [], ["no foot print found on the page"]
    gray = without_lines(page.gray, settings.analysis_long_side, page.feet)
    twice = len(page.feet) == 2 and read_twice(*page.feet)
    if twice:  # one reading of both, its outline and axis remade from the ink
        joined = mended_foot(gray, joined_reading(*page.feet), remake=True)
        page = replace(page, feet=[replace(joined, warnings=[*joined.warnings, READ_TWICE])])
    page = replace(page, feet=mended_feet(gray, page.feet))
    # Two feet on one sheet stand side by side, toes the same way: axes more than a right angle
    # apart mean that one foot is read upside down, and the page alone does not say which.
    opposite = len(page.feet) == 2 and float(page.feet[0].axis @ page.feet[1].axis) < 0
    turned = None
    if opposite and upright_score is not None:
        turned = _turn_one_of_two(gray, page.to_work, list(page.feet), settings, upright_score)
    settled = turned is not None
    found_feet = turned if settled else list(page.feet)
    given = side if side in ("left", "right") and len(page.feet) == 1 else None
    # two feet side by side pointing one way: where they stand says which is which, unless the
    # hallux readings make a pair, one of them sure (a form whose panels put the right foot on the
    # left); a pair still pointing opposite ways (not turned round) is no such pair
    placed = placed_configurations(found_feet) if len(found_feet) == 2 else None
    if placed is not None and not _read_as_pair(found_feet):
        sides = [_placed_side(found, config) for found, config in zip(found_feet, placed)]
    else:
        sides = [_side_of(found, given, view) for found in found_feet]
    if len(sides) == 2 and sides[0][0] == sides[1][0] and given is None:
        # two feet on one sheet are a subject's left and right: the less sure reading gives way
        k = int(np.argmin([confidence for _, _, confidence, _ in sides]))
        config, source, confidence, warnings = sides[k]
        sides[k] = (mirror_side(config), source, confidence,
                    [*warnings, "side taken as the other foot of the sheet's pair: check it"])
    feet = []
    for found, (config, source, confidence, warnings) in zip(found_feet, sides):
        processed = upright_crop(gray, page.to_work, found, config, settings)
        processed.side_source, processed.side_confidence = source, confidence
        processed.warnings += warnings
        processed.axis_guessed, processed.cut_by_edge = found.ends_guessed, found.cut_by_edge
        processed.outline_mended = found.mended
        if twice or opposite:
            processed.axis_unsure = True
        if opposite:
            processed.warnings.append(OPPOSITE_AXES_SETTLED if settled else OPPOSITE_AXES)
        label = "" if len(page.feet) == 1 else (mirror_side(config) if view == "below" else config)
        feet.append((label, processed))
    return feet, []


def _holding(feet: list[FoundFoot], points: np.ndarray) -> int | None:
    """Index of the found foot whose region holds most of `points` (page px), when it holds half."""
    counts = []
    for foot in feet:
        grid = np.rint(geo.apply_to_points(foot.to_map, points)).astype(int)
        h, w = foot.region.shape
        inside = (grid[:, 0] >= 0) & (grid[:, 0] < w) & (grid[:, 1] >= 0) & (grid[:, 1] < h)
        grown = ndi.binary_dilation(foot.region, iterations=2)
        counts.append(int(grown[grid[inside, 1], grid[inside, 0]].sum()))
    if not counts or max(counts) < len(points) // 2:
        return None
    return int(np.argmax(counts))


def _holds_points(processed: ProcessedPrint, points: np.ndarray, tolerance: float = 0.02) -> bool:
    """Whether a crop holds all of a foot's points (original px), within `tolerance` of its height."""
    xy = geo.apply_to_points(processed.to_crop, points)
    h, w = processed.crop.shape
    pad = tolerance * h
    return bool(((xy >= -pad) & (xy <= np.array([w - 1, h - 1]) + pad)).all())


def crop_annotated_feet(
    page: Page, settings: CropSettings, feet: dict[str, tuple[np.ndarray, str]], view: str | None = None
) -> dict[str, ProcessedPrint]:
    """Training data: the crop of each annotated foot, keyed like `feet`.

    `feet`: foot label ("" on a one-foot file, else "left"/"right") -> (its points in original
    px (8, 2), its side). Each takes the found foot whose region holds most of its points, its
    configuration from the annotation (side and view); a foot the finder missed, or whose crop
    would lose some of its points, is placed from its points (and says so in its warnings), so
    no annotated foot is lost to the finder.
    """
    gray = without_lines(page.gray, settings.analysis_long_side, page.feet)
    page = replace(page, feet=mended_feet(gray, page.feet))
    grid_px = max(page.gray.shape) / 128.0
    out: dict[str, ProcessedPrint] = {}
    taken: set[int] = set()
    for label, (points, side) in feet.items():
        work = geo.apply_to_points(page.to_work, np.asarray(points, float))
        config = configuration(side, view)
        index = _holding(page.feet, work)
        processed = None
        if index is not None and index not in taken:
            taken.add(index)
            processed = upright_crop(gray, page.to_work, page.feet[index], config, settings)
            if not _holds_points(processed, np.asarray(points, float)):
                processed = None  # the finder's region lost part of this foot
        if processed is None:
            processed = upright_crop(gray, page.to_work, foot_from_points(work, config, grid_px), config, settings)
        processed.side_source = "annotation"
        out[label] = processed
    return out


def page_scale(page: Page, dpi: float | None, page_size: str | None) -> tuple[np.ndarray, str]:
    """Original px -> mm of a scan (3x3) and where it came from: the dpi when known; else, with a
    `page_size` ("a4", "letter", "210x297"), page calibration (the sheet's corners found on the
    photo -> homography to the page in mm); else none (nan matrix: errors in px only)."""
    if dpi is not None and np.isfinite(dpi) and dpi > 0:
        return geo.scale_matrix(MM_PER_INCH / dpi, MM_PER_INCH / dpi), f"dpi {dpi:g}"
    if not page_size:
        return np.full((3, 3), np.nan), "none (no dpi, no page size for calibration)"
    if page.page_corners is not None:  # found when the look was normalised
        homography = page_homography(page.page_corners, parse_page_size(page_size))
    else:
        calibration = calibrate_page(page.gray, page_size)
        if calibration.homography is None:
            return np.full((3, 3), np.nan), f"none (page calibration failed: {calibration.problem})"
        homography = calibration.homography
    return geo.compose(page.to_work, homography), f"page calibration ({page_size})"
