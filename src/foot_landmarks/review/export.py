"""A prediction table -> a VIA 2.0.10 review project and its VIA CSV, least confident scans first.

Every scan is one VIA file, every predicted point one ``point`` region (original scan pixels,
the frame VIA uses) with the region attributes

- ``landmark`` (1-8, a dropdown that names each point), ``foot`` (left/right on two-foot sheets,
  "" on one-foot scans), ``visible`` ("1"; "0" for a toe that left no print);
- ``confidence`` (the model's, 2 decimals) and ``check`` (VIA checkbox, ``{"1": true}``) on
  low-confidence points and points the prediction flagged (a ``flags`` column, when present);
- ``predicted``: the model's point as "landmark:x,y" (px), so that VIA's export of the corrected
  project still says what was predicted and import-review can measure every correction;

and the file attributes ``side``, ``dpi``, ``subject``, ``usable``, ``view`` (and ``warnings``
when the table has that column). Scans are ordered by their lowest point confidence (the weakest
point decides what to look at first), ties by the mean confidence, then by name.

Only :func:`write_review` touches the disk; everything else returns dicts and strings.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from foot_landmarks.landmarks import LANDMARK_IDS, LANDMARK_NAMES, mirror_side

from . import via_files

PROJECT_NAME = "foot_landmarks_review"
PROJECT_FILE = "via_project.json"
CSV_FILE = "via_annotations.csv"
CONFIDENCE_DECIMALS = 2
CHECKED = {"1": True}  # a ticked VIA checkbox with the one option "1"
_NOT_A_FLAG = {"", "0", "false", "no", "none", "nan", "[]", "{}"}


def is_flag(value) -> bool:
    """Whether a cell of a flag-like column (bool, number or text) says yes."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return math.isfinite(value) and value != 0
    return str(value).strip().lower() not in _NOT_A_FLAG


def _text(value) -> str:
    """A table cell as text, "" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(value) -> float:
    """A table cell as a float, NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _confidence(predictions: pd.DataFrame) -> pd.Series:
    # an unknown confidence reads as none at all: such a point is reviewed first
    return pd.to_numeric(predictions["confidence"], errors="coerce").fillna(0.0)


def scan_order(predictions: pd.DataFrame) -> list[str]:
    """The scans (``image``), least confident first: lowest point confidence, then mean, then name."""
    stats = _confidence(predictions).groupby(predictions["image"]).agg(["min", "mean"])
    stats["name"] = stats.index.astype(str)
    return list(stats.sort_values(["min", "mean", "name"]).index)


def needs_check(predictions: pd.DataFrame) -> pd.Series:
    """Per point: low confidence, or flagged by the prediction (any true cell of ``flags``)."""
    check = predictions["low_confidence"].map(is_flag) if "low_confidence" in predictions else False
    check = pd.Series(check, index=predictions.index, dtype=bool)
    if "flags" in predictions:
        check |= predictions["flags"].map(is_flag).astype(bool)
    return check | pd.to_numeric(predictions["confidence"], errors="coerce").isna()


def format_predicted(landmark: int, x: float, y: float) -> str:
    """The ``predicted`` region attribute: "3:412.25,88" (landmark:x,y in px, as VIA writes numbers)."""
    return f"{int(landmark)}:{via_files.js_number(x)},{via_files.js_number(y)}"


def point_region(row: pd.Series, check: bool, with_flags: bool) -> dict:
    """One predicted point as a VIA point region."""
    x, y = via_files.js_number(row["x_px"]), via_files.js_number(row["y_px"])
    confidence = _number(row.get("confidence"))
    attributes = {
        "landmark": str(int(row["landmark"])),
        "foot": _text(row.get("foot")).lower(),
        "visible": "1",
        "confidence": "" if math.isnan(confidence) else f"{confidence:.{CONFIDENCE_DECIMALS}f}",
        "predicted": format_predicted(row["landmark"], row["x_px"], row["y_px"]),
    }
    if check:
        attributes["check"] = dict(CHECKED)
    if with_flags:
        attributes["flags"] = _text(row.get("flags")) if is_flag(row.get("flags")) else ""
    return {"shape_attributes": {"name": "point", "cx": x, "cy": y}, "region_attributes": attributes}


def _joined(values: pd.Series) -> str:
    """The distinct notes of a column ('; '-separated lists taken apart), in order, joined with '; '."""
    notes = (note.strip() for text in map(_text, values) for note in text.split(";"))
    return "; ".join(dict.fromkeys(note for note in notes if is_flag(note)))


def file_attributes(rows: pd.DataFrame, view: str | None) -> dict:
    """The file attributes of one scan from its prediction rows.

    ``side`` is the anatomical side of a one-foot scan: the table's ``side`` is the print-view
    configuration, whose mirror is the foot when the scan is seen from below. Two-foot sheets
    leave it "" (each foot says its side in the region attribute ``foot``).
    """
    feet = set(rows["foot"].map(_text)) if "foot" in rows else {""}
    sides = [s for s in rows["side"].map(_text).str.lower() if s] if "side" in rows else []
    side = sides[0] if feet == {""} and sides else ""
    if view == "below":
        side = mirror_side(side)
    dpi = pd.to_numeric(rows["dpi"], errors="coerce").dropna() if "dpi" in rows else pd.Series(dtype=float)
    attributes = {
        "side": side,
        "dpi": f"{float(dpi.iloc[0]):g}" if len(dpi) else "",
        "subject": _text(rows["subject"].iloc[0]) if "subject" in rows else "",
        "usable": "true",
        "view": view or "print",
    }
    if "warnings" in rows:
        attributes["warnings"] = _joined(rows["warnings"])
    return attributes


def review_attributes(with_warnings: bool, with_flags: bool) -> dict:
    """``_via_attributes``: how VIA shows each attribute (dropdowns, a checkbox, text fields)."""
    text, options = via_files.text_attribute, via_files.option_attribute
    region = {
        "landmark": options("dropdown", "landmark number (LANDMARKS.md)",
                            {str(k): f"{k} {LANDMARK_NAMES[k]}" for k in LANDMARK_IDS}),
        "foot": options("dropdown", "which foot on a two-foot sheet (empty on a one-foot scan)",
                        {"left": "left", "right": "right"}),
        "visible": options("dropdown", "0 for a toe that left no print",
                           {"1": "visible", "0": "no print (not visible)"}),
        "confidence": text("the model's confidence in this point (0-1)"),
        "check": options("checkbox", "look at this point: low confidence or flagged by the prediction",
                         {"1": "check"}),
        "predicted": text("the model's point, landmark:x,y in px (kept for the review summary; leave it)"),
    }
    if with_flags:
        region["flags"] = text("what the prediction flagged on this point")
    file = {
        "side": options("dropdown", "the foot of a one-foot scan (empty on a two-foot sheet)",
                        {"left": "left", "right": "right"}),
        "dpi": text("scan resolution (dots per inch); empty when unknown"),
        "subject": text("the person's id (prints of one subject stay in one split)"),
        "usable": options("dropdown", "false: the print cannot be annotated (reject it)",
                          {"true": "usable", "false": "reject"}),
        "view": options("dropdown", "below: a bare sole seen from below (glass plate, flatbed)",
                        {"print": "print", "below": "below"}),
    }
    if with_warnings:
        file["warnings"] = text("what the prediction warned about this scan")
    return {"region": region, "file": file}


def review_records(
    predictions: pd.DataFrame, filenames: dict[str, str], sizes: dict[str, int], view: str | None = None
) -> list[dict]:
    """One VIA file record per scan, least confident first. `filenames`: image -> name in VIA
    (relative to the image folder); `sizes`: image -> bytes (VIA keys files by name and size)."""
    points = predictions[
        pd.to_numeric(predictions["x_px"], errors="coerce").notna()
        & pd.to_numeric(predictions["y_px"], errors="coerce").notna()
    ]
    check = needs_check(points)
    with_flags = "flags" in predictions
    records = []
    for image in scan_order(points):
        rows = points[points["image"] == image]
        records.append({
            "filename": filenames[image],
            "size": int(sizes[image]),
            "regions": [point_region(row, bool(check[i]), with_flags) for i, row in rows.iterrows()],
            "file_attributes": file_attributes(rows, view),
        })
    return records


def image_folder(paths: list[Path]) -> Path:
    """The folder that holds every scan (VIA's default path; file names are relative to it)."""
    return Path(os.path.commonpath([str(p.parent) for p in paths]))


def review_project(
    predictions: pd.DataFrame, folder: Path, sizes: dict[str, int], view: str | None = None
) -> tuple[dict, str]:
    """(VIA project, VIA CSV) for absolute scan paths in ``image`` under `folder`."""
    filenames = {image: Path(image).relative_to(folder).as_posix() for image in predictions["image"].unique()}
    records = review_records(predictions, filenames, sizes, view)
    attributes = review_attributes("warnings" in predictions, "flags" in predictions)
    # VIA joins the default path and the file name as they are: the folder needs its separator
    via_settings = via_files.settings(PROJECT_NAME, str(folder).rstrip(os.sep) + os.sep, region_label="landmark")
    return via_files.project(records, attributes, via_settings), via_files.format_csv(records)


def write_review(predictions: pd.DataFrame, out: str | Path, view: str | None = None) -> tuple[Path, Path]:
    """Write ``via_project.json`` and ``via_annotations.csv`` into `out`; returns both paths."""
    out = Path(out)
    table = predictions.assign(image=[str(Path(p).resolve()) for p in predictions["image"]])
    paths = [Path(p) for p in table["image"].unique()]
    if not paths:
        raise ValueError("no predicted landmarks to review")
    folder = image_folder(paths)
    sizes = {str(p): p.stat().st_size for p in paths}
    project, csv_text = review_project(table, folder, sizes, view)
    out.mkdir(parents=True, exist_ok=True)
    project_path, csv_path = out / PROJECT_FILE, out / CSV_FILE
    project_path.write_text(via_files.to_json(project), encoding="utf-8")
    csv_path.write_text(csv_text, encoding="utf-8")
    return project_path, csv_path
