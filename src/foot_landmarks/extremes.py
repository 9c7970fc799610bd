"""The extreme-point rule of LANDMARKS.md, shared by the generator's ground truth and the
geometric baseline: the most extreme pixel along a direction, and for a flat run of boundary
the middle of the pixels within 0.5 px of the extreme."""

from __future__ import annotations

import numpy as np

FLAT_RUN_TOLERANCE_PX = 0.5


def flat_run(xy: np.ndarray, direction: np.ndarray, tolerance: float = FLAT_RUN_TOLERANCE_PX) -> np.ndarray:
    """The pixels of `xy` (N, 2, non-empty) within `tolerance` of its extreme along `direction`."""
    along = xy @ (np.asarray(direction, dtype=float) / np.linalg.norm(direction))
    return xy[along >= along.max() - tolerance]


def flat_run_extreme(
    xy: np.ndarray, direction: np.ndarray, tolerance: float = FLAT_RUN_TOLERANCE_PX
) -> np.ndarray:
    """Pixel centre (x, y) of `xy` (N, 2) that is most extreme along unit vector `direction`.

    Pixels within `tolerance` of the extreme form the flat run; the one nearest the run's middle
    (measured across `direction`) is returned, so the answer is always an ink pixel.
    """
    xy = np.asarray(xy, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) == 0:
        raise ValueError(f"need a non-empty (N, 2) array of pixel centres, got shape {xy.shape}")
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    run = flat_run(xy, d, tolerance)
    across = run @ np.array([-d[1], d[0]])
    middle = 0.5 * (across.min() + across.max())
    return run[np.argmin(np.abs(across - middle))]
