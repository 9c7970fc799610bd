"""Compute-efficient heatmap network: the same ResNet encoder, a light FPN-style decoder that
stops at stride 4 (or 2) of the input, MMPose-style. Sub-pixel decoding (DARK) recovers what the
coarser heatmap loses, at a fraction of the U-Net's decoder cost."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from foot_landmarks.landmarks import N_LANDMARKS
from foot_landmarks.models.encoders import resnet_body


def _conv_bn_relu(c_in: int, c_out: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)
    )


class LightHeatmapNet(nn.Module):
    """ResNet stages 1-4 -> top-down feature pyramid -> heatmaps at `stride` (4 or 2)."""

    def __init__(self, body: nn.Sequential, channels: int = 64, stride: int = 4, n_landmarks: int = N_LANDMARKS):
        super().__init__()
        if stride not in (2, 4):
            raise ValueError(f"stride must be 2 or 4, got {stride}")
        self.stem, self.stages = body[:4], nn.ModuleList(body[4:8])
        stage_channels = [self._out_channels(stage) for stage in self.stages]
        self.laterals = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in stage_channels)
        self.smooth = _conv_bn_relu(channels, channels)
        self.up2 = _conv_bn_relu(channels, channels) if stride == 2 else None
        self.head = nn.Conv2d(channels, n_landmarks, 1)
        self.stride = stride

    @staticmethod
    def _out_channels(stage: nn.Module) -> int:
        convs = [m for m in stage.modules() if isinstance(m, nn.Conv2d)]
        return convs[-1].out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        features = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        y = self.laterals[-1](features[-1])
        for lateral, feature in zip(reversed(self.laterals[:-1]), reversed(features[:-1])):
            y = F.interpolate(y, size=feature.shape[-2:], mode="nearest") + lateral(feature)
        y = self.smooth(y)
        if self.up2 is not None:
            # ceil(H/2) x ceil(W/2): the heatmap size the codec expects for odd input sizes.
            size = (-(-height // 2), -(-width // 2))
            y = self.up2(F.interpolate(y, size=size, mode="bilinear", align_corners=False))
        return self.head(y)


def light_heatmap_net(
    arch: str, encoder_weights: str = "none", channels: int = 64, stride: int = 4, n_landmarks: int = N_LANDMARKS
) -> tuple[nn.Module, str]:
    body, used = resnet_body(arch, encoder_weights, in_channels=1)
    return LightHeatmapNet(body, channels=channels, stride=stride, n_landmarks=n_landmarks), used
