"""Pressure-plate exports: the load under one foot or both, in matplotlib's 'jet' colour map, as PNG.

A pressure plate reads the load on a grid of sensors (about 2.5-8 mm cells) or, for optical and
high-resolution plates, almost continuously; its software exports the map enlarged to a few pixels
per millimetre (nearest-neighbour blocks or bilinear smoothing), dark blue where nothing presses
and red at the peak. The value scaling is the software's: a maximum (vmax) that may clip the
peaks, and a gamma.

Ground truth: the feet are rendered (scene.render_foot) at k x the export resolution on a canvas
whose origin is the export's; the landmarks come from the contact mask box-downscaled to the
export grid (pixel centres map as x' = (x + 0.5) / k - 0.5), so they are exact in export pixels.

The colours are exactly those of foot_landmarks.normalisation's LUT (same map, 256 entries,
rounded to 8 bits), so :func:`foot_landmarks.normalisation.invert_colour_map` reads the encoded
value back to within one LUT step.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from foot_landmarks.normalisation import COLOUR_MAP, LUT_SIZE, colour_map_lut
from foot_landmarks.synthetic.anatomy import foot_shapes, session_variant
from foot_landmarks.synthetic.render import Pose, block_mean, pressure_style, smooth_noise
from foot_landmarks.synthetic.scene import (
    FootTruth,
    PlacedFoot,
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

PX_PER_MM = (2.5, 10.0)  # export resolution (log-uniform): 64-254 dpi
RENDER_PX_PER_MM = 6.0  # at least this fine for the contact mask (k = ceil(6 / export px/mm), at most 3)
SENSOR_SHARE = 0.6  # of exports: a sensor grid; else a fine (optical) map
SENSOR_MM = (2.5, 8.0)
DEFECTS = ("cut_by_page_edge",)  # a foot partly off the plate


def lut_uint8(name: str = COLOUR_MAP, n: int = LUT_SIZE) -> np.ndarray:
    """(n, 3) uint8 colours of the map: what the export writes for value i / (n - 1)."""
    return np.clip(np.rint(colour_map_lut(name, n)), 0, 255).astype(np.uint8)


def encode(values: np.ndarray, name: str = COLOUR_MAP, n: int = LUT_SIZE) -> np.ndarray:
    """Values in [0, 1] to RGB uint8 through the colour map (nearest of its n entries)."""
    index = np.clip(np.rint(values * (n - 1)), 0, n - 1).astype(np.intp)
    return lut_uint8(name, n)[index]


def render_pressure_map(spec: PrintSpec, debug: bool = False) -> Sample:
    """One pressure-plate export of `spec`'s foot (or both feet, side by side, left on the left)."""
    base = subject_anatomy(spec)
    rng = np.random.default_rng([spec.seed, 2, spec.index])
    sides = ("left", "right") if spec.side == "both" else (spec.side,)
    anatomies = {side: session_variant(base, rng) for side in sides}
    shapes = {side: foot_shapes(a) for side, a in anatomies.items()}
    defect = "cut_by_page_edge" if spec.broken else ""

    # A whole number of pixels per metre (what PNG's pHYs chunk stores), a multiple of 50 so the dpi
    # (1.27 x k) also survives the VIA writer's 6 significant digits: file and annotation agree.
    px_mm = round(float(np.exp(rng.uniform(*np.log(PX_PER_MM)))) * 20) / 20
    k = int(min(3, np.ceil(RENDER_PX_PER_MM / px_mm)))
    sensor = rng.random() < SENSOR_SHARE
    cell = max(2, int(round(rng.uniform(*SENSOR_MM) * px_mm))) if sensor else 1  # export px per sensor cell
    upsample = ("nearest" if rng.random() < 0.6 else "bilinear") if sensor else ""
    render_dpi = px_mm * k * 25.4
    mm = px_mm * k  # render px per mm

    # Poses relative to the first foot's axis centre: feet toe out a little; both feet side by side.
    poses: dict[str, tuple[float, float, float]] = {}
    if len(sides) == 2:
        stance = rng.uniform(110, 200) * mm  # distance between the feet's axes
        for side, sign in (("left", -1), ("right", 1)):
            poses[side] = (sign * stance / 2, rng.uniform(-15, 15) * mm, sign * float(rng.uniform(0, 12)))
    else:
        poses[sides[0]] = (0.0, 0.0, float(rng.uniform(-10, 10)))
    boxes = []
    for side, (dx, dy, angle) in poses.items():
        x0, y0, x1, y1 = final_bbox(shapes[side], side, angle, render_dpi, base.length_mm)
        boxes.append((x0 + dx, y0 + dy, x1 + dx, y1 + dy))
    bbox = tuple(f(b[i] for b in boxes) for i, f in enumerate((min, min, max, max)))
    sheet_hw, (sx, sy) = _canvas(bbox, defect, k * cell, mm, rng)

    style = pressure_style(rng)
    placed: dict[str, PlacedFoot] = {}
    load = np.zeros(sheet_hw, np.float32)
    for side, (dx, dy, angle) in poses.items():
        pose = Pose(dx + sx, dy + sy, angle, render_dpi, base.length_mm)
        placed[side] = render_foot(shapes[side], pose, side, sheet_hw, rng, style, k)
        r = placed[side].render
        h, w = r.density.shape
        region = load[r.y0 : r.y0 + h, r.x0 : r.x0 + w]
        np.maximum(region, r.density, out=region)

    values = _read_plate(load, k, cell, upsample, px_mm, rng)
    export = encode(values)
    out = io.BytesIO()
    dpi = px_mm * 25.4
    Image.fromarray(export, mode="RGB").save(out, "PNG", dpi=(dpi, dpi))

    if len(sides) == 2:
        feet = [FootTruth(side, placed[side].points, placed[side].visible) for side in sides]
    else:
        feet = [FootTruth("", placed[sides[0]].points, placed[sides[0]].visible)]
    attrs = attributes(
        spec,
        base,
        dpi=f"{dpi:.4f}".rstrip("0").rstrip("."),
        defect=defect,
        capture="export",
        sheet="plate",
        sensor_mm=f"{cell / px_mm:.2f}" if sensor else "",
        ink=upsample if sensor else "fine",  # the texture: sensor cells enlarged nearest / bilinear, or fine
    )
    sample = Sample(spec.filename, out.getvalue(), attrs, feet)
    if debug:
        sample.debug = {
            "values": values,
            "mask": full_mask(list(placed.values()), values.shape, k),
            "foot_masks": {side: full_mask([p], values.shape, k) for side, p in placed.items()},
            "px_per_mm": px_mm,
        }
    return sample


def _canvas(
    bbox: tuple[float, ...], defect: str, multiple: int, mm: float, rng: np.random.Generator
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Plate size (h, w) in render px, multiples of `multiple`, and the shift that places the feet on it."""
    (h, w), (dx, dy) = sheet_around(bbox, (5, 30), mm, multiple, rng)
    if defect == "cut_by_page_edge":  # the foot runs off the plate
        dx, dy = push_over_edge(bbox, (h, w), (dx, dy), rng)
    return (h, w), (float(dx), float(dy))


def _read_plate(
    load: np.ndarray, k: int, cell: int, upsample: str, px_mm: float, rng: np.random.Generator
) -> np.ndarray:
    """The exported values in [0, 1] at export resolution: sensor cells, noise, threshold, scaling."""
    fine = block_mean(load, k)  # the load seen at export resolution (exact box average)
    if cell > 1:
        cells = block_mean(fine, cell)
        cells *= 1.0 + np.float32(rng.uniform(0.0, 0.06)) * rng.standard_normal(cells.shape).astype(np.float32)
        threshold = np.float32(rng.uniform(0.03, 0.08))
        cells = np.where(cells >= threshold, cells, np.float32(0.0))
        if upsample == "nearest":
            raw = np.repeat(np.repeat(cells, cell, axis=0), cell, axis=1)
        else:  # bilinear, pixel centres: x' = (x + 0.5) * cell - 0.5 (Pillow's resize convention)
            size = (cells.shape[1] * cell, cells.shape[0] * cell)
            raw = np.asarray(Image.fromarray(cells, mode="F").resize(size, Image.BILINEAR), dtype=np.float32)
    else:
        noise = smooth_noise(fine.shape, max(2.0, px_mm), rng)  # optical plates: speckle about 1 mm
        raw = fine * (1.0 + np.float32(rng.uniform(0.0, 0.05)) * noise)
        raw = np.where(raw >= np.float32(rng.uniform(0.02, 0.06)), raw, np.float32(0.0))
    loaded = raw[raw > 0]
    peak = float(np.quantile(loaded, rng.uniform(0.98, 1.0))) if loaded.size else 1.0
    vmax = np.float32(max(peak, 1e-3) * rng.uniform(0.85, 1.3))  # < 1: the peaks clip to dark red
    gamma = np.float32(rng.uniform(0.7, 1.3))
    return np.power(np.clip(raw / vmax, 0.0, 1.0), gamma).astype(np.float32)
