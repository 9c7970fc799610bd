"""The VIA reader on exports written by VIA itself (../shared/data/via_exports) and a round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from foot_landmarks.io.via import read_via, write_via

VIA_EXPORTS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "via_exports"


def _export(name: str) -> Path:
    if not VIA_EXPORTS.is_dir():
        pytest.skip(f"real VIA exports not found at {VIA_EXPORTS} (../shared is absent)")
    return VIA_EXPORTS / name


@pytest.mark.parametrize("name", ["via1_unit_test_annotation1.csv", "via1_unit_test_annotation2.json"])
def test_via1_exports_read_without_crash_and_report_other_shapes(name: str) -> None:
    via = read_via(_export(name))
    assert "test_pattern_qbist.jpg" in set(via.images["image"])
    assert via.points.empty  # their points carry no landmark number 1-8
    problems = " ".join(p for _, p in via.problems)
    assert "region shape 'ellipse' is not a point" in problems and "region shape 'rect' is not a point" in problems
    assert "no landmark number 1-8" in problems


def test_via2_export_strips_image_prefix_and_reports_rectangles() -> None:
    via = read_via(_export("via2_sherlock_tracks_head40.csv"))
    assert via.images["image"].iloc[0] == "images/00011384.jpg"
    assert len(via.problems) == len(via.images) and via.points.empty
    assert via.images["attributes"].iloc[0] == {"shot": 123}


def test_point_regions_round_trip(tmp_path: Path) -> None:
    images = pd.DataFrame([{"image": "a.jpg", "file_size": 10, "side": "left", "subject": "s1", "dpi": 300.0,
                            "source": "scan", "usable": True, "attributes": {"side": "left"}}])
    points = pd.DataFrame({"image": "a.jpg", "landmark": range(1, 9), "x": [i + 0.25 for i in range(8)],
                           "y": [2.5 * i for i in range(8)], "visible": [1] * 7 + [0], "foot": ""})
    for suffix in (".csv", ".json"):
        via = read_via(write_via(images, points, tmp_path / f"via{suffix}"))
        assert via.problems == []
        pd.testing.assert_frame_equal(via.points, points, check_dtype=False)
        assert via.images.loc[0, ["side", "subject", "dpi"]].tolist() == ["left", "s1", 300.0]
