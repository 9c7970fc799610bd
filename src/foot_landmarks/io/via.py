"""Read and write VGG Image Annotator (VIA) annotations as two tables.

The tables are the project's annotation contract (LANDMARKS.md, "Annotation files"):

- ``images``: one row per annotated file: ``image`` (file name as VIA wrote it, ``./`` removed),
  ``file_size``, ``side`` ("left"/"right"/""), ``subject``, ``dpi`` (float, NaN if unknown),
  ``source``, ``usable`` (bool) and ``attributes`` (every file attribute, as a dict).
- ``points``: one row per landmark point: ``image``, ``landmark`` (1-8), ``x``, ``y`` (float,
  original scan pixels), ``visible`` (0/1) and ``foot`` ("" for one-foot files).

Anything VIA can hold that is not one of our points (other shapes, unnumbered points, broken
JSON) is returned in ``problems`` as ``(file, problem)`` pairs instead of raising: a clinic's
export with a stray rectangle must not stop the whole data set.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from foot_landmarks.landmarks import LANDMARK_IDS

VIA_CSV_COLUMNS = (
    "filename",
    "file_size",
    "file_attributes",
    "region_count",
    "region_id",
    "region_shape_attributes",
    "region_attributes",
)
IMAGE_COLUMNS = ("image", "file_size", "side", "subject", "dpi", "source", "usable", "attributes")
POINT_COLUMNS = ("image", "landmark", "x", "y", "visible", "foot")


class ViaFormatError(ValueError):
    """A file that is not a VIA export at all (wrong header, not JSON)."""


@dataclass
class ViaAnnotations:
    images: pd.DataFrame
    points: pd.DataFrame
    problems: list[tuple[str, str]] = field(default_factory=list)


def _clean_filename(name: str) -> str:
    name = str(name).strip()
    while name.startswith("./"):
        name = name[2:]
    return name


def _parse_bool(value, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "t"}:
        return True
    if text in {"0", "false", "no", "n", "f"}:
        return False
    return default


def _parse_float(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _image_row(image: str, file_size, attributes: dict) -> dict:
    side = str(attributes.get("side", "")).strip().lower()
    return {
        "image": image,
        "file_size": int(_parse_float(file_size)) if not math.isnan(_parse_float(file_size)) else -1,
        "side": side,
        "subject": str(attributes.get("subject", "")),
        "dpi": _parse_float(attributes.get("dpi")),
        "source": str(attributes.get("source", "")),
        "usable": _parse_bool(attributes.get("usable"), default=True),
        "attributes": dict(attributes),
    }


def _point_row(image: str, shape: dict, region: dict) -> tuple[dict | None, str | None]:
    """One VIA region to one point row, or the reason it is not one of our landmarks."""
    name = shape.get("name")
    if name != "point":
        return None, f"region shape '{name}' is not a point"
    cx, cy = _parse_float(shape.get("cx")), _parse_float(shape.get("cy"))
    if math.isnan(cx) or math.isnan(cy):
        return None, f"point region has no numeric cx/cy: {shape!r}"
    raw_id = region.get("landmark", region.get("id"))
    try:
        landmark = int(str(raw_id).strip())
    except (TypeError, ValueError):
        return None, f"point at ({cx:g}, {cy:g}) has no landmark number 1-8 in region_attributes"
    if landmark not in LANDMARK_IDS:
        return None, f"point at ({cx:g}, {cy:g}) has landmark number {landmark}, not 1-8"
    visible = 0 if str(region.get("visible", "1")).strip().lower() in {"0", "false", "no"} else 1
    row = {
        "image": image,
        "landmark": landmark,
        "x": cx,
        "y": cy,
        "visible": visible,
        "foot": str(region.get("foot", "")).strip().lower(),
    }
    return row, None


def json_object_cell(text: str, what: str, source: str) -> dict:
    """One JSON cell of a VIA CSV export (``what`` names the column) as a dict; an empty cell is {}."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ViaFormatError(f"{source}: {what} is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ViaFormatError(f"{source}: {what} is not a JSON object")
    return value


def _tables(image_rows: list[dict], point_rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    images = pd.DataFrame(image_rows, columns=list(IMAGE_COLUMNS))
    images = images.drop_duplicates("image", keep="first").reset_index(drop=True)
    points = pd.DataFrame(point_rows, columns=list(POINT_COLUMNS))
    points = points.astype({"landmark": int, "x": float, "y": float, "visible": int})
    return images, points


def via_csv_rows(text: str, source: str) -> csv.DictReader:
    """The rows of a VIA 1.x/2.x CSV export as dicts, once its header has every VIA column.

    The header may start with '#', as VIA 1 writes it.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise ViaFormatError(f"{source}: empty file, not a VIA CSV export")
    lines[0] = lines[0].lstrip("#").strip()
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in VIA_CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ViaFormatError(
            f"{source}: not a VIA CSV export, header lacks {', '.join(missing)} "
            f"(found {', '.join(reader.fieldnames or []) or 'nothing'})"
        )
    return reader


def parse_via_csv(text: str, source: str = "<csv>") -> ViaAnnotations:
    """Parse the text of a VIA 1.x/2.x CSV export (the header may start with '#', as VIA 1 writes)."""
    reader = via_csv_rows(text, source)
    image_rows: list[dict] = []
    point_rows: list[dict] = []
    problems: list[tuple[str, str]] = []
    for line_no, row in enumerate(reader, start=2):
        image = _clean_filename(row["filename"] or "")
        where = f"{source} line {line_no}"
        try:
            attributes = json_object_cell(row["file_attributes"], "file_attributes", where)
            shape = json_object_cell(row["region_shape_attributes"], "region_shape_attributes", where)
            region = json_object_cell(row["region_attributes"], "region_attributes", where)
        except ViaFormatError as exc:
            problems.append((image or source, str(exc)))
            continue
        image_rows.append(_image_row(image, row["file_size"], attributes))
        if not shape:  # a file row without regions
            continue
        point, problem = _point_row(image, shape, region)
        if problem:
            problems.append((image, f"{where}: {problem}"))
        else:
            point_rows.append(point)
    images, points = _tables(image_rows, point_rows)
    return ViaAnnotations(images, points, problems)


def via_json_files(text: str, source: str) -> tuple[dict, dict]:
    """The whole document and its file entries (``{key: file}``) of a VIA JSON export (1.x/2.x,
    the top level) or of a saved VIA 2 project (its ``_via_img_metadata``)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ViaFormatError(f"{source}: empty file, not a VIA JSON export")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ViaFormatError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ViaFormatError(f"{source}: top level is not a JSON object, not a VIA export")
    files = data.get("_via_img_metadata", data)
    if not isinstance(files, dict):
        raise ViaFormatError(f"{source}: _via_img_metadata is not a JSON object, not a VIA project")
    return data, files


def parse_via_json(text: str, source: str = "<json>") -> ViaAnnotations:
    """Parse a VIA JSON export (1.x/2.x ``{key: file}``) or a saved VIA 2 project (``_via_img_metadata``)."""
    _, files = via_json_files(text, source)
    image_rows: list[dict] = []
    point_rows: list[dict] = []
    problems: list[tuple[str, str]] = []
    for key, entry in files.items():
        if not isinstance(entry, dict) or "filename" not in entry:
            problems.append((str(key), f"{source}: entry '{key}' is not a VIA file record"))
            continue
        image = _clean_filename(entry["filename"])
        attributes = entry.get("file_attributes") or {}
        if not isinstance(attributes, dict):
            problems.append((image, f"{source}: '{image}': file_attributes is not a JSON object"))
            attributes = {}
        image_rows.append(_image_row(image, entry.get("size", -1), attributes))
        regions = _region_list(entry.get("regions") or [])
        if regions is None:
            problems.append((image, f"{source}: '{image}': regions is neither a list nor an object"))
            continue
        for n, region in enumerate(regions):
            point, problem = _json_region(image, region)
            if problem:
                problems.append((image, f"{source}: '{image}' region {n}: {problem}"))
            else:
                point_rows.append(point)
    images, points = _tables(image_rows, point_rows)
    return ViaAnnotations(images, points, problems)


def _region_list(regions) -> list | None:
    """A file record's regions as a list (VIA 1.x keeps them in a dict keyed "0", "1", ...)."""
    if isinstance(regions, dict):
        return [regions[k] for k in sorted(regions, key=lambda k: int(k) if str(k).isdigit() else str(k))]
    return regions if isinstance(regions, list) else None


def _json_region(image: str, region) -> tuple[dict | None, str | None]:
    """One region of a VIA JSON record to a point row, or why it is not one of our landmarks."""
    if not isinstance(region, dict):
        return None, f"region is not a JSON object: {region!r}"
    shape = region.get("shape_attributes") or {}
    attributes = region.get("region_attributes") or {}
    if not isinstance(shape, dict):
        return None, f"shape_attributes is not a JSON object: {shape!r}"
    if not isinstance(attributes, dict):
        return None, f"region_attributes is not a JSON object: {attributes!r}"
    return _point_row(image, shape, attributes)


def read_via(path: str | Path) -> ViaAnnotations:
    """Read a VIA CSV export or JSON export/project, chosen by the file's suffix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    if path.suffix.lower() == ".json":
        return parse_via_json(text, source=str(path))
    return parse_via_csv(text, source=str(path))


def _json(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _file_attributes(row: pd.Series) -> dict:
    attributes = dict(row.get("attributes") or {})
    for key in ("side", "subject", "source"):
        if isinstance(row.get(key), str) and row.get(key):
            attributes[key] = row[key]
    if "dpi" in row and not pd.isna(row["dpi"]):
        attributes["dpi"] = f"{float(row['dpi']):g}"
    if "usable" in row and not _parse_bool(row["usable"]):
        attributes["usable"] = "false"
    return attributes


def _region_attributes(point: pd.Series) -> dict:
    region = {"landmark": str(int(point["landmark"]))}
    if int(point.get("visible", 1)) == 0:
        region["visible"] = "0"
    if isinstance(point.get("foot"), str) and point["foot"]:
        region["foot"] = point["foot"]
    return region


def _shape(point: pd.Series) -> dict:
    # VIA stores numbers as JSON numbers; keep sub-pixel precision (VIA itself rounds on edit only).
    return {"name": "point", "cx": round(float(point["x"]), 3), "cy": round(float(point["y"]), 3)}


def format_via_csv(images: pd.DataFrame, points: pd.DataFrame) -> str:
    """The VIA 2.x CSV export text, laid out exactly as VIA writes it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VIA_CSV_COLUMNS)
    grouped = {name: group for name, group in points.groupby("image", sort=False)}
    for _, image_row in images.iterrows():
        attributes = _json(_file_attributes(image_row))
        group = grouped.get(image_row["image"])
        if group is None or group.empty:
            writer.writerow([image_row["image"], image_row["file_size"], attributes, 0, 0, "{}", "{}"])
            continue
        for region_id, (_, point) in enumerate(group.iterrows()):
            writer.writerow(
                [
                    image_row["image"],
                    image_row["file_size"],
                    attributes,
                    len(group),
                    region_id,
                    _json(_shape(point)),
                    _json(_region_attributes(point)),
                ]
            )
    return out.getvalue()


def format_via_json(images: pd.DataFrame, points: pd.DataFrame) -> str:
    """The VIA 2.x JSON export text (``{filename+size: {...}}``), which VIA imports as annotations."""
    grouped = {name: group for name, group in points.groupby("image", sort=False)}
    data = {}
    for _, image_row in images.iterrows():
        group = grouped.get(image_row["image"])
        regions = [] if group is None else [
            {"shape_attributes": _shape(p), "region_attributes": _region_attributes(p)}
            for _, p in group.iterrows()
        ]
        data[f"{image_row['image']}{int(image_row['file_size'])}"] = {
            "filename": image_row["image"],
            "size": int(image_row["file_size"]),
            "regions": regions,
            "file_attributes": _file_attributes(image_row),
        }
    return json.dumps(data, ensure_ascii=False)


def write_via(images: pd.DataFrame, points: pd.DataFrame, path: str | Path) -> Path:
    """Write a VIA CSV (``.csv``) or JSON (``.json``) export."""
    path = Path(path)
    text = format_via_json(images, points) if path.suffix.lower() == ".json" else format_via_csv(images, points)
    path.write_text(text, encoding="utf-8")
    return path
