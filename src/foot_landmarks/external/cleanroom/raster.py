"""Put a foot model on a page: contact labels, toe outlines and a pressure field in page pixels.

Coordinates are image pixels with the pixel centre at integer (x = column, y = row), as in
LANDMARKS.md. A placement is a 3x3 matrix from model millimetres (right foot, print view, y distal)
to page pixels; it holds the mirror for left feet and for views from below, the rotation and the
scale. Polygons are filled directly in the page frame at the page's own resolution, so no label
is ever resampled before the homography of a photograph.

Label codes, per foot (`base` = 0 for the first foot on a page, 10 for the second):
base + 1..5 the contact of toe 1..5, base + 6 the sole (heel, midfoot band, ball).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from foot_landmarks.external.cleanroom.anatomy import FootModel

SOLE_LABEL = 6


def affine(a: float = 1.0, b: float = 0.0, c: float = 0.0,
           d: float = 0.0, e: float = 1.0, f: float = 0.0) -> np.ndarray:
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def translation(dx: float, dy: float) -> np.ndarray:
    return affine(c=dx, f=dy)


def rotation(degrees_clockwise: float) -> np.ndarray:
    """Rotation that turns an upright image content clockwise as displayed (y points down)."""
    t = np.radians(degrees_clockwise)
    return affine(np.cos(t), -np.sin(t), 0.0, np.sin(t), np.cos(t), 0.0)


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (n, 2) points through a 3x3 projective matrix."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    h = np.hstack([pts, np.ones((len(pts), 1))]) @ matrix.T
    return h[:, :2] / h[:, 2:3]


def placement(model: FootModel, px_per_mm: float, rotation_deg: float, centre_px: tuple[float, float],
              hallux_on_right: bool) -> np.ndarray:
    """Model mm -> page px: the foot's centre lands on `centre_px`, toes up before the rotation.

    `hallux_on_right` is the left-foot configuration (a left foot in print view, or a right foot
    seen from below); the model is a right foot in print view (hallux on the left).
    """
    mirror = affine(a=-1.0 if hallux_on_right else 1.0, e=-1.0)
    return (translation(*centre_px) @ rotation(rotation_deg) @ affine(a=px_per_mm, e=px_per_mm)
            @ mirror @ translation(-model.centre[0], -model.centre[1]))


@dataclass
class FootRaster:
    """One foot on a page, as a crop `box` = (x0, y0, x1, y1) (x1, y1 exclusive) of the page."""

    box: tuple[int, int, int, int]
    labels: np.ndarray  # uint8: 1..5 toe contact, 6 sole contact
    outline: np.ndarray  # uint8: 1..5 whole toe pad, whether it printed or not
    pressure: np.ndarray  # float32 0..1
    silhouette: np.ndarray | None  # bool: whole plantar surface (bare-sole glow)


def _fill(size: tuple[int, int], polygons: list[np.ndarray], offset: tuple[int, int]) -> np.ndarray:
    """Boolean mask (h, w) of filled polygons given in page px; the crop starts at `offset`."""
    w, h = size
    img = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for poly in polygons:
        # PIL truncates vertex coordinates; +0.5 makes that a rounding to the nearest pixel centre.
        pts = poly - np.array(offset, dtype=float) + 0.5
        draw.polygon([tuple(p) for p in pts.tolist()], fill=1)
    return np.array(img, dtype=bool)


def foot_box(model: FootModel, matrix: np.ndarray, page_size: tuple[int, int],
             margin: int = 4) -> tuple[int, int, int, int]:
    pts = apply(matrix, np.vstack([model.sole, model.silhouette] + [t.outline(24) for t in model.toes]))
    w, h = page_size
    x0 = int(np.clip(np.floor(pts[:, 0].min()) - margin, 0, w))
    y0 = int(np.clip(np.floor(pts[:, 1].min()) - margin, 0, h))
    x1 = int(np.clip(np.ceil(pts[:, 0].max()) + margin + 1, 0, w))
    y1 = int(np.clip(np.ceil(pts[:, 1].max()) + margin + 1, 0, h))
    return x0, y0, x1, y1


def _gauss(xy: np.ndarray, cx: float, cy: float, sigma: float) -> np.ndarray:
    return np.exp(-((xy[..., 0] - cx) ** 2 + (xy[..., 1] - cy) ** 2) / (2.0 * sigma**2))


def pressure_field(model: FootModel, matrix: np.ndarray, box: tuple[int, int, int, int], px_per_mm: float,
                   contact: np.ndarray, edge_mm: float) -> np.ndarray:
    """Relative ink pressure 0..1 on the crop: heavy at the heel and metatarsal heads, light at the
    edges and in the arch. Computed on a grid of about 1 mm and smoothly enlarged."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    step = max(1, int(round(px_per_mm)))
    gw, gh = -(-w // step), -(-h // step)
    # Coarse contact: a cell counts where any of its pixels is in contact.
    padded = np.zeros((gh * step, gw * step), dtype=bool)
    padded[:h, :w] = contact
    coarse = padded.reshape(gh, step, gw, step).any(axis=(1, 3))
    depth_mm = ndimage.distance_transform_edt(coarse) * step / px_per_mm
    edge = 1.0 - np.exp(-depth_mm / max(edge_mm, 0.1))
    gy, gx = np.mgrid[0:gh, 0:gw].astype(float)
    page_xy = np.stack([x0 + gx * step + (step - 1) / 2.0, y0 + gy * step + (step - 1) / 2.0], -1)
    model_xy = apply(np.linalg.inv(matrix), page_xy.reshape(-1, 2)).reshape(gh, gw, 2)
    bumps = np.zeros((gh, gw))
    for c in model.pressure:
        bumps = np.maximum(bumps, c.weight * _gauss(model_xy, c.x, c.y, c.sigma))
    y = model_xy[..., 1]
    a0, a1 = model.arch_zone
    in_arch = np.clip(np.minimum(y - a0, a1 - y) / 30.0, 0.0, 1.0)
    field = edge * (0.45 + 0.55 * bumps) * (1.0 - 0.35 * in_arch)
    field = (field / max(field.max(), 1e-6)).astype(np.float32)
    big = Image.fromarray(field, mode="F").resize((gw * step, gh * step), Image.BILINEAR)
    return np.asarray(big, dtype=np.float32)[:h, :w].copy()


def rasterise_foot(model: FootModel, matrix: np.ndarray, page_size: tuple[int, int], px_per_mm: float,
                   *, edge_mm: float = 4.0, with_silhouette: bool = False) -> FootRaster:
    """Contact labels, toe outlines and pressure of one placed foot, on its crop of the page."""
    box = foot_box(model, matrix, page_size)
    x0, y0, x1, y1 = box
    size = (max(x1 - x0, 1), max(y1 - y0, 1))
    offset = (x0, y0)
    n_vertices = int(np.clip(model.length * px_per_mm / 8.0, 48, 160))

    labels = np.zeros((size[1], size[0]), dtype=np.uint8)
    outline = np.zeros_like(labels)
    toe_masks = []
    for toe in model.toes:
        outline_poly = apply(matrix, toe.outline(n_vertices))
        outline[_fill(size, [outline_poly], offset) & (outline == 0)] = toe.number
        if toe.ink > 0.0:
            contact_poly = apply(matrix, toe.outline(n_vertices, fraction=toe.contact))
            toe_masks.append((toe, _fill(size, [contact_poly], offset)))
    if toe_masks:
        # Merged toes: a pixel printed by two pads goes to the pad whose axis is nearer.
        count = np.sum([m for _, m in toe_masks], axis=0)
        for toe, mask in toe_masks:
            labels[mask & (count == 1)] = toe.number
        shared = count > 1
        if shared.any():
            ys, xs = np.nonzero(shared)
            pts = np.stack([xs + x0, ys + y0], 1).astype(float)
            best = np.full(len(pts), np.inf)
            owner = np.zeros(len(pts), dtype=np.uint8)
            for toe, mask in toe_masks:
                a, b = apply(matrix, np.array([toe.base, toe.tip]))
                ab = b - a
                t = np.clip(((pts - a) @ ab) / max(ab @ ab, 1e-9), 0.0, 1.0)
                d = np.linalg.norm(pts - (a + t[:, None] * ab), axis=1)
                inside = mask[ys, xs]
                better = inside & (d < best)
                best[better], owner[better] = d[better], toe.number
            labels[ys, xs] = owner

    sole = _fill(size, [apply(matrix, model.sole)], offset)
    if model.split is not None:
        sole &= ~_fill(size, [apply(matrix, model.split.outline())], offset)
    labels[sole] = SOLE_LABEL
    silhouette = None
    if with_silhouette:
        silhouette = _fill(size, [apply(matrix, model.silhouette)], offset) | (outline > 0) | (labels > 0)
    pressure = pressure_field(model, matrix, box, px_per_mm, labels > 0, edge_mm)
    return FootRaster(box=box, labels=labels, outline=outline, pressure=pressure, silhouette=silhouette)
