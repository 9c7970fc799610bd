"""How far the reviewer moved the model's points: per point, then per landmark.

The agreement between the model and the reviewer: for every point that was predicted and is
still there after the review, the distance from the model's point to the reviewer's, in px,
in mm where the scan's dpi is known (px x 25.4 / dpi), and as % of the foot length (point 8 to
the farthest toe tip, LANDMARKS.md, measured on the reviewer's points). Points the reviewer
left in place count with distance 0, so the statistics describe the model, not only the fixes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from foot_landmarks.landmarks import HEEL, LANDMARK_IDS, LANDMARK_NAMES, TOE_IDS, px_to_mm

MOVED_PX = 0.5  # VIA moves a point by whole pixels: anything from half a pixel on was moved
KEY = ["image", "foot", "landmark"]
STATS = ("mean", "median", "max")
UNITS = ("px", "mm", "pct_foot")
SUMMARY_COLUMNS = ["landmark", "name", "points", "moved", "added", "missing"] + [
    f"{stat}_{unit}" for unit in UNITS for stat in STATS
]


def foot_lengths(points: pd.DataFrame) -> pd.Series:
    """Foot length in px per (image, foot): point 8 to the farthest toe tip (1-5) present."""
    lengths = {}
    for key, foot in points.groupby(["image", "foot"], sort=False):
        heel = foot.loc[foot["landmark"] == HEEL, ["x", "y"]].to_numpy(float)
        toes = foot.loc[foot["landmark"].isin(TOE_IDS), ["x", "y"]].to_numpy(float)
        lengths[key] = float(np.linalg.norm(toes - heel[0], axis=1).max()) if len(heel) and len(toes) else np.nan
    index = pd.MultiIndex.from_tuples(list(lengths), names=["image", "foot"]) if lengths else None
    return pd.Series(list(lengths.values()), index=index, dtype=float)


def point_moves(points: pd.DataFrame, predicted: pd.DataFrame, dpi: pd.Series) -> pd.DataFrame:
    """One row per point of either table: ``status`` compared / added (a point without a
    prediction: drawn by the reviewer) / missing (a prediction whose landmark no reviewed point
    carries: renumbered away), the reviewer's ``x``, ``y``, the model's ``x_predicted``,
    ``y_predicted`` and the distance ``moved_px``, ``moved_mm``, ``moved_pct_foot``.
    `dpi`: per image (NaN or missing: no mm)."""
    reviewed = points[KEY + ["x", "y"]].astype({"landmark": int})
    model = predicted[KEY + ["x", "y"]].astype({"landmark": int})
    moves = reviewed.merge(model, on=KEY, how="outer", suffixes=("", "_predicted"), indicator=True)
    moves["status"] = moves.pop("_merge").map({"both": "compared", "left_only": "added", "right_only": "missing"})
    moves["moved_px"] = np.hypot(moves["x"] - moves["x_predicted"], moves["y"] - moves["y_predicted"])
    scan_dpi = moves["image"].map(dpi).astype(float)
    moves["moved_mm"] = px_to_mm(moves["moved_px"], scan_dpi.where(scan_dpi > 0))
    length = foot_lengths(points)
    keys = list(zip(moves["image"], moves["foot"]))
    moves["foot_length_px"] = [length.get(k, np.nan) for k in keys] if len(length) else np.nan
    moves["moved_pct_foot"] = 100.0 * moves["moved_px"] / moves["foot_length_px"]
    return moves.sort_values(KEY).reset_index(drop=True)


def _summary_row(label, name: str, moves: pd.DataFrame) -> dict:
    compared = moves[moves["status"] == "compared"]
    row = {
        "landmark": label,
        "name": name,
        "points": len(compared),
        "moved": int((compared["moved_px"] >= MOVED_PX).sum()),
        "added": int((moves["status"] == "added").sum()),
        "missing": int((moves["status"] == "missing").sum()),
    }
    for unit in UNITS:
        values = compared[f"moved_{unit}"].dropna()
        for stat in STATS:
            row[f"{stat}_{unit}"] = float(getattr(values, stat)()) if len(values) else np.nan
    return row


def summary_by_landmark(moves: pd.DataFrame) -> pd.DataFrame:
    """SUMMARY_COLUMNS, one row per landmark 1-8 and one for all points ("all")."""
    rows = [_summary_row(k, LANDMARK_NAMES[k], moves[moves["landmark"] == k]) for k in LANDMARK_IDS]
    rows.append(_summary_row("all", "all points", moves))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a text table (distances with 2 decimals, '-' where unknown)."""
    header = ["landmark", "points", "moved", "added", "missing"] + [
        f"{stat} {unit.replace('pct_foot', '%foot')}" for unit in UNITS for stat in STATS
    ]
    lines = []
    for _, row in summary.iterrows():
        cells = [str(row["landmark"]), *(str(int(row[c])) for c in ("points", "moved", "added", "missing"))]
        cells += ["-" if pd.isna(row[f"{s}_{u}"]) else f"{row[f'{s}_{u}']:.2f}" for u in UNITS for s in STATS]
        lines.append(cells)
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    text = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    text += ["  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(text)
