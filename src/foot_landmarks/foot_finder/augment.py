"""Page-level randomisation for the foot finder: what real pages add around a foot.

Geometry (any rotation, zoom that cuts the page border, flips) is a matrix applied to the page
and to its points together (foot_finder.training). Here, on the finder's input (uint8, S x S),
the things that must never count as a foot and that our generator draws too rarely: long form
lines and graduated ruler bars (often touching a toe tip or the heel), logos and text, a table
around the page, shadows, glare, blur, noise, an inverted look; and, where `PageLooks` asks for
them, prints inked through a coarse mesh (an ink mat's grid), hard-edged shadows (a hand, a phone)
and a small page on a table. Each is drawn with a probability from `rng`; `feet` (points in input
px) say where a bar may touch a foot.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class PageLooks:
    """Probabilities of the looks an ink-mat photo adds beyond the generator's pages (0: never).
    `small_page`: the page zoomed out to 0.4-0.75 of its fitted size, a table around it."""

    mesh: float = 0.0
    hard_shadow: float = 0.0
    small_page: float = 0.0


def table_around(image: np.ndarray, rng: np.random.Generator, page: np.ndarray | None = None) -> None:
    """A page that does not fill the photo: outside a quadrilateral (`page`, input px, else a
    random one near the frame), a table (any tone, grain and a gradient)."""
    h, w = image.shape
    if page is None:
        inset = rng.uniform(-0.1, 0.25, size=(4, 2)) * [w, h]
        quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], float) + inset * [[1, 1], [-1, 1], [-1, -1], [1, -1]]
    else:
        quad = np.asarray(page, float)
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


def mesh_texture(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink printed through a coarse mesh (an ink mat's grid of 2.5-6 input px cells, at any
    angle): between its threads the ink fades toward the paper, so a print reads as a lattice of
    lines or dots whose darkness follows the pressure. The paper, lighter than the ink, stays."""
    h, w = image.shape
    cell, angle = rng.uniform(2.5, 6.0), rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xs * np.cos(angle) + ys * np.sin(angle)) / cell
    v = (-xs * np.sin(angle) + ys * np.cos(angle)) / cell
    width = rng.uniform(0.12, 0.3)  # of a cell: a thread's half-width
    near_u, near_v = np.abs(u - np.round(u)) < width, np.abs(v - np.round(v)) < width
    threads = (near_u & near_v) if rng.random() < 0.35 else (near_u | near_v)  # dots or lines
    threads = ndi.gaussian_filter(threads.astype(np.float32), 0.5)
    threads /= max(float(threads.max()), 1e-6)  # a thread's middle holds all its ink
    floor = rng.uniform(0.0, 0.45)  # how much ink is left between the threads
    # the paper around each spot (a page's own tone, not the table's): the light level within
    # reach of a print's width (a foot is about a sixth of the input wide)
    reach = 2 * int(0.15 * max(h, w)) + 1
    paper = ndi.gaussian_filter(ndi.maximum_filter(image, reach).astype(np.float32), 4)
    ink = np.clip(paper - image.astype(np.float32), 0, None)
    return np.clip(paper - ink * (floor + (1 - floor) * threads), 0, 255).astype(np.uint8)


def hard_shadow(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A hard-edged shadow (a hand, a phone, a fork) over part of the page: a dark polygon or a few
    thick strokes from one side, sharp or slightly soft."""
    h, w = image.shape
    mask = np.zeros(image.shape, np.float32)
    if rng.random() < 0.5:
        c, r = rng.uniform([0, 0], [w, h]), rng.uniform(0.1, 0.45) * max(h, w)
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 8))))
        quad = c + np.stack([np.cos(angles), np.sin(angles)], 1) * r * rng.uniform(0.4, 1.0, (len(angles), 1))
        rows, cols = polygon(quad[:, 1], quad[:, 0], image.shape)
        mask[rows, cols] = 1
    else:  # fingers or a fork's prongs reaching in from outside the frame
        start, end = rng.uniform([-0.2, -0.2], [1.2, 1.2], 2) * [w, h], rng.uniform([0.2, 0.2], [0.8, 0.8]) * [w, h]
        across = np.array([-(end - start)[1], (end - start)[0]]) / max(float(np.linalg.norm(end - start)), 1e-9)
        spread, width = rng.uniform(4, 20), rng.uniform(3, 12)
        strip = np.zeros(image.shape)
        for k in range(int(rng.integers(1, 5))):
            offset = across * spread * (k - 1.5)
            _thick_line(strip, start + offset, end + offset * rng.uniform(0.8, 1.2), width, -1.0)
        mask[strip < 0] = 1
    mask = ndi.gaussian_filter(mask, rng.uniform(0.3, 3.0))
    darker = 1.0 - rng.uniform(0.25, 0.6) * mask
    return np.clip(image * darker, 0, 255).astype(np.uint8)


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


def randomise_page(
    image: np.ndarray, feet: list[np.ndarray], rng: np.random.Generator,
    looks: PageLooks = PageLooks(), page: np.ndarray | None = None,
) -> np.ndarray:
    """All of the above, each with its probability, on one finder input (uint8, S x S). `page`:
    the page's corners (input px) where it was zoomed out to a small page: a table around it."""
    image = image.copy()
    if looks.mesh and rng.random() < looks.mesh:
        image = mesh_texture(image, rng)
    if page is not None:
        table_around(image, rng, page)
    elif rng.random() < 0.35:
        table_around(image, rng)
    if rng.random() < 0.5:
        form_lines(image, rng)
    if rng.random() < 0.5:
        bars_at_feet(image, feet, rng)
    if rng.random() < 0.5:
        logos_and_text(image, rng)
    if rng.random() < 0.5:
        image = lighting(image, rng)
    if looks.hard_shadow and rng.random() < looks.hard_shadow:
        image = hard_shadow(image, rng)
    image = photometric(image, rng)
    if rng.random() < 0.1:
        image = 255 - image
    return image
