"""One scan file -> a normalised page -> the processed crop of every foot on it.

Shared by the data_processing pipeline (annotated scans) and inference (new scans), so a model
sees every look (ink on paper, an ink-mat form, a bare-sole scan seen from below, a pressure
colour map) prepared exactly as its training data were:

1. read: decode at a reduced scale (a matrix), colour kept only when it may be a colour map;
2. normalise: any look -> dark ink on light paper (foot_landmarks.normalisation; intensity only),
   a colour map padded with its "no contact" background so its print never touches the frame;
3. find the feet (foot_landmarks.sheets), erase form borders and ruler lines touching them;
4. per foot: cut its box (a matrix) and crop_print (foot_landmarks.preprocessing).

`view`: "print" (an ink print seen from above) or "below" (glass plate, podoscope, bare-sole
scan: the mirror of print view). The configuration that orients a crop (hallux on the left =
"right") is the foot's side in print view and its mirror in a view from below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from foot_landmarks import geometry as geo
from foot_landmarks.calibration import calibrate_page, page_homography, parse_page_size
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.landmarks import MM_PER_INCH, mirror_side
from foot_landmarks.normalisation import is_colour_map, normalise_page
from foot_landmarks.preprocessing import ProcessedPrint, crop_print
from foot_landmarks.segmentation import PAPER, SegmentationParams
from foot_landmarks.sheets import analyse_page, erase_lines

VIEWS = ("print", "below")
COLOUR_MAP_PAD = 0.05  # of the long side: background added around a colour-map rendering


def configuration(side: str | None, view: str | None) -> str | None:
    """The print-view configuration of a foot of `side` seen in `view` (None: print view)."""
    if view not in (None, "", *VIEWS):
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    return mirror_side(side) if view == "below" else side


@dataclass
class Page:
    """`gray`: dark ink on light paper, uint8; `to_work`: original px -> `gray` px; `kind` and
    `steps` say how the look was normalised (for reports)."""

    gray: np.ndarray
    to_work: geo.Matrix
    kind: str
    steps: list[str] = field(default_factory=list)
    page_corners: np.ndarray | None = None  # a photographed sheet's corners in `gray` px


@dataclass(frozen=True)
class CropSettings:
    crop_height: int = 666
    margin: float = 0.04
    analysis_long_side: int = 400
    segmentation: SegmentationParams | None = None


def read_page(scan: ScanImage, reduce: int = 1) -> Page:
    """Decode `scan` shrunk by `reduce` and normalise its look (raises OSError etc. on a broken file)."""
    page, to_work = scan.read(reduce, keep_colour=True)
    if page.ndim == 3 and not is_colour_map(page):
        page, to_work = scan.read(reduce)  # a colour photo or scan of ink: plain luma gray
    normalised = normalise_page(page)
    gray = normalised.gray
    if normalised.kind == "colour map":
        # A colour-map rendering is cut to the sensor's area, so its print may reach the frame
        # (the crop's edge test would call that a cut print). Its background is known to be
        # "no contact": pad with it (a translation, exact).
        pad = max(2, round(COLOUR_MAP_PAD * max(gray.shape)))
        h, w = gray.shape
        gray, to_padded = geo.crop_with_matrix(gray, (-pad, -pad, w + pad, h + pad), fill=PAPER)
        to_work = geo.compose(to_work, to_padded)
    corners = normalised.page_corners
    if corners is not None:
        # a photographed sheet: keep the page's box only (a crop, exact), so the page analysis
        # sees the sheet at the resolution a scan of it would have
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
        h, w = gray.shape
        gray, to_page = geo.crop_with_matrix(gray, (max(0, x0), max(0, y0), min(w, x1), min(h, y1)), fill=PAPER)
        to_work = geo.compose(to_work, to_page)
        corners = geo.apply_to_points(to_page, corners)
    return Page(gray, to_work, normalised.kind, list(normalised.steps), corners)


def detail_page(page: Page, analysis_long_side: int = 400) -> Page:
    """A page read at scan resolution (read_page with reduce 1), ready for the print refinement's
    second stage (foot_landmarks.refinement): its form borders and ruler lines erased; the rest of
    the ink is kept (the refinement takes the print part nearest each point, and the crop's
    cleaning, made on a small copy, would cut faint toe rims off)."""
    gray = erase_lines(page.gray, analyse_page(page.gray, analysis_long_side))
    return Page(gray, page.to_work, page.kind, list(page.steps), page.page_corners)


def read_detail_page(scan: ScanImage, analysis_long_side: int = 400) -> Page:
    """`scan` read and normalised at scan resolution as for the crops, then detail_page."""
    return detail_page(read_page(scan, 1), analysis_long_side)


def _crop(gray: np.ndarray, to_work: geo.Matrix, config: str | None, settings: CropSettings) -> ProcessedPrint:
    return crop_print(
        gray, to_work, config, settings.crop_height, settings.margin, settings.analysis_long_side, settings.segmentation
    )


def _crop_box(
    cleaned: np.ndarray, page: Page, box: tuple[int, int, int, int], config: str | None, settings: CropSettings
) -> ProcessedPrint:
    """One foot of a sheet: its box cut from the cleaned page (a crop matrix composed with the
    page's), then crop_print."""
    sub, to_sub = geo.crop_with_matrix(cleaned, box, fill=PAPER)
    return _crop(sub, geo.compose(page.to_work, to_sub), config, settings)


def crop_feet(
    page: Page, settings: CropSettings, side: str | None = None, view: str | None = None
) -> tuple[list[tuple[str, ProcessedPrint]], list[str]]:
    """The processed crop of every foot on `page`, each with its `foot` label (the anatomical
    side: the configuration, mirrored for a view from below; "" when the page holds one foot),
    and the problems of the feet left out.

    One foot: crop_print on the whole page with `side` when given. Several: each foot's box is
    cut out and crop_print reads its configuration from its own mask's anatomy.
    """
    analysis = analyse_page(page.gray, settings.analysis_long_side)
    cleaned = erase_lines(page.gray, analysis)  # unchanged when the page has no long thin lines
    side = side if side in ("left", "right") else None
    if len(analysis.feet) < 2:
        processed = _crop(cleaned, page.to_work, configuration(side, view), settings)
        return ([], [processed.problem]) if processed.problem else ([("", processed)], [])
    feet: list[tuple[str, ProcessedPrint]] = []
    problems: list[str] = []
    for region in analysis.feet:
        processed = _crop_box(cleaned, page, region.box_xyxy, None, settings)
        if processed.problem and region.side is not None and region.side.side is not None:
            # configuration unreadable on the crop's own mask: the sheet-level mask's reading
            processed = _crop_box(cleaned, page, region.box_xyxy, region.side.side, settings)
            processed.side_source = "detected (sheet)"
        if processed.problem:
            problems.append(f"foot in box {region.box_xyxy}: {processed.problem}")
        else:
            feet.append((mirror_side(processed.side) if view == "below" else processed.side, processed))
    if not feet:
        problems.insert(0, f"{len(analysis.feet)} feet found, none usable")
    return feet, problems


def crop_annotated_feet(
    page: Page, settings: CropSettings, feet: dict[str, tuple[np.ndarray, str]], view: str | None = None
) -> dict[str, ProcessedPrint]:
    """Training data: the crop of each annotated foot, keyed like `feet`.

    `feet`: foot label ("" on a one-foot file, else "left"/"right") -> (its points in original
    px (8, 2), its side). On a one-foot file the whole page is cropped, as crop_feet does. On a
    sheet, each annotated foot takes the found foot box that holds most of its points; the
    configuration comes from the annotation (side and view), not from the anatomy.
    """
    analysis = analyse_page(page.gray, settings.analysis_long_side)
    cleaned = erase_lines(page.gray, analysis)
    if set(feet) == {""}:
        _, side = feet[""]
        return {"": _crop(cleaned, page.to_work, configuration(side, view), settings)}
    out: dict[str, ProcessedPrint] = {}
    taken: dict[int, str] = {}
    for label, (points, side) in feet.items():
        work = geo.apply_to_points(page.to_work, np.asarray(points, float))
        inside = [
            int(((work[:, 0] >= x0) & (work[:, 0] < x1) & (work[:, 1] >= y0) & (work[:, 1] < y1)).sum())
            for x0, y0, x1, y1 in (region.box_xyxy for region in analysis.feet)
        ]
        if not inside or max(inside) < len(work) // 2:
            found = f"{len(analysis.feet)} foot box(es) found"
            out[label] = ProcessedPrint(None, None, f"{label} foot: no foot print found around its points ({found})")
            continue
        best = int(np.argmax(inside))
        if best in taken:  # two feet in one box: touching prints the page analysis could not part
            problem = f"{label} foot: its print is not separated from the {taken[best]} foot's"
            out[label] = ProcessedPrint(None, None, problem)
            continue
        taken[best] = label
        out[label] = _crop_box(cleaned, page, analysis.feet[best].box_xyxy, configuration(side, view), settings)
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
