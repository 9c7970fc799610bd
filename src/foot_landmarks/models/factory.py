"""Build a network from a variant's `model` parameters (conf/base/parameters_training.yml)."""

from __future__ import annotations

from torch import nn

from foot_landmarks.models.light import light_heatmap_net
from foot_landmarks.models.unet import study_unet

ARCHITECTURES = ("unet", "light")


def build_network(model_params: dict) -> tuple[nn.Module, str]:
    """(network, weights really used) for `model_params` = {architecture, encoder, input_size, ...}."""
    architecture = model_params.get("architecture", "unet")
    encoder = model_params["encoder"]
    weights = model_params.get("encoder_weights", "none")
    if architecture == "unet":
        return study_unet(encoder, tuple(model_params["input_size"]), weights)
    if architecture == "light":
        return light_heatmap_net(
            encoder, weights, channels=int(model_params.get("decoder_channels", 64)),
            stride=int(model_params.get("stride", 4)),
        )
    raise ValueError(f"unknown architecture '{architecture}', expected one of {', '.join(ARCHITECTURES)}")


def heatmap_stride(model_params: dict) -> int:
    return 1 if model_params.get("architecture", "unet") == "unet" else int(model_params.get("stride", 4))
