"""Heatmap codec: landmark coordinates <-> Gaussian heatmaps, kept apart from the network.

The codec owns every convention that links a point in the network's input image to a heatmap:
the heatmap size, the pixel-centre mapping between the two frames, the shape of the target and
the way a predicted heatmap is turned back into a point. Networks and losses only see tensors.

Frames (docs/CONTRACTS.md): the centre of pixel (row i, col j) is (x=j, y=i). With a heatmap at
1/stride of the input, input px x and heatmap px u are linked by the pixel-centre rule

    u = (x + 0.5) / stride - 0.5        x = (u + 0.5) * stride - 0.5

Decoders:
- "argmax": the integer heatmap pixel of the maximum (the study's reference decoder).
- "dark": Distribution-Aware coordinate Representation of Keypoints (Zhang et al., CVPR 2020).
  The heatmap is modulated by a Gaussian blur (restores a Gaussian shape on a network output),
  then one Newton step on its logarithm refines the argmax: for a Gaussian, log h is a quadratic
  whose maximum is at  mu = m - H^-1 g,  g and H the gradient and Hessian at the argmax m, taken
  here by finite differences. On an exact Gaussian this recovers the sub-pixel centre exactly.
- "soft_argmax": the heatmap-weighted mean of pixel positions in a small window around the
  argmax (local, so a second blob elsewhere cannot pull the point); `soft_argmax`, in torch, is
  also the training loss's integral regression.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from foot_landmarks.landmarks import N_LANDMARKS

Decoder = Literal["dark", "argmax", "soft_argmax"]
DECODERS: tuple[str, ...] = ("dark", "argmax", "soft_argmax")

_LOG_FLOOR = 1e-10  # log(h) of an empty pixel; far below any value near a peak
_MAX_DARK_SHIFT = 1.0  # heatmap px; a true peak lies within 0.5 px of its argmax


class GaussianHeatmapCodec:
    """Encode points as unnormalised Gaussian heatmaps and decode heatmaps back to points.

    Args:
        input_size: (H, W) of the network's input image, in px.
        stride: input px per heatmap px (1: heatmaps at input resolution, 4: a quarter).
        sigma: standard deviation of the target Gaussian, in heatmap px.
        decoder: "dark" (default), "argmax" or "soft_argmax".
        dark_blur_sigma: sigma (heatmap px) of DARK's modulation blur; None or 0 skips it. Blurring
            a Gaussian by a Gaussian keeps its centre, so exact targets decode exactly either way.
        soft_argmax_radius: half-size (heatmap px) of the soft-argmax window; default 2 * sigma.
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        stride: int = 1,
        sigma: float = 2.0,
        decoder: Decoder = "dark",
        dark_blur_sigma: float | None = None,
        soft_argmax_radius: int | None = None,
    ) -> None:
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
        if stride < 1 or sigma <= 0:
            raise ValueError(f"need stride >= 1 and sigma > 0, got stride={stride}, sigma={sigma}")
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.stride = int(stride)
        self.sigma = float(sigma)
        self.decoder = decoder
        self.dark_blur_sigma = dark_blur_sigma
        self.soft_argmax_radius = (
            int(soft_argmax_radius) if soft_argmax_radius is not None else math.ceil(2 * sigma)
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(input_size={self.input_size}, stride={self.stride}, "
            f"sigma={self.sigma}, decoder={self.decoder!r})"
        )

    # ----------------------------------------------------------------------------- frames
    @property
    def heatmap_size(self) -> tuple[int, int]:
        """(h, w) of the heatmaps: the input size divided by the stride, rounded up."""
        height, width = self.input_size
        return math.ceil(height / self.stride), math.ceil(width / self.stride)

    def to_heatmap_px(self, xy: np.ndarray) -> np.ndarray:
        """Input-frame px -> heatmap px (pixel-centre convention)."""
        return (np.asarray(xy, dtype=float) + 0.5) / self.stride - 0.5

    def to_input_px(self, uv: np.ndarray) -> np.ndarray:
        """Heatmap px -> input-frame px (pixel-centre convention)."""
        return (np.asarray(uv, dtype=float) + 0.5) * self.stride - 0.5

    def keypoint_weights(self, keypoints: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
        """(..., 8) float32: 1 for a visible point inside the input image, else 0.

        Inside means within the image's pixel area: -0.5 <= x <= W - 0.5 and likewise for y.
        """
        keypoints = np.asarray(keypoints, dtype=float)
        height, width = self.input_size
        x, y = keypoints[..., 0], keypoints[..., 1]
        inside = (x >= -0.5) & (x <= width - 0.5) & (y >= -0.5) & (y <= height - 0.5)
        if visible is not None:
            inside &= np.asarray(visible).astype(bool)
        return inside.astype(np.float32)

    # ----------------------------------------------------------------------------- encode
    def encode(
        self, keypoints: np.ndarray, visible: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points -> (heatmaps, weights).

        Args:
            keypoints: (N, 8, 2) or (8, 2) [x, y] in input-frame px.
            visible: (N, 8) or (8,) 0/1; None means all visible.

        Returns:
            heatmaps: float32 (N, 8, h, w) (or (8, h, w)): exp(-d^2 / 2 sigma^2), d the distance
                in heatmap px to the point's exact sub-pixel position, so the peak is 1 at the point.
                A point outside the image or not finite gets an all-zero map.
            weights: float32 (N, 8) (or (8,)): 0 for invisible or out-of-frame points, else 1.
                An invisible point inside the frame keeps its Gaussian (its position is defined,
                it is the outline tip); the weight decides whether a loss counts it.
        """
        keypoints = np.asarray(keypoints, dtype=float)
        single = keypoints.ndim == 2
        batch = keypoints[None] if single else keypoints
        _check_keypoints(batch.shape)
        weights = self.keypoint_weights(batch, None if visible is None else np.reshape(visible, batch.shape[:2]))
        drawn = self.keypoint_weights(batch) > 0

        h, w = self.heatmap_size
        uv = np.where(drawn[..., None], self.to_heatmap_px(batch), 0.0)
        # exp(-(du^2 + dv^2) / 2s^2) = exp(-du^2 / 2s^2) * exp(-dv^2 / 2s^2): a separable outer product
        gauss_u = np.exp(-((np.arange(w) - uv[..., 0:1]) ** 2) / (2 * self.sigma**2))
        gauss_v = np.exp(-((np.arange(h) - uv[..., 1:2]) ** 2) / (2 * self.sigma**2))
        heatmaps = gauss_v[..., :, None] * gauss_u[..., None, :] * drawn[..., None, None]
        heatmaps = heatmaps.astype(np.float32)
        if single:
            return heatmaps[0], weights[0]
        return heatmaps, weights

    def encode_torch(self, keypoints: torch.Tensor, visible: torch.Tensor | None = None) -> torch.Tensor:
        """Batched `encode` in torch on the keypoints' device (targets built on the fly on GPU).

        Args:
            keypoints: (N, 8, 2) [x, y] in input-frame px.
            visible: unused for the maps (an invisible point keeps its Gaussian, as in `encode`);
                accepted so calls mirror `encode`. Use `keypoint_weights_torch` for the weights.

        Returns:
            float32 (N, 8, h, w) heatmaps, equal to `encode(...)[0]` up to float32 rounding.
        """
        del visible  # the maps do not depend on visibility; see keypoint_weights_torch
        _check_keypoints(tuple(keypoints.shape))
        drawn = self.keypoint_weights_torch(keypoints) > 0
        uv = (keypoints.float() + 0.5) / self.stride - 0.5
        uv = torch.where(drawn[..., None], uv, torch.zeros_like(uv))
        h, w = self.heatmap_size
        device = keypoints.device
        cols = torch.arange(w, device=device, dtype=torch.float32)
        rows = torch.arange(h, device=device, dtype=torch.float32)
        two_var = 2 * self.sigma**2
        gauss_u = torch.exp(-((cols - uv[..., 0:1]) ** 2) / two_var)
        gauss_v = torch.exp(-((rows - uv[..., 1:2]) ** 2) / two_var)
        heatmaps = gauss_v[..., :, None] * gauss_u[..., None, :]
        return heatmaps * drawn[..., None, None].float()

    def keypoint_weights_torch(
        self, keypoints: torch.Tensor, visible: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Torch `keypoint_weights`: (N, 8) float32 on the keypoints' device."""
        height, width = self.input_size
        x, y = keypoints[..., 0], keypoints[..., 1]
        inside = (x >= -0.5) & (x <= width - 0.5) & (y >= -0.5) & (y <= height - 0.5)
        if visible is not None:
            inside = inside & visible.to(device=keypoints.device).bool()
        return inside.float()

    # ----------------------------------------------------------------------------- decode
    def decode(self, heatmaps: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Heatmaps -> (keypoints, confidence), as numpy arrays.

        Args:
            heatmaps: (N, 8, h, w) or (8, h, w), numpy or torch (any device).

        Returns:
            keypoints: float (N, 8, 2) (or (8, 2)) [x, y] in input-frame px.
            confidence: float (N, 8) (or (8,)): the maximum of each heatmap.
        """
        if isinstance(heatmaps, torch.Tensor):
            heatmaps = heatmaps.detach().float().cpu().numpy()
        heatmaps = np.asarray(heatmaps, dtype=np.float32)
        single = heatmaps.ndim == 3
        batch = heatmaps[None] if single else heatmaps
        if batch.ndim != 4:
            raise ValueError(f"heatmaps must be (N, K, h, w) or (K, h, w), got {heatmaps.shape}")
        n, k, h, w = batch.shape
        flat = batch.reshape(n * k, h, w)

        peak_row, peak_col, confidence = _argmax_2d(flat)
        if self.decoder == "argmax":
            uv = np.stack([peak_col, peak_row], axis=-1).astype(float)
        elif self.decoder == "dark":
            uv = self._refine_dark(flat, peak_row, peak_col)
        else:
            # the argmax found above, in numpy: torch's reduction over whole maps is slow on a busy CPU
            peak_index = torch.from_numpy(peak_row * w + peak_col)
            uv = soft_argmax(torch.from_numpy(flat.astype(np.float64)), self.soft_argmax_radius, peak_index).numpy()

        keypoints = self.to_input_px(uv).reshape(n, k, 2)
        confidence = confidence.reshape(n, k).astype(float)
        if single:
            return keypoints[0], confidence[0]
        return keypoints, confidence

    def decode_at(self, heatmap: np.ndarray, row: int, col: int) -> tuple[np.ndarray, float]:
        """(point [x, y] in input px, heatmap value) of one (h, w) map decoded from the peak at
        (row, col) instead of its argmax: a second peak, as the joint toe decoding picks one."""
        flat = np.asarray(heatmap, dtype=np.float32)[None]
        peak_row, peak_col = np.array([row]), np.array([col])
        if self.decoder == "argmax":
            uv = np.array([[col, row]], float)
        elif self.decoder == "dark":
            uv = self._refine_dark(flat, peak_row, peak_col)
        else:
            index = torch.from_numpy(peak_row * flat.shape[2] + peak_col)
            uv = soft_argmax(torch.from_numpy(flat.astype(np.float64)), self.soft_argmax_radius, index).numpy()
        return self.to_input_px(uv)[0], float(flat[0, row, col])

    def _refine_dark(self, flat: np.ndarray, peak_row: np.ndarray, peak_col: np.ndarray) -> np.ndarray:
        """(M, 2) [u, v]: one Newton step on log(heatmap) from the argmax (DARK)."""
        m, h, w = flat.shape
        if h < 3 or w < 3:  # too small to differentiate: keep the argmax
            return np.stack([peak_col, peak_row], axis=-1).astype(float)
        # 3x3 stencil centre: the argmax, moved inwards at the border so all taps exist. Newton on a
        # quadratic is exact from any point, so the shifted stencil still finds the peak.
        centre_row = np.clip(peak_row, 1, h - 2)
        centre_col = np.clip(peak_col, 1, w - 2)

        # Only a patch around each stencil is needed (log and blur of whole maps cost ~10x more).
        # Patch indices are clipped at the border, which is the "nearest" extension of the full map.
        margin = 1 + (int(4.0 * self.dark_blur_sigma + 0.5) if self.dark_blur_sigma else 0)
        offsets = np.arange(-margin, margin + 1)
        patches = flat[
            np.arange(m)[:, None, None],
            np.clip(centre_row[:, None] + offsets, 0, h - 1)[:, :, None],
            np.clip(centre_col[:, None] + offsets, 0, w - 1)[:, None, :],
        ].astype(np.float64)
        if self.dark_blur_sigma:
            # modulation: a blurred Gaussian is a wider Gaussian with the same centre, and a network's
            # ragged peak becomes smooth enough to differentiate
            peak = patches.reshape(m, -1).max(axis=1)
            s = self.dark_blur_sigma
            patches = gaussian_filter(patches, sigma=(0, s, s), mode="nearest", truncate=4.0)
            patches *= (peak / np.maximum(patches.reshape(m, -1).max(axis=1), _LOG_FLOOR))[:, None, None]
        stencil = np.log(np.maximum(patches[:, margin - 1 : margin + 2, margin - 1 : margin + 2], _LOG_FLOOR))

        def tap(d_row: int, d_col: int) -> np.ndarray:
            return stencil[:, 1 + d_row, 1 + d_col]

        centre = tap(0, 0)
        grad_u = 0.5 * (tap(0, 1) - tap(0, -1))
        grad_v = 0.5 * (tap(1, 0) - tap(-1, 0))
        d_uu = tap(0, 1) - 2 * centre + tap(0, -1)
        d_vv = tap(1, 0) - 2 * centre + tap(-1, 0)
        d_uv = 0.25 * (tap(1, 1) - tap(1, -1) - tap(-1, 1) + tap(-1, -1))

        # offset = -H^-1 g, written out for the 2x2 Hessian [[d_uu, d_uv], [d_uv, d_vv]]
        det = d_uu * d_vv - d_uv**2
        # a maximum needs a negative-definite Hessian; anything else (flat or saddle) keeps the argmax
        solvable = (det > 1e-12) & (d_uu < 0)
        safe_det = np.where(solvable, det, 1.0)
        offset_u = -(d_vv * grad_u - d_uv * grad_v) / safe_det
        offset_v = -(-d_uv * grad_u + d_uu * grad_v) / safe_det
        refined_u = np.where(solvable, centre_col + offset_u, peak_col)
        refined_v = np.where(solvable, centre_row + offset_v, peak_row)
        # clamp relative to the argmax: noise can make the quadratic fit shoot far away
        refined_u = np.clip(refined_u, peak_col - _MAX_DARK_SHIFT, peak_col + _MAX_DARK_SHIFT)
        refined_v = np.clip(refined_v, peak_row - _MAX_DARK_SHIFT, peak_row + _MAX_DARK_SHIFT)
        return np.stack([refined_u, refined_v], axis=-1)


def soft_argmax(heatmaps: torch.Tensor, radius: int, peak_index: torch.Tensor | None = None) -> torch.Tensor:
    """(..., h, w) -> (..., 2) [u, v] in heatmap px: the heatmap-weighted mean pixel position in a
    square window of `radius` around each map's argmax. Differentiable in the heatmap values, so
    the training loss (integral regression) and the "soft_argmax" decoder share it.

    - The window is local: a whole-map softmax is pulled toward the map's centre by the background,
      and a loss on it teaches the network to push its peaks outward (a measured 1 px outward bias
      of every extreme point).
    - At the border the window shrinks to stay symmetric about the argmax: a one-sided window would
      pull the mean inwards.
    - Negative values carry no mass; a window without mass gives the argmax itself.

    `peak_index`: each map's argmax as a flat index (one per map, in the order of
    `heatmaps.reshape(-1, h, w)`) when the caller has it already.
    """
    *lead, h, w = heatmaps.shape
    dtype = heatmaps.dtype if heatmaps.dtype == torch.float64 else torch.float32
    maps = heatmaps.reshape(-1, h, w)
    m = maps.shape[0]
    peak = maps.reshape(m, -1).argmax(dim=1) if peak_index is None else peak_index.reshape(m).to(maps.device)
    peak_row, peak_col = peak // w, peak % w
    # Only the (2r+1)^2 window around each argmax is read: a small gather, not whole-map masks
    # (elementwise ops on whole maps go multi-threaded, and on a busy CPU that costs 100x).
    offsets = torch.arange(-radius, radius + 1, device=maps.device)
    rows = peak_row[:, None] + offsets  # (M, 2r+1)
    cols = peak_col[:, None] + offsets
    reach_v = torch.minimum(peak_row, h - 1 - peak_row)[:, None]  # room to the border, per map
    reach_u = torch.minimum(peak_col, w - 1 - peak_col)[:, None]
    inside = (offsets.abs() <= reach_v)[:, :, None] & (offsets.abs() <= reach_u)[:, None, :]
    window = maps[
        torch.arange(m, device=maps.device)[:, None, None],
        rows.clamp(0, h - 1)[:, :, None],
        cols.clamp(0, w - 1)[:, None, :],
    ].to(dtype)
    window = window.clamp(min=0) * inside.to(dtype)
    mass = window.sum(dim=(1, 2))
    has_mass = mass > 0
    safe_mass = torch.where(has_mass, mass, torch.ones_like(mass))
    u = (window.sum(dim=1) * cols.to(dtype)).sum(-1) / safe_mass
    v = (window.sum(dim=2) * rows.to(dtype)).sum(-1) / safe_mass
    u = torch.where(has_mass, u, peak_col.to(dtype))
    v = torch.where(has_mass, v, peak_row.to(dtype))
    return torch.stack([u, v], dim=-1).reshape(*lead, 2)


def _argmax_2d(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of the maximum of each (h, w) map in (M, h, w)."""
    m, h, w = flat.shape
    flat_index = flat.reshape(m, -1).argmax(axis=1)
    peak_row, peak_col = np.divmod(flat_index, w)
    return peak_row, peak_col, flat.reshape(m, -1)[np.arange(m), flat_index]


def _check_keypoints(shape: tuple[int, ...]) -> None:
    if len(shape) != 3 or shape[-1] != 2:
        raise ValueError(f"keypoints must be (N, K, 2) or (K, 2), got shape {shape}")
    if shape[1] != N_LANDMARKS:
        # the codec itself works for any K; this guards against transposed (8, N, 2) input
        raise ValueError(f"expected {N_LANDMARKS} landmarks on axis 1, got shape {shape}")
