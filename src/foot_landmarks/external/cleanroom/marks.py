"""Things on a page that are not the print: handwriting, pen lines, ruler bars, stamps, staples,
folds, scanner-lid shadows, hand and phone shadows, dust and scratches.

Opaque marks are drawn through `Pen`, which draws the same shape on the picture and on an
occluder mask: the ground truth drops print pixels hidden under a mark (the print is what can be
seen). All sizes are given in pixels by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from foot_landmarks.external.cleanroom.anatomy import catmull_rom
from foot_landmarks.external.cleanroom.surfaces import enlarge

PEN_COLOURS = {"blue": (30, 45, 160), "black": (25, 25, 30), "red": (175, 30, 35)}


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font (no system fonts needed)."""
    return ImageFont.load_default(size=max(int(size), 6))


@dataclass
class Pen:
    """Draws opaque marks on the picture and, where `occludes`, on the occluder mask too."""

    picture: ImageDraw.ImageDraw
    occluder: ImageDraw.ImageDraw | None = None
    drawn: list[str] = field(default_factory=list)

    def line(self, pts: np.ndarray, colour: tuple[int, ...], width: int, occludes: bool = True) -> None:
        seq = [tuple(p) for p in (np.asarray(pts, dtype=float) + 0.5).tolist()]
        width = max(int(round(width)), 1)
        self.picture.line(seq, fill=colour, width=width, joint="curve")
        if occludes and self.occluder is not None:
            self.occluder.line(seq, fill=1, width=width, joint="curve")
        if width > 2:  # round ends
            for end in (seq[0], seq[-1]):
                r = width / 2.0
                box = [end[0] - r, end[1] - r, end[0] + r, end[1] + r]
                self.picture.ellipse(box, fill=colour)
                if occludes and self.occluder is not None:
                    self.occluder.ellipse(box, fill=1)

    def polygon(self, pts: np.ndarray, colour: tuple[int, ...], occludes: bool = True) -> None:
        seq = [tuple(p) for p in (np.asarray(pts, dtype=float) + 0.5).tolist()]
        self.picture.polygon(seq, fill=colour)
        if occludes and self.occluder is not None:
            self.occluder.polygon(seq, fill=1)

    def text(self, xy: tuple[float, float], text: str, colour: tuple[int, ...], size: int,
             occludes: bool = True, stroke: int = 0) -> None:
        f = font(size)
        self.picture.text(xy, text, fill=colour, font=f, stroke_width=stroke, stroke_fill=colour)
        if occludes and self.occluder is not None:
            self.occluder.text(xy, text, fill=1, font=f, stroke_width=stroke)


# Cursive letter shapes: points in a letter box (x 0..1 across, y 0 on the baseline, -1 at the top
# of small letters, -2 at ascenders, +0.8 at descenders), entering at the left baseline and leaving
# at the right one so that letters join.
CURSIVE = {
    "e": [(0.0, 0.0), (0.5, -0.45), (0.75, -0.8), (0.45, -0.95), (0.2, -0.6), (0.35, -0.1), (0.7, 0.0), (1.0, -0.15)],
    "l": [(0.0, 0.0), (0.45, -0.8), (0.6, -1.8), (0.35, -2.0), (0.2, -1.6), (0.35, -0.5), (0.55, 0.0), (1.0, -0.15)],
    "n": [(0.0, 0.0), (0.08, -0.85), (0.15, -0.05), (0.3, -0.8), (0.5, -0.9), (0.55, -0.05), (0.7, -0.8),
          (0.88, -0.85), (0.9, -0.1), (1.0, -0.1)],
    "o": [(0.0, 0.0), (0.3, -0.6), (0.6, -0.95), (0.35, -0.95), (0.25, -0.4), (0.5, 0.0), (0.8, -0.5), (0.65, -0.9),
          (1.0, -0.8)],
    "a": [(0.0, 0.0), (0.3, -0.7), (0.55, -0.9), (0.3, -0.95), (0.1, -0.5), (0.3, 0.0), (0.6, -0.6), (0.65, -0.9),
          (0.65, -0.1), (1.0, -0.1)],
    "d": [(0.0, 0.0), (0.3, -0.7), (0.55, -0.9), (0.3, -0.95), (0.1, -0.5), (0.3, 0.0), (0.6, -0.6), (0.7, -2.0),
          (0.68, -0.1), (1.0, -0.1)],
    "g": [(0.0, 0.0), (0.3, -0.7), (0.55, -0.9), (0.3, -0.95), (0.1, -0.5), (0.3, 0.0), (0.6, -0.6), (0.65, -0.9),
          (0.65, 0.7), (0.35, 0.9), (0.2, 0.6), (0.6, 0.1), (1.0, -0.1)],
    "i": [(0.0, 0.0), (0.4, -0.9), (0.45, -0.1), (1.0, -0.15)],
    "t": [(0.0, 0.0), (0.4, -0.6), (0.5, -1.6), (0.45, -0.1), (1.0, -0.15)],
    "r": [(0.0, 0.0), (0.2, -0.9), (0.3, -0.6), (0.6, -0.9), (0.7, -0.75), (0.65, -0.1), (1.0, -0.1)],
    "s": [(0.0, 0.0), (0.5, -0.95), (0.3, -0.6), (0.75, -0.3), (0.45, 0.0), (0.2, -0.1), (1.0, -0.1)],
    "u": [(0.0, 0.0), (0.1, -0.85), (0.2, -0.05), (0.45, -0.1), (0.6, -0.85), (0.62, -0.05), (1.0, -0.1)],
}


def handwriting(rng: np.random.Generator, origin: tuple[float, float], height: float, n_letters: int,
                angle_deg: float = 0.0) -> list[np.ndarray]:
    """Cursive-looking strokes (one polyline per word) from `origin` (left end of the baseline),
    small letters `height` px tall."""
    words, x = [], 0.0
    remaining = n_letters
    t = np.radians(angle_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    slant = rng.uniform(0.1, 0.35)
    letters = list(CURSIVE)
    while remaining > 0:
        count = int(min(remaining, rng.integers(2, 8)))
        remaining -= count
        pts = []
        for _ in range(count):
            shape = np.array(CURSIVE[letters[int(rng.integers(len(letters)))]], dtype=float)
            w = height * rng.uniform(0.55, 0.85)
            jitter = rng.normal(0.0, 0.04, size=shape.shape)
            letter = np.stack([x + (shape[:, 0] + jitter[:, 0]) * w, (shape[:, 1] + jitter[:, 1]) * height], 1)
            letter[:, 0] -= slant * letter[:, 1]
            pts.extend(letter.tolist() if not pts else letter[1:].tolist())
            x += w
        curve = catmull_rom(np.array(pts), step_mm=max(height / 10.0, 0.8), closed=False)
        words.append(curve @ rot.T + np.array(origin))
        x += height * rng.uniform(0.6, 1.2)
    return words


def ruler_bar(rng: np.random.Generator, start: np.ndarray, direction: np.ndarray, length: float,
              thickness: float, px_per_mm: float, tick_side: float = 1.0) -> list[np.ndarray]:
    """Polygons of a graduated bar: a thick bar from `start` along `direction`, ticks every 1 mm
    (longer every 5 mm) on one side."""
    d = np.asarray(direction, dtype=float)
    d /= np.linalg.norm(d)
    n = np.array([-d[1], d[0]]) * tick_side
    s = np.asarray(start, dtype=float)
    bar = np.array([s, s + d * length, s + d * length + n * thickness, s + n * thickness])
    polys = [bar]
    tick_w = max(0.18 * px_per_mm, 1.0)
    for i, pos in enumerate(np.arange(0.0, length, px_per_mm)):
        tick = (0.9 if i % 5 == 0 else 0.45) * thickness
        a = s + d * pos + n * thickness
        polys.append(np.array([a, a + d * tick_w, a + d * tick_w + n * tick, a + n * tick]))
    return polys


def stamp(pen: Pen, rng: np.random.Generator, centre: tuple[float, float], radius: float,
          colour: tuple[int, int, int], words: str) -> None:
    """A round rubber stamp: two rings and a line of text (never over the print: placed in free space)."""
    cx, cy = centre
    w = max(radius * 0.06, 1.0)
    for r in (radius, radius * 0.78):
        pen.picture.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colour, width=int(w))
    size = int(radius * 0.3)
    pen.text((cx - radius * 0.62, cy - size * 0.6), words[:9], colour, size, occludes=False)


def staple(pen: Pen, centre: np.ndarray, angle_deg: float, length: float) -> None:
    t = np.radians(angle_deg)
    d = np.array([np.cos(t), np.sin(t)])
    c = np.asarray(centre, dtype=float)
    ends = np.array([c - d * length / 2, c + d * length / 2])
    pen.line(ends, (120, 120, 128), max(int(length / 12), 2))
    pen.line(ends + 1.0, (200, 200, 205), 1, occludes=False)  # the wire's highlight


def lid_shadow(rgb: np.ndarray, rng: np.random.Generator, width: int) -> str:
    """Darken one edge of a scan in place (the lid did not close on a thick sheet); uint8 or float."""
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    h, w = rgb.shape[:2]
    width = int(min(width, h, w))
    ramp = np.linspace(1.0, 0.0, width, dtype=np.float32) ** rng.uniform(1.5, 3.0)
    shade = 1.0 - rng.uniform(0.25, 0.7) * ramp
    extra = (1,) * (rgb.ndim - 2)
    if side == "left":
        region, factor = (slice(None), slice(0, width)), shade.reshape((1, width) + extra)
    elif side == "right":
        region, factor = (slice(None), slice(w - width, w)), shade[::-1].reshape((1, width) + extra)
    elif side == "top":
        region, factor = (slice(0, width), slice(None)), shade.reshape((width, 1) + extra)
    else:
        region, factor = (slice(h - width, h), slice(None)), shade[::-1].reshape((width, 1) + extra)
    rgb[region] = np.clip(rgb[region].astype(np.float32) * factor, 0, 255).astype(rgb.dtype)
    return side


def fold_line(rgb: np.ndarray, rng: np.random.Generator, px_per_mm: float) -> None:
    """A soft crease across the whole page: a thin dark line with a light side (in place)."""
    h, w = rgb.shape[:2]
    horizontal = rng.random() < 0.6
    pos = rng.uniform(0.25, 0.75) * (h if horizontal else w)
    slope = rng.normal(0, 0.01)
    half = max(int(1.2 * px_per_mm), 2)
    along = np.arange(w if horizontal else h)
    centre = (pos + slope * (along - along.size / 2)).astype(int)
    for off in range(-half, half + 1):
        k = 1.0 - 0.07 * np.exp(-(off / (0.4 * half)) ** 2) + (0.02 if off > 0 else 0.0) * np.exp(-abs(off) / half)
        across = np.clip(centre + off, 0, (h if horizontal else w) - 1)
        idx = (across, along) if horizontal else (along, across)
        rgb[idx] = np.clip(rgb[idx].astype(np.float32) * k, 0, 255).astype(rgb.dtype)


def cast_shadow(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """Soft shadow factor (h, w) in 0..1 (1 = no shadow) of a hand or a phone held over the sheet."""
    h, w = shape
    scale = 8
    sh, sw = max(h // scale, 4), max(w // scale, 4)
    img = Image.new("L", (sw, sh), 0)
    draw = ImageDraw.Draw(img)
    edge = int(rng.integers(4))
    # Anchor the shadow on one edge, reaching into the sheet.
    if edge == 0:
        anchor = np.array([rng.uniform(0.1, 0.9) * sw, sh * 1.05])
    elif edge == 1:
        anchor = np.array([rng.uniform(0.1, 0.9) * sw, -0.05 * sh])
    elif edge == 2:
        anchor = np.array([-0.05 * sw, rng.uniform(0.1, 0.9) * sh])
    else:
        anchor = np.array([sw * 1.05, rng.uniform(0.1, 0.9) * sh])
    inward = np.array([sw / 2, sh / 2]) - anchor
    inward /= np.linalg.norm(inward)
    across = np.array([-inward[1], inward[0]])
    reach = rng.uniform(0.25, 0.55) * min(sw, sh)
    if kind == "phone":
        half = rng.uniform(0.12, 0.2) * min(sw, sh)
        tip = anchor + inward * reach
        draw.polygon([tuple(anchor + across * half), tuple(tip + across * half),
                      tuple(tip - across * half), tuple(anchor - across * half)], fill=255)
    else:
        palm = anchor + inward * reach * 0.5
        r = rng.uniform(0.1, 0.16) * min(sw, sh)
        draw.ellipse([palm[0] - r, palm[1] - r, palm[0] + r, palm[1] + r], fill=255)
        draw.polygon([tuple(anchor + across * r), tuple(palm + across * r),
                      tuple(palm - across * r), tuple(anchor - across * r)], fill=255)
        for f in range(4):
            spread = (f - 1.5) * 0.45 * r
            base = palm + across * spread + inward * r * 0.6
            tip = base + inward * r * rng.uniform(1.2, 1.9)
            draw.line([tuple(base), tuple(tip)], fill=255, width=max(int(0.35 * r), 1))
    blurred = img.filter(ImageFilter.GaussianBlur(rng.uniform(1.5, 4.0)))
    small = np.asarray(blurred, dtype=np.float32) / 255.0
    strength = rng.uniform(0.2, 0.45)
    return 1.0 - strength * enlarge(small, shape)


def dust_and_scratches(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: tuple[int, int],
                       px_per_mm: float, level: int) -> None:
    """Bright specks and thin scratches on a dark scanner glass."""
    w, h = size
    for _ in range(int(rng.integers(5, 40))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.5, 2.0) * px_per_mm / 4
        draw.ellipse([x - r, y - r, x + r, y + r], fill=int(level * rng.uniform(0.4, 1.0)))
    for _ in range(int(rng.integers(0, 4))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        t = rng.uniform(0, np.pi)
        ln = rng.uniform(10, 60) * px_per_mm
        draw.line([(x, y), (x + ln * np.cos(t), y + ln * np.sin(t))], fill=int(level * 0.5), width=1)
