"""The side: the one given always wins; a side the page stage cannot read still gives 8 points,
flagged, the configuration chosen by how well the points agree with a foot."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from stand_ins import GeometricDetector

from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.inference import (
    REDECODED_TOE,
    ScanPredictor,
    configuration_score,
    flag_doubtful_foot,
    toe_order_agrees,
)
from foot_landmarks.synthetic.generate import generate_dataset


class UnsureFinder:
    """The shipped finder, made unsure of every foot's side (its hallux-side contrast zeroed)."""

    def __init__(self):
        self.finder = FootFinder.bundled()

    def find(self, gray):
        feet = self.finder.find(gray)
        for foot in feet:
            foot.side_confidence = 0.0
        return feet


@pytest.fixture(scope="module")
def ink_page(tmp_path_factory):
    """(path, side) of a generated one-foot ink print read at 100 dpi. Its midfoot prints nearly
    whole (arch asymmetry -0.03), so the arch leaves an unread side to the points
    (tests/test_arch_side.py has the arch's own cases)."""
    data = generate_dataset(1, 5, n_broken=0, processes=1, mix={"ink_paper": 1.0, "a4": 1.0}, progress=False)
    row = data.images.iloc[0]
    page = Image.open(io.BytesIO(data.files[row["image"]])).convert("L").reduce(3)
    path = tmp_path_factory.mktemp("side") / "print.png"
    page.save(path)
    return path, row["side"]


@pytest.mark.parametrize("given", ["left", "right"])
def test_a_given_side_is_never_overridden(ink_page, given):
    path, _ = ink_page
    table = ScanPredictor(GeometricDetector(refine="none")).predict_scan(path, dpi=100.0, side=given)
    assert len(table) == 8 and (table["side"] == given).all() and (table["side_source"] == "given").all()


def test_an_unreadable_side_still_gives_eight_points_and_a_flag(ink_page):
    path, side = ink_page
    table = ScanPredictor(GeometricDetector(refine="none"), UnsureFinder()).predict_scan(path, dpi=100.0)
    assert len(table) == 8 and table[["x_px", "y_px"]].notna().all().all()
    warnings = table["warnings"].iloc[0]
    assert "side uncertain" in warnings and "both configurations" in warnings
    assert table["side_source"].str.contains("both configurations tried").all()
    assert (table["side"] == side).all()  # the configuration whose points agree with a foot: the true one
    assert table["low_confidence"].all()  # a side chosen between two readings is a guess: every point flagged


def test_the_configuration_score_prefers_toes_in_medial_to_lateral_order():
    in_order = np.array([[10, 5], [20, 6], [30, 8], [40, 10], [50, 14], [5, 40], [55, 45], [30, 120]], float)
    mirrored = in_order.copy()
    mirrored[:5, 0] = in_order[:5, 0][::-1]
    assert toe_order_agrees(in_order) and not toe_order_agrees(mirrored)
    assert configuration_score(in_order, np.full(8, 0.5)) > configuration_score(mirrored, np.full(8, 0.6))


class WeakDetector(GeometricDetector):
    """The geometric stand-in, with weak heatmaps (confidence 0.1) for its first `weak` points
    and strong ones (0.9) for the rest."""

    def __init__(self, weak: int):
        super().__init__(refine="none")
        self.weak = weak

    def predict(self, images):
        points, _ = super().predict(images)
        confidence = np.full((len(images), 8), 0.9)
        confidence[:, : self.weak] = 0.1
        return points, confidence


def test_a_foot_with_most_points_unsure_has_every_point_flagged(ink_page):
    path, side = ink_page
    table = ScanPredictor(WeakDetector(weak=6)).predict_scan(path, dpi=100.0, side=side)
    assert len(table) == 8 and table[["x_px", "y_px"]].notna().all().all()
    assert table["low_confidence"].all()  # 6 weak points: the two strong ones are doubtful too
    assert "most points unsure" in table["warnings"].iloc[0]
    sure = ScanPredictor(WeakDetector(weak=0)).predict_scan(path, dpi=100.0, side=side)
    assert not sure["low_confidence"].any() and "most points unsure" not in sure["warnings"].iloc[0]


class JointToesDetector(GeometricDetector):
    """The geometric stand-in, reporting toes 4 and 5 as decoded jointly (foot_landmarks.toe_order)."""

    def predict_points(self, images):
        decoded = super().predict_points(images)
        redecoded = np.zeros(decoded.confidence.shape, bool)
        redecoded[:, 3:5] = True
        return decoded._replace(redecoded=redecoded)


def test_toe_points_decoded_jointly_are_flagged_for_review(ink_page):
    path, side = ink_page
    table = ScanPredictor(JointToesDetector()).predict_scan(path, dpi=100.0, side=side).set_index("landmark")
    assert table.loc[[4, 5], "low_confidence"].all() and (table.loc[[4, 5], "flags"] != "").all()
    assert REDECODED_TOE in set(table.loc[[4, 5], "flags"])
    plain = ScanPredictor(GeometricDetector()).predict_scan(path, dpi=100.0, side=side)
    assert REDECODED_TOE not in set(plain["flags"])


def test_an_unread_side_whose_toes_disagree_with_the_configuration_kept_flags_the_whole_foot(ink_page):
    path, _ = ink_page
    table = ScanPredictor(JointToesDetector(refine="none"), UnsureFinder()).predict_scan(path, dpi=100.0)
    assert table["low_confidence"].all() and "check the whole foot" in table["warnings"].iloc[0]
    sure_side = ScanPredictor(JointToesDetector(refine="none")).predict_scan(path, dpi=100.0)
    assert "disagree with the configuration" not in sure_side["warnings"].iloc[0]


def test_a_foot_is_doubtful_as_a_whole_from_half_of_its_points_on():
    def flagged(n_low):
        return flag_doubtful_foot(np.arange(8) < n_low)

    assert flagged(3)[0].sum() == 3 and flagged(3)[1] is None
    assert flagged(4)[0].all() and "most points unsure" in flagged(4)[1]
    assert flagged(8)[0].all() and flagged(8)[1] is None  # every point already flagged: nothing to add
