"""Backgrounds: paper, table tops, the dark glass of a sole scanner, and the skin of a sole.

Large images get their slow-varying part from a small random field enlarged by PIL and their
pixel grain from a small tiled noise patch, so a full A4 page at 300 dpi stays cheap.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from foot_landmarks.external.cleanroom.inks import smooth_noise

TABLES = ("wood", "grey", "cloth")


def tiled_noise(rng: np.random.Generator, shape: tuple[int, int], tile: int = 192) -> np.ndarray:
    """Zero-mean unit pixel noise (h, w) from a tiled random patch."""
    h, w = shape
    patch = rng.standard_normal((tile, tile), dtype=np.float32)
    reps = (-(-h // tile), -(-w // tile))
    return np.tile(patch, reps)[:h, :w]


def enlarge(field: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear enlargement of a small 2-D float field to (h, w)."""
    h, w = shape
    img = Image.fromarray(np.ascontiguousarray(field, dtype=np.float32), mode="F")
    return np.asarray(img.resize((w, h), Image.BILINEAR), dtype=np.float32)


def paper(rng: np.random.Generator, shape: tuple[int, int], px_per_mm: float) -> np.ndarray:
    """White paper as uint8 RGB (h, w, 3)."""
    h, w = shape
    base = np.full(3, rng.uniform(238, 252), dtype=np.float32)
    base += np.array([rng.uniform(-2, 3), rng.uniform(-1, 2), rng.uniform(-3, 3)], dtype=np.float32)
    cells = max(int(30 * px_per_mm), 8)
    slow = rng.random((h // cells + 2, w // cells + 2, 1), dtype=np.float32)
    small = np.clip(base[None, None, :] * (1.0 + 0.015 * (slow - 0.5)) + 0.5, 0, 255).astype(np.uint8)
    rgb = np.array(Image.fromarray(small).resize((w, h), Image.BILINEAR))
    grain = np.round(1.2 * tiled_noise(rng, shape)).astype(np.int16)
    return np.clip(rgb.astype(np.int16) + grain[..., None], 0, 255).astype(np.uint8)


def table(rng: np.random.Generator, shape: tuple[int, int], style: str | None = None) -> tuple[np.ndarray, str]:
    """A table top seen by a phone camera, float32 RGB (h, w, 3)."""
    style = style or str(rng.choice(TABLES))
    h, w = shape
    small = (max(h // 8, 2), max(w // 8, 2))
    if style == "wood":
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:small[0], 0:small[1]].astype(np.float32)
        u = xx * np.cos(angle) + yy * np.sin(angle)
        wobble = smooth_noise(rng, small, 20.0) * 12.0
        stripes = 0.5 + 0.5 * np.sin((u + wobble) * rng.uniform(0.15, 0.4))
        grain = enlarge(0.7 * stripes + 0.3 * smooth_noise(rng, small, 3.0), shape)
        colour = np.array([rng.uniform(120, 175), rng.uniform(80, 115), rng.uniform(45, 75)], dtype=np.float32)
        rgb = colour[None, None, :] * (0.75 + 0.35 * grain[..., None])
    elif style == "grey":
        g = rng.uniform(95, 165)
        mottle = enlarge(smooth_noise(rng, small, 12.0), shape)
        colour = np.array([g, g, g * rng.uniform(0.95, 1.05)], dtype=np.float32)
        rgb = colour[None, None, :] * (0.9 + 0.2 * mottle[..., None])
    elif style == "cloth":
        g = rng.uniform(25, 60)
        cols, rows = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
        weave = 0.5 + 0.5 * np.sin(cols[None, :] * 1.9) * np.sin(rows[:, None] * 1.7)
        folds = enlarge(smooth_noise(rng, small, 25.0), shape)
        tint = np.array([1.0, rng.uniform(0.9, 1.05), rng.uniform(0.95, 1.25)], dtype=np.float32)
        rgb = g * tint[None, None, :] * (0.75 + 0.2 * weave[..., None] + 0.35 * folds[..., None])
    else:
        raise ValueError(f"unknown table {style!r}")
    rgb = rgb + 4.0 * tiled_noise(rng, shape)[..., None]
    return np.clip(rgb, 0, 255).astype(np.float32), style


def scanner_glass(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """The dark background of a sole scanner (float32 grey, 0..255)."""
    level = rng.uniform(0, 22)
    slow = enlarge(rng.random((6, 4), dtype=np.float32), shape)
    return np.clip(level + 10.0 * slow + rng.uniform(1.0, 4.0) * tiled_noise(rng, shape), 0, 255)


def ridge_pattern(xs: np.ndarray, ys: np.ndarray, period_px: float, rng: np.random.Generator) -> np.ndarray:
    """Papillary ridges (-1..1) at pixels given relative to the sole's centre: wide arcs around a
    far centre, bent by two slow waves so that they meander like skin ridges."""
    radius = rng.uniform(300.0, 800.0) * period_px
    direction = rng.uniform(0, 2 * np.pi)
    cx, cy = radius * np.cos(direction), radius * np.sin(direction)
    u = np.hypot(xs - np.float32(cx), ys - np.float32(cy))
    for _ in range(3):
        amplitude = rng.uniform(0.5, 2.0) * period_px
        wavelength = rng.uniform(40.0, 100.0) * period_px
        t = rng.uniform(0, np.pi)
        u = u + amplitude * np.sin(2 * np.pi * (xs * np.cos(t) + ys * np.sin(t)) / wavelength + rng.uniform(0, 6))
    return np.sin(2 * np.pi * u / period_px)
