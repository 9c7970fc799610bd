"""The print is kept; pen writing and a separate blot are painted out; unusable prints are named."""

from __future__ import annotations

import numpy as np
from pipelines.data_processing.foot_print_drawing import INK, PAPER, draw_blot, draw_foot, draw_pen_scribble, foot_page

from foot_landmarks.segmentation import PAPER as CLEAN_PAPER
from foot_landmarks.segmentation import clean_page, ink_threshold, keep_region, print_problem, segment_print


def test_pen_scribble_and_separate_blot_are_removed() -> None:
    page = np.full((440, 320), PAPER, np.uint8)
    draw_foot(page, "right", length=300, centre_x=140, top_y=50)
    foot_only = page.copy()
    scribble = draw_pen_scribble(page, x0=235, y0=30, width=70, thickness=2)
    blot = draw_blot(page, cx=270, cy=390, radius=25)

    seg = segment_print(page)
    cleaned = clean_page(page, keep_region(seg))

    assert seg.removed["pen"] + seg.removed["far"] + seg.removed["blot"] >= 2
    assert (cleaned[scribble] == CLEAN_PAPER).all()
    assert (cleaned[blot] == CLEAN_PAPER).all()
    assert (cleaned[foot_only == INK] == INK).all()  # every toe and the whole sole kept
    assert print_problem(seg) is None


def test_print_touching_the_page_edge_is_rejected() -> None:
    page = np.full((440, 320), PAPER, np.uint8)
    draw_foot(page, "right", length=420, centre_x=150, top_y=30)  # heel runs off the bottom
    assert "page edge" in print_problem(segment_print(page))


def test_blot_on_the_print_is_rejected() -> None:
    page = np.full((440, 320), PAPER, np.uint8)
    draw_foot(page, "right", length=300, centre_x=140, top_y=50)
    draw_blot(page, cx=150, cy=200, radius=80)  # covers the midfoot
    assert print_problem(segment_print(page)) is not None


def test_blank_page_has_no_print() -> None:
    seg = segment_print(np.full((100, 80), PAPER, np.uint8))
    assert print_problem(seg) == "no print found on the page"


def test_noisy_page_with_writing_keeps_the_foot_box() -> None:
    page, points = foot_page("left", scribble=True, blot=True)
    seg = segment_print(page)
    x0, y0, x1, y1 = seg.bbox
    assert x0 <= points[:, 0].min() + 1 and x1 >= points[:, 0].max() - 1
    assert y0 <= points[:, 1].min() + 1 and y1 >= points[:, 1].max() - 1


def test_faint_toes_beside_a_heavy_sole_are_kept() -> None:
    # A heavily inked, grainy sole beside lightly inked toes (as on the generated scans): Otsu's
    # level calls the toes paper; the faint pass keeps them and still drops the pen line beside them.
    page = np.full((440, 320), PAPER, np.uint8)
    draw_foot(page, "right", length=300, centre_x=140, top_y=50)
    toes = (page == INK) & (np.arange(page.shape[0]) < 110)[:, None]  # the toe prints only
    sole = (page == INK) & ~toes
    page[sole] = np.random.default_rng(0).integers(40, 200, sole.sum())
    page[toes] = 190  # faint: 45 gray levels below the paper
    scribble = draw_pen_scribble(page, x0=235, y0=20, width=60, thickness=2)
    assert (page[toes] > ink_threshold(page)).all()  # the case: Otsu's level misses the toes

    seg = segment_print(page)
    cleaned = clean_page(page, keep_region(seg))

    assert (cleaned[toes] == 190).all(), "a faint toe was painted as paper"
    assert (cleaned[scribble] == CLEAN_PAPER).all()
    assert print_problem(seg) is None
