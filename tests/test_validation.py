"""Every validation failure produces its own message; strict mode raises once listing them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pipelines.data_processing.foot_print_drawing import foot_page
from skimage import draw

from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.pipelines.data_processing.nodes import validate_samples
from foot_landmarks.validation import (
    DataValidationError,
    check_annotated_images_exist,
    check_duplicate_names,
    check_images_annotated,
    check_landmark_ids,
    check_points_inside,
    parser_problems,
    raise_if_rejected,
    rejection_table,
)

OPTIONS = {"image_suffixes": [".jpg", ".png"], "analysis_long_side": 400}
FINDER = FootFinder.bundled()


def _points(image: str, ids: list[int], dataset: str = "d", xy: tuple[float, float] = (5.0, 5.0)) -> pd.DataFrame:
    return pd.DataFrame({"dataset": dataset, "image": image, "landmark": ids, "x": xy[0], "y": xy[1], "visible": 1, "foot": ""})


def _annotations(images: list[str], dataset: str = "d", side: str = "right") -> pd.DataFrame:
    return pd.DataFrame(
        {"dataset": dataset, "image": images, "file_size": 1, "side": side, "subject": "s", "dpi": 300.0,
         "source": "", "usable": True, "attributes": [{} for _ in images]}
    )


def _files(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([(d, i, f"{d}/images/{i}") for d, i in pairs], columns=["dataset", "image", "partition"])


def test_missing_point() -> None:
    [(_, image, reason)] = check_landmark_ids(_points("a.jpg", [1, 2, 3, 4, 5, 6, 8]))
    assert image == "a.jpg" and reason == "missing landmark(s) 7"


def test_duplicate_point_id() -> None:
    [(_, _, reason)] = check_landmark_ids(_points("a.jpg", [1, 2, 3, 4, 5, 6, 7, 8, 3]))
    assert reason == "duplicate landmark id(s) 3 (2 points)"


def test_extra_point_with_unknown_id_rejects_the_file() -> None:
    rejected, notes = parser_problems("d", [("a.jpg", "x line 3: point at (1, 2) has landmark number 9, not 1-8"),
                                            ("a.jpg", "x line 4: region shape 'rect' is not a point")])
    assert [r for _, _, r in rejected] == ["annotation problem: x line 3: point at (1, 2) has landmark number 9, not 1-8"]
    assert len(notes) == 1  # a stray rectangle is only noted


def test_point_outside_image() -> None:
    points = _points("a.jpg", list(range(1, 9)), xy=(5.0, 5.0))
    points.loc[7, ["x", "y"]] = (120.0, 40.0)
    sizes = pd.DataFrame({"dataset": ["d"], "image": ["a.jpg"], "width": [100], "height": [50]})
    [(_, _, reason)] = check_points_inside(points, sizes)
    assert reason == "landmark(s) outside the 100x50 image: 8 at (120, 40)"


def test_annotation_for_missing_image() -> None:
    [(_, image, reason)] = check_annotated_images_exist(_annotations(["a.jpg", "gone.jpg"]), _files([("d", "a.jpg")]))
    assert (image, reason) == ("gone.jpg", "annotated image file not found in images/")


def test_image_without_annotation() -> None:
    [(_, image, reason)] = check_images_annotated(_files([("d", "a.jpg"), ("d", "b.jpg")]), _annotations(["a.jpg"]))
    assert (image, reason) == ("b.jpg", "image has no annotation")


def test_duplicate_file_name_across_data_sets() -> None:
    [(dataset, image, reason)] = check_duplicate_names(_files([("a_set", "x.jpg"), ("b_set", "X.jpg"), ("b_set", "y.jpg")]))
    assert (dataset, image, reason) == ("b_set", "X.jpg", "duplicate file name, also in data set 'a_set'")


def _raw(tmp_path: Path, images: dict[str, np.ndarray]) -> dict:
    (tmp_path / "images").mkdir()
    raw = {}
    for name, image in images.items():
        Image.fromarray(image).save(tmp_path / "images" / name, quality=90)
        raw[f"d/images/{name}"] = (lambda p=str(tmp_path / "images" / name): ScanImage(p))
    return raw


def _landmarks_for(names: list[str]) -> pd.DataFrame:
    return pd.concat([_points(n, list(range(1, 9)), xy=(50.0, 50.0)) for n in names], ignore_index=True)


def test_unreadable_truncated_image(tmp_path: Path) -> None:
    page, _ = foot_page("right")
    raw = _raw(tmp_path, {"cut.jpg": page})
    path = tmp_path / "images" / "cut.jpg"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _, rejections = validate_samples(_annotations(["cut.jpg"]), _landmarks_for(["cut.jpg"]), rejection_table([], "annotation"),
                                     raw, FINDER, OPTIONS, strict=False, workers=1)
    assert rejections["reason"].str.startswith("unreadable image file").tolist() == [True]


def _generated_print(side: str) -> np.ndarray:
    """A generated flatbed ink print of a foot of `side` (a real print's look: the finder is sure
    of its side), quartered in size."""
    import io

    from foot_landmarks.synthetic.generate import generate_dataset

    ds = generate_dataset(2, seed=5, n_broken=0, processes=1, mix={"ink_paper": 1.0}, progress=False)
    name = next(r.image for r in ds.images.itertuples() if r.side == side)
    return np.asarray(Image.open(io.BytesIO(ds.files[name])).convert("L").reduce(4))


def test_unknown_side_that_cannot_be_detected(tmp_path: Path) -> None:
    blob = np.full((440, 320), 235, np.uint8)
    rr, cc = draw.ellipse(220, 160, 150, 60)
    blob[rr, cc] = 40  # symmetric: no hallux side, no arch
    right = _generated_print("right")
    raw = _raw(tmp_path, {"blob.png": blob, "foot.png": right})
    candidates, rejections = validate_samples(
        _annotations(["blob.png", "foot.png"], side=""), _landmarks_for(["blob.png", "foot.png"]),
        rejection_table([], "annotation"), raw, FINDER, OPTIONS, strict=False, workers=1,
    )
    assert rejections[["file", "reason"]].values.tolist() == [
        ["blob.png", "side unknown: annotation gives none and it is not detectable from the print"]
    ]
    assert candidates[["image", "side", "side_source"]].values.tolist() == [["foot.png", "right", "detected"]]


def test_strict_mode_raises_one_error_listing_every_offender() -> None:
    rows = check_landmark_ids(_points("a.jpg", [1, 2])) + check_images_annotated(_files([("d", "b.jpg")]), _annotations([]))
    report = rejection_table(rows, "validation")
    raise_if_rejected(report, strict=False)  # default mode: quarantine, no error
    with pytest.raises(DataValidationError) as error:
        raise_if_rejected(report, strict=True)
    message = str(error.value)
    assert "2 problem(s) in 2 file(s)" in message
    assert "d/a.jpg: missing landmark(s) 3, 4, 5, 6, 7, 8" in message
    assert "d/b.jpg: image has no annotation" in message


def _two_feet(image: str, left: list[int], right: list[int]) -> pd.DataFrame:
    return pd.concat([_points(image, left).assign(foot="left"), _points(image, right).assign(foot="right")])


def test_a_sheet_with_both_feet_has_eight_points_per_foot() -> None:
    assert check_landmark_ids(_two_feet("s.jpg", list(range(1, 9)), list(range(1, 9)))) == []
    [(_, _, reason)] = check_landmark_ids(_two_feet("s.jpg", list(range(1, 9)), [1, 2, 3, 4, 5, 6, 8]))
    assert reason == "right foot: missing landmark(s) 7"


def test_points_with_and_without_a_foot_cannot_be_assigned() -> None:
    mixed = pd.concat([_points("s.jpg", list(range(1, 9))), _points("s.jpg", list(range(1, 9))).assign(foot="left")])
    [(_, _, reason)] = check_landmark_ids(mixed)
    assert "some points have a foot attribute" in reason
    [(_, _, reason)] = check_landmark_ids(_points("s.jpg", list(range(1, 9))).assign(foot="middle"))
    assert reason == "foot attribute must be left or right, got 'middle'"
