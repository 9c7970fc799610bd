"""The finder's maps -> one `FoundFoot` per foot, in page pixels.

A foot is a heel peak and a toe peak of the maps joined by foot region (probability > 0.5) along
the segment between them, with the region around that segment. Two feet whose regions touch
(prints close together, a panel line between them) are parted between their heel-to-toe
segments; a heel printed apart from its forefoot (a high arch) belongs to its foot. A heel whose
toes left no toe response (a pale grid, a shadow) still makes a foot where its own stretch of
region is foot-long, its toe end at that stretch's far end, with a warning; so do toes whose heel
left no heel response.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage as ndi
from scipy.optimize import linear_sum_assignment
from skimage.feature import peak_local_max

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder.targets import HEEL_CENTRE_DEPTH
from foot_landmarks.landmarks import mirror_side

REGION_LEVEL = 0.5
PEAK_LEVEL = 0.25  # of a heatmap's 0-1 scale: a weaker heel / toe peak is no foot end
MIN_REGION_PX = 12  # map px
PAIR_SUPPORT = 0.6  # mean region probability along a heel-to-toe segment of one foot
JOINED_SHARE = 0.85  # of that segment in the region (its ends may lie on the region's rim)
PLACED_FROM_ANNOTATION = "not found by the foot finder: placed from its annotation"
MIN_LENGTH_SHARE = 0.5  # of the page's longest foot: a shorter heel-to-toe pair is no foot
# A toe response with no heel makes a foot only at an end of a long stretch of region: at most
# END_DEPTH of the stretch's reach behind it, and the stretch MIN_ELONGATION times as long as it
# is wide (a bare foot is over twice as long as wide; a stray response on a sole's rim looks
# across the foot).
END_DEPTH = 0.25
MIN_ELONGATION = 1.5


@dataclass
class FoundFoot:
    """One foot on a page (page px). `configuration`: "right" = hallux on the left of the axis
    heel -> toes seen toes up (print view of a right foot, LANDMARKS.md); `side_confidence` 0-1.
    `region` is the foot's mask on the finder's map grid, `to_map` page px -> map px."""

    heel: np.ndarray
    toes: np.ndarray
    hallux: np.ndarray
    configuration: str
    side_confidence: float
    score: float
    region: np.ndarray
    to_map: np.ndarray
    warnings: list[str] = field(default_factory=list)
    ends_guessed: bool = False  # heel or toes placed at the region's far end, with no response there
    cut_by_edge: bool = False  # the region reaches the image's edge: part of the print may be cut off
    mended: bool = False  # region and axis remade from the page's ink (pages.mended_foot): the finder missed its toes

    @property
    def axis(self) -> np.ndarray:
        """Unit vector heel -> toes (page px)."""
        d = self.toes - self.heel
        return d / max(float(np.linalg.norm(d)), 1e-9)

    def reversed(self) -> "FoundFoot":
        """The same foot read the other way round: heel and toes swap ends, and so the hallux,
        which stays where it is, lies on the other side of the axis (the other configuration)."""
        return replace(self, heel=self.toes, toes=self.heel, configuration=mirror_side(self.configuration),
                       warnings=list(self.warnings))

    def moved(self, m: np.ndarray) -> "FoundFoot":
        """The same foot on a page whose px are `m` @ this page's px (a crop or a padding)."""
        heel, toes, hallux = geo.apply_to_points(m, np.stack([self.heel, self.toes, self.hallux]))
        return replace(self, heel=heel, toes=toes, hallux=hallux, to_map=geo.compose(geo.invert(m), self.to_map),
                       warnings=list(self.warnings))

    def region_points(self) -> np.ndarray:
        """(N, 2) page px of the region's map pixels (their centres)."""
        rows, cols = np.nonzero(self.region)
        return geo.apply_to_points(geo.invert(self.to_map), np.stack([cols, rows], axis=1).astype(float))


def foot_from_points(points: np.ndarray, configuration: str, grid_px: float) -> FoundFoot:
    """A foot known from its 8 annotated points (page px) instead of found: its region rasterised
    on a grid of `grid_px` page px a cell, its axis and configuration as annotated."""
    from foot_landmarks.foot_finder.targets import axis_points, region_mask

    points = np.asarray(points, float)
    lo = points.min(axis=0) - 0.5 * np.ptp(points, axis=0).max()
    to_map = geo.compose(geo.translation(-lo[0], -lo[1]), geo.scale_matrix(1 / grid_px, 1 / grid_px))
    size = int(np.ceil(2.2 * np.ptp(points, axis=0).max() / grid_px)) + 2
    region = region_mask(geo.apply_to_points(to_map, points), (size, size))
    heel, toes = axis_points(points)
    return FoundFoot(heel, toes, points[0], configuration, 1.0, 1.0, region, to_map,
                     [PLACED_FROM_ANNOTATION])


def _disk(shape: tuple[int, int], centre: np.ndarray, radius: float) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return np.hypot(cols - centre[0], rows - centre[1]) <= radius


def _sub_pixel_peak(heat: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, float]:
    """(x, y) map px of the strongest value of `heat` inside `where` (3x3 centroid), and its value."""
    masked = np.where(where, heat, -np.inf)
    r, c = np.unravel_index(int(np.argmax(masked)), heat.shape)
    r0, r1, c0, c1 = max(r - 1, 0), min(r + 2, heat.shape[0]), max(c - 1, 0), min(c + 2, heat.shape[1])
    window = np.clip(heat[r0:r1, c0:c1], 0, None)
    total = float(window.sum())
    if total <= 0:
        return np.array([c, r], float), float(heat[r, c])
    ys, xs = np.mgrid[r0:r1, c0:c1]
    return np.array([(xs * window).sum() / total, (ys * window).sum() / total]), float(heat[r, c])


def _peaks(heat: np.ndarray, where: np.ndarray, min_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) [x, y] integer peaks of `heat` inside `where`, strongest first, and their values."""
    rc = peak_local_max(np.where(where, heat, 0), min_distance=max(1, min_distance), threshold_abs=PEAK_LEVEL,
                        exclude_border=False)
    if not len(rc):
        return np.zeros((0, 2)), np.zeros(0)
    return rc[:, ::-1].astype(float), heat[rc[:, 0], rc[:, 1]]


def _segment_support(probability: np.ndarray, a: np.ndarray, b: np.ndarray, samples: int = 16) -> float:
    """Mean region probability along the segment a -> b (map px), 0 where under JOINED_SHARE of
    it lies in the region: a heel and toes of one foot are joined by foot all the way; a heel
    and another foot's toes cross the paper between (a mean alone lets a long pair across a
    narrow gap pass)."""
    t = np.linspace(0, 1, samples)[:, None]
    xy = np.rint(a + t * (b - a)).astype(int)
    h, w = probability.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    values = np.zeros(samples)
    values[inside] = probability[xy[inside, 1], xy[inside, 0]]
    return float(values.mean()) if np.mean(values > REGION_LEVEL) >= JOINED_SHARE else 0.0


def _pair_ends(probability: np.ndarray, heels: np.ndarray, heel_values: np.ndarray, toes: np.ndarray,
               toe_values: np.ndarray) -> list[tuple[int, int]]:
    """Heel and toe peaks paired into feet, for the best total score (support along the segment
    times both peaks' strength); a pair must be joined by foot along its segment (support above
    PAIR_SUPPORT) and about as long as the page's longest foot (feet on one page are alike; a
    stray heel response at a foot's toes makes a short one)."""
    support = np.array([[_segment_support(probability, h, t) for t in toes] for h in heels])
    length = np.linalg.norm(toes[None, :] - heels[:, None], axis=2)
    score = np.where(support >= PAIR_SUPPORT, support * heel_values[:, None] * toe_values[None, :], 0.0)
    rows, cols = linear_sum_assignment(-score)
    joined = [(i, j) for i, j in zip(rows, cols) if score[i, j] > 0]
    if not joined:
        return []
    # Pairs shorter than the page's longest foot allows are ruled out before the final choice,
    # so a stray heel response on a ball cannot take that foot's toes from its real heel.
    score[length < MIN_LENGTH_SHARE * max(length[p] for p in joined)] = 0.0
    rows, cols = linear_sum_assignment(-score)
    pairs = sorted(((i, j) for i, j in zip(rows, cols) if score[i, j] > 0), key=lambda p: -score[p])
    kept: list[tuple[int, int]] = []
    for i, j in pairs:  # strongest first: a pair lying along a kept foot is that foot again
        if not any(along_segment(heels[i], heels[k], toes[m]) and along_segment(toes[j], heels[k], toes[m]) for k, m in kept):
            kept.append((i, j))
    return kept


def along_segment(point: np.ndarray, a: np.ndarray, b: np.ndarray, share: float = 0.25) -> bool:
    """Whether `point` lies within `share` of the segment's length of the segment a -> b."""
    ab = b - a
    t = float(np.clip(((point - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1))
    return float(np.linalg.norm(point - (a + t * ab))) <= share * float(np.linalg.norm(ab))


def _part_between_feet(region: np.ndarray, heels: np.ndarray, toes: np.ndarray) -> list[np.ndarray]:
    """A region holding several feet (heels[k] with toes[k]), parted: each pixel given to the
    nearest heel-to-toe segment."""
    rows, cols = np.nonzero(region)
    xy = np.stack([cols, rows], axis=1).astype(float)
    distances = []
    for a, b in zip(heels, toes):
        ab = b - a
        t = np.clip(((xy - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
        distances.append(np.linalg.norm(xy - (a + t[:, None] * ab), axis=1))
    owner = np.argmin(np.stack(distances), axis=0)
    parts = []
    for k in range(len(heels)):
        part = np.zeros_like(region)
        part[rows[owner == k], cols[owner == k]] = True
        parts.append(part)
    return parts


def _feet_regions(probability: np.ndarray, heels: np.ndarray, toes: np.ndarray,
                  pairs: list[tuple[int, int]]) -> list[np.ndarray]:
    """Each paired foot's region: the region pixels nearer its heel-to-toe segment than any other
    foot's, and within its length of the segment (a region joining two feet is parted; a heel
    printed apart from its forefoot joins it)."""
    region = probability > REGION_LEVEL
    if not pairs:
        return []
    parts = _part_between_feet(region, heels[[i for i, _ in pairs]], toes[[j for _, j in pairs]])
    out = []
    for part, (i, j) in zip(parts, pairs):
        length = float(np.linalg.norm(toes[j] - heels[i]))
        rows, cols = np.nonzero(part)
        xy = np.stack([cols, rows], axis=1).astype(float)
        ab = toes[j] - heels[i]
        t = np.clip(((xy - heels[i]) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
        near = np.linalg.norm(xy - (heels[i] + t[:, None] * ab), axis=1) <= 0.6 * length
        kept = np.zeros_like(region)
        kept[rows[near], cols[near]] = True
        out.append(kept)
    return out


def decode_feet(maps: np.ndarray, to_map: np.ndarray) -> list[FoundFoot]:
    """`maps` (5, h, w): region probability, heel, toes, hallux and little-toe heatmaps; `to_map`:
    page px -> map px. Feet sorted left to right on the page.

    A foot is a heel peak and a toe peak joined by foot region all along the segment between
    them (pairs chosen over the whole page for the best support), with the region around that
    segment; so two feet whose regions touch are two feet, and a heel printed apart from its
    forefoot (a high arch) is not a foot of its own.
    """
    probability, heel_map, toe_map, hallux_map, little_map = maps
    region = probability > REGION_LEVEL
    if not region.any():
        return []
    grown = ndi.binary_dilation(region, iterations=2)
    min_distance = max(2, int(0.06 * max(region.shape)))  # two heels side by side lie farther apart
    (heels, heel_values), (toes, toe_values) = _peaks(heel_map, grown, min_distance), _peaks(toe_map, grown, min_distance)
    pairs = _pair_ends(probability, heels, heel_values, toes, toe_values) if len(heels) and len(toes) else []
    pairs = [(i, j) for i, j in pairs if np.linalg.norm(toes[j] - heels[i]) >= 3.0]
    n_heel_peaks, n_peaks = len(heels), len(toes)
    toes, pairs = _far_ends_from_region(region, heels, heel_values, toes, pairs)
    heels, toe_first = _far_ends_from_region(region, toes, toe_values, heels, [(j, i) for i, j in pairs], from_toes=True)
    pairs = [(i, j) for j, i in toe_first]
    to_page = geo.invert(to_map)
    feet = []
    for (i, j), foot_region in zip(pairs, _feet_regions(probability, heels, toes, pairs)):
        if foot_region.sum() < MIN_REGION_PX:
            continue
        near = ndi.binary_dilation(foot_region, iterations=2)
        heel = heels[i] if i >= n_heel_peaks else _sub_pixel_peak(heel_map, _disk(region.shape, heels[i], min_distance))[0]
        toe = toes[j] if j >= n_peaks else _sub_pixel_peak(toe_map, _disk(region.shape, toes[j], min_distance))[0]
        hallux, _ = _sub_pixel_peak(hallux_map, near)
        configuration, side_confidence = _configuration(hallux_map, little_map, near, heel, toe)
        heel_p, toes_p, hallux_p = geo.apply_to_points(to_page, np.stack([heel, toe, hallux]))
        foot = FoundFoot(
            heel_p, toes_p, hallux_p, configuration, side_confidence,
            float(probability[foot_region].mean()), foot_region, np.asarray(to_map, float), [],
        )
        if j >= n_peaks:
            foot.warnings.append("toes placed at the far end of the foot's region (no toe response): check the axis")
        if i >= n_heel_peaks:
            foot.warnings.append("heel placed at the far end of the foot's region (no heel response): check the axis")
        foot.ends_guessed = j >= n_peaks or i >= n_heel_peaks
        feet.append(foot)
    feet.sort(key=lambda f: float(f.region_points()[:, 0].mean()))
    return feet


def _far_ends_from_region(region: np.ndarray, starts: np.ndarray, start_values: np.ndarray, ends: np.ndarray,
                          pairs: list[tuple[int, int]], from_toes: bool = False) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A foot end no peak of the other kind paired with (toes too pale for the toe map: a pale
    grid, a shadow; a heel under a glow) still makes a foot when its own stretch of region is
    foot-long: the other end is put at the far end of that stretch, along the direction from
    the end to the stretch's centre. The stretch is the region left once the paired feet's parts
    are taken away, connected to the end. `pairs` are (start, end) indices, `start_values` the
    strengths of the start peaks (a start beyond them is an end placed so before). Returns the
    ends with the new ones appended and the pairs with theirs.

    `from_toes`: the starts are toe responses and the heels are placed. Toe responses are many on
    a mottled sole and on a patterned table, so this is a last resort: only on a page where no
    foot was found otherwise, on a part of the region holding no other foot, at one end of a long
    stretch (END_DEPTH, MIN_ELONGATION); the stretch goes on across a gap to a heel printed apart,
    and the heel is put HEEL_CENTRE_DEPTH in from its end (the heel map peaks at the heel's
    centre)."""
    if from_toes and pairs:
        return np.asarray(ends, float).reshape(-1, 2), list(pairs)
    kept = list(pairs)
    lengths = [float(np.linalg.norm(ends[j] - starts[i])) for i, j in kept]
    ends = [np.asarray(t, float) for t in ends]
    parts = ndi.label(region)[0] if from_toes else None

    def part_at(xy: np.ndarray) -> int:
        return int(parts[_cell(xy, region.shape)])

    for i in np.argsort(-start_values) if len(start_values) else []:
        if any(i == k for k, _ in kept):
            continue
        if any(along_segment(starts[i], starts[k], ends[m]) for k, m in kept):
            continue  # a second response inside a paired foot
        if from_toes and part_at(starts[i]) in {part_at(starts[k]) for k, _ in kept} | {part_at(ends[m]) for _, m in kept}:
            continue  # a part of the region that holds a foot already
        free = region.copy()
        if kept:
            owners = _part_between_feet(region, np.array([starts[k] for k, _ in kept] + [starts[i]]),
                                        np.array([ends[m] for _, m in kept] + [starts[i]]))
            free = owners[-1]  # the region pixels nearer this end than any paired foot's segment
        labels, _ = ndi.label(free)
        own = labels[_cell(starts[i], region.shape)]
        if own == 0:
            continue
        rows, cols = np.nonzero(labels == own)
        xy = np.stack([cols, rows], axis=1).astype(float)
        direction = xy.mean(axis=0) - starts[i]
        if np.linalg.norm(direction) < 1.0:
            continue
        direction /= np.linalg.norm(direction)
        along = (xy - starts[i]) @ direction
        across = (xy - starts[i]) @ np.array([-direction[1], direction[0]])
        reach = float(along.max())
        if reach < 3.0 or (lengths and reach < MIN_LENGTH_SHARE * max(lengths)):
            continue
        if from_toes:
            if -along.min() > END_DEPTH * reach or np.ptp(across) * MIN_ELONGATION > np.ptp(along):
                continue  # not at an end of a foot-shaped stretch
            reach = _reach_beyond_gap(labels, own, starts[i], direction, reach, across)
        inset = HEEL_CENTRE_DEPTH if from_toes else 0.0
        ends.append(starts[i] + (1.0 - inset) * reach * direction)
        kept.append((int(i), len(ends) - 1))
        lengths.append(reach)
    return np.array(ends, float).reshape(-1, 2), kept


def _reach_beyond_gap(labels: np.ndarray, own: int, start: np.ndarray, direction: np.ndarray, reach: float,
                      across: np.ndarray) -> float:
    """How far along `direction` the foot reaches when another part of the region lies straight
    ahead of its stretch, within one more stretch's length (a heel printed apart from its
    forefoot: a high arch, a pale midfoot); `reach` when none does."""
    side = np.array([-direction[1], direction[0]])
    centre, half_width = float(np.mean(across)), 0.5 * float(np.ptp(across))
    for label in set(np.unique(labels)) - {0, own}:
        rows, cols = np.nonzero(labels == label)
        xy = np.stack([cols, rows], axis=1).astype(float)
        along = (xy - start) @ direction
        if reach < along.mean() < 2.0 * reach and abs(float(((xy - start) @ side).mean()) - centre) < half_width:
            reach = max(reach, float(along.max()))
    return reach


def _cell(xy: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """(row, col) of the map cell nearest an [x, y] point, kept on the map."""
    r, c = np.clip(np.rint(np.asarray(xy)[::-1]).astype(int), 0, np.array(shape) - 1)
    return int(r), int(c)


def _configuration(hallux_map: np.ndarray, little_map: np.ndarray, near: np.ndarray, heel: np.ndarray,
                   toe: np.ndarray) -> tuple[str, float]:
    """("right" or "left", confidence 0-1): on which side of the axis heel -> toes the hallux lies
    and the little toe lies opposite ("right" = hallux on the left, toes up: a right foot in print
    view). Each side's evidence is the two heatmaps' mass on that side (hallux there, little toe
    on the other), so one blurred toe cannot decide alone; the confidence is their contrast."""
    rows, cols = np.nonzero(near)
    xy = np.stack([cols, rows], axis=1).astype(float)
    axis = toe - heel
    left = np.array([axis[1], -axis[0]])
    on_left = (xy - 0.5 * (heel + toe)) @ left > 0
    hallux = np.clip(hallux_map[rows, cols], 0, None)
    little = np.clip(little_map[rows, cols], 0, None)
    right_evidence = float(hallux[on_left].sum() + little[~on_left].sum())
    left_evidence = float(hallux[~on_left].sum() + little[on_left].sum())
    total = right_evidence + left_evidence
    if total <= 0:
        return "right", 0.0
    return ("right" if right_evidence >= left_evidence else "left"), abs(right_evidence - left_evidence) / total


def edge_warning(foot: FoundFoot, page_hw: tuple[int, int]) -> str:
    """The warning for a foot whose region reaches the page's edges; "" when it does not."""
    edge = _touches_page_edge(foot, page_hw)
    return f"print touches the image edge ({edge}): points there may be cut off" if edge else ""


def _touches_page_edge(foot: FoundFoot, page_hw: tuple[int, int], margin_px: float = 0.75) -> str:
    """Which page edges the foot's region reaches (within `margin_px` map px), as words."""
    h, w = page_hw
    corners = geo.apply_to_points(foot.to_map, np.array([[0, 0], [w - 1, h - 1]], float))
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    rows, cols = np.nonzero(foot.region)
    edges = []
    for name, hit in (("top", rows.min() <= y0 + margin_px), ("bottom", rows.max() >= y1 - margin_px),
                      ("left", cols.min() <= x0 + margin_px), ("right", cols.max() >= x1 - margin_px)):
        if hit:
            edges.append(name)
    return ", ".join(edges)
