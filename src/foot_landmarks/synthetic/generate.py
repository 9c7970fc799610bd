"""Generate a synthetic data set of footprint images with exact landmarks (VIA tables).

Four capture kinds (`look`), as clinics really capture prints:

- ``ink_paper``: an ink print on plain paper, flatbed-scanned (sheets a4 / crop / lowres; ink
  texture ``ink`` solid or grid);
- ``bare_sole``: a bare sole on a flatbed or glass plate seen FROM BELOW (``view`` "below"):
  bright skin with ridges on near-black, the mirror of the print view;
- ``inkmat_form``: an ink-mat form with both feet of one subject in two panels, pen marks by the
  clinician, flatbed-scanned or photographed with a phone (forms.py, photo.py);
- ``pressure_map``: a pressure-plate export in the jet colour map, one foot or both (pressure.py).

Each image is made from a :class:`PrintSpec` alone (its seed derives from the data set seed and
its index), so the output is the same for any number of worker processes. Counting is in feet:
``generate_dataset(n)`` makes n usable feet (a two-foot image counts 2) plus broken one-foot prints.

One one-foot print (ink_paper, bare_sole), step by step:
1. the subject's anatomy (same for all prints of a subject) plus a session variation;
2. the sheet (A4 page scan, tight crop, or low-resolution crop) and the pose on it;
3. the print rendered in right-foot configuration at 300 dpi, downscaled for low-res crops;
4. the 8 landmarks from that final-resolution contact mask (ground_truth.py);
5. a print in left-foot configuration (a left foot in print view, a right foot seen from below)
   is mirrored (mask and points), then paper or glass, pen writing, blots, dust, blur, scanner
   noise and JPEG are added; broken prints get a blot over the print or a page edge cut.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from foot_landmarks.io.via import IMAGE_COLUMNS, POINT_COLUMNS, format_via_csv, format_via_json
from foot_landmarks.landmarks import LANDMARK_IDS, STUDY_DPI, mirror_side
from foot_landmarks.synthetic import artefacts as art
from foot_landmarks.synthetic.anatomy import foot_shapes, session_variant
from foot_landmarks.synthetic.render import Pose, block_mean, sample_ink_style, sample_skin_style
from foot_landmarks.synthetic.scene import (
    LOOKS,
    SHEETS,
    FootTruth,
    PrintSpec,
    Sample,
    attributes,
    final_bbox,
    full_mask,
    push_over_edge,
    render_foot,
    sheet_around,
    subject_anatomy,
)

# Shares of FEET per capture kind. The study's own data are ~1320 bare-sole flatbed scans and ~165
# ink prints on paper (89 % / 11 %); the default keeps bare soles first but gives the clinic looks
# enough feet to be learnt (an ink print is the study's second source and the clinics' usual one).
DEFAULT_LOOK_MIX: dict[str, float] = {"bare_sole": 0.45, "ink_paper": 0.30, "inkmat_form": 0.15, "pressure_map": 0.10}
DEFAULT_SHEET_MIX: dict[str, float] = {"a4": 0.4, "crop": 0.3, "lowres": 0.3}  # of ink prints on paper
DEFAULT_MIX: dict[str, float] = {**DEFAULT_LOOK_MIX, **DEFAULT_SHEET_MIX}
BARE_SOLE_SHEETS: tuple[tuple[str, float], ...] = (("a4", 0.4), ("crop", 0.35), ("lowres", 0.25))
TWO_FOOT_LOOKS: tuple[str, ...] = ("inkmat_form",)  # always both feet (pressure maps: sometimes)
BROKEN_LOOKS: tuple[str, ...] = ("bare_sole", "ink_paper", "pressure_map")  # one-foot kinds with defects
PRESSURE_BOTH_FEET_SHARE = 0.35  # of pressure-map images
# Feet per subject on average (1-4 images of one foot; 1-2 forms of both feet): the subject draw
# is weighted by share / this, so the look shares hold by feet.
EXPECTED_FEET = {
    "bare_sole": 2.5, "ink_paper": 2.5, "inkmat_form": 3.0, "pressure_map": 2.5 * (1 + PRESSURE_BOTH_FEET_SHARE),
}
DEFECTS: tuple[str, ...] = ("blot_over_print", "cut_by_page_edge")
A4_SIZES_HW: tuple[tuple[int, int], ...] = ((3508, 2480), (3507, 2550))  # A4 at 300 dpi, as scanners save it
LOWRES_FACTORS: tuple[int, ...] = (2, 3, 4, 5)  # 300 dpi / k: 150, 100, 75 and 60 dpi
SUPERSAMPLE = 2  # low-res crops are rendered at twice their dpi and box-downscaled, like a resized scan
BROKEN_SHARE = 0.033
ANNOTATION_CSV = "via_annotations.csv"
ANNOTATION_JSON = "via_project.json"
IMAGES_DIR = "images"


@dataclass
class SyntheticDataset:
    """VIA tables (io.via layout) and the bytes of every file (JPEG, PNG), keyed by file name."""

    images: pd.DataFrame
    points: pd.DataFrame
    files: dict[str, bytes] = field(default_factory=dict)

    def via_csv(self) -> str:
        return format_via_csv(self.images, self.points)

    def via_json(self) -> str:
        return format_via_json(self.images, self.points)


# ----------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Mix:
    """Shares of feet per look, and of sheets among ink prints on paper (each summing to 1)."""

    looks: tuple[tuple[str, float], ...]
    sheets: tuple[tuple[str, float], ...]


def _shares(values: dict, names: tuple[str, ...], what: str) -> tuple[tuple[str, float], ...]:
    total = float(sum(values.values()))
    if total <= 0 or any(float(v) < 0 for v in values.values()):
        raise ValueError(f"{what} shares must be >= 0 with a positive sum, got {values}")
    return tuple((k, float(values.get(k, 0.0)) / total) for k in names)


def normalise_mix(mix: dict | None) -> Mix:
    """Look and sheet shares from a mix; unknown names or non-positive totals are refused.

    A mix names looks (bare_sole, ink_paper, inkmat_form, pressure_map: shares of feet) and/or
    sheets (a4, crop, lowres: shares of the ink prints on paper), flat or nested as
    ``{"looks": {...}, "sheets": {...}}``. Without looks it means ink prints only (what a sheet-only
    mix always meant); without sheets the default sheet mix applies. None: DEFAULT_MIX.
    """
    mix = dict(DEFAULT_MIX if mix is None else mix)
    flat: dict = {}
    for key, value in mix.items():
        if key in ("looks", "sheets") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    unknown = set(flat) - set(LOOKS) - set(SHEETS)
    if unknown:
        raise ValueError(
            f"unknown look or sheet kind(s) {sorted(unknown)} in mix; use looks {list(LOOKS)} and sheets {list(SHEETS)}"
        )
    looks = {k: v for k, v in flat.items() if k in LOOKS} or {"ink_paper": 1.0}
    sheets = {k: v for k, v in flat.items() if k in SHEETS} or DEFAULT_SHEET_MIX
    return Mix(_shares(looks, LOOKS, "look"), _shares(sheets, SHEETS, "sheet"))


def _draw(rng: np.random.Generator, names: list[str], weights: list[float]) -> str:
    w = np.asarray(weights, float)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def plan_prints(n_feet: int, n_broken: int, seed: int, mix: dict | None = None) -> list[PrintSpec]:
    """Subjects, each captured one way (its look), until `n_feet` usable feet; plus `n_broken` broken prints.

    One-foot looks: 1-4 prints per subject (left/right, repeated sessions); a pressure plate
    sometimes takes both feet at once. Ink-mat forms: 1-2 forms per subject, each with both feet
    of that subject. When one foot is left to plan, a two-foot look gives way to a one-foot one.
    Broken prints are redone prints of one-foot subjects (ink on paper, bare sole or pressure).
    """
    shares = normalise_mix(mix)
    if dict(shares.looks)["ink_paper"] == 1.0:  # ink prints only: planned exactly as before the looks
        return _plan_ink_prints(n_feet + n_broken, n_broken, seed, shares.sheets)
    rng = np.random.default_rng([seed, 0])
    looks = [name for name, share in shares.looks if share > 0]
    weights = [share / EXPECTED_FEET[name] for name, share in shares.looks if share > 0]
    single = [(name, share) for name, share in shares.looks if share > 0 and name not in TWO_FOOT_LOOKS]
    single = single or [("ink_paper", 1.0)]
    subjects: list[tuple[str, list[tuple[str, bool]]]] = []
    feet = 0
    while feet < n_feet:
        look = _draw(rng, looks, weights)
        if look in TWO_FOOT_LOOKS and n_feet - feet < 2:
            look = _draw(rng, *map(list, zip(*single)))
        images: list[tuple[str, bool]] = []
        if look in TWO_FOOT_LOOKS:
            for _ in range(min(int(rng.integers(1, 3)), (n_feet - feet) // 2)):
                images.append(("both", False))
                feet += 2
        else:
            count = int(rng.integers(1, 5))
            first = "right" if rng.random() < 0.5 else "left"
            for j in range(count):
                if feet >= n_feet:
                    break
                if look == "pressure_map" and n_feet - feet >= 2 and rng.random() < PRESSURE_BOTH_FEET_SHARE:
                    images.append(("both", False))
                    feet += 2
                    continue
                side = first if j % 2 == 0 else mirror_side(first)
                if rng.random() < 0.2:  # sometimes the same foot twice in a row
                    side = first
                images.append((side, False))
                feet += 1
        subjects.append((look, images))
    eligible = [i for i, (look, _) in enumerate(subjects) if look in BROKEN_LOOKS]
    for _ in range(n_broken):
        side = "right" if rng.random() < 0.5 else "left"
        if eligible:
            subjects[eligible[int(rng.integers(len(eligible)))]][1].append((side, True))
        else:  # only two-foot looks planned: the broken prints are ink prints of a subject of their own
            subjects.append(("ink_paper", [(side, True)]))
            eligible.append(len(subjects) - 1)
    specs: list[PrintSpec] = []
    for subject, (look, images) in enumerate(subjects, start=1):
        sessions = {"right": 0, "left": 0, "both": 0}
        for side, broken in images:
            sessions[side] += 1
            specs.append(PrintSpec(seed, len(specs), subject, side, sessions[side], broken, look, shares.sheets))
    return specs


def _plan_ink_prints(n_total: int, n_broken: int, seed: int, sheets: tuple[tuple[str, float], ...]) -> list[PrintSpec]:
    """The planner of the ink-only generator: a mix of ink prints alone (any sheet-only mix) gives
    the same files, byte for byte, as before the other looks existed.

    Subjects with 1-4 prints each (left/right, repeated sessions) until `n_total` prints, of which
    `n_broken` (drawn first) are broken.
    """
    rng = np.random.default_rng([seed, 0])
    broken = set(rng.choice(n_total, size=n_broken, replace=False).tolist()) if n_broken else set()
    specs: list[PrintSpec] = []
    subject = 0
    while len(specs) < n_total:
        subject += 1
        count = min(int(rng.integers(1, 5)), n_total - len(specs))
        sessions = {"right": 0, "left": 0}
        first = "right" if rng.random() < 0.5 else "left"
        for j in range(count):
            side = first if j % 2 == 0 else mirror_side(first)
            if rng.random() < 0.2:  # sometimes the same foot twice in a row
                side = first
            sessions[side] += 1
            index = len(specs)
            specs.append(PrintSpec(seed, index, subject, side, sessions[side], index in broken, "ink_paper", sheets))
    return specs


# ----------------------------------------------------------------------------- one print on a sheet


def _choose_sheet(sheets: tuple[tuple[str, float], ...], rng: np.random.Generator) -> str:
    names, shares = zip(*sheets)
    return str(rng.choice(names, p=np.array(shares) / sum(shares)))


def _layout(
    bbox: tuple[float, float, float, float],
    sheet: str,
    defect: str,
    k: int,
    dpi: float,
    rng: np.random.Generator,
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Sheet size (h, w), multiples of k, and the shift for a print whose bbox (pose at 0, 0) is given."""
    bx0, by0, bx1, by1 = bbox
    mm = dpi / 25.4
    if sheet == "a4":
        h, w = A4_SIZES_HW[int(rng.integers(len(A4_SIZES_HW)))]
        margin = 5 * mm
        lo_x, hi_x = margin - bx0, w - 1 - margin - bx1
        lo_y, hi_y = margin - by0, h - 1 - margin - by1
        dx, dy = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
    else:
        (h, w), (dx, dy) = sheet_around(bbox, (6, 35), mm, k, rng)
    if defect == "cut_by_page_edge":
        dx, dy = push_over_edge(bbox, (h, w), (dx, dy), rng)
    return (h, w), (dx, dy)


def _fits_a4(bbox: tuple[float, float, float, float]) -> bool:
    margins = 2 * 5 * STUDY_DPI / 25.4
    smallest_h, smallest_w = min(h for h, _ in A4_SIZES_HW), min(w for _, w in A4_SIZES_HW)
    return bbox[3] - bbox[1] + margins < smallest_h and bbox[2] - bbox[0] + margins < smallest_w


@dataclass(frozen=True)
class _Placement:
    sheet: str
    sheet_hw: tuple[int, int]  # at render resolution
    pose: Pose  # of the final print (render_foot mirrors a left configuration)
    final_dpi: float
    k: int  # render pixels per final pixel


def _place_print(
    sheets: tuple[tuple[str, float], ...], config: str, shapes, length_mm: float, defect: str, rng: np.random.Generator
) -> _Placement:
    """Sheet kind and size, and the pose of the print (in configuration `config`) on it.

    Low-res crops are rendered at twice their final dpi and box-downscaled by k = 2 (cheaper than
    300 dpi, and the landmarks are then taken on the downscaled mask, as for any resized scan).
    """
    sheet = _choose_sheet(sheets, rng)
    final_dpi = STUDY_DPI / int(rng.choice(LOWRES_FACTORS)) if sheet == "lowres" else STUDY_DPI
    k = SUPERSAMPLE if sheet == "lowres" else 1
    render_dpi = final_dpi * k
    angle = float(rng.uniform(-10, 10))
    # The box the final print occupies (a left configuration is the mirror of a right twin turned
    # by -angle: its hallux side, the broader one, is on the other side).
    bbox = final_bbox(shapes, config, angle, render_dpi, length_mm)
    if sheet == "a4" and not _fits_a4(bbox):
        sheet = "crop"  # a long foot turned on A4 would not fit: that clinic scans a crop
    sheet_hw, (dx, dy) = _layout(bbox, sheet, defect, k, render_dpi, rng)
    return _Placement(sheet, sheet_hw, Pose(dx, dy, angle, render_dpi, length_mm), final_dpi, k)


def render_sample(spec: PrintSpec, debug: bool = False) -> Sample:
    """Make one image and its landmarks from `spec` (pure: same spec, same output).

    `debug` adds arrays for tests to the sample (masks, page-frame points, colour-map values).
    """
    if spec.look == "inkmat_form":
        from foot_landmarks.synthetic.forms import render_form

        return render_form(spec, debug)
    if spec.look == "pressure_map":
        from foot_landmarks.synthetic.pressure import render_pressure_map

        return render_pressure_map(spec, debug)
    if spec.look not in ("ink_paper", "bare_sole"):
        raise ValueError(f"unknown look {spec.look!r}; use {list(LOOKS)}")
    return _render_sheet_print(spec, debug)


def _render_sheet_print(spec: PrintSpec, debug: bool) -> Sample:
    """One foot on a sheet: an ink print on paper, or a bare sole on a glass plate seen from below."""
    anatomy = subject_anatomy(spec)
    rng = np.random.default_rng([spec.seed, 2, spec.index])
    anatomy = session_variant(anatomy, rng)
    shapes = foot_shapes(anatomy)
    defect = str(rng.choice(DEFECTS)) if spec.broken else ""
    below = spec.look == "bare_sole"
    # Seen from below, a foot shows the mirror of its print: a right foot in left-foot configuration.
    config = mirror_side(spec.side) if below else spec.side
    place = _place_print(BARE_SOLE_SHEETS if below else spec.sheets, config, shapes, anatomy.length_mm, defect, rng)
    k = place.k
    if below:
        style = sample_skin_style(rng, anatomy.ridge_period_mm)
    else:
        style = sample_ink_style(rng, anatomy.ridge_period_mm)
    foot = render_foot(shapes, place.pose, config, place.sheet_hw, rng, style, k)
    render, points, visible = foot.render, foot.points, foot.visible
    dpi = place.final_dpi * k
    if below:
        image = _plate_with_sole(render, dpi, rng)
        marks = _add_dust(image, render, dpi, rng)
    else:
        image = _sheet_with_print(render, dpi, rng)
        marks = _add_marks(image, render, spec.subject, dpi, rng)
    if defect == "blot_over_print":
        _blot_over_print(image, points * k + (k - 1) / 2, dpi, rng)
        marks.append("blot")
    if k > 1:
        image = block_mean(image, k)
    window = (render.x0, render.y0, render.x0 + render.ink.shape[1], render.y0 + render.ink.shape[0])
    box = tuple(v // k for v in window)
    blur = (0.6, 1.8) if below else (0.3, 1.0)
    jpeg = _scan(image, box, place.final_dpi, rng, blur, tone=below)
    attrs = attributes(
        spec,
        anatomy,
        dpi=f"{place.final_dpi:g}",
        defect=defect,
        view="below" if below else "print",
        capture="scan",
        sheet=place.sheet,
        ink="" if below else style.ink,
        artefacts=";".join(dict.fromkeys(marks)),
    )
    sample = Sample(spec.filename, jpeg, attrs, [FootTruth("", points, visible)])
    if debug:
        h, w = place.sheet_hw
        sample.debug = {"mask": full_mask([foot], (h // k, w // k), k), "config": config}
    return sample


def _plate_with_sole(render, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A dark glass plate with the bright sole on it (float brightness, render resolution).

    Where the skin touches, its brightness follows the render's density (load, ridges, mottle),
    often over-exposed; around the contact the skin close to the glass glows faintly (soft edges).
    """
    from scipy.ndimage import gaussian_filter

    image = art.dark_plate(render.sheet_hw, rng, dpi)
    gain, gamma = np.float32(rng.uniform(1.1, 2.2)), np.float32(rng.uniform(0.6, 1.1))
    skin = np.float32(rng.uniform(0.82, 1.0))
    h, w = render.ink.shape
    window = image[render.y0 : render.y0 + h, render.x0 : render.x0 + w]
    flat = np.flatnonzero(render.ink)  # the skin's brightness, computed on the contact pixels only
    lum = np.zeros((h, w), np.float32)
    lum.ravel()[flat] = skin * np.clip(gain * np.power(render.density.ravel()[flat], gamma), 0.0, 1.0)
    c = 4  # the glow is smooth: made on a 4x coarser grid
    hc, wc = -(-h // c), -(-w // c)
    padded = np.zeros((hc * c, wc * c), np.float32)
    padded[:h, :w] = render.ink
    coarse = padded.reshape(hc, c, wc, c).mean(axis=(1, 3))
    sigma = rng.uniform(0.6, 1.5) * dpi / 25.4 / c
    glow = gaussian_filter(coarse, sigma) * np.float32(rng.uniform(0.08, 0.3))
    glow = np.repeat(np.repeat(glow, c, axis=0), c, axis=1)[:h, :w]
    np.maximum(window, np.maximum(lum, glow), out=window)
    return image


def _add_dust(image: np.ndarray, render, dpi: float, rng: np.random.Generator) -> list[str]:
    """Dust and scratches on the glass: bright specks and hairlines, clear of the sole (2 mm)."""
    h, w = image.shape
    px_mm = dpi / 25.4
    keep = art.KeepOut.around(render.ink, render.x0, render.y0, (h, w), margin_px=2 * px_mm)
    marks: list[str] = []
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(5, 60))):
            cov = art.blot(px_mm * rng.uniform(0.08, 0.4), rng, droplets=False)
            spot = art.place(cov.shape, (h, w), keep, rng)
            if spot is not None:
                art.lighten(image, cov, spot[0], spot[1], float(rng.uniform(0.3, 0.9)))
                marks.append("dust")
    if rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 4))):
            cov = art.stray_mark(px_mm, rng) * np.float32(rng.uniform(0.2, 0.5))
            spot = art.place(cov.shape, (h, w), keep, rng)
            if spot is not None:
                art.lighten(image, cov, spot[0], spot[1], float(rng.uniform(0.3, 0.7)))
                marks.append("scratch")
    return marks


def _sheet_with_print(render, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """Paper with the print's ink on it (float reflectance, render resolution)."""
    image = art.paper(render.sheet_hw, rng, dpi)
    h, w = render.ink.shape
    window = image[render.y0 : render.y0 + h, render.x0 : render.x0 + w]
    window *= 1.0 - np.float32(rng.uniform(0.8, 0.95)) * render.density
    return image


def _add_marks(image: np.ndarray, render, subject: str, dpi: float, rng: np.random.Generator) -> list[str]:
    """Pen writing, scribbles, stray marks, blots and smudges, all clear of the print.

    Pen and marks keep 4 mm from the ink (writing near a print is common), blots and smudges 10 mm.
    Returns the kinds of marks actually placed (a mark that finds no room is left out).
    """
    h, w = image.shape
    px_mm = dpi / 25.4
    near = art.KeepOut.around(render.ink, render.x0, render.y0, (h, w), margin_px=4 * px_mm)
    far = art.KeepOut.around(render.ink, render.x0, render.y0, (h, w), margin_px=10 * px_mm)
    marks: list[str] = []
    pen_gray = float(rng.uniform(0.12, 0.5))
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(1, 4))):
            text = art.handwriting_text(rng, subject)
            if _put(image, art.pen_text(text, int(px_mm * rng.uniform(4, 9)), rng), near, rng, pen_gray):
                marks.append("pen")
    if rng.random() < 0.3:
        length, height = int(px_mm * rng.uniform(25, 60)), int(px_mm * rng.uniform(5, 10))
        if _put(image, art.scribble(length, height, max(2, int(px_mm * 0.35)), rng), near, rng, pen_gray):
            marks.append("scribble")
    if rng.random() < 0.4:
        for _ in range(int(rng.integers(1, 5))):
            if _put(image, art.stray_mark(px_mm, rng), near, rng, float(rng.uniform(0.1, 0.45))):
                marks.append("marks")
    far.cells |= near.cells  # blots also avoid the marks placed so far
    if rng.random() < 0.25:
        if _put(image, art.blot(px_mm * rng.uniform(1.5, 7), rng), far, rng, float(rng.uniform(0.05, 0.2))):
            marks.append("blot")
    if rng.random() < 0.2:
        if _put(image, art.smudge(px_mm * rng.uniform(15, 50), rng), far, rng, float(rng.uniform(0.2, 0.5))):
            marks.append("smudge")
    return marks


def _blot_over_print(image: np.ndarray, points: np.ndarray, dpi: float, rng: np.random.Generator) -> None:
    """The defect: a large blot centred on one landmark, so the print cannot be read there."""
    target = points[int(rng.integers(len(points)))]
    cov = art.blot(dpi / 25.4 * rng.uniform(12, 30), rng)
    x0, y0 = int(target[0] - cov.shape[1] / 2), int(target[1] - cov.shape[0] / 2)
    art.paint(image, cov, x0, y0, float(rng.uniform(0.04, 0.15)))


def _scan(
    image: np.ndarray,
    print_box: tuple[int, int, int, int],
    dpi: float,
    rng: np.random.Generator,
    blur: tuple[float, float] = (0.3, 1.0),
    tone: bool = False,
) -> bytes:
    """What the scanner saves: 8-bit gray, optics blur over the print, sensor noise, JPEG."""
    pixels = art.quantise(image)
    x0, y0, x1, y1 = print_box
    art.blur_region(pixels, (x0 - 3, y0 - 3, x1 + 3, y1 + 3), float(rng.uniform(*blur)))
    if tone:  # the scanner's contrast / gamma (ink prints keep their paper and ink tones, as before)
        pixels = art.tone_curve(pixels, float(rng.uniform(0.85, 1.2)))
    pixels = art.scanner_noise(pixels, rng, float(rng.uniform(1.0, 3.5)))
    return art.jpeg_bytes(pixels, int(rng.integers(75, 96)), dpi)


def _put(image: np.ndarray, coverage: np.ndarray, keep_out: art.KeepOut, rng: np.random.Generator, gray: float) -> bool:
    spot = art.place(coverage.shape, image.shape, keep_out, rng)
    if spot is None:
        return False
    art.paint(image, coverage, spot[0], spot[1], gray)
    return True


# ----------------------------------------------------------------------------- data set


def _tables(samples: list[Sample]) -> tuple[pd.DataFrame, pd.DataFrame]:
    image_rows, point_rows = [], []
    for s in samples:
        a = s.attributes
        image_rows.append(
            {
                "image": s.filename,
                "file_size": len(s.data),
                "side": a["side"],
                "subject": a["subject"],
                "dpi": float(a["dpi"]) if a["dpi"] else float("nan"),  # a phone photo has none
                "source": a["source"],
                "usable": a["usable"] == "true",
                "attributes": dict(a),
            }
        )
        for foot in s.feet:
            for landmark, (x, y), v in zip(LANDMARK_IDS, foot.points, foot.visible):
                point_rows.append(
                    {"image": s.filename, "landmark": landmark, "x": float(x), "y": float(y), "visible": int(v),
                     "foot": foot.foot}
                )
    images = pd.DataFrame(image_rows, columns=list(IMAGE_COLUMNS))
    points = pd.DataFrame(point_rows, columns=list(POINT_COLUMNS))
    return images, points.astype({"landmark": int, "x": float, "y": float, "visible": int})


def generate_dataset(
    n: int,
    seed: int,
    *,
    n_broken: int | None = None,
    processes: int = 2,
    mix: dict | None = None,
    progress: bool = True,
) -> SyntheticDataset:
    """`n` usable FEET (a two-foot image counts 2) plus `n_broken` broken one-foot prints
    (default ``round(0.033 * n)``), captured as the look mix says (see :func:`normalise_mix`).

    Output depends only on (n, seed, n_broken, mix), never on `processes`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n_broken = round(BROKEN_SHARE * n) if n_broken is None else int(n_broken)
    if n_broken < 0:
        raise ValueError(f"n_broken must be >= 0, got {n_broken}")
    specs = plan_prints(int(n), n_broken, int(seed), mix)
    samples = _run(specs, max(1, int(processes)), progress)
    images, points = _tables(samples)
    return SyntheticDataset(images, points, {s.filename: s.data for s in samples})


def _run(specs: list[PrintSpec], processes: int, progress: bool) -> list[Sample]:
    from tqdm.auto import tqdm

    bar = dict(total=len(specs), desc="synthetic images", unit="img", disable=not progress)
    if processes == 1 or len(specs) < 2:
        return [render_sample(s) for s in tqdm(specs, **bar)]
    with multiprocessing.get_context().Pool(min(processes, len(specs)), initializer=_keep_freed_memory) as pool:
        return list(tqdm(pool.imap(render_sample, specs, chunksize=1), **bar))


def _keep_freed_memory() -> None:
    """Worker setup: let glibc reuse freed page-sized buffers instead of returning them to the OS.

    Every print allocates and frees tens of MB of arrays; with glibc's defaults each one is a fresh
    mmap whose pages fault in again, which costs about a fifth of the run in kernel time.
    Harmless (skipped) where glibc is not the allocator.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: serve big arrays from the heap
        libc.mallopt(-1, 1 << 31)  # M_TRIM_THRESHOLD: do not give the heap back after each print
    except (OSError, AttributeError):
        pass


def dataset_present(out_dir: str | Path) -> bool:
    """Whether `out_dir` already holds a data set (annotations or images)."""
    out = Path(out_dir)
    images = out / IMAGES_DIR
    return (out / ANNOTATION_CSV).exists() or (out / ANNOTATION_JSON).exists() or (
        images.is_dir() and any(images.iterdir())
    )


def write_dataset(ds: SyntheticDataset, out_dir: str | Path, force: bool = False, via_json: bool = False) -> Path:
    """Write ``out_dir/images/*.{jpg,png}`` and ``out_dir/via_annotations.csv`` (and ``via_project.json``).

    An existing data set is replaced only with ``force=True`` (then its images folder is emptied
    first, so no stale files remain); otherwise FileExistsError.
    """
    out = Path(out_dir)
    if dataset_present(out):
        if not force:
            raise FileExistsError(f"{out} already holds a data set; use force to overwrite it")
        shutil.rmtree(out / IMAGES_DIR, ignore_errors=True)
        for name in (ANNOTATION_CSV, ANNOTATION_JSON):
            (out / name).unlink(missing_ok=True)
    images = out / IMAGES_DIR
    images.mkdir(parents=True, exist_ok=True)
    for name, data in ds.files.items():
        (images / name).write_bytes(data)
    (out / ANNOTATION_CSV).write_text(ds.via_csv(), encoding="utf-8")
    if via_json:
        (out / ANNOTATION_JSON).write_text(ds.via_json(), encoding="utf-8")
    return out
