"""Batched geometric augmentation on the device: image and landmarks move together.

Each sample gets a 3x3 pixel-frame matrix (source pixel -> augmented pixel, the convention of
foot_landmarks.geometry); the image is resampled with the inverse through `grid_sample`, the
points are multiplied by the matrix, so a landmark can never drift from the print it marks.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def rotation_scale_matrices(
    n: int, height: int, width: int, max_degrees: float, max_scale: float = 0.0,
    generator: torch.Generator | None = None, device: torch.device | str = "cpu",
) -> torch.Tensor:
    """(n, 3, 3) random rotations by U(-max_degrees, max_degrees) (and scales by 1 +- max_scale)
    about the image centre, in pixel coordinates (x right, y down, pixel centres at integers)."""
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_degrees)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * max_scale
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    cx, cy = (width - 1) / 2, (height - 1) / 2
    m = torch.zeros(n, 3, 3)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, -sin, sin, cos
    # p' = R (p - c) + c
    m[:, 0, 2] = cx - cos * cx + sin * cy
    m[:, 1, 2] = cy - sin * cx - cos * cy
    m[:, 2, 2] = 1
    return m.to(device)


def _pixel_to_normalised(height: int, width: int, device) -> torch.Tensor:
    # grid_sample with align_corners=False: pixel centre x maps to (2x + 1) / W - 1.
    return torch.tensor(
        [[2 / width, 0, 1 / width - 1], [0, 2 / height, 1 / height - 1], [0, 0, 1]], device=device
    )


def warp_batch(images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Resample (B, C, H, W) images so that source pixel p lands at matrices @ p (bilinear, zero fill)."""
    b, _, h, w = images.shape
    to_norm = _pixel_to_normalised(h, w, images.device).to(matrices.dtype)
    # grid_sample asks, for each output pixel, where to read in the input: the inverse map.
    theta = to_norm @ torch.linalg.inv(matrices) @ torch.linalg.inv(to_norm)
    grid = F.affine_grid(theta[:, :2].to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def transform_points(points: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """(B, K, 2) points through (B, 3, 3) matrices."""
    ones = torch.ones_like(points[..., :1])
    homogeneous = torch.cat([points, ones], dim=-1)
    return (homogeneous @ matrices.transpose(1, 2).to(points.dtype))[..., :2]


def random_rotate(
    images: torch.Tensor, points: torch.Tensor, max_degrees: float, max_scale: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate (and optionally scale) each image and its landmarks by the same random matrix."""
    b, _, h, w = images.shape
    m = rotation_scale_matrices(b, h, w, max_degrees, max_scale, generator, images.device)
    return warp_batch(images, m), transform_points(points, m)
