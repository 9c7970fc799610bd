"""The VIA reader on exports written by VIA itself (../shared/data/via_exports), a round trip, and
broken files: each a one-line ViaFormatError naming the file, or a problem naming the file and
row while the rest of the file is read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from foot_landmarks.io.via import VIA_CSV_COLUMNS, ViaFormatError, read_via, write_via

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from prerequisites import missing  # noqa: E402

VIA_EXPORTS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "via_exports"


def _export(name: str) -> Path:
    if not VIA_EXPORTS.is_dir():
        missing(f"real VIA exports not found at {VIA_EXPORTS} (../shared is absent)")
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


HEADER = ",".join(VIA_CSV_COLUMNS)


def _row(image: str, landmark: int, shape: str | None = None, region: str | None = None) -> str:
    """One VIA CSV row of a point region; `shape` / `region` replace its JSON cells when given."""
    shape = shape if shape is not None else json.dumps({"name": "point", "cx": 10 + landmark, "cy": 20})
    region = region if region is not None else json.dumps({"landmark": str(landmark)})
    cells = [image, "100", json.dumps({"side": "left"}), "8", str(landmark - 1), shape, region]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "via_annotations.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_an_empty_file_is_one_line_naming_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"via{suffix}"
    path.write_text("")
    with pytest.raises(ViaFormatError) as error:
        read_via(path)
    assert str(error.value) == f"{path}: empty file, not a VIA {'CSV' if suffix == '.csv' else 'JSON'} export"


def test_a_header_without_the_via_columns_names_what_is_missing(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["filename,file_size,region_shape_attributes", '"a.jpg",1,"{}"'])
    with pytest.raises(ViaFormatError) as error:
        read_via(path)
    message = str(error.value)
    assert message.startswith(f"{path}: not a VIA CSV export, header lacks file_attributes, region_count")
    assert "\n" not in message


def test_broken_json_in_one_row_is_a_problem_of_that_row_and_the_rest_is_read(tmp_path: Path) -> None:
    rows = [_row("a.jpg", k) for k in range(1, 9)]
    rows[3] = _row("a.jpg", 4, region='{"landmark": "4"')  # the closing brace lost
    rows += [_row("b.jpg", k) for k in range(1, 9)]
    via = read_via(_csv(tmp_path, [HEADER, *rows]))
    assert via.problems == [("a.jpg", f"{tmp_path / 'via_annotations.csv'} line 5: region_attributes is not valid "
                                      "JSON (Expecting ',' delimiter)")]
    assert sorted(via.points.groupby("image").size().items()) == [("a.jpg", 7), ("b.jpg", 8)]


@pytest.mark.parametrize("cell", ["shape", "region"])
def test_a_csv_cell_that_is_json_but_not_an_object_is_a_problem_of_its_row(tmp_path: Path, cell: str) -> None:
    rows = [_row("a.jpg", k) for k in range(1, 9)]
    rows[0] = _row("a.jpg", 1, **{cell: "[1, 2]"})
    via = read_via(_csv(tmp_path, [HEADER, *rows]))
    name = "region_shape_attributes" if cell == "shape" else "region_attributes"
    assert via.problems == [("a.jpg", f"{tmp_path / 'via_annotations.csv'} line 2: {name} is not a JSON object")]
    assert len(via.points) == 7


def _json_export(tmp_path: Path, regions) -> Path:
    good = [{"shape_attributes": {"name": "point", "cx": 1 + k, "cy": 2}, "region_attributes": {"landmark": str(k)}}
            for k in range(1, 9)]
    data = {"a.jpg100": {"filename": "a.jpg", "size": 100, "file_attributes": {}, "regions": regions},
            "b.jpg100": {"filename": "b.jpg", "size": 100, "file_attributes": {}, "regions": good}}
    path = tmp_path / "via_project.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "region, problem",
    [
        ("a string", "region is not a JSON object: 'a string'"),
        ({"shape_attributes": [1], "region_attributes": {}}, "shape_attributes is not a JSON object: [1]"),
        ({"shape_attributes": {"name": "point", "cx": 1, "cy": 1}, "region_attributes": "1"},
         "region_attributes is not a JSON object: '1'"),
    ],
)
def test_a_json_region_that_is_not_an_object_is_a_problem_not_a_crash(tmp_path: Path, region, problem) -> None:
    path = _json_export(tmp_path, [region])
    via = read_via(path)
    assert via.problems == [("a.jpg", f"{path}: 'a.jpg' region 0: {problem}")]
    assert list(via.points["image"].unique()) == ["b.jpg"] and len(via.points) == 8


def test_json_regions_or_file_attributes_of_the_wrong_type_are_problems(tmp_path: Path) -> None:
    path = _json_export(tmp_path, "not a list")
    via = read_via(path)
    assert via.problems == [("a.jpg", f"{path}: 'a.jpg': regions is neither a list nor an object")]
    data = json.loads(path.read_text())
    data["a.jpg100"].update(regions=[], file_attributes=["side", "left"])
    path.write_text(json.dumps(data))
    assert read_via(path).problems == [("a.jpg", f"{path}: 'a.jpg': file_attributes is not a JSON object")]
