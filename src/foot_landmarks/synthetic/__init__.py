"""Synthetic scanned ink footprints with exact ground-truth landmarks.

``generate_dataset(n, seed)`` makes the prints (anatomy -> render -> ground truth -> artefacts)
and returns VIA tables plus JPEG bytes; ``write_dataset`` puts them on disk.
"""

from foot_landmarks.synthetic.generate import (
    DEFAULT_MIX,
    SHEETS,
    SyntheticDataset,
    generate_dataset,
    write_dataset,
)

__all__ = ["DEFAULT_MIX", "SHEETS", "SyntheticDataset", "generate_dataset", "write_dataset"]
