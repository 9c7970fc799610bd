"""Checks that raw scans and their VIA annotations can be trusted, as pure functions on tables.

Each check returns rejection rows ``(dataset, file, reason)``; the pipeline gathers them into
one rejection report (``REJECTION_COLUMNS``). In strict mode :func:`raise_if_rejected` turns the
whole report into ONE error listing every offender, so a broken delivery is fixed in one pass.

Tables used (docs/CONTRACTS.md): ``files`` (dataset, image, partition) lists image files found
under data/01_raw/<dataset>/images; ``annotations`` (dataset + io.via images columns) and
``points`` (dataset + io.via points columns) come from the VIA files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from foot_landmarks.landmarks import LANDMARK_IDS, SIDES

REJECTION_COLUMNS = ["file", "dataset", "stage", "reason"]
Rejection = tuple[str, str, str]  # dataset, file, reason


class DataValidationError(ValueError):
    """Raised in strict mode, once, with every offending file and its problem."""


def rejection_table(rows: Iterable[Rejection], stage: str) -> pd.DataFrame:
    """Rejection rows as the report's table (one row per file and problem)."""
    records = [{"file": f, "dataset": d, "stage": stage, "reason": r} for d, f, r in rows]
    return pd.DataFrame(records, columns=REJECTION_COLUMNS)


# --- annotation files -------------------------------------------------------------------------

_HARMLESS_PARSER_PROBLEM = re.compile(r"region shape '.*' is not a point")


def parser_problems(dataset: str, problems: Iterable[tuple[str, str]]) -> tuple[list[Rejection], list[Rejection]]:
    """Split the VIA reader's problems into (rejections, notes).

    A shape other than a point (a stray rectangle) does not touch the landmarks, so it is only
    noted; a point without a usable landmark number, or a row of broken JSON, means the file's
    landmarks cannot be trusted, so the file is rejected.
    """
    rejected, notes = [], []
    for file, problem in problems:
        (notes if _HARMLESS_PARSER_PROBLEM.search(problem) else rejected).append(
            (dataset, file, f"annotation problem: {problem}")
        )
    return rejected, notes


def check_landmark_ids(points: pd.DataFrame) -> list[Rejection]:
    """Every annotated foot has exactly the 8 landmarks 1-8, each once.

    A one-foot file has 8 points with `foot` ""; a sheet with both feet has 16, each with a
    `foot` region attribute "left" or "right" (VIA); a mix of labelled and unlabelled points, or
    another label, cannot be assigned to a foot.
    """
    rows: list[Rejection] = []
    if "foot" not in points.columns:
        points = points.assign(foot="")
    points = points.assign(foot=points["foot"].fillna("").astype(str).str.strip().str.lower())
    for (dataset, image), file_points in points.groupby(["dataset", "image"], sort=True):
        labels = set(file_points["foot"])
        if labels - {"", "left", "right"}:
            bad = ", ".join(sorted(repr(v) for v in labels - {"", "left", "right"}))
            rows.append((dataset, image, f"foot attribute must be left or right, got {bad}"))
            continue
        if "" in labels and len(labels) > 1:
            rows.append((dataset, image, "some points have a foot attribute (left/right) and others none"))
            continue
        for foot, group in file_points.groupby("foot", sort=True):
            counts = group["landmark"].value_counts()
            missing = [i for i in LANDMARK_IDS if i not in counts.index]
            duplicated = sorted(int(i) for i, n in counts.items() if n > 1)
            whose = f"{foot} foot: " if foot else ""
            if missing:
                rows.append((dataset, image, f"{whose}missing landmark(s) {', '.join(map(str, missing))}"))
            if duplicated:
                detail = ", ".join(f"{i} ({counts[i]} points)" for i in duplicated)
                rows.append((dataset, image, f"{whose}duplicate landmark id(s) {detail}"))
    return rows


def check_annotated_without_points(annotations: pd.DataFrame, points: pd.DataFrame) -> list[Rejection]:
    """A file listed in the VIA export with no landmark at all."""
    with_points = set(zip(points["dataset"], points["image"]))
    return [
        (d, i, "annotation has no landmark points")
        for d, i in zip(annotations["dataset"], annotations["image"])
        if (d, i) not in with_points
    ]


def check_points_inside(points: pd.DataFrame, sizes: pd.DataFrame) -> list[Rejection]:
    """Every point lies on the image: -0.5 <= x < width - 0.5 (pixel centres run 0..width-1)."""
    merged = points.merge(sizes[["dataset", "image", "width", "height"]], on=["dataset", "image"])
    outside = merged[
        (merged["x"] < -0.5)
        | (merged["y"] < -0.5)
        | (merged["x"] >= merged["width"] - 0.5)
        | (merged["y"] >= merged["height"] - 0.5)
    ]
    rows: list[Rejection] = []
    for (dataset, image), group in outside.groupby(["dataset", "image"], sort=True):
        w, h = int(group["width"].iloc[0]), int(group["height"].iloc[0])
        where = "; ".join(f"{int(r.landmark)} at ({r.x:g}, {r.y:g})" for r in group.itertuples())
        rows.append((dataset, image, f"landmark(s) outside the {w}x{h} image: {where}"))
    return rows


def check_annotated_images_exist(annotations: pd.DataFrame, files: pd.DataFrame) -> list[Rejection]:
    """An annotation row whose image is not in the data set's images/ folder."""
    present = set(zip(files["dataset"], files["image"]))
    return [
        (d, i, "annotated image file not found in images/")
        for d, i in zip(annotations["dataset"], annotations["image"])
        if (d, i) not in present
    ]


def check_images_annotated(files: pd.DataFrame, annotations: pd.DataFrame) -> list[Rejection]:
    """An image file with no row in its data set's annotation files."""
    annotated = set(zip(annotations["dataset"], annotations["image"]))
    return [
        (d, i, "image has no annotation")
        for d, i in zip(files["dataset"], files["image"])
        if (d, i) not in annotated
    ]


def check_duplicate_names(files: pd.DataFrame) -> list[Rejection]:
    """The same file name in several data sets: likely the same scan twice, which would leak
    between splits. The copy in the first data set (by name) is kept, later ones are rejected."""
    names = files.assign(name=files["image"].map(lambda p: p.rsplit("/", 1)[-1].lower()))
    rows: list[Rejection] = []
    for _, group in names.groupby("name", sort=True):
        datasets = sorted(group["dataset"].unique())
        if len(datasets) < 2:
            continue
        for row in group.itertuples():
            if row.dataset != datasets[0]:
                rows.append((row.dataset, row.image, f"duplicate file name, also in data set '{datasets[0]}'"))
    return rows


def check_side(annotated: str, detected: str | None) -> str | None:
    """The side to use is the annotation's; without one, the detected side; else a rejection."""
    if annotated in SIDES or detected in SIDES:
        return None
    given = f"'{annotated}'" if annotated else "none"
    return f"side unknown: annotation gives {given} and it is not detectable from the print"


def raise_if_rejected(rejections: pd.DataFrame, strict: bool) -> None:
    """Strict mode: one error naming every offending file and its problem."""
    if not strict or rejections.empty:
        return
    lines = [f"  {r.dataset}/{r.file}: {r.reason}" for r in rejections.itertuples()]
    raise DataValidationError(
        f"{len(rejections)} problem(s) in {rejections[['dataset', 'file']].drop_duplicates().shape[0]} "
        f"file(s) of data/01_raw (strict mode; set data_processing.strict: false to quarantine them "
        f"into the rejection report instead):\n" + "\n".join(lines)
    )
