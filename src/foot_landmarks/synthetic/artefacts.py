"""What the sheet and the scanner add around a print: paper, pen writing, blots, smudges, stray
marks, blur, sensor noise and JPEG compression.

Images here are float32 reflectance in [0, 1] (1 = white paper). Marks are painted with
:func:`paint`, which darkens toward a mark's gray by its coverage, as ink on paper does.
Placement avoids a "keep-out" map (the print, dilated) so that usable prints stay clean.
"""

from __future__ import annotations

import io
import string
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


KEEP_OUT_CELL_PX = 8  # resolution of the keep-out map


# ----------------------------------------------------------------------------- paper and scanner


def _smooth_profile(n: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """1-D smooth noise of length n with feature size `cell` (linear interpolation of knots)."""
    knots = rng.standard_normal(int(np.ceil(n / cell)) + 2).astype(np.float32)
    return np.interp(np.arange(n, dtype=np.float32) / cell, np.arange(len(knots)), knots).astype(np.float32)


def paper(shape: tuple[int, int], rng: np.random.Generator, dpi: float) -> np.ndarray:
    """Blank paper: off-white, gently uneven, sometimes with a scanner-lid shadow along one edge.

    The unevenness is a sum of row and column profiles, so a full page costs one broadcast add.
    """
    h, w = shape
    cell = 25.0 * dpi / 25.4  # ~25 mm undulations
    amp = np.float32(rng.uniform(0.002, 0.008))
    rows = np.float32(rng.uniform(0.88, 0.97)) + amp * _smooth_profile(h, cell, rng)
    cols = amp * _smooth_profile(w, cell, rng)
    if rng.random() < 0.35:
        depth = rng.uniform(3.0, 12.0) * dpi / 25.4
        strength = np.float32(rng.uniform(0.05, 0.2))
        edge = int(rng.integers(4))
        profile, n = (rows, h) if edge < 2 else (cols, w)
        ramp = strength * np.exp(-np.arange(n, dtype=np.float32) / np.float32(depth))
        profile -= ramp if edge % 2 == 0 else ramp[::-1]
    return np.clip(rows[:, None] + cols[None, :], 0.0, 1.0)


def dark_plate(shape: tuple[int, int], rng: np.random.Generator, dpi: float) -> np.ndarray:
    """The empty glass plate of a bare-sole scan: near black, gently uneven, sometimes a glare band.

    Built from row and column profiles, like :func:`paper` (one broadcast add for a full page).
    """
    h, w = shape
    cell = 30.0 * dpi / 25.4
    amp = np.float32(rng.uniform(0.003, 0.015))
    rows = np.float32(rng.uniform(0.01, 0.09)) + amp * _smooth_profile(h, cell, rng)
    cols = amp * _smooth_profile(w, cell, rng)
    if rng.random() < 0.3:  # light leaking in along one edge of the plate
        depth = rng.uniform(5.0, 25.0) * dpi / 25.4
        strength = np.float32(rng.uniform(0.03, 0.12))
        edge = int(rng.integers(4))
        profile, n = (rows, h) if edge < 2 else (cols, w)
        ramp = strength * np.exp(-np.arange(n, dtype=np.float32) / np.float32(depth))
        profile += ramp if edge % 2 == 0 else ramp[::-1]
    return np.clip(rows[:, None] + cols[None, :], 0.0, 1.0)


def _overlap(image: np.ndarray, coverage: np.ndarray, x0: int, y0: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The view of `image` under `coverage` placed at (x0, y0) and the matching part of
    `coverage`, clipped to the image; None when they do not overlap."""
    h, w = image.shape
    ch, cw = coverage.shape
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(w, x0 + cw), min(h, y0 + ch)
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    return image[iy0:iy1, ix0:ix1], coverage[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]


def lighten(image: np.ndarray, coverage: np.ndarray, x0: int, y0: int, level: float) -> None:
    """Brighten `image` in place toward `level` by `coverage` placed at (x0, y0), clipped (dust on a dark plate)."""
    if (overlap := _overlap(image, coverage, x0, y0)) is not None:
        region, cov = overlap
        region += cov * np.maximum(np.float32(level) - region, 0.0)


def paint(image: np.ndarray, coverage: np.ndarray, x0: int, y0: int, gray: float) -> None:
    """Darken `image` in place toward `gray` by `coverage` (0-1) placed at (x0, y0), clipped."""
    if (overlap := _overlap(image, coverage, x0, y0)) is not None:
        region, cov = overlap
        region -= cov * np.maximum(region - np.float32(gray), 0.0)  # ink only darkens


def quantise(image: np.ndarray) -> np.ndarray:
    """Float reflectance [0, 1] to 8-bit gray."""
    out = image * np.float32(255.0)
    out += np.float32(0.5)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def tone_curve(pixels: np.ndarray, gamma: float) -> np.ndarray:
    """A scanner's or phone's tone curve on 8-bit pixels (gray or RGB): 255 * (v / 255) ** gamma."""
    lut = np.clip(np.rint(255.0 * (np.arange(256) / 255.0) ** gamma), 0, 255).astype(np.uint8)
    return lut[pixels]


def blur_region(pixels: np.ndarray, box: tuple[int, int, int, int], radius: float) -> None:
    """Blur (scanner optics) of one rectangle of an 8-bit image, in place.

    A one-pass box blur of fractional `radius` (0.3-1 px looks like a scan's softness, and costs a
    third of a Gaussian); only rectangles with content need it, the paper is smooth already.
    """
    x0, y0, x1, y1 = box
    h, w = pixels.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 3 or y1 - y0 < 3 or radius <= 0:
        return
    patch = Image.fromarray(pixels[y0:y1, x0:x1]).filter(ImageFilter.BoxBlur(radius))
    pixels[y0:y1, x0:x1] = np.asarray(patch)


NOISE_TILE = 512  # sensor noise is drawn once per image as a tile and repeated at a random offset


def scanner_noise(pixels: np.ndarray, rng: np.random.Generator, sigma_gray: float) -> np.ndarray:
    """`pixels` (8-bit) plus Gaussian sensor noise of `sigma_gray` levels (a tile repeated at a random
    offset: cheap, and invisible at that amplitude)."""
    h, w = pixels.shape
    tile = np.rint(rng.standard_normal((NOISE_TILE, NOISE_TILE)) * sigma_gray).astype(np.int16)
    reps = (-(-h // NOISE_TILE) + 1, -(-w // NOISE_TILE) + 1)
    dy, dx = rng.integers(0, NOISE_TILE, 2)
    noisy = np.tile(tile, reps)[dy : dy + h, dx : dx + w]
    noisy += pixels
    np.clip(noisy, 0, 255, out=noisy)
    return noisy.astype(np.uint8)


def jpeg_bytes(image: np.ndarray, quality: int, dpi: float) -> bytes:
    """Grayscale JPEG (mode L) with the scan's dpi in its header."""
    out = io.BytesIO()
    Image.fromarray(image, mode="L").save(out, "JPEG", quality=int(quality), dpi=(dpi, dpi))
    return out.getvalue()


# ----------------------------------------------------------------------------- placement


@dataclass
class KeepOut:
    """A coarse map of where marks must not go (the print plus a margin), one cell = 8 px."""

    cells: np.ndarray
    cell: int = KEEP_OUT_CELL_PX

    @classmethod
    def around(cls, ink: np.ndarray, x0: int, y0: int, sheet_hw: tuple[int, int], margin_px: float) -> "KeepOut":
        c = KEEP_OUT_CELL_PX
        h, w = sheet_hw
        cells = np.zeros((-(-h // c), -(-w // c)), bool)
        rows, cols = np.nonzero(ink[::2, ::2])
        cells[(rows * 2 + y0) // c, (cols * 2 + x0) // c] = True
        grow = int(np.ceil(margin_px / c)) + 1
        if cells.any() and grow > 0:  # square dilation via cumulative sums (no scipy needed)
            cells = _dilate(cells, grow)
        return cls(cells)

    def is_free(self, box: tuple[int, int, int, int]) -> bool:
        x0, y0, x1, y1 = box
        c = self.cell
        sub = self.cells[max(0, y0 // c) : max(0, y1 // c + 1), max(0, x0 // c) : max(0, x1 // c + 1)]
        return not sub.any()

    def add(self, box: tuple[int, int, int, int]) -> None:
        x0, y0, x1, y1 = box
        c = self.cell
        self.cells[max(0, y0 // c) : max(0, y1 // c + 1), max(0, x0 // c) : max(0, x1 // c + 1)] = True


def _dilate(cells: np.ndarray, r: int) -> np.ndarray:
    padded = np.pad(cells.astype(np.int32), r)
    csum = padded.cumsum(0).cumsum(1)
    csum = np.pad(csum, ((1, 0), (1, 0)))
    k = 2 * r + 1
    h, w = cells.shape
    total = csum[k : k + h, k : k + w] - csum[:h, k : k + w] - csum[k : k + h, :w] + csum[:h, :w]
    return total > 0


def place(
    size_hw: tuple[int, int],
    sheet_hw: tuple[int, int],
    keep_out: KeepOut | None,
    rng: np.random.Generator,
    tries: int = 40,
) -> tuple[int, int] | None:
    """Top-left corner of a free spot for a mark of `size_hw` on the sheet, or None."""
    h, w = sheet_hw
    mh, mw = size_hw
    if mh >= h or mw >= w:
        return None
    for _ in range(tries):
        x0, y0 = int(rng.integers(0, w - mw)), int(rng.integers(0, h - mh))
        box = (x0, y0, x0 + mw, y0 + mh)
        if keep_out is None or keep_out.is_free(box):
            if keep_out is not None:
                keep_out.add(box)
            return x0, y0
    return None


# ----------------------------------------------------------------------------- marks

_NAMES = ("Ana", "Luis", "Rosa", "Jorge", "Maria", "Pedro", "Carmen", "Jose", "Lucia", "Diego", "Elena")
_WORDS = ("der", "izq", "pie D", "pie I", "ctrl", "post", "pre", "ok", "2a", "rep")


def handwriting_text(rng: np.random.Generator, subject: str) -> str:
    """Something a clinician writes on a sheet: a name, a code, a date, a side."""
    kind = rng.integers(4)
    if kind == 0:
        return f"{rng.choice(_NAMES)} {rng.choice(list(string.ascii_uppercase))}."
    if kind == 1:
        return f"{subject} {rng.choice(_WORDS)}"
    if kind == 2:
        return f"{rng.integers(1, 29)}/{rng.integers(1, 13)}/{rng.integers(18, 26):02d}"
    return f"{rng.choice(list(string.ascii_uppercase))}{rng.integers(10, 999)}"


def pen_text(text: str, height_px: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage (0-1) of `text` written with a pen: jittered glyphs, slant, uneven pressure."""
    font = ImageFont.load_default(size=max(8, height_px))
    left, top, right, bottom = font.getbbox(text)
    pad = height_px // 2
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, fill=255, font=font,
                                stroke_width=max(0, height_px // 30))
    shear = rng.uniform(-0.3, 0.05)  # handwriting leans
    canvas = canvas.transform(canvas.size, Image.AFFINE, (1, shear, -shear * canvas.size[1] / 2, 0, 1, 0),
                              resample=Image.BILINEAR)
    canvas = canvas.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, expand=True)
    cov = np.asarray(canvas, dtype=np.float32) / 255.0
    return cov * rng.uniform(0.7, 1.0)


def scribble(length_px: int, height_px: int, stroke_px: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage of a cursive-looking pen scribble (loops along a wavy baseline) or a signature."""
    n = 200
    t = np.linspace(0, 1, n)
    loops = rng.uniform(4, 12)
    x = t * length_px + 0.12 * height_px * np.cos(2 * np.pi * loops * t)
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6))  # letters of uneven size
    y = 0.5 * height_px * (1 + 0.8 * swell * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6)))
    pad = stroke_px * 2
    canvas = Image.new("L", (int(length_px + 2 * pad + height_px), int(height_px + 2 * pad)), 0)
    path = list(zip((x + pad).tolist(), (y + pad).tolist()))
    ImageDraw.Draw(canvas).line(path, fill=255, width=stroke_px, joint="curve")
    return np.asarray(canvas, dtype=np.float32) / 255.0


def blot(radius_px: float, rng: np.random.Generator, droplets: bool = True) -> np.ndarray:
    """Coverage of an ink blot: a lumpy disc with a few splashed droplets around it."""
    size = int(radius_px * 4) + 4
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    wobble = sum(rng.uniform(0, 0.18) * np.cos(k * angles + rng.uniform(0, 6)) for k in range(2, 7))
    r = radius_px * (1 + wobble)
    c = size / 2
    draw.polygon(list(zip((c + r * np.cos(angles)).tolist(), (c + r * np.sin(angles)).tolist())), fill=255)
    if droplets:
        for _ in range(int(rng.integers(0, 8))):
            a, d = rng.uniform(0, 2 * np.pi), radius_px * rng.uniform(1.1, 1.9)
            rr = radius_px * rng.uniform(0.03, 0.12)
            x, y = c + d * np.cos(a), c + d * np.sin(a)
            draw.ellipse([x - rr, y - rr, x + rr, y + rr], fill=255)
    canvas = canvas.filter(ImageFilter.GaussianBlur(max(0.6, radius_px * 0.01)))
    return np.asarray(canvas, dtype=np.float32) / 255.0


def smudge(length_px: float, rng: np.random.Generator) -> np.ndarray:
    """Coverage of a faint ink smear: an elongated, soft, streaky patch."""
    w, h = int(length_px) + 8, int(length_px * rng.uniform(0.15, 0.4)) + 8
    small = Image.new("L", (max(4, w // 4), max(4, h // 4)), 0)
    ImageDraw.Draw(small).ellipse([1, 1, small.size[0] - 2, small.size[1] - 2], fill=255)
    small = small.filter(ImageFilter.GaussianBlur(max(1.0, small.size[1] / 6)))
    big = small.resize((w, h), Image.BILINEAR).rotate(rng.uniform(0, 180), expand=True, resample=Image.BILINEAR)
    cov = np.asarray(big, dtype=np.float32) / 255.0
    streaks = 0.6 + 0.4 * np.sin(np.arange(cov.shape[0], dtype=np.float32) * rng.uniform(0.1, 0.4))[:, None]
    return cov * streaks * rng.uniform(0.15, 0.45)


def stray_mark(px_per_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Coverage of a small stray mark: a dot, a short stroke or a tick ruler like an ink mat's."""
    kind = rng.integers(3)
    if kind == 0:
        r = px_per_mm * rng.uniform(0.3, 1.2)
        return blot(r, rng, droplets=False)
    length = int(px_per_mm * rng.uniform(8, 40))
    thick = max(1, int(px_per_mm * rng.uniform(0.3, 0.8)))
    canvas = Image.new("L", (length + 8, length // 3 + 8), 0)
    draw = ImageDraw.Draw(canvas)
    if kind == 1:
        ends = [(4, 4 + rng.uniform(0, length / 3)), (4 + length, 4 + rng.uniform(0, length / 3))]
        draw.line(ends, fill=255, width=thick)
    else:  # a ruler-like bar of ticks
        y = canvas.size[1] // 2
        for x in np.arange(4, 4 + length, max(2.0, px_per_mm * 1.2)):
            draw.line([(x, y - thick * 2), (x, y + thick * 2)], fill=255, width=max(1, thick // 2))
        draw.line([(4, y), (4 + length, y)], fill=255, width=thick)
    cov = np.asarray(canvas.rotate(rng.uniform(-20, 20), expand=True, resample=Image.BILINEAR), dtype=np.float32)
    return cov / 255.0
