"""Plantar shape model: one foot's outline, toe pads and pressure centres, in millimetres.

Frame: a RIGHT foot in print view, x toward the lateral side (+), y distal (+), the back of the
heel near y = 0. Left feet and views from below are mirror images applied when the foot is put on
a page (raster.py), so the model itself is always a right foot.

The sole (heel, midfoot band, ball) is one closed outline through anatomical control points
(heel cap, lateral border, fifth and first metatarsal heads, the ball's distal edge behind each
toe, the medial arch border) joined by a centripetal Catmull-Rom spline and roughened by a small
smooth wobble. Each toe print is a pad: a superellipse tapered toward its base, tilted by the
toe's angle. The arch type sets the medial border of the midfoot band; a "split" arch has no
midfoot contact (the heel and forefoot print as two pieces, cut by two rounded curves).

The measures follow the description of real captures the renderer was written from: foot length
200-300 mm, forefoot width 35-42 % of length, heel width 55-75 % of the forefoot width, the little
toe's tip 8-20 % of the length behind toe 2's (nearly level on some feet), hallux or toe 2 longest,
hallux valgus, toes merged, touching the ball or 0-15 mm away from it, toes that left no ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ARCH_TYPES = ("flat", "normal", "high", "split")
TOE_LINES = ("even", "hallux_long", "morton", "level")
FOREFOOT_SHAPES = ("narrow", "normal", "wide")


@dataclass(frozen=True)
class ToePad:
    """The print of one toe's distal pad (the part of a toe that touches the paper)."""

    number: int  # 1 = hallux ... 5 = little toe
    base: tuple[float, float]  # centre of the pad's proximal end, mm
    tip: tuple[float, float]  # centre of the pad's distal end, mm
    width: float  # mm
    squareness: float  # superellipse exponent: 2 round, 3+ square-ended
    taper: float  # width lost toward the base, fraction
    ink: float  # 0: the toe left no ink; 1: full ink
    contact: float  # fraction of the pad length (from the tip) that touched the paper

    @property
    def length(self) -> float:
        return float(np.hypot(self.tip[0] - self.base[0], self.tip[1] - self.base[1]))

    def outline(self, n: int = 64, fraction: float = 1.0) -> np.ndarray:
        """Closed outline (n, 2) of the pad, or of its distal `fraction` only."""
        length = self.length * fraction
        half_w = self.width / 2.0
        phi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        c, s = np.cos(phi), np.sin(phi)
        e = 2.0 / self.squareness
        u = half_w * np.sign(c) * np.abs(c) ** e
        v_unit = np.sign(s) * np.abs(s) ** e  # -1 base .. +1 tip
        u = u * (1.0 - self.taper * (1.0 - v_unit) / 2.0)
        v = (v_unit - 1.0) * length / 2.0  # tip at v = 0, base at v = -length
        direction = np.array(self.tip) - np.array(self.base)
        direction /= np.linalg.norm(direction)
        across = np.array([direction[1], -direction[0]])  # +x side of the toe for an upright toe
        pts = np.array(self.tip)[None, :] + v[:, None] * direction[None, :] + u[:, None] * across[None, :]
        return pts


@dataclass(frozen=True)
class SplitCut:
    """Where a high arch left no midfoot contact: the band between two rounded curves is removed.

    Heel piece: y <= heel_end - heel_bow * min(((x - heel_x) / heel_half_width)**2, 2) (a dome over
    the heel). Forefoot piece: y >= fore_start + fore_bow * min(((x - fore_x) / band_half_width)**2, 1)
    (a rounded end of the narrow lateral band; level beyond it, where the arch left no contact).
    """

    heel_end: float
    fore_start: float
    heel_x: float
    fore_x: float
    heel_half_width: float
    band_half_width: float
    heel_bow: float
    fore_bow: float

    def outline(self, n: int = 48) -> np.ndarray:
        """Closed outline of the removed band, wide enough to cross the whole foot."""
        t = np.linspace(-4.0, 4.0, n)
        lower = self.heel_end - self.heel_bow * np.minimum(t**2, 2.0)
        xs_low = self.heel_x + t * self.heel_half_width
        u = np.linspace(-12.0, 12.0, n)
        upper = self.fore_start + self.fore_bow * np.minimum(u**2, 1.0)
        xs_up = self.fore_x + u * self.band_half_width
        return np.concatenate([np.stack([xs_low, lower], 1), np.stack([xs_up[::-1], upper[::-1]], 1)])


@dataclass(frozen=True)
class PressureCentre:
    x: float
    y: float
    sigma: float
    weight: float


@dataclass(frozen=True)
class FootModel:
    length: float
    forefoot_width: float
    heel_width: float
    forefoot_shape: str
    arch: str
    toe_line: str
    hallux_valgus_deg: float
    toe_ball_gap_mm: float  # the foot's typical gap between toe pads and the ball
    sole: np.ndarray  # closed outline (N, 2), mm
    silhouette: np.ndarray  # whole plantar outline (arch filled), mm: glow of bare-sole scans
    split: SplitCut | None
    toes: tuple[ToePad, ...]
    pressure: tuple[PressureCentre, ...]
    arch_zone: tuple[float, float]  # y range where the band prints lighter
    heel_point: tuple[float, float]  # back of the heel (rough, before rendering)
    centre: tuple[float, float]  # middle of the foot, for placing it

    def toe(self, number: int) -> ToePad:
        return self.toes[number - 1]

    def extent(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the sole and all toe pads, mm."""
        pts = np.vstack([self.sole] + [t.outline(24) for t in self.toes])
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def catmull_rom(points: np.ndarray, step_mm: float = 0.6, closed: bool = True, alpha: float = 0.5) -> np.ndarray:
    """Centripetal Catmull-Rom curve through `points`, sampled about every `step_mm`.

    A closed curve returns to the first point; an open one runs from the first to the last point.
    """
    p = np.asarray(points, dtype=float)
    if not closed:
        p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    n = len(p)
    out = []
    for i in range(n) if closed else range(1, n - 2):
        p0, p1, p2, p3 = p[(i - 1) % n], p[i], p[(i + 1) % n], p[(i + 2) % n]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-6) ** alpha
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** alpha
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** alpha
        samples = max(2, int(np.ceil(np.linalg.norm(p2 - p1) / step_mm)))
        t = np.linspace(t1, t2, samples, endpoint=False)[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    if not closed:
        out.append(p[-2][None, :])
    return np.vstack(out)


def wobble(outline: np.ndarray, amplitude_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Move each vertex along the outline's normal by a smooth random amount (a skin edge is not a spline)."""
    d = np.diff(outline, axis=0, append=outline[:1])
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))[:-1]])
    total = arc[-1] + np.hypot(*d[-1])
    offset = np.zeros(len(outline))
    for cycles in (3, 7, 13, 29):
        phase = rng.uniform(0, 2 * np.pi)
        offset += rng.normal(0, 1.0) / np.sqrt(cycles) * np.sin(2 * np.pi * cycles * arc / total + phase)
    offset *= amplitude_mm / max(np.abs(offset).max(), 1e-6)
    tangent = np.roll(outline, -1, axis=0) - np.roll(outline, 1, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], 1)
    return outline + normal * offset[:, None]


def _choice(rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...]) -> str:
    w = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


def _toe_tip_levels(rng: np.random.Generator, length: float) -> tuple[str, np.ndarray]:
    """Distal levels (y, mm) of the five toe tips; the longest toe reaches y = length."""
    toe_line = _choice(rng, TOE_LINES, (0.50, 0.20, 0.15, 0.15))
    if toe_line == "even":
        hallux_minus_second = rng.uniform(-3.0, 4.0)
    elif toe_line == "hallux_long":
        hallux_minus_second = rng.uniform(6.0, 14.0)
    elif toe_line == "morton":
        hallux_minus_second = -rng.uniform(3.0, 10.0)
    else:
        hallux_minus_second = rng.uniform(-2.0, 6.0)
    little_behind = rng.uniform(0.02, 0.07) if toe_line == "level" else rng.uniform(0.08, 0.20)
    little_behind *= length
    third = little_behind * rng.uniform(0.12, 0.32)
    fourth = little_behind * rng.uniform(0.42, 0.68)
    second_level = 0.0
    levels = np.array(
        [second_level + hallux_minus_second, second_level, -third, -fourth, -little_behind], dtype=float
    )
    return toe_line, levels - levels.max() + length


def sample_foot(rng: np.random.Generator, *, arch: str | None = None, length: float | None = None) -> FootModel:
    """One random adult right foot (print view, mm); `arch` and `length` may be imposed."""
    drawn_length = float(rng.triangular(200.0, 255.0, 300.0))
    length = float(np.clip(length, 200.0, 300.0)) if length is not None else drawn_length
    forefoot_shape = _choice(rng, FOREFOOT_SHAPES, (0.25, 0.5, 0.25))
    width_ratio = {"narrow": (0.35, 0.37), "normal": (0.37, 0.40), "wide": (0.40, 0.42)}[forefoot_shape]
    width = length * rng.uniform(*width_ratio)
    heel_width = width * rng.uniform(0.55, 0.75)
    arch = arch or _choice(rng, ARCH_TYPES, (0.2, 0.5, 0.17, 0.13))

    medial_fraction = rng.uniform(0.40, 0.50)
    x_medial, x_lateral = -medial_fraction * width, (1.0 - medial_fraction) * width
    mth1_y = rng.uniform(0.71, 0.77) * length
    mth5_y = rng.uniform(0.58, 0.65) * length

    # Toes: widths across the forefoot, then tip levels from the toe line.
    toe_widths = width * np.array(
        [rng.uniform(0.22, 0.29), rng.uniform(0.14, 0.18), rng.uniform(0.13, 0.17),
         rng.uniform(0.12, 0.16), rng.uniform(0.11, 0.15)]
    )
    spacing = rng.uniform(1.5, 5.0, size=4)
    merged = rng.random(4) < np.array([0.06, 0.14, 0.14, 0.12])
    spacing[merged] = -rng.uniform(0.3, 2.5, size=int(merged.sum()))
    medial_margin = rng.uniform(1.0, 6.0)
    lateral_margin = rng.uniform(0.0, 6.0)
    available = x_lateral - lateral_margin - (x_medial + medial_margin)
    needed = toe_widths.sum() + spacing.sum()
    if needed > available:
        shrink = max(available / needed, 0.8)
        toe_widths, spacing = toe_widths * shrink, spacing * shrink
    base_x = np.empty(5)
    base_x[0] = x_medial + medial_margin + toe_widths[0] / 2
    for k in range(1, 5):
        base_x[k] = base_x[k - 1] + toe_widths[k - 1] / 2 + spacing[k - 1] + toe_widths[k] / 2

    toe_line, tip_levels = _toe_tip_levels(rng, length)
    pad_lengths = length * np.array(
        [rng.uniform(0.10, 0.135), rng.uniform(0.06, 0.085), rng.uniform(0.055, 0.08),
         rng.uniform(0.05, 0.075), rng.uniform(0.045, 0.07)]
    )
    hallux_valgus = float(rng.uniform(8.0, 22.0)) if rng.random() < 0.25 else 0.0
    angles_deg = np.array(
        [hallux_valgus if hallux_valgus else rng.uniform(-4.0, 6.0), rng.uniform(-3.0, 5.0),
         rng.uniform(-2.0, 6.0), rng.uniform(0.0, 8.0), rng.uniform(-12.0, 4.0)]
    )
    angles = np.radians(angles_deg)
    tips_x = base_x + pad_lengths * np.sin(angles)
    base_y = tip_levels - pad_lengths * np.cos(angles)

    # Ball edge behind the toes: a smooth curve fitted to "pad base minus a gap" at each toe.
    typical_gap = float(rng.choice([rng.uniform(-2.0, 3.0), rng.uniform(0.0, 15.0)], p=[0.3, 0.7]))
    wanted_gap = typical_gap + rng.uniform(-3.0, 3.0, size=5)
    wanted_gap[0] = min(wanted_gap[0], rng.uniform(0.0, 8.0))
    wanted_edge = base_y - wanted_gap
    mth_line = np.interp(base_x, [x_medial, x_lateral], [mth1_y, mth5_y])
    floor = mth_line + np.array([0.06, 0.045, 0.045, 0.04, 0.035]) * length
    wanted_edge = np.maximum(wanted_edge, floor)
    coef = np.polyfit(base_x, wanted_edge, 2)
    if coef[0] > 0:  # the ball's distal edge is convex (highest near toes 1-2)
        coef = np.polyfit(base_x, wanted_edge, 1)
        coef = np.concatenate([[0.0], coef])
    ball_edge = np.polyval(coef, base_x)
    ball_edge = np.maximum(ball_edge, floor)
    # A pad whose base now lies far below its tip's room is shortened, keeping the tip.
    overlap = ball_edge - base_y
    too_deep = overlap > 4.0
    if too_deep.any():
        base_y = np.where(too_deep, ball_edge - rng.uniform(0.0, 3.0, size=5), base_y)
        pad_lengths = np.where(too_deep, (tip_levels - base_y) / np.cos(angles), pad_lengths)
        base_x = np.where(too_deep, tips_x - pad_lengths * np.sin(angles), base_x)
        short = pad_lengths < 0.035 * length
        if short.any():  # too little room: the ball edge gives way instead
            pad_lengths = np.where(short, 0.035 * length, pad_lengths)
            base_y = np.where(short, tip_levels - pad_lengths * np.cos(angles), base_y)
            base_x = np.where(short, tips_x - pad_lengths * np.sin(angles), base_x)
            ball_edge = np.where(short, np.minimum(ball_edge, base_y + 2.0), ball_edge)

    # Ink: toes that left none, faint toes, toes that touched only near the tip.
    no_ink_p = np.array([0.01, 0.03, 0.04, 0.05, 0.13])
    ink = np.where(rng.random(5) < 0.2, rng.uniform(0.3, 0.65, size=5), rng.uniform(0.8, 1.0, size=5))
    ink[rng.random(5) < no_ink_p] = 0.0
    contact = np.where(rng.random(5) < 0.3, rng.uniform(0.55, 0.85, size=5), 1.0)
    toes = tuple(
        ToePad(
            number=k + 1,
            base=(float(base_x[k]), float(base_y[k])),
            tip=(float(tips_x[k]), float(tip_levels[k])),
            width=float(toe_widths[k]),
            squareness=float(rng.uniform(2.0, 2.7)),
            taper=float(rng.uniform(0.05, 0.25)),
            ink=float(ink[k]),
            contact=float(contact[k]),
        )
        for k in range(5)
    )

    # Heel under the second toe's tip, give or take.
    heel_x = float(tips_x[1] + rng.uniform(-0.05, 0.05) * width)
    heel_rx = heel_width / 2.0
    # The heel lies within the forefoot's width: the metatarsal heads are the foot's widest part.
    heel_x = float(np.clip(heel_x, x_medial + heel_rx, x_lateral - heel_rx))

    def axis_x(y: np.ndarray | float) -> np.ndarray:
        """x of the foot axis (heel to second toe tip) at level y."""
        return heel_x + (tips_x[1] - heel_x) * np.asarray(y, dtype=float) / tip_levels[1]

    # Midfoot borders stay closer to the axis than the metatarsal heads (points 6 and 7 belong
    # there, LANDMARKS.md), with room for the edge wobble.
    medial_reach = float(axis_x(mth1_y) - x_medial) - rng.uniform(3.0, 6.0)
    lateral_reach = float(x_lateral - axis_x(mth5_y)) - rng.uniform(3.0, 6.0)
    heel_ry = heel_rx * rng.uniform(1.0, 1.25)
    heel_exp = rng.uniform(2.0, 2.8)
    lateral_bulge = rng.uniform(2.0, 6.0) if arch in ("high", "split") else rng.uniform(-1.0, 4.0)

    def lateral_border(y: np.ndarray) -> np.ndarray:
        f = np.clip((y - heel_ry) / (mth5_y - heel_ry), 0.0, 1.0)
        return heel_x + heel_rx + f * (x_lateral - heel_x - heel_rx) + lateral_bulge * np.sin(np.pi * f)

    def straight_medial(y: np.ndarray) -> np.ndarray:
        f = np.clip((y - heel_ry) / (mth1_y - heel_ry), 0.0, 1.0)
        return heel_x - heel_rx + f * (x_medial - heel_x + heel_rx)

    heel_cap = []
    for theta in np.radians(np.arange(200.0, 341.0, 20.0)):
        c, s = np.cos(theta), np.sin(theta)
        e = 2.0 / heel_exp
        heel_cap.append((heel_x + heel_rx * np.sign(c) * abs(c) ** e, heel_ry + heel_ry * np.sign(s) * abs(s) ** e))
    lateral_pts = [(float(min(lateral_border(np.array(y)), axis_x(y) + lateral_reach)), float(y))
                   for y in heel_ry + np.array([0.0, 0.3, 0.6]) * (mth5_y - heel_ry)]
    corner5 = (x_lateral - 0.2 * (x_lateral - base_x[4]), mth5_y + 0.55 * (ball_edge[4] - mth5_y))
    ball_pts = []
    for k in range(4, -1, -1):
        ball_pts.append((float(base_x[k]), float(ball_edge[k])))
        if k > 0:  # shallow notch between two toes
            mid_x = (base_x[k] + base_x[k - 1]) / 2
            ball_pts.append((float(mid_x), float((ball_edge[k] + ball_edge[k - 1]) / 2 - rng.uniform(0.0, 2.0))))
    corner1 = (x_medial + 0.25 * (base_x[0] - x_medial), mth1_y + 0.55 * (ball_edge[0] - mth1_y))

    arch_fs = np.array([0.85, 0.7, 0.55, 0.4, 0.25, 0.12])  # from the ball down to the heel
    arch_ys = heel_ry + arch_fs * (mth1_y - 0.03 * length - heel_ry)
    straight = straight_medial(arch_ys)
    narrowest_f = rng.uniform(0.35, 0.6)
    if arch == "flat":
        medial_xs = straight - rng.uniform(0.0, 6.0) * np.sin(np.pi * arch_fs)
        band = None
    else:
        if arch == "normal":
            band = width * rng.uniform(0.28, 0.48)
        elif arch == "high":
            band = rng.uniform(10.0, 30.0)
        else:
            band = rng.uniform(8.0, 20.0)
        y_n = heel_ry + narrowest_f * (mth1_y - 0.03 * length - heel_ry)
        depth = max(float(lateral_border(np.array(y_n)) - straight_medial(np.array(y_n)) - band), 0.0)
        g = np.where(arch_fs < narrowest_f, 0.5 * arch_fs / narrowest_f,
                     0.5 + 0.5 * (arch_fs - narrowest_f) / (1 - narrowest_f))
        medial_xs = straight + depth * np.sin(np.pi * g) ** 1.3
    medial_xs = np.maximum(medial_xs, axis_x(arch_ys) - medial_reach)
    medial_pts = list(zip(medial_xs.tolist(), arch_ys.tolist()))

    control = (
        [(heel_x - heel_rx, heel_ry)] + heel_cap + lateral_pts + [(x_lateral, mth5_y), corner5]
        + ball_pts + [corner1, (x_medial, mth1_y)] + medial_pts
    )
    control = [(float(x), float(y)) for x, y in control]
    sole = wobble(catmull_rom(np.array(control)), rng.uniform(0.3, 1.0), rng)

    silhouette_control = (
        [(heel_x - heel_rx, heel_ry)] + heel_cap + lateral_pts + [(x_lateral, mth5_y), corner5]
        + [(float(t.tip[0]), float(t.tip[1])) for t in reversed(toes)]
        + [corner1, (x_medial, mth1_y)]
        + list(zip((straight - 2.0 * np.sin(np.pi * arch_fs)).tolist(), arch_ys.tolist()))
    )
    silhouette = catmull_rom(np.array(silhouette_control, dtype=float), step_mm=1.5)

    split = None
    if arch == "split":
        y_n = heel_ry + narrowest_f * (mth1_y - 0.03 * length - heel_ry)
        heel_end = heel_ry * rng.uniform(1.5, 2.0)
        fore_start = max(y_n + rng.uniform(-0.03, 0.05) * length, heel_end + 0.12 * length)
        band_centre = float(lateral_border(np.array(fore_start)) - 0.5 * band)
        split = SplitCut(
            heel_end=float(heel_end), fore_start=float(fore_start), heel_x=float(heel_x), fore_x=band_centre,
            heel_half_width=float(heel_rx), band_half_width=float(band / 2.0),
            heel_bow=float(rng.uniform(0.3, 0.6) * heel_rx), fore_bow=float(rng.uniform(0.3, 0.5) * band),
        )

    pressure = [
        PressureCentre(heel_x, heel_ry * 0.95, heel_rx * rng.uniform(0.5, 0.8), rng.uniform(0.8, 1.0)),
        PressureCentre(x_medial + 0.16 * width, mth1_y - 0.01 * length, 0.16 * width, rng.uniform(0.6, 1.0)),
        PressureCentre(x_medial + 0.45 * width, (mth1_y + mth5_y) / 2 + 0.02 * length, 0.18 * width,
                       rng.uniform(0.6, 1.0)),
        PressureCentre(x_lateral - 0.13 * width, mth5_y, 0.12 * width, rng.uniform(0.3, 0.8)),
    ]
    pressure += [
        PressureCentre((t.tip[0] + t.base[0]) / 2, t.tip[1] - 0.4 * t.length, t.width * 0.4, 0.7) for t in toes
    ]
    all_pts = np.vstack([sole] + [t.outline(16) for t in toes])
    centre = ((all_pts[:, 0].min() + all_pts[:, 0].max()) / 2, (all_pts[:, 1].min() + all_pts[:, 1].max()) / 2)
    return FootModel(
        length=float(length), forefoot_width=float(width), heel_width=float(heel_width),
        forefoot_shape=forefoot_shape, arch=arch, toe_line=toe_line, hallux_valgus_deg=hallux_valgus,
        toe_ball_gap_mm=float(np.mean(base_y - ball_edge)), sole=sole, silhouette=silhouette, split=split,
        toes=toes, pressure=tuple(pressure),
        arch_zone=(float(heel_ry * 1.6), float(mth5_y - 0.02 * length)),
        heel_point=(float(heel_x), 0.0), centre=(float(centre[0]), float(centre[1])),
    )
