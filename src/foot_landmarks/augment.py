"""Batched geometric augmentation on the device: image and landmarks move together.

Each sample gets a 3x3 pixel-frame matrix (source pixel -> augmented pixel, the convention of
foot_landmarks.geometry); the image is resampled with the inverse through `grid_sample`, the
points are multiplied by the matrix, so a landmark can never drift from the print it marks.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from foot_landmarks.landmarks import HEEL, TOE_IDS, foot_axes


def rotation_scale_matrices(
    n: int, height: int, width: int, max_degrees: float, max_scale: float = 0.0,
    generator: torch.Generator | None = None, device: torch.device | str = "cpu", max_shift: float = 0.0,
) -> torch.Tensor:
    """(n, 3, 3) random rotations by U(-max_degrees, max_degrees) (and scales by 1 +- max_scale)
    about the image centre, then shifts by U(-max_shift, max_shift) of the height and the width,
    in pixel coordinates (x right, y down, pixel centres at integers)."""
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_degrees)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * max_scale
    # drawn after the angle and scale, so a seed gives the same rotations with or without shifts
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * max_shift * torch.tensor([width, height])
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    cx, cy = (width - 1) / 2, (height - 1) / 2
    m = torch.zeros(n, 3, 3)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, -sin, sin, cos
    # p' = R (p - c) + c
    m[:, 0, 2] = cx - cos * cx + sin * cy + shift[:, 0]
    m[:, 1, 2] = cy - sin * cx - cos * cy + shift[:, 1]
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
    generator: torch.Generator | None = None, max_shift: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate (and optionally scale and shift) each image and its landmarks by the same random matrix."""
    b, _, h, w = images.shape
    m = rotation_scale_matrices(b, h, w, max_degrees, max_scale, generator, images.device, max_shift)
    return warp_batch(images, m), transform_points(points, m)


# Elastic warp (training only): a smooth random displacement on a coarse control grid, so the
# network meets forefoot widths, toe-line slants and arch curves the generator does not draw. The
# points go with the print (each point is the print's same spot after the warp); the LANDMARKS.md
# extreme can slide along a curved tip by the warp's local turn (~0.5 input px at 4 px amplitude),
# which the refinement stage takes off by snapping each point to the print's extreme anyway.
# torchvision's elastic moves keypoints by the first-order inverse at whole-pixel positions (off
# by up to a pixel where the field bends); here the inverse is solved by iteration: under 0.02 px
# for 99.9 % of 16 000 random points at 6 px amplitude (the worst 0.5 px, where the field is
# steepest: its slope stays under 1, 0.91 at most in 2000 fields).
ELASTIC_CONTROL_GRID = (6, 3)  # rows x columns of control points over the crop (~50 mm apart)
ELASTIC_INVERSE_ITERATIONS = 12


def elastic_displacements(
    n: int, height: int, width: int, amplitude_px: float, generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """(n, 2, H, W) smooth fields (dx, dy) in px: output pixel q shows source pixel q + u(q). Control
    values N(0, amplitude_px) on ELASTIC_CONTROL_GRID, upsampled bicubically over the whole image."""
    coarse = torch.randn(n, 2, *ELASTIC_CONTROL_GRID, generator=generator) * amplitude_px
    return F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True).to(device)


def _grid_coordinates(x: torch.Tensor, y: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """px coordinates -> grid_sample's (align_corners=False), stacked on a last axis of 2."""
    return torch.stack([(2 * x + 1) / width - 1, (2 * y + 1) / height - 1], dim=-1)


def _sample_displacement(displacements: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """(B, K, 2) values of the (B, 2, H, W) fields at (B, K, 2) px points (bilinear, border held)."""
    _, _, h, w = displacements.shape
    grid = _grid_coordinates(points[..., 0], points[..., 1], h, w)[:, :, None, :]
    sampled = F.grid_sample(displacements.to(points.dtype), grid, mode="bilinear", padding_mode="border",
                            align_corners=False)
    return sampled[..., 0].transpose(1, 2)


def warp_elastic(images: torch.Tensor, displacements: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) images resampled so output pixel q shows source pixel q + u(q) (zero fill)."""
    b, _, h, w = images.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=images.device, dtype=images.dtype),
                            torch.arange(w, device=images.device, dtype=images.dtype), indexing="ij")
    u = displacements.to(images.dtype)
    grid = _grid_coordinates(xs + u[:, 0], ys + u[:, 1], h, w)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic_points(points: torch.Tensor, displacements: torch.Tensor) -> torch.Tensor:
    """(B, K, 2) points p where warp_elastic puts them: q with q + u(q) = p, by fixed-point
    iteration (a contraction while the field's slope stays under 1)."""
    moved = points.clone()
    for _ in range(ELASTIC_INVERSE_ITERATIONS):
        moved = points - _sample_displacement(displacements, moved)
    return moved


def random_elastic(
    images: torch.Tensor, points: torch.Tensor, amplitude_px: float, generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp each image and its landmarks by the same random smooth field (amplitude in px)."""
    b, _, h, w = images.shape
    fields = elastic_displacements(b, h, w, amplitude_px, generator, images.device)
    return warp_elastic(images, fields), elastic_points(points, fields)


# Marks touching the print (training only): a pen tick at a toe tip or the heel, a printed ruler
# bar across the toes or the heel, as clinics' sheets have them and the generator's one-foot
# pages do not. Sizes are fractions of the image height (a crop ~275 mm tall): a tick 3-10 mm long
# and 0.4-0.8 mm wide, a bar 20-55 mm long and 1.4-4 mm thick, its inner edge from 1.5 mm into the
# print to just touching it. Brightness as a print's (images: print bright on black).
TICK_LENGTH, TICK_WIDTH = (0.011, 0.036), (0.0015, 0.003)
BAR_LENGTH, BAR_THICKNESS, BAR_OVERLAP = (0.07, 0.2), (0.005, 0.0145), (0.0, 0.0055)
MARK_BRIGHTNESS = (0.45, 0.95)
TOE_ROWS, HEEL_ROW = [k - 1 for k in TOE_IDS], HEEL - 1  # rows of the toe tips and the heel point


def _segment_coverage(height: int, width: int, a: torch.Tensor, b: torch.Tensor, half_width: float) -> torch.Tensor:
    """(H, W) coverage 0-1 of a stroke from a to b (x, y px) of `half_width` px (antialiased 1 px)."""
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij")
    p = torch.stack([xs, ys], dim=-1)
    ab = b - a
    t = ((p - a) @ ab / ab.dot(ab).clamp(min=1e-6)).clamp(0, 1)
    distance = (p - (a + t[..., None] * ab)).norm(dim=-1)
    return (half_width + 0.5 - distance).clamp(0, 1)


def _uniform(bounds: tuple[float, float], generator: torch.Generator | None) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * float(torch.rand(1, generator=generator))


def touching_marks(
    images: torch.Tensor, points: torch.Tensor, share: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A `share` of the (B, 1, H, W) images (0-1, print bright) get a mark touching the print at
    one of their (B, 8, 2) points: a pen tick from a toe tip or the heel outward, or a ruler bar
    across the toe line or the heel. The points stay where they are: a mark is not print."""
    if share <= 0:
        return images
    out = images.clone()
    b, _, h, w = images.shape
    for i in range(b):
        if float(torch.rand(1, generator=generator)) >= share:
            continue
        p = points[i].float().cpu()
        axis = p[TOE_ROWS[1]] - p[HEEL_ROW]  # heel -> second toe: distal
        if not torch.isfinite(axis).all() or axis.norm() < 1:
            continue
        distal = axis / axis.norm()
        at_heel = float(torch.rand(1, generator=generator)) < 0.35
        row = HEEL_ROW if at_heel else TOE_ROWS[int(torch.randint(len(TOE_ROWS), (1,), generator=generator))]
        outward = -distal if at_heel else distal
        anchor = p[row]
        if float(torch.rand(1, generator=generator)) < 0.5:  # a tick, slanted up to 35 degrees
            angle = math.radians(_uniform((-35, 35), generator))
            rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
            end = anchor + (rot @ outward) * _uniform(TICK_LENGTH, generator) * h
            coverage = _segment_coverage(h, w, anchor, end, 0.5 * _uniform(TICK_WIDTH, generator) * h)
        else:  # a bar across the axis, its inner edge at or inside the print's extreme
            if not at_heel:  # across the toe line: at its most distal tip
                anchor = p[TOE_ROWS][torch.argmax(p[TOE_ROWS] @ distal)]
            thickness = _uniform(BAR_THICKNESS, generator) * h
            across = torch.stack([-outward[1], outward[0]])
            centre = anchor + outward * (0.5 * thickness - _uniform(BAR_OVERLAP, generator) * h)
            length = _uniform(BAR_LENGTH, generator) * h
            centre = centre + across * _uniform((-0.3, 0.3), generator) * length  # the anchor stays under it
            half = across * 0.5 * length
            coverage = _segment_coverage(h, w, centre - half, centre + half, 0.5 * thickness)
        brightness = _uniform(MARK_BRIGHTNESS, generator)
        out[i, :] = torch.maximum(out[i, :], coverage.to(out.device, out.dtype) * brightness)
    return out


# Ruler bars the page stage painted out (foot_landmarks.pages) leave a background-dark bar, at
# times with a faint rim, across a toe or beside the forefoot. Real ink-mat sheets have one coming
# in from the lateral side at the little toe's level; there the network reads that toe as absent
# and puts the toes lateral of a stray point one toe out. Fractions of the crop's height; the
# lateral toes are the ones bars meet. Tried, off by default (conf/base/parameters_training.yml).
ERASED_BAR_LENGTH, ERASED_BAR_THICKNESS = (0.05, 0.2), (0.008, 0.03)
ERASED_BAR_TOE_WEIGHTS = (0.1, 0.1, 0.2, 0.25, 0.35)  # toes 1-5
ERASED_BAR_RIM = (0.0, 0.35)  # brightness of the rim left around a painted bar


def erased_bars(
    images: torch.Tensor, points: torch.Tensor, share: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A `share` of the (B, 1, H, W) images (0-1, print bright on black) get a black bar (the
    background's value, a faint rim around it at times) over or beside one toe tip: across the
    foot's axis from the lateral side, or along it beside the toe. The points stay where they
    are: a toe under a bar is still there (LANDMARKS.md: a toe without a visible print keeps the
    tip of its outline)."""
    if share <= 0:
        return images
    out = images.clone()
    b, _, h, w = images.shape
    weights = torch.tensor(ERASED_BAR_TOE_WEIGHTS)
    for i in range(b):
        if float(torch.rand(1, generator=generator)) >= share:
            continue
        p = points[i].float().cpu()
        axes = foot_axes(p.numpy())  # the axis and sides of LANDMARKS.md, right-foot configuration
        if axes is None or axes.length < 1:
            continue
        distal = torch.as_tensor(axes.distal, dtype=torch.float32)
        lateral = -torch.as_tensor(axes.medial, dtype=torch.float32)
        tip = p[TOE_ROWS[int(torch.multinomial(weights, 1, generator=generator))]]
        length = _uniform(ERASED_BAR_LENGTH, generator) * h
        thickness = _uniform(ERASED_BAR_THICKNESS, generator) * h
        if float(torch.rand(1, generator=generator)) < 0.7:  # across the axis, reaching in from the lateral side
            direction = lateral
            centre = tip + lateral * _uniform((-0.1, 0.5), generator) * length + distal * _uniform((-1.0, 1.0), generator) * thickness
        else:  # along the axis, beside the toe's lateral edge
            direction = distal
            centre = tip + lateral * _uniform((0.0, 1.5), generator) * thickness - distal * _uniform((0.0, 0.5), generator) * length
        half = direction * 0.5 * length
        cover = _segment_coverage(h, w, centre - half, centre + half, 0.5 * thickness).to(out.device, out.dtype)
        rim = _segment_coverage(h, w, centre - half, centre + half, 0.5 * thickness + 1.0).to(out.device, out.dtype) - cover
        out[i, :] = torch.maximum(out[i, :] * (1 - cover), rim.clamp(0, 1) * _uniform(ERASED_BAR_RIM, generator))
    return out
