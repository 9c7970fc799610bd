"""Measurements against generator ground truth (points, dpi, foot_length_mm)."""

from __future__ import annotations

import numpy as np
import pytest

from foot_landmarks.clinical import measurements, print_mask
from foot_landmarks.clinical.measurements import axis_angle_deg, foot_frame, foot_length_px
from foot_landmarks.synthetic import generate_dataset


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    ds = generate_dataset(2, 7, n_broken=0, processes=1, mix={"lowres": 1.0}, progress=False)
    out = tmp_path_factory.mktemp("scans")
    rows = []
    for name, data in ds.files.items():
        (out / name).write_bytes(data)
        attrs = ds.images.set_index("image").loc[name, "attributes"]
        pts = ds.points[ds.points.image == name].sort_values("landmark")[["x", "y"]].to_numpy(float)
        rows.append((out / name, pts, float(attrs["dpi"]), attrs))
    return rows


PRINTS = [("ink_paper", "right", 1), ("ink_paper", "left", 2), ("bare_sole", "right", 4), ("ink_paper", "left", 5),
          ("ink_paper", "right", 6)]  # 75-300 dpi, both sides, an ink print and a bare sole


@pytest.fixture(scope="module", params=PRINTS, ids=lambda p: f"{p[0]}-{p[1]}-{p[2]}")
def rendered(request, tmp_path_factory):
    """(scan path, truth points, dpi, the generator's foot_length_mm, its contact mask) of one
    generated print: the mask is what touched the paper, drawn by the generator itself."""
    from foot_landmarks.synthetic.generate import render_sample
    from foot_landmarks.synthetic.scene import PrintSpec

    look, side, index = request.param
    sample = render_sample(PrintSpec(7, index, index, side, 1, False, look, (("lowres", 1.0),)), debug=True)
    path = tmp_path_factory.mktemp("prints") / sample.filename
    path.write_bytes(sample.data)
    attributes = sample.attributes
    return path, sample.points, float(attributes["dpi"]), float(attributes["foot_length_mm"]), sample.debug["mask"]


def _contact_truth(mask: np.ndarray, points: np.ndarray) -> dict[str, float]:
    """Length and widths (px) of the generator's contact mask in the foot frame of the axis 8 -> 2:
    its extent along the axis; the extent across it in the one-pixel slice a sixth of that length
    from the heel; the distance between its most medial and most lateral pixels in the ball (55-85 %
    of the length; the middle of a flat run, LANDMARKS.md)."""
    from foot_landmarks.extremes import flat_run_extreme

    frame = foot_frame(points)
    rows, cols = np.nonzero(mask)
    xy = np.column_stack([cols, rows]).astype(float)
    st = frame.to_foot(xy)
    heel = st[:, 0].min()
    length = st[:, 0].max() - heel
    at = np.abs(st[:, 0] - heel - length / 6) <= 0.5
    ball = (st[:, 0] - heel > 0.55 * length) & (st[:, 0] - heel < 0.85 * length)
    medial, lateral = flat_run_extreme(xy[ball], -frame.v), flat_run_extreme(xy[ball], frame.v)
    return {"length": length, "heel_width": st[at, 1].max() - st[at, 1].min() + 1.0,
            "forefoot_width": float(np.hypot(*(lateral - medial)))}


def test_lengths_and_widths_match_the_generators_print(rendered):
    path, pts, dpi, template_length_mm, contact = rendered
    mm = 25.4 / dpi
    pm = print_mask(path, dpi)
    m = measurements(pts, dpi, pm.mask, pm.mask_to_px)
    truth = _contact_truth(contact, pts)
    # the points are pixel centres of the print's extreme pixels, the truth the extent of the same
    # pixels: within a pixel
    assert abs(m["foot_length_mm"] - truth["length"] * mm) < mm
    assert abs(m["forefoot_width_mm"] - truth["forefoot_width"] * mm) < mm
    # the heel width is measured on the print segmented from the scan (blur, JPEG, threshold)
    assert abs(m["heel_width_mm"] - truth["heel_width"] * mm) < 1.0
    # The generator's foot_length_mm is its template's heel-to-farthest-tip length; the print
    # reaches a little beyond the template's outline (0.03-0.98 % on these prints), never short.
    excess = (m["foot_length_mm"] - template_length_mm) / template_length_mm
    assert -mm / template_length_mm <= excess < 0.015, f"{path.name}: {excess:+.2%} of the template length"


def test_axis_angle_and_toe_positions():
    pts = np.array([[-25, -250], [0, -255], [15, -250], [33, -243], [50, -235], [-45, -180], [55, -170], [0, 0.0]])
    m = measurements(pts, 25.4)  # 1 px = 1 mm
    assert m["axis_angle_deg"] == pytest.approx(0.0)
    assert m["foot_length_mm"] == pytest.approx(255.0)
    assert m["toe2_along_mm"] == pytest.approx(255.0) and m["toe2_across_mm"] == pytest.approx(0.0)
    assert m["toe5_across_mm"] == pytest.approx(50.0) and m["toe1_across_mm"] == pytest.approx(-25.0)
    assert np.isnan(m["heel_width_mm"])  # no mask given
    c, s = np.cos(np.deg2rad(10)), np.sin(np.deg2rad(10))
    turned = pts @ np.array([[c, s], [-s, c]])  # turned clockwise on screen (y down) by 10 deg
    assert axis_angle_deg(turned) == pytest.approx(10.0)
    assert foot_length_px(turned) == pytest.approx(255.0)
    mirrored = pts * [-1, 1]  # a left foot: lateral is still + across
    assert measurements(mirrored, 25.4)["toe5_across_mm"] == pytest.approx(50.0)
    assert np.allclose(foot_frame(mirrored).v, [-1, 0])
    assert np.isnan(measurements(pts, None)["foot_length_mm"])


def test_a_bright_sole_on_a_dark_plate_is_measured_like_its_ink_print(scans, tmp_path):
    # The same print as a glass-plate scan (bright on dark, seen from below = mirrored): the
    # clinical mask is the sole, not the dark plate around it (before session 6 it was the plate:
    # heel width = the page's width)
    from PIL import Image

    path, pts, dpi, _ = scans[0]
    with Image.open(path) as img:
        ink = np.asarray(img.convert("L"))
    below = tmp_path / "below.png"
    Image.fromarray(255 - ink[:, ::-1]).save(below, dpi=(dpi, dpi))
    mirrored = pts.copy()
    mirrored[:, 0] = ink.shape[1] - 1 - mirrored[:, 0]
    as_ink, as_skin = print_mask(path, dpi), print_mask(below, dpi)
    assert abs(int(as_skin.mask.sum()) - int(as_ink.mask.sum())) < 0.03 * as_ink.mask.sum()
    heel_ink = measurements(pts, dpi, as_ink.mask, as_ink.mask_to_px)["heel_width_mm"]
    heel_skin = measurements(mirrored, dpi, as_skin.mask, as_skin.mask_to_px)["heel_width_mm"]
    assert abs(heel_skin - heel_ink) < 1.0
