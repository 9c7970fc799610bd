"""Ink-mat forms: both feet of one subject printed with an ink mat on a printed form, scanned or photographed.

An ink-mat (Podoprint / pedigraph type) leaves a regular grid of lines or dots, darker and fuller
where the load is higher (render.sample_mat_style). The form has a header (logo box, title,
field lines such as "Name: ____"), and two panels side by side, one per foot, each with its label;
the clinician then draws short pen lines beside the longest toe and the heel and small arrows at
the metatarsal heads (points 6 and 7): near the true landmarks, at wrong places (10-40 mm off) or
not at all (file attribute ``pen_lines``). Pen marks are not print: the landmarks ignore them.

The page is flatbed-scanned (300 dpi, dpi known; colour or gray JPEG) or photographed with a
phone (photo.py: perspective, table, uneven light, colour JPEG, no dpi; the page's corners in the
photo are written as ``page_corners``).

Both feet are in print view (seen from above): the left foot has its hallux on the right.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from foot_landmarks.landmarks import HEEL, LATERAL_FOREFOOT, MEDIAL_FOREFOOT, STUDY_DPI, TOE_IDS
from foot_landmarks.synthetic import artefacts as art
from foot_landmarks.synthetic import photo as ph
from foot_landmarks.synthetic.anatomy import foot_shapes, session_variant
from foot_landmarks.synthetic.render import Pose, sample_mat_style
from foot_landmarks.synthetic.scene import (
    FootTruth,
    PlacedFoot,
    PrintSpec,
    Sample,
    attributes,
    final_bbox,
    full_mask,
    render_foot,
    subject_anatomy,
)

# Page sizes (width, height) in mm, with their shares: two adult feet side by side need more than A4.
PAGE_SIZES_MM: tuple[tuple[tuple[int, int], float], ...] = (((297, 420), 0.6), ((280, 400), 0.15), ((305, 457), 0.25))
PHOTO_SHARE = 0.5
# Printed graduated ruler bars (some vendors' sheets, e.g. the real PODIATECH forms): above the
# toes, below the heel and beside the forefoot, often touching the print.
PRINTED_RULER_SHARE = 0.5
PEN_LINES_SHARES: tuple[tuple[str, float], ...] = (("near", 0.45), ("wrong", 0.25), ("none", 0.3))
WRONG_SHIFT_MM = (10.0, 40.0)
SCAN_DPIS: tuple[tuple[float, float], ...] = ((STUDY_DPI, 1.0),)

TITLES = ("FOOTPRINT RECORD", "PODOGRAPHIE - EMPREINTE PLANTAIRE", "HUELLA PLANTAR", "PLANTAR PRINT", "PODOPRINT",
          "Pedigraph / Footprint", "ANALYSE PODOLOGIQUE")
CLINICS = ("Clinica Podologica San Martin", "Centre de Podologie du Sport", "Foot & Ankle Clinic",
           "Instituto del Pie", "PODIA-TECH", "Servicio de Biomecanica", "Laboratoire d'analyse du pas")
FIELDS = ("Name:", "Date:", "Patient ID:", "Shoe size:", "Nom / Name:", "Nombre:", "Fecha:", "Age:", "Weight:",
          "Clinician:", "Remarks:")
PANEL_LABELS = (("Left foot", "Right foot"), ("Pied gauche / Left foot", "Pied droit / Right foot"),
                ("Pie izquierdo", "Pie derecho"), ("LEFT", "RIGHT"), ("L", "R"), ("Links", "Rechts"))
INK_COLOURS = ((0.08, 0.08, 0.1), (0.12, 0.12, 0.16), (0.1, 0.14, 0.3))  # ink-mat inks: black, grey-black, blue-black
PEN_COLOURS = ((0.1, 0.18, 0.6), (0.08, 0.08, 0.1), (0.15, 0.2, 0.45), (0.55, 0.1, 0.1))  # blue, black, navy, red
PRINTED_COLOURS = ((0.15, 0.15, 0.15), (0.25, 0.25, 0.28), (0.2, 0.35, 0.65), (0.1, 0.3, 0.55), (0.45, 0.15, 0.15))


@dataclass
class Element:
    """Something drawn on the page: coverage (0-1) at (x0, y0) in page px, darkening toward `colour` (RGB 0-1)."""

    coverage: np.ndarray
    x0: int
    y0: int
    colour: tuple[float, float, float]


@dataclass
class PenMark:
    """A clinician's mark: which foot and landmark it refers to, and its anchor (page px)."""

    foot: str
    landmark: int
    kind: str  # "toe line", "heel line", "arrow"
    anchor: np.ndarray


@dataclass(frozen=True)
class Layout:
    """The form in page px: header band, and the two panels (x0, y0, x1, y1) left and right."""

    page_mm: tuple[int, int]
    px_mm: float
    margin: float
    header: tuple[int, int, int, int]
    panels: tuple[tuple[int, int, int, int], tuple[int, int, int, int]]
    label_h: int

    @property
    def page_hw(self) -> tuple[int, int]:
        return round(self.page_mm[1] * self.px_mm), round(self.page_mm[0] * self.px_mm)


def _choice(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _weighted(rng: np.random.Generator, pairs):
    names, shares = zip(*pairs)
    p = np.array(shares, float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _layout(page_mm: tuple[int, int], px_mm: float, rng: np.random.Generator) -> Layout:
    w_mm, h_mm = page_mm
    m = rng.uniform(8, 14)
    header_h = rng.uniform(32, 50)
    footer = rng.uniform(0, 14)
    gap = rng.uniform(3, 10)
    top = m + header_h
    panel_w = (w_mm - 2 * m - gap) / 2
    s = px_mm
    left = (m, top, m + panel_w, h_mm - m - footer)
    right = (m + panel_w + gap, top, w_mm - m, h_mm - m - footer)
    px = lambda box: tuple(int(round(v * s)) for v in box)  # noqa: E731
    return Layout(page_mm, px_mm, m * s, px((m, m, w_mm - m, top - 2)), (px(left), px(right)),
                  int(round(rng.uniform(7, 11) * s)))


def _fits(box: tuple[int, int, int, int], bbox: tuple[float, ...], label_h: int, pad: float) -> bool:
    wide_ok = (bbox[2] - bbox[0]) + 2 * pad <= box[2] - box[0]
    return wide_ok and (bbox[3] - bbox[1]) + 2 * pad <= box[3] - box[1] - label_h


def _place_in_panel(
    box: tuple[int, int, int, int], bbox: tuple[float, ...], label_h: int, pad: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Axis centre of a print whose bbox (centre at 0, 0) must lie in the panel below its label."""
    x0, y0, x1, y1 = box[0] + pad, box[1] + label_h + pad, box[2] - pad, box[3] - pad
    lo_x, hi_x = x0 - bbox[0], x1 - bbox[2]
    lo_y, hi_y = y0 - bbox[1], y1 - bbox[3]
    cx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else (lo_x + hi_x) / 2
    cy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else (lo_y + hi_y) / 2
    return float(cx), float(cy)


def render_form(
    spec: PrintSpec, debug: bool = False, *, capture: str | None = None, pen_lines: str | None = None
) -> Sample:
    """An ink-mat form with both feet of `spec`'s subject (pure: same spec, same bytes).

    `capture` ("scan" / "photo") and `pen_lines` ("near" / "wrong" / "none") override the random
    choices (tests); everything else is drawn as usual.
    """
    base = subject_anatomy(spec)
    rng = np.random.default_rng([spec.seed, 2, spec.index])
    anatomies = {foot: session_variant(base, rng) for foot in ("left", "right")}
    shapes = {foot: foot_shapes(a) for foot, a in anatomies.items()}
    drawn = "photo" if rng.random() < PHOTO_SHARE else "scan"
    camera = ph.sample_camera(rng)  # drawn for scans too: the stream stays the same either way
    capture = capture or drawn
    angles = {foot: float(rng.uniform(-6, 6)) for foot in ("left", "right")}

    # The page size: the first (by share) on which both feet fit their panels.
    order = list(PAGE_SIZES_MM)
    first = _weighted(rng, [(i, s) for i, (_, s) in enumerate(order)])
    order = order[first:] + order[:first]
    dpi = _weighted(rng, SCAN_DPIS)  # used by scans only
    for page_mm, _ in order + [(max(PAGE_SIZES_MM)[0], 0.0)]:
        px_mm = dpi / 25.4 if capture == "scan" else camera.page_px_per_mm(page_mm)
        layout = _layout(page_mm, px_mm, rng)
        boxes = {f: final_bbox(shapes[f], f, angles[f], px_mm * 25.4, base.length_mm) for f in shapes}
        if all(_fits(layout.panels[0], b, layout.label_h, px_mm) for b in boxes.values()):
            break
    else:  # a broad foot on the widest page: laid straight, it may still touch its panel's border
        for f in shapes:
            if not _fits(layout.panels[0], boxes[f], layout.label_h, px_mm):
                angles[f] = 0.0
                boxes[f] = final_bbox(shapes[f], f, 0.0, px_mm * 25.4, base.length_mm)
    page_hw = layout.page_hw
    px_mm = layout.px_mm
    render_dpi = px_mm * 25.4
    left_first = rng.random() < 0.85  # most forms: left foot in the left panel
    panel_of = {"left": 0, "right": 1} if left_first else {"left": 1, "right": 0}

    style = sample_mat_style(rng)
    placed: dict[str, PlacedFoot] = {}
    for foot in ("left", "right"):
        box = layout.panels[panel_of[foot]]
        cx, cy = _place_in_panel(box, boxes[foot], layout.label_h, px_mm, rng)
        pose = Pose(cx, cy, angles[foot], render_dpi, base.length_mm)
        foot_style = replace(style, load=style.load * float(rng.uniform(0.8, 1.15)))
        placed[foot] = render_foot(shapes[foot], pose, foot, page_hw, rng, foot_style)

    page = art.paper(page_hw, rng, render_dpi)
    # light prints too: a dry mat leaves a pale grey grid (real ink-mat sheets)
    ink_strength = np.float32(rng.uniform(0.8, 0.95) if rng.random() < 0.7 else rng.uniform(0.45, 0.8))
    for foot in placed.values():
        r = foot.render
        h, w = r.density.shape
        page[r.y0 : r.y0 + h, r.x0 : r.x0 + w] *= 1.0 - ink_strength * r.density
    ink_colour = _choice(rng, INK_COLOURS)

    elements = _printed_form(layout, panel_of, rng)
    drawn_pen = _weighted(rng, PEN_LINES_SHARES)
    pen_lines = pen_lines or drawn_pen
    pen_colour = _choice(rng, PEN_COLOURS)
    marks, pen_elements = _pen_marks(placed, pen_lines, px_mm, pen_colour, rng, page_hw)
    elements += pen_elements
    writing = _handwriting(layout, spec.subject, pen_colour, rng)
    elements += writing
    rulers = rng.random() < PRINTED_RULER_SHARE
    if rulers:
        elements += _printed_rulers(placed, px_mm, rng)

    colour = capture == "photo" or rng.random() < 0.7
    pixels = _to_pixels(page, ink_colour, colour, rng)
    for element in elements:
        _paint(pixels, element)

    feet = [FootTruth(foot, placed[foot].points.copy(), placed[foot].visible.copy()) for foot in ("left", "right")]
    page_points = {f.foot: f.points.copy() for f in feet}
    extra: dict[str, str] = {}
    if capture == "photo":
        shot = ph.photograph(pixels, camera, rng)
        for f in feet:
            f.points = ph.apply_homography(shot.homography, f.points)
        data, frame_hw, h = shot.jpeg, camera.frame_hw, shot.homography
        extra["page_corners"] = json.dumps([[round(float(x), 2), round(float(y), 2)] for x, y in shot.corners])
        extra["page_size_mm"] = f"{page_mm[0]}x{page_mm[1]}"
    else:
        data = _scan_page(pixels, placed, render_dpi, rng)
        frame_hw, h = page_hw, np.eye(3)
        extra["page_size_mm"] = f"{page_mm[0]}x{page_mm[1]}"
    for f in feet:  # keep every landmark inside the image (they are, by the layout; clamp for safety)
        f.points[:, 0] = np.clip(f.points[:, 0], 0, frame_hw[1] - 1)
        f.points[:, 1] = np.clip(f.points[:, 1], 0, frame_hw[0] - 1)
    attrs = attributes(
        spec,
        base,
        dpi=f"{render_dpi:g}" if capture == "scan" else "",
        capture=capture,
        sheet="form",
        ink=style.ink,
        pen_lines=pen_lines,
        panel_order="left,right" if left_first else "right,left",
        artefacts=";".join(
            ["form"] + (["pen marks"] if marks else []) + (["pen"] if writing else []) + (["ruler bars"] if rulers else [])
        ),
        **extra,
    )
    sample = Sample(spec.filename, data, attrs, feet)
    if debug:
        sample.debug = {
            "page_points": page_points,
            "page_mask": full_mask(list(placed.values()), page_hw),
            "foot_masks": {f: full_mask([p], page_hw) for f, p in placed.items()},
            "homography": h,
            "page_px_per_mm": px_mm,
            "pen_marks": marks,
            "panels": {foot: layout.panels[panel_of[foot]] for foot in placed},
            "page": pixels,
        }
    return sample


# ----------------------------------------------------------------------------- the printed form


def _text(text: str, height_px: int, bold: bool = False) -> np.ndarray:
    """Coverage of printed text `height_px` tall."""
    font = ImageFont.load_default(size=max(8, int(height_px)))
    left, top, right, bottom = font.getbbox(text, stroke_width=1 if bold else 0)
    canvas = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, fill=255, font=font, stroke_width=1 if bold else 0,
                                stroke_fill=255)
    return np.asarray(canvas, dtype=np.float32) / np.float32(255.0)


def _rectangle(box: tuple[int, int, int, int], width: int, colour) -> list[Element]:
    x0, y0, x1, y1 = box
    horizontal = np.ones((width, x1 - x0 + width), np.float32)
    vertical = np.ones((y1 - y0 + width, width), np.float32)
    return [Element(horizontal, x0, y0, colour), Element(horizontal, x0, y1, colour),
            Element(vertical, x0, y0, colour), Element(vertical, x1, y0, colour)]


def _printed_form(layout: Layout, panel_of: dict[str, int], rng: np.random.Generator) -> list[Element]:
    """Header (logo box, title, clinic, field lines), panel borders and panel labels."""
    s = layout.px_mm
    text_colour = _choice(rng, PRINTED_COLOURS[:2])
    accent = _choice(rng, PRINTED_COLOURS)
    elements: list[Element] = []
    hx0, hy0, hx1, hy1 = layout.header
    # Logo box on the left or right of the header: a frame with a foot-like mark and initials.
    logo_w, logo_h = int(rng.uniform(18, 30) * s), int(min(hy1 - hy0, rng.uniform(16, 26) * s))
    logo_right = rng.random() < 0.4
    lx = hx1 - logo_w if logo_right else hx0
    logo = Image.new("L", (logo_w, logo_h), 0)
    draw = ImageDraw.Draw(logo)
    line = max(1, int(0.5 * s))
    draw.rectangle([0, 0, logo_w - 1, logo_h - 1], outline=255, width=line)
    draw.ellipse([logo_w * 0.15, logo_h * 0.15, logo_w * 0.45, logo_h * 0.85], fill=255 if rng.random() < 0.5 else 0,
                 outline=255, width=line)
    font = ImageFont.load_default(size=max(8, int(logo_h * 0.3)))
    initials = "".join(_choice(rng, "ABCDEFGHPRST") for _ in range(2))
    draw.text((logo_w * 0.52, logo_h * 0.3), initials, fill=255, font=font)
    elements.append(Element(np.asarray(logo, np.float32) / 255.0, lx, hy0, accent))
    # Title, clinic name and field lines beside the logo.
    tx = hx0 + (0 if logo_right else logo_w + int(6 * s))
    ty = hy0
    title = _text(_choice(rng, TITLES), int(rng.uniform(4.5, 7) * s), bold=True)
    elements.append(Element(title, tx, ty, accent if rng.random() < 0.5 else text_colour))
    ty += title.shape[0] + int(1.5 * s)
    if rng.random() < 0.7:
        clinic = _text(_choice(rng, CLINICS), int(rng.uniform(3, 4) * s))
        elements.append(Element(clinic, tx, ty, text_colour))
        ty += clinic.shape[0] + int(2 * s)
    field_h = int(rng.uniform(3, 4) * s)
    fields = list(rng.permutation(FIELDS)[: int(rng.integers(1, 4))])
    limit = (hx1 - logo_w - int(4 * s)) if logo_right else hx1
    fx = tx
    for name in fields:
        label = _text(str(name), field_h)
        if ty + label.shape[0] > hy1:
            break
        length = int(rng.uniform(35, 70) * s)
        if fx + label.shape[1] + length > limit:
            fx = tx
            ty += label.shape[0] + int(2 * s)
            if ty + label.shape[0] > hy1:
                break
        elements.append(Element(label, fx, ty, text_colour))
        underline = np.ones((max(1, int(0.25 * s)), length), np.float32)
        elements.append(Element(underline, fx + label.shape[1] + int(1 * s), ty + label.shape[0] - 2, text_colour))
        fx += label.shape[1] + length + int(6 * s)
    # Panels: border rectangles (sometimes only a divider line) and their labels.
    width = max(1, int(rng.uniform(0.25, 0.7) * s))
    border_colour = accent if rng.random() < 0.35 else text_colour
    labels = _choice(rng, PANEL_LABELS)
    if rng.random() < 0.75:
        for box in layout.panels:
            elements += _rectangle(box, width, border_colour)
    else:  # a single divider between the panels, as on some vendors' sheets
        x = (layout.panels[0][2] + layout.panels[1][0]) // 2
        y0, y1 = layout.panels[0][1], layout.panels[0][3]
        elements.append(Element(np.ones((y1 - y0, width), np.float32), x, y0, border_colour))
    label_h = int(rng.uniform(3, 4.5) * s)
    for foot, i in panel_of.items():
        box = layout.panels[i]
        text = _text(labels[0] if foot == "left" else labels[1], label_h, bold=rng.random() < 0.5)
        x = box[0] + int(3 * s) if rng.random() < 0.5 else (box[0] + box[2] - text.shape[1]) // 2
        elements.append(Element(text, x, box[1] + int(2 * s), text_colour))
    return elements


def _handwriting(layout: Layout, subject: str, colour, rng: np.random.Generator) -> list[Element]:
    """The clinician fills in a field or two of the header."""
    s = layout.px_mm
    hx0, hy0, hx1, hy1 = layout.header
    out = []
    for _ in range(int(rng.integers(0, 3))):
        cov = art.pen_text(art.handwriting_text(rng, subject), int(s * rng.uniform(4, 7)), rng)
        x = int(rng.uniform(hx0 + 0.3 * (hx1 - hx0), max(hx0 + 0.3 * (hx1 - hx0) + 1, hx1 - cov.shape[1])))
        y = int(rng.uniform(hy0, max(hy0 + 1, hy1 - cov.shape[0])))
        out.append(Element(cov, x, y, colour))
    return out


# ----------------------------------------------------------------------------- pen marks


def _strokes(polylines: list[np.ndarray], width_px: float) -> tuple[np.ndarray, int, int]:
    """Coverage of `polylines` (page px) drawn `width_px` wide, and its top-left corner."""
    pts = np.concatenate(polylines)
    pad = int(width_px) + 3
    x0, y0 = int(np.floor(pts[:, 0].min())) - pad, int(np.floor(pts[:, 1].min())) - pad
    x1, y1 = int(np.ceil(pts[:, 0].max())) + pad, int(np.ceil(pts[:, 1].max())) + pad
    ss = 2  # drawn at twice the size and reduced: smooth edges
    canvas = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
    draw = ImageDraw.Draw(canvas)
    for line in polylines:
        xy = [((x - x0 + 0.5) * ss, (y - y0 + 0.5) * ss) for x, y in line]
        draw.line(xy, fill=255, width=max(1, int(round(width_px * ss))), joint="curve")
    canvas = canvas.resize((x1 - x0, y1 - y0), Image.BILINEAR)
    return np.asarray(canvas, np.float32) / np.float32(255.0), x0, y0


def _hand_line(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, wobble_px: float) -> np.ndarray:
    """A hand-drawn straight line from a to b: a slight bow and jitter."""
    t = np.linspace(0, 1, 13)[:, None]  # odd: the middle point is at t = 0.5
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-9)
    bow = rng.uniform(-1, 1) * wobble_px * np.sin(np.pi * t)
    jitter = rng.normal(0, wobble_px * 0.15, (len(t), 1))
    jitter[[0, -1]] = 0.0  # the ends stay where the hand put them (an arrow's tip)
    return a + t * d + (bow + jitter) * normal


def _frame(foot: PlacedFoot) -> tuple[np.ndarray, np.ndarray]:
    """Unit distal and lateral vectors of a placed foot (axis from point 8 to point 2)."""
    axis = foot.points[1] - foot.points[HEEL - 1]
    distal = axis / np.linalg.norm(axis)
    right = np.array([-distal[1], distal[0]])  # right of distal in the image (x right, y down)
    return distal, (right if foot.config == "right" else -right)


def _outer_extent(foot: PlacedFoot, origin: np.ndarray, distal: np.ndarray, out: np.ndarray, level: float,
                  half: float) -> float | None:
    """How far (px along `out`) the ink reaches around `level` (px along `distal` from `origin`)."""
    r = foot.render
    rows, cols = np.nonzero(r.ink[::2, ::2])
    xy = np.column_stack([cols * 2 + r.x0, rows * 2 + r.y0]).astype(float) - origin
    t = xy @ distal
    near = np.abs(t - level) <= half
    if not near.any():
        return None
    return float((xy[near] @ out).max())


def _pen_marks(
    placed: dict[str, PlacedFoot], mode: str, px_mm: float, colour, rng: np.random.Generator,
    page_hw: tuple[int, int],
) -> tuple[list[PenMark], list[Element]]:
    """Toe and heel lines and forefoot arrows of `mode` (near / wrong / none) for both feet; a
    mark that would lie off the page (a wrong heel line below a heel near the page's edge) is not
    drawn."""

    def on_page(q: np.ndarray) -> bool:
        return bool(0 <= q[0] <= page_hw[1] - 1 and 0 <= q[1] <= page_hw[0] - 1)

    if mode == "none":
        return [], []
    marks: list[PenMark] = []
    elements: list[Element] = []
    bar = rng.random() < 0.35  # lines drawn with the mat's ruler: hatched bars instead of pen strokes
    width = px_mm * rng.uniform(0.3, 0.7)
    wrong = mode == "wrong"

    def shift() -> float:
        return px_mm * rng.uniform(*WRONG_SHIFT_MM)

    for foot_name, foot in placed.items():
        distal, lateral = _frame(foot)
        across = np.array([distal[1], -distal[0]])  # perpendicular to the axis
        p = foot.points
        heel = p[HEEL - 1]
        reach = (p[: len(TOE_IDS)] - heel) @ distal
        toe = int(np.argmax(reach)) + 1  # the longest toe
        for kind, landmark in (("toe line", toe), ("heel line", HEEL)):
            if kind == "heel line" and rng.random() < 0.1:
                continue
            outward = distal if kind == "toe line" else -distal
            gap = px_mm * rng.uniform(1.5, 4.0) + (shift() if wrong else 0.0)
            centre = p[landmark - 1] + outward * gap + lateral * px_mm * rng.uniform(-3, 3)
            if not on_page(centre):
                continue
            half = px_mm * rng.uniform(7, 16)
            tilt = np.deg2rad(rng.normal(0, 4))
            direction = across * np.cos(tilt) + outward * np.sin(tilt)
            a, b = centre - direction * half, centre + direction * half
            if bar:
                lines = [_hand_line(a + outward * o * px_mm, b + outward * o * px_mm, rng, 0.3 * px_mm)
                         for o in (0.0, -0.6, 0.6)]
                n_ticks = int(2 * half / (1.5 * px_mm))
                for i in range(n_ticks + 1):
                    q = a + (b - a) * i / max(n_ticks, 1)
                    lines.append(np.array([q - outward * 1.2 * px_mm, q + outward * 1.2 * px_mm]))
                cov, x0, y0 = _strokes(lines, max(1.0, 0.3 * px_mm))
                elements.append(Element(cov * np.float32(rng.uniform(0.6, 0.9)), x0, y0, (0.1, 0.1, 0.12)))
            else:
                lines = [_hand_line(a, b, rng, 0.8 * px_mm)]
                cov, x0, y0 = _strokes(lines, width)
                elements.append(Element(cov, x0, y0, colour))
            marks.append(PenMark(foot_name, landmark, kind, lines[0][len(lines[0]) // 2]))  # the stroke's middle
        if rng.random() < 0.25:
            continue  # no arrows on this foot
        for landmark, out in ((MEDIAL_FOREFOOT, -lateral), (LATERAL_FOREFOOT, lateral)):
            point = p[landmark - 1]
            level = float((point - heel) @ distal)
            gap = px_mm * rng.uniform(1.5, 4.0)
            if wrong:
                level += shift() * (1 if rng.random() < 0.5 else -1)
                reach_out = _outer_extent(foot, heel, distal, out, level, 1.5 * px_mm)
                base = float((point - heel) @ out) if reach_out is None else reach_out
                tip = heel + distal * level + out * (base + gap)
            else:
                tip = point + out * gap + distal * px_mm * rng.uniform(-2, 2)
            if not on_page(tip):
                continue
            tail = tip + out * px_mm * rng.uniform(8, 15)
            head = px_mm * rng.uniform(2, 3.5)
            back = out * head
            wing = np.array([-out[1], out[0]]) * head * 0.6
            lines = [_hand_line(tail, tip, rng, 0.4 * px_mm), np.array([tip + back + wing, tip, tip + back - wing])]
            cov, x0, y0 = _strokes(lines, width)
            elements.append(Element(cov, x0, y0, colour))
            marks.append(PenMark(foot_name, landmark, "arrow", tip))
    return marks, elements


def _printed_rulers(placed: dict[str, PlacedFoot], px_mm: float, rng: np.random.Generator) -> list[Element]:
    """Graduated bars printed on the form: a thick bar with ticks above the toes, below the heel
    and (sometimes) beside the lateral forefoot, from overlapping the print by 1.5 mm to 6 mm
    clear of it. Printed, so not print: the landmarks ignore them."""
    out: list[Element] = []
    thick = px_mm * rng.uniform(1.2, 2.5)
    for foot in placed.values():
        distal, lateral = _frame(foot)
        across = np.array([distal[1], -distal[0]])
        p = foot.points
        spots = [(p[1], distal, across, rng.uniform(35, 60)), (p[HEEL - 1], -distal, across, rng.uniform(25, 45))]
        if rng.random() < 0.6:
            spots.append((p[LATERAL_FOREFOOT - 1], lateral, distal, rng.uniform(20, 40)))
        for anchor, outward, along, length_mm in spots:
            centre = anchor + outward * px_mm * rng.uniform(-1.5, 6.0) + along * px_mm * rng.uniform(-8, 8)
            half = along * px_mm * length_mm / 2
            bar, x0, y0 = _strokes([np.stack([centre - half, centre + half])], thick)
            out.append(Element(bar, x0, y0, (0.07, 0.07, 0.09)))
            edge = centre + outward * thick / 2
            ticks = [np.stack([edge + t * half, edge + t * half + outward * px_mm * rng.uniform(1.0, 2.0)])
                     for t in np.linspace(-1, 1, int(rng.integers(6, 13)))]
            cov, x0, y0 = _strokes(ticks, max(1.0, 0.3 * px_mm))
            out.append(Element(cov, x0, y0, (0.07, 0.07, 0.09)))
    return out


# ----------------------------------------------------------------------------- pixels and scanner


def _to_pixels(page: np.ndarray, ink_colour, colour: bool, rng: np.random.Generator) -> np.ndarray:
    """Gray reflectance (paper x ink) to uint8 RGB (paper tint, ink colour) or to uint8 gray."""
    if not colour:
        return art.quantise(page)
    tint = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.92, 0.99)], np.float32)
    ink = np.array(ink_colour, np.float32)
    # Paper tint where light, ink colour where dark: a per-channel linear map of the reflectance.
    lo = ink
    out = np.empty((*page.shape, 3), np.uint8)
    for c in range(3):
        channel = (lo[c] + (tint[c] - lo[c]) * page) * np.float32(255.0) + np.float32(0.5)
        np.clip(channel, 0, 255, out=channel)
        out[..., c] = channel
    return out


def _paint(pixels: np.ndarray, element: Element) -> None:
    """Darken `pixels` (uint8 gray or RGB) toward the element's colour by its coverage (clipped)."""
    h, w = pixels.shape[:2]
    cov = element.coverage
    ch, cw = cov.shape
    x0, y0 = element.x0, element.y0
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(w, x0 + cw), min(h, y0 + ch)
    if ix1 <= ix0 or iy1 <= iy0:
        return
    c = cov[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    region = pixels[iy0:iy1, ix0:ix1].astype(np.float32)
    target = np.array(element.colour, np.float32) * 255.0
    if pixels.ndim == 2:
        gray = float(target @ np.array([0.299, 0.587, 0.114], np.float32))
        region -= c * np.maximum(region - gray, 0.0)
    else:
        region -= c[..., None] * np.maximum(region - target, 0.0)
    pixels[iy0:iy1, ix0:ix1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _scan_page(pixels: np.ndarray, placed: dict[str, PlacedFoot], dpi: float, rng: np.random.Generator) -> bytes:
    """A flatbed scan of the form: optics blur over the prints, sensor noise, JPEG with the dpi."""
    radius = float(rng.uniform(0.3, 1.0))
    for foot in placed.values():
        r = foot.render
        h, w = r.ink.shape
        x0, y0, x1, y1 = max(0, r.x0 - 3), max(0, r.y0 - 3), r.x0 + w + 3, r.y0 + h + 3
        patch = Image.fromarray(np.ascontiguousarray(pixels[y0:y1, x0:x1])).filter(ImageFilter.BoxBlur(radius))
        pixels[y0:y1, x0:x1] = np.asarray(patch)
    pixels = art.tone_curve(pixels, float(rng.uniform(0.85, 1.2)))  # the scanner's contrast / gamma
    sigma = float(rng.uniform(1.0, 3.0))
    if pixels.ndim == 2:
        pixels = art.scanner_noise(pixels, rng, sigma)
        mode = "L"
    else:
        pixels = ph.colour_noise(pixels, rng, sigma)
        mode = "RGB"
    out = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(out, "JPEG", quality=int(rng.integers(75, 96)), dpi=(dpi, dpi))
    return out.getvalue()
