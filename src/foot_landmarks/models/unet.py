"""The study's network: fastai's DynamicUnet on a ResNet encoder, one heatmap per landmark at the
full input resolution."""

from __future__ import annotations

from fastai.vision.models.unet import DynamicUnet
from torch import nn

from foot_landmarks.landmarks import N_LANDMARKS
from foot_landmarks.models.encoders import resnet_body


def study_unet(
    arch: str,
    input_size: tuple[int, int],
    encoder_weights: str = "none",
    n_landmarks: int = N_LANDMARKS,
) -> tuple[nn.Module, str]:
    """fastai U-Net (DynamicUnet) with 1 input channel and `n_landmarks` output heatmaps."""
    body, used = resnet_body(arch, encoder_weights, in_channels=1)
    return DynamicUnet(body, n_out=n_landmarks, img_size=tuple(input_size)), used
