"""A contact sheet: a grid of scans with their 8 landmarks drawn as numbered coloured dots.

Used to eyeball a data set (synthetic or annotated real scans): each tile shows one image (in
colour if it is) with its look, side, view, arch, sheet and dpi in the title; a hollow marker is a
point with ``visible: 0``; on two-foot images each number carries its foot (``L``/``R``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from foot_landmarks.io.via import read_via
from foot_landmarks.landmarks import LANDMARK_IDS

ANNOTATION_FILES = ("via_annotations.csv", "via_project.json")
LANDMARK_COLOURS = ("#e6194b", "#f58231", "#ffe119", "#3cb44b", "#42d4f4", "#4363d8", "#911eb4", "#f032e6")
TILE_PX = 900  # longest side of an image as loaded for a tile


def find_annotations(data_dir: str | Path) -> Path:
    data_dir = Path(data_dir)
    for name in ANNOTATION_FILES:
        if (data_dir / name).is_file():
            return data_dir / name
    raise FileNotFoundError(f"{data_dir} has no {' or '.join(ANNOTATION_FILES)}")


def pick_images(images: pd.DataFrame, count: int, seed: int = 0) -> list[str]:
    """Up to `count` file names that mix looks, sheets, sides, arches and artefacts (broken ones too).

    Every look (capture kind) gets a turn before any look repeats; within a look the images
    rotate over side, sheet, arch and usability.
    """
    if images.empty:
        return []
    attrs = images["attributes"].apply(lambda a: a if isinstance(a, dict) else {})
    key = (
        images["side"].astype(str)
        + "|" + attrs.apply(lambda a: a.get("sheet", ""))
        + "|" + attrs.apply(lambda a: a.get("capture", ""))
        + "|" + attrs.apply(lambda a: a.get("arch", ""))
        + "|" + images["usable"].astype(str)
    )
    look = attrs.apply(lambda a: a.get("look", ""))
    order = images.assign(_key=key, _look=look).sample(frac=1.0, random_state=seed)
    # Round-robin over the groups so every kind of print shows up before any repeats.
    per_look = []
    for _, of_look in order.groupby("_look", sort=True):
        groups = [list(g["image"]) for _, g in of_look.groupby("_key", sort=True)]
        rotation = []
        while any(groups):
            for g in groups:
                if g:
                    rotation.append(g.pop(0))
        per_look.append(rotation)
    picked: list[str] = []
    while len(picked) < count and any(per_look):
        for rotation in per_look:
            if rotation and len(picked) < count:
                picked.append(rotation.pop(0))
    return picked


def _title(row: pd.Series) -> str:
    a = row["attributes"] if isinstance(row["attributes"], dict) else {}
    dpi = f"{row['dpi']:g} dpi" if pd.notna(row["dpi"]) else "no dpi"
    side = str(row["side"] or ("both feet" if a.get("feet") == "2" else "?"))
    view = "from below" if a.get("view") == "below" else ""
    pen = f"pen {a['pen_lines']}" if a.get("pen_lines") else ""
    first = [a.get("look", ""), a.get("capture", ""), side, view]
    second = [a.get("arch", ""), a.get("sheet", ""), a.get("ink", ""), pen, dpi]
    if not row["usable"]:
        second.append(f"BROKEN: {a.get('defect', '')}")
    return f"{row['image']}\n" + " | ".join(p for p in first if p) + "\n" + " | ".join(p for p in second if p)


def draw_contact_sheet(
    data_dir: str | Path, out: str | Path, count: int = 12, columns: int = 4, seed: int = 0
) -> Path:
    """Draw `count` scans of the data set in `data_dir` with their landmarks into PNG `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data_dir = Path(data_dir)
    via = read_via(find_annotations(data_dir))
    names = pick_images(via.images, count, seed)
    if not names:
        raise ValueError(f"no annotated images in {data_dir}")
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 5.6 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        row = via.images.set_index("image").loc[name]
        row = pd.concat([pd.Series({"image": name}), row])
        with Image.open(data_dir / "images" / name) as im:
            scale = min(1.0, TILE_PX / max(im.size))
            size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            colour_image = im.mode not in ("L", "1", "I", "I;16", "F")
            shown = im.convert("RGB" if colour_image else "L").resize(size, Image.BILINEAR)
        if colour_image:
            ax.imshow(np.asarray(shown))
        else:
            ax.imshow(np.asarray(shown), cmap="gray", vmin=0, vmax=255)
        pts = via.points[via.points["image"] == name]
        for _, p in pts.iterrows():
            colour = LANDMARK_COLOURS[LANDMARK_IDS.index(int(p["landmark"]))]
            # Pixel centres scale as x' = (x + 0.5) * s - 0.5 (CONTRACTS.md).
            x, y = (p["x"] + 0.5) * scale - 0.5, (p["y"] + 0.5) * scale - 0.5
            hollow = int(p["visible"]) == 0
            ax.plot(x, y, "o", ms=6, mfc="none" if hollow else colour, mec="white" if not hollow else colour, mew=1.0)
            foot = str(p.get("foot", "") or "")
            label = f"{int(p['landmark'])}{foot[:1].upper()}"
            ax.annotate(label, (x, y), xytext=(4, -4), textcoords="offset points",
                        color=colour, fontsize=7, fontweight="bold")
        ax.set_title(_title(row), fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
