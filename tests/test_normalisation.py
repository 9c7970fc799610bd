"""foot_landmarks.normalisation: every page look to dark ink on light paper, geometry unchanged."""

from __future__ import annotations

import numpy as np
from skimage.draw import ellipse
from matplotlib import colormaps

from foot_landmarks.normalisation import colour_map_lut, is_colour_map, normalise_page


def _pressure_field(h: int = 160, w: int = 90) -> np.ndarray:
    """A smooth 'pressure' in [0, 1]: zero background, a foot-like blob with two peaks."""
    y, x = np.mgrid[0:h, 0:w].astype(float)
    blob = np.exp(-(((x - 45) / 28) ** 2 + ((y - 80) / 70) ** 2) * 2)
    peaks = 0.5 * np.exp(-(((x - 40) / 10) ** 2 + ((y - 40) / 12) ** 2)) + 0.4 * np.exp(
        -(((x - 50) / 12) ** 2 + ((y - 130) / 12) ** 2)
    )
    field = np.clip(blob + peaks, 0, 1)
    field[field < 0.15] = 0.0  # background: the colour map's lowest colour (dark blue)
    return field


def test_jet_colour_map_inverts_to_its_intensity():
    field = _pressure_field()
    rgb = np.rint(colormaps["jet"](field)[..., :3] * 255).astype(np.uint8)
    assert is_colour_map(rgb)
    page = normalise_page(rgb)
    assert "colour map" in page.steps[0]
    assert page.gray.shape == field.shape and page.gray.dtype == np.uint8  # same pixel grid
    recovered = 1.0 - page.gray / 255.0  # high pressure = dark ink
    # LUT of 256 colours plus 8-bit rounding of the colours: about half a LUT step
    assert np.abs(recovered - field).max() < 0.01
    assert page.gray[0, 0] == 255  # background -> paper


def test_lut_is_matplotlibs_jet():
    lut = colour_map_lut("jet")
    assert lut.shape == (256, 3)
    np.testing.assert_allclose(lut[0], np.array(colormaps["jet"](0.0)[:3]) * 255)


def test_white_print_on_black_is_inverted():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 25, size=(200, 120)).astype(np.uint8)  # dark background with noise
    rr, cc = ellipse(105, 60, 65, 30, image.shape)
    image[rr, cc] = 230  # bright sole (round-ended: a bright rectangle would be a photographed page)
    page = normalise_page(image)
    assert any("inverted" in step for step in page.steps) and page.kind == "bright on dark"
    np.testing.assert_array_equal(page.gray, 255 - image)


def test_ink_page_is_untouched():
    rng = np.random.default_rng(1)
    image = rng.integers(225, 250, size=(200, 120)).astype(np.uint8)
    image[40:170, 30:90] = 60  # dark ink
    page = normalise_page(image)
    assert page.steps == ["ink on paper: kept"]
    np.testing.assert_array_equal(page.gray, image)


def test_colour_photo_of_ink_is_gray_not_colour_map():
    rng = np.random.default_rng(2)
    gray = rng.integers(200, 240, size=(100, 80)).astype(np.uint8)
    gray[20:80, 20:60] = 70
    rgb = np.stack([gray, gray - 5, gray - 20], axis=-1).astype(np.uint8)  # warm paper, dark ink
    assert not is_colour_map(rgb)
    page = normalise_page(rgb)
    assert page.steps == ["colour to gray (luma)", "ink on paper: kept"]
    assert abs(int(page.gray[50, 40]) - 65) < 5


def test_photographed_sheet_is_kept_and_the_table_painted_as_paper():
    """A bright page on a dark table (a photo): not inverted; outside the page becomes paper."""
    rng = np.random.default_rng(1)
    image = rng.integers(20, 60, size=(300, 220)).astype(np.uint8)  # the table
    image[30:270, 25:195] = 235  # the page, its ink print below
    rr, cc = ellipse(150, 110, 90, 35, image.shape)
    image[rr, cc] = 90
    page = normalise_page(image)
    assert page.kind == "photographed sheet" and page.page_corners is not None
    np.testing.assert_allclose(page.page_corners, [[25, 30], [194, 30], [194, 269], [25, 269]], atol=1.5)
    assert page.gray[:20].min() == 255 and page.gray[150, 110] < 120  # table -> paper, print kept dark
