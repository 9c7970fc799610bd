"""Page-level randomisation for the foot finder: what real pages add around a foot.

Geometry (any rotation, zoom that cuts the page border, flips) is a matrix applied to the page
and to its points together (foot_finder.training). Here, on the finder's input (uint8, S x S),
the things that must never count as a foot and that our generator draws too rarely: long form
lines and graduated ruler bars (often touching a toe tip or the heel), logos and text, a table
around the page, shadows, glare, blur, noise, an inverted look. Each is drawn with a probability
from `rng`; `feet` (points in input px) say where a bar may touch a foot.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.draw import disk, line_aa, polygon

from foot_landmarks.landmarks import HEEL, TOE_IDS


def _ink(rng: np.random.Generator) -> float:
    """A dark ink, or a form's printed blue (light in gray), as gray level."""
    return float(rng.uniform(0, 70) if rng.random() < 0.6 else rng.uniform(90, 170))


def _thick_line(image: np.ndarray, a: np.ndarray, b: np.ndarray, width: float, level: float) -> None:
    d = b - a
    n = np.array([-d[1], d[0]]) / max(float(np.linalg.norm(d)), 1e-9) * width / 2
    quad = np.stack([a + n, b + n, b - n, a - n])
    rows, cols = polygon(quad[:, 1], quad[:, 0], image.shape)
    image[rows, cols] = np.minimum(image[rows, cols], level)


def form_lines(image: np.ndarray, rng: np.random.Generator) -> None:
    """Panel borders and rules: long thin straight lines, mostly along the page's axes."""
    h, w = image.shape
    for _ in range(int(rng.integers(1, 6))):
        level, width = _ink(rng), float(rng.uniform(0.8, 2.5))
        if rng.random() < 0.5:
            x = rng.uniform(0, w)
            a, b = np.array([x, rng.uniform(-20, h / 2)]), np.array([x + rng.normal(0, 3), rng.uniform(h / 2, h + 20)])
        else:
            y = rng.uniform(0, h)
            a, b = np.array([rng.uniform(-20, w / 2), y]), np.array([rng.uniform(w / 2, w + 20), y + rng.normal(0, 3)])
        if rng.random() < 0.3:  # any angle
            angle = rng.uniform(0, np.pi)
            c = rng.uniform([0, 0], [w, h])
            d = np.array([np.cos(angle), np.sin(angle)]) * rng.uniform(30, 200)
            a, b = c - d, c + d
        _thick_line(image, a, b, width, level)


def ruler_bar(image: np.ndarray, at: np.ndarray, along: np.ndarray, rng: np.random.Generator, length: float) -> None:
    """A graduated bar (a thick bar with ticks) centred on `at`, lying along `along`."""
    along = along / max(float(np.linalg.norm(along)), 1e-9)
    across = np.array([-along[1], along[0]])
    half = 0.5 * length
    level, width = float(rng.uniform(0, 90)), float(rng.uniform(1.5, 4.0))
    _thick_line(image, at - half * along, at + half * along, width, level)
    for t in np.linspace(-half, half, int(rng.integers(4, 12))):
        tick = at + t * along
        _thick_line(image, tick, tick + across * rng.uniform(2, 5) * rng.choice([-1, 1]), 1.0, level)


def bars_at_feet(image: np.ndarray, feet: list[np.ndarray], rng: np.random.Generator) -> None:
    """Ruler bars or pen ticks just beyond the toe tips, the heel or beside the forefoot, often touching."""
    for points in feet:
        heel, toes = points[HEEL - 1], points[[k - 1 for k in TOE_IDS]]
        axis = toes.mean(axis=0) - heel
        length = float(np.linalg.norm(axis))
        if not np.isfinite(length) or length < 8:
            continue
        unit = axis / length
        across = np.array([-unit[1], unit[0]])
        spots = [
            (toes[np.argmax(toes @ unit)] + unit * rng.uniform(-0.01, 0.04) * length, across),
            (heel - unit * rng.uniform(-0.01, 0.04) * length, across),
            (points[rng.choice([5, 6])] + across * rng.choice([-1, 1]) * rng.uniform(0.0, 0.05) * length, unit),
        ]
        for at, along in spots:
            if rng.random() < 0.45:
                ruler_bar(image, at, along, rng, rng.uniform(0.15, 0.45) * length)


def logos_and_text(image: np.ndarray, rng: np.random.Generator) -> None:
    """Filled shapes (logos, stamps) and clusters of short strokes (print and handwriting)."""
    h, w = image.shape
    for _ in range(int(rng.integers(0, 4))):
        c, r = rng.uniform([0, 0], [w, h]), rng.uniform(3, 14)
        rows, cols = disk((c[1], c[0]), r, shape=image.shape)
        image[rows, cols] = np.minimum(image[rows, cols], _ink(rng))
    for _ in range(int(rng.integers(0, 5))):
        origin, level = rng.uniform([0, 0], [w, h]), _ink(rng)
        size = rng.uniform(2, 6)
        for k in range(int(rng.integers(3, 20))):
            a = origin + np.array([k * size * 0.9, 0]) + rng.normal(0, size / 3, 2)
            b = a + rng.normal(0, size, 2)
            rr, cc, val = line_aa(*np.clip(np.round([a[1], a[0], b[1], b[0]]).astype(int), 0, [h - 1, w - 1, h - 1, w - 1]))
            image[rr, cc] = np.minimum(image[rr, cc], (level + (1 - val) * (255 - level)).astype(image.dtype))


def table_around(image: np.ndarray, rng: np.random.Generator) -> None:
    """A page that does not fill the photo: outside a random quadrilateral, a table (any tone,
    grain and a gradient)."""
    h, w = image.shape
    inset = rng.uniform(-0.1, 0.25, size=(4, 2)) * [w, h]
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], float) + inset * [[1, 1], [-1, 1], [-1, -1], [1, -1]]
    inside = np.zeros(image.shape, bool)
    rows, cols = polygon(quad[:, 1], quad[:, 0], image.shape)
    inside[rows, cols] = True
    tone = rng.uniform(20, 200)
    grain = ndi.gaussian_filter(rng.normal(0, 1, image.shape), rng.uniform(0.5, 3)) * rng.uniform(2, 25)
    ramp = np.linspace(-1, 1, w)[None, :] * rng.uniform(-30, 30) + np.linspace(-1, 1, h)[:, None] * rng.uniform(-30, 30)
    table = np.clip(tone + grain + ramp, 0, 255)
    image[~inside] = table[~inside].astype(image.dtype)


def lighting(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uneven light and a soft shadow (a hand or phone), as a smooth multiplicative field."""
    h, w = image.shape
    field = 1.0 - rng.uniform(0, 0.35) * ndi.gaussian_filter(rng.random((8, 8)), 1.5)[
        np.linspace(0, 7, h).astype(int)[:, None], np.linspace(0, 7, w).astype(int)[None, :]
    ]
    if rng.random() < 0.4:
        c, r = rng.uniform([0, 0], [w, h]), rng.uniform(0.15, 0.5) * max(h, w)
        ys, xs = np.mgrid[0:h, 0:w]
        shadow = np.clip(1 - np.hypot(xs - c[0], ys - c[1]) / r, 0, 1)
        field *= 1 - rng.uniform(0.2, 0.55) * ndi.gaussian_filter(shadow, 6)
    return np.clip(image * field, 0, 255).astype(np.uint8)


def photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Contrast, gamma, blur, noise; now and then the page reduced to two tones (a heavy, solid
    stamp of ink, or a thresholded scan)."""
    x = image.astype(np.float32) / 255.0
    if rng.random() < 0.08:
        level = np.quantile(x, rng.uniform(0.05, 0.3))
        x = np.where(x <= level, rng.uniform(0.0, 0.3), rng.uniform(0.75, 1.0)).astype(np.float32)
    x = np.clip((x - 0.5) * rng.uniform(0.6, 1.4) + 0.5 + rng.uniform(-0.12, 0.12), 0, 1) ** rng.uniform(0.6, 1.6)
    if rng.random() < 0.4:
        x = ndi.gaussian_filter(x, rng.uniform(0.4, 1.5))
    x = x + rng.normal(0, rng.uniform(0, 0.05), x.shape)
    return np.clip(x * 255, 0, 255).astype(np.uint8)


def randomise_page(image: np.ndarray, feet: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """All of the above, each with its probability, on one finder input (uint8, S x S)."""
    image = image.copy()
    if rng.random() < 0.35:
        table_around(image, rng)
    if rng.random() < 0.5:
        form_lines(image, rng)
    if rng.random() < 0.5:
        bars_at_feet(image, feet, rng)
    if rng.random() < 0.5:
        logos_and_text(image, rng)
    if rng.random() < 0.5:
        image = lighting(image, rng)
    image = photometric(image, rng)
    if rng.random() < 0.1:
        image = 255 - image
    return image
