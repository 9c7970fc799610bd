"""Long thin straight lines on a page (a form's panel borders and rules, ruler bars) and their
erasure: they are not print, and one touching a toe or the heel would pull a point onto it.

A line is the thin part of the ink (what an opening with a small disk removes) that also
survives an opening with a long horizontal or vertical line element, found on a reduced copy of
the page (a few hundred px, sizes as fractions of its long side, so they hold at any
resolution); :func:`erase_lines` paints it as paper on the page at full resolution, column by
column (row by row), so a print touching a border line loses only the line's own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import measure, morphology

from foot_landmarks.segmentation import PAPER, ink_threshold


@dataclass(frozen=True)
class LineParams:
    """Sizes as fractions of the analysis copy's long side."""

    closing_frac: float = 0.005  # joins grid / dotted ink into regions
    thin_frac: float = 0.006  # radius of the disk: ink thinner than ~2x this is a line or writing
    line_length_frac: float = 0.06  # a thin straight run at least this long is a drawn line


@dataclass
class LineAnalysis:
    """A page's reduced copy (`small`, `k` page px per copy px) and its lines on that copy."""

    small: np.ndarray
    k: int
    lines: np.ndarray


def _line_elements(length: int) -> list[np.ndarray]:
    return [np.ones((1, length), bool), np.ones((length, 1), bool)]


def page_ink(small: np.ndarray, params: LineParams | None = None) -> np.ndarray:
    """Ink of a reduced page (Otsu), its texture closed into regions."""
    p = params or LineParams()
    ink = small <= ink_threshold(small)
    radius = max(1, round(p.closing_frac * max(small.shape)))
    return ndi.binary_closing(ink, morphology.disk(radius))


def line_mask(ink: np.ndarray, params: LineParams | None = None) -> np.ndarray:
    """Long thin straight (horizontal or vertical) lines in an ink mask (analysis resolution)."""
    p = params or LineParams()
    long_side = max(ink.shape)
    r = max(1, round(p.thin_frac * long_side))
    thin = ink & ~ndi.binary_opening(ink, morphology.disk(r))
    length = max(5, round(p.line_length_frac * long_side))
    lines = np.zeros_like(ink)
    for element in _line_elements(length):
        lines |= ndi.binary_opening(thin, element)
    return lines


def erase_lines(
    gray_page: np.ndarray, analysis: LineAnalysis, grow_px: int = 1, min_run: float = 0.5,
    params: LineParams | None = None,
) -> np.ndarray:
    """The page with the analysis's long thin lines painted as paper (geometry unchanged).

    Each line found at analysis resolution is refined on the page: for a vertical line, the
    columns of its (grown) band that are ink along at least `min_run` of its length; for a
    horizontal one, such rows; then the dark pixels left in the band (a line a few degrees off the
    axes). The rest of the line mask (a slanted ruler bar, line ends) is erased as the grown
    analysis mask.
    """
    if not analysis.lines.any():
        return gray_page
    p = params or LineParams()
    k = analysis.k
    h, w = gray_page.shape
    out = gray_page.copy()
    dark = gray_page <= ink_threshold(analysis.small)
    length = max(5, round(p.line_length_frac * max(analysis.small.shape)))
    horizontal, vertical = (ndi.binary_opening(analysis.lines, e) for e in _line_elements(length))
    rest = analysis.lines & ~horizontal & ~vertical
    for lines, is_vertical in ((vertical, True), (horizontal, False)):
        for region in measure.regionprops(measure.label(lines, connectivity=2)):
            r0, c0, r1, c1 = region.bbox
            y0, x0 = max(0, (r0 - grow_px) * k), max(0, (c0 - grow_px) * k)
            y1, x1 = min(h, (r1 + grow_px) * k), min(w, (c1 + grow_px) * k)
            window = dark[y0:y1, x0:x1]
            if is_vertical:
                full = window.mean(axis=0) >= min_run
                out[y0:y1, x0:x1][:, full] = PAPER
            else:
                full = window.mean(axis=1) >= min_run
                out[y0:y1, x0:x1][full, :] = PAPER
    if rest.any():
        grown = ndi.binary_dilation(rest, iterations=grow_px) if grow_px > 0 else rest
        band = grown.repeat(k, axis=0).repeat(k, axis=1)[:h, :w]
        out[: band.shape[0], : band.shape[1]][band] = PAPER
    # a line a few degrees off the page's axes covers no whole row (column) of its band: its dark
    # pixels within the band go too
    grown = ndi.binary_dilation(horizontal | vertical, iterations=grow_px) if grow_px > 0 else horizontal | vertical
    band = grown.repeat(k, axis=0).repeat(k, axis=1)[:h, :w]
    out[: band.shape[0], : band.shape[1]][band & dark[: band.shape[0], : band.shape[1]]] = PAPER
    return out
