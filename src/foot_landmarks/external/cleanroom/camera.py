"""Image geometry: phone-camera homographies, exact warps, quarter turns and EXIF orientation.

All matrices map pixel-centre coordinates (x = column, y = row, integers at pixel centres).
PIL samples with pixel corners at integers, so every PIL warp goes through `pil_coefficients`,
which adds the half-pixel shift; labels are warped with nearest-neighbour sampling only.

A phone photo of a sheet: the camera looks at the sheet's centre from a distance, tilted by up to
about 25 degrees about a random axis in the sheet's plane and rolled about its optical axis; the
homography is K [r1 r2 t] of that pinhole camera, then scaled and shifted so the region that must
be seen (the prints and their bars) fills a chosen part of the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from foot_landmarks.external.cleanroom.raster import apply, translation

# Transpose that turns the STORED pixels into the DISPLAYED image, per EXIF Orientation value
# (the TIFF/EXIF definition; what PIL.ImageOps.exif_transpose applies).
EXIF_STORED_TO_DISPLAYED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Its inverse: how to store a displayed image so that a viewer shows it upright again.
EXIF_DISPLAYED_TO_STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def pil_coefficients(out_to_in: np.ndarray) -> tuple[float, ...]:
    """PIL PERSPECTIVE coefficients for a pixel-centre matrix from output to input pixels."""
    half = translation(0.5, 0.5)
    m = half @ out_to_in @ np.linalg.inv(half)
    m = m / m[2, 2]
    return tuple(float(v) for v in m.ravel()[:8])


def warp(image: Image.Image, in_to_out: np.ndarray, size: tuple[int, int], resample: int,
         fill: int | tuple[int, ...] = 0) -> Image.Image:
    """`image` seen through `in_to_out` (input px -> output px) on an output of `size` (w, h)."""
    coeffs = pil_coefficients(np.linalg.inv(in_to_out))
    return image.transform(size, Image.Transform.PERSPECTIVE, coeffs, resample=resample, fillcolor=fill)


def quarter_turn(k: int, size: tuple[int, int]) -> np.ndarray:
    """Matrix of np.rot90(array, k) (counter-clockwise quarter turns) for an image of `size` (w, h)."""
    w, h = size
    m = np.eye(3)
    for _ in range(k % 4):
        m = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]]) @ m
        w, h = h, w
    return m


@dataclass(frozen=True)
class Camera:
    sheet_to_photo: np.ndarray  # 3x3: sheet mm -> photo px
    size: tuple[int, int]  # photo (w, h)
    tilt_deg: float
    roll_deg: float

    def scale_at(self, point_mm: tuple[float, float]) -> float:
        """Photo pixels per sheet millimetre near `point_mm`."""
        p = np.array(point_mm, dtype=float)
        a = apply(self.sheet_to_photo, np.array([p - [0.5, 0], p + [0.5, 0], p - [0, 0.5], p + [0, 0.5]]))
        jx, jy = a[1] - a[0], a[3] - a[2]
        return float(np.sqrt(abs(jx[0] * jy[1] - jx[1] * jy[0])))


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def phone_camera(rng: np.random.Generator, sheet_size: tuple[float, float], roi: tuple[float, float, float, float],
                 roll_deg: float, fill: float, frame: tuple[int, int] | None = None,
                 tilt_max_deg: float = 25.0) -> Camera:
    """A photo of a sheet (mm, y down) in which the region `roi` (x0, y0, x1, y1, mm) fills the
    fraction `fill` of the frame along its tighter direction, placed at random in the rest."""
    w_mm, h_mm = sheet_size
    tilt = np.radians(min(abs(rng.normal(0.0, tilt_max_deg / 2.2)), tilt_max_deg))
    heading = rng.uniform(0, 2 * np.pi)
    r_tilt = _axis_rotation(np.array([np.cos(heading), np.sin(heading), 0.0]), tilt)
    r_roll = _axis_rotation(np.array([0.0, 0.0, 1.0]), np.radians(roll_deg))
    r = r_roll @ r_tilt
    distance = rng.uniform(1.1, 1.7) * np.hypot(w_mm, h_mm)
    centre = np.array([w_mm / 2.0, h_mm / 2.0])
    projective = np.column_stack([r[:, 0], r[:, 1], [0.0, 0.0, distance]]) @ translation(-centre[0], -centre[1])
    x0, y0, x1, y1 = roi
    edge = np.linspace(0.0, 1.0, 9)
    xs, ys = x0 + edge * (x1 - x0), y0 + edge * (y1 - y0)
    roi_pts = np.vstack([np.stack([xs, np.full(9, y0)], 1), np.stack([xs, np.full(9, y1)], 1),
                         np.stack([np.full(9, x0), ys], 1), np.stack([np.full(9, x1), ys], 1)])
    proj = apply(projective, roi_pts)
    lo, hi = proj.min(axis=0), proj.max(axis=0)
    bw, bh = hi - lo
    if frame is None:
        long_side, short_side = 2000, int(rng.choice([1500, 1536, 1600]))
        sideways = abs(np.sin(np.radians(roll_deg))) > 0.7 if abs(np.sin(2 * np.radians(roll_deg))) < 0.5 else bw > bh
        frame = (long_side, short_side) if sideways else (short_side, long_side)
    fw, fh = frame
    scale = fill * min(fw / bw, fh / bh)
    slack = np.array([fw, fh]) - scale * np.array([bw, bh])
    offset = slack * rng.uniform(0.1, 0.9, size=2) if (slack > 0).all() else slack / 2.0
    fit = translation(offset[0] - scale * lo[0], offset[1] - scale * lo[1]) @ np.diag([scale, scale, 1.0])
    return Camera(sheet_to_photo=fit @ projective, size=(int(fw), int(fh)), tilt_deg=float(np.degrees(tilt)),
                  roll_deg=float(roll_deg))
