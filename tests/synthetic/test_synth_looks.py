"""The four capture kinds: points on the print, mirror view, photos' page corners, pen marks, colour maps."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from foot_landmarks.normalisation import invert_colour_map, normalise_page
from foot_landmarks.synthetic import photo as ph
from foot_landmarks.synthetic.forms import render_form
from foot_landmarks.synthetic.generate import render_sample
from foot_landmarks.synthetic.scene import ATTRIBUTE_KEYS, PrintSpec

SEED = 21
CROP_ONLY = (("a4", 0.0), ("crop", 1.0), ("lowres", 0.0))


def _spec(look: str, side: str, index: int = 0, subject: int = 1, broken: bool = False) -> PrintSpec:
    return PrintSpec(SEED, index, subject, side, 1, broken, look, CROP_ONLY)


def _on_mask(mask: np.ndarray, point: np.ndarray, reach: int = 1) -> bool:
    """Whether a mask pixel lies within `reach` px of `point` (points are boundary pixels of the mask)."""
    x, y = int(round(point[0])), int(round(point[1]))
    return bool(mask[max(0, y - reach) : y + reach + 1, max(0, x - reach) : x + reach + 1].any())


def _image(sample) -> Image.Image:
    return Image.open(io.BytesIO(sample.data))


@pytest.fixture(scope="module")
def bare_right():
    return render_sample(_spec("bare_sole", "right", index=3), debug=True)


@pytest.fixture(scope="module")
def photo_form():
    return render_form(_spec("inkmat_form", "both", index=5), debug=True, capture="photo", pen_lines="wrong")


@pytest.fixture(scope="module")
def scanned_form():
    return render_form(_spec("inkmat_form", "both", index=6), debug=True, capture="scan", pen_lines="near")


@pytest.fixture(scope="module")
def pressure_both():
    return render_sample(_spec("pressure_map", "both", index=7), debug=True)


# ----------------------------------------------------------------------------- one-foot looks


@pytest.mark.parametrize("look, side", [("ink_paper", "left"), ("bare_sole", "left"), ("pressure_map", "right")])
def test_one_foot_points_lie_on_the_contact_mask(look, side):
    sample = render_sample(_spec(look, side, index=1), debug=True)
    mask = sample.debug["mask"]
    image = _image(sample)
    assert mask.shape == (image.height, image.width)
    assert len(sample.feet) == 1 and sample.feet[0].foot == "" and len(sample.points) == 8
    for point, visible in zip(sample.points, sample.visible):
        assert 0 <= point[0] <= image.width - 1 and 0 <= point[1] <= image.height - 1
        if visible:
            assert _on_mask(mask, point), (look, point)
    assert set(sample.attributes) == set(ATTRIBUTE_KEYS)
    assert sample.attributes["look"] == look and sample.attributes["side"] == side
    assert sample.attributes["feet"] == "1"


def test_bare_sole_is_seen_from_below(bare_right):
    """A right foot seen from below shows the mirror of its print: hallux on the RIGHT."""
    a = bare_right.attributes
    assert a["view"] == "below" and a["side"] == "right" and bare_right.debug["config"] == "left"
    p = bare_right.points
    assert p[0, 0] > p[4, 0]  # hallux (1) right of the little toe (5)
    assert p[5, 0] > p[6, 0]  # medial forefoot (6) right of lateral (7)
    gray = np.asarray(_image(bare_right).convert("L"), dtype=float)
    mask = bare_right.debug["mask"]
    assert gray[~mask].mean() < 60 and gray[mask].mean() > gray[~mask].mean() + 80  # bright sole on black
    assert normalise_page(gray.astype(np.uint8)).kind == "bright on dark"
    left = render_sample(_spec("bare_sole", "left", index=4), debug=True)
    assert left.points[0, 0] < left.points[4, 0] and left.debug["config"] == "right"


def test_print_view_keeps_hallux_on_the_left_for_right_feet():
    sample = render_sample(_spec("ink_paper", "right", index=2))
    assert sample.attributes["view"] == "print" and sample.points[0, 0] < sample.points[4, 0]


# ----------------------------------------------------------------------------- ink-mat forms


@pytest.mark.parametrize("name", ["photo_form", "scanned_form"])
def test_form_has_both_feet_on_their_panels(name, request):
    sample = request.getfixturevalue(name)
    a = sample.attributes
    assert a["side"] == "" and a["feet"] == "2" and a["look"] == "inkmat_form" and a["sheet"] == "form"
    assert [f.foot for f in sample.feet] == ["left", "right"] and len(sample.points) == 16
    debug = sample.debug
    for foot in sample.feet:
        page_points = debug["page_points"][foot.foot]
        # ground truth in the image = the page-frame points through the capture's homography
        np.testing.assert_allclose(ph.apply_homography(debug["homography"], page_points), foot.points, atol=1e-6)
        x0, y0, x1, y1 = debug["panels"][foot.foot]
        inside = (page_points[:, 0] >= x0) & (page_points[:, 0] <= x1) & (page_points[:, 1] >= y0)
        assert inside.all(), foot.foot
        for point, visible in zip(page_points, foot.visible):
            if visible:
                assert _on_mask(debug["foot_masks"][foot.foot], point)
        # print view: the left foot's hallux is right of its little toe, the right foot's left of it
        hallux_right = page_points[0, 0] > page_points[4, 0]
        assert hallux_right == (foot.foot == "left")
    left_panel_holds_left = debug["panels"]["left"][0] < debug["panels"]["right"][0]
    assert a["panel_order"] == ("left,right" if left_panel_holds_left else "right,left")


def test_photographed_form_carries_its_page_corners(photo_form):
    a = photo_form.attributes
    assert a["capture"] == "photo" and a["dpi"] == "" and a["page_size_mm"] in ("297x420", "280x400", "305x457")
    image = _image(photo_form)
    assert image.mode == "RGB" and "dpi" not in image.info
    corners = np.array(json.loads(a["page_corners"]))
    assert corners.shape == (4, 2)
    assert (corners[:, 0] >= 0).all() and (corners[:, 0] <= image.width - 1).all()
    assert (corners[:, 1] >= 0).all() and (corners[:, 1] <= image.height - 1).all()
    # order: top-left, top-right, bottom-right, bottom-left of the page as printed
    assert corners[0, 0] < corners[1, 0] and corners[3, 0] < corners[2, 0]
    assert corners[0, 1] < corners[3, 1] and corners[1, 1] < corners[2, 1]
    page_hw = photo_form.debug["page"].shape[:2]
    np.testing.assert_allclose(ph.apply_homography(photo_form.debug["homography"], ph.page_corners_px(page_hw)),
                               corners, atol=0.01)
    # the quadrilateral is the page: bright paper just inside it, darker table just outside it
    gray = np.asarray(image.convert("L"), dtype=float)
    centre = corners.mean(axis=0)

    def band(scale_in: float, scale_out: float) -> np.ndarray:
        def poly(scale):
            canvas = Image.new("1", image.size, 0)
            ImageDraw.Draw(canvas).polygon([tuple(centre + (c - centre) * scale) for c in corners], fill=1)
            return np.asarray(canvas)
        return poly(scale_out) & ~poly(scale_in)

    inside, outside = gray[band(0.95, 0.99)], gray[band(1.01, 1.05)]
    assert inside.mean() > outside.mean() + 25


def test_wrong_pen_marks_are_away_from_the_landmarks(photo_form):
    assert photo_form.attributes["pen_lines"] == "wrong"
    _check_pen_marks(photo_form, lambda d: d >= 10.0 - 0.5)


def test_near_pen_marks_are_beside_the_landmarks(scanned_form):
    assert scanned_form.attributes["pen_lines"] == "near"
    _check_pen_marks(scanned_form, lambda d: d <= 8.0)


def _check_pen_marks(sample, ok) -> None:
    debug = sample.debug
    marks = debug["pen_marks"]
    assert marks, "no pen marks drawn"
    page = debug["page"].astype(float)
    gray = page if page.ndim == 2 else page.mean(axis=2)
    paper = np.median(gray[:: 50, :: 50])
    for mark in marks:
        target = debug["page_points"][mark.foot][mark.landmark - 1]
        distance_mm = np.linalg.norm(mark.anchor - target) / debug["page_px_per_mm"]
        assert ok(distance_mm), (mark.kind, mark.landmark, distance_mm)
        x, y = np.round(mark.anchor).astype(int)
        assert gray[y - 3 : y + 4, x - 3 : x + 4].min() < paper - 40  # the mark is on the page
        # pen marks are not print: the landmark masks never include them
    assert not any(debug["page_mask"][int(round(m.anchor[1])), int(round(m.anchor[0]))] for m in marks)


def test_no_pen_marks_when_none():
    sample = render_form(_spec("inkmat_form", "both", index=8), debug=True, capture="photo", pen_lines="none")
    assert sample.attributes["pen_lines"] == "none" and sample.debug["pen_marks"] == []


# ----------------------------------------------------------------------------- pressure maps


def test_pressure_map_inverts_to_the_rendered_values(pressure_both):
    image = _image(pressure_both)
    assert image.format == "PNG" and image.mode == "RGB"
    rgb = np.asarray(image)[::3, ::3]  # every 3rd pixel each way: the inversion is per pixel (and slow)
    values, distance = invert_colour_map(rgb)
    assert distance.max() < 1.0  # every colour is one of the map's
    # jet's 256-entry LUT repeats a few colours (its blue plateau): within 3 LUT steps
    assert np.abs(values - pressure_both.debug["values"][::3, ::3]).max() <= 3 / 255 + 1e-6
    assert normalise_page(rgb).kind == "colour map"
    mask = pressure_both.debug["mask"][::3, ::3]
    assert (values[mask] > 0).mean() > 0.9 and (values[~mask] > 0).mean() < 0.05


def test_pressure_map_of_both_feet(pressure_both):
    a = pressure_both.attributes
    assert a["side"] == "" and a["feet"] == "2" and a["view"] == "print"
    left, right = pressure_both.feet
    assert (left.foot, right.foot) == ("left", "right")
    assert left.points[:, 0].max() < right.points[:, 0].min()  # left foot on the left, side by side
    assert left.points[0, 0] > left.points[4, 0] and right.points[0, 0] < right.points[4, 0]
    for foot in (left, right):
        for point, visible in zip(foot.points, foot.visible):
            if visible:
                assert _on_mask(pressure_both.debug["foot_masks"][foot.foot], point)


def test_pressure_map_dpi_is_the_true_scale(pressure_both):
    a = pressure_both.attributes
    dpi = float(a["dpi"])
    assert _image(pressure_both).info["dpi"][0] == pytest.approx(dpi, abs=0.01)
    assert dpi == pytest.approx(pressure_both.debug["px_per_mm"] * 25.4)
    for foot in pressure_both.feet:
        length_px = np.linalg.norm(foot.points[:5] - foot.points[7], axis=1).max()
        assert length_px * 25.4 / dpi == pytest.approx(float(a["foot_length_mm"]), rel=0.06)


# ----------------------------------------------------------------------------- photo geometry


def test_warp_maps_pixel_centres_through_the_homography():
    """A bright page pixel lands, in the photo, where the homography sends its centre."""
    page = np.zeros((60, 80, 3), np.uint8)
    page[20, 30] = 255
    h = np.array([[1.7, 0.1, 12.0], [-0.05, 1.6, 9.0], [0.0005, 0.0002, 1.0]])
    warped, cover = ph.warp_page(page, h, (200, 220))
    weight = warped[..., 0].astype(float)
    ys, xs = np.nonzero(weight)
    centroid = np.array([(xs * weight[ys, xs]).sum(), (ys * weight[ys, xs]).sum()]) / weight[ys, xs].sum()
    np.testing.assert_allclose(centroid, ph.apply_homography(h, np.array([[30.0, 20.0]]))[0], atol=0.35)
    assert cover.max() == 1.0 and cover[0, 0] == 0.0


def test_camera_keeps_the_page_inside_the_frame():
    rng = np.random.default_rng(0)
    for _ in range(30):
        camera = ph.sample_camera(rng)
        quad = ph.page_quad(camera, (2400, 1700))
        fh, fw = camera.frame_hw
        assert 2000 <= max(fh, fw) <= 3000
        assert (quad[:, 0] > 0).all() and (quad[:, 0] < fw - 1).all()
        assert (quad[:, 1] > 0).all() and (quad[:, 1] < fh - 1).all()
        h = ph.homography_from_points(ph.page_corners_px((2400, 1700)), quad)
        np.testing.assert_allclose(ph.apply_homography(h, ph.page_corners_px((2400, 1700))), quad, atol=1e-6)
