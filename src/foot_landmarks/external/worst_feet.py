"""A contact sheet of the worst-predicted feet of a set: truth and prediction on each foot's crop."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageOps

from foot_landmarks.external.scoring import foot_errors

TILE_HW = (360, 200)
TRUE_COLOUR, PRED_COLOUR, LINK_COLOUR = (0, 160, 0), (220, 20, 60), (255, 160, 0)


def _tile(image: Image.Image, rows: pd.DataFrame, title: str) -> Image.Image:
    """One foot: the image around its true points (and the predicted ones that fall near), true
    points green, predicted red, each pair joined."""
    true = rows[["x_true", "y_true"]].to_numpy(float)
    pred = rows[["x_pred", "y_pred"]].to_numpy(float)
    length = float(rows["foot_length_px"].iloc[0])
    both = np.concatenate([true, pred[np.all(np.isfinite(pred), axis=1)]])
    lo, hi = both.min(axis=0) - 0.12 * length, both.max(axis=0) + 0.12 * length
    box = tuple(int(v) for v in (lo[0], lo[1], hi[0], hi[1]))
    crop = image.crop(box).convert("RGB")
    scale = min(TILE_HW[1] / crop.width, (TILE_HW[0] - 16) / crop.height)
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))))
    tile = Image.new("RGB", TILE_HW[::-1], "white")
    tile.paste(crop, (0, 16))
    draw = ImageDraw.Draw(tile)
    draw.text((2, 2), title, fill=(0, 0, 0))

    def at(xy: np.ndarray) -> tuple[float, float]:
        return (xy[0] - box[0] + 0.5) * scale - 0.5, (xy[1] - box[1] + 0.5) * scale - 0.5 + 16

    for landmark, t, p in zip(rows["landmark"], true, pred):
        tx, ty = at(t)
        if np.all(np.isfinite(p)):
            px, py = at(p)
            draw.line([tx, ty, px, py], fill=LINK_COLOUR, width=1)
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], outline=PRED_COLOUR, width=2)
            draw.text((px + 4, py - 5), str(landmark), fill=PRED_COLOUR)
        draw.ellipse([tx - 2, ty - 2, tx + 2, ty + 2], fill=TRUE_COLOUR)
    return tile


def worst_feet_sheet(
    errors: pd.DataFrame, open_image: Callable[[str], Image.Image], count: int = 10, columns: int = 5
) -> Image.Image:
    """The `count` feet with the largest maximum error (unfound feet first), as tiles: true points
    green dots, predictions red circles with their number, a line from each true point to its
    prediction. `open_image(name)` returns the image as a user sent it (EXIF orientation applied)."""
    errors = errors.assign(foot=errors["foot"].fillna(""))
    feet = foot_errors(errors)
    feet = feet.assign(order=np.where(feet["found"], feet["max_frac"], np.inf))
    worst = feet.sort_values("order", ascending=False).head(count)
    tiles = []
    for foot in worst.itertuples():
        rows = errors[(errors["image"] == foot.image) & (errors["foot"] == foot.foot)]
        name = foot.image.rsplit("/", 1)[-1][:28] + (f" {foot.foot}" if foot.foot else "")
        title = f"{name}: NOT FOUND" if not foot.found else f"{name}: max {100 * foot.max_frac:.1f} %"
        tiles.append(_tile(ImageOps.exif_transpose(open_image(foot.image)), rows, title))
    rows_n = max(1, -(-len(tiles) // columns))
    sheet = Image.new("RGB", (columns * TILE_HW[1], rows_n * TILE_HW[0]), "white")
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * TILE_HW[1], (i // columns) * TILE_HW[0]))
    return sheet
