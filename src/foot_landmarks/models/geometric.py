"""Classical geometric baseline: the 8 landmarks read off a segmented print, no training.

Segmentation: light Gaussian smoothing, Li's threshold, holes filled, and only the connected
components that belong to the foot kept (the largest one plus sizeable components near it, which
are the toes or a heel cut off by a high arch).

Landmarks, by the definitions of ../shared/LANDMARKS.md, in the foot's own frame:
- the foot axis starts as the principal axis of the print pointing up (inputs are upright), then
  is iterated to its definition, the line from point 8 to point 2;
- toe prints are the separate components in the distal part of the print, ordered medial to
  lateral; the toe tips are their extremes along the axis;
- the forefoot is the print (toes excluded) distal of the narrowest part of the midfoot; points 6
  and 7 are its medial and lateral extremes;
- point 8 is the posterior extreme of the print.
Every extreme uses the flat-run midpoint rule of foot_landmarks.extremes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage
from skimage.filters import gaussian, threshold_li
from skimage.measure import label
from skimage.morphology import remove_small_holes

from foot_landmarks.extremes import flat_run_extreme
from foot_landmarks.landmarks import N_LANDMARKS

Side = Literal["left", "right"]

SMOOTHING_SIGMA_PX = 0.5  # evens out ink grain; more would move a crisp edge outward past Li's low cut
MIN_COMPONENT_FRACTION = 0.002  # of the main component's area: smaller blobs are specks
MAX_TOE_FRACTION = 0.25  # of the main component's area: bigger blobs are forefoot or heel
MAX_GAP_FRACTION = 1.0  # of the main component's length (a heel cut off by a high arch is far)
MAX_HOLE_FRACTION = 0.01  # of the image area: unprinted skin inside the print is filled
TOE_REGION_START = 0.55  # toe blobs have their centroid in the distal 45% of the print
MIDFOOT_SEARCH = (0.25, 0.65)  # the narrowest midfoot lies in this part of the length
WIDTH_SMOOTHING_PX = 5
# where toes 1-5 usually sit across the forefoot, as a fraction from its medial edge
TOE_SLOT_FRACTIONS = (0.15, 0.40, 0.58, 0.74, 0.88)
AXIS_ITERATIONS = 10
CONFIDENCE_FOUND, CONFIDENCE_ASSIGNED, CONFIDENCE_GUESSED = 1.0, 0.5, 0.1
# row indices in an (8, 2) array of points ordered by landmark id
SECOND_TOE_ROW, MEDIAL_ROW, LATERAL_ROW, HEEL_ROW = 1, 5, 6, 7


# --------------------------------------------------------------------------------- segmentation
def print_intensity(
    image: np.ndarray, print_is_bright: bool = True, smoothing_sigma: float = SMOOTHING_SIGMA_PX
) -> tuple[np.ndarray, float | None]:
    """The smoothed intensity (0-1, print bright) of a grayscale uint8 image and the level that
    parts print from background (None for a blank image, which has nothing to threshold)."""
    intensity = np.asarray(image, dtype=float) / 255.0
    if intensity.ndim == 3:
        intensity = intensity.mean(axis=-1)
    if not print_is_bright:
        intensity = 1.0 - intensity
    smooth = gaussian(intensity, sigma=smoothing_sigma)
    if np.ptp(smooth) < 1e-6:
        return smooth, None
    # Li's minimum cross-entropy threshold sits lower than Otsu's and keeps faintly inked toes
    return smooth, float(threshold_li(smooth))


def segment_print(
    image: np.ndarray, print_is_bright: bool = True, smoothing_sigma: float = SMOOTHING_SIGMA_PX
) -> np.ndarray:
    """Bool mask of the foot print in a grayscale uint8 image."""
    smooth, level = print_intensity(image, print_is_bright, smoothing_sigma)
    return print_mask(smooth, level)


def print_mask(smooth: np.ndarray, level: float | None) -> np.ndarray:
    """The foot's components of `smooth > level`, holes filled (see print_intensity)."""
    if level is None:
        return np.zeros(smooth.shape, dtype=bool)
    mask = remove_small_holes(smooth > level, max_size=int(MAX_HOLE_FRACTION * smooth.size))
    return keep_foot_components(mask)


def keep_foot_components(
    mask: np.ndarray,
    min_fraction: float = MIN_COMPONENT_FRACTION,
    max_gap_fraction: float = MAX_GAP_FRACTION,
) -> np.ndarray:
    """The largest component plus the components that are big enough and close enough to it."""
    labels = label(mask, connectivity=2)
    if labels.max() == 0:
        return np.zeros_like(mask, dtype=bool)
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    main = int(areas.argmax())
    rows, cols = np.nonzero(labels == main)
    main_length = max(np.ptp(rows), np.ptp(cols)) + 1
    # distance from every pixel to the main component, then each component's nearest approach
    distance = ndimage.distance_transform_edt(labels != main)
    ids = np.arange(1, labels.max() + 1)
    gap = np.asarray(ndimage.minimum(distance, labels, ids))
    keep = (areas[ids] >= min_fraction * areas[main]) & (gap <= max_gap_fraction * main_length)
    return np.concatenate([[False], keep])[labels]


# --------------------------------------------------------------------------------- landmarks
def landmarks_from_mask(mask: np.ndarray, side: Side = "right") -> tuple[np.ndarray, np.ndarray]:
    """The 8 landmarks of an upright print mask.

    Args:
        mask: (H, W) bool print, toes up.
        side: "right" for the right-foot configuration (hallux on the left, as the data pipeline
            delivers every crop), "left" for its mirror.

    Returns:
        points: (8, 2) [x, y] px, rows ordered by landmark id 1..8.
        confidence: (8,) 1 for points found by their definition, 0.5 for toe tips assigned by
            medial-to-lateral order (fewer than five toe prints), 0.1 for toe tips guessed
            without a toe print.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS)
    labels = label(mask, connectivity=2)
    rows, cols = np.nonzero(labels)
    xy = np.stack([cols, rows], axis=-1).astype(float)
    pixel_labels = labels[rows, cols]
    medial_sign = 1.0 if side == "right" else -1.0

    axis = _principal_axis_up(xy)
    points, confidence = _landmarks_along_axis(xy, pixel_labels, axis, medial_sign)
    if confidence[SECOND_TOE_ROW] < CONFIDENCE_ASSIGNED:
        return points, confidence  # no toe-2 print: the definition's axis is not to be trusted
    for _ in range(AXIS_ITERATIONS):
        # LANDMARKS.md: the axis runs from point 8 to point 2; iterate to that fixed point
        new_axis = _unit(points[SECOND_TOE_ROW] - points[HEEL_ROW])
        if np.allclose(new_axis, axis, atol=1e-9):
            break
        axis = new_axis
        points, confidence = _landmarks_along_axis(xy, pixel_labels, axis, medial_sign)
    return points, confidence


def predict_geometric(image: np.ndarray, side: Side = "right") -> tuple[np.ndarray, np.ndarray]:
    """Points (8, 2) and confidence (8,) for an upright crop, print bright on black."""
    return landmarks_from_mask(segment_print(image, print_is_bright=True), side=side)


def _landmarks_along_axis(
    xy: np.ndarray, pixel_labels: np.ndarray, axis: np.ndarray, medial_sign: float
) -> tuple[np.ndarray, np.ndarray]:
    """All 8 points for a given distal unit vector `axis`."""
    # right foot, toes up: axis (0, -1) gives medial (-1, 0), the hallux side on the left
    medial = medial_sign * np.array([axis[1], -axis[0]])
    along = xy @ axis
    across = xy @ medial
    points = np.empty((N_LANDMARKS, 2))
    confidence = np.full(N_LANDMARKS, CONFIDENCE_FOUND)

    points[HEEL_ROW] = flat_run_extreme(xy, -axis)
    toe_ids = _toe_components(pixel_labels, along)
    is_toe = np.isin(pixel_labels, toe_ids)
    narrowest = _narrowest_midfoot(along[~is_toe])
    forefoot = xy[~is_toe & (along >= narrowest)]
    if len(forefoot) == 0:
        forefoot = xy[~is_toe] if (~is_toe).any() else xy
    points[MEDIAL_ROW] = flat_run_extreme(forefoot, medial)
    points[LATERAL_ROW] = flat_run_extreme(forefoot, -medial)

    tips = np.array([flat_run_extreme(xy[pixel_labels == i], axis) for i in toe_ids]).reshape(-1, 2)
    tips = tips[np.argsort(-(tips @ medial))]  # medial first
    if len(tips) == 5:
        points[:5] = tips
        return points, confidence

    # Fewer than five toe prints. The toes that fail to print are the lateral ones far more often,
    # so the prints take toes 1, 2, ... in medial-to-lateral order; each missing toe gets the most
    # distal print pixel in its strip, the strips spread between the last print and the forefoot's
    # lateral edge (or, with no toe print at all, at the usual toe positions across the forefoot).
    found = len(tips)
    points[:found] = tips
    confidence[:found] = CONFIDENCE_ASSIGNED
    confidence[found:5] = CONFIDENCE_GUESSED
    medial_edge, lateral_edge = points[MEDIAL_ROW] @ medial, points[LATERAL_ROW] @ medial
    if found:
        last_across = tips[-1] @ medial
        strip_across = np.linspace(last_across, lateral_edge, 5 - found + 1)[1:]
    else:
        last_across = medial_edge
        strip_across = medial_edge - np.array(TOE_SLOT_FRACTIONS) * (medial_edge - lateral_edge)
    half_strip = max(0.5 * abs(lateral_edge - last_across) / (5 - found), 0.5)
    for slot, centre in zip(range(found, 5), strip_across):
        in_strip = np.abs(across - centre) <= half_strip
        if in_strip.any():
            points[slot] = flat_run_extreme(xy[in_strip], axis)
        else:  # the strip misses the print: put the guess at the foot's distal end
            points[slot] = along.max() * axis + centre * medial
    return points, confidence


def _toe_components(pixel_labels: np.ndarray, along: np.ndarray) -> np.ndarray:
    """Label ids of the toe prints: components, not the main one, centred in the distal part.

    At most five, the largest.
    """
    areas = np.bincount(pixel_labels)
    mean_along = np.bincount(pixel_labels, weights=along) / np.maximum(areas, 1)
    main = int(areas.argmax())
    distal_start = along.min() + TOE_REGION_START * np.ptp(along)
    candidate = (
        (areas >= MIN_COMPONENT_FRACTION * areas[main])
        & (areas <= MAX_TOE_FRACTION * areas[main])
        & (mean_along > distal_start)
    )
    candidate[[0, main]] = False
    ids = np.flatnonzero(candidate)
    return ids[np.argsort(-areas[ids])][:5]


def _narrowest_midfoot(along: np.ndarray) -> float:
    """Position along the axis where the print (toes excluded) is narrowest in the midfoot."""
    start = along.min()
    width = np.bincount(np.floor(along - start).astype(int)).astype(float)  # px per 1-px slice
    width = ndimage.uniform_filter1d(width, WIDTH_SMOOTHING_PX, mode="nearest")
    low, high = (int(f * (len(width) - 1)) for f in MIDFOOT_SEARCH)
    window = width[low : high + 1]
    # a flat minimum (a band of constant width, or a gap of zero width): take its middle
    narrowest = np.flatnonzero(window <= window.min() + 0.5)
    return start + low + float(np.median(narrowest))


def _principal_axis_up(xy: np.ndarray) -> np.ndarray:
    """Unit principal axis of the pixel cloud, pointing up the image (toward smaller y)."""
    centred = xy - xy.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    axis = vectors[:, -1]
    return -axis if axis[1] > 0 else axis


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)
