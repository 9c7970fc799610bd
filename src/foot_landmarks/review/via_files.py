"""VGG Image Annotator 2.0.10 files as plain records: the saved project (JSON) and the CSV export.

A *record* is one file of a VIA project, as VIA keeps it in ``_via_img_metadata``::

    {"filename": "scan.jpg", "size": 58488, "file_attributes": {...},
     "regions": [{"shape_attributes": {"name": "point", "cx": 12.5, "cy": 40},
                  "region_attributes": {"landmark": "1", ...}}]}

The layouts follow via.js 2.0.10 itself: ``project_save_confirmed`` (Project > Save),
``pack_via_metadata('csv')`` (Annotation > Export Annotations as csv) and
``project_open_parse_json_file`` (Project > Load), whose checks a project must pass.
"""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager

from foot_landmarks.io.via import VIA_CSV_COLUMNS, ViaFormatError, json_object_cell, via_csv_rows, via_json_files

from .errors import ReviewError

VIA_VERSION = "2.0.10"
# VIA's own settings as a fresh VIA 2.0.10 saves them (via.js, "via settings"); Project > Load
# copies them key by key into its own, so only keys VIA knows may appear here.
DEFAULT_SETTINGS = {
    "ui": {
        "annotation_editor_height": 25,
        "annotation_editor_fontsize": 0.8,
        "leftsidebar_width": 18,
        "image_grid": {
            "img_height": 80,
            "rshape_fill": "none",
            "rshape_fill_opacity": 0.3,
            "rshape_stroke": "yellow",
            "rshape_stroke_width": 2,
            "show_region_shape": True,
            "show_image_policy": "all",
        },
        "image": {
            "region_label": "__via_region_id__",
            "region_color": "__via_default_region_color__",
            "region_label_font": "10px Sans",
            "on_image_annotation_editor_placement": "NEAR_REGION",
        },
    },
    "core": {"buffer_size": 18, "filepath": {}, "default_filepath": ""},
    "project": {"name": "via_project"},
}
FLOAT_DECIMALS = 3  # via.js VIA_FLOAT_PRECISION


def js_number(value: float) -> int | float:
    """A coordinate as VIA writes it: 3 decimals, and a whole number without '.0' (JSON.stringify)."""
    rounded = round(float(value), FLOAT_DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def to_json(value) -> str:
    """JSON laid out as JavaScript's JSON.stringify lays it out (no spaces, text as it is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def file_id(filename: str, size: int) -> str:
    """VIA's key of a file: its name followed by its size in bytes (via.js _via_get_image_id)."""
    return f"{filename}{size}"


def settings(project_name: str, default_filepath: str = "", region_label: str | None = None) -> dict:
    """VIA's settings with the project's name, the image folder and what labels each region."""
    out = copy.deepcopy(DEFAULT_SETTINGS)
    out["project"]["name"] = project_name
    out["core"]["default_filepath"] = default_filepath
    if region_label:
        out["ui"]["image"]["region_label"] = region_label
    return out


def text_attribute(description: str, default_value: str = "") -> dict:
    """An attribute definition VIA shows as a text field (as via.js add_new_attribute makes one)."""
    return {"type": "text", "description": description, "default_value": default_value}


def option_attribute(kind: str, description: str, options: dict[str, str]) -> dict:
    """A dropdown, radio or checkbox attribute: option id -> the text VIA shows for it."""
    if kind not in ("dropdown", "radio", "checkbox"):
        raise ValueError(f"not a VIA option attribute type: {kind!r}")
    return {"type": kind, "description": description, "options": dict(options), "default_options": {}}


def project(records: list[dict], attributes: dict, via_settings: dict) -> dict:
    """A saved VIA 2.0.10 project; the files in the order of `records` (VIA shows them so)."""
    metadata = {file_id(r["filename"], r["size"]): r for r in records}
    if len(metadata) != len(records):
        raise ValueError("two records share a file name and size")
    return {
        "_via_settings": via_settings,
        "_via_img_metadata": metadata,
        "_via_attributes": attributes,
        "_via_data_format_version": VIA_VERSION,
        "_via_image_id_list": list(metadata),
    }


def _csv_text(text: str) -> str:
    """A plain CSV cell, quoted only where needed (VIA writes file names bare)."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_json(value: dict) -> str:
    # VIA always quotes its JSON cells and doubles the quotes inside (via.js escape_for_csv)
    return '"' + to_json(value).replace('"', '""') + '"'


def format_csv(records: list[dict]) -> str:
    """The CSV that VIA's "Export Annotations (as csv)" writes for these records (no final newline)."""
    lines = [",".join(VIA_CSV_COLUMNS)]
    for record in records:
        prefix = [_csv_text(record["filename"]), str(record["size"]), _csv_json(record["file_attributes"])]
        regions = record["regions"]
        if not regions:
            lines.append(",".join(prefix + ["0", "0", '"{}"', '"{}"']))
        for i, region in enumerate(regions):
            cells = [str(len(regions)), str(i), _csv_json(region["shape_attributes"]),
                     _csv_json(region["region_attributes"])]
            lines.append(",".join(prefix + cells))
    return "\n".join(lines)


@contextmanager
def _as_review_error():
    """io.via's format errors as the review's own error; their message already names the file."""
    try:
        yield
    except ViaFormatError as exc:
        raise ReviewError(str(exc)) from None


def read_csv_records(text: str, source: str) -> list[dict]:
    """The records of a VIA CSV export; rows of one file (same name and size) are one record."""
    records: dict[str, dict] = {}
    with _as_review_error():
        for line_no, row in enumerate(via_csv_rows(text, source), start=2):
            where = f"{source} line {line_no}"
            filename, size = (row["filename"] or "").strip(), (row["file_size"] or "").strip()
            record = records.setdefault(
                file_id(filename, size),
                {"filename": filename, "size": size, "regions": [],
                 "file_attributes": json_object_cell(row["file_attributes"], "file_attributes", where)},
            )
            shape = json_object_cell(row["region_shape_attributes"], "region_shape_attributes", where)
            region = json_object_cell(row["region_attributes"], "region_attributes", where)
            if shape or region:  # a file without regions has one row with "{}" "{}"
                record["regions"].append({"shape_attributes": shape, "region_attributes": region})
    return list(records.values())


def read_json_records(text: str, source: str) -> tuple[list[dict], dict]:
    """The records and settings of a saved VIA project (or of a VIA JSON export, without settings)."""
    with _as_review_error():
        data, files = via_json_files(text, source)
    order = data.get("_via_image_id_list") or list(files)
    records = [files[key] for key in order if isinstance(files.get(key), dict) and "filename" in files[key]]
    if not records and files:
        raise ReviewError(f"{source}: not a VIA project or JSON export (no file records)")
    via_settings = data.get("_via_settings") if isinstance(data.get("_via_settings"), dict) else {}
    return records, via_settings
