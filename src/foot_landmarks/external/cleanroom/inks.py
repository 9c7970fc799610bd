"""Ink on paper: how much ink each contact pixel received (alpha 0..1) for four kinds of print.

- solid: an even film, a little mottled;
- grainy: a dry ink pad, speckled, holes where the pressure was low;
- dotted: a dot-pattern mat, the dot size grows with pressure;
- grid: a cross-hatched ink-mat membrane: lines in two directions (pitch 2-4 mm on scans, about
  2.5 mm on forms), the cells fill in where the pressure was high.

Textures are laid in page coordinates (the membrane lies on the paper, not on the foot). A pixel
belongs to the print (the ground-truth mask) where its alpha is at least PRINT_THRESHOLD: where its
ink shows on the paper (LANDMARKS.md: the print is the ink region), not only where it is dark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from foot_landmarks.external.cleanroom.raster import SOLE_LABEL, FootRaster

INK_STYLES = ("solid", "grainy", "dotted", "grid")
INK_COLOURS = {"blue": (40, 55, 150), "black": (30, 30, 34), "purple": (90, 45, 118)}
# The faintest ink that shows: alpha 0.02 darkens white paper (~245) by 3.6 grey levels or more in
# every ink colour (grey absorption 0.74-0.88), three times the paper's grain (sigma 1.2). A higher
# level cut the pale rim off faint toes: at 0.2 the tip of a faint solid hallux lay 3-6 mm inside
# its visible ink, in the middle of an even grey.
PRINT_THRESHOLD = 0.02


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale_px: float) -> np.ndarray:
    """Noise (h, w) in about 0..1 with features about `scale_px` wide (bicubic enlargement of white noise)."""
    h, w = shape
    scale = max(scale_px, 1.0)
    gh, gw = int(np.ceil(h / scale)) + 2, int(np.ceil(w / scale)) + 2
    small = rng.random((gh, gw), dtype=np.float32)
    big = Image.fromarray(small, mode="F").resize((int(gw * scale), int(gh * scale)), Image.BICUBIC)
    return np.asarray(big, dtype=np.float32)[:h, :w]


@dataclass(frozen=True)
class InkStyle:
    style: str
    colour_name: str
    colour: tuple[int, int, int]
    density: float  # alpha of full pressure
    pitch_px: float  # grid / dot pitch
    line_px: float  # grid line width
    angle_deg: float  # grid / dot lattice angle on the page
    phase: tuple[float, float]
    grain_px: float
    fill_from: float  # pressure above which grid cells fill in


def sample_ink_style(rng: np.random.Generator, px_per_mm: float, *, style: str | None = None,
                     pitch_mm: tuple[float, float] = (2.0, 4.0), colours: tuple[str, ...] = ("blue", "black", "purple"),
                     colour_p: tuple[float, ...] = (0.45, 0.35, 0.2)) -> InkStyle:
    style = style or str(rng.choice(INK_STYLES, p=[0.3, 0.3, 0.15, 0.25]))
    colour_name = str(rng.choice(colours, p=np.asarray(colour_p) / np.sum(colour_p)))
    pitch_mm_value = rng.uniform(*pitch_mm) if style == "grid" else rng.uniform(0.9, 1.8)
    return InkStyle(
        style=style,
        colour_name=colour_name,
        colour=INK_COLOURS[colour_name],
        density=float(rng.uniform(0.55, 0.95)),
        pitch_px=float(pitch_mm_value * px_per_mm),
        line_px=float(max(rng.uniform(0.25, 0.45) * px_per_mm, 1.3)),
        angle_deg=float(rng.normal(0.0, 1.0)),
        phase=(float(rng.random()), float(rng.random())),
        grain_px=float(max(rng.uniform(0.12, 0.35) * px_per_mm, 1.0)),
        fill_from=float(rng.uniform(0.55, 0.9)),
    )


def _lattice_offsets(xs: np.ndarray, ys: np.ndarray, style: InkStyle) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (px) of each pixel to the nearest lattice line in each of the two directions."""
    t = np.radians(style.angle_deg)
    u = (xs * np.cos(t) + ys * np.sin(t)) / style.pitch_px + style.phase[0]
    v = (-xs * np.sin(t) + ys * np.cos(t)) / style.pitch_px + style.phase[1]
    return (u - np.round(u)) * style.pitch_px, (v - np.round(v)) * style.pitch_px


def ink_alpha(raster: FootRaster, style: InkStyle, toe_ink: dict[int, float], rng: np.random.Generator,
              *, sole_ink: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ink the foot left, at its contact pixels: (rows, cols) in the crop, labels, alpha (float32)."""
    x0, y0 = raster.box[:2]
    ys, xs = np.nonzero(raster.labels)
    lab = raster.labels[ys, xs]
    if len(ys) == 0:
        return ys, xs, lab, np.zeros(0, dtype=np.float32)
    part_density = np.full(SOLE_LABEL + 1, sole_ink, dtype=np.float32)
    for k, v in toe_ink.items():
        part_density[k] = v
    p = raster.pressure[ys, xs]
    grain = smooth_noise(rng, raster.labels.shape, style.grain_px)[ys, xs]
    blotch = smooth_noise(rng, raster.labels.shape, 12.0 * style.grain_px)[ys, xs]
    density = style.density * part_density[lab] * (0.8 + 0.4 * blotch)
    px, py = xs.astype(np.float32) + x0, ys.astype(np.float32) + y0
    if style.style == "solid":
        a = density * (0.35 + 0.65 * p) * (0.85 + 0.3 * grain)
    elif style.style == "grainy":
        a = density * np.clip((0.3 + 0.9 * p) * (0.25 + 1.5 * grain), 0.0, 1.0)
    elif style.style == "dotted":
        du, dv = _lattice_offsets(px, py, style)
        radius = 0.45 * style.pitch_px * (0.35 + 0.65 * np.sqrt(p))
        a = density * np.clip(radius + 0.5 - np.hypot(du, dv), 0.0, 1.0) * (0.8 + 0.3 * grain)
    elif style.style == "grid":
        du, dv = _lattice_offsets(px, py, style)
        half = style.line_px / 2.0
        line = np.maximum(np.clip(half + 0.5 - np.abs(du), 0.0, 1.0), 0.9 * np.clip(half + 0.5 - np.abs(dv), 0.0, 1.0))
        fill = 0.6 * np.clip((p - style.fill_from) / (1.0 - style.fill_from), 0.0, 1.0) * (0.4 + 0.6 * grain)
        a = density * (line * (0.6 + 0.4 * p) * (0.75 + 0.35 * grain) + fill)
    else:
        raise ValueError(f"unknown ink style {style.style!r}")
    return ys, xs, lab, np.clip(a, 0.0, 1.0).astype(np.float32)
