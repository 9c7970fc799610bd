"""A trained landmark detector: network + heatmap codec + the input it expects, saved as one file.

The detector works in the network's input frame (processed image, height x width of the variant).
Mapping to original scan pixels is the job of the transforms kept with each sample
(foot_landmarks.geometry), so this class stays independent of how a scan was preprocessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from foot_landmarks.codecs import GaussianHeatmapCodec
from foot_landmarks.models.factory import build_network, heatmap_stride
from foot_landmarks.toe_order import reorder_toes

# Inputs are 8-bit prints, bright on black; a fixed affine keeps them near zero mean, unit scale.
PIXEL_MEAN, PIXEL_STD = 0.2, 0.3


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def native_bf16(device: torch.device) -> bool:
    """Whether this device has native bf16 arithmetic: CUDA, or a CPU with bf16 instructions
    (AVX512-BF16 / AMX); elsewhere CPU bf16 is emulated and slower than fp32. Native is not
    enough: whether bf16 is also sound and faster for a given network on this machine is
    measured before training (foot_landmarks.training.check_precision; oneDNN's AMX bf16
    kernels gave NaN on an Intel Xeon where AVX512-BF16 on an AMD EPYC trained as fp32 does)."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def normalise(images01: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1] -> the network's input scale."""
    return (images01 - PIXEL_MEAN) / PIXEL_STD


def to_network_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """(B, H, W) or (B, 1, H, W) uint8 -> normalised float (B, 1, H, W)."""
    if images_uint8.ndim == 3:
        images_uint8 = images_uint8[:, None]
    return normalise(images_uint8.float() / 255.0)


class DecodedPoints(NamedTuple):
    """The network's points for N input images, in input-frame px."""

    points: np.ndarray  # (N, 8, 2): the toes decoded jointly where one by one they broke the anatomy
    confidence: np.ndarray  # (N, 8): each point's heatmap value
    redecoded: np.ndarray  # (N, 8) bool: the toe points the joint decoding moved
    separate_points: np.ndarray  # (N, 8, 2): every map decoded on its own
    separate_confidence: np.ndarray  # (N, 8)

    @classmethod
    def one_by_one(cls, points: np.ndarray, confidence: np.ndarray) -> "DecodedPoints":
        """Points with no joint decoding (a stand-in without heatmaps)."""
        return cls(points, confidence, np.zeros(np.shape(confidence), bool), points, confidence)


@dataclass
class LandmarkDetector:
    """`config` holds the variant's model parameters (architecture, encoder, input_size, sigma,
    decoder, ...) and `info` what training recorded (weights used, data fingerprint, ...)."""

    config: dict
    network: nn.Module
    info: dict = field(default_factory=dict)

    @classmethod
    def create(cls, config: dict) -> "LandmarkDetector":
        network, weights_used = build_network(config)
        return cls(config=dict(config), network=network, info={"encoder_weights_used": weights_used})

    @property
    def input_size(self) -> tuple[int, int]:
        return int(self.config["input_size"][0]), int(self.config["input_size"][1])

    def codec(self, decoder: str | None = None) -> GaussianHeatmapCodec:
        return GaussianHeatmapCodec(
            self.input_size,
            stride=heatmap_stride(self.config),
            sigma=float(self.config.get("sigma", 2.0)),
            decoder=decoder or self.config.get("decoder", "dark"),
        )

    @torch.no_grad()
    def predict_heatmaps(self, images_uint8: np.ndarray, batch_size: int = 16, device=None) -> np.ndarray:
        """(N, H, W) uint8 input-frame images -> (N, 8, h, w) float32 heatmaps."""
        device = device or best_device()
        net = self.network.to(device).eval()
        out = []
        with torch.inference_mode():  # no autograd graph: each batch's activations are freed at once
            for start in range(0, len(images_uint8), batch_size):
                batch = torch.as_tensor(np.ascontiguousarray(images_uint8[start : start + batch_size]), device=device)
                x = to_network_input(batch)
                if device.type == "cuda":
                    x = x.contiguous(memory_format=torch.channels_last)
                    with torch.autocast("cuda", dtype=torch.bfloat16):
                        out.append(net(x).float().cpu())
                else:
                    out.append(net(x).float().cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, 8, *self.codec().heatmap_size), np.float32)

    def decode(self, heatmaps: np.ndarray, decoder: str | None = None) -> DecodedPoints:
        """(N, 8, h, w) heatmaps -> DecodedPoints: each map decoded on its own, and the toes decoded
        jointly where that broke the anatomy (foot_landmarks.toe_order; `joint_toes: false` in
        the config turns that off)."""
        codec = self.codec(decoder)
        separate_points, separate_confidence = codec.decode(heatmaps)
        points, confidence = separate_points.copy(), separate_confidence.copy()
        redecoded = np.zeros(confidence.shape, bool)
        if self.config.get("joint_toes", True):
            for i in range(len(points)):
                points[i], confidence[i], redecoded[i] = reorder_toes(heatmaps[i], points[i], confidence[i], codec)
        return DecodedPoints(points, confidence, redecoded, separate_points, separate_confidence)

    def predict_points(
        self, images_uint8: np.ndarray, batch_size: int = 16, decoder: str | None = None
    ) -> DecodedPoints:
        """(N, H, W) uint8 -> DecodedPoints (input-frame px), as `decode` gives them."""
        return self.decode(self.predict_heatmaps(images_uint8, batch_size), decoder)

    def predict(self, images_uint8: np.ndarray, batch_size: int = 16, decoder: str | None = None):
        """(N, H, W) uint8 -> points (N, 8, 2) in input-frame px and confidence (N, 8)."""
        decoded = self.predict_points(images_uint8, batch_size, decoder)
        return decoded.points, decoded.confidence

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, half: bool = True, weights: str | None = None) -> Path:
        """One file: config, info and the weights.

        `weights`: "fp16" (default: half the size of fp32, same points), "fp32", or "int8":
        convolution weights quantised per output channel (symmetric, scale = max|w| / 127) and
        everything else fp16, about a quarter of fp32; measured in benchmarks/RESULTS.md.
        """
        weights = weights or ("fp16" if half else "fp32")
        if weights not in WEIGHT_FORMATS:
            raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, got {weights!r}")
        state = {}
        for name, value in self.network.state_dict().items():
            value = value.detach().cpu()
            if weights == "int8" and value.is_floating_point() and value.ndim >= 2:
                scale = value.abs().amax(dim=tuple(range(1, value.ndim)), keepdim=True).clamp(min=1e-12) / 127.0
                state[name + INT8_SUFFIX] = torch.round(value / scale).to(torch.int8)
                state[name + SCALE_SUFFIX] = scale.float()
            elif weights != "fp32" and value.is_floating_point():
                state[name] = value.half()
            else:
                state[name] = value
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"config": self.config, "info": {**self.info, "weights_format": weights}, "state_dict": state}, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LandmarkDetector":
        blob = torch.load(Path(path), map_location="cpu", weights_only=True)
        config = dict(blob["config"])
        network, _ = build_network({**config, "encoder_weights": "none"})
        reference = network.state_dict()
        stored = blob["state_dict"]
        state = {}
        for name, value in stored.items():
            if name.endswith(SCALE_SUFFIX):
                continue
            if name.endswith(INT8_SUFFIX):
                name = name[: -len(INT8_SUFFIX)]
                value = value.float() * stored[name + SCALE_SUFFIX]
            state[name] = value.to(reference[name].dtype)
        network.load_state_dict(state)
        return cls(config=config, network=network.eval(), info=dict(blob.get("info", {})))


WEIGHT_FORMATS = ("fp16", "fp32", "int8")
INT8_SUFFIX, SCALE_SUFFIX = "::int8", "::scale"
