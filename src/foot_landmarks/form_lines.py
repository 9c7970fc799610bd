"""Long thin straight lines on a page (a form's panel borders and rules, ruler bars) and their
erasure: they are not print, and one touching a toe or the heel would pull a point onto it.

A line is the thin part of the ink (what an opening with a small disk removes) that also
survives an opening with a long horizontal or vertical line element, found on a reduced copy of
the page (a few hundred px, sizes as fractions of its long side, so they hold at any
resolution); :func:`erase_lines` paints it as paper on the page at full resolution, column by
column (row by row), so a print touching a border line loses only the line's own pixels.

A printed ruler bar is thicker than a line (a few mm): :func:`bar_mask` finds it the same way
with a larger disk, keeps it only where it is solid ink (a grid's closed cells are not) and clear
of the feet's prints, and carries it on over the toe or heel it is pressed on.
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
    bar_frac: float = 0.012  # radius of the disk for bars: solid straight ink up to ~2x this thick
    min_bar_fill: float = 0.85  # share of a bar that is ink before closing: a printed bar is solid


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


def _straight_runs(ink: np.ndarray, radius_frac: float, length_frac: float) -> np.ndarray:
    """The parts of `ink` that an opening with a disk of `radius_frac` removes (thinner than about
    twice it) and that run straight, horizontally or vertically, for `length_frac` (both of the
    long side)."""
    long_side = max(ink.shape)
    radius = max(1, round(radius_frac * long_side))
    narrow = ink & ~ndi.binary_opening(ink, morphology.disk(radius))
    runs = np.zeros_like(ink)
    for element in _line_elements(max(5, round(length_frac * long_side))):
        runs |= ndi.binary_opening(narrow, element)
    return runs


def line_mask(ink: np.ndarray, params: LineParams | None = None) -> np.ndarray:
    """Long thin straight (horizontal or vertical) lines in an ink mask (analysis resolution)."""
    p = params or LineParams()
    return _straight_runs(ink, p.thin_frac, p.line_length_frac)


def bar_mask(small: np.ndarray, ink: np.ndarray, clear_of: np.ndarray | None = None,
             params: LineParams | None = None) -> np.ndarray:
    """Long straight solid bars (printed ruler bars) on a reduced page `small` with its closed
    `ink` (page_ink): straight runs of what an opening with a disk of `bar_frac` removes, kept
    where they are solid ink before closing and touch nothing of `clear_of` (where a foot's print
    lies well inside its outline: a band across a print is print), each carried on along its
    length over ink pressed against it (:func:`_bars_carried_on`)."""
    p = params or LineParams()
    raw_ink = small <= ink_threshold(small)
    straight = _straight_runs(ink, p.bar_frac, p.line_length_frac)
    labels, n = ndi.label(straight)
    if n == 0:
        return straight
    index = np.arange(1, n + 1)
    solid = np.asarray(ndi.mean(raw_ink, labels, index)) >= p.min_bar_fill
    if clear_of is not None:
        solid &= ~np.asarray(ndi.maximum(clear_of, labels, index), bool)
    bars = np.isin(labels, index[solid])
    blocked = clear_of if clear_of is not None else np.zeros_like(ink)
    return _bars_carried_on(bars, raw_ink, blocked, p.min_bar_fill)


def _bars_carried_on(bars: np.ndarray, raw_ink: np.ndarray, blocked: np.ndarray, min_fill: float,
                     max_gap: int = 2) -> np.ndarray:
    """Each bar carried on along its length, column by column (row by row for an upright bar),
    while its band is ink with no ink on one of its sides: the part of a bar pressed on a toe tip
    or the heel, which the print's ink hid from the opening. Gaps of up to `max_gap` px (ticks)
    are crossed; `blocked` (a print's inside) stops it."""
    out = bars.copy()
    for region in measure.regionprops(measure.label(bars)):
        r0, c0, r1, c1 = region.bbox
        upright = (r1 - r0) > (c1 - c0)
        # work on rows as the band across the bar (transposed views write through to `out`)
        ink, mask, stop = (a.T for a in (raw_ink, out, blocked)) if upright else (raw_ink, out, blocked)
        a0, a1, b0, b1 = (c0, c1, r0, r1) if upright else (r0, r1, c0, c1)
        before, after = max(0, a0 - 2), min(ink.shape[0] - 1, a1 + 1)
        for col, step in ((b0 - 1, -1), (b1, 1)):
            gap = 0
            while 0 <= col < ink.shape[1] and gap <= max_gap and not stop[a0:a1, col].any():
                if ink[a0:a1, col].mean() >= min_fill and not (ink[before, col] and ink[after, col]):
                    mask[a0:a1, col] = True
                    gap = 0
                else:
                    gap += 1
                col += step
    return out


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
