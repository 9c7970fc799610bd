"""ResNet encoders for 1-channel footprints, with the weights the user asked for.

`encoder_weights` is `imagenet`, `none` or a path to a `.pth` state dict. ImageNet weights come
only from the local torch cache: this project never downloads at run time, so when they are not
there training starts from random initialisation with one warning, and the caller records what
was really used.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
import torchvision
from fastai.vision.learner import create_body
from torch import nn

log = logging.getLogger(__name__)

RESNETS = {
    "resnet18": (torchvision.models.resnet18, torchvision.models.ResNet18_Weights.IMAGENET1K_V1),
    "resnet34": (torchvision.models.resnet34, torchvision.models.ResNet34_Weights.IMAGENET1K_V1),
    "resnet50": (torchvision.models.resnet50, torchvision.models.ResNet50_Weights.IMAGENET1K_V1),
}


class EncoderWeightsError(ValueError):
    """A weights file that cannot be read or does not fit the encoder."""


def imagenet_cache_path(arch: str) -> Path:
    _, weights = RESNETS[arch]
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name


def _load_state_dict(path: Path, arch: str) -> dict:
    if not path.is_file():
        raise EncoderWeightsError(f"{path}: encoder weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad pickle/zip
        raise EncoderWeightsError(f"{path}: not a readable torch state dict ({exc})") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise EncoderWeightsError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return state


def resnet_with_weights(arch: str, encoder_weights: str = "none") -> tuple[nn.Module, str]:
    """A torchvision ResNet and a description of the weights it really holds."""
    if arch not in RESNETS:
        raise ValueError(f"unknown encoder '{arch}', expected one of {', '.join(RESNETS)}")
    factory, _ = RESNETS[arch]
    model = factory(weights=None)
    choice = str(encoder_weights or "none")
    if choice.lower() == "none":
        return model, "none"
    if choice.lower() == "imagenet":
        cached = imagenet_cache_path(arch)
        if not cached.is_file():
            message = (
                f"ImageNet weights for {arch} are not in the local torch cache ({cached}) and this "
                "project does not download them: training from random initialisation"
            )
            warnings.warn(message, stacklevel=2)
            log.warning(message)
            return model, "none (imagenet unavailable offline)"
        path, used = cached, f"imagenet ({cached.name})"
    else:
        path, used = Path(choice), f"file {choice}"
    state = _load_state_dict(path, arch)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # The classifier head is cut off anyway; every other tensor must fit.
    missing = [k for k in missing if not k.startswith("fc.")]
    unexpected = [k for k in unexpected if not k.startswith("fc.")]
    if missing or unexpected:
        raise EncoderWeightsError(
            f"{path}: does not fit encoder {arch}: {len(missing)} missing tensors "
            f"(e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. {unexpected[:2]})"
        )
    return model, used


def resnet_body(arch: str, encoder_weights: str = "none", in_channels: int = 1) -> tuple[nn.Sequential, str]:
    """fastai's encoder body (stem + 4 stages, no pooling/head) adapted to `in_channels`.

    fastai sums the first convolution's RGB kernels when the input has one channel, so ImageNet
    weights stay meaningful on grayscale prints.
    """
    model, used = resnet_with_weights(arch, encoder_weights)
    pretrained = not used.startswith("none")
    return create_body(model, n_in=in_channels, pretrained=pretrained), used
