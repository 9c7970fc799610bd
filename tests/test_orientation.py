"""Points do not depend on how a page is turned: EXIF orientations 1-8 and turns of 0-330 degrees;
overlays are drawn in the frame the points are in.

A generated ink page (a known foot) is stored with each EXIF orientation (the pixels turned or
flipped, the tag saying how to show them) and, separately, turned by 30-degree steps. The
detector is the geometric baseline (foot_landmarks.models.geometric), which reads the points off
each crop's pixels, so what is tested is the page stage: the foot found, turned upright, cut and
mapped back. Each image's points, taken back to the upright page's frame, must lie within 0.5 mm
of the upright page's points.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageOps
from stand_ins import GeometricDetector

from foot_landmarks import geometry as geo
from foot_landmarks.external.cleanroom.camera import EXIF_DISPLAYED_TO_STORED
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.inference import ScanPredictor, draw_overlay
from foot_landmarks.synthetic.generate import generate_dataset

REDUCE = 2  # 300 dpi -> 150 dpi: 0.5 mm is 2.95 px
DPI = 300 / REDUCE
TOLERANCE_MM = 0.5


@pytest.fixture(scope="module")
def predictor() -> ScanPredictor:
    return ScanPredictor(GeometricDetector(), FootFinder.bundled(), decode_reduction=1)


@pytest.fixture(scope="module")
def upright(tmp_path_factory, predictor):
    """(page, its path, the predicted points on it, the foot's side)."""
    data = generate_dataset(1, 21, n_broken=0, processes=1, mix={"ink_paper": 1.0, "a4": 1.0}, progress=False)
    row = data.images.iloc[0]
    page = np.asarray(Image.open(io.BytesIO(data.files[row["image"]])).convert("L").reduce(REDUCE))
    path = tmp_path_factory.mktemp("upright") / "upright.png"
    Image.fromarray(page).save(path)
    points = predictor.predict_scan(path, dpi=DPI, side=row["side"])[["x_px", "y_px"]].to_numpy()
    return page, path, points, row["side"]


def _max_error_mm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b, axis=1).max() * 25.4 / DPI)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_gives_the_same_points(tmp_path, predictor, upright, orientation):
    page, _, expected, side = upright
    image = Image.fromarray(page)
    # the stored pixels: the inverse of what a viewer applies to show them (orientation 1: as they are)
    method = EXIF_DISPLAYED_TO_STORED.get(orientation)
    stored = image.transpose(method) if method is not None else image
    exif = Image.Exif()
    exif[274] = orientation
    path = tmp_path / f"exif_{orientation}.png"
    stored.save(path, exif=exif)
    with Image.open(path) as saved:  # what a viewer shows: the upright page
        assert np.array_equal(np.asarray(ImageOps.exif_transpose(saved)), page)
    # the points come in the DISPLAYED frame, which is the upright page's
    points = predictor.predict_scan(path, dpi=DPI, side=side)[["x_px", "y_px"]].to_numpy()
    assert _max_error_mm(points, expected) <= TOLERANCE_MM


# At 120 and 150 degrees one point (the hallux tip, point 6) lands 3.3-3.7 mm from the upright
# result, with the geometric baseline and with the trained CPU profile alike: on a flat arc of a
# grainy edge the extreme along the axis is decided by sub-pixel bumps, which the page's
# resampling moves (every other point stays within 0.25 mm). A known limit of the extreme rule
# on flat arcs, kept visible here.
FLAT_ARC_JUMPS = {120: "hallux tip on a flat arc", 150: "point 6 on a flat arc"}


@pytest.mark.parametrize(
    "degrees",
    [pytest.param(d, marks=pytest.mark.xfail(reason=FLAT_ARC_JUMPS[d], strict=True)) if d in FLAT_ARC_JUMPS else d
     for d in range(30, 360, 30)],
)
def test_a_page_turned_by_any_angle_gives_the_same_points(tmp_path, predictor, upright, degrees):
    page, _, expected, side = upright
    h, w = page.shape
    turn = geo.rotation(degrees, ((w - 1) / 2, (h - 1) / 2))
    corners = geo.apply_to_points(turn, np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float))
    lo, hi = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    m = geo.compose(turn, geo.translation(-lo[0], -lo[1]))
    turned, _ = geo.warp_with_matrix(page, m, (int(hi[1] - lo[1]) + 1, int(hi[0] - lo[0]) + 1), fill=int(np.median(page)))
    path = tmp_path / f"turned_{degrees}.png"
    Image.fromarray(turned).save(path)
    points = predictor.predict_scan(path, dpi=DPI, side=side)[["x_px", "y_px"]].to_numpy()
    assert _max_error_mm(geo.apply_to_points(geo.invert(m), points), expected) <= TOLERANCE_MM


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_overlay_marks_each_point_on_the_image_as_displayed(tmp_path, orientation):
    displayed = Image.new("RGB", (120, 80), "white")  # wider than tall, as a viewer shows it
    displayed.paste((0, 0, 0), (0, 0, 10, 10))  # a black corner top left, as shown
    stored = displayed.transpose(EXIF_DISPLAYED_TO_STORED[orientation])
    exif = Image.Exif()
    exif[274] = orientation
    path = tmp_path / f"exif_{orientation}.png"
    stored.save(path, exif=exif)
    row = {"landmark": 1, "x_px": 100.0, "y_px": 20.0, "low_confidence": False}
    overlay = draw_overlay(path, pd.DataFrame([row]))
    assert overlay.size == displayed.size and overlay.getpixel((5, 5)) == (0, 0, 0)
    assert overlay.getpixel((100, 20)) == (220, 20, 60)  # a sure point: filled crimson
