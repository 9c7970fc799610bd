"""The five toe points decoded together: five different toe peaks, medial to lateral.

Each heatmap is decoded on its own (foot_landmarks.codecs), so nothing stops two toe channels
from answering on one toe. On real ink-mat sheets that is the usual failure: a faint little toe
pressed against the ball reads as part of the ball, toe 5's map answers on toe 4, toe 4's on
toe 3, and two toe points share one toe (the hallux still right). The maps keep a weaker second
peak on the toe they passed over, so where the separately decoded toe points break the anatomy
(two closer than two toes can be, or out of medial-to-lateral order; foot_landmarks.anatomy_checks)
the toes are decoded again jointly: among the peaks of the five toe maps in front of points 6 and
7, the five in medial-to-lateral order, each a toe apart from the next (the hallux is wider), the
lesser toes stepping back toward the little toe, with the largest summed heatmap value (a dynamic
programme over the peaks sorted across the foot). Points the network's answer already keeps
apart and in order are never touched.

Works on the network's input frame (toes up, right-foot configuration: the hallux on the left),
with the axis from point 8 to point 2 as everywhere (LANDMARKS.md).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter

from foot_landmarks.anatomy_checks import TOE_MIN_SPACING
from foot_landmarks.codecs import GaussianHeatmapCodec
from foot_landmarks.landmarks import LATERAL_FOREFOOT, MEDIAL_FOREFOOT, TOE_IDS, foot_axes

PEAK_FLOOR = 0.05  # heatmap value below which a local maximum is noise, not a toe (targets peak at 1)
# a lesser toe's tip is never ahead of the one medial to it by more than this share of the foot's
# length (the generator's toe steps are all positive, real toe lines slant the same way)
TOE_STEP_TOLERANCE = 0.01
# the hallux is wide: its tip lies at least 6.9 % of the foot's length from toe 2's on 99 % of the
# generator's 1500 feet (lesser toes: 4 %, TOE_MIN_SPACING keeps 3 % as the anatomy checks do)
HALLUX_MIN_SPACING = 0.05
TOE_ROWS = [k - 1 for k in TOE_IDS]


def toes_break_anatomy(points: np.ndarray) -> bool:
    """Whether the (8, 2) points put two toe points closer than two toes can be (the hallux and
    toe 2 closer than HALLUX_MIN_SPACING), or the toe points out of medial-to-lateral order (the
    rules foot_landmarks.anatomy_checks flags)."""
    axes = foot_axes(points)
    if axes is None:
        return False
    medial, length = axes.medial, axes.length
    toes = points[TOE_ROWS]
    gaps = np.linalg.norm(toes[:, None] - toes[None], axis=-1)
    too_close = np.any(gaps[np.triu_indices(len(toes), 1)] < TOE_MIN_SPACING * length)
    too_close |= gaps[0, 1] < HALLUX_MIN_SPACING * length
    return bool(too_close or not np.all(np.diff(toes @ medial) < 0))


def _min_gaps(length: float) -> np.ndarray:
    """(4,) least distance from each toe's tip to the next one's (toes 1-2, 2-3, 3-4, 4-5)."""
    return np.array([HALLUX_MIN_SPACING, TOE_MIN_SPACING, TOE_MIN_SPACING, TOE_MIN_SPACING]) * length


def toe_peaks(toe_maps: np.ndarray, floor: float = PEAK_FLOOR) -> np.ndarray:
    """(C, 2) [row, col] of the local maxima (3x3) of any of the (5, h, w) toe maps above `floor`,
    one per pixel."""
    peaks = np.zeros(toe_maps.shape[1:], bool)
    for heatmap in toe_maps:
        peaks |= (heatmap == maximum_filter(heatmap, size=3, mode="constant", cval=-np.inf)) & (heatmap >= floor)
    return np.argwhere(peaks)


def ordered_assignment(
    scores: np.ndarray, positions: np.ndarray, distal: np.ndarray, min_gaps: np.ndarray, step_tolerance: float
) -> list[int] | None:
    """Indices of one candidate per toe with the largest summed score, such that toe k + 1 comes
    after toe k in the candidates' order (medial to lateral), at least `min_gaps[k]` from it, and from
    the second toe on no more than `step_tolerance` more distal than the toe before (the lesser
    toes' tips step back toward the little toe); None if no choice meets that.

    scores: (5, C), toe k's value at candidate c; positions: (C, 2) and distal: (C,) in the
    candidates' order."""
    n_toes, n = scores.shape
    best = np.full((n_toes, n), -np.inf)  # best sum for toes 0..k with toe k on candidate c
    previous = np.full((n_toes, n), -1)
    best[0] = scores[0]
    gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    for k in range(1, n_toes):
        for c in range(n):
            allowed = (np.arange(n) < c) & (gaps[:, c] >= min_gaps[k - 1]) & np.isfinite(best[k - 1])
            if k >= 2:  # toes 3-5: not ahead of the toe before
                allowed &= distal[c] <= distal + step_tolerance
            allowed = np.flatnonzero(allowed)
            if len(allowed):
                j = allowed[np.argmax(best[k - 1, allowed])]
                best[k, c], previous[k, c] = best[k - 1, j] + scores[k, c], j
    if not np.isfinite(best[-1]).any():
        return None
    chosen = [int(np.argmax(best[-1]))]
    for k in range(n_toes - 1, 0, -1):
        chosen.append(int(previous[k, chosen[-1]]))
    return chosen[::-1]


def reorder_toes(
    heatmaps: np.ndarray, points: np.ndarray, confidence: np.ndarray, codec: GaussianHeatmapCodec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points, confidence, moved) for one foot: (8, h, w) heatmaps and their separately decoded
    (8, 2) input-frame points and (8,) confidences. Where the toe points break the anatomy, the
    five toes decoded jointly (module docstring); `moved` marks the toe points that changed."""
    points, confidence = np.array(points, float), np.array(confidence, float)
    moved = np.zeros(len(points), bool)
    if not toes_break_anatomy(points):
        return points, confidence, moved
    toe_maps = np.asarray(heatmaps[TOE_ROWS], np.float32)
    peaks = toe_peaks(toe_maps)
    if len(peaks) < len(TOE_ROWS):
        return points, confidence, moved
    # toe k's value at a peak: its own map's maximum within the peak's 3x3 (neighbouring maps'
    # peaks on one toe sit a pixel apart)
    local = np.stack([maximum_filter(m, size=3, mode="nearest") for m in toe_maps])
    positions = codec.to_input_px(peaks[:, ::-1].astype(float))  # [x, y] input px
    axis, medial, length = foot_axes(points)
    # toe tips lie distal of the forefoot's extremes (points 6 and 7)
    front = max(points[MEDIAL_FOREFOOT - 1] @ axis, points[LATERAL_FOREFOOT - 1] @ axis)
    keep = positions @ axis > front
    peaks, positions = peaks[keep], positions[keep]
    order = np.argsort(-(positions @ medial), kind="stable")
    peaks, positions = peaks[order], positions[order]
    scores = local[:, peaks[:, 0], peaks[:, 1]]
    chosen = ordered_assignment(
        scores, positions, positions @ axis, _min_gaps(length), TOE_STEP_TOLERANCE * length
    )
    if chosen is None:
        return points, confidence, moved
    for k, c in zip(TOE_ROWS, chosen):
        row, col = _own_peak(toe_maps[k], peaks[c])
        point, value = codec.decode_at(toe_maps[k], row, col)
        if np.linalg.norm(point - points[k]) > 1e-6:
            points[k], confidence[k], moved[k] = point, value, True
    return points, confidence, moved


def _own_peak(heatmap: np.ndarray, peak: np.ndarray) -> tuple[int, int]:
    """The argmax of `heatmap` within the 3x3 around `peak` (row, col)."""
    h, w = heatmap.shape
    r0, c0 = max(int(peak[0]) - 1, 0), max(int(peak[1]) - 1, 0)
    window = heatmap[r0 : min(int(peak[0]) + 2, h), c0 : min(int(peak[1]) + 2, w)]
    dr, dc = np.unravel_index(int(np.argmax(window)), window.shape)
    return r0 + int(dr), c0 + int(dc)
