"""Pages with known feet, as the finder trains on them: decoded small, any look, with their points.

The finder sees a page the way foot_landmarks.pages shows it (`finder_gray`): a colour map turned
into its intensity, anything else as plain luma, NOT otherwise normalised (no page search, no
inversion): it learns every look as it comes, so no look rule decides what a foot is.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image, ImageOps

from foot_landmarks import geometry as geo
from foot_landmarks.io.datasets import displayed_size
from foot_landmarks.landmarks import LANDMARK_IDS
from foot_landmarks.normalisation import invert_colour_map, is_colour_map, to_gray

DECODE_LONG_SIDE = 640  # px: decoded at least this large, then letterboxed to the canvas


def finder_gray(image: np.ndarray) -> np.ndarray:
    """uint8 gray of a decoded page (gray or RGB): a colour map's intensity (high = dark), else luma."""
    if image.ndim == 3 and is_colour_map(image[..., :3]):
        value, _ = invert_colour_map(image[..., :3])
        return np.clip(np.rint(255.0 * (1.0 - value)), 0, 255).astype(np.uint8)
    return to_gray(image)


def decode_small(data: bytes, long_side: int = DECODE_LONG_SIDE) -> tuple[np.ndarray, geo.Matrix]:
    """A file's bytes -> (page as finder_gray, shrunk by JPEG's scaled decoding to about
    `long_side`) and the matrix from the displayed image's px (EXIF orientation applied) to it."""
    with Image.open(io.BytesIO(data)) as img:
        displayed_w = displayed_size(img)[0]
        reduce = max(1, min(8, max(img.size) // long_side))
        if img.format == "JPEG" and reduce > 1:
            img.draft(img.mode if img.mode in ("L", "RGB") else "RGB", (img.size[0] // reduce, img.size[1] // reduce))
        img = ImageOps.exif_transpose(img)
        array = np.asarray(img if img.mode == "L" else img.convert("RGB"))
    achieved = round(displayed_w / array.shape[1])
    return finder_gray(array), geo.scale_matrix(1 / achieved, 1 / achieved)


def pages_with_feet(images: pd.DataFrame, points: pd.DataFrame, files: dict[str, bytes], long_side: int = DECODE_LONG_SIDE):
    """[(gray page, [foot points (8, 2) in that page's px])] from VIA tables and the files' bytes.
    Every annotated foot counts, broken prints too: a cut or blotted foot is still a foot."""
    out = []
    for name, group in points.assign(foot=points["foot"].fillna("")).groupby("image", sort=True):
        if name not in files:
            continue
        gray, to_small = decode_small(files[name], long_side)
        feet = []
        for _, foot in group.groupby("foot", sort=True):
            xy = foot.drop_duplicates("landmark").set_index("landmark").reindex(list(LANDMARK_IDS))[["x", "y"]]
            if xy.isna().any().any():
                continue
            feet.append(geo.apply_to_points(to_small, xy.to_numpy(float)))
        if feet:
            out.append((gray, feet))
    return out
