"""Raw scan in, 8 landmarks per foot out in original scan pixels and millimetres.

decode the file as displayed (EXIF orientation applied) -> find every foot on the page (the foot
finder: region, heel, toes, hallux side) and normalise the look to dark ink on light paper
(foot_landmarks.pages) -> per foot: the page turned so the foot stands upright, cut around its
print, mirrored to right-foot configuration (one exact matrix) -> resize to the network's input
-> network -> heatmap decoding -> (variants with `refine: print`) each point moved onto the print
by its rule, on the crop and then on the scan at full resolution (foot_landmarks.refinement) ->
inverse of every geometric step -> mm from the scan's dpi or, on a photographed sheet without
one, from page calibration (`page_size`: the sheet's corners -> homography -> mm on the page).

One foot on the image: exactly 8 rows, `foot` "". Several feet (a two-panel form, a podoscope
photo of both feet): 8 rows per foot, `foot` "left"/"right". The side given by the user wins;
otherwise the configuration (hallux on the left = right-foot configuration in print view) is
read from each foot (the finder's hallux side; when it is unsure, the print's arch where it is
plain (foot_landmarks.arch_side), else both configurations are run through the network and the
one whose points agree better with a foot is kept; with a warning either way).
`side` is the configuration used to orient the crop. `view` says how the image was taken when it
is known: "print" (an ink print seen from above) or None: `foot` is that configuration; "below"
(glass plate, podoscope, bare-sole scan: the mirror of print view): `foot` is the mirror of the
configuration. Without `view` a below-view image's `foot` is the print-view reading, i.e.
possibly the other foot.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageOps

from foot_landmarks import geometry as geo
from foot_landmarks.anatomy_checks import check_points
from foot_landmarks.arch_side import ARCH_MARGIN, ARCH_OVERRULES, arch_asymmetry
from foot_landmarks.detector import DecodedPoints, LandmarkDetector
from foot_landmarks.io.datasets import ScanImage, reduction_for
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.landmarks import LANDMARK_IDS, LANDMARK_NAMES, mirror_side
from foot_landmarks.pages import (
    SIDE_TRUSTED,
    VIEWS,
    CropSettings,
    at_scan_resolution,
    crop_feet,
    detail_page,
    page_scale,
    read_page,
)
from foot_landmarks.preprocessing import ProcessedPrint
from foot_landmarks.refinement import PageDetail, refine_to_print, refines

log = logging.getLogger(__name__)

LANDMARK_COLUMNS = [
    "image", "foot", "landmark", "name", "x_px", "y_px", "x_mm", "y_mm", "confidence", "low_confidence",
    "side", "side_source", "side_confidence", "dpi", "scale_source", "flags", "warnings",
]
ERROR_COLUMNS = ["image", "error"]


# Where at least this share of a foot's points is unsure, the foot is: every point is flagged.
# Half: on the generated validation and test feet no foot has more than one weak point; on
# outside prints such feet are the misread ones (benchmarks/RESULTS.md).
MOSTLY_UNSURE = 0.5
REDECODED_TOE = "toe points decoded again together: one by one, two shared a toe or ran out of order"


class ScanError(ValueError):
    """A scan that cannot be read or holds no usable foot print."""


def file_dpi(path: str | Path) -> float | None:
    """The dpi a scanner wrote in the image file, if any: a JPEG's JFIF density (dots per inch or
    per cm), a PNG's pHYs, a TIFF's resolution. A JPEG's EXIF resolution is not one: phones write
    72 there whatever they photographed."""
    try:
        with Image.open(path) as img:
            if img.format in ("JPEG", "MPO"):
                unit, density = img.info.get("jfif_unit"), img.info.get("jfif_density")
                if unit not in (1, 2) or not density:
                    return None
                value = float(density[0]) * (2.54 if unit == 2 else 1.0)
            else:
                dpi = img.info.get("dpi")
                if not dpi:
                    return None
                value = float(dpi[0])
    except OSError:
        return None
    return value if value > 1 else None


def flag_doubtful_foot(low: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A foot's low-confidence flags (a bool per point), all set where at least MOSTLY_UNSURE of
    them are (the foot as a whole may be misread: side, axis), with the warning that says so."""
    low = np.asarray(low, bool)
    if low.all() or low.mean() < MOSTLY_UNSURE:
        return low, None
    return np.ones_like(low), "most points unsure: check the whole foot"


def toe_order_agrees(points: np.ndarray) -> bool:
    """Whether the toe tips (crop px, right-foot configuration: hallux on the left) run 1 to 5
    from medial to lateral, as LANDMARKS.md numbers them."""
    return bool(np.all(np.diff(points[:5, 0]) > 0))


def configuration_score(points: np.ndarray, confidence: np.ndarray) -> float:
    """How well a crop's points agree with a right-foot configuration: the network's mean
    confidence, plus one when its toes run medial to lateral."""
    return float(np.nanmean(confidence)) + float(toe_order_agrees(points))


def mirrored(processed: ProcessedPrint) -> ProcessedPrint:
    """The same foot's crop in the other configuration (a left-right flip, exact)."""
    image, flip = geo.mirror_with_matrix(processed.crop)
    config = "left" if processed.side == "right" else "right"
    return replace(processed, crop=image, to_crop=geo.compose(processed.to_crop, flip), side=config,
                   warnings=list(processed.warnings))


class SettledFoot(NamedTuple):
    """One foot in the configuration kept, with the network's points on its crop."""

    label: str
    processed: ProcessedPrint
    points: np.ndarray  # (8, 2) crop px
    confidence: np.ndarray  # (8,)
    redecoded: np.ndarray  # (8,) bool: toe points decoded jointly (foot_landmarks.toe_order)
    side_unsure: bool  # side chosen by comparing both configurations (not by the arch), or the toes disagree with it


@dataclass
class ScanPredictor:
    detector: LandmarkDetector
    finder: FootFinder | None = None  # None: the finder shipped with the package
    crop_height: int = 666
    crop_margin: float = 0.04
    analysis_long_side: int = 400
    low_confidence: float = 0.3
    decode_reduction: int | None = None  # None: as coarse as the crop allows; 1: every pixel
    page_size: str | None = None  # photos without dpi: calibrate mm on a sheet of this size ("a4")

    def __post_init__(self):
        if self.finder is None:
            self.finder = FootFinder.bundled()

    def settings(self) -> CropSettings:
        return CropSettings(self.crop_height, self.crop_margin, self.analysis_long_side)

    def _network_points(self, crops: list[np.ndarray]) -> DecodedPoints:
        """The network's points for each crop, in crop px."""
        inputs, resizes = [], []
        for crop in crops:
            input_image, resize = geo.resize_with_matrix(crop, self.detector.input_size)
            inputs.append(input_image)
            resizes.append(resize)
        decoded = self.detector.predict_points(np.stack(inputs))

        def on_crop(points: np.ndarray) -> np.ndarray:
            return np.stack([geo.apply_to_points(geo.invert(r), p) for r, p in zip(resizes, points)])

        return decoded._replace(points=on_crop(decoded.points), separate_points=on_crop(decoded.separate_points))

    def _upright_scores(self, crops: list[np.ndarray]) -> list[float]:
        """How much each crop looks to the network like an upright foot in right-foot
        configuration (configuration_score of its points decoded one by one)."""
        decoded = self._network_points(crops)
        return [configuration_score(p, c) for p, c in zip(decoded.separate_points, decoded.separate_confidence)]

    def _settle_sides(self, feet: list[tuple[str, ProcessedPrint]], view: str | None):
        """Each foot's crop in the configuration its anatomy agrees with best, with the network's
        points on it. A detected side the finder was unsure of is tried both ways (the crop and its
        mirror): where the print's arch is plain (foot_landmarks.arch_side) the arch decides, else
        the configuration whose points agree better with a foot is kept (flagged either way). On a
        one-foot page a sure hallux reading that the arch plainly contradicts is tried both ways
        too. On a two-foot page where only one foot is sure, the other is its pair (crop_feet), and
        where both are unsure, the two are tried together (a left and a right either way)."""
        detected = [i for i, (_, p) in enumerate(feet) if p.side_source == "detected"]
        doubtful = [i for i in detected if feet[i][1].side_confidence < SIDE_TRUSTED]
        if len(feet) == 2 and len(doubtful) == 1:
            doubtful = []  # the sure foot decides both (crop_feet already made them a pair)
        # read only where it can decide: an unsure side, or a one-foot page's sure one. > 0: the crop's
        # configuration; none where heel and toes may be swapped (upside down, an arch reads mirrored)
        # or the image's edge may have cut a border off
        arch = {i: math.nan if p.axis_unsure or p.axis_guessed or p.cut_by_edge else arch_asymmetry(p.crop)
                for i, (_, p) in enumerate(feet) if i in doubtful or (len(feet) == 1 and i in detected)}
        contradicted = [i for i in arch if i not in doubtful and arch[i] <= -ARCH_OVERRULES]
        tried = doubtful + contradicted
        crops = [p.crop for _, p in feet] + [mirrored(feet[i][1]).crop for i in tried]
        decoded = self._network_points(crops)
        points, confidence, redecoded = decoded.points, decoded.confidence, decoded.redecoded

        def score(i: int) -> float:  # the maps decoded one by one: what the network says of this configuration
            return configuration_score(decoded.separate_points[i], decoded.separate_confidence[i])

        own = [score(i) for i in range(len(feet))]
        other = {i: score(len(feet) + k) for k, i in enumerate(tried)}
        groups = [doubtful] if len(feet) == 2 and len(doubtful) == 2 else [[i] for i in tried]
        flips, by_arch = {}, set()
        for group in groups:
            votes = {bool(arch[i] < 0) for i in group if abs(arch[i]) >= ARCH_MARGIN}  # NaN: no vote
            if len(votes) == 1:
                flip = votes.pop()
                by_arch.update(group)
            else:
                flip = sum(other[i] for i in group) > sum(own[i] for i in group)
            flips.update(dict.fromkeys(group, flip))
        settled = []
        for i, (label, processed) in enumerate(feet):
            chosen, unsure = i, False
            if i in flips:
                reading = processed.side_confidence
                if flips[i]:
                    chosen = len(feet) + tried.index(i)
                    processed = mirrored(processed)
                    label = mirror_side(label)
                if i in by_arch:
                    processed.side_source = "detected, from the arch"
                    processed.warnings.append(
                        f"side from the print's arch (its hollow border taken as medial, asymmetry "
                        f"{abs(arch[i]):.2f}): check it"
                        + (f"; the hallux reading (contrast {reading:.2f}) said the other" if i in contradicted else "")
                    )
                else:
                    processed.side_source = "detected, both configurations tried"
                    processed.warnings.append("side chosen by comparing both configurations: check it")
                # the configuration kept, one by one, put toes on one toe or out of order
                toes_disagree = bool(redecoded[chosen].any())
                if toes_disagree:
                    processed.warnings.append("the toes disagree with the configuration chosen: check the whole foot")
                # a side chosen by comparing the network's two readings is its guess: every point is
                # flagged for review (on clean-room decision draws 2 of 71 such feet came out
                # mirrored, 90+ mm off, one of them unflagged); a plain arch is no guess
                unsure = toes_disagree or i not in by_arch
            settled.append(SettledFoot(label, processed, points[chosen], confidence[chosen], redecoded[chosen], unsure))
        return settled

    def predict_scan(
        self,
        path: str | Path,
        dpi: float | None = None,
        side: str | None = None,
        view: str | None = None,
        page_size: str | None = None,
    ) -> pd.DataFrame:
        """The landmarks of every foot on one scan (8 rows per foot); raises ScanError.

        Points are in the pixels of the image as displayed (EXIF orientation applied, as VIA and
        browsers show it). `side`: the foot's side when known (one-foot images; it always wins
        over the detected one). `view`: "print", "below" or None (see the module docstring).
        Doubts about a foot (touching the image edge, uncertain side or axis) are in `warnings`;
        only a scan with no foot at all raises ScanError.
        """
        if view not in (None, *VIEWS):
            raise ValueError(f"view must be one of {VIEWS} or None, got {view!r}")
        scan = ScanImage(str(path))
        try:
            width, height = scan.size()
            # The crop is about the foot's size; decode no finer than twice the crop needs.
            reduce = self.decode_reduction or reduction_for(max(width, height), 2 * self.crop_height)
            page = read_page(scan, reduce, self.finder)
        except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... for broken files
            raise ScanError(f"{path}: cannot read image ({type(exc).__name__}: {exc})") from None
        feet, problems = crop_feet(page, self.settings(), side, view, upright_score=self._upright_scores)
        if not feet:
            raise ScanError(f"{path}: " + "; ".join(problems))
        if dpi is not None and not (isinstance(dpi, float) and math.isnan(dpi)):
            dpi, scale_source = float(dpi), "given"
        elif (from_file := file_dpi(path)) is not None:
            dpi, scale_source = from_file, "file"
        else:
            dpi, scale_source = math.nan, "none (pixels only)"
        page_size = page_size if isinstance(page_size, str) and page_size else self.page_size
        # without a dpi, a photographed form's corners and its known size give mm on the page
        to_mm, page_source = page_scale(page, dpi, page_size)  # nan matrix: no scale
        if not math.isfinite(dpi) and page_size:
            scale_source = page_source
        settled = self._settle_sides(feet, view)
        refine = refines(self.detector.config, page.kind, on_sheet=len(feet) > 1)
        # the refinement's second stage reads the scan at full resolution (decoded once more
        # unless the page already was)
        detail = None
        if refine:
            detail = detail_page(at_scan_resolution(scan, page, reduce), self.analysis_long_side)
        tables = []
        for foot, processed, on_crop, confidence, redecoded, side_unsure in settled:
            if refine:
                on_crop = refine_to_print(
                    processed.crop, on_crop, detail=PageDetail.of_page(detail.gray, detail.to_work, processed.to_crop, page.kind)
                )
            flags = [""] * len(on_crop)
            if self.detector.config.get("anatomy_checks", True):
                on_crop, flags = check_points(processed.crop, on_crop)
            flags = [flag or (REDECODED_TOE if moved else "") for flag, moved in zip(flags, redecoded)]
            # a weak heatmap peak, a point the anatomy checks moved or doubt, a side, an axis or an outline in doubt
            low = (confidence < self.low_confidence) | np.array([bool(f) for f in flags])
            low |= side_unsure or processed.axis_unsure or processed.outline_mended
            low, doubt = flag_doubtful_foot(low)
            warnings = processed.warnings + ([doubt] if doubt else [])
            points = geo.apply_to_points(geo.invert(processed.to_crop), on_crop)
            mm = geo.apply_to_points(to_mm, points)
            side_source = processed.side_source
            if view == "below":
                side_source += "; view from below: the anatomical foot is the mirror of `side`"
            tables.append(
                pd.DataFrame(
                    {
                        "image": str(path),
                        "foot": foot,
                        "landmark": list(LANDMARK_IDS),
                        "name": [LANDMARK_NAMES[k] for k in LANDMARK_IDS],
                        "x_px": points[:, 0],
                        "y_px": points[:, 1],
                        "x_mm": mm[:, 0],
                        "y_mm": mm[:, 1],
                        "confidence": confidence,
                        "low_confidence": low,
                        "side": processed.side,
                        "side_source": side_source,
                        "side_confidence": processed.side_confidence,
                        "dpi": dpi,
                        "scale_source": scale_source,
                        "flags": flags,
                        "warnings": "; ".join(warnings),
                    },
                    columns=LANDMARK_COLUMNS,
                )
            )
        result = pd.concat(tables, ignore_index=True)
        result.attrs["problems"] = problems
        return result

    def predict_files(self, paths, dpi=None, side=None, view=None, page_size=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every scan in `paths`; scans that fail get a row in the errors table, the rest still come out.

        A foot of a multi-foot sheet that could not be processed also gets an errors row.
        """
        paths = list(paths)
        dpis = dpi if isinstance(dpi, (list, tuple)) else [dpi] * len(paths)
        sides = side if isinstance(side, (list, tuple)) else [side] * len(paths)
        views = view if isinstance(view, (list, tuple)) else [view] * len(paths)
        page_sizes = page_size if isinstance(page_size, (list, tuple)) else [page_size] * len(paths)
        tables, errors = [], []
        for i, (path, d, s, v, ps) in enumerate(zip(paths, dpis, sides, views, page_sizes), start=1):
            try:
                table = self.predict_scan(path, d, s, v, ps)
                tables.append(table)
                errors.extend({"image": str(path), "error": f"{path}: {p}"} for p in table.attrs.get("problems", []))
            except ScanError as exc:
                errors.append({"image": str(path), "error": str(exc)})
                log.warning("%s", exc)
            if i % 10 == 0 or i == len(paths):
                log.info("predicted %d/%d scans", i, len(paths))
        landmarks = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=LANDMARK_COLUMNS)
        landmarks.attrs = {}
        return landmarks, pd.DataFrame(errors, columns=ERROR_COLUMNS)


def split_predictions(result: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registered model's one table (rows with an `error` are failed scans) -> (landmarks,
    errors), as landmarks.csv and errors.csv hold them."""
    failed = result["error"].notna() if "error" in result else pd.Series(False, index=result.index)
    landmarks = result.loc[~failed, LANDMARK_COLUMNS].reset_index(drop=True)
    landmarks["landmark"] = landmarks["landmark"].astype(int)
    errors = result.loc[failed].reindex(columns=ERROR_COLUMNS).reset_index(drop=True)  # no error column: none failed
    return landmarks, errors


def draw_overlay(path: str | Path, landmarks: pd.DataFrame, max_side: int = 1200) -> Image.Image:
    """The scan (reduced) with its landmarks numbered; low-confidence ones drawn hollow in orange.
    Drawn on the image as displayed (EXIF orientation applied), the frame the points are in."""
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
    scale = min(1.0, max_side / max(img.size))
    if scale < 1:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(img)
    r = max(4, round(0.006 * max(img.size)))
    for row in landmarks.itertuples():
        x, y = (row.x_px + 0.5) * scale - 0.5, (row.y_px + 0.5) * scale - 0.5
        colour = (255, 140, 0) if row.low_confidence else (220, 20, 60)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=2, fill=None if row.low_confidence else colour)
        draw.text((x + r + 2, y - r - 2), str(row.landmark), fill=(0, 90, 255))
    return img
