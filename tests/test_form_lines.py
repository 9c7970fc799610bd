"""Ruler bars: found where they are solid and clear of a print, erased over the toe they are
pressed on, and never taken from a print; a print inked as thin threads is not taken for a
form's lines, nor its rim for a bar (foot_landmarks.form_lines, foot_landmarks.pages)."""

from __future__ import annotations

import numpy as np
from skimage import draw

from foot_landmarks.external.cleanroom import render_page
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.foot_finder.decoding import foot_from_points
from foot_landmarks.form_lines import bar_mask, page_ink
from foot_landmarks.io.datasets import ScanImage, reduction_for
from foot_landmarks.pages import at_scan_resolution, read_page, without_lines

PAPER, INK = 240, 20


def _page(shape=(400, 300)) -> np.ndarray:
    return np.full(shape, PAPER, np.uint8)


def test_a_solid_bar_is_a_bar_and_a_grid_band_of_the_same_size_is_not():
    small = _page()
    small[100:108, 60:200] = INK  # a printed bar, 8 px thick
    grid = np.zeros((8, 140), bool)
    grid[::2, :] = True
    grid[:, ::2] = True  # a lattice: three quarters ink, closed into a band like the bar
    small[250:258, 60:200][grid] = INK
    bars = bar_mask(small, page_ink(small))
    assert bars[100:108, 60:200].mean() > 0.95
    assert bars[250:258, 60:200].mean() < 0.05


def test_a_bar_that_reaches_into_a_print_is_not_a_bar():
    small = _page()
    small[100:108, 60:200] = INK
    clear_of = np.zeros_like(small, bool)
    clear_of[90:120, 180:260] = True  # a print's inside, which the band's end reaches
    assert not bar_mask(small, page_ink(small), clear_of=clear_of).any()


def test_a_bar_pressed_on_a_toe_is_carried_over_the_toe_and_the_toe_below_it_kept():
    small = _page()
    toe = np.zeros_like(small, bool)
    toe[draw.disk((130, 200), 18, shape=small.shape)] = True
    small[toe] = 60
    small[110:118, 80:212] = INK  # the bar overlaps the toe's tip by 6 px and ends over it
    bars = bar_mask(small, page_ink(small))
    assert bars[110:118, 80:212].mean() > 0.95, "the bar's part over the toe was left"
    assert not bars[118:, :].any(), "toe ink below the bar was taken as bar"


def _drawn_foot(shape=(1200, 800)) -> tuple[np.ndarray, np.ndarray]:
    """An ink print (sole ellipse, five toes) on paper at ~100 dpi, with its 8 points."""
    page = np.full(shape, PAPER, np.uint8)
    page[draw.ellipse(650, 400, 420, 150, shape=shape)] = 70
    toes = np.array([[300, 205], [360, 195], [410, 200], [455, 210], [495, 225]], float)  # x, y of the tips
    for (x, y), r in zip(toes, (28, 20, 18, 16, 14)):
        page[draw.disk((y + r, x), r, shape=shape)] = 70
    points = np.vstack([toes, [[250, 520], [550, 560], [400, 1070]]])
    return page, points


def test_a_page_loses_its_ruler_bars_at_toe_and_heel_but_not_a_band_across_its_print():
    page, points = _drawn_foot()
    hallux = np.zeros(page.shape, bool)
    hallux[draw.disk((233, 300), 28, shape=page.shape)] = True
    page[195:211, 180:520] = INK  # a 4 mm bar pressed on the toe tips, over the hallux's by 6 px
    page[1070:1086, 300:520] = INK  # one at the heel
    page[700:716, 150:650] = INK  # a solid band across the midfoot: it hides print, it is kept
    foot = foot_from_points(points, "right", 10.0)
    out = without_lines(page, 400, feet=[foot])
    outside = page == INK
    outside[700:716] = False
    assert (out[outside] >= PAPER - 10).mean() > 0.9, "a bar was left"
    assert (out[700:716, 260:540] < 100).mean() > 0.9, "the band across the print was erased"
    below_bar = hallux.copy()
    below_bar[:214] = False
    assert (out[below_bar] < 100).all(), "the hallux below the bar was erased"
    # without the feet, no bar is looked for (where the prints lie is not known)
    assert (without_lines(page, 400)[195:211, 180:520] < 100).mean() > 0.5


def test_a_print_inked_as_threads_keeps_them_and_a_form_line_beside_it_goes():
    """A mat whose threads printed one way leaves the print as thin parallel lines, each long and
    straight like a form's rule: inside the foot's region they are its print and stay; a border
    line beside the foot is still erased. (Clean-room flatbed grid prints read this way where the
    page's reduced copy drops every other thread; the crop then lost its forefoot.)"""
    shape = (2400, 1600)
    page = np.full(shape, PAPER, np.uint8)
    body = np.zeros(shape, bool)
    body[draw.ellipse(1300, 800, 840, 300, shape=shape)] = True
    toes = np.array([[600, 410], [720, 390], [820, 400], [910, 420], [990, 450]], float)
    for (x, y), r in zip(toes, (56, 40, 36, 32, 28)):
        body[draw.disk((y + r, x), r, shape=shape)] = True
    threads = body & (np.indices(shape)[0] % 36 < 6)  # an A4 page at ~200 dpi: 0.75 mm threads 4.5 mm apart
    page[threads] = INK
    page[200:2300, 1440:1446] = INK  # the form's border, clear of the foot
    points = np.vstack([toes, [[500, 1040], [1100, 1120], [800, 2140]]])
    out = without_lines(page, 400, feet=[foot_from_points(points, "right", 20.0)])
    assert (out[threads] < 100).mean() > 0.9, "the print's threads were erased as lines"
    assert (out[200:2300, 1440:1446] < 100).mean() < 0.05, "the border line was left"


def test_the_rim_of_a_print_inked_as_a_grid_is_not_a_ruler_bar(tmp_path):
    """A mat's grid leaves its last thread along a flat heel with the ends of the crossing threads
    below it; on the page's reduced copy that reads as a ruler bar beside the print. Where the
    print is a grid (MESH_SHARE), no bar is taken from its region: before, half of the heel's ink
    near the heel point was painted out, and the heel point went to the thread above (8.5 mm).
    The page is a clean-room flatbed grid print (seed 15, page 37); its truth says where the ink is."""
    page = render_page("flatbed_ink", 15, 37)
    path = tmp_path / page.name
    path.write_bytes(page.data)
    scan = ScanImage(str(path))
    reduce = reduction_for(max(scan.size()), 2 * 666)
    found = read_page(scan, reduce, FootFinder.bundled())
    assert len(found.feet) == 1 and reduce > 1
    full = at_scan_resolution(scan, found, reduce)  # as the refinement's second stage reads it
    erased = np.abs(without_lines(full.gray, 400, full.feet).astype(int) - full.gray.astype(int)) > 30
    rows, cols = np.nonzero(page.ink > 0)
    heel = page.feet[0].truth.points[7]
    near_heel = np.hypot(cols - heel[0], rows - heel[1]) < 60  # 5 mm at 300 dpi
    assert erased[rows[near_heel], cols[near_heel]].mean() < 0.01
