"""VIA's export of a corrected review project -> the project's annotation tables + what was predicted.

The corrected points are read by the project's own VIA parser (:func:`foot_landmarks.io.via.read_via`),
so they are exactly what data processing will read. What the model predicted comes from the
region attribute ``predicted`` ("landmark:x,y", written by :mod:`.export`), which VIA keeps
through load, edit, save and export. A point the reviewer added has none; a point the reviewer
deleted leaves its prediction out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from foot_landmarks.io.via import ViaAnnotations, read_via

from . import via_files
from .export import PROJECT_FILE
from .errors import ReviewError

PREDICTED_COLUMNS = ("image", "foot", "landmark", "x", "y")
_PREDICTED = re.compile(r"^\s*([1-8])\s*:\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*$")


@dataclass
class ReviewedExport:
    """`annotations`: the corrected scans (images, points, parser problems); `predicted`: the
    model's points (PREDICTED_COLUMNS); `image_folder`: the image folder a saved VIA project names
    (its default path), "" when the export does not say."""

    annotations: ViaAnnotations
    predicted: pd.DataFrame
    image_folder: str


def clean_filename(name: str) -> str:
    """A VIA file name as the project's parser keys it ('./' removed)."""
    name = str(name).strip()
    while name.startswith("./"):
        name = name[2:]
    return name


def parse_predicted(text) -> tuple[int, float, float] | None:
    """'3:412.25,88' -> (3, 412.25, 88.0); None for anything else (a point added by hand)."""
    match = _PREDICTED.match(str(text or ""))
    if not match:
        return None
    try:
        return int(match[1]), float(match[2]), float(match[3])
    except ValueError:
        return None


def predicted_points(records: list[dict]) -> pd.DataFrame:
    """The model's points recorded in the regions' ``predicted`` attributes (PREDICTED_COLUMNS)."""
    rows = []
    for record in records:
        regions = record.get("regions") or []
        if isinstance(regions, dict):  # VIA 1 keeps regions in a dict
            regions = list(regions.values())
        for region in regions:
            attributes = (region.get("region_attributes") or {}) if isinstance(region, dict) else {}
            parsed = parse_predicted(attributes.get("predicted"))
            if parsed:
                foot = str(attributes.get("foot", "") or "").strip().lower()
                rows.append((clean_filename(record["filename"]), foot, *parsed))
    table = pd.DataFrame(rows, columns=list(PREDICTED_COLUMNS))
    # a region copied in VIA carries the same prediction twice: count it once
    return table.drop_duplicates(["image", "foot", "landmark"]).reset_index(drop=True)


def folder_from_settings(via_settings: dict) -> str:
    """VIA's default path as a local folder ("" when unset, relative or a web address)."""
    path = str(((via_settings or {}).get("core") or {}).get("default_filepath") or "")
    if path.startswith("file://"):
        path = unquote(urlparse(path).path)
    return path if path and Path(path).is_absolute() else ""


def project_folder_beside(export: Path) -> str:
    """The image folder of the review project in the export's folder (a CSV export saved into
    the review folder), "" when there is none or it cannot be read."""
    project = export.parent / PROJECT_FILE
    if project == export or not project.is_file():
        return ""
    try:
        return folder_from_settings(via_files.read_json_records(project.read_text(encoding="utf-8"), str(project))[1])
    except (OSError, UnicodeDecodeError, ReviewError):
        return ""


def _records(path: Path, text: str) -> tuple[list[dict], dict]:
    if path.suffix.lower() == ".json":
        return via_files.read_json_records(text, str(path))
    return via_files.read_csv_records(text, str(path)), {}


def read_review_export(path: str | Path) -> ReviewedExport:
    """Read VIA's CSV export or saved project (JSON) of a review; ReviewError when it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise ReviewError(f"{path}: no such file")
    try:
        annotations = read_via(path)
    except ValueError as exc:  # the parser's message names the file
        raise ReviewError(str(exc).splitlines()[0]) from None
    except (AttributeError, KeyError, TypeError) as exc:  # JSON of another shape than VIA's
        raise ReviewError(f"{path}: not a VIA export or project ({type(exc).__name__}: {exc})") from None
    if annotations.points.empty:
        raise ReviewError(f"{path}: no point regions with a landmark number 1-8 (not an export of a review project?)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    records, via_settings = _records(path, text)
    return ReviewedExport(annotations, predicted_points(records), folder_from_settings(via_settings)
                          or project_folder_beside(path))
