"""Random foot anatomy and the contact shapes it leaves on paper, in millimetres.

Foot frame (right-foot print view, the only one this module knows): ``x`` points lateral (toward
the little toe, to the right on the page), ``y`` points distal (toward the toes, up the page); the
heel's back edge is at ``y = 0`` and the centre of the second toe's print is at ``x = 0``, so the
``y`` axis is the study's foot axis (heel to second toe). A left foot is rendered as the exact
mirror of this frame, later, in render.py.

Every contact part is a closed shape with an approximate signed distance in mm (positive inside),
so edge noise and pressure fall-off can be written in physical units.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

ARCH_TYPES: tuple[str, ...] = ("flat", "normal", "high")
TOE_CONTACTS: tuple[str, ...] = ("full", "partial", "none")

# Part labels of the render's label map: toes keep their landmark number; the sole parts follow.
BALL, MIDFOOT, HEEL_PAD = 6, 7, 8
SOLE_LABELS: tuple[int, ...] = (BALL, MIDFOOT, HEEL_PAD)


@dataclass(frozen=True)
class Ellipse:
    """A rotated superellipse: centre (cx, cy) mm, semi-axes (a across, b along), angle rad, power."""

    cx: float
    cy: float
    a: float
    b: float
    angle: float = 0.0
    power: float = 2.0

    def signed_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Approximate signed distance in mm (exact at the centre line, good near the edge)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        dx, dy = x - self.cx, y - self.cy
        u = (dx * c + dy * s) / self.a
        v = (-dx * s + dy * c) / self.b
        r = (np.abs(u) ** self.power + np.abs(v) ** self.power) ** (1.0 / self.power)
        return (1.0 - r) * min(self.a, self.b)

    def corners(self) -> np.ndarray:
        """(4, 2) corners of the rotated a x b rectangle that contains the shape (power >= 2)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        u = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * (self.a, self.b)
        return np.column_stack([self.cx + u[:, 0] * c - u[:, 1] * s, self.cy + u[:, 0] * s + u[:, 1] * c])


@dataclass(frozen=True)
class MidfootBand:
    """The lateral contact band between heel and ball; `band` = narrowest width / full width.

    ``band`` 1 is a flat foot (straight medial edge), about 0.3-0.6 a normal arch, <= 0 a high arch
    whose band vanishes in the middle (heel and forefoot prints disconnected).
    """

    y0: float
    y1: float
    lat0: float
    lat1: float
    med0: float
    med1: float
    band: float
    lateral_curve: float = 0.02  # how far the lateral border bows in, a share of the forefoot width

    def edges(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.clip((y - self.y0) / (self.y1 - self.y0), 0.0, 1.0)
        s = t * t * (3.0 - 2.0 * t)  # smoothstep: the band meets heel and ball tangentially
        # A concave lateral border (slightly on most feet, strongly on a high arch's narrow band):
        # the 5th metatarsal head stays the lateral extreme.
        lateral = self.lat0 + (self.lat1 - self.lat0) * s - self.lateral_curve * (self.lat1 - self.med1) * np.sin(np.pi * t)
        medial_full = self.med0 + (self.med1 - self.med0) * s
        bump = np.sin(np.pi * t)
        bump = bump * (1.25 - 0.25 * bump)  # flatter top than a plain sine: a longer narrow arch
        keep = np.clip(1.0 - (1.0 - self.band) * bump, 0.0, 1.0)
        medial = lateral - (lateral - medial_full) * keep
        return t, medial, lateral

    def signed_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        _, medial, lateral = self.edges(y)
        inside_x = np.minimum(x - medial, lateral - x)
        inside_y = np.minimum(y - self.y0, self.y1 - y)
        # A band thinner than 2 mm fades out instead of leaving a hairline of edge noise.
        return np.minimum(inside_x, inside_y) - np.clip(2.0 - (lateral - medial), 0.0, 2.0)

    def corners(self) -> np.ndarray:
        xs = (self.lat0, self.lat1, self.med0, self.med1)
        pad = 0.05 * (max(xs) - min(xs))
        x0, x1 = min(xs) - pad, max(xs) + pad
        return np.array([[x0, self.y0], [x1, self.y0], [x1, self.y1], [x0, self.y1]])


@dataclass(frozen=True)
class FootAnatomy:
    """One subject's foot: size, shape and how each toe usually touches the paper."""

    length_mm: float
    width_ratio: float
    heel_ratio: float
    heel_length: float
    arch: str
    band: float
    ball_y: float
    ball_height: float
    ball_tilt_deg: float
    toe_widths: tuple[float, ...]
    toe_lengths: tuple[float, ...]
    toe2_offset: float
    toe_steps: tuple[float, ...]
    toe_gaps: tuple[float, ...]
    toe_splay_deg: tuple[float, ...]
    hallux_power: float
    toe_contact: tuple[str, ...]
    ridge_period_mm: float
    child: bool = False
    lateral_curve: float = 0.02
    merged_toes: tuple[int, ...] = ()  # lesser toes whose prints join the next toe's (k with k + 1)


@dataclass(frozen=True)
class FootShapes:
    """The contact parts of one print in the foot frame, keyed by part label (1-5 toes, 6-8 sole)."""

    parts: dict[int, Ellipse | MidfootBand]
    toe_outlines: dict[int, Ellipse]
    toe_contact: tuple[str, ...]
    length_mm: float
    width_mm: float
    pressure_centres: tuple[tuple[float, float, float, float], ...] = field(default=())

    def corners(self) -> np.ndarray:
        """(N, 2) foot-frame points whose bounding box contains every part and toe outline."""
        shapes = [*self.parts.values(), *self.toe_outlines.values()]
        return np.concatenate([shape.corners() for shape in shapes])


def sample_anatomy(rng: np.random.Generator) -> FootAnatomy:
    """A random adult (80 %) or child foot, 180-310 mm, with a flat, normal or high arch.

    Beyond the usual foot, the shapes a network must not mistake (issue 19): high arches whose
    lateral band is narrow and bowed (or absent: heel and forefoot apart), narrow and wide
    forefeet, a flat toe line or a second toe longer than the hallux, hallux valgus (the big toe
    turned toward the others), missing and merged lesser toes.
    """
    child = rng.random() < 0.2
    length = rng.uniform(180.0, 232.0) if child else float(np.clip(rng.normal(258.0, 17.0), 215.0, 310.0))
    arch = str(rng.choice(ARCH_TYPES, p=(0.2, 0.55, 0.25)))
    narrow_band = arch == "high" and rng.random() < 0.5
    band = {
        "flat": rng.uniform(0.8, 1.0),
        "normal": rng.uniform(0.22, 0.6),
        "high": rng.uniform(0.04, 0.16) if narrow_band else rng.uniform(-0.7, -0.15),
    }[arch]
    contact = ["full"] * 5
    for k, (p_none, p_partial) in enumerate(((0.01, 0.06), (0.03, 0.12), (0.04, 0.14), (0.06, 0.16), (0.12, 0.2))):
        draw = rng.random()
        contact[k] = "none" if draw < p_none else "partial" if draw < p_none + p_partial else "full"
    # toe tips 2->3, 3->4, 4->5: on real prints the little toe's tip is 0.10-0.20 of the foot's
    # length behind the second toe's (predicted points on the six real samples), a slanted toe
    # line; these steps give 0.08-0.15 (5th-95th percentile); one foot in six has a flatter line
    flat_line = 0.45 if rng.random() < 0.17 else 1.0
    toe_steps = tuple(float(rng.uniform(lo, hi) * flat_line) for lo, hi in ((0.012, 0.045), (0.018, 0.055), (0.025, 0.08)))
    # the second toe longer than the hallux (Morton's toe) on one foot in seven
    toe2_offset = float(rng.uniform(0.01, 0.03) if rng.random() < 0.14 else rng.uniform(-0.03, 0.012))
    hallux_splay = float(rng.uniform(10, 22) if rng.random() < 0.12 else rng.uniform(-8, 4))  # > 10: hallux valgus
    merged = tuple(int(k) for k in (2, 3, 4) if rng.random() < 0.05)
    return FootAnatomy(
        length_mm=float(length),
        width_ratio=float(np.clip(rng.normal(0.40 if child else 0.385, 0.024), 0.32, 0.47)),
        heel_ratio=float(rng.uniform(0.55, 0.72)),
        heel_length=float(rng.uniform(0.29, 0.34)),
        arch=arch,
        band=float(band),
        ball_y=float(rng.uniform(0.66, 0.70)),
        ball_height=float(rng.uniform(0.085, 0.115)),
        ball_tilt_deg=float(rng.uniform(8.0, 22.0)),
        toe_widths=(float(rng.uniform(0.25, 0.29)), *map(float, rng.uniform(0.125, 0.15, 4) * (1.0, 0.97, 0.93, 0.88))),
        toe_lengths=(
            float(rng.uniform(0.105, 0.125)),
            # lesser toe prints run from round pads to whole toes 1.7 x as long as wide
            *map(float, rng.uniform(0.06, 0.09, 4) * (1.0, 0.95, 0.9, 0.85)),
        ),
        toe2_offset=toe2_offset,
        toe_steps=toe_steps,
        toe_gaps=tuple(float(v) for v in rng.uniform(0.008, 0.025, 5)),
        toe_splay_deg=(hallux_splay, *map(float, np.sort(rng.uniform(-2, 16, 4)))),
        hallux_power=float(rng.uniform(2.0, 2.4)),
        toe_contact=tuple(contact),
        ridge_period_mm=float(rng.uniform(0.42, 0.55)),
        child=child,
        lateral_curve=float(rng.uniform(0.05, 0.12) if narrow_band else 0.02),
        merged_toes=merged,
    )


def session_variant(anatomy: FootAnatomy, rng: np.random.Generator) -> FootAnatomy:
    """The same foot on another day: slightly different load on the arch and on the lesser toes."""
    contact = list(anatomy.toe_contact)
    for k in range(1, 5):  # the hallux almost always touches; small toes come and go
        if rng.random() < 0.15:
            contact[k] = str(rng.choice(TOE_CONTACTS, p=(0.6, 0.3, 0.1)))
    limits = {"flat": (0.75, 1.0), "normal": (0.15, 0.65), "high": (0.03, 0.18) if anatomy.band > 0 else (-0.8, -0.1)}[
        anatomy.arch
    ]
    return replace(
        anatomy,
        band=float(np.clip(anatomy.band + rng.normal(0.0, 0.04), *limits)),
        toe_contact=tuple(contact),
    )


def _ball_top(ball: Ellipse, x: float) -> float:
    """Highest y of the ball shape at abscissa x (numerically; the ball is convex)."""
    ys = np.linspace(ball.cy - 2 * ball.b, ball.cy + 2 * ball.b, 801)
    inside = ys[ball.signed_distance(np.full_like(ys, x), ys) > 0]
    return float(inside.max()) if inside.size else ball.cy


def foot_shapes(anatomy: FootAnatomy) -> FootShapes:
    """Contact shapes of `anatomy` in mm: heel, midfoot band, ball, five toe pads (and toe outlines)."""
    width = anatomy.width_ratio  # everything is built for a unit-length foot, scaled at the end
    heel_w = anatomy.heel_ratio * width
    heel_h = anatomy.heel_length / 2
    heel = Ellipse(0.0, heel_h, heel_w / 2, heel_h, 0.0, 2.1)
    tilt = -np.deg2rad(anatomy.ball_tilt_deg)  # medial (x < 0) side of the ball sits more distally
    ball = Ellipse(0.0, anatomy.ball_y, width / 2, anatomy.ball_height, float(tilt), 2.3)

    # Toes from medial to lateral across the ball, each pad separated from the ball by a gap.
    x_left = -width / 2 + 0.025 * width
    centres_x, x = [], x_left
    for k, w in enumerate(anatomy.toe_widths):
        centres_x.append(x + w * width / 2)
        # a toe merged with the next one (k + 1 in merged_toes): their prints overlap, no gap
        x += w * width + (-0.15 * w * width if k + 1 in anatomy.merged_toes else 0.022 * width)
    lengths = np.array(anatomy.toe_lengths)
    # the ball's highest point under each toe's width: the tilted ball rises medially, under the toe
    tops = np.array(
        [max(_ball_top(ball, cx + f * w * width / 2) for f in (-1, -0.5, 0, 0.5, 1)) for cx, w in zip(centres_x, anatomy.toe_widths)]
    )
    hallux_tip = tops[0] + anatomy.toe_gaps[0] + lengths[0]
    tips = [hallux_tip, hallux_tip + anatomy.toe2_offset]
    for step in anatomy.toe_steps + (anatomy.toe_steps[-1] + 0.01,):
        tips.append(tips[-1] - step)
    tips = np.array(tips[:5])
    # a pad clear of the ball by its gap, unless that leaves it under 70 % of its length: a lateral
    # toe far down the toe line then overlaps the ball's edge (its print joins the sole's)
    bottoms = np.maximum(tips - lengths, np.minimum(tops + np.array(anatomy.toe_gaps), tips - 0.7 * lengths))
    toes = {}
    for k in range(5):
        power = anatomy.hallux_power if k == 0 else 2.25
        toes[k + 1] = Ellipse(
            centres_x[k],
            bottoms[k] + lengths[k] / 2,
            anatomy.toe_widths[k] * width / 2,
            lengths[k] / 2,
            float(-np.deg2rad(anatomy.toe_splay_deg[k])),
            power,
        )

    # Shift x so the second toe's centre is on the axis, then scale so heel-to-farthest-tip = length.
    shift = -toes[2].cx
    toes = {k: replace(t, cx=t.cx + shift) for k, t in toes.items()}
    ball = replace(ball, cx=ball.cx + shift)
    heel = replace(heel, cx=heel.cx + 0.2 * shift)
    far_tip = max(t.cy + t.b for t in toes.values())
    scale = anatomy.length_mm / far_tip
    heel, ball = _scaled(heel, scale), _scaled(ball, scale)
    toes = {k: _scaled(t, scale) for k, t in toes.items()}

    c, s = np.cos(ball.angle), np.sin(ball.angle)
    band = MidfootBand(
        y0=heel.cy,
        y1=ball.cy,
        lat0=heel.cx + heel.a,
        lat1=ball.cx + ball.a * c * 0.98,
        med0=heel.cx - heel.a,
        med1=ball.cx - ball.a * c * 0.98,
        band=anatomy.band,
        lateral_curve=anatomy.lateral_curve,
    )
    parts: dict[int, Ellipse | MidfootBand] = {HEEL_PAD: heel, BALL: ball}
    if anatomy.band > 0:  # a high arch leaves no midfoot band: heel and forefoot prints are apart
        parts[MIDFOOT] = band
    for k, toe in toes.items():
        contact = anatomy.toe_contact[k - 1]
        if contact == "partial":  # only the pad's middle touches: a smaller, fainter print
            parts[k] = replace(toe, a=toe.a * 0.62, b=toe.b * 0.58, cy=toe.cy - 0.08 * toe.b)
        elif contact == "full":
            parts[k] = toe
    mm = anatomy.length_mm
    pressure = (
        (heel.cx, heel.cy * 0.9, heel.a * 0.75, 0.55),  # heel strike
        (ball.cx - 0.28 * ball.a * c, ball.cy - 0.28 * ball.a * s + 0.01 * mm, 0.13 * mm * width, 0.45),  # 1st met head
        (ball.cx - 0.02 * ball.a, ball.cy + 0.005 * mm, 0.16 * mm * width, 0.4),  # 2nd-3rd met heads
        (ball.cx + 0.6 * ball.a * c, ball.cy + 0.6 * ball.a * s, 0.11 * mm * width, 0.3),  # 5th met head
        (toes[1].cx, toes[1].cy, toes[1].a, 0.35),  # hallux
    )
    return FootShapes(
        parts=parts,
        toe_outlines=toes,
        toe_contact=anatomy.toe_contact,
        length_mm=mm,
        width_mm=width * scale,
        pressure_centres=pressure,
    )


def _scaled(shape: Ellipse, k: float) -> Ellipse:
    return replace(shape, cx=shape.cx * k, cy=shape.cy * k, a=shape.a * k, b=shape.b * k)
