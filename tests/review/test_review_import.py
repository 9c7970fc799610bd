"""import-review: VIA's export of a corrected review -> data/01_raw/NAME + what the review changed.

The reviewer's edits are made on the project as VIA holds it (the saved JSON) and written in
VIA's own layouts (tests/browser/test_review_in_via.py shows the real VIA writes the same).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from cli_errors import cli_error_line

from foot_landmarks.command_line import main
from foot_landmarks.io.via import read_via
from foot_landmarks.pipelines.data_processing.nodes import collect_annotations
from foot_landmarks.review import via_files
from foot_landmarks.review.export import write_review
from foot_landmarks.review.summary import point_moves, summary_by_landmark


def _review(predictions, folder):
    """The review project as VIA loads it (a dict) and the review folder."""
    project_path, _ = write_review(predictions, folder)
    return json.loads(project_path.read_text()), folder


def _region(project, filename: str, landmark: int) -> dict:
    record = next(r for r in project["_via_img_metadata"].values() if r["filename"] == filename)
    return next(g for g in record["regions"] if g["region_attributes"].get("landmark") == str(landmark))


def _move(project, filename: str, landmark: int, dx: float, dy: float) -> None:
    """What a drag in VIA does: the point's image coordinates move by whole pixels."""
    shape = _region(project, filename, landmark)["shape_attributes"]
    shape["cx"], shape["cy"] = shape["cx"] + dx, shape["cy"] + dy


def _save_project(project, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(via_files.to_json(project), encoding="utf-8")  # Project > Save
    return path


def _export_csv(project, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [project["_via_img_metadata"][key] for key in project["_via_image_id_list"]]
    path.write_text(via_files.format_csv(records), encoding="utf-8")  # Annotation > Export (csv)
    return path


def _import(export, data_root, *extra) -> int:
    return main(["import-review", str(export), "--name", "clinic", "--data-root", str(data_root), *extra])


def test_unchanged_review_round_trips_into_a_data_set_data_processing_reads(review_scans, tmp_path, capsys) -> None:
    scans, predictions = review_scans
    _, review = _review(predictions, tmp_path / "review")
    data_root = tmp_path / "01_raw"
    # the review's own CSV: its images are found through the project beside it
    assert _import(review / "via_annotations.csv", data_root) == 0
    dataset = data_root / "clinic"
    for name in ("a.png", "clinic2/b.png"):
        assert (dataset / "images" / name).read_bytes() == (scans / name).read_bytes()

    via = read_via(dataset / "via_annotations.csv")
    assert via.problems == []
    got = via.points.sort_values(["image", "landmark"])
    assert list(got["image"]) == ["a.png"] * 8 + ["clinic2/b.png"] * 8
    assert np.array_equal(got[["x", "y"]].to_numpy(), predictions[["x_px", "y_px"]].to_numpy())
    assert list(via.images["side"]) == ["right", "left"]
    assert via.images["dpi"].iloc[0] == 254.0 and np.isnan(via.images["dpi"].iloc[1])
    assert all(a.get("view") == "print" for a in via.images["attributes"])

    # data processing reads it like any other data set under data/01_raw
    annotations, points, rejected = collect_annotations(
        {"clinic/via_annotations.csv": lambda: read_via(dataset / "via_annotations.csv")},
        ["via_annotations.csv", "via_project.json"],
    )
    assert sorted(annotations["image"]) == ["a.png", "clinic2/b.png"]
    assert len(points) == 16 and rejected.empty

    summary = pd.read_csv(dataset / "review_summary.csv")
    assert list(summary["landmark"]) == [str(k) for k in range(1, 9)] + ["all"]
    assert summary["moved"].sum() == 0 and (summary["max_px"] == 0).all()
    assert "wrote" in capsys.readouterr().out


def test_moved_points_summary_matches_hand_computed_values(review_scans, tmp_path, capsys) -> None:
    _, predictions = review_scans
    project, _ = _review(predictions, tmp_path / "review")
    _move(project, "a.png", 6, 3, 4)  # 5 px; a: 254 dpi -> 0.5 mm; foot 200 px -> 2.5 %
    _move(project, "clinic2/b.png", 6, 6, 8)  # 10 px; b: no dpi; 5 %
    # Project > Save into another folder: the project names the image folder itself
    export = _save_project(project, tmp_path / "downloads" / "foot_landmarks_review.json")
    assert _import(export, tmp_path / "01_raw") == 0

    summary = pd.read_csv(tmp_path / "01_raw" / "clinic" / "review_summary.csv").set_index("landmark")
    six, total = summary.loc["6"], summary.loc["all"]
    assert (six["points"], six["moved"], six["added"], six["missing"]) == (2, 2, 0, 0)
    assert six[["mean_px", "median_px", "max_px"]].tolist() == pytest.approx([7.5, 7.5, 10.0], abs=1e-3)
    assert six[["mean_mm", "median_mm", "max_mm"]].tolist() == pytest.approx([0.5, 0.5, 0.5], abs=1e-3)
    assert six[["mean_pct_foot", "median_pct_foot", "max_pct_foot"]].tolist() == pytest.approx([3.75, 3.75, 5.0],
                                                                                              abs=1e-3)
    assert (total["points"], total["moved"]) == (16, 2)
    assert total[["mean_px", "median_px", "max_px"]].tolist() == pytest.approx([15 / 16, 0.0, 10.0], abs=1e-3)
    assert total["mean_mm"] == pytest.approx(0.5 / 8, abs=1e-3)  # mm only on a (8 points)
    assert total["mean_pct_foot"] == pytest.approx(7.5 / 16, abs=1e-3)
    assert summary.drop(index=["6", "all"])["max_px"].eq(0).all()

    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["6"])
    assert row[:5] == ["6", "2", "2", "0", "0"] and row[5:8] == ["7.50", "7.50", "10.00"]
    points = read_via(tmp_path / "01_raw" / "clinic" / "via_annotations.csv").points.set_index(["image", "landmark"])
    assert tuple(points.loc[("a.png", 6), ["x", "y"]]) == (53.0, 114.0)


def test_renumbered_and_hand_drawn_points(review_scans, tmp_path) -> None:
    """A label swap compares each point with the prediction of its new number; a point drawn by
    hand (no `predicted`) counts as added."""
    _, predictions = review_scans
    project, _ = _review(predictions, tmp_path / "review")
    two, three = _region(project, "a.png", 2), _region(project, "a.png", 3)
    two["region_attributes"]["landmark"], three["region_attributes"]["landmark"] = "3", "2"
    record = next(r for r in project["_via_img_metadata"].values() if r["filename"] == "clinic2/b.png")
    record["regions"] = [g for g in record["regions"] if g["region_attributes"]["landmark"] != "5"]
    record["regions"].append({"shape_attributes": {"name": "point", "cx": 131, "cy": 103},
                              "region_attributes": {"landmark": "5", "predicted": ""}})
    export = _export_csv(project, tmp_path / "review" / "foot_landmarks_review_csv.csv")
    assert _import(export, tmp_path / "01_raw") == 0

    summary = pd.read_csv(tmp_path / "01_raw" / "clinic" / "review_summary.csv").set_index("landmark")
    swapped = np.hypot(95 - 80, 60 - 50)  # FOOT's points 3 and 2
    assert summary.loc["2", "max_px"] == pytest.approx(swapped, abs=1e-3)
    assert summary.loc["3", "max_px"] == pytest.approx(swapped, abs=1e-3)
    assert (summary.loc["5", "points"], summary.loc["5", "added"]) == (1, 1)


def test_via_json_annotation_export_is_read_too(review_scans, tmp_path) -> None:
    """Annotation > Export Annotations (as json): the file records without the project around them."""
    _, predictions = review_scans
    project, review = _review(predictions, tmp_path / "review")
    _move(project, "clinic2/b.png", 1, -2, 0)
    export = review / "foot_landmarks_review_json.json"
    export.write_text(via_files.to_json(project["_via_img_metadata"]), encoding="utf-8")
    assert _import(export, tmp_path / "01_raw") == 0
    summary = pd.read_csv(tmp_path / "01_raw" / "clinic" / "review_summary.csv").set_index("landmark")
    assert (summary.loc["1", "moved"], summary.loc["1", "max_px"]) == (1, 2.0)
    assert summary.loc["1", "max_pct_foot"] == pytest.approx(1.0, abs=1e-3)  # of a 200 px foot


def test_summary_counts_predictions_left_without_a_point() -> None:
    predicted = pd.DataFrame({"image": ["a"] * 2, "foot": [""] * 2, "landmark": [6, 7], "x": [0.0, 1.0],
                              "y": [0.0, 1.0]})
    points = predicted.iloc[:1].assign(x=3.0, y=4.0)
    summary = summary_by_landmark(point_moves(points, predicted, pd.Series({"a": 254.0})))
    assert summary.loc[5, ["points", "moved", "missing", "max_px", "max_mm"]].tolist() == [1, 1, 0, 5.0, 0.5]
    assert summary.loc[6, ["points", "missing"]].tolist() == [0, 1]
    assert np.isnan(summary.loc[6, "mean_px"]) and np.isnan(summary.loc[5, "max_pct_foot"])  # no heel


def test_data_set_holds_the_project_format_only(review_scans, tmp_path) -> None:
    _, predictions = review_scans
    predictions = predictions.assign(warnings="blurred", flags="")
    project, _ = _review(predictions, tmp_path / "review")
    _region(project, "a.png", 5)["region_attributes"]["visible"] = "0"  # the reviewer: no print of toe 5
    export = _save_project(project, tmp_path / "review" / "saved.json")
    assert _import(export, tmp_path / "01_raw") == 0
    text = (tmp_path / "01_raw" / "clinic" / "via_annotations.csv").read_text()
    for review_only in ("confidence", "predicted", "check", "flags", "warnings"):
        assert review_only not in text
    points = read_via(tmp_path / "01_raw" / "clinic" / "via_annotations.csv").points.set_index(["image", "landmark"])
    assert points.loc[("a.png", 5), "visible"] == 0 and points["visible"].sum() == 15


def test_existing_data_set_is_replaced_only_with_force(review_scans, tmp_path, capsys) -> None:
    _, predictions = review_scans
    _, review = _review(predictions, tmp_path / "review")
    export, data_root = review / "via_annotations.csv", tmp_path / "01_raw"
    assert _import(export, data_root) == 0
    stale = data_root / "clinic" / "images" / "stale.png"
    stale.write_bytes(b"old")
    capsys.readouterr()
    assert _import(export, data_root) == 2
    assert "already holds a data set; pass --force" in cli_error_line(capsys)
    assert stale.exists()
    assert _import(export, data_root, "--force") == 0
    assert not stale.exists() and (data_root / "clinic" / "images" / "a.png").exists()


def test_csv_export_elsewhere_needs_images_folder(review_scans, tmp_path, capsys) -> None:
    scans, predictions = review_scans
    _, review = _review(predictions, tmp_path / "review")
    export = tmp_path / "downloads" / "foot_landmarks_review_csv.csv"
    export.parent.mkdir()
    shutil.copy(review / "via_annotations.csv", export)
    assert _import(export, tmp_path / "01_raw") == 2
    line = cli_error_line(capsys)
    assert str(export) in line and "2 of 2 images not found" in line and "--images" in line
    assert not (tmp_path / "01_raw" / "clinic").exists()
    assert _import(export, tmp_path / "01_raw", "--images", str(scans)) == 0


BAD_EXPORTS = {
    "missing": (None, "no such file"),
    "broken.json": ('{"_via_img_metadata": {"a.png1": {', "not valid JSON"),
    "not_via.csv": ("name,x,y\na.png,1,2\n", "not a VIA CSV export"),
    "list.json": ('{"_via_img_metadata": [1, 2]}', "not a VIA"),
    "rect_only.csv": (
        "filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n"
        'a.png,10,"{}",1,0,"{""name"":""rect"",""x"":1,""y"":2,""width"":3,""height"":4}","{}"',
        "no point regions",
    ),
}


@pytest.mark.parametrize("name", list(BAD_EXPORTS))
def test_bad_export_is_one_line_exit_2(name, tmp_path, capsys) -> None:
    text, problem = BAD_EXPORTS[name]
    export = tmp_path / name
    if text is not None:
        export.write_text(text)
    assert _import(export, tmp_path / "01_raw") == 2
    line = cli_error_line(capsys)
    assert str(export) in line and problem in line
    assert not (tmp_path / "01_raw").exists()


@pytest.mark.parametrize("name", ["a/b", "..", ""])
def test_bad_data_set_name_is_one_line_exit_2(name, review_scans, tmp_path, capsys) -> None:
    _, predictions = review_scans
    _, review = _review(predictions, tmp_path / "review")
    argv = ["import-review", str(review / "via_annotations.csv"), "--name", name, "--data-root", str(tmp_path)]
    assert main(argv) == 2
    assert "--name" in cli_error_line(capsys)
