"""Rasterise a foot's contact shapes into an ink print: mask, part labels and ink density.

Everything here works in the right-foot configuration (hallux on the left of the page); a left
print is the exact left-right mirror of a right print rendered with the mirrored pose
(:func:`mirror_render`), so left and right feet differ by construction only in orientation.

Only the print's bounding box (a "window" of the sheet) is rasterised, in float32.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy.ndimage import label

from foot_landmarks.landmarks import MM_PER_INCH
from foot_landmarks.synthetic.anatomy import BALL, HEEL_PAD, SOLE_LABELS, FootShapes

EDGE_PAD_MM = 4.0  # room around the shapes for ragged edges


@dataclass(frozen=True)
class Pose:
    """Where the print lies on the sheet: centre of the foot axis (px), rotation, scan dpi.

    ``angle_deg`` turns the foot clockwise on the page (y down); 0 is an upright print.
    """

    cx: float
    cy: float
    angle_deg: float
    dpi: float
    length_mm: float

    @property
    def px_per_mm(self) -> float:
        return self.dpi / MM_PER_INCH

    @property
    def distal(self) -> np.ndarray:
        """Unit vector toward the toes in image coordinates (x right, y down)."""
        t = np.deg2rad(self.angle_deg)
        return np.array([np.sin(t), -np.cos(t)])

    @property
    def lateral(self) -> np.ndarray:
        """Unit vector toward the little toe in image coordinates (right-foot configuration)."""
        d = self.distal
        return np.array([-d[1], d[0]])

    def to_image(self, xf: np.ndarray, yf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Foot-frame mm to image pixel coordinates."""
        s, (lx, ly), (dx, dy) = self.px_per_mm, map(float, self.lateral), map(float, self.distal)
        yc = np.asarray(yf) - self.length_mm / 2
        return self.cx + s * (xf * lx + yc * dx), self.cy + s * (xf * ly + yc * dy)

    def to_foot(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image pixel coordinates to foot-frame mm."""
        # Python floats, not numpy scalars: float32 arrays stay float32 (NumPy 2 promotion rules).
        s, (lx, ly), (ux, uy) = self.px_per_mm, map(float, self.lateral), map(float, self.distal)
        dx, dy = (x - self.cx) / s, (y - self.cy) / s
        return dx * lx + dy * ly, dx * ux + dy * uy + self.length_mm / 2

    def mirrored(self, width: int) -> "Pose":
        """The pose of the mirror image on a sheet `width` px wide (x -> width - 1 - x)."""
        return replace(self, cx=width - 1 - self.cx, angle_deg=-self.angle_deg)


@dataclass
class PrintRender:
    """A rendered print inside the window [y0:y0+h, x0:x0+w] of a sheet of size `sheet_hw`.

    ``labels``: 0 background, 1-5 toe k, 6 ball, 7 midfoot, 8 heel (only where ``ink``).
    ``outlines``: per toe, the template outline of the whole toe pad (used when it left no ink).
    ``anchors``: image points of the heel and ball centres (bracket the midfoot search).
    """

    x0: int
    y0: int
    ink: np.ndarray
    labels: np.ndarray
    density: np.ndarray
    outlines: dict[int, np.ndarray]
    anchors: dict[str, np.ndarray]
    distal: np.ndarray
    sheet_hw: tuple[int, int]
    mirrored: bool = False

    @property
    def lateral(self) -> np.ndarray:
        """Unit vector toward the little toe: right of `distal` for a right foot, left for a left one."""
        d = self.distal
        return np.array([d[1], -d[0]]) if self.mirrored else np.array([-d[1], d[0]])


def shapes_bbox_px(shapes: FootShapes, pose: Pose, pad_mm: float = EDGE_PAD_MM) -> tuple[float, float, float, float]:
    """Image-space (xmin, ymin, xmax, ymax) of the print, with `pad_mm` around it."""
    corners = shapes.corners()
    xs, ys = pose.to_image(corners[:, 0], corners[:, 1])
    pad = pad_mm * pose.px_per_mm
    return xs.min() - pad, ys.min() - pad, xs.max() + pad, ys.max() + pad


def _window(
    bbox: tuple[float, float, float, float], sheet_hw: tuple[int, int], align: int
) -> tuple[int, int, int, int]:
    """Integer window (x0, y0, x1, y1) covering bbox, clipped to the sheet, corners on multiples of `align`."""
    h, w = sheet_hw
    x0 = max(0, int(np.floor(bbox[0] / align)) * align)
    y0 = max(0, int(np.floor(bbox[1] / align)) * align)
    x1 = min(w, int(np.ceil((bbox[2] + 1) / align)) * align)
    y1 = min(h, int(np.ceil((bbox[3] + 1) / align)) * align)
    return x0, y0, max(x0, x1), max(y0, y1)


def smooth_noise(shape: tuple[int, int], cell_px: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance-ish noise with feature size `cell_px`, made on a coarse grid and upsampled (cheap)."""
    h, w = shape
    gh, gw = max(2, int(np.ceil(h / cell_px)) + 2), max(2, int(np.ceil(w / cell_px)) + 2)
    coarse = rng.standard_normal((gh, gw)).astype(np.float32)
    big = Image.fromarray(coarse, mode="F").resize((int(gw * cell_px), int(gh * cell_px)), Image.BICUBIC)
    return np.asarray(big, dtype=np.float32)[:h, :w]


COARSE_STEP = 2  # smooth fields are evaluated on every 2nd pixel and upsampled bilinearly
SPECK_MM2 = 2.0  # detached ink smaller than this (mm^2) is dropped from the print
MIN_INK = 0.2  # least ink density of a contact pixel: the mask is always visibly inked


@dataclass(frozen=True)
class _Grid:
    """A pixel grid over the window: index (i, j) sits at image (x0 + (j + .5) * step - .5, ...)."""

    x0: int
    y0: int
    step: int
    h: int
    w: int

    def xs(self, j0: int = 0, j1: int | None = None) -> np.ndarray:
        j = np.arange(j0, self.w if j1 is None else j1, dtype=np.float32)
        return self.x0 + (j + 0.5) * self.step - 0.5

    def ys(self, i0: int = 0, i1: int | None = None) -> np.ndarray:
        i = np.arange(i0, self.h if i1 is None else i1, dtype=np.float32)
        return self.y0 + (i + 0.5) * self.step - 0.5

    def index_range(self, lo: float, hi: float, n: int, origin: int) -> tuple[int, int]:
        a = int(np.floor((lo - origin + 0.5) / self.step - 0.5)) - 1
        b = int(np.ceil((hi - origin + 0.5) / self.step - 0.5)) + 2
        return max(0, a), min(n, b)


def _foot_coords(pose: Pose, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Foot-frame mm of the grid xs (columns) x ys (rows), by broadcasting (no full meshgrid)."""
    s, lat, dis = pose.px_per_mm, pose.lateral, pose.distal
    dx = ((xs - pose.cx) / s).astype(np.float32)[None, :]
    dy = ((ys - pose.cy) / s).astype(np.float32)[:, None]
    xf = dx * np.float32(lat[0]) + dy * np.float32(lat[1])
    yf = dx * np.float32(dis[0]) + dy * np.float32(dis[1]) + np.float32(pose.length_mm / 2)
    return xf, yf


def _part_window(shape, pose: Pose, grid: _Grid) -> tuple[slice, slice] | None:
    """Rows and columns of `grid` that can hold `shape` (each part is evaluated only there)."""
    corners = shape.corners()
    xs, ys = pose.to_image(corners[:, 0], corners[:, 1])
    j0, j1 = grid.index_range(xs.min(), xs.max(), grid.w, grid.x0)
    i0, i1 = grid.index_range(ys.min(), ys.max(), grid.h, grid.y0)
    if j1 <= j0 or i1 <= i0:
        return None
    return slice(i0, i1), slice(j0, j1)


def _drop_specks(contact: np.ndarray, min_area_px: float) -> np.ndarray:
    """`contact` with detached islands of ink smaller than `min_area_px` pushed below zero.

    Edge noise can leave a speck of ink just off the outline; nobody would call it the tip of a
    toe, so it must not become one.
    """
    islands, count = label(contact > 0)
    if count <= 1:
        return contact
    small = np.bincount(islands.ravel()) < min_area_px
    small[0] = False
    return np.where(small[islands], np.float32(-1.0), contact)


def _evaluate(shape, pose: Pose, grid: _Grid, sl: tuple[slice, slice]) -> np.ndarray:
    xf, yf = _foot_coords(pose, grid.xs(sl[1].start, sl[1].stop), grid.ys(sl[0].start, sl[0].stop))
    return shape.signed_distance(xf, yf).astype(np.float32)


def _upsample(coarse: np.ndarray, step: int, shape: tuple[int, int], nearest: bool = False) -> np.ndarray:
    hc, wc = coarse.shape
    if nearest:  # labels (uint8)
        big = Image.fromarray(coarse).resize((wc * step, hc * step), Image.NEAREST)
        return np.asarray(big)[: shape[0], : shape[1]]
    big = Image.fromarray(coarse.astype(np.float32), mode="F").resize((wc * step, hc * step), Image.BILINEAR)
    return np.asarray(big, dtype=np.float32)[: shape[0], : shape[1]]


def _pressure(xf: np.ndarray, yf: np.ndarray, shapes: FootShapes) -> np.ndarray:
    """Relative load under the sole: high under heel and metatarsal heads, low at the arch."""
    p = np.full(np.broadcast_shapes(xf.shape, yf.shape), 0.42, np.float32)
    for cx, cy, sigma, amp in shapes.pressure_centres:
        p += amp * np.exp(-((xf - cx) ** 2 + (yf - cy) ** 2) / (2 * sigma * sigma)).astype(np.float32)
    return p


@dataclass(frozen=True)
class InkStyle:
    """How this session inked the foot."""

    load: float = 0.85  # overall ink on the sole
    edge_noise_mm: float = 0.5  # raggedness of the outline
    ridge_depth: float = 0.35  # how white the skin ridges leave the print
    mottle: float = 0.2  # uneven inking
    pores: float = 0.03  # share of tiny white specks
    grain: float = 0.15  # pixel-level unevenness of the ink film
    ridge_period_mm: float = 0.48
    ridge_bend: float = 1.5  # mm of waviness of the ridge lines
    ridge_phase: float = 0.0
    grid_pitch_mm: float = 0.0  # > 0: an ink-mat print, ink laid as a square grid of lines
    grid_angle_deg: float = 0.0
    # An ink-mat FORM (Podoprint / pedigraph): "grid" or "dots", whose lines / dots grow with the
    # load; replaces ridges and the plain grid above. "" for every other look.
    mat: str = ""
    mat_pitch_mm: float = 1.6
    mat_cross_from: float = 0.25  # tone below which only the mat's horizontal lines print
    mat_fill: float = 0.2  # how much ink the mat leaves between its lines under full load
    mat_halo_mm: float = 0.0  # > 0: faint horizontal lines this far outside the contact (no load)
    mat_halo_ink: float = 0.0
    floor: float = 0.2  # least ink of a contact pixel (MIN_INK); the mat leaves paper between lines

    @property
    def ink(self) -> str:
        """The ink texture: "solid" or "grid" (ink on paper), "grid" or "dots" (ink-mat form)."""
        if self.mat:
            return self.mat
        return "grid" if self.grid_pitch_mm > 0 else "solid"


def sample_ink_style(rng: np.random.Generator, ridge_period_mm: float, grid_share: float = 0.3) -> InkStyle:
    """A random session: ink load (10 % over-inked), texture, and ink pad (solid or ink-mat grid)."""
    grid = rng.random() < grid_share
    return InkStyle(
        load=float(rng.uniform(1.3, 1.7) if rng.random() < 0.1 else rng.uniform(0.7, 1.25)),
        edge_noise_mm=float(rng.uniform(0.25, 0.8)),
        ridge_depth=float(rng.uniform(0.15, 0.55)),
        mottle=float(rng.uniform(0.1, 0.3)),
        pores=float(rng.uniform(0.0, 0.06)),
        grain=float(rng.uniform(0.08, 0.25)),
        ridge_period_mm=ridge_period_mm,
        ridge_bend=float(rng.uniform(0.8, 2.5)),
        ridge_phase=float(rng.uniform(0, 2 * np.pi)),
        grid_pitch_mm=float(rng.uniform(1.6, 3.2)) if grid else 0.0,
        grid_angle_deg=float(rng.normal(0.0, 1.0)),
    )


def sample_skin_style(rng: np.random.Generator, ridge_period_mm: float) -> InkStyle:
    """A bare sole on glass: the "ink" is the skin's brightness where it touches (ridges show well)."""
    return InkStyle(
        load=float(rng.uniform(0.8, 1.3)),
        edge_noise_mm=float(rng.uniform(0.15, 0.5)),
        ridge_depth=float(rng.uniform(0.3, 0.7)),
        mottle=float(rng.uniform(0.1, 0.3)),
        pores=float(rng.uniform(0.0, 0.02)),
        grain=float(rng.uniform(0.05, 0.15)),
        ridge_period_mm=ridge_period_mm,
        ridge_bend=float(rng.uniform(0.8, 2.5)),
        ridge_phase=float(rng.uniform(0, 2 * np.pi)),
    )


def sample_mat_style(rng: np.random.Generator) -> InkStyle:
    """An ink-mat session (Podoprint / pedigraph): grid or dot mat, its pitch, how inked it is."""
    return InkStyle(
        load=float(rng.uniform(1.25, 1.6) if rng.random() < 0.12 else rng.uniform(0.7, 1.2)),
        edge_noise_mm=float(rng.uniform(0.3, 0.9)),
        ridge_depth=0.0,
        mottle=float(rng.uniform(0.1, 0.35)),
        grain=float(rng.uniform(0.05, 0.2)),
        grid_angle_deg=float(rng.normal(0.0, 0.8)),
        mat="dots" if rng.random() < 0.3 else "grid",
        mat_pitch_mm=float(rng.uniform(1.3, 2.4)),
        mat_cross_from=float(rng.uniform(0.1, 0.45)),
        mat_fill=float(rng.uniform(0.05, 0.4)),
        mat_halo_mm=float(rng.uniform(1.0, 3.0)) if rng.random() < 0.35 else 0.0,
        mat_halo_ink=float(rng.uniform(0.1, 0.3)),
        floor=0.02,
    )


def pressure_style(rng: np.random.Generator) -> InkStyle:
    """The load under the sole as a pressure plate reads it: smooth, no skin texture, rarely clipped."""
    return InkStyle(
        load=float(rng.uniform(0.55, 0.75)),
        edge_noise_mm=float(rng.uniform(0.2, 0.6)),
        ridge_depth=0.0,
        mottle=float(rng.uniform(0.05, 0.2)),
        pores=0.0,
        grain=0.0,
    )


def render_print(
    shapes: FootShapes,
    pose: Pose,
    sheet_hw: tuple[int, int],
    rng: np.random.Generator,
    style: InkStyle = InkStyle(),
    align: int = 1,
) -> PrintRender:
    """Rasterise the print of `shapes` at `pose` (right-foot configuration) on a sheet of `sheet_hw`.

    Signed distances, edge noise and ink tone are smooth, so they are computed on a grid twice as
    coarse and upsampled; the ink mask is then the full-resolution set ``contact > 0``.
    """
    x0, y0, x1, y1 = _window(shapes_bbox_px(shapes, pose), sheet_hw, align)
    h, w = y1 - y0, x1 - x0
    step = COARSE_STEP
    coarse = _Grid(x0, y0, step, -(-h // step), -(-w // step))

    best = np.full((coarse.h, coarse.w), -50.0, np.float32)  # signed distance (mm) of the nearest part
    labels_c = np.zeros((coarse.h, coarse.w), np.uint8)
    for label, shape in shapes.parts.items():
        sl = _part_window(shape, pose, coarse)
        if sl is None:
            continue
        sd = _evaluate(shape, pose, coarse, sl)
        win = sd > best[sl]
        best[sl] = np.where(win, sd, best[sl])
        labels_c[sl] = np.where(win, np.uint8(label), labels_c[sl])

    px_mm = pose.px_per_mm
    cell = px_mm / step
    edge = style.edge_noise_mm * (
        0.8 * smooth_noise(best.shape, 1.6 * cell, rng) + 0.35 * smooth_noise(best.shape, 0.5 * cell, rng)
    )
    contact_c = _drop_specks(best + edge, min_area_px=SPECK_MM2 * cell * cell)
    contact = _upsample(contact_c, step, (h, w))
    ink = contact > 0
    labels = np.where(ink, _upsample(labels_c, step, (h, w), nearest=True), np.uint8(0))

    full = _Grid(x0, y0, 1, h, w)
    outlines = {}
    for k, toe in shapes.toe_outlines.items():
        outline = np.zeros((h, w), bool)
        sl = _part_window(toe, pose, full)
        if sl is not None:
            outline[sl] = _evaluate(toe, pose, full, sl) > 0
        outlines[k] = outline

    density = _ink_density(contact, ink, labels_c, coarse, pose, shapes, style, rng)
    heel, ball = shapes.parts[HEEL_PAD], shapes.parts[BALL]
    anchors = {
        "heel": np.array(pose.to_image(heel.cx, heel.cy)),
        "ball": np.array(pose.to_image(ball.cx, ball.cy)),
    }
    return PrintRender(x0, y0, ink, labels, density, outlines, anchors, pose.distal, sheet_hw)


def _ink_density(
    contact: np.ndarray,
    ink: np.ndarray,
    labels_c: np.ndarray,
    coarse: _Grid,
    pose: Pose,
    shapes: FootShapes,
    style: InkStyle,
    rng: np.random.Generator,
) -> np.ndarray:
    """Ink per pixel in [0, 1]: pressure x uneven inking x skin ridges x pores, lighter at the edge."""
    h, w = ink.shape
    density = np.zeros((h, w), np.float32)
    if not ink.any():
        return density
    # Tone (pressure x mottling) varies over millimetres: made 3x coarser than `coarse`, brought to
    # `coarse` and read there by the ink pixels (nearest cell: no full-resolution resampling).
    tone_grid = _Grid(coarse.x0, coarse.y0, coarse.step * 3, -(-coarse.h // 3), -(-coarse.w // 3))
    cell = pose.px_per_mm / tone_grid.step
    xf, yf = _foot_coords(pose, tone_grid.xs(), tone_grid.ys())
    tone = style.load * _pressure(xf, yf, shapes) * (1.0 + style.mottle * smooth_noise(xf.shape, 1.5 * cell, rng))
    tone = _upsample(tone, 3, labels_c.shape)
    partial = [k for k, c in enumerate(shapes.toe_contact, 1) if c == "partial"]
    toe_fade = np.where(labels_c <= 5, np.float32(0.85), np.float32(1.0))
    tone = tone * np.where(np.isin(labels_c, partial), np.float32(0.55), toe_fade)
    flat = np.flatnonzero(ink)  # flat indices: cheaper gathers and scatters than (row, col) pairs
    rows, cols = np.divmod(flat.astype(np.int32), np.int32(w))
    cell_index = (rows // np.int32(coarse.step)) * np.int32(coarse.w) + cols // np.int32(coarse.step)
    tone_px = tone.ravel()[cell_index]
    if style.ridge_depth <= 0 and not style.mat and style.grid_pitch_mm <= 0:
        # No skin texture (a pressure plate's reading): the load, lighter at the rim.
        edge_fade = np.clip(contact.ravel()[flat] / np.float32(0.8), 0.6, 1.0)
        density.ravel()[flat] = np.clip(tone_px * edge_fade, style.floor, 1.0)
        return density
    if style.mat:  # an ink-mat form: the mat's pattern, no skin ridges
        x = (cols + coarse.x0).astype(np.float32)
        y = (rows + coarse.y0).astype(np.float32)
        edge_fade = np.clip(contact.ravel()[flat] / np.float32(0.8), 0.6, 1.0)
        u = rng.random(len(flat), dtype=np.float32)
        grain = 1.0 + style.grain * 3.46 * (u - 0.5)
        value = _mat_pattern(x, y, pose.px_per_mm, style, tone_px * edge_fade) * grain
        density.ravel()[flat] = np.clip(value, style.floor, 1.0)
        if style.mat_halo_mm > 0:
            _mat_halo(density, contact, coarse.x0, coarse.y0, pose.px_per_mm, style)
        return density
    # Ridges break up where the skin did not take ink evenly: a noisy threshold of the ridge wave.
    breaks = smooth_noise(labels_c.shape, 1.2 * pose.px_per_mm / coarse.step, rng)
    breaks_px = breaks.ravel()[cell_index]
    # Ridges run across the sole and bend around the pads, like papillary lines: the phase is
    # computed exactly at each pixel (it changes by a whole period every ~6 px at 300 dpi).
    x = (cols + coarse.x0).astype(np.float32)
    y = (rows + coarse.y0).astype(np.float32)
    xf, yf = pose.to_foot(x, y)
    bend = style.ridge_bend * np.sin(xf * np.float32(0.09) + yf * np.float32(0.05) + np.float32(style.ridge_phase))
    wave = np.sin((yf + np.float32(0.004) * xf * xf + bend) * np.float32(2 * np.pi / style.ridge_period_mm))
    ridges = np.clip(0.5 + 0.9 * wave + 0.6 * breaks_px, 0.0, 1.0)
    u = rng.random(len(wave), dtype=np.float32)  # one draw: film grain and pores
    grain = 1.0 + style.grain * 3.46 * (u - 0.5)  # uniform noise with std `grain`
    # Less ink where the skin barely touched, but the rim stays visible: annotators click on it.
    edge_fade = np.clip(contact.ravel()[flat] / np.float32(0.8), 0.6, 1.0)
    # Ridges finer than ~3 px would alias into moire at low render dpi; fade them out there.
    period_px = style.ridge_period_mm * pose.px_per_mm
    ridge_depth = style.ridge_depth * float(np.clip((period_px - 2.5) / 3.0, 0.0, 1.0))
    value = tone_px * (1.0 - ridge_depth * ridges) * edge_fade * grain
    value[u < style.pores] *= np.float32(0.3)
    if style.grid_pitch_mm > 0:
        value *= _grid_lines(x, y, pose.px_per_mm, style)
    density.ravel()[flat] = np.clip(value, style.floor, 1.0)  # every contact pixel keeps a visible trace
    return density


def _mat_distances(x: np.ndarray, y: np.ndarray, px_mm: float, style: InkStyle) -> tuple[np.ndarray, ...]:
    """Distances (px) of image points to the mat's nearest vertical and horizontal line, and the pitch."""
    t = np.deg2rad(style.grid_angle_deg)  # the mat lies square to the page, give or take a degree
    pitch = np.float32(style.mat_pitch_mm * px_mm)
    u = (x * np.float32(np.cos(t)) + y * np.float32(np.sin(t))) / pitch
    v = (-x * np.float32(np.sin(t)) + y * np.float32(np.cos(t))) / pitch
    return np.abs(u - np.round(u)) * pitch, np.abs(v - np.round(v)) * pitch, pitch


def _mat_pattern(x: np.ndarray, y: np.ndarray, px_mm: float, style: InkStyle, load: np.ndarray) -> np.ndarray:
    """Ink an ink-mat leaves at image pixels (x, y) under `load` (about 0.3-1.5).

    "grid": lines that thicken with the load; under light load only the horizontal lines print
    (the mat's film is ribbed one way), under heavy load ink also fills the cells. "dots": a
    lattice of dots whose radius grows with the load (a halftone of the pressure).
    """
    du, dv, pitch = _mat_distances(x, y, px_mm, style)
    t = np.clip(load, 0.0, 1.5).astype(np.float32)
    fill = np.float32(style.mat_fill) * t * t
    if style.mat == "dots":
        r = pitch * (np.float32(0.14) + np.float32(0.22) * np.sqrt(t))
        dist = np.sqrt(du * du + dv * dv)
        dots = np.clip(r - dist + np.float32(0.5), 0.0, 1.0) * (np.float32(0.55) + np.float32(0.35) * t)
        return np.maximum(dots, fill)
    half = np.maximum(np.float32(0.6), pitch * (np.float32(0.05) + np.float32(0.1) * t))
    strength = np.float32(0.5) + np.float32(0.4) * t
    horizontal = np.clip(half - dv + np.float32(0.5), 0.0, 1.0) * strength
    cross = np.clip((t - np.float32(style.mat_cross_from)) / np.float32(0.2), 0.0, 1.0)
    vertical = np.clip(half - du + np.float32(0.5), 0.0, 1.0) * strength * cross
    return np.maximum(np.maximum(horizontal, vertical), fill)


def _mat_halo(density: np.ndarray, contact: np.ndarray, x0: int, y0: int, px_mm: float, style: InkStyle) -> None:
    """Faint horizontal mat lines just outside the contact (skin touching the mat without load).

    They are not print (LANDMARKS.md): the mask and the landmarks ignore them, as annotators must.
    """
    halo = (contact <= 0) & (contact > -np.float32(style.mat_halo_mm))
    flat = np.flatnonzero(halo)
    if flat.size == 0:
        return
    rows, cols = np.divmod(flat.astype(np.int32), np.int32(density.shape[1]))
    _, dv, pitch = _mat_distances((cols + x0).astype(np.float32), (rows + y0).astype(np.float32), px_mm, style)
    fade = 1.0 + contact.ravel()[flat] / np.float32(style.mat_halo_mm)
    line = np.clip(np.float32(0.6) - dv + np.float32(0.5), 0.0, 1.0)
    density.ravel()[flat] = np.float32(style.mat_halo_ink) * fade * line


def _grid_lines(x: np.ndarray, y: np.ndarray, px_mm: float, style: InkStyle) -> np.ndarray:
    """Ink-mat transfer at image pixels (x, y): dark on the mat's grid lines, faint between them.

    The mat lies square to the sheet (give or take a degree), not to the foot.
    """
    t = np.deg2rad(style.grid_angle_deg)
    pitch = np.float32(style.grid_pitch_mm * px_mm)
    half_width = np.float32(max(0.7, 0.2 * px_mm))
    u = (x * np.float32(np.cos(t)) + y * np.float32(np.sin(t))) / pitch
    v = (-x * np.float32(np.sin(t)) + y * np.float32(np.cos(t))) / pitch
    du = np.abs(u - np.round(u)) * pitch
    dv = np.abs(v - np.round(v)) * pitch
    line = np.clip(1.5 - np.minimum(du, dv) / half_width, 0.0, 1.0)
    return np.float32(0.18) + np.float32(0.82) * line


def block_mean(array: np.ndarray, k: int) -> np.ndarray:
    """Average over k x k blocks (the box downscale; pixel centres map as x' = (x + 0.5) / k - 0.5)."""
    if k == 1:
        return array.astype(np.float32)
    h, w = array.shape
    return array.reshape(h // k, k, w // k, k).astype(np.float32).mean(axis=(1, 3))


def downscale_render(render: PrintRender, k: int) -> PrintRender:
    """The render as seen in the image downscaled k times: ink where at least half a block was inked.

    A low-resolution pixel belongs to the part holding most of its ink, so each toe keeps its own
    pixels. Window corners must already be multiples of k (render with ``align=k``).
    """
    if k == 1:
        return render
    ink_share = block_mean(render.ink, k)
    ink = ink_share >= 0.5
    shares = [block_mean(np.isin(render.labels, SOLE_LABELS), k)]
    shares += [block_mean(render.labels == toe, k) for toe in range(1, 6)]
    winner = np.argmax(np.stack(shares), axis=0).astype(np.uint8)
    # Sole pixels keep the heel/midfoot/ball label found at the block centre (only used for display).
    centre = render.labels[k // 2 :: k, k // 2 :: k][: ink.shape[0], : ink.shape[1]]
    sole = np.where(np.isin(centre, SOLE_LABELS), centre, np.uint8(BALL))
    labels = np.where(winner == 0, sole, winner)
    labels = np.where(ink, labels, np.uint8(0)).astype(np.uint8)
    outlines = {t: block_mean(o, k) >= 0.5 for t, o in render.outlines.items()}
    scale = 1.0 / k
    anchors = {name: (p + 0.5) * scale - 0.5 for name, p in render.anchors.items()}
    h, w = render.sheet_hw
    return PrintRender(
        render.x0 // k,
        render.y0 // k,
        ink,
        labels,
        block_mean(render.density, k),
        outlines,
        anchors,
        render.distal,
        (h // k, w // k),
        render.mirrored,
    )


def mirror_render(render: PrintRender) -> PrintRender:
    """The left-foot print: the exact left-right mirror of a right-foot render on the same sheet."""
    h, w = render.sheet_hw
    win_w = render.ink.shape[1]
    flip = lambda a: a[:, ::-1].copy()  # noqa: E731
    return PrintRender(
        w - (render.x0 + win_w),
        render.y0,
        flip(render.ink),
        flip(render.labels),
        flip(render.density),
        {k: flip(o) for k, o in render.outlines.items()},
        {name: np.array([w - 1 - p[0], p[1]]) for name, p in render.anchors.items()},
        np.array([-render.distal[0], render.distal[1]]),
        render.sheet_hw,
        not render.mirrored,
    )
