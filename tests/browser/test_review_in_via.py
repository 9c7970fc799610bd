"""A review in the real VGG Image Annotator 2.0.10 (../shared/tools/via-2.0.10), as a person does it.

The review project is written for predictions made from generated ground truth plus noise (no
model needed): a two-foot ink-mat form and a one-foot ink print. VIA loads it with "Project >
Load" (its file chooser), finds the scans through the project's default path, and shows the least
confident scan first; a point is dragged with the mouse to a new place on the scan; VIA exports
the corrections ("Annotation > Export Annotations (as csv)") and saves the project ("Project >
Save"); ``import-review`` turns each into a data set whose moved point lies within 0.5 px of where
it was dropped and whose other points are exactly the predictions.

Where VIA puts a dragged point (via.js 2.0.10, _via_move_region): the image position plus
round(mouse move on the canvas x canvas scale), so a move of whole screen pixels lands within
0.5 image px of the drop position.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from prerequisites import missing

from foot_landmarks.command_line import main
from foot_landmarks.inference import LANDMARK_COLUMNS
from foot_landmarks.io.via import read_via
from foot_landmarks.landmarks import LANDMARK_NAMES
from foot_landmarks.review.export import write_review
from foot_landmarks.review.via_files import js_number

from .conftest import SHARED

pytestmark = pytest.mark.browser

VIA_INDEX = SHARED / "tools" / "via-2.0.10" / "index.html"
MOVED = ("left", 8)  # the heel point of the sheet's left foot: far from every other point
MOVE_PX = (-70.0, -55.0)  # where to drop it, in image px from where it is


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """A two-foot ink-mat form (photographed, no dpi) and a one-foot ink print at 300 dpi."""
    from foot_landmarks.synthetic import generate_dataset

    folder = tmp_path_factory.mktemp("scans")
    data = generate_dataset(3, 4, n_broken=0, mix={"inkmat_form": 1, "ink_paper": 1, "crop": 1},
                            processes=1, progress=False)
    for name, content in data.files.items():
        (folder / name).write_bytes(content)
    return folder, data


def _predictions(folder, data) -> pd.DataFrame:
    """The prediction table of the generated scans: truth + 3 px noise; the sheet less confident."""
    rng = np.random.default_rng(7)
    points = data.points.merge(data.images[["image", "side", "dpi"]], on="image")
    two_feet = points["foot"] != ""
    confidence = np.where(two_feet, rng.uniform(0.2, 0.6, len(points)), rng.uniform(0.7, 0.95, len(points)))
    table = pd.DataFrame({
        "image": [str(folder / name) for name in points["image"]],
        "foot": points["foot"],
        "landmark": points["landmark"],
        "name": points["landmark"].map(LANDMARK_NAMES),
        "x_px": points["x"] + rng.normal(0, 3, len(points)),
        "y_px": points["y"] + rng.normal(0, 3, len(points)),
        "x_mm": np.nan, "y_mm": np.nan,
        "confidence": confidence,
        "low_confidence": confidence < 0.4,
        "side": np.where(two_feet, points["foot"], points["side"]),
        "side_source": "given",
        "dpi": points["dpi"],
        "scale_source": np.where(points["dpi"].notna(), "given", "none (pixels only)"),
    }).reindex(columns=LANDMARK_COLUMNS)
    return table.assign(flags="", warnings="")


def _open_project(page, project) -> None:
    """VIA's Project > Load, choosing the file in its file dialog."""
    if not VIA_INDEX.is_file():
        missing(f"VIA 2.0.10 not found at {VIA_INDEX} (../shared is absent beside the repository)")
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(VIA_INDEX.as_uri())
    page.wait_for_function("typeof project_open_select_project_file === 'function'")
    page.hover(".menubar > ul > li:has-text('Project')")
    with page.expect_file_chooser() as chooser:
        page.click(".menubar li[title^='Load a VIA project']")
    chooser.value.set_files(str(project))
    page.wait_for_function(
        "_via_current_image_loaded === true && _via_canvas_regions.length === "
        "_via_img_metadata[_via_image_id].regions.length && _via_canvas_regions.length > 0"
    )
    page.mouse.move(5, 990)  # close the menu


def _drag_region(page, index: int, move_image_px: tuple[float, float]) -> tuple[float, float]:
    """Click the point `index` to select it, then drag it with the mouse by about `move_image_px`.
    Returns where it was dropped, in image px: its old place + the mouse move x canvas scale."""
    canvas = page.locator("#region_canvas")
    box = canvas.bounding_box()
    scale = page.evaluate("_via_canvas_scale")  # image px per canvas px
    css = box["width"] / page.evaluate("_via_reg_canvas.width")  # screen px per canvas px
    old = page.evaluate(f"_via_img_metadata[_via_image_id].regions[{index}].shape_attributes")
    grab = (box["x"] + old["cx"] / scale * css, box["y"] + old["cy"] / scale * css)
    move = [round(d / scale * css) for d in move_image_px]  # whole screen pixels
    page.mouse.click(*grab)
    page.wait_for_function(f"_via_region_selected_flag[{index}] === true")
    page.mouse.move(*grab)
    page.mouse.down()
    page.mouse.move(grab[0] + move[0], grab[1] + move[1], steps=10)
    page.mouse.up()
    page.wait_for_function(
        f"_via_img_metadata[_via_image_id].regions[{index}].shape_attributes.cx !== {old['cx']}"
    )
    return old["cx"] + move[0] / css * scale, old["cy"] + move[1] / css * scale


def _download(page, menu: str, item_title: str, folder, confirm: bool = False):
    page.hover(f".menubar > ul > li:has-text('{menu}')")
    with page.expect_download() as download:
        page.click(f".menubar li[title='{item_title}']")
        if confirm:  # Project > Save asks for the project's name first
            page.click("#user_input_ok_button")
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    page.mouse.move(5, 990)
    return path


def _import(export, name, data_root, *extra) -> pd.DataFrame:
    assert main(["import-review", str(export), "--name", name, "--data-root", str(data_root), *extra]) == 0
    return read_via(data_root / name / "via_annotations.csv").points


def test_point_dragged_in_via_is_imported_where_it_was_dropped(page, scans, tmp_path, capsys) -> None:
    folder, data = scans
    predictions = _predictions(folder, data)
    project, csv_path = write_review(predictions, tmp_path / "review")
    _open_project(page, project)

    # VIA found the least confident scan (the sheet) through the project's default path and
    # shows the attributes as the project defines them.
    sheet = data.points.loc[data.points["foot"] != "", "image"].iloc[0]
    assert page.evaluate("_via_img_metadata[_via_image_id].filename") == sheet
    assert page.evaluate("_via_img_src[_via_image_id]") == str(folder / sheet)
    assert page.evaluate("_via_attributes.region.landmark.type") == "dropdown"
    assert page.evaluate("_via_attributes.region.check.type") == "checkbox"
    regions = page.evaluate("_via_img_metadata[_via_image_id].regions.map(r => r.region_attributes)")
    index = next(i for i, r in enumerate(regions) if (r["foot"], int(r["landmark"])) == MOVED)

    dropped = _drag_region(page, index, MOVE_PX)
    exports = {
        "csv": _download(page, "Annotation", "Export annotations to a CSV file", tmp_path),
        "project": _download(page, "Project", "Save this VIA project (as a JSON file)", tmp_path, confirm=True),
    }
    assert page.errors == []
    assert exports["csv"].name == "foot_landmarks_review_csv.csv"
    # VIA wrote back what the project gave it, byte for byte, but for the one dragged point:
    # the review CSV is in VIA's own layout, and VIA's saved project is the review project
    ours, vias = csv_path.read_text().splitlines(), exports["csv"].read_text().splitlines()
    assert len(ours) == len(vias) and sum(a != b for a, b in zip(ours, vias)) == 1
    saved, written = json.loads(exports["project"].read_text()), json.loads(project.read_text())
    dragged = page.evaluate(f"_via_img_metadata[_via_image_id].regions[{index}].shape_attributes")
    key = page.evaluate("_via_image_id")
    written["_via_img_metadata"][key]["regions"][index]["shape_attributes"] = dragged
    assert saved == written

    expected = predictions.assign(image=predictions["image"].map(lambda p: p.rsplit("/", 1)[-1]))
    expected = expected.set_index(["image", "foot", "landmark"]).sort_index()
    for kind, export in exports.items():
        # the CSV export carries no image folder: --images; the saved project names it
        extra = ["--images", str(folder)] if kind == "csv" else []
        points = _import(export, f"reviewed_{kind}", tmp_path / "01_raw", *extra)
        got = points.set_index(["image", "foot", "landmark"]).sort_index()
        assert list(got.index) == list(expected.index), kind
        moved_key = (sheet, *MOVED)
        error = np.hypot(got.loc[moved_key, "x"] - dropped[0], got.loc[moved_key, "y"] - dropped[1])
        assert error <= 0.5, f"{kind}: the dragged point is {error:.3f} px from where it was dropped"
        rest = got.drop(moved_key)
        want = expected.drop(moved_key)
        assert (rest["x"].to_numpy() == want["x_px"].map(js_number).to_numpy()).all(), kind
        assert (rest["y"].to_numpy() == want["y_px"].map(js_number).to_numpy()).all(), kind

        summary = pd.read_csv(tmp_path / "01_raw" / f"reviewed_{kind}" / "review_summary.csv")
        heel, total = summary.iloc[7], summary.iloc[-1]
        distance = float(np.hypot(*(np.array(got.loc[moved_key, ["x", "y"]], float)
                                    - expected.loc[moved_key, ["x_px", "y_px"]].to_numpy(float))))
        assert (heel["moved"], total["moved"], total["points"]) == (1, 1, len(predictions)), kind
        assert heel["max_px"] == pytest.approx(distance, abs=1e-3), kind
    assert "1 moved by the review" in capsys.readouterr().out
