"""The data_processing nodes end to end on a handful of tiny pages, read through the catalog's datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from foot_print_drawing import foot_page
from kedro.pipeline import Pipeline
from kedro_datasets.partitions import PartitionedDataset
from PIL import Image

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.io.via import write_via
from foot_landmarks.pipelines.data_processing import create_pipeline
from foot_landmarks.pipelines.data_processing.nodes import (
    clean_prints,
    collect_annotations,
    report_rejections,
    split_samples,
    validate_samples,
)

OPTIONS = {
    "image_suffixes": [".jpg", ".png"],
    "annotation_files": ["via_annotations.csv", "via_project.json"],
    "analysis_long_side": 400,
    "crop_margin": 0.04,
}
FINDER = FootFinder.bundled()


def _write_dataset(root: Path, name: str, pages: list[dict]) -> None:
    images_dir = root / name / "images"
    images_dir.mkdir(parents=True)
    image_rows, point_rows = [], []
    for page in pages:
        image, points = foot_page(page["side"], shape=(600, 430), scribble=True, seed=len(image_rows))
        points = points + [page.get("shift_x", 0), 0]  # an annotation that misses the print
        path = images_dir / page["file"]
        Image.fromarray(image).save(path, quality=95)
        attributes = {"side": page.get("annotated_side", page["side"]), "subject": page["subject"], "dpi": "50"}
        if page.get("unusable"):
            attributes.update(usable="false", defect="blot")
        image_rows.append(
            {"image": page["file"], "file_size": path.stat().st_size, "side": attributes["side"], "subject": page["subject"],
             "dpi": 50.0, "source": "test", "usable": not page.get("unusable"), "attributes": attributes}
        )
        point_rows += [
            {"image": page["file"], "landmark": i + 1, "x": x, "y": y, "visible": 1, "foot": ""}
            for i, (x, y) in enumerate(points)
        ]
    write_via(pd.DataFrame(image_rows), pd.DataFrame(point_rows), root / name / "via_annotations.csv")


def heel_row_gap(crop: np.ndarray, points: np.ndarray) -> float:
    """Crop px between the heel point's row and the last row of print (brighter than half the
    print's median; the print parted from the background by Otsu, so a bright ruler bar elsewhere
    does not set the level) in the columns around it: the heel point is the print's most
    posterior pixel."""
    from scipy import ndimage as ndi
    from skimage.filters import threshold_otsu

    image = crop.astype(float)
    ink = image > 0.5 * np.median(image[image > threshold_otsu(image)])
    x8, y8 = points[7]
    near = slice(max(0, int(round(x8)) - 4), int(round(x8)) + 5)
    # the heel's own print part: a pen line drawn just under the heel is not print
    parts, _ = ndi.label(ink)
    labels, counts = np.unique(parts[:, near][parts[:, near] > 0], return_counts=True)
    if not labels.size:
        return float("inf")
    rows = np.nonzero((parts[:, near] == labels[np.argmax(counts)]).any(axis=1))[0]
    return float(abs(rows.max() - y8))


@pytest.fixture
def raw_root(tmp_path: Path) -> Path:
    root = tmp_path / "01_raw"
    _write_dataset(root, "clinic_a", [
        {"file": "a1.jpg", "side": "right", "subject": "s1"},
        {"file": "a2.jpg", "side": "left", "subject": "s1"},
        {"file": "a3.png", "side": "left", "subject": "s2", "annotated_side": ""},  # side to detect
        {"file": "a4.jpg", "side": "right", "subject": "s3", "unusable": True},
    ])
    _write_dataset(root, "clinic_b", [
        {"file": "b1.jpg", "side": "right", "subject": "s1"},
        {"file": "a1.jpg", "side": "right", "subject": "s9"},  # same name as in clinic_a
    ])
    return root


def test_nodes_end_to_end(raw_root: Path) -> None:
    raw_images = PartitionedDataset(path=str(raw_root), dataset="foot_landmarks.io.datasets.ScanImageDataset").load()
    raw_annotations = PartitionedDataset(path=str(raw_root), dataset="foot_landmarks.io.datasets.ViaAnnotationsDataset").load()

    annotations, points, annotation_rejections = collect_annotations(raw_annotations, OPTIONS["annotation_files"])
    assert len(annotations) == 6 and len(points) == 48
    candidates, validation_rejections = validate_samples(
        annotations, points, annotation_rejections, raw_images, FINDER, OPTIONS, strict=False, workers=1
    )
    processed, crops, cleaning_rejections = clean_prints(candidates, raw_images, FINDER, OPTIONS, crop_height=120, workers=2)
    samples = split_samples(processed, {"train": 8, "val": 2, "test": 1}, seed=0)
    rejections = report_rejections(validation_rejections, cleaning_rejections)

    assert set(rejections["file"]) == {"a1.jpg", "a4.jpg"}
    assert "duplicate file name" in rejections.loc[rejections["dataset"] == "clinic_b", "reason"].item()
    assert "usable=false" in rejections.loc[rejections["file"] == "a4.jpg", "reason"].item()
    assert sorted(samples["sample_id"]) == ["clinic_a/a1", "clinic_a/a2", "clinic_a/a3", "clinic_b/b1"]
    detected = samples.set_index("sample_id").loc["clinic_a/a3"]
    assert (detected["side"], detected["side_source"]) == ("left", "detected")

    for sample in samples.itertuples():
        crop = np.asarray(crops[sample.sample_id])
        assert crop.dtype == np.uint8 and crop.shape == (120, sample.crop_width) == (sample.crop_height, sample.crop_width)
        assert crop[0, 0] < 40 and crop.max() > 150  # print bright on a dark background (the page's paper, inverted)
        # the drawing's own points (original px), carried into the crop by the sample's matrix
        pts = geo.apply_to_points(np.asarray(sample.to_crop), np.asarray(sample.points_orig))
        assert pts[5, 0] < pts[6, 0]  # right-foot orientation: medial (6) left of lateral (7)
        # the hallux tip (top of its disc) lies on the print's edge: print within one crop px
        x1, y1 = np.rint(pts[0]).astype(int)
        assert crop[max(y1 - 1, 0) : y1 + 2, max(x1 - 1, 0) : x1 + 2].max() > 100
        assert heel_row_gap(crop, pts) <= 1.0, f"{sample.sample_id}: heel point not on the print's last row"


def test_a_foot_whose_points_miss_its_crop_is_rejected_by_name(tmp_path: Path) -> None:
    root = tmp_path / "01_raw"
    _write_dataset(root, "clinic", [
        {"file": "good.jpg", "side": "right", "subject": "s1"},
        {"file": "off.jpg", "side": "right", "subject": "s2", "shift_x": 120},  # points right of the foot
    ])
    raw_images = PartitionedDataset(path=str(root), dataset="foot_landmarks.io.datasets.ScanImageDataset").load()
    raw_annotations = PartitionedDataset(path=str(root), dataset="foot_landmarks.io.datasets.ViaAnnotationsDataset").load()
    annotations, points, annotation_rejections = collect_annotations(raw_annotations, OPTIONS["annotation_files"])
    candidates, _ = validate_samples(annotations, points, annotation_rejections, raw_images, FINDER, OPTIONS, strict=False, workers=1)
    processed, crops, rejections = clean_prints(candidates, raw_images, FINDER, OPTIONS, crop_height=120, workers=1)
    assert list(processed["image"]) == ["good.jpg"] and list(crops) == ["clinic/good"]
    assert list(rejections["file"]) == ["off.jpg"]
    assert "lie off the print in its crop" in rejections["reason"].item()


def test_strict_mode_stops_on_the_invalid_files(raw_root: Path) -> None:
    from foot_landmarks.validation import DataValidationError

    raw_images = PartitionedDataset(path=str(raw_root), dataset="foot_landmarks.io.datasets.ScanImageDataset").load()
    raw_annotations = PartitionedDataset(path=str(raw_root), dataset="foot_landmarks.io.datasets.ViaAnnotationsDataset").load()
    annotations, points, annotation_rejections = collect_annotations(raw_annotations, OPTIONS["annotation_files"])
    with pytest.raises(DataValidationError, match="clinic_b/a1.jpg: duplicate file name"):
        validate_samples(annotations, points, annotation_rejections, raw_images, FINDER, OPTIONS, strict=True, workers=1)


def test_pipeline_wiring() -> None:
    pipeline = create_pipeline()
    assert isinstance(pipeline, Pipeline)
    assert {"samples", "crops", "rejections"} <= pipeline.all_outputs()
    assert {"raw_images", "raw_annotations"} <= pipeline.inputs()


# Crop px (200 px crops) between the generator's heel point carried into the crop and the crop's
# last row of print. The print's edge is not a clean step on these looks: a bare sole's skin
# darkens toward its rim (measured up to 1.2 px), a form's print is a grid of lines or dots
# (up to 1.95 px), a pressure map's heel rim carries the lightest loads, which fall below half
# the print's level (up to 2.9 px). A matrix off by a mirror, a scale or a crop offset moves the
# point by tens of px.
# A form's printed ruler bar may be centred up to 1.5 mm inside the heel and hide up to ~2.8 mm of
# it; erased with the bar (foot_landmarks.form_lines), the heel's visible end lies up to ~3 crop px
# (200 px high) short of the generator's point.
HEEL_ROW_TOLERANCE = {"inkmat_form": 3.5, "bare_sole": 1.5, "pressure_map": 3.5}


@pytest.mark.parametrize("look", ["inkmat_form", "bare_sole", "pressure_map"])
def test_every_look_becomes_upright_right_foot_crops(tmp_path: Path, look: str) -> None:
    """Generated scans of each look through the nodes: a form with both feet gives one sample per
    foot (16-point VIA file, `foot` attribute), a bare sole seen from below is oriented by its
    annotated side and view, a colour map is read as intensity; every crop is print-bright on
    black in right-foot orientation, and the generator's heel point carried by the sample's
    matrix lies on the crop's last row of print."""
    from foot_landmarks.synthetic.generate import generate_dataset, write_dataset

    root = tmp_path / "01_raw"
    ds = generate_dataset(6, seed=3, n_broken=0, processes=1, mix={look: 1.0}, progress=False)
    write_dataset(ds, root / "gen")
    raw_images = PartitionedDataset(path=str(root), dataset="foot_landmarks.io.datasets.ScanImageDataset").load()
    raw_annotations = PartitionedDataset(path=str(root), dataset="foot_landmarks.io.datasets.ViaAnnotationsDataset").load()
    annotations, points, annotation_rejections = collect_annotations(raw_annotations, OPTIONS["annotation_files"])
    candidates, validation_rejections = validate_samples(
        annotations, points, annotation_rejections, raw_images, FINDER, OPTIONS, strict=False, workers=1
    )
    processed, crops, cleaning_rejections = clean_prints(
        candidates, raw_images, FINDER, {**OPTIONS, "page_size": "a4"}, crop_height=200, workers=1
    )
    rejections = report_rejections(validation_rejections, cleaning_rejections)
    assert rejections.empty, rejections.to_string()
    two_feet = points.groupby("image")["foot"].apply(lambda f: set(f) == {"left", "right"})
    assert len(processed) == len(annotations) + int(two_feet.sum()) == 6
    for sample in processed.itertuples():
        crop = np.asarray(crops[sample.sample_id])
        # the generator's truth (original px), carried into the crop by the sample's matrix
        pts = geo.apply_to_points(np.asarray(sample.to_crop), np.asarray(sample.points_orig))
        assert crop[0, 0] < 60 and crop.max() > 90, f"{sample.sample_id}: not print-bright on black"
        assert pts[0, 0] < pts[4, 0] and pts[5, 0] < pts[6, 0], f"{sample.sample_id}: not in right-foot orientation"
        gap = heel_row_gap(crop, pts)
        assert gap <= HEEL_ROW_TOLERANCE[look], f"{sample.sample_id}: heel point {gap:.2f} crop px from the print's last row"
        if sample.foot:
            assert sample.sample_id.endswith("__" + sample.foot) and sample.side == sample.foot
        assert sample.scale_source.startswith(("dpi", "page calibration")), sample.scale_source
