"""Invertible geometric steps as explicit 3x3 matrices, applied to images and points together.

Every step maps source pixel coordinates to destination pixel coordinates
(``p_dst = M @ [x, y, 1]``, docs/CONTRACTS.md), with the pixel-centre convention of
LANDMARKS.md: the centre of pixel (row i, column j) is (x=j, y=i). Because a chain of steps is
one matrix product, a prediction made on a processed crop maps back to the original scan with
``invert(M)`` exactly, whatever resampling was used to produce the pixels.

Building blocks (each returns a matrix): :func:`translation`, :func:`crop_matrix`,
:func:`mirror_x`, :func:`scale_matrix` / :func:`resize_matrix`, :func:`rotation`;
combinators: :func:`compose`, :func:`invert`; appliers: :func:`apply_to_points`,
:func:`warp_with_matrix`, :func:`resize_with_matrix`, :func:`crop_with_matrix`, :func:`mirror_with_matrix`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

Matrix = np.ndarray  # (3, 3) float64, source pixel -> destination pixel


def identity() -> Matrix:
    return np.eye(3, dtype=np.float64)


def translation(tx: float, ty: float) -> Matrix:
    m = identity()
    m[0, 2], m[1, 2] = tx, ty
    return m


def crop_matrix(x0: float, y0: float) -> Matrix:
    """Cropping a window whose top-left pixel is (x0, y0): pixel (x0, y0) becomes (0, 0)."""
    return translation(-x0, -y0)


def mirror_x(width: int) -> Matrix:
    """Left-right flip of an image `width` pixels wide: column j goes to column width-1-j."""
    m = identity()
    m[0, 0], m[0, 2] = -1.0, width - 1.0
    return m


def scale_matrix(sx: float, sy: float) -> Matrix:
    """Scale by (sx, sy) about pixel edges: x' = (x + 0.5) * sx - 0.5 (pixel-centre convention)."""
    return compose(translation(0.5, 0.5), np.diag([sx, sy, 1.0]), translation(-0.5, -0.5))


def resize_matrix(src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> Matrix:
    """The matrix of resizing an image of shape `src_hw` to `dst_hw` (x' = (x+0.5)*w1/w0 - 0.5)."""
    (h0, w0), (h1, w1) = src_hw, dst_hw
    return scale_matrix(w1 / w0, h1 / h0)


def rotation(angle_deg: float, center: tuple[float, float]) -> Matrix:
    """Rotation by `angle_deg` about `center` (x, y). Positive angles turn x toward y, which with
    y pointing down is clockwise on screen."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    r = identity()
    r[:2, :2] = [[c, -s], [s, c]]
    cx, cy = center
    return compose(translation(-cx, -cy), r, translation(cx, cy))


def compose(*steps: Matrix) -> Matrix:
    """One matrix for `steps` applied in the order given (first argument first)."""
    out = identity()
    for step in steps:
        out = np.asarray(step, dtype=np.float64) @ out
    return out


def invert(m: Matrix) -> Matrix:
    return np.linalg.inv(np.asarray(m, dtype=np.float64))


def apply_to_points(m: Matrix, points: np.ndarray) -> np.ndarray:
    """Map [x, y] points (..., 2) through `m` (affine or projective); NaN points (missing) stay NaN.

    `m` is one 3x3 matrix for all points, or a stack (N, 3, 3) applied sample by sample to
    points (N, K, 2), e.g. each scan's px -> mm homography to its landmarks.
    """
    pts = np.asarray(points, dtype=np.float64)
    homogeneous = np.concatenate([pts, np.ones((*pts.shape[:-1], 1))], axis=-1)
    mapped = homogeneous @ np.swapaxes(np.asarray(m, dtype=np.float64), -1, -2)
    return mapped[..., :2] / mapped[..., 2:3]


def warp_with_matrix(
    image: np.ndarray, m: Matrix, size_hw: tuple[int, int], fill: int = 0
) -> tuple[np.ndarray, Matrix]:
    """Resample an 8-bit gray image into the destination frame of `m` (any affine chain: a turn
    and a crop in one step), bilinear, `fill` outside the source; returns the image and `m`.

    Pillow's affine transform maps output to input in pixel-EDGE coordinates (centre + 0.5), so
    the inverse matrix is moved to that convention; the pixels then follow `m` exactly.
    """
    inverse = compose(translation(-0.5, -0.5), invert(m), translation(0.5, 0.5))
    out = Image.fromarray(np.ascontiguousarray(image)).transform(
        (int(size_hw[1]), int(size_hw[0])),
        Image.Transform.AFFINE,
        tuple(inverse[:2].ravel()),
        resample=Image.Resampling.BILINEAR,
        fillcolor=int(fill),
    )
    return np.asarray(out), np.asarray(m, dtype=np.float64)


def resize_with_matrix(image: np.ndarray, size_hw: tuple[int, int]) -> tuple[np.ndarray, Matrix]:
    """Resize to `size_hw` (height, width) with anti-aliasing; returns the image and its matrix.

    Pillow's resampling filters use the same pixel-centre convention as :func:`resize_matrix`,
    so the returned matrix is exact for the pixels produced.
    """
    h1, w1 = int(size_hw[0]), int(size_hw[1])
    m = resize_matrix(image.shape[:2], (h1, w1))
    if image.dtype == np.uint8 and image.ndim == 2:
        out = np.asarray(Image.fromarray(image).resize((w1, h1), Image.Resampling.LANCZOS))
    else:  # float or multi-channel: resample each channel in float mode, same convention
        channels = image[..., None] if image.ndim == 2 else image
        out = np.stack(
            [
                np.asarray(
                    Image.fromarray(channels[..., c].astype(np.float32), mode="F").resize(
                        (w1, h1), Image.Resampling.BILINEAR
                    )
                )
                for c in range(channels.shape[-1])
            ],
            axis=-1,
        ).astype(image.dtype)
        out = out[..., 0] if image.ndim == 2 else out
    return out, m


def crop_with_matrix(
    image: np.ndarray, box_xyxy: Sequence[int], fill: float = 0
) -> tuple[np.ndarray, Matrix]:
    """Crop the integer window [x0, x1) x [y0, y1); parts outside the image are `fill`.

    A margin around a print near the sheet edge may reach past the image, hence the padding.
    """
    x0, y0, x1, y1 = (int(v) for v in box_xyxy)
    h, w = image.shape[:2]
    out = np.full((y1 - y0, x1 - x0, *image.shape[2:]), fill, dtype=image.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out, crop_matrix(x0, y0)


def mirror_with_matrix(image: np.ndarray) -> tuple[np.ndarray, Matrix]:
    """Left-right flip (a left foot to right-foot orientation); landmark ids do not change."""
    return np.ascontiguousarray(image[:, ::-1]), mirror_x(image.shape[1])
