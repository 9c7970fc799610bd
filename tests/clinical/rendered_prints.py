"""A print rendered with controlled anatomy, shared by the clinical tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from foot_landmarks.synthetic.anatomy import SOLE_LABELS, foot_shapes, sample_anatomy
from foot_landmarks.synthetic.ground_truth import landmarks_from_render
from foot_landmarks.synthetic.render import InkStyle, Pose, mirror_render, render_print

DPI = 75.0
SHEET_HW = (1000, 600)


def rendered_print(seed: int, band: float | None = None, angle: float = 0.0, left: bool = False):
    """(mask on the sheet, sole-only mask, points (8, 2), anatomy) of one rendered print."""
    anatomy = sample_anatomy(np.random.default_rng(seed))
    if band is not None:
        arch = "flat" if band >= 0.75 else "high" if band <= 0 else "normal"
        anatomy = replace(anatomy, band=band, arch=arch)
    shapes = foot_shapes(anatomy)
    pose = Pose(SHEET_HW[1] / 2, SHEET_HW[0] / 2, angle, DPI, anatomy.length_mm)
    render = render_print(shapes, pose, SHEET_HW, np.random.default_rng(seed + 1), InkStyle())
    points, _ = landmarks_from_render(render)
    if left:
        render = mirror_render(render)
        points[:, 0] = SHEET_HW[1] - 1 - points[:, 0]
    mask = np.zeros(SHEET_HW, bool)
    sole = np.zeros(SHEET_HW, bool)
    win = (slice(render.y0, render.y0 + render.ink.shape[0]), slice(render.x0, render.x0 + render.ink.shape[1]))
    mask[win] = render.ink
    sole[win] = render.ink & np.isin(render.labels, SOLE_LABELS)
    return mask, sole, points, anatomy
