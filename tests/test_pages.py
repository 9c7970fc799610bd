"""foot_landmarks.pages on generated photographs of ink-mat forms: the page is found, the table
around it painted as paper, and page calibration gives mm on the page within 1 %."""

from __future__ import annotations

import json

import numpy as np
import pytest

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.pages import CropSettings, crop_feet, page_scale, read_page
from foot_landmarks.synthetic.generate import generate_dataset, write_dataset


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    ds = generate_dataset(12, seed=4, n_broken=0, processes=2, mix={"inkmat_form": 1.0}, progress=False)
    write_dataset(ds, out)
    rows = [r for r in ds.images.itertuples() if r.attributes["capture"] == "photo"]
    assert rows, "the generator photographs about half of the forms"
    return [(out / "images" / r.image, r.attributes, ds.points[ds.points.image == r.image]) for r in rows]


def test_photographed_sheet_is_found_and_calibrated_within_one_percent(photos):
    for path, attributes, _ in photos:
        page = read_page(ScanImage(str(path)), 2, FootFinder.bundled())
        assert page.kind == "photographed sheet", f"{path.name}: read as {page.kind}"
        true_corners = np.asarray(json.loads(attributes["page_corners"]), float)
        found = geo.apply_to_points(geo.invert(page.to_work), page.page_corners)  # original px
        diagonal = np.linalg.norm(true_corners[2] - true_corners[0])
        assert np.abs(found - true_corners).max() < 0.01 * diagonal, f"{path.name}: corners off"
        width, height = (float(v) for v in attributes["page_size_mm"].split("x"))
        to_mm, source = page_scale(page, None, attributes["page_size_mm"])
        assert source.startswith("page calibration")
        rectangle = np.array([[0, 0], [width, 0], [width, height], [0, height]])
        error = np.abs(geo.apply_to_points(to_mm, true_corners) - rectangle).max()
        assert error < 0.01 * np.hypot(width, height), f"{path.name}: page corners {error:.1f} mm off"


def test_both_feet_are_found_on_a_photographed_form(photos):
    for path, _, points in photos:
        page = read_page(ScanImage(str(path)), 2, FootFinder.bundled())
        feet, problems = crop_feet(page, CropSettings())
        assert sorted(foot for foot, _ in feet) == ["left", "right"], f"{path.name}: {problems}"
        for foot, processed in feet:  # each crop holds its own foot's 8 points
            truth = points[points.foot == foot].sort_values("landmark")[["x", "y"]].to_numpy(float)
            in_crop = geo.apply_to_points(processed.to_crop, truth)
            h, w = processed.crop.shape
            assert ((in_crop > -2) & (in_crop < [w + 1, h + 1])).all(), f"{path.name} {foot}: points outside its crop"


def test_lift_paper_brings_grey_paper_to_the_level_by_a_gain_and_leaves_white_paper():
    from foot_landmarks.pages import lift_paper

    gray = np.full((20, 20), 170, np.uint8)
    gray[5:15, 5:15] = 50  # ink
    paper_mask = gray > 100
    lifted, fill = lift_paper(gray, paper_mask, 180, level=238)
    assert lifted[0, 0] == 238 and lifted[10, 10] == 70 and fill == 252  # gain 238 / 170 = 1.4
    white = np.where(paper_mask, 245, 50).astype(np.uint8)
    same, fill = lift_paper(white, paper_mask, 250, level=238)
    assert (same == white).all() and fill == 250
    assert lift_paper(gray, np.zeros_like(paper_mask), 180)[0] is gray  # no paper seen: unchanged
