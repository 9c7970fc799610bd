"""Tiny stand-in footprint pages for tests: ellipses for the foot, circles for the toes.

A right foot in print view has the hallux on the left; a left foot is drawn mirrored. The page
is dark ink on light paper, like a scan, with optional pen writing and an ink blot.
"""

from __future__ import annotations

import numpy as np
from skimage import draw

INK, PAPER = 40, 235

# Foot parts in units of the foot length L, x to the lateral side of a right foot, y from the toes down.
_BODY = [  # (cx, cy, rx, ry): forefoot, lateral midfoot band, heel
    (0.0, 0.30, 0.19, 0.10),
    (0.10, 0.58, 0.07, 0.24),
    (0.03, 0.85, 0.13, 0.14),
]
_TOES = [(-0.12, 0.10, 0.065), (-0.02, 0.09, 0.035), (0.05, 0.11, 0.032), (0.11, 0.14, 0.03), (0.16, 0.18, 0.028)]


def foot_landmarks(side: str, length: float, centre_x: float, top_y: float) -> np.ndarray:
    """(8, 2) landmarks of the drawn foot, numbered as in LANDMARKS.md."""
    sign = 1.0 if side == "right" else -1.0
    toes = [(cx, cy - r) for cx, cy, r in _TOES]
    unit = toes + [(-0.19, 0.30), (0.19, 0.30), (0.03, 0.99)]
    return np.array([[centre_x + sign * x * length, top_y + y * length] for x, y in unit])


def draw_foot(image: np.ndarray, side: str, length: float, centre_x: float, top_y: float) -> np.ndarray:
    """Draw one print into `image` (uint8, in place); returns its landmarks."""
    sign = 1.0 if side == "right" else -1.0
    for cx, cy, rx, ry in _BODY:
        rr, cc = draw.ellipse(top_y + cy * length, centre_x + sign * cx * length, ry * length, rx * length, shape=image.shape)
        image[rr, cc] = INK
    for cx, cy, r in _TOES:
        rr, cc = draw.disk((top_y + cy * length, centre_x + sign * cx * length), r * length, shape=image.shape)
        image[rr, cc] = INK
    return foot_landmarks(side, length, centre_x, top_y)


def draw_pen_scribble(image: np.ndarray, x0: float, y0: float, width: float, thickness: int = 2) -> np.ndarray:
    """A wavy pen line (like handwriting) starting at (x0, y0); returns its mask."""
    mask = np.zeros(image.shape, bool)
    xs = np.linspace(x0, x0 + width, 200)
    ys = y0 + 0.08 * width * np.sin(xs / width * 6 * np.pi)
    for (xa, ya), (xb, yb) in zip(zip(xs[:-1], ys[:-1]), zip(xs[1:], ys[1:])):
        rr, cc = draw.line(int(ya), int(xa), int(yb), int(xb))
        for d in range(thickness):
            ok = (rr + d < image.shape[0]) & (cc < image.shape[1])
            mask[rr[ok] + d, cc[ok]] = True
    image[mask] = INK
    return mask


def draw_blot(image: np.ndarray, cx: float, cy: float, radius: float) -> np.ndarray:
    mask = np.zeros(image.shape, bool)
    rr, cc = draw.disk((cy, cx), radius, shape=image.shape)
    mask[rr, cc] = True
    image[mask] = 10
    return mask


def foot_page(
    side: str = "right",
    shape: tuple[int, int] = (440, 320),
    scribble: bool = False,
    blot: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A page (uint8 H x W) with one print, foot length 70 % of the page height; and its landmarks."""
    rng = np.random.default_rng(seed)
    h, w = shape
    page = np.full(shape, PAPER, np.uint8)
    length = 0.7 * h
    points = draw_foot(page, side, length, centre_x=0.45 * w, top_y=0.12 * h)
    if scribble:
        draw_pen_scribble(page, x0=0.72 * w, y0=0.06 * h, width=0.22 * w, thickness=max(1, h // 300))
    if blot:
        draw_blot(page, cx=0.85 * w, cy=0.85 * h, radius=0.06 * h)
    noise = rng.normal(0, 4, shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8), points
