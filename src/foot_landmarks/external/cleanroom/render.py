"""Page assembly for the three kinds of capture, and the ground truth of every page.

Each page is drawn from its own random stream (seed, kind, page number), so a page does not
depend on the size of the set it belongs to.

Where the points come from: every kind keeps, next to the picture, two label images in the same
pixel frame: the visible ink of each foot (codes per toe and sole, see raster.py) and the outline
of each toe pad. Marks drawn over the print (ruler bars, pen lines) remove the ink they hide.
Quarter turns and the phone camera's homography are applied to these label images exactly as to
the picture (nearest-neighbour for labels), and the landmarks are then computed by truth.py in the
final DISPLAYED frame: for photographs the extremes are taken in photo pixels, after the
homography, as LANDMARKS.md defines the points in the image's own pixels. A JPEG stored with an
EXIF Orientation tag holds the transposed pixels; its points stay in the displayed frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from foot_landmarks.external.cleanroom import marks, surfaces
from foot_landmarks.external.cleanroom.anatomy import FootModel, sample_foot
from foot_landmarks.external.cleanroom.camera import (
    EXIF_DISPLAYED_TO_STORED,
    phone_camera,
    quarter_turn,
    warp,
)
from foot_landmarks.external.cleanroom.forms import CLINICS, draw_form, logo, sample_form
from foot_landmarks.external.cleanroom.inks import (
    PRINT_THRESHOLD,
    ink_alpha,
    sample_ink_style,
    smooth_noise,
)
from foot_landmarks.external.cleanroom.raster import (
    SOLE_LABEL,
    FootRaster,
    affine,
    apply,
    placement,
    rasterise_foot,
    translation,
)
from foot_landmarks.external.cleanroom.truth import FootTruth, foot_landmarks

KINDS = ("photo_form", "flatbed_ink", "bare_sole")
SOURCE = "cleanroom"
MIN_TOE_AREA_MM2 = 2.0
BROKEN_PERIOD = 33  # one broken page in every 33 consecutive pages (about 3 %)
ORIENTATION_MODES = ("upright", "quarter", "any", "exif")


# --------------------------------------------------------------------------- records


@dataclass
class PlacedFoot:
    side: str  # anatomical side
    region_foot: str  # the `foot` region attribute: "" on one-foot images
    base: int  # label code base (0 or 10)
    model: FootModel
    matrix: np.ndarray  # model mm -> current image px
    usable: bool = True
    truth: FootTruth | None = None


@dataclass
class Assembly:
    """A page in the making: picture, label images in the same frame, and what is known of it."""

    image: Image.Image
    ink: np.ndarray  # uint8 codes of visible ink
    outline: np.ndarray  # uint8 codes of toe pad outlines
    feet: list[PlacedFoot]
    dpi: int | None
    view: str
    extension: str
    quality: int
    exif_orientation: int = 1
    attributes: dict[str, str] = field(default_factory=dict)

    def turn(self, k: int) -> None:
        """Quarter turns counter-clockwise (np.rot90) of the picture, labels and placements."""
        if k % 4 == 0:
            return
        m = quarter_turn(k, self.image.size)
        ops = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}
        self.image = self.image.transpose(ops[k % 4])
        self.ink = np.ascontiguousarray(np.rot90(self.ink, k))
        self.outline = np.ascontiguousarray(np.rot90(self.outline, k))
        for foot in self.feet:
            foot.matrix = m @ foot.matrix


@dataclass
class RenderedPage:
    name: str
    kind: str
    data: bytes  # the file as written
    image: Image.Image  # as displayed (EXIF orientation applied)
    attributes: dict[str, str]
    feet: list[PlacedFoot]
    ink: np.ndarray  # displayed frame
    outline: np.ndarray  # displayed frame
    exif_orientation: int

    @property
    def usable(self) -> bool:
        return self.attributes.get("usable") == "true"


# --------------------------------------------------------------------------- helpers


def page_rng(kind: str, seed: int, index: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), KINDS.index(kind), int(index), stream]))


def is_broken(kind: str, seed: int, index: int) -> bool:
    """About 3 % of pages are broken (print mostly cut or covered): one in every BROKEN_PERIOD
    consecutive pages, at a phase fixed by the seed and kind."""
    phase = int(page_rng(kind, seed, 0, stream=1).integers(BROKEN_PERIOD))
    return (index + phase) % BROKEN_PERIOD == 0


def sample_orientation(rng: np.random.Generator, allow_exif: bool) -> tuple[str, float, int, int]:
    """(mode, rotation in degrees clockwise, quarter turns, EXIF orientation value)."""
    p = np.array([0.65, 0.14, 0.11, 0.10 if allow_exif else 0.0])
    mode = ORIENTATION_MODES[int(rng.choice(4, p=p / p.sum()))]
    if mode == "upright":
        return mode, float(np.clip(rng.normal(0.0, 6.0), -15.0, 15.0)), 0, 1
    if mode == "quarter":
        return mode, float(np.clip(rng.normal(0.0, 3.0), -8.0, 8.0)), int(rng.integers(1, 4)), 1
    if mode == "any":
        return mode, float(rng.uniform(0.0, 360.0)), 0, 1
    return mode, float(np.clip(rng.normal(0.0, 5.0), -15.0, 15.0)), 0, int(rng.integers(2, 9))


@dataclass(frozen=True)
class PagePlan:
    """What a page will be, decided before it is drawn (cheap: lets tests pick pages)."""

    broken: bool
    extension: str  # "jpg" or "png"
    orientation_mode: str  # upright, quarter (turned 90/180/270), any (any angle), exif
    rotation_deg: float  # clockwise turn of the foot (or the camera's roll) before quarter turns
    quarter_turns: int  # counter-clockwise quarter turns of the whole image
    exif_orientation: int  # 1, or 2-8: the file stores the transposed pixels


PNG_SHARE = {"photo_form": 0.0, "flatbed_ink": 0.12, "bare_sole": 0.15}


def page_plan(kind: str, seed: int, index: int) -> PagePlan:
    rng = page_rng(kind, seed, index, stream=2)
    extension = "png" if rng.random() < PNG_SHARE[kind] else "jpg"
    mode, angle, quarter, exif = sample_orientation(rng, allow_exif=extension == "jpg")
    return PagePlan(is_broken(kind, seed, index), extension, mode, angle, quarter, exif)


def model_points(model: FootModel) -> np.ndarray:
    return np.vstack([model.sole, model.silhouette] + [t.outline(24) for t in model.toes])


def extent(matrix: np.ndarray, model: FootModel) -> tuple[float, float, float, float]:
    pts = apply(matrix, model_points(model))
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def local_scale(matrix: np.ndarray, point: tuple[float, float]) -> float:
    """Image pixels per model millimetre at `point` (mm)."""
    p = np.asarray(point, dtype=float)
    a = apply(matrix, np.array([p, p + [1.0, 0.0], p + [0.0, 1.0]]))
    jx, jy = a[1] - a[0], a[2] - a[0]
    return float(np.sqrt(abs(jx[0] * jy[1] - jx[1] * jy[0])))


def compute_truth(ink: np.ndarray, outline: np.ndarray, foot: PlacedFoot) -> FootTruth:
    """The foot's landmarks in the frame of `ink` (see truth.py), on a crop around the foot."""
    h, w = ink.shape
    x0, y0, x1, y1 = extent(foot.matrix, foot.model)
    pad = 8
    box = (max(int(x0) - pad, 0), max(int(y0) - pad, 0), min(int(x1) + pad + 1, w), min(int(y1) + pad + 1, h))
    crop = (slice(box[1], box[3]), slice(box[0], box[2]))
    m = foot.model
    axis_pts = apply(foot.matrix, np.array([m.heel_point, m.toe(2).tip]))
    medial_pts = apply(foot.matrix, np.array([m.centre, (m.centre[0] - 10.0, m.centre[1])]))
    return foot_landmarks(
        ink[crop], outline[crop], foot.base, axis_pts[1] - axis_pts[0], medial_pts[1] - medial_pts[0],
        local_scale(foot.matrix, m.centre), offset=(box[0], box[1]),
    )


@dataclass
class FootInk:
    """One foot's ink on a page: pixel rows/cols (page), label and alpha of every contact pixel."""

    raster: FootRaster
    ys: np.ndarray
    xs: np.ndarray
    labels: np.ndarray
    alpha: np.ndarray

    @property
    def printed(self) -> np.ndarray:
        return self.alpha >= PRINT_THRESHOLD


def ink_foot(raster: FootRaster, style, model: FootModel, rng: np.random.Generator, px_per_mm: float) -> FootInk:
    """Ink alpha of a rasterised foot; a toe that printed less than MIN_TOE_AREA_MM2 left no ink."""
    ys, xs, labels, alpha = ink_alpha(raster, style, {t.number: t.ink for t in model.toes}, rng)
    min_px = MIN_TOE_AREA_MM2 * px_per_mm**2
    for k in range(1, 6):
        part = labels == k
        if 0 < np.count_nonzero(part & (alpha >= PRINT_THRESHOLD)) < min_px:
            alpha[part] = 0.0
    x0, y0 = raster.box[:2]
    return FootInk(raster, ys + y0, xs + x0, labels, alpha)


def paste_labels(ink: np.ndarray, outline: np.ndarray, foot_ink: FootInk, base: int) -> None:
    printed = foot_ink.printed
    ink[foot_ink.ys[printed], foot_ink.xs[printed]] = foot_ink.labels[printed] + base
    x0, y0, x1, y1 = foot_ink.raster.box
    region = outline[y0:y1, x0:x1]
    has = foot_ink.raster.outline > 0
    region[has] = foot_ink.raster.outline[has] + base


def composite(rgb: np.ndarray, foot_ink: FootInk, colour: tuple[int, int, int]) -> None:
    """Ink the page (uint8 RGB, in place) with the foot's alpha."""
    keep = foot_ink.alpha > 0.004
    flat = rgb.reshape(-1, 3)
    idx = foot_ink.ys[keep] * rgb.shape[1] + foot_ink.xs[keep]
    a = foot_ink.alpha[keep]
    absorb = 1.0 - np.asarray(colour, dtype=np.float32) / 255.0
    px = flat[idx].astype(np.float32)
    px *= 1.0 - a[:, None] * absorb[None, :]
    flat[idx] = (px + 0.5).astype(np.uint8)


def print_pixels(ink: np.ndarray, base: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """(n, 2) x, y page coordinates of a foot's visible ink inside `box`."""
    x0, y0, x1, y1 = box
    crop = ink[y0:y1, x0:x1]
    ys, xs = np.nonzero((crop > base) & (crop <= base + SOLE_LABEL))
    return np.stack([xs + x0, ys + y0], 1).astype(float)


class FreeSpace:
    """Coarse occupancy of a page, to put marks where they do not cover the print."""

    def __init__(self, size: tuple[int, int], cell: float):
        self.cell = max(cell, 1.0)
        self.grid = np.zeros((int(np.ceil(size[1] / self.cell)) + 1, int(np.ceil(size[0] / self.cell)) + 1), dtype=bool)
        self.size = size

    def occupy(self, box: tuple[float, float, float, float], margin: float = 0.0) -> None:
        x0, y0, x1, y1 = box
        c = self.cell
        self.grid[max(int((y0 - margin) // c), 0): int((y1 + margin) // c) + 1,
                  max(int((x0 - margin) // c), 0): int((x1 + margin) // c) + 1] = True

    def find(self, rng: np.random.Generator, w: float, h: float, tries: int = 40) -> tuple[float, float] | None:
        """Top-left corner of a free `w` x `h` box inside the page, or None."""
        W, H = self.size
        if w >= W or h >= H:
            return None
        c = self.cell
        for _ in range(tries):
            x, y = rng.uniform(0, W - w), rng.uniform(0, H - h)
            if not self.grid[int(y // c): int((y + h) // c) + 1, int(x // c): int((x + w) // c) + 1].any():
                self.occupy((x, y, x + w, y + h))
                return float(x), float(y)
        return None


def write_words(pen: marks.Pen, rng: np.random.Generator, space: FreeSpace, height: float,
                colour: tuple[int, int, int], n_letters: int) -> bool:
    """Handwriting somewhere free on the page."""
    width = n_letters * height * 0.75 + height * 2
    spot = space.find(rng, width, height * 3.2)
    if spot is None:
        return False
    origin = (spot[0] + height, spot[1] + height * 1.9)
    for stroke in marks.handwriting(rng, origin, height, n_letters, angle_deg=rng.normal(0, 3)):
        pen.line(stroke, colour, max(int(height * 0.09), 1))
    return True


def bar_towards_print(pen: marks.Pen, rng: np.random.Generator, pts: np.ndarray, approach: str,
                      corridor: tuple[float, float], gap_px: float, length: float, thickness: float,
                      px_per_mm: float, colour: tuple[int, int, int], start_along: float | None = None) -> bool:
    """A graduated bar whose leading edge stops `gap_px` short of the print (overlaps it if negative).

    approach: "down" (bar above the print, moving down), "up" (below the print), "left" / "right"
    (beside the print, moving toward it). The corridor is the x (down/up) or y (left/right) range
    the bar covers.
    """
    lo, hi = corridor
    if approach in ("down", "up"):
        # Ticks stand on the far side of the bar, so only the bar itself approaches the print.
        sel = pts[(pts[:, 0] >= lo - 1) & (pts[:, 0] <= hi + 1)]
        if len(sel) == 0:
            return False
        if approach == "down":
            edge = sel[:, 1].min() - gap_px - 1.0
            side = -1.0
        else:
            edge = sel[:, 1].max() + gap_px + 1.0
            side = 1.0
        polys = marks.ruler_bar(rng, np.array([lo, edge]), np.array([1.0, 0.0]), hi - lo, thickness, px_per_mm,
                                tick_side=side)
    else:
        # A bar beside the print ends near it; its ticks hang below it, so they count in the corridor.
        sel = pts[(pts[:, 1] >= lo - 1) & (pts[:, 1] <= hi + 0.9 * (hi - lo) + 1)]
        if len(sel) == 0:
            return False
        if approach == "left":  # the bar lies right of the print and ends at its left end
            start = np.array([sel[:, 0].max() + gap_px + 1.0, lo])
        else:
            start = np.array([sel[:, 0].min() - gap_px - 1.0 - length, lo])
        polys = marks.ruler_bar(rng, start, np.array([1.0, 0.0]), length, hi - lo, px_per_mm, tick_side=1.0)
    for poly in polys:
        pen.polygon(poly, colour)
    return True


def soft_blur(strength: float) -> ImageFilter.Kernel:
    """A 3x3 blur, 0 (none) .. 1 (strong): cheaper than a Gaussian on a 300 dpi page."""
    a = float(np.clip(strength, 0.0, 1.0))
    return ImageFilter.Kernel((3, 3), [a * a, a, a * a, a, 4.0, a, a * a, a, a * a])


def encode(image: Image.Image, extension: str, quality: int, dpi: int | None, exif_orientation: int) -> bytes:
    """File bytes of the page; with an EXIF orientation the stored pixels are the transposed image."""
    stored = image
    kwargs: dict = {}
    if dpi:
        kwargs["dpi"] = (dpi, dpi)
    buf = io.BytesIO()
    if extension == "png":
        image.save(buf, "PNG", compress_level=1, **kwargs)
    else:
        if exif_orientation != 1:
            stored = image.transpose(EXIF_DISPLAYED_TO_STORED[exif_orientation])
            exif = Image.Exif()
            exif[0x0112] = exif_orientation
            kwargs["exif"] = exif.tobytes()
        stored.save(buf, "JPEG", quality=int(quality), **kwargs)
    return buf.getvalue()


# --------------------------------------------------------------------------- flatbed ink


def _pen_to_landmark(pen: marks.Pen, rng: np.random.Generator, truth: FootTruth, which: int,
                     px_per_mm: float, colour: tuple[int, int, int]) -> None:
    """A clinician's pen line or tick whose end touches point `which` (1 = hallux tip, 8 = heel)."""
    point = truth.points[which - 1]
    outward = truth.axis if which == 1 else -truth.axis
    t = np.radians(rng.uniform(-50, 50))
    d = np.array([outward[0] * np.cos(t) - outward[1] * np.sin(t), outward[0] * np.sin(t) + outward[1] * np.cos(t)])
    width = max(rng.uniform(0.3, 0.6) * px_per_mm, 1.5)
    end = point + d * max(width / 2.0 - 0.5, 0.0)
    far = end + d * rng.uniform(12, 40) * px_per_mm
    if rng.random() < 0.4:  # a tick: short hook at the far end
        hook = far + np.array([d[1], -d[0]]) * rng.uniform(3, 8) * px_per_mm * rng.choice([-1, 1])
        pen.line(np.array([end, far, hook]), colour, int(round(width)))
    else:
        pen.line(np.array([end, far]), colour, int(round(width)))


def render_flatbed(rng: np.random.Generator, plan: PagePlan) -> Assembly:
    broken, extension, mode, angle = plan.broken, plan.extension, plan.orientation_mode, plan.rotation_deg
    dpi = int(rng.choice([150, 200, 300], p=[0.12, 0.18, 0.70]))
    ppm = dpi / 25.4
    model = sample_foot(rng)
    side = "left" if rng.random() < 0.5 else "right"
    grayscale = rng.random() < 0.3
    m0 = placement(model, ppm, angle, (0.0, 0.0), hallux_on_right=side == "left")
    ex0, ey0, ex1, ey1 = extent(m0, model)
    layout = "a4" if mode != "any" and rng.random() < 0.55 else "crop"
    if layout == "a4":
        w, h = int(round(210 * ppm)), int(round(297 * ppm))
        room_x, room_y = w - (ex1 - ex0) - 12 * ppm, h - (ey1 - ey0) - 12 * ppm
        if room_x < 0 or room_y < 0:
            layout = "crop"
        else:
            centre = (6 * ppm - ex0 + rng.uniform(0, room_x), 6 * ppm - ey0 + rng.uniform(0, room_y))
    if layout == "crop":
        ml, mt, mr, mb = rng.uniform(6, 35, size=4) * ppm
        w, h = int(np.ceil(ex1 - ex0 + ml + mr)), int(np.ceil(ey1 - ey0 + mt + mb))
        centre = (ml - ex0, mt - ey0)
    defect = ""
    if broken:
        defect = str(rng.choice(["cut", "covered"]))
        if defect == "cut":  # most of the foot beyond one edge
            direction = [(0, 1), (0, -1), (1, 0), (-1, 0)][int(rng.integers(4))]
            span = (ey1 - ey0) if direction[1] else (ex1 - ex0)
            shift = rng.uniform(0.55, 0.75) * span
            centre = (centre[0] + direction[0] * shift, centre[1] + direction[1] * shift)
    matrix = translation(*centre) @ m0
    raster = rasterise_foot(model, matrix, (w, h), ppm, edge_mm=rng.uniform(2.0, 6.0))
    style = sample_ink_style(rng, ppm)
    foot_ink = ink_foot(raster, style, model, rng, ppm)

    ink = np.zeros((h, w), dtype=np.uint8)
    outline = np.zeros((h, w), dtype=np.uint8)
    paste_labels(ink, outline, foot_ink, 0)
    rgb = surfaces.paper(rng, (h, w), ppm)
    composite(rgb, foot_ink, style.colour)
    image = Image.fromarray(rgb)
    occluder = Image.new("1", (w, h), 0)
    pen = marks.Pen(ImageDraw.Draw(image), ImageDraw.Draw(occluder))
    foot = PlacedFoot(side=side, region_foot="", base=0, model=model, matrix=matrix, usable=not broken)
    space = FreeSpace((w, h), 4 * ppm)
    space.occupy(raster.box, margin=4 * ppm)
    drawn = []
    pen_colour = marks.PEN_COLOURS[str(rng.choice(list(marks.PEN_COLOURS), p=[0.5, 0.4, 0.1]))]

    if not broken:
        truth = compute_truth(ink, outline, foot)
        if rng.random() < 0.25:
            which = 1 if rng.random() < 0.6 else 8
            _pen_to_landmark(pen, rng, truth, which, ppm, pen_colour)
            drawn.append("pen_hallux" if which == 1 else "pen_heel")
        if rng.random() < 0.3 and abs(truth.axis[1]) > 0.85:  # bars lie along the page: only for upright feet
            pts = print_pixels(ink, 0, raster.box)
            toes_end = rng.random() < 0.6
            length = rng.uniform(35, 70) * ppm
            thickness = rng.uniform(2.0, 4.0) * ppm
            near = truth.points[0] if toes_end else truth.points[7]
            lo = near[0] - rng.uniform(0.2, 0.8) * length
            toes_up = truth.axis[1] < 0
            approach = ("down" if toes_up else "up") if toes_end else ("up" if toes_up else "down")
            if bar_towards_print(pen, rng, pts, approach, (lo, lo + length), rng.uniform(-0.4, 5.0) * ppm,
                                 length, thickness, ppm, (35, 35, 40)):
                drawn.append("ruler_toes" if toes_end else "ruler_heel")
    else:
        if defect == "covered":  # a blank sheet laid over most of the print
            x0, y0, x1, y1 = raster.box
            frac = rng.uniform(0.6, 0.85)
            t = np.radians(rng.normal(0, 4))
            edge_y = y0 + (1 - frac) * (y1 - y0)
            cover = np.array([[x0 - w, edge_y], [x1 + w, edge_y + np.tan(t) * (x1 - x0 + 2 * w)],
                              [x1 + w, y1 + h], [x0 - w, y1 + h]])
            if rng.random() < 0.5:
                cover[:, 1] = y0 + y1 - cover[:, 1]
            pen.polygon(cover, (236, 236, 232))
            pen.line(cover[:2], (150, 150, 150), max(int(0.4 * ppm), 1))
    if rng.random() < 0.6:
        for _ in range(int(rng.integers(1, 4))):
            if write_words(pen, rng, space, rng.uniform(3.5, 7.0) * ppm, pen_colour, int(rng.integers(4, 16))):
                drawn.append("handwriting")
    if rng.random() < 0.2:
        r = rng.uniform(10, 18) * ppm
        spot = space.find(rng, 2 * r, 2 * r)
        if spot is not None:
            colour = marks.PEN_COLOURS[str(rng.choice(["red", "blue"]))]
            marks.stamp(pen, rng, (spot[0] + r, spot[1] + r), r, colour, "CLINICA")
            drawn.append("stamp")
    if rng.random() < 0.15:  # a clinic's printed logo and name
        r = rng.uniform(5, 9) * ppm
        name = str(rng.choice(CLINICS))
        spot = space.find(rng, 2 * r + len(name) * r * 0.9, 2 * r)
        if spot is not None:
            accent = (int(rng.uniform(20, 90)), int(rng.uniform(60, 160)), int(rng.uniform(150, 230)))
            logo(pen.picture, (spot[0] + r, spot[1] + r), r, accent)
            pen.text((spot[0] + 2.4 * r, spot[1] + 0.4 * r), name, (40, 40, 50), int(r), occludes=False)
            drawn.append("logo")
    if rng.random() < 0.15:
        corner = np.array([rng.choice([0.06, 0.94]) * w, rng.choice([0.04, 0.96]) * h])
        marks.staple(pen, corner, rng.uniform(0, 180), rng.uniform(8, 13) * ppm)
        drawn.append("staple")
    rgb = np.array(image)
    if rng.random() < 0.25:
        drawn.append("lid_shadow_" + marks.lid_shadow(rgb, rng, int(rng.uniform(4, 18) * ppm)))
    if rng.random() < 0.2:
        marks.fold_line(rgb, rng, ppm)
        drawn.append("fold")
    image = Image.fromarray(rgb)
    if grayscale:
        image = image.convert("L")
    if dpi < 300 or rng.random() < 0.3:
        image = image.filter(soft_blur(rng.uniform(0.2, 1.0)))
    ink[np.asarray(occluder, dtype=bool)] = 0
    assembly = Assembly(
        image=image, ink=ink, outline=outline, feet=[foot], dpi=dpi, view="print",
        extension=extension, quality=int(rng.integers(80, 96)), exif_orientation=plan.exif_orientation,
        attributes={"layout": layout, "ink": style.style, "ink_colour": "grey" if grayscale else style.colour_name,
                    "distractors": ",".join(dict.fromkeys(drawn)), "defect": defect, "orientation_mode": mode},
    )
    assembly.turn(plan.quarter_turns)
    return assembly


# --------------------------------------------------------------------------- bare sole


def render_bare_sole(rng: np.random.Generator, plan: PagePlan) -> Assembly:
    broken, extension, mode, angle = plan.broken, plan.extension, plan.orientation_mode, plan.rotation_deg
    dpi = int(round(rng.uniform(200, 300) / 10.0) * 10)
    ppm = dpi / 25.4
    model = sample_foot(rng)
    side = "left" if rng.random() < 0.5 else "right"
    # Seen from below: a right foot shows its hallux on the right.
    m0 = placement(model, ppm, angle, (0.0, 0.0), hallux_on_right=side == "right")
    ex0, ey0, ex1, ey1 = extent(m0, model)
    ml, mt, mr, mb = rng.uniform(8, 40, size=4) * ppm
    if rng.random() < 0.3:
        ml, mr = ml + rng.uniform(0, 60) * ppm, mr + rng.uniform(0, 60) * ppm
    w, h = int(np.ceil(ex1 - ex0 + ml + mr)), int(np.ceil(ey1 - ey0 + mt + mb))
    centre = (ml - ex0, mt - ey0)
    defect = ""
    if broken:
        defect = str(rng.choice(["cut", "covered"]))
        if defect == "cut":
            direction = [(0, 1), (0, -1), (1, 0), (-1, 0)][int(rng.integers(4))]
            span = (ey1 - ey0) if direction[1] else (ex1 - ex0)
            shift = rng.uniform(0.55, 0.75) * span
            centre = (centre[0] + direction[0] * shift, centre[1] + direction[1] * shift)
    matrix = translation(*centre) @ m0
    raster = rasterise_foot(model, matrix, (w, h), ppm, edge_mm=rng.uniform(3.0, 8.0), with_silhouette=True)
    x0, y0, x1, y1 = raster.box
    ink = np.zeros((h, w), dtype=np.uint8)
    outline = np.zeros((h, w), dtype=np.uint8)
    outline[y0:y1, x0:x1] = np.where(raster.outline > 0, raster.outline, 0)

    gray = surfaces.scanner_glass(rng, (h, w))
    # Glow: the whole sole just above the glass, and a soft halo around the contact; drawn on a
    # margin around the foot wide enough for the blur to fade out.
    if x1 > x0 and y1 > y0:
        pad = int(15 * ppm)
        gx0, gy0, gx1, gy1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, w), min(y1 + pad, h)
        sil = np.zeros((gy1 - gy0, gx1 - gx0), dtype=np.uint8)
        con = np.zeros_like(sil)
        sil[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0] = raster.silhouette * 255
        con[y0 - gy0:y1 - gy0, x0 - gx0:x1 - gx0] = (raster.labels > 0) * 255
        step = max(int(ppm), 1)
        small = (max((gx1 - gx0) // step, 1), max((gy1 - gy0) // step, 1))
        glow_sil = Image.fromarray(sil).resize(small, Image.BOX).filter(ImageFilter.GaussianBlur(rng.uniform(4.0, 8.0)))
        glow_con = Image.fromarray(con).resize(small, Image.BOX).filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 3.0)))
        glow = (rng.uniform(8, 28) * np.asarray(glow_sil, dtype=np.float32)
                + rng.uniform(10, 30) * np.asarray(glow_con, dtype=np.float32)) / 255.0
        gray[gy0:gy1, gx0:gx1] += surfaces.enlarge(glow, (gy1 - gy0, gx1 - gx0))

    ys, xs = np.nonzero(raster.labels)
    lab = raster.labels[ys, xs]
    p = raster.pressure[ys, xs]
    part = np.ones(SOLE_LABEL + 1, dtype=np.float32)
    for t in model.toes:
        part[t.number] = 0.75 + 0.25 * t.ink if t.ink > 0 else 1.0
    blotch = smooth_noise(rng, raster.labels.shape, rng.uniform(4.0, 10.0) * ppm)[ys, xs]
    fine = smooth_noise(rng, raster.labels.shape, 0.4 * ppm)[ys, xs]
    cy, cx = (y0 + y1) / 2.0, (x0 + x1) / 2.0
    ridge = surfaces.ridge_pattern((xs + x0 - cx).astype(np.float32), (ys + y0 - cy).astype(np.float32),
                                   rng.uniform(0.42, 0.55) * ppm, rng)
    base_level = rng.uniform(140, 200)
    over = rng.uniform(40, 160)
    skin = (base_level * (0.75 + 0.4 * blotch) * part[lab] + over * np.clip(p - 0.45, 0, 1) * 2.0)
    skin *= 1.0 + rng.uniform(0.12, 0.3) * ridge + 0.08 * (fine - 0.5)
    skin = np.maximum(skin, 95.0)
    gray[ys + y0, xs + x0] = np.maximum(gray[ys + y0, xs + x0], skin)
    ink[ys + y0, xs + x0] = lab

    image = Image.fromarray(np.clip(gray + 0.5, 0, 255).astype(np.uint8), mode="L")
    occluder = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(image)
    pen = marks.Pen(draw, ImageDraw.Draw(occluder))
    drawn = []
    foot = PlacedFoot(side=side, region_foot="", base=0, model=model, matrix=matrix, usable=not broken)
    if rng.random() < 0.6:
        marks.dust_and_scratches(draw, rng, (w, h), ppm, int(rng.uniform(90, 200)))
        drawn.append("dust")
    pts = np.stack([xs + x0, ys + y0], 1) if len(xs) else np.zeros((0, 2))
    sil_ys, sil_xs = np.nonzero(raster.silhouette) if raster.silhouette is not None else (np.array([]), np.array([]))
    body = np.vstack([pts, np.stack([sil_xs + x0, sil_ys + y0], 1)]) if len(sil_xs) else pts
    if (rng.random() < 0.15 or defect == "covered") and len(body):
        # Hem of trousers (or, on a broken page, a cloth over most of the sole) from one edge.
        edge = int(rng.integers(4))
        dist = [body[:, 1].min(), h - 1 - body[:, 1].max(), body[:, 0].min(), w - 1 - body[:, 0].max()][edge]
        reach = (dist - 4 * ppm) * rng.uniform(0.4, 0.9) if defect != "covered" else dist + rng.uniform(0.6, 0.85) * (
            (body[:, 1].max() - body[:, 1].min()) if edge < 2 else (body[:, 0].max() - body[:, 0].min()))
        if reach > 3 * ppm:
            along = np.linspace(-0.05, 1.05, 40)
            depth = reach + np.sin(along * rng.uniform(4, 10) + rng.uniform(0, 6)) * 2 * ppm
            level = rng.uniform(40, 90)
            if edge == 0:
                poly = np.vstack([[[-5, -5]], np.stack([along * w, depth], 1), [[w + 5, -5]]])
            elif edge == 1:
                poly = np.vstack([[[-5, h + 5]], np.stack([along * w, h - 1 - depth], 1), [[w + 5, h + 5]]])
            elif edge == 2:
                poly = np.vstack([[[-5, -5]], np.stack([depth, along * h], 1), [[-5, h + 5]]])
            else:
                poly = np.vstack([[[w + 5, -5]], np.stack([w - 1 - depth, along * h], 1), [[w + 5, h + 5]]])
            pen.polygon(poly, int(level))
            drawn.append("hem" if defect != "covered" else "cloth")
    if rng.random() < 0.15 and len(body) and defect != "covered":
        # The other foot's edge entering from the left or right edge, never touching this one.
        from_left = rng.random() < 0.5
        room = body[:, 0].min() if from_left else w - 1 - body[:, 0].max()
        reach = (room - 6 * ppm) * rng.uniform(0.3, 0.8)
        if reach > 3 * ppm:
            y_mid = rng.uniform(0.2, 0.8) * h
            half = rng.uniform(40, 90) * ppm
            t = np.linspace(-1, 1, 160)
            xs_edge = reach * np.sqrt(np.clip(1 - t**2, 0, 1))
            x_curve = xs_edge if from_left else w - 1 - xs_edge
            poly = np.stack([x_curve, y_mid + t * half], 1)
            other = Image.new("L", (w, h), 0)
            ImageDraw.Draw(other).polygon([tuple(q) for q in poly.tolist()], fill=255)
            oy, ox = np.nonzero(np.asarray(other))
            blotch_other = smooth_noise(rng, (h, w), rng.uniform(4, 10) * ppm)[oy, ox]
            pixels = np.array(image)
            pixels[oy, ox] = np.clip(rng.uniform(140, 220) * (0.7 + 0.5 * blotch_other), 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels)
            draw = ImageDraw.Draw(image)
            pen = marks.Pen(draw, ImageDraw.Draw(occluder))
            drawn.append("other_foot")
    ink[np.asarray(occluder, dtype=bool)] = 0
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    assembly = Assembly(
        image=image, ink=ink, outline=outline, feet=[foot], dpi=dpi, view="below",
        extension=extension, quality=int(rng.integers(78, 95)), exif_orientation=plan.exif_orientation,
        attributes={"layout": "crop", "ink": "skin", "ink_colour": "grey",
                    "distractors": ",".join(dict.fromkeys(drawn)), "defect": defect, "orientation_mode": mode},
    )
    assembly.turn(plan.quarter_turns)
    return assembly


# --------------------------------------------------------------------------- photo of a form


def render_photo_form(rng: np.random.Generator, plan: PagePlan) -> Assembly:
    broken, mode = plan.broken, plan.orientation_mode
    two = rng.random() < 0.6
    sides = ("left", "right") if two else (("left",) if rng.random() < 0.5 else ("right",))
    length = float(rng.triangular(200.0, 255.0, 300.0))
    models = [sample_foot(rng, length=length * (1 + rng.normal(0, 0.008)))]
    if two:  # the same person's other foot: same length, usually the same arch
        arch = models[0].arch if rng.random() < 0.7 else None
        models.append(sample_foot(rng, length=length * (1 + rng.normal(0, 0.008)), arch=arch))
    layout = sample_form(rng, sides, length, max(m.forefoot_width for m in models))
    # The camera's roll turns the sheet in the photo; a page "turned" a quarter is a sideways photo.
    roll_deg = plan.rotation_deg + 90.0 * plan.quarter_turns
    placements_mm = []
    for model, panel in zip(models, layout.panels):
        angle = float(rng.normal(0.0, 2.5))
        m0 = placement(model, 1.0, angle, (0.0, 0.0), hallux_on_right=panel.side == "left")
        ex0, ey0, ex1, ey1 = extent(m0, model)
        px0, py0, px1, py1 = panel.box
        cx = (px0 + px1) / 2.0 - (ex0 + ex1) / 2.0 + rng.uniform(-5, 5)
        top = py0 + rng.uniform(12.0, 24.0)
        cy = top - ey0
        if cy + ey1 > py1 - 10.0:
            cy = py1 - 10.0 - ey1
        placements_mm.append(translation(cx, cy) @ m0)
    boxes = [extent(m, model) for m, model in zip(placements_mm, models)]
    roi = (min(b[0] for b in boxes) - 9.0, min(b[1] for b in boxes) - 9.0,
           max(b[2] for b in boxes) + 9.0, max(b[3] for b in boxes) + 9.0)
    defect = ""
    fill = float(np.clip(1.0 - abs(rng.normal(0.0, 0.13)), 0.66, 0.99))
    if broken:
        defect = str(rng.choice(["cut", "covered"]))
        if defect == "cut":  # only the toes' end of the sheet in the frame
            roi = (roi[0], roi[1], roi[2], roi[1] + rng.uniform(0.3, 0.42) * (roi[3] - roi[1]))
            fill = 0.97
    camera = phone_camera(rng, layout.size, roi, roll_deg, fill)
    s_page = float(np.clip(1.15 * camera.scale_at(((roi[0] + roi[2]) / 2, (roi[1] + roi[3]) / 2)), 3.5, 9.0))
    pw, ph = int(np.ceil(layout.size[0] * s_page)), int(np.ceil(layout.size[1] * s_page))
    to_px = affine(a=s_page, e=s_page)

    rgb = surfaces.paper(rng, (ph, pw), s_page)
    page = Image.fromarray(rgb)
    draw_form(ImageDraw.Draw(page), layout, s_page, rng)
    rgb = np.array(page)
    ink = np.zeros((ph, pw), dtype=np.uint8)
    outline = np.zeros((ph, pw), dtype=np.uint8)
    style = sample_ink_style(rng, s_page, style="grid" if rng.random() < 0.85 else "grainy", pitch_mm=(2.2, 2.8),
                             colours=("black", "blue", "purple"), colour_p=(0.7, 0.2, 0.1))
    feet, rasters = [], []
    for i, (model, m_mm, panel) in enumerate(zip(models, placements_mm, layout.panels)):
        matrix = to_px @ m_mm
        raster = rasterise_foot(model, matrix, (pw, ph), s_page, edge_mm=rng.uniform(2.0, 5.0))
        foot_ink = ink_foot(raster, style, model, rng, s_page)
        paste_labels(ink, outline, foot_ink, 10 * i)
        composite(rgb, foot_ink, style.colour)
        rasters.append(raster)
        feet.append(PlacedFoot(side=panel.side, region_foot=panel.side if two else "", base=10 * i,
                               model=model, matrix=matrix, usable=not broken))
    page = Image.fromarray(rgb)
    occluder = Image.new("1", (pw, ph), 0)
    pen = marks.Pen(ImageDraw.Draw(page), ImageDraw.Draw(occluder))
    space = FreeSpace((pw, ph), 4 * s_page)
    space.occupy((0, 0, pw, (layout.header + layout.label_bar) * s_page))
    for raster in rasters:
        space.occupy(raster.box, margin=3 * s_page)
    drawn = []
    bar_colour = (int(rng.uniform(25, 60)),) * 3
    for foot, raster, panel in zip(feet, rasters, layout.panels):
        pts = print_pixels(ink, foot.base, raster.box)
        if len(pts) == 0:
            continue
        thickness = rng.uniform(1.8, 3.2) * s_page
        lateral_right = panel.side == "right"  # print view: a right foot's little toe is on the right
        toes_x = apply(foot.matrix, np.array([foot.model.toe(1).tip, foot.model.toe(3).tip]))[:, 0]
        if rng.random() < 0.85:
            length = rng.uniform(42, 65) * s_page
            lo = toes_x.mean() - length / 2 + rng.uniform(-6, 6) * s_page
            if bar_towards_print(pen, rng, pts, "down", (lo, lo + length), rng.uniform(-0.5, 5.0) * s_page,
                                 length, thickness, s_page, bar_colour):
                drawn.append("ruler_toes")
        if rng.random() < 0.85:
            heel_x = apply(foot.matrix, np.array([foot.model.heel_point]))[0, 0]
            length = rng.uniform(40, 60) * s_page
            lo = heel_x - length / 2 + rng.uniform(-8, 8) * s_page
            if bar_towards_print(pen, rng, pts, "up", (lo, lo + length), rng.uniform(-0.5, 6.0) * s_page,
                                 length, thickness, s_page, bar_colour):
                drawn.append("ruler_heel")
        if rng.random() < 0.8:
            level = apply(foot.matrix, np.array([foot.model.toe(5).tip]))[0, 1] + rng.uniform(0, 10) * s_page
            length = rng.uniform(12, 22) * s_page
            if bar_towards_print(pen, rng, pts, "left" if lateral_right else "right", (level, level + thickness),
                                 rng.uniform(-0.5, 6.0) * s_page, length, thickness, s_page, bar_colour):
                drawn.append("ruler_side")
    pen_colour = marks.PEN_COLOURS[str(rng.choice(list(marks.PEN_COLOURS), p=[0.55, 0.4, 0.05]))]
    for _ in range(int(rng.integers(1, 4))):
        if write_words(pen, rng, space, rng.uniform(3.5, 6.5) * s_page, pen_colour, int(rng.integers(3, 12))):
            drawn.append("handwriting")
    if defect == "covered":  # a sheet of paper over most of both prints
        x_lo = min(r.box[0] for r in rasters) - 20 * s_page
        x_hi = max(r.box[2] for r in rasters) + 20 * s_page
        y_top = min(r.box[1] for r in rasters)
        y_bot = max(r.box[3] for r in rasters)
        cut = y_top + rng.uniform(0.15, 0.4) * (y_bot - y_top)
        cover = np.array([[x_lo, cut], [x_hi, cut + rng.normal(0, 6) * s_page], [x_hi, ph + 50], [x_lo, ph + 50]])
        pen.polygon(cover, (238, 238, 235))
    ink[np.asarray(occluder, dtype=bool)] = 0

    # The photograph.
    photo_from_page = camera.sheet_to_photo @ np.linalg.inv(to_px)
    size = camera.size
    sheet = warp(page, photo_from_page, size, Image.BILINEAR, fill=(0, 0, 0))
    sheet_alpha = warp(Image.new("L", (pw, ph), 255), photo_from_page, size, Image.BILINEAR, fill=0)
    ink_photo = np.asarray(warp(Image.fromarray(ink), photo_from_page, size, Image.NEAREST, fill=0)).copy()
    outline_photo = np.asarray(warp(Image.fromarray(outline), photo_from_page, size, Image.NEAREST, fill=0)).copy()
    table, table_style = surfaces.table(rng, (size[1], size[0]))
    a = np.asarray(sheet_alpha, dtype=np.float32)[..., None] / 255.0
    photo = np.asarray(sheet, dtype=np.float32) * a + table * (1.0 - a)
    # Light: a gradient across the frame, darker corners, a colour cast.
    yy = np.linspace(-1, 1, size[1], dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, size[0], dtype=np.float32)[None, :]
    g = rng.normal(0, 0.08, size=2)
    light = 1.0 + g[0] * xx + g[1] * yy - rng.uniform(0.03, 0.15) * (xx**2 + yy**2) / 2
    cast = np.array([rng.uniform(0.95, 1.04), 1.0, rng.uniform(0.9, 1.05)], dtype=np.float32)
    photo *= light[..., None] * cast[None, None, :] * rng.uniform(0.85, 1.02)
    if rng.random() < 0.35:
        kind = "hand" if rng.random() < 0.6 else "phone"
        photo *= marks.cast_shadow(rng, (size[1], size[0]), kind)[..., None]
        drawn.append(f"{kind}_shadow")
    photo += rng.uniform(1.5, 4.0) * surfaces.tiled_noise(rng, (size[1], size[0]))[..., None]
    image = Image.fromarray(np.clip(photo + 0.5, 0, 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1)))
    for foot in feet:
        foot.matrix = photo_from_page @ foot.matrix
    assembly = Assembly(
        image=image, ink=ink_photo, outline=outline_photo, feet=feet, dpi=None, view="print",
        extension="jpg", quality=int(rng.integers(68, 92)), exif_orientation=plan.exif_orientation,
        attributes={"layout": f"form{len(sides)}", "ink": style.style, "ink_colour": style.colour_name,
                    "distractors": ",".join(dict.fromkeys(drawn)), "defect": defect, "orientation_mode": mode,
                    "table": table_style, "camera_tilt_deg": f"{camera.tilt_deg:.1f}"},
    )
    return assembly


# --------------------------------------------------------------------------- one page


RENDERERS = {"photo_form": render_photo_form, "flatbed_ink": render_flatbed, "bare_sole": render_bare_sole}


def _axis_rotation_deg(truth: FootTruth) -> float:
    """Clockwise angle (degrees, -180..180) of the foot axis from toes-up, as displayed."""
    return float(np.degrees(np.arctan2(truth.axis[0], -truth.axis[1])))


def render_page(kind: str, seed: int, index: int) -> RenderedPage:
    """Page `index` of the set (kind, seed), with its ground truth."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    rng = page_rng(kind, seed, index)
    assembly = RENDERERS[kind](rng, page_plan(kind, seed, index))
    problems = []
    for foot in assembly.feet:
        if not foot.usable:
            continue
        try:
            foot.truth = compute_truth(assembly.ink, assembly.outline, foot)
        except ValueError as exc:  # never expected on a usable page; recorded rather than fatal
            foot.usable = False
            problems.append(str(exc))
    name = f"cr_{kind}_{seed}_{index:04d}.{assembly.extension}"
    data = encode(assembly.image, assembly.extension, assembly.quality, assembly.dpi, assembly.exif_orientation)
    usable_feet = [f for f in assembly.feet if f.usable]
    two = len(assembly.feet) > 1
    per_foot = lambda get: "/".join(get(f) for f in assembly.feet)  # noqa: E731  left/right order on two-foot pages
    attributes = {
        "side": "" if two else assembly.feet[0].side,
        "subject": f"cr-{kind}-{seed}-{index:04d}",
        "dpi": str(assembly.dpi) if assembly.dpi else "",
        "source": SOURCE,
        "usable": "true" if usable_feet else "false",
        "view": assembly.view,
        "kind": kind,
        "arch": per_foot(lambda f: f.model.arch),
        "toe_line": per_foot(lambda f: f.model.toe_line),
        "forefoot": per_foot(lambda f: f.model.forefoot_shape),
        "hallux_valgus_deg": per_foot(lambda f: f"{f.model.hallux_valgus_deg:.0f}"),
        "foot_length_mm": per_foot(lambda f: f"{f.model.length:.0f}"),
        "rotation_deg": f"{_axis_rotation_deg(usable_feet[0].truth):.1f}" if usable_feet else "",
        "exif_orientation": str(assembly.exif_orientation),
        **assembly.attributes,
    }
    if problems:
        attributes["defect"] = "no_truth: " + "; ".join(problems)
    return RenderedPage(
        name=name, kind=kind, data=data, image=assembly.image, attributes=attributes, feet=assembly.feet,
        ink=assembly.ink, outline=assembly.outline, exif_orientation=assembly.exif_orientation,
    )
