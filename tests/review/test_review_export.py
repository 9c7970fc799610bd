"""The review export: a prediction table -> a VIA 2.0.10 project and CSV (foot_landmarks.review.export)."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from review_tables import foot_rows

from foot_landmarks.io.via import parse_via_csv, parse_via_json
from foot_landmarks.review import via_files
from foot_landmarks.review.export import (
    PROJECT_NAME,
    file_attributes,
    format_predicted,
    needs_check,
    review_project,
    review_records,
    scan_order,
    write_review,
)


def _keys(tree: dict) -> dict:
    return {k: _keys(v) if isinstance(v, dict) else None for k, v in tree.items()}


def test_scans_come_least_confident_first_by_their_lowest_point() -> None:
    table = pd.concat([
        foot_rows("good.png", [0.9] * 8),
        foot_rows("one_bad_point.png", [0.95] * 7 + [0.1]),  # best mean, worst point: first
        foot_rows("all_fair.png", [0.5] * 8),
        foot_rows("all_fair_but_one.png", [0.5] * 7 + [0.9]),  # same lowest point, better mean
    ])
    assert scan_order(table) == ["one_bad_point.png", "all_fair.png", "all_fair_but_one.png", "good.png"]


def test_scan_without_confidence_comes_first() -> None:
    table = pd.concat([foot_rows("a.png", [0.2] * 8), foot_rows("b.png", [np.nan] + [0.9] * 7)])
    assert scan_order(table) == ["b.png", "a.png"]


def test_check_flag_on_low_confidence_and_flagged_points() -> None:
    table = foot_rows("a.png", [0.9, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9, np.nan])
    assert list(needs_check(table)) == [False, True, False, False, False, False, False, True]
    # a `flags` column (the lead's prediction flags): any true cell flags its point
    table["flags"] = ["", None, "toe numbering", "0", False, True, np.nan, ""]
    assert list(needs_check(table)) == [False, True, True, False, False, True, False, True]
    # low_confidence read back from a CSV as text
    table = table.assign(low_confidence=["False", "True"] + ["False"] * 6, flags="")
    assert list(needs_check(table))[:2] == [False, True]


def test_regions_carry_landmark_foot_confidence_check_and_the_prediction() -> None:
    table = foot_rows("sheet.png", [0.91] * 7 + [0.123], foot="left")
    records = review_records(table, {"sheet.png": "sheet.png"}, {"sheet.png": 1234})
    regions = records[0]["regions"]
    assert [r["region_attributes"]["landmark"] for r in regions] == [str(k) for k in range(1, 9)]
    first, last = regions[0], regions[-1]
    assert first == {
        "shape_attributes": {"name": "point", "cx": 60, "cy": 40},
        "region_attributes": {"landmark": "1", "foot": "left", "visible": "1", "confidence": "0.91",
                              "predicted": "1:60,40", "flags": ""},
    }
    assert last["region_attributes"]["confidence"] == "0.12"
    assert last["region_attributes"]["check"] == {"1": True}  # a ticked VIA checkbox
    assert last["region_attributes"]["flags"] == ""  # the table's `flags` column, empty: nothing flagged


def test_coordinates_keep_three_decimals_as_via_writes_them() -> None:
    assert format_predicted(3, 412.25, 88.0) == "3:412.25,88"
    assert format_predicted(8, 1.23456, 7.0004) == "8:1.235,7"
    table = foot_rows("a.png", [0.9] * 8, shift=(0.12345, 0.5))
    shape = review_records(table, {"a.png": "a.png"}, {"a.png": 1})[0]["regions"][0]["shape_attributes"]
    assert shape == {"name": "point", "cx": 60.123, "cy": 40.5}


def test_file_attributes_side_dpi_subject_view() -> None:
    # a table without the `warnings` column (read defensively: older tables lack it)
    one_foot = foot_rows("a.png", [0.9] * 8, side="right", dpi=300.0).drop(columns="warnings", errors="ignore")
    assert file_attributes(one_foot, None) == {"side": "right", "dpi": "300", "subject": "", "usable": "true",
                                               "view": "print"}
    # seen from below, the table's side is the print-view configuration: the foot is its mirror
    assert file_attributes(one_foot, "below")["side"] == "left"
    assert file_attributes(one_foot, "below")["view"] == "below"
    sheet = pd.concat([foot_rows("s.png", [0.9] * 8, foot="left", dpi=np.nan),
                       foot_rows("s.png", [0.9] * 8, foot="right", dpi=np.nan)])
    assert file_attributes(sheet, None)["side"] == ""  # each foot says its side in `foot`
    assert file_attributes(sheet, None)["dpi"] == ""
    sheet["warnings"] = ["", "page photographed"] + [""] * 13 + ["page photographed; blur"]
    sheet["subject"] = "P7"
    attributes = file_attributes(sheet, None)
    assert attributes["warnings"] == "page photographed; blur"
    assert attributes["subject"] == "P7"


def test_project_has_the_structure_via_project_load_needs(review_scans) -> None:
    scans, predictions = review_scans
    sizes = {p: os.path.getsize(p) for p in predictions["image"].unique()}
    project, _ = review_project(predictions, scans, sizes)
    # what via.js project_open_parse_json_file checks, and what project_save_confirmed writes
    assert list(project) == ["_via_settings", "_via_img_metadata", "_via_attributes", "_via_data_format_version",
                             "_via_image_id_list"]
    assert project["_via_data_format_version"] == "2.0.10"
    metadata = project["_via_img_metadata"]
    assert project["_via_image_id_list"] == list(metadata)
    for key, record in metadata.items():
        assert set(record) == {"filename", "size", "regions", "file_attributes"}
        assert key == f"{record['filename']}{record['size']}"  # VIA's file id: name + size
    assert [r["filename"] for r in metadata.values()] == ["a.png", "clinic2/b.png"]  # least confident first
    assert metadata[f"a.png{sizes[str(scans / 'a.png')]}"]["file_attributes"]["dpi"] == "254"
    # settings: only the keys VIA has (Project > Load copies them key by key), the image folder
    # with its trailing separator (VIA joins it to each file name) and points labelled by number
    settings = project["_via_settings"]
    assert _keys(settings) == _keys(via_files.DEFAULT_SETTINGS)
    assert settings["core"]["default_filepath"] == str(scans) + os.sep
    assert settings["project"]["name"] == PROJECT_NAME
    assert settings["ui"]["image"]["region_label"] == "landmark"
    attributes = project["_via_attributes"]
    assert set(attributes["region"]) == {"landmark", "foot", "visible", "confidence", "check", "predicted", "flags"}
    assert set(attributes["file"]) - {"warnings"} == {"side", "dpi", "subject", "usable", "view"}
    assert attributes["region"]["landmark"]["type"] == "dropdown"
    assert list(attributes["region"]["landmark"]["options"]) == [str(k) for k in range(1, 9)]
    check = attributes["region"]["check"]
    assert (check["type"], check["options"], check["default_options"]) == ("checkbox", {"1": "check"}, {})
    assert attributes["region"]["confidence"]["type"] == "text"
    json.loads(via_files.to_json(project))  # plain JSON, no NaN


def test_warnings_and_flags_columns_become_attributes(review_scans) -> None:
    scans, predictions = review_scans
    predictions = predictions.assign(warnings="", flags="")
    predictions.loc[3, "flags"] = "toe numbering"
    sizes = dict.fromkeys(predictions["image"].unique(), 10)
    project, _ = review_project(predictions, scans, sizes)
    assert "warnings" in project["_via_attributes"]["file"]
    assert "flags" in project["_via_attributes"]["region"]
    record = next(iter(project["_via_img_metadata"].values()))
    assert record["regions"][3]["region_attributes"]["flags"] == "toe numbering"
    assert record["regions"][3]["region_attributes"]["check"] == {"1": True}
    assert record["file_attributes"]["warnings"] == ""


def test_csv_is_laid_out_as_via_exports_it() -> None:
    records = [
        {"filename": "a b.png", "size": 12, "file_attributes": {"side": "left"},
         "regions": [{"shape_attributes": {"name": "point", "cx": 1.5, "cy": 2},
                      "region_attributes": {"landmark": "1", "check": {"1": True}}}]},
        {"filename": "c.png", "size": 7, "file_attributes": {}, "regions": []},
    ]
    assert via_files.format_csv(records) == (
        "filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n"
        'a b.png,12,"{""side"":""left""}",1,0,"{""name"":""point"",""cx"":1.5,""cy"":2}",'
        '"{""landmark"":""1"",""check"":{""1"":true}}"\n'
        'c.png,7,"{}",0,0,"{}","{}"'
    )


def test_written_review_reads_back_with_the_project_parser(review_scans, tmp_path) -> None:
    scans, predictions = review_scans
    project_path, csv_path = write_review(predictions, tmp_path / "review")
    for annotations in (parse_via_json(project_path.read_text()), parse_via_csv(csv_path.read_text())):
        assert annotations.problems == []
        assert list(annotations.images["image"]) == ["a.png", "clinic2/b.png"]
        points = annotations.points.sort_values(["image", "landmark"])
        want = predictions.assign(image=["a.png"] * 8 + ["clinic2/b.png"] * 8).sort_values(["image", "landmark"])
        assert np.array_equal(points[["x", "y"]].to_numpy(), want[["x_px", "y_px"]].to_numpy())
        assert list(annotations.images["side"]) == ["right", "left"]


def test_empty_prediction_table_is_refused(tmp_path) -> None:
    empty = foot_rows("a.png", [0.9] * 8).iloc[:0]
    with pytest.raises(ValueError, match="no predicted landmarks"):
        write_review(empty, tmp_path / "review")
