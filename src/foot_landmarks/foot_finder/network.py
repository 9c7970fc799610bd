"""A small U-Net for whole pages: 1 x S x S in, 4 maps at stride 4 out (region logit, heel,
toes, hallux). Its deepest features see the whole page, so a logo, a ruler bar or a table edge
can be told from a foot by context, not by a shape rule. Stride 4 (a map pixel is ~4.6 mm of an
A4 page) is enough to find and turn a foot: the crop's own ink gives its exact box."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from foot_landmarks.foot_finder.targets import CHANNELS


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)
    )


class FootFinderNet(nn.Module):
    """Encoder: a stride-2 stem, then stride-2 stages down to 1/32; decoder back to 1/4."""

    def __init__(self, widths: tuple[int, ...] = (16, 24, 32, 48, 64), out_channels: int = len(CHANNELS)):
        super().__init__()
        self.stem = _conv(1, widths[0], 2)
        self.down = nn.ModuleList(
            nn.Sequential(_conv(c_in, c_out, 2), _conv(c_out, c_out)) for c_in, c_out in zip(widths[:-1], widths[1:])
        )
        # back up to the first stage's resolution (1/4): the stem's 1/2 level is not decoded
        self.up = nn.ModuleList(
            _conv(c_deep + c_skip, c_skip) for c_deep, c_skip in zip(widths[:1:-1], widths[-2:0:-1])
        )
        self.head = nn.Conv2d(widths[1], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(x)]
        for stage in self.down:
            skips.append(stage(skips[-1]))
        y = skips.pop()
        for block in self.up:
            skip = skips.pop()
            y = block(torch.cat([F.interpolate(y, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        return self.head(y)
