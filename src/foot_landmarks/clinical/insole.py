"""A base insole outline from the print and its landmarks, and its export to SVG and DXF.

The outline (:func:`insole_outline_px`) is the convex hull of the toe-less sole print, of the toe
prints and of the toe tips 1-5, grown by a margin (the exact offset of a convex polygon: the hull
of the polygon's corners with a circle of the margin's radius around each), then smoothed with a
closed (periodic) smoothing spline (scipy.interpolate.splprep, per=1) and resampled evenly. The
medial edge therefore bridges the arch, as a base insole does.

Frames. The outline is computed in ORIGINAL scan px, and :func:`outline_mm` converts it to mm in
the scan's own frame (x right, y down, origin at the scan's top-left; mm = px * 25.4 / dpi).
The scan already shows the foot as it lies (a left print is a left foot: hallux on the right in
print view), so nothing is mirrored anywhere: a left foot gives a left insole.

Exports, both at 1:1 scale in millimetres, with the outline's bounding box moved to the origin so
that the two files describe the same rectangle [0, W] x [0, H]:
- SVG: y points DOWN (SVG convention), coordinates x' = x - xmin, y' = y - ymin: the drawing
  looks like the scan. ``width``/``height`` in mm, ``viewBox`` in mm (with a small margin).
- DXF: y points UP (CAD convention), coordinates x' = x - xmin, y' = ymax - y: the flip makes the
  drawing look the same (not mirrored) in a CAD viewer. Units mm ($INSUNITS = 4).
So a point's SVG y and DXF y add up to H, and both bounding boxes are [0, W] x [0, H] in mm.
Both come back as text; the catalog (or the predict command) writes them.
"""

from __future__ import annotations

import io
import math
from xml.sax.saxutils import escape

import numpy as np
from scipy.interpolate import splev, splprep
from scipy.spatial import ConvexHull

from foot_landmarks.clinical.footprint_indices import split_toes
from foot_landmarks.clinical.measurements import mask_pixels_px
from foot_landmarks.landmarks import LANDMARK_IDS, px_to_mm

MARGIN_MM = 3.0  # offset of the outline around the print and the toe tips
N_OUTLINE = 240  # points of the exported outline
SVG_PAD_MM = 5.0  # room around the outline in the SVG viewBox


def _circle(n: int = 16) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(a), np.sin(a)])


def _resample_closed(poly: np.ndarray, n: int) -> np.ndarray:
    """`n` points evenly spaced by arc length along the closed polygon `poly` (no repeat of the start)."""
    closed = np.vstack([poly, poly[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], n, endpoint=False)
    return np.column_stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])])


def smooth_closed(poly: np.ndarray, n: int = N_OUTLINE, smoothing: float = 0.5) -> np.ndarray:
    """A periodic smoothing spline through the closed polygon `poly`, sampled at `n` points.

    `smoothing` is the mean squared deviation allowed per point, in the polygon's units squared.
    """
    pts = _resample_closed(poly, max(4 * n, 200))
    tck, _ = splprep([pts[:, 0], pts[:, 1]], s=smoothing * len(pts), per=1)
    u = np.linspace(0.0, 1.0, n, endpoint=False)
    x, y = splev(u, tck)
    return np.column_stack([x, y])


def insole_outline_px(
    points,
    dpi: float,
    mask: np.ndarray | None = None,
    mask_to_px: np.ndarray | None = None,
    margin_mm: float = MARGIN_MM,
    n: int = N_OUTLINE,
) -> np.ndarray:
    """(n, 2) closed outline [x, y] in original scan px (no repeated end point).

    Without a mask (or without dpi) the hull is taken over the 8 landmarks only, with the margin
    in px taken as margin_mm at 300 dpi when dpi is unknown.
    """
    pts = np.asarray(points, dtype=float)
    px_per_mm = (dpi if dpi and np.isfinite(dpi) else 300.0) / 25.4
    cloud = [pts[np.all(np.isfinite(pts), axis=1)]]
    half = 0.0
    if mask is not None and np.asarray(mask).any():
        sole, toes = split_toes(mask, pts, mask_to_px)
        for part in (sole, toes):
            xy, pixel = mask_pixels_px(part, mask_to_px)
            if len(xy):
                # pixel centres: grow by half a pixel so the hull covers the pixels themselves
                cloud.append(xy)
                half = pixel / 2
    margin_px = margin_mm * px_per_mm + half
    cloud = np.vstack(cloud)
    hull = cloud[ConvexHull(cloud).vertices]
    grown = (hull[:, None, :] + margin_px * _circle()[None]).reshape(-1, 2)
    poly = grown[ConvexHull(grown).vertices]  # counter-clockwise in (x, y), i.e. clockwise on screen
    return smooth_closed(poly, n, smoothing=(0.3 * px_per_mm) ** 2)


def outline_mm(outline_px: np.ndarray, dpi: float) -> np.ndarray:
    """Outline (or any points) from original px to mm in the scan frame (x right, y down)."""
    return np.asarray(px_to_mm(np.asarray(outline_px, dtype=float), dpi))


def landmarks_mm(points, dpi: float) -> dict[int, tuple[float, float]]:
    """{landmark id: (x_mm, y_mm)} in the scan frame."""
    mm = np.asarray(px_to_mm(np.asarray(points, dtype=float), dpi))
    return {k: (float(x), float(y)) for k, (x, y) in zip(LANDMARK_IDS, mm)}


def _as_landmark_dict(landmarks) -> dict[int, tuple[float, float]]:
    if isinstance(landmarks, dict):
        return {int(k): (float(v[0]), float(v[1])) for k, v in landmarks.items()}
    arr = np.asarray(landmarks, dtype=float)
    return {k: (float(x), float(y)) for k, (x, y) in zip(LANDMARK_IDS, arr)}


def _bbox(outline: np.ndarray) -> tuple[float, float, float, float]:
    o = np.asarray(outline, dtype=float)
    return float(o[:, 0].min()), float(o[:, 1].min()), float(o[:, 0].max()), float(o[:, 1].max())


def export_frame(outline_mm: np.ndarray, y_up: bool):
    """The map from scan-frame mm to the export frame (bbox at [0, W] x [0, H]) and (W, H)."""
    x0, y0, x1, y1 = _bbox(outline_mm)

    def f(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float).reshape(-1, 2)
        return np.column_stack([p[:, 0] - x0, (y1 - p[:, 1]) if y_up else (p[:, 1] - y0)])

    return f, (x1 - x0, y1 - y0)


def to_svg(outline_mm: np.ndarray, landmarks_mm, title: str = "insole") -> str:
    """The outline (one closed path) and the landmarks (<g id="landmarks">) as a 1:1 SVG in mm.

    `landmarks_mm`: {id: (x, y)} or an (8, 2) array, in the same scan-frame mm as `outline_mm`.
    """
    f, (w, h) = export_frame(outline_mm, y_up=False)
    o = f(outline_mm)
    pad = SVG_PAD_MM
    d = "M " + " L ".join(f"{x:.3f},{y:.3f}" for x, y in o) + " Z"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w + 2 * pad:.3f}mm" '
        f'height="{h + 2 * pad:.3f}mm" viewBox="{-pad:.3f} {-pad:.3f} {w + 2 * pad:.3f} {h + 2 * pad:.3f}">',
        f"  <title>{escape(title)}</title>",
        f'  <desc>Base insole outline, 1:1, units mm, y down; outline bounding box [0, {w:.3f}] x [0, {h:.3f}].</desc>',
        f'  <path id="outline" d="{d}" fill="none" stroke="black" stroke-width="0.3"/>',
        '  <g id="landmarks" fill="red" font-size="3" font-family="sans-serif">',
    ]
    for k, (x, y) in _as_landmark_dict(landmarks_mm).items():
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        (px, py), = f([x, y])
        lines.append(f'    <circle id="landmark-{k}" cx="{px:.3f}" cy="{py:.3f}" r="1"/>')
        lines.append(f'    <text x="{px + 1.5:.3f}" y="{py - 1.5:.3f}">{k}</text>')
    lines += ["  </g>", "</svg>", ""]
    return "\n".join(lines)


def to_dxf(outline_mm: np.ndarray, landmarks_mm) -> str:
    """The outline (closed LWPOLYLINE, layer OUTLINE) and landmarks (POINT + circle + text,
    layer LANDMARKS) as a 1:1 DXF in mm, y up (see module docstring for the flip)."""
    import ezdxf
    from ezdxf import units

    f, _ = export_frame(outline_mm, y_up=True)
    doc = ezdxf.new("R2010", setup=True, units=units.MM)  # $INSUNITS mm, $MEASUREMENT metric
    doc.layers.add("OUTLINE", color=7)
    doc.layers.add("LANDMARKS", color=1)
    msp = doc.modelspace()
    msp.add_lwpolyline([tuple(p) for p in f(outline_mm)], close=True, dxfattribs={"layer": "OUTLINE"})
    for k, (x, y) in _as_landmark_dict(landmarks_mm).items():
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        (px, py), = f([x, y])
        msp.add_point((px, py), dxfattribs={"layer": "LANDMARKS"})
        msp.add_circle((px, py), 1.0, dxfattribs={"layer": "LANDMARKS"})
        msp.add_text(str(k), height=3.0, dxfattribs={"layer": "LANDMARKS"}).set_placement((px + 1.5, py + 1.5))
    text = io.StringIO()
    doc.write(text)
    return text.getvalue()

