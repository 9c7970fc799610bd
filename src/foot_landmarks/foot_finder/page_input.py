"""A page as the foot finder sees it: shrunk so its long side is `size`, centred on a square of
its border's median (paper, or a dark plate), with the exact matrix page px -> input px."""

from __future__ import annotations

import numpy as np
from skimage import exposure

from foot_landmarks import geometry as geo

INPUT_SIZE = 256
BORDER_FRAC = 0.03  # of the short side: the band whose median fills the square
# Local equalisation (CLAHE) of the finder's input square: tiles an eighth of its side, a foot's
# width or less on a sheet; skimage's default clip limit doubled.
EQUALISE_TILES = 8
EQUALISE_CLIP = 0.02


def border_median(gray: np.ndarray, band_frac: float = BORDER_FRAC) -> int:
    h, w = gray.shape
    b = max(1, round(band_frac * min(h, w)))
    band = np.concatenate([gray[:b].ravel(), gray[-b:].ravel(), gray[:, :b].ravel(), gray[:, -b:].ravel()])
    return int(np.median(band))


def letterbox(gray: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, geo.Matrix]:
    """(size, size) uint8 input and the matrix page px -> input px."""
    h, w = gray.shape
    scale = size / max(h, w)
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    small, to_small = geo.resize_with_matrix(np.ascontiguousarray(gray), (out_h, out_w))
    x0, y0 = (out_w - size) // 2, (out_h - size) // 2  # <= 0: the padding's offset
    square, to_square = geo.crop_with_matrix(small, (x0, y0, x0 + size, y0 + size), fill=border_median(gray))
    return square, geo.compose(to_small, to_square)


def equalised(gray: np.ndarray) -> np.ndarray:
    """`gray` with its contrast equalised locally (CLAHE): a pale print, or one in a shadow, comes
    out about as dark against its paper as a well-inked one."""
    kernel = max(8, max(gray.shape) // EQUALISE_TILES)
    out = exposure.equalize_adapthist(gray, kernel_size=kernel, clip_limit=EQUALISE_CLIP)
    return np.rint(out * 255).astype(np.uint8)
