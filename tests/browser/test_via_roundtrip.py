"""Round trip through the real VGG Image Annotator 2.0.10 (../shared/tools/via-2.0.10).

The project writes annotations (foot_landmarks.io.via.format_via_csv / format_via_json), VIA
imports them with its own functions, shows the scan with its points, and exports them again
with ``pack_via_metadata`` exactly as "Annotation -> Export" writes them; the project's parser
must read back the same points, landmark ids, visible flags and file attributes.

What VIA does to the numbers (via.js 2.0.10): imported coordinates are kept as the JSON numbers
they were (JSON.parse / JSON.stringify, no rounding), so the only loss is the project's own
rounding to 0.001 px when it writes. VIA rounds only what a person does on the canvas: a point
drawn by a click is stored as Math.round(click * scale) (whole pixels) and a moved point moves by
a whole number of pixels.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from prerequisites import missing

from foot_landmarks.io.via import format_via_csv, format_via_json, parse_via_csv, parse_via_json

from .conftest import SHARED

pytestmark = pytest.mark.browser

VIA_DIR = SHARED / "tools" / "via-2.0.10"
VIA_INDEX = VIA_DIR / "index.html"
# Images: (name, size, side, subject, dpi, source, usable, extra attributes, landmarks not visible)
SCANS = [
    ("scan_001.png", (90, 120), "right", "S01", 300.0, "ink", True, {"look": "clean"}, ()),
    ("scan_002.png", (80, 110), "left", "S02", 600.0, "flatbed", True, {"look": "blotted"}, (5,)),
    ("scan_003.png", (70, 100), "right", "S03", 300.0, "ink", False, {}, ()),  # rejected, no points
]


def _png_bytes(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(height, width), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _project_tables(tmp_path):
    """Scans on disk and the project's images/points tables for them (sub-pixel coordinates)."""
    rng = np.random.default_rng(20240601)
    image_rows, point_rows = [], []
    for index, (name, (width, height), side, subject, dpi, source, usable, extra, hidden) in enumerate(SCANS):
        data = _png_bytes(width, height, seed=index)
        (tmp_path / name).write_bytes(data)
        attributes = {"side": side, "subject": subject, "dpi": f"{dpi:g}", "source": source, **extra}
        if not usable:
            attributes["usable"] = "false"
        image_rows.append(
            {
                "image": name,
                "file_size": len(data),
                "side": side,
                "subject": subject,
                "dpi": dpi,
                "source": source,
                "usable": usable,
                "attributes": attributes,
            }
        )
        if not usable:
            continue
        for landmark in range(1, 9):
            # Sub-pixel, never a whole number (VIA writes 12 where Python writes 12.0).
            x = float(rng.uniform(1, width - 2)) + 0.0001
            y = float(rng.uniform(1, height - 2)) + 0.0001
            point_rows.append(
                {
                    "image": name,
                    "landmark": landmark,
                    "x": x,
                    "y": y,
                    "visible": 0 if landmark in hidden else 1,
                    "foot": "",
                }
            )
    return pd.DataFrame(image_rows), pd.DataFrame(point_rows)


def _open_via(page, image_dir) -> None:
    if not VIA_INDEX.is_file():
        missing(f"VIA 2.0.10 not found at {VIA_INDEX} (../shared is absent beside the repository)")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(VIA_INDEX.as_uri())
    page.wait_for_function(
        "typeof pack_via_metadata === 'function' && typeof import_annotations_from_csv === 'function'"
        " && typeof _via_img_metadata === 'object'"
    )
    assert page.evaluate("Object.keys(_via_img_metadata).length") == 0
    # Relative file names resolve against this folder, as VIA's "Settings -> Default Path" does.
    page.evaluate("path => { _via_settings.core.default_filepath = path; }", image_dir.as_uri() + "/")
    page.errors = errors


def _export(page, kind: str) -> str:
    # pack_via_metadata gives the list of pieces VIA puts in the downloaded Blob, i.e. joined with ''.
    return page.evaluate("kind => pack_via_metadata(kind).then(parts => parts.join(''))", kind)


def _sorted_points(points: pd.DataFrame) -> pd.DataFrame:
    return points.sort_values(["image", "landmark"]).reset_index(drop=True)


def _assert_same_annotations(read_back, images: pd.DataFrame, points: pd.DataFrame, written) -> None:
    assert read_back.problems == []
    got_images = read_back.images.set_index("image")
    assert list(got_images.index) == list(images["image"])
    for _, row in images.iterrows():
        got = got_images.loc[row["image"]]
        assert int(got["file_size"]) == row["file_size"]
        assert got["side"] == row["side"]
        assert got["subject"] == row["subject"]
        assert got["dpi"] == row["dpi"]
        assert got["source"] == row["source"]
        assert bool(got["usable"]) == row["usable"]
        assert got["attributes"] == row["attributes"]

    got_points, want = _sorted_points(read_back.points), _sorted_points(points)
    assert len(got_points) == len(want) == 8 * sum(1 for scan in SCANS if scan[6])
    assert list(got_points["image"]) == list(want["image"])
    assert list(got_points["landmark"]) == list(want["landmark"])
    assert list(got_points["visible"]) == list(want["visible"])
    assert list(got_points["foot"]) == list(want["foot"])
    error = np.hypot(got_points["x"] - want["x"], got_points["y"] - want["y"])
    assert error.max() < 1e-3, f"VIA round trip moved a point by {error.max():.6f} px"
    # VIA itself changes nothing: every number is what the project wrote (to 0.001 px).
    wrote = _sorted_points(written.points)
    assert (got_points["x"].to_numpy() == wrote["x"].to_numpy()).all()
    assert (got_points["y"].to_numpy() == wrote["y"].to_numpy()).all()


@pytest.mark.parametrize("import_format", ["csv", "json"])
def test_via_imports_and_exports_project_annotations_unchanged(page, tmp_path, import_format: str) -> None:
    images, points = _project_tables(tmp_path)
    _open_via(page, tmp_path)

    if import_format == "csv":
        text = format_via_csv(images, points)
        counts = page.evaluate("text => import_annotations_from_csv(text)", text)
        written = parse_via_csv(text)
    else:
        text = format_via_json(images, points)
        counts = page.evaluate("text => import_annotations_from_json(text)", text)
        written = parse_via_json(text)
    if import_format == "csv":
        assert counts == [len(SCANS), len(points), 0]  # new files, regions, malformed lines
    else:
        assert counts[:2] == [len(SCANS), len(points)]

    # VIA found the first scan on disk and drew its 8 points on the canvas.
    page.wait_for_function("_via_current_image_loaded === true && _via_canvas_regions.length === 8")
    assert page.evaluate("_via_img_metadata[_via_image_id].filename") == SCANS[0][0]
    assert page.errors == []

    via_csv = _export(page, "csv")
    via_json = _export(page, "json")
    assert via_csv.startswith("filename,file_size,file_attributes,region_count,region_id,")
    for exported in (parse_via_csv(via_csv, source="VIA csv export"), parse_via_json(via_json, source="VIA json export")):
        _assert_same_annotations(exported, images, points, written)

    # The project's CSV is laid out as VIA lays out its own (VIA's has no final newline), except
    # the row of a file without regions: csv.writer leaves {} unquoted where VIA writes "{}"
    # (VIA and the project's parser read both the same).
    if import_format == "csv":
        assert via_csv == text.rstrip("\n").replace(',0,0,{},{}', ',0,0,"{}","{}"')


def test_via_rounds_only_points_drawn_by_hand(page, tmp_path) -> None:
    """A click on the canvas gives whole pixels; imported sub-pixel points keep their value."""
    images, points = _project_tables(tmp_path)
    _open_via(page, tmp_path)
    page.evaluate("text => import_annotations_from_json(text)", format_via_json(images, points))
    page.wait_for_function("_via_current_image_loaded === true && _via_canvas_regions.length === 8")
    # Draw one more point with VIA's point tool, the way an annotator does.
    page.evaluate("select_region_shape('point')")
    canvas = page.locator("#region_canvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.37 + 0.3, box["y"] + box["height"] * 0.61 + 0.7)
    page.wait_for_function("_via_img_metadata[_via_image_id].regions.length === 9")
    drawn = page.evaluate("_via_img_metadata[_via_image_id].regions[8].shape_attributes")
    assert drawn["name"] == "point"
    assert float(drawn["cx"]).is_integer() and float(drawn["cy"]).is_integer()
    kept = page.evaluate("_via_img_metadata[_via_image_id].regions[0].shape_attributes")
    first = _sorted_points(parse_via_json(format_via_json(images, points)).points).iloc[0]
    assert math.isclose(kept["cx"], first["x"], abs_tol=0) and math.isclose(kept["cy"], first["y"], abs_tol=0)
