"""What every capture kind shares: the spec of one image, its sample, and feet placed on a canvas.

A foot is always rasterised as a right foot (render.py); a print in left-foot configuration is the
exact mirror of a right "twin" rendered at the mirrored pose. :func:`render_foot` does that for a
foot placed by its *final* pose (where its axis centre lies and how it is turned in the image) and
returns the render in the final configuration with its 8 landmarks read off the final-resolution
mask (ground_truth.py), so each capture kind only decides where feet go and what the image looks
like around them.

"Configuration" is what the image shows: hallux on the left = right-foot configuration. In print
view it is the foot's side; seen from below (a bare-sole scan) it is the mirror of the side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from foot_landmarks.synthetic.anatomy import FootAnatomy, FootShapes, sample_anatomy
from foot_landmarks.synthetic.ground_truth import landmarks_from_render
from foot_landmarks.synthetic.render import (
    InkStyle,
    Pose,
    PrintRender,
    downscale_render,
    mirror_render,
    render_print,
    shapes_bbox_px,
)

LOOKS: tuple[str, ...] = ("bare_sole", "ink_paper", "inkmat_form", "pressure_map")
SHEETS: tuple[str, ...] = ("a4", "crop", "lowres")
VIEWS: tuple[str, ...] = ("print", "below")
PEN_LINES: tuple[str, ...] = ("near", "wrong", "none")

# Every file carries every key (empty where it does not apply), so tables get the same columns.
ATTRIBUTE_KEYS: tuple[str, ...] = (
    "side", "subject", "dpi", "source", "usable", "defect", "arch", "look", "view", "feet", "capture",
    "sheet", "ink", "pen_lines", "page_size_mm", "page_corners", "panel_order", "sensor_mm",
    "artefacts", "session", "foot_length_mm",
)


@dataclass(frozen=True)
class PrintSpec:
    """Everything that decides one image: with the same spec the same bytes come out.

    ``side`` is "left", "right" or "both" (a two-foot image: an ink-mat form or a pressure plate
    export of both feet of one subject). ``sheets``: the sheet mix of ink prints on paper.
    """

    seed: int
    index: int
    subject_index: int
    side: str
    session: int
    broken: bool
    look: str = "ink_paper"
    sheets: tuple[tuple[str, float], ...] = (("a4", 0.4), ("crop", 0.3), ("lowres", 0.3))

    @property
    def subject(self) -> str:
        return f"S{self.subject_index:04d}"

    @property
    def feet(self) -> int:
        return 2 if self.side == "both" else 1

    @property
    def suffix(self) -> str:
        return ".png" if self.look == "pressure_map" else ".jpg"

    @property
    def filename(self) -> str:
        code = {"right": "R", "left": "L", "both": "B"}[self.side]
        return f"{self.subject}_{code}_{self.session}{self.suffix}"


@dataclass
class FootTruth:
    """The landmarks of one foot of an image: `foot` is "" on one-foot images, else left/right."""

    foot: str
    points: np.ndarray
    visible: np.ndarray


@dataclass
class Sample:
    """One image: its file bytes, file attributes and the landmarks of each foot on it.

    ``debug`` is filled only when asked (tests): masks, page-frame points, the colour map's values.
    """

    filename: str
    data: bytes
    attributes: dict[str, str]
    feet: list[FootTruth]
    debug: dict | None = None

    @property
    def points(self) -> np.ndarray:
        return np.concatenate([f.points for f in self.feet])

    @property
    def visible(self) -> np.ndarray:
        return np.concatenate([f.visible for f in self.feet])


def subject_anatomy(spec: PrintSpec) -> FootAnatomy:
    """The subject's foot (both sides are mirror images of it), the same in every image of the subject."""
    return sample_anatomy(np.random.default_rng([spec.seed, 1, spec.subject_index]))


def attributes(spec: PrintSpec, anatomy: FootAnatomy, **values: str) -> dict[str, str]:
    """The file attributes of `spec`'s image: every key of ATTRIBUTE_KEYS, `values` filled in."""
    out = {key: "" for key in ATTRIBUTE_KEYS}
    out.update(
        side="" if spec.side == "both" else spec.side,
        subject=spec.subject,
        source="synthetic",
        usable="false" if spec.broken else "true",
        arch=anatomy.arch,
        look=spec.look,
        view="print",
        feet=str(spec.feet),
        session=str(spec.session),
        foot_length_mm=f"{anatomy.length_mm:.1f}",
    )
    unknown = set(values) - set(ATTRIBUTE_KEYS)
    if unknown:
        raise KeyError(f"unknown file attribute(s) {sorted(unknown)}")
    out.update({k: str(v) for k, v in values.items()})
    return out


def final_bbox(shapes: FootShapes, config: str, angle_deg: float, dpi: float, length_mm: float) -> tuple[float, ...]:
    """(xmin, ymin, xmax, ymax) of the final print with its axis centre at (0, 0), turned by `angle_deg`.

    A left-configuration print is the mirror of a right twin turned by -angle (render.py).
    """
    if config == "right":
        return shapes_bbox_px(shapes, Pose(0.0, 0.0, angle_deg, dpi, length_mm))
    x0, y0, x1, y1 = shapes_bbox_px(shapes, Pose(0.0, 0.0, -angle_deg, dpi, length_mm))
    return (-x1, y0, -x0, y1)


@dataclass
class PlacedFoot:
    """A foot rendered at its final place: render (final configuration) and landmarks (final px)."""

    render: PrintRender  # at render resolution (k x the final one), final configuration
    points: np.ndarray  # (8, 2) in final-resolution pixels
    visible: np.ndarray
    config: str
    k: int


def render_foot(
    shapes: FootShapes,
    pose: Pose,
    config: str,
    sheet_hw: tuple[int, int],
    rng: np.random.Generator,
    style: InkStyle,
    k: int = 1,
) -> PlacedFoot:
    """Render `shapes` whose final print has `pose` (render resolution) in `config` on a canvas of `sheet_hw`.

    The landmarks come from the render box-downscaled k times (the final image's resolution); for
    a left configuration they are the exact mirror of the right twin's (x -> W/k - 1 - x).
    `sheet_hw` must be multiples of k.
    """
    twin = pose if config == "right" else pose.mirrored(sheet_hw[1])
    render = render_print(shapes, twin, sheet_hw, rng, style, align=k)
    points, visible = landmarks_from_render(downscale_render(render, k))
    if config == "left":
        render = mirror_render(render)
        points[:, 0] = sheet_hw[1] // k - 1 - points[:, 0]
    return PlacedFoot(render, points, visible, config, k)


def paste_max(canvas: np.ndarray, window: np.ndarray, x0: int, y0: int) -> None:
    """canvas[y0:, x0:] = max(canvas, window) over the window's extent (clipped to the canvas)."""
    h, w = window.shape
    region = canvas[y0 : y0 + h, x0 : x0 + w]
    np.maximum(region, window[: region.shape[0], : region.shape[1]], out=region)


def sheet_around(
    bbox: tuple[float, ...], margins_mm: tuple[float, float], mm: float, multiple: int, rng: np.random.Generator
) -> tuple[tuple[int, int], tuple[float, float]]:
    """A sheet (h, w), multiples of `multiple`, around `bbox` (pose at 0, 0) with random margins
    (left, top, right, bottom) drawn from `margins_mm`, and the shift that places the bbox on it."""
    bx0, by0, bx1, by1 = bbox
    margins = rng.uniform(*margins_mm, 4) * mm
    w = int(np.ceil((bx1 - bx0 + margins[0] + margins[2]) / multiple)) * multiple
    h = int(np.ceil((by1 - by0 + margins[1] + margins[3]) / multiple)) * multiple
    return (h, w), (margins[0] - bx0, margins[1] - by0)


def push_over_edge(
    bbox: tuple[float, ...], sheet_hw: tuple[int, int], shift: tuple[float, float], rng: np.random.Generator
) -> tuple[float, float]:
    """The `cut_by_page_edge` defect: the shift that pushes `bbox` over one edge of the sheet
    (top, bottom, left, right) by 8-30 % of its extent; the other coordinate keeps `shift`."""
    bx0, by0, bx1, by1 = bbox
    (h, w), (dx, dy) = sheet_hw, shift
    edge = int(rng.choice(4, p=(0.35, 0.35, 0.15, 0.15)))
    if edge == 0:
        dy = -by0 - rng.uniform(0.08, 0.3) * (by1 - by0)
    elif edge == 1:
        dy = h - 1 - by1 + rng.uniform(0.08, 0.3) * (by1 - by0)
    elif edge == 2:
        dx = -bx0 - rng.uniform(0.08, 0.3) * (bx1 - bx0)
    else:
        dx = w - 1 - bx1 + rng.uniform(0.08, 0.3) * (bx1 - bx0)
    return dx, dy


def full_mask(placed: list[PlacedFoot], shape_hw: tuple[int, int], k: int = 1) -> np.ndarray:
    """The contact masks of `placed` feet on one canvas of `shape_hw` (render resolution / k)."""
    mask = np.zeros(shape_hw, bool)
    for foot in placed:
        small = downscale_render(foot.render, k) if k > 1 else foot.render
        h, w = small.ink.shape
        region = mask[small.y0 : small.y0 + h, small.x0 : small.x0 + w]
        region |= small.ink[: region.shape[0], : region.shape[1]]
    return mask
