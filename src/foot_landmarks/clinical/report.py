"""One A4 portrait page per scan: scan with landmarks and insole outline, measurements and
indices with their bands, confidence flags, side and scale.

A matplotlib figure (Agg backend, no display needed); the catalog's MatplotlibDatasets save it
as PNG and PDF and close it.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # noqa: E402  (before pyplot)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from foot_landmarks import geometry as geo  # noqa: E402
from foot_landmarks.io.datasets import ScanImage, reduction_for  # noqa: E402
from foot_landmarks.landmarks import LANDMARK_NAMES  # noqa: E402

A4_INCHES = (8.27, 11.69)
REPORT_DPI = 150  # the figure's, so of the PNG
IMAGE_LONG_SIDE = 1200  # the scan is shown reduced to about this many px


def _fmt(value, unit: str = "", digits: int = 1) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{round(value, digits) + 0.0:.{digits}f}{(' ' + unit) if unit else ''}"


def _measure_rows(m: dict) -> list[list[str]]:
    def band(key: str) -> str:
        return str(m.get(key, ""))

    return [
        ["Foot length (heel 8 to farthest toe)", _fmt(m.get("foot_length_mm"), "mm")],
        ["Forefoot width (6-7)", _fmt(m.get("forefoot_width_mm"), "mm")],
        ["Heel width (at 1/6 length)", _fmt(m.get("heel_width_mm"), "mm")],
        ["Foot axis angle (8->2 to vertical)", _fmt(m.get("axis_angle_deg"), "deg")],
        ["Arch index (Cavanagh & Rodgers)", f"{_fmt(m.get('arch_index'), digits=3)}  {band('arch_index_band')}"],
        ["Chippaux-Smirak index", f"{_fmt(m.get('chippaux_smirak_pct'), '%')}  {band('chippaux_smirak_band')}"],
        ["Staheli index", f"{_fmt(m.get('staheli_index'), digits=2)}  {band('staheli_band')}"],
    ]


def _toe_rows(m: dict) -> list[list[str]]:
    return [
        [str(k), _fmt(m.get(f"toe{k}_along_mm"), "mm"), _fmt(m.get(f"toe{k}_across_mm"), "mm")] for k in range(1, 6)
    ]


def _table(ax, rows, col_labels, col_widths, font=8.5):
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=col_labels, colWidths=col_widths, loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    table.scale(1.0, 1.35)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("0.75")
        if r == 0:
            cell.set_facecolor("0.9")
            cell.set_text_props(weight="bold")
    return table


def report_figure(
    scan_path: str | Path,
    landmarks_df: pd.DataFrame,
    measurements: dict,
    outline_px: np.ndarray | None,
) -> Figure:
    """The report page of one scan (open: whoever saves it closes it).

    `landmarks_df`: the 8 rows of ScanPredictor.predict_scan (x_px, y_px in original px,
    confidence, low_confidence, side, side_source, dpi, scale_source); `outline_px`: (N, 2) insole
    outline in original px (or None); `measurements`: the dict of :func:`clinical_outputs`.
    """
    df = landmarks_df.sort_values("landmark")
    first = df.iloc[0]
    scan = ScanImage(str(scan_path))
    w, h = scan.size()
    gray, to_work = scan.read(reduction_for(max(w, h), IMAGE_LONG_SIDE))
    points = geo.apply_to_points(to_work, df[["x_px", "y_px"]].to_numpy(float))
    outline = geo.apply_to_points(to_work, np.asarray(outline_px, float)) if outline_px is not None else None

    fig = plt.figure(figsize=A4_INCHES, dpi=REPORT_DPI)
    name = Path(str(scan_path)).name
    fig.text(0.05, 0.965, f"Foot print report: {name}", fontsize=14, weight="bold", va="top")
    side = str(first.get("side", ""))
    dpi = first.get("dpi", math.nan)
    fig.text(
        0.05, 0.937,
        f"side: {side} ({first.get('side_source', '')})    scale: {_fmt(float(dpi), 'dpi', 0)} "
        f"({first.get('scale_source', '')})    scan: {w} x {h} px",
        fontsize=9, va="top", color="0.25",
    )

    # --- the scan, cropped around the print/outline
    ax = fig.add_axes([0.04, 0.30, 0.46, 0.585])
    ax.imshow(gray, cmap="gray", vmin=0, vmax=255, interpolation="antialiased")
    box_pts = np.vstack([points] + ([outline] if outline is not None else []))
    box_pts = box_pts[np.all(np.isfinite(box_pts), axis=1)]
    x0, y0 = box_pts.min(axis=0)
    x1, y1 = box_pts.max(axis=0)
    pad = 0.06 * max(x1 - x0, y1 - y0)
    # keep the page's aspect of the axes box so the crop fills it
    ax_w, ax_h = 0.46 * A4_INCHES[0], 0.585 * A4_INCHES[1]
    cx, cy, half_w, half_h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 + pad, (y1 - y0) / 2 + pad
    if half_w / half_h < ax_w / ax_h:
        half_w = half_h * ax_w / ax_h
    else:
        half_h = half_w * ax_h / ax_w
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy + half_h, cy - half_h)
    ax.set_xticks([])
    ax.set_yticks([])
    if outline is not None:
        closed = np.vstack([outline, outline[:1]])
        ax.plot(closed[:, 0], closed[:, 1], "-", color="tab:blue", lw=1.4, label="insole outline")
    ax.plot(points[[7, 1], 0], points[[7, 1], 1], "--", color="tab:green", lw=1.0, label="foot axis 8-2")
    low = df["low_confidence"].to_numpy(bool) if "low_confidence" in df else np.zeros(len(df), bool)
    ax.scatter(points[~low, 0], points[~low, 1], s=22, c="crimson", zorder=3, label="landmark")
    if low.any():
        ax.scatter(points[low, 0], points[low, 1], s=40, facecolors="none", edgecolors="darkorange",
                   linewidths=1.5, zorder=3, label="low confidence")
    for k, (x, y) in zip(df["landmark"], points):
        ax.annotate(str(k), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8, color="navy", weight="bold")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.85)
    ax.set_title("scan (reduced), print view", fontsize=9)

    # --- measurements, toes, landmarks
    ax_m = fig.add_axes([0.53, 0.63, 0.45, 0.25])
    ax_m.set_title("Measurements", fontsize=10, loc="left", weight="bold")
    _table(ax_m, _measure_rows(measurements), ["measure", "value"], [0.64, 0.36], font=8)
    ax_t = fig.add_axes([0.53, 0.49, 0.45, 0.13])
    ax_t.set_title("Toe tips (along axis from 8; across: + lateral)", fontsize=9, loc="left", weight="bold")
    _table(ax_t, _toe_rows(measurements), ["toe", "along axis", "across axis"], [0.2, 0.4, 0.4], font=8)

    ax_l = fig.add_axes([0.05, 0.06, 0.9, 0.20])
    ax_l.set_title("Landmarks (original scan px / mm) and confidence", fontsize=10, loc="left", weight="bold")
    rows = []
    for row in df.itertuples():
        conf = getattr(row, "confidence", math.nan)
        rows.append([
            str(row.landmark), LANDMARK_NAMES.get(int(row.landmark), ""), f"{row.x_px:.1f}, {row.y_px:.1f}",
            f"{_fmt(getattr(row, 'x_mm', math.nan))}, {_fmt(getattr(row, 'y_mm', math.nan))}",
            _fmt(float(conf), digits=2), "LOW" if getattr(row, "low_confidence", False) else "",
        ])
    table = _table(ax_l, rows, ["#", "name", "x, y (px)", "x, y (mm)", "confidence", "flag"],
                   [0.05, 0.3, 0.2, 0.2, 0.12, 0.08], font=8)
    for i, row in enumerate(rows, start=1):
        if row[-1]:
            for j in range(6):
                table[i, j].set_facecolor("#ffe0b0")

    flagged = [f"{r[0]} ({r[1]})" for r in rows if r[-1]]
    notes = [
        "Low-confidence landmarks: " + (", ".join(flagged) if flagged else "none"),
        "Indices from the print with toes excluded; bands: arch index Cavanagh & Rodgers 1987, "
        "Chippaux-Smirak Forriol & Pascual 1990, Staheli 1987.",
        "This page is not to scale; the 1:1 insole outline is in the SVG / DXF files (mm).",
    ]
    ax_n = fig.add_axes([0.53, 0.30, 0.45, 0.13])
    ax_n.axis("off")
    ax_n.set_title("Flags", fontsize=10, loc="left", weight="bold")
    colour = "darkorange" if flagged else "0.2"
    ax_n.text(0.0, 0.95, notes[0], fontsize=8.5, va="top", wrap=True, color=colour, weight="bold" if flagged else None)
    ax_n.text(0.0, 0.62, "\n".join(_wrap(n, 62) for n in notes[1:]), fontsize=7.5, va="top", color="0.3")
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
