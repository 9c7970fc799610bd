"""The side from the print's arch: the midfoot's hollow border is the medial one.

Drawn prints give the truth by construction (a band of midfoot along the lateral border, a whole
midfoot, heel and forefoot apart); generated pages give it through their annotated side.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage.draw import disk, ellipse, polygon
from stand_ins import GeometricDetector

from foot_landmarks.arch_side import ARCH_MARGIN, ARCH_OVERRULES, arch_asymmetry
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.inference import ScanPredictor
from foot_landmarks.landmarks import mirror_side
from foot_landmarks.synthetic.generate import generate_dataset


def drawn_print(midfoot: str) -> np.ndarray:
    """An upright crop (toes up, print bright on black) of a right foot in print view: hallux on
    the left. `midfoot`: "lateral" (a band along the right border: the left one is hollow),
    "whole" (a flat foot) or "none" (heel and forefoot printed apart)."""
    crop = np.zeros((666, 300), np.uint8)
    crop[ellipse(190, 150, 60, 105, crop.shape)] = 200  # ball
    crop[ellipse(560, 160, 80, 68, crop.shape)] = 200  # heel
    for k, (x, r) in enumerate(zip((70, 120, 160, 195, 228), (26, 17, 15, 13, 11))):
        crop[disk((95 + 12 * k, x), r, shape=crop.shape)] = 200  # toes, hallux first
    if midfoot == "lateral":
        crop[polygon([200, 200, 560, 560], [195, 252, 225, 160], crop.shape)] = 200
    elif midfoot == "whole":
        crop[polygon([190, 190, 560, 560], [45, 255, 228, 92], crop.shape)] = 200
    return crop


def test_the_hollow_border_of_a_drawn_print_says_its_configuration():
    arched = drawn_print("lateral")
    assert arch_asymmetry(arched) > ARCH_OVERRULES  # right-foot configuration: the left border hollow
    assert arch_asymmetry(arched[:, ::-1].copy()) < -ARCH_OVERRULES  # its mirror: a left foot's
    assert abs(arch_asymmetry(drawn_print("whole"))) < 0.1 * ARCH_MARGIN  # a flat foot says nothing
    assert np.isnan(arch_asymmetry(drawn_print("none")))  # no band to read
    assert np.isnan(arch_asymmetry(np.zeros((666, 300), np.uint8)))


class ReadingFinder:
    """The shipped finder with every foot's hallux reading replaced: `wrong` reads the other
    configuration, at hallux-side contrast `contrast`; `doubt` ("ends_guessed", "cut_by_edge")
    as if it had placed the toes or the heel without a response there, or found the print
    reaching the image's edge."""

    def __init__(self, contrast: float, wrong: bool = False, doubt: str | None = None):
        self.finder, self.contrast, self.wrong, self.doubt = FootFinder.bundled(), contrast, wrong, doubt

    def find(self, gray):
        feet = self.finder.find(gray)
        for foot in feet:
            foot.side_confidence = self.contrast
            if self.doubt:
                setattr(foot, self.doubt, True)
            if self.wrong:
                foot.configuration = mirror_side(foot.configuration)
        return feet


@pytest.fixture(scope="module")
def arched_page(tmp_path_factory):
    """(path, side) of a generated one-foot ink print with a plain arch (asymmetry 0.77 on its
    crop), read at 100 dpi."""
    data = generate_dataset(1, 13, n_broken=0, processes=1, mix={"ink_paper": 1.0, "a4": 1.0}, progress=False)
    row = data.images.iloc[0]
    path = tmp_path_factory.mktemp("arch") / "print.png"
    Image.open(io.BytesIO(data.files[row["image"]])).convert("L").reduce(3).save(path)
    return path, row["side"]


@pytest.mark.parametrize("wrong", [False, True])
def test_an_unsure_side_is_taken_from_a_plain_arch(arched_page, wrong):
    path, side = arched_page
    table = ScanPredictor(GeometricDetector(refine="none"), ReadingFinder(0.05, wrong)).predict_scan(path, dpi=100.0)
    assert len(table) == 8 and (table["side"] == side).all()
    assert (table["side_source"] == "detected, from the arch").all()
    assert "side from the print's arch" in table["warnings"].iloc[0]


def test_a_sure_hallux_reading_the_arch_plainly_contradicts_is_overruled(arched_page):
    path, side = arched_page
    table = ScanPredictor(GeometricDetector(refine="none"), ReadingFinder(0.3, wrong=True)).predict_scan(path, dpi=100.0)
    assert (table["side"] == side).all() and (table["side_source"] == "detected, from the arch").all()
    assert "the hallux reading (contrast 0.30) said the other" in table["warnings"].iloc[0]
    agreeing = ScanPredictor(GeometricDetector(refine="none"), ReadingFinder(0.3)).predict_scan(path, dpi=100.0)
    assert (agreeing["side"] == side).all() and (agreeing["side_source"] == "detected").all()


def test_the_arch_never_overrides_a_given_side(arched_page):
    path, side = arched_page
    other = mirror_side(side)
    table = ScanPredictor(GeometricDetector(refine="none"), ReadingFinder(0.05)).predict_scan(path, dpi=100.0, side=other)
    assert (table["side"] == other).all() and (table["side_source"] == "given").all()


@pytest.mark.parametrize("doubt", ["ends_guessed", "cut_by_edge"])
def test_no_arch_is_read_where_the_foot_may_be_upside_down_or_cut(arched_page, doubt):
    # upside down, an arch reads mirrored; cut by the image's edge, a border is the edge's: the
    # points decide instead
    path, _ = arched_page
    finder = ReadingFinder(0.05, doubt=doubt)
    table = ScanPredictor(GeometricDetector(refine="none"), finder).predict_scan(path, dpi=100.0)
    assert (table["side_source"] == "detected, both configurations tried").all()
