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


def _truth_length_mm(pts, dpi):
    axis = (pts[1] - pts[7]) / np.linalg.norm(pts[1] - pts[7])
    return float(max((pts[k] - pts[7]) @ axis for k in range(5))) * 25.4 / dpi


def test_lengths_within_1mm_of_truth(scans):
    for path, pts, dpi, attrs in scans:
        pm = print_mask(path, dpi)
        m = measurements(pts, dpi, pm.mask, pm.mask_to_px)
        assert abs(m["foot_length_mm"] - _truth_length_mm(pts, dpi)) < 1.0
        assert abs(m["forefoot_width_mm"] - np.linalg.norm(pts[5] - pts[6]) * 25.4 / dpi) < 1.0
        # The generator's foot_length_mm is the template's heel-to-farthest-tip length; the
        # ground-truth points sit on the rasterised ink edge (edge noise, pixel grid): report it.
        diff = m["foot_length_mm"] - float(attrs["foot_length_mm"])
        print(f"{path.name}: {dpi:g} dpi, length {m['foot_length_mm']:.1f} mm, generator {attrs['foot_length_mm']} "
              f"(diff {diff:+.1f} mm), heel {m['heel_width_mm']:.1f}, forefoot {m['forefoot_width_mm']:.1f}")
        assert abs(diff) < 3 * 25.4 / dpi + 1.5
        assert 0.45 < m["heel_width_mm"] / m["forefoot_width_mm"] < 0.85


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
