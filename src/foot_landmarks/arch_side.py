"""The side a print's arch gives: the midfoot's hollow border is the medial one.

LANDMARKS.md reads a foot's configuration from its anatomy. The hallux is one cue (the page
network's hallux-side reading, the landmark network's toes); the arch is another, independent of
the toes: the medial longitudinal arch lifts off the paper, so the band of the midfoot that
prints runs along the lateral border, and the medial border of the print is the hollow one. A
flat foot prints its whole midfoot and says nothing; a foot whose heel and forefoot print apart
has no band to read.

`arch_asymmetry` measures it on an upright crop (toes up, right-foot configuration: the hallux
on the left, print bright on black): on each border, how far the midfoot's edge lies inside the
straight line from the ball's edge to the heel's edge, left minus right, over the ball's width.
Positive: the left border is the hollow one, as the crop's configuration says; negative: the
crop is probably the mirror of its foot.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from foot_landmarks.models.geometric import print_intensity

# Bands of the print's height, measured from the heel's end (0) to the toes' (1). The midfoot band
# sits above the heel: just above it the band of a high arch still curves toward the heel's centre.
HEEL_ROWS = (0.08, 0.18)
MIDFOOT_ROWS = (0.40, 0.60)
BALL_ROWS = (0.62, 0.72)
MIN_PART_SHARE = 0.05  # of the print's area: smaller parts (toes, specks) do not set its height
# |asymmetry| from which the arch decides a configuration. Chosen on the generator's feet only:
# of its 1256 training crops with a band to read, one lies below -0.15 (a grey form panel read as
# print); on 145 generated pages through the predictor none lies below -0.031, and 74 % of the
# crops lie above 0.15.
ARCH_MARGIN = 0.15
# |asymmetry| from which the arch overrules a hallux reading the page stage trusts (right on 98 %
# of its held-out pages, foot_landmarks.pages.SIDE_TRUSTED): beyond the most negative value of any
# generated crop in its true configuration (-0.29).
ARCH_OVERRULES = 0.3


def _border_rows(sole: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(rows, left edge, right edge) of `sole` over `rows`, None where under half of them hold it."""
    held = rows[sole[rows].any(axis=1)]
    if len(held) < 0.5 * len(rows):
        return None
    left = np.argmax(sole[held], axis=1)
    right = sole.shape[1] - 1 - np.argmax(sole[held, ::-1], axis=1)
    return held, left, right


def arch_asymmetry(crop: np.ndarray) -> float:
    """(hollow of the left border - hollow of the right) / the ball's width, on an upright crop;
    NaN where the print has no single part joining heel, midfoot and ball."""
    smooth, level = print_intensity(crop, print_is_bright=True)
    if level is None:
        return float("nan")
    # every part of the print: print_mask would drop a heel printed far from the forefoot
    parts, n = ndimage.label(smooth > level)
    if n == 0:
        return float("nan")
    areas = np.bincount(parts.ravel())[1:]
    body = np.isin(parts, 1 + np.flatnonzero(areas >= MIN_PART_SHARE * areas.sum()))
    held = np.flatnonzero(body.any(axis=1))
    top, bottom = held.min(), held.max()
    height = bottom - top
    sole = parts == 1 + np.argmax(areas)  # heel, band and ball must be one part

    def band(fractions: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        return _border_rows(sole, np.arange(int(bottom - fractions[1] * height), int(bottom - fractions[0] * height) + 1))

    ball, heel, midfoot = band(BALL_ROWS), band(HEEL_ROWS), band(MIDFOOT_ROWS)
    if ball is None or heel is None or midfoot is None:
        return float("nan")
    y_ball, y_heel = ball[0].mean(), heel[0].mean()

    def chord(x_ball: float, x_heel: float) -> np.ndarray:  # the border's straight line, at the midfoot's rows
        return x_heel + (x_ball - x_heel) * (midfoot[0] - y_heel) / (y_ball - y_heel)

    left_ball, right_ball = np.median(ball[1]), np.median(ball[2])
    left_hollow = np.mean(midfoot[1] - chord(left_ball, np.median(heel[1])))
    right_hollow = np.mean(chord(right_ball, np.median(heel[2])) - midfoot[2])
    return float((left_hollow - right_hollow) / max(right_ball - left_ball, 1.0))
