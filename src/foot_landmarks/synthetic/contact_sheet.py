"""A contact sheet: a grid of scans with their 8 landmarks drawn as numbered coloured dots.

Used to eyeball a data set (synthetic or annotated real scans): each tile shows one image with
its side, arch, sheet and dpi in the title; a hollow marker is a point with ``visible: 0``.
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
    """Up to `count` file names that mix sheets, sides, arches and artefacts (broken ones too)."""
    if images.empty:
        return []
    attrs = images["attributes"].apply(lambda a: a if isinstance(a, dict) else {})
    key = (
        images["side"].astype(str)
        + "|" + attrs.apply(lambda a: a.get("sheet", ""))
        + "|" + attrs.apply(lambda a: a.get("arch", ""))
        + "|" + images["usable"].astype(str)
    )
    order = images.assign(_key=key).sample(frac=1.0, random_state=seed)
    # Round-robin over the groups so every kind of print shows up before any repeats.
    groups = [list(g["image"]) for _, g in order.groupby("_key", sort=True)]
    picked: list[str] = []
    while len(picked) < count and any(groups):
        for g in groups:
            if g and len(picked) < count:
                picked.append(g.pop(0))
    return picked


def _title(row: pd.Series) -> str:
    a = row["attributes"] if isinstance(row["attributes"], dict) else {}
    parts = [str(row["side"] or "?"), a.get("arch", ""), a.get("sheet", ""), f"{row['dpi']:g} dpi"]
    if not row["usable"]:
        parts.append(f"BROKEN: {a.get('defect', '')}")
    return f"{row['image']}\n" + " | ".join(p for p in parts if p)


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
            shown = im.convert("L").resize(size, Image.BILINEAR)
        ax.imshow(np.asarray(shown), cmap="gray", vmin=0, vmax=255)
        pts = via.points[via.points["image"] == name]
        for _, p in pts.iterrows():
            colour = LANDMARK_COLOURS[LANDMARK_IDS.index(int(p["landmark"]))]
            # Pixel centres scale as x' = (x + 0.5) * s - 0.5 (CONTRACTS.md).
            x, y = (p["x"] + 0.5) * scale - 0.5, (p["y"] + 0.5) * scale - 0.5
            hollow = int(p["visible"]) == 0
            ax.plot(x, y, "o", ms=7, mfc="none" if hollow else colour, mec=colour, mew=1.6)
            ax.annotate(str(int(p["landmark"])), (x, y), xytext=(4, -4), textcoords="offset points",
                        color=colour, fontsize=8, fontweight="bold")
        ax.set_title(_title(row), fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
