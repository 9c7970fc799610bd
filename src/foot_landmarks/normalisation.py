"""Bring any page look to the one the pipeline expects: dark ink on light paper, 8-bit gray.

The rest of the pipeline (segmentation, cropping, the network's training data) assumes an ink
print: dark ink on light paper. Real images come in other looks; :func:`normalise_page` picks
one step from the image itself (no file name, no label):

- a pseudo-colour map (jet: strongly saturated hues, a dark-blue background): the colour is
  turned back into the intensity it encodes (nearest colour of matplotlib's jet LUT), then
  written as darkness (high pressure = dark ink, background = paper);
- a photographed sheet (a darker border, the table, around a bright four-sided page found by
  foot_landmarks.calibration): the table is painted as paper, the page kept; its corners are
  returned for page calibration (mm);
- a bright print on a dark background (glass-plate, podoscope or bare-sole scan: the border is
  dark and no page is found): inverted;
- plain ink on paper: kept (converted to gray if it came in colour).

Every step is a pure intensity mapping: each output pixel comes from the same input pixel, so
the geometry is unchanged (the page -> page matrix is the identity; no matrix is added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from scipy.spatial import cKDTree
from skimage.draw import polygon2mask

from foot_landmarks.calibration import find_page_corners

COLOUR_MAP = "jet"
LUT_SIZE = 256
# A colour-map image: most pixels are strongly saturated and lie close to the colour map's curve.
COLOUR_MIN_SATURATION = 0.5  # HSV saturation of a "saturated" pixel
COLOUR_MIN_SATURATED_SHARE = 0.6  # of all pixels
COLOUR_MAX_LUT_DISTANCE = 40.0  # RGB units: a pixel this close to the LUT "is" a colour-map colour
COLOUR_MIN_ON_MAP_SHARE = 0.8  # of all pixels
# A bright print on a dark background: the page's border band is dark.
BORDER_BAND_FRAC = 0.05  # of each side: the band whose intensity tells the background
DARK_BORDER_MAX_MEAN = 100.0  # gray levels: mean of the border band of a dark-background image
# A page is looked for below this border mean: a light grey table around a photographed sheet
# (generated: up to ~125) is darker than a flatbed scan's paper border (generated: >= 210)
PAGE_SEARCH_BORDER_MAX_MEAN = 180.0
PAGE_INSET = 0.004  # of the page diagonal: the page's own edge (a dark rim in photos) is painted too
LIGHT_WINDOW = 0.45  # of the page's short side: wider than a foot print, so its closing is the paper


@dataclass
class NormalisedPage:
    """`gray`: uint8 (H, W), dark ink on light paper, same pixel grid as the input (identity matrix)."""

    gray: np.ndarray
    steps: list[str] = field(default_factory=list)
    kind: str = "ink"  # the look found: "ink", "photographed sheet", "bright on dark" or "colour map"
    page_corners: np.ndarray | None = None  # a photographed sheet's corners (TL, TR, BR, BL), px


@lru_cache(maxsize=4)
def colour_map_lut(name: str = COLOUR_MAP, n: int = LUT_SIZE) -> np.ndarray:
    """(n, 3) float RGB 0-255 of a matplotlib colour map, index i <-> value i / (n - 1)."""
    from matplotlib import colormaps

    return colormaps[name](np.linspace(0.0, 1.0, n))[:, :3] * 255.0


@lru_cache(maxsize=4)
def _lut_tree(name: str, n: int) -> cKDTree:
    return cKDTree(colour_map_lut(name, n))


def invert_colour_map(rgb: np.ndarray, name: str = COLOUR_MAP, n: int = LUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, the value in [0, 1] whose colour-map colour is nearest, and that RGB distance."""
    flat = rgb.reshape(-1, 3).astype(np.int32)
    # Many pixels share a colour: look each distinct colour up once (packed as one int: a 1-D
    # unique is ~20x faster than a row-wise one).
    packed, inverse = np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2], return_inverse=True)
    colours = np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=1).astype(np.float64)
    distance, index = _lut_tree(name, n).query(colours)
    value = index / (n - 1)
    shape = rgb.shape[:2]
    return value[inverse.ravel()].reshape(shape), distance[inverse.ravel()].reshape(shape)


def _saturation(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float64)
    hi, lo = rgb.max(axis=-1), rgb.min(axis=-1)
    return np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-9), 0.0)


def _sample(image: np.ndarray, max_side: int = 256) -> np.ndarray:
    step = max(1, max(image.shape[:2]) // max_side)
    return image[::step, ::step]


def is_colour_map(rgb: np.ndarray, name: str = COLOUR_MAP) -> bool:
    """Most pixels saturated and on the colour map's curve (a photo or scan in colour is neither)."""
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        return False
    small = _sample(rgb[..., :3])
    if (_saturation(small) >= COLOUR_MIN_SATURATION).mean() < COLOUR_MIN_SATURATED_SHARE:
        return False
    _, distance = invert_colour_map(small, name)
    return bool((distance <= COLOUR_MAX_LUT_DISTANCE).mean() >= COLOUR_MIN_ON_MAP_SHARE)


def to_gray(image: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, exactly as PIL's convert("L") (what foot_landmarks.io.datasets.ScanImage reads)."""
    if image.ndim == 2:
        return image.astype(np.uint8)
    return np.asarray(Image.fromarray(np.ascontiguousarray(image[..., :3])).convert("L"), dtype=np.uint8)


def border_mean(gray: np.ndarray, band_frac: float = BORDER_BAND_FRAC) -> float:
    """Mean intensity of the band along the four page edges (the background's brightness)."""
    h, w = gray.shape
    b = max(1, round(band_frac * min(h, w)))
    band = np.ones_like(gray, dtype=bool)
    band[b : h - b, b : w - b] = False
    return float(gray[band].mean())


def paint_outside_page(gray: np.ndarray, corners: np.ndarray, paper: int = 255) -> np.ndarray:
    """`gray` with everything outside the page quadrilateral (slightly inset) painted as paper."""
    corners = np.asarray(corners, dtype=float)
    centre = corners.mean(axis=0)
    inset = PAGE_INSET * float(np.linalg.norm(corners[2] - corners[0]))
    towards = centre - corners
    corners = corners + towards / np.linalg.norm(towards, axis=1, keepdims=True) * inset
    inside = polygon2mask(gray.shape, corners[:, ::-1])  # (row, col) vertices
    return np.where(inside, flatten_lighting(gray, inside), np.uint8(paper)).astype(np.uint8)


def flatten_lighting(gray: np.ndarray, page: np.ndarray, window: float = LIGHT_WINDOW) -> np.ndarray:
    """A photographed page lit unevenly -> paper at one brightness (gray / paper level * 255).

    The paper level is a grey closing of the page wider than any print (the prints vanish in
    it), smoothed; computed on a ~200 px copy and interpolated back (it varies slowly).
    """
    step = max(1, max(gray.shape) // 200)
    small = gray[::step, ::step].astype(np.float32)
    inside = page[::step, ::step]
    if inside.any():  # outside the page: the nearest page pixel, so the table does not leak inward
        _, (ri, ci) = ndi.distance_transform_edt(~inside, return_indices=True)
        small = small[ri, ci]
    rows, cols = np.nonzero(inside) if inside.any() else (np.arange(2), np.arange(2))
    size = max(3, int(window * min(np.ptp(rows) + 1, np.ptp(cols) + 1)))
    level = ndi.gaussian_filter(ndi.grey_closing(small, size=(size, size)), size / 4)
    level = np.asarray(Image.fromarray(level).resize(gray.shape[::-1], Image.BILINEAR))
    return np.clip(gray.astype(np.float32) * 255.0 / np.maximum(level, 1.0), 0, 255).astype(np.uint8)


def normalise_page(
    image: np.ndarray,
    colour_map: str = COLOUR_MAP,
    print_is_bright: bool | None = None,
    must_hold: np.ndarray | None = None,
) -> NormalisedPage:
    """Dark ink on light paper from an ink page, a bright-on-dark scan or a colour-mapped print.

    `image`: uint8 (H, W) gray or (H, W, 3|4) colour. Returns the gray page and the steps taken
    (human-readable, for the report). Geometry is unchanged: the pixel grid is the input's.
    `print_is_bright`: whether the prints are brighter than what surrounds them, when the feet
    were found (foot_landmarks.foot_finder): that decides the inversion, and the border's
    brightness only when it is None. `must_hold`: (N, 2) px (the feet found) that a photographed
    page must contain; a quadrilateral cutting a foot off is a shadow or a panel, not the page.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"normalise_page expects uint8, got {image.dtype}")
    steps: list[str] = []
    if image.ndim == 3 and is_colour_map(image[..., :3], colour_map):
        value, _ = invert_colour_map(image[..., :3], colour_map)
        gray = np.clip(np.rint(255.0 * (1.0 - value)), 0, 255).astype(np.uint8)
        steps.append(f"colour map '{colour_map}' inverted to intensity (nearest LUT colour), high = dark ink")
        return NormalisedPage(gray, steps, "colour map")
    gray = to_gray(image)
    if image.ndim == 3:
        steps.append("colour to gray (luma)")
    mean = border_mean(gray)
    if print_is_bright:
        gray = (255 - gray).astype(np.uint8)
        steps.append("prints brighter than their surroundings (feet found): inverted")
        return NormalisedPage(gray, steps, "bright on dark")
    if mean < PAGE_SEARCH_BORDER_MAX_MEAN:
        corners = find_page_corners(image, relight=False)  # the quick search: a page edge, not a shadow
        if corners is not None and _holds(corners, must_hold):
            gray = paint_outside_page(gray, corners)
            steps.append(f"photographed sheet (border mean {mean:.0f}, page found): outside the page painted as paper")
            return NormalisedPage(gray, steps, "photographed sheet", corners)
    if print_is_bright is None and mean < DARK_BORDER_MAX_MEAN:
        gray = (255 - gray).astype(np.uint8)
        steps.append(f"bright print on dark background (border mean {mean:.0f}): inverted")
        return NormalisedPage(gray, steps, "bright on dark")
    steps.append("ink on paper: kept")
    return NormalisedPage(gray, steps, "ink")


def _holds(corners: np.ndarray, points: np.ndarray | None) -> bool:
    """Whether every point lies inside the quadrilateral `corners` (TL, TR, BR, BL)."""
    if points is None or len(points) == 0:
        return True
    from matplotlib.path import Path as Polygon

    return bool(Polygon(np.asarray(corners, float)).contains_points(np.asarray(points, float)).all())
