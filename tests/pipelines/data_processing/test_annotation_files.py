"""Malformed VIA files in data processing (collect_annotations): each is a row of the rejection
report naming the data set, the file (and the row) and the problem; the other data sets are still
read; strict mode lists every problem in one error."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro_datasets.partitions import PartitionedDataset

from foot_landmarks.io.via import VIA_CSV_COLUMNS, write_via
from foot_landmarks.pipelines.data_processing.nodes import collect_annotations
from foot_landmarks.validation import DataValidationError, raise_if_rejected

ANNOTATION_FILES = ["via_annotations.csv", "via_project.json"]


def _points(image: str) -> pd.DataFrame:
    return pd.DataFrame({"image": image, "landmark": range(1, 9), "x": [10.0 + i for i in range(8)],
                         "y": [20.0] * 8, "visible": 1, "foot": ""})


def _images(*names: str) -> pd.DataFrame:
    return pd.DataFrame([{"image": n, "file_size": 1, "side": "right", "subject": "s", "dpi": 300.0,
                          "source": "test", "usable": True, "attributes": {"side": "right"}} for n in names])


@pytest.fixture
def raw_root(tmp_path: Path) -> Path:
    """Four data sets: a good one, an empty VIA CSV, a CSV with one broken row, a JSON whose
    region is not an object, and a CSV whose header lacks VIA's columns."""
    root = tmp_path / "01_raw"
    for name in ("good", "empty", "broken_row", "bad_region", "no_header"):
        (root / name).mkdir(parents=True)
    write_via(_images("g.jpg"), _points("g.jpg"), root / "good" / "via_annotations.csv")
    (root / "empty" / "via_annotations.csv").write_text("")
    text = write_via(_images("b1.jpg", "b2.jpg"), pd.concat([_points("b1.jpg"), _points("b2.jpg")]),
                     root / "broken_row" / "via_annotations.csv").read_text().splitlines()
    text[3] = text[3].replace('""3""}"', '""3""}x"')  # line 4: broken JSON in one cell
    assert text[3].endswith('""3""}x"')
    (root / "broken_row" / "via_annotations.csv").write_text("\n".join(text) + "\n")
    regions = [{"shape_attributes": {"name": "point", "cx": 1, "cy": 1}, "region_attributes": {"landmark": "1"}}, 7]
    (root / "bad_region" / "via_project.json").write_text(
        json.dumps({"r.jpg1": {"filename": "r.jpg", "size": 1, "file_attributes": {}, "regions": regions}}))
    (root / "no_header" / "via_annotations.csv").write_text("name,x,y\nn.jpg,1,2\n")
    return root


def _collect(root: Path):
    raw = PartitionedDataset(path=str(root), dataset="foot_landmarks.io.datasets.ViaAnnotationsDataset").load()
    return collect_annotations(raw, ANNOTATION_FILES)


def test_each_malformed_file_is_reported_and_the_other_data_sets_still_run(raw_root: Path) -> None:
    annotations, points, rejections = _collect(raw_root)
    assert sorted(annotations["dataset"].unique()) == ["bad_region", "broken_row", "good"]
    assert points[points["dataset"] == "good"]["landmark"].tolist() == list(range(1, 9))
    assert points[points["image"] == "b2.jpg"]["landmark"].tolist() == list(range(1, 9))  # its file's other rows
    report = {(r.dataset, r.file): r.reason for r in rejections.itertuples()}
    assert set(report) == {("empty", "via_annotations.csv"), ("no_header", "via_annotations.csv"),
                           ("broken_row", "b1.jpg"), ("bad_region", "r.jpg")}
    assert report[("empty", "via_annotations.csv")] == (
        f"annotation file unreadable: {raw_root / 'empty' / 'via_annotations.csv'}: empty file, not a VIA CSV export")
    assert report[("no_header", "via_annotations.csv")] == (
        f"annotation file unreadable: {raw_root / 'no_header' / 'via_annotations.csv'}: not a VIA CSV export, "
        f"header lacks {', '.join(VIA_CSV_COLUMNS)} (found name, x, y)")
    assert report[("broken_row", "b1.jpg")] == (
        f"annotation problem: {raw_root / 'broken_row' / 'via_annotations.csv'} line 4: region_attributes is not "
        "valid JSON (Extra data)")
    assert report[("bad_region", "r.jpg")] == (
        f"annotation problem: {raw_root / 'bad_region' / 'via_project.json'}: 'r.jpg' region 1: region is not a "
        "JSON object: 7")
    assert all("\n" not in reason for reason in report.values())
    assert set(rejections["stage"]) == {"annotation"}


def test_strict_mode_lists_every_problem_in_one_error(raw_root: Path) -> None:
    _, _, rejections = _collect(raw_root)
    with pytest.raises(DataValidationError) as stopped:
        raise_if_rejected(rejections, strict=True)
    message = str(stopped.value)
    assert message.startswith("4 problem(s) in 4 file(s) of data/01_raw (strict mode")
    for where in ("empty/via_annotations.csv", "no_header/via_annotations.csv", "broken_row/b1.jpg", "bad_region/r.jpg"):
        assert f"  {where}: annotation " in message
