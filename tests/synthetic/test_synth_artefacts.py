"""Placement rules: usable prints sit inside the sheet with a margin; marks keep off the print."""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks.synthetic import artefacts as art
from foot_landmarks.synthetic.generate import _layout

DPI = 300.0
MM = DPI / 25.4


@pytest.mark.parametrize("sheet", ["a4", "crop", "lowres"])
def test_usable_layout_keeps_print_inside_with_margin(sheet):
    rng = np.random.default_rng(0)
    bbox = (-600.0, -1500.0, 600.0, 1500.0)
    k = 2 if sheet == "lowres" else 1
    for _ in range(50):
        (h, w), (dx, dy) = _layout(bbox, sheet, "", k, DPI, rng)
        assert h % k == 0 and w % k == 0
        x0, y0, x1, y1 = bbox[0] + dx, bbox[1] + dy, bbox[2] + dx, bbox[3] + dy
        assert min(x0, y0, w - 1 - x1, h - 1 - y1) >= 5 * MM - 1


def test_cut_layout_puts_print_over_an_edge():
    rng = np.random.default_rng(1)
    bbox = (-600.0, -1500.0, 600.0, 1500.0)
    for sheet in ("a4", "crop"):
        for _ in range(20):
            (h, w), (dx, dy) = _layout(bbox, sheet, "cut_by_page_edge", 1, DPI, rng)
            x0, y0, x1, y1 = bbox[0] + dx, bbox[1] + dy, bbox[2] + dx, bbox[3] + dy
            assert x0 < 0 or y0 < 0 or x1 > w - 1 or y1 > h - 1


def test_marks_never_land_on_the_print():
    rng = np.random.default_rng(2)
    sheet_hw = (1200, 900)
    ink = np.zeros((600, 400), bool)
    ink[50:550, 100:300] = True
    x0, y0 = 250, 300
    keep_out = art.KeepOut.around(ink, x0, y0, sheet_hw, margin_px=40)
    image = np.ones(sheet_hw, np.float32)
    for _ in range(30):
        cov = art.blot(30, rng)
        spot = art.place(cov.shape, sheet_hw, keep_out, rng)
        if spot is not None:
            art.paint(image, cov, spot[0], spot[1], 0.1)
    assert (image < 1).any()  # some marks found room
    print_area = image[y0 + 50 - 40 : y0 + 550 + 40, x0 + 100 - 40 : x0 + 300 + 40]
    assert (print_area == 1).all()


def test_paint_only_darkens():
    image = np.full((20, 20), 0.5, np.float32)
    image[:10] = 0.05
    art.paint(image, np.ones((20, 20), np.float32), 0, 0, gray=0.2)
    assert np.allclose(image[:10], 0.05) and np.allclose(image[10:], 0.2)


def test_scanner_noise_is_8bit_and_small():
    rng = np.random.default_rng(3)
    pixels = np.full((700, 600), 200, np.uint8)
    noisy = art.scanner_noise(pixels, rng, 2.0)
    assert noisy.dtype == np.uint8 and noisy.shape == pixels.shape
    assert abs(float(noisy.mean()) - 200) < 0.5 and 1.5 < float(noisy.std()) < 2.5
