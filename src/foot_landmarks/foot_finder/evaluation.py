"""How well a finder finds feet: found share, axis angle error and configuration accuracy on pages
with known points, each page turned by a random angle first (the finder must not care)."""

from __future__ import annotations

import numpy as np

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder.model import FootFinder
from foot_landmarks.foot_finder.page_input import border_median
from foot_landmarks.foot_finder.targets import axis_points


def true_configuration(points: np.ndarray) -> str:
    """The configuration of annotated points: "right" when the hallux (1) lies left of the axis
    heel -> toes seen toes up (LANDMARKS.md's print view of a right foot)."""
    heel, toes = axis_points(points)
    axis = toes - heel
    left = np.array([axis[1], -axis[0]])
    return "right" if (points[0] - 0.5 * (heel + toes)) @ left > 0 else "left"


def _angle_between(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))))


def finder_scores(finder: FootFinder, canvases: np.ndarray, points: np.ndarray, seed: int = 0) -> dict[str, float]:
    """found share, median / 95th percentile axis error (deg), configuration accuracy, extra
    feet per page, over `canvases` (N, C, C) with `points` (N, F, 8, 2; NaN for absent feet)."""
    rng = np.random.default_rng(seed)
    found, axis_errors, correct_side, extra = [], [], [], []
    for canvas, feet in zip(canvases, points):
        feet = [f for f in feet if np.all(np.isfinite(f))]
        size = canvas.shape[0]
        turn = geo.rotation(rng.choice([0, 90, 180, 270]) + rng.uniform(-20, 20), ((size - 1) / 2, (size - 1) / 2))
        page, _ = geo.warp_with_matrix(canvas, turn, canvas.shape, fill=border_median(canvas))
        feet = [geo.apply_to_points(turn, f) for f in feet]
        answers = finder.find(page)
        extra.append(max(0, len(answers) - len(feet)))
        for truth in feet:
            heel, toes = axis_points(truth)
            centre = truth.mean(axis=0)
            near = [a for a in answers if np.linalg.norm(0.5 * (a.heel + a.toes) - centre) < 0.25 * np.linalg.norm(toes - heel) * 1.6]
            found.append(bool(near))
            if near:
                best = min(near, key=lambda a: np.linalg.norm(0.5 * (a.heel + a.toes) - centre))
                axis_errors.append(_angle_between(best.toes - best.heel, toes - heel))
                correct_side.append(best.configuration == true_configuration(truth))
    errors = np.asarray(axis_errors) if axis_errors else np.array([np.nan])
    return {
        "found_share": float(np.mean(found)) if found else float("nan"),
        "axis_error_median_deg": float(np.nanmedian(errors)),
        "axis_error_p95_deg": float(np.nanpercentile(errors, 95)),
        "configuration_accuracy": float(np.mean(correct_side)) if correct_side else float("nan"),
        "extra_feet_per_page": float(np.mean(extra)) if extra else float("nan"),
        "feet": float(len(found)),
    }
