"""Synthetic footprint images with exact ground-truth landmarks, in four capture kinds (looks).

``generate_dataset(n, seed, mix=...)`` makes n usable feet as ink prints on paper, bare soles seen
from below, ink-mat forms (both feet, scanned or photographed) and pressure-plate colour maps
(anatomy -> render -> ground truth -> capture) and returns VIA tables plus the image bytes;
``write_dataset`` puts them on disk.
"""

from foot_landmarks.synthetic.generate import (
    DEFAULT_LOOK_MIX,
    DEFAULT_MIX,
    DEFAULT_SHEET_MIX,
    LOOKS,
    SHEETS,
    SyntheticDataset,
    generate_dataset,
    normalise_mix,
    write_dataset,
)

__all__ = [
    "DEFAULT_LOOK_MIX",
    "DEFAULT_MIX",
    "DEFAULT_SHEET_MIX",
    "LOOKS",
    "SHEETS",
    "SyntheticDataset",
    "generate_dataset",
    "normalise_mix",
    "write_dataset",
]
