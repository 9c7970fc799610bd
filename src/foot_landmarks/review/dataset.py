"""The reviewed scans as a data set: ``data/01_raw/NAME/images/`` + ``via_annotations.csv``.

The layout data processing reads for every data set under data/01_raw (conf/base/
catalog_data_processing.yml): the images (hard links where the file system allows, else copies)
under images/, keyed by their path relative to it, and a VIA CSV export in the project's format
(:func:`foot_landmarks.io.via.format_via_csv`: landmark, foot, visible per point; side, subject,
dpi, usable, view per file). ``review_summary.csv`` beside it says what the review changed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

import pandas as pd

from foot_landmarks.io.via import ViaAnnotations, format_via_csv

from .errors import ReviewError

IMAGES_DIR = "images"
ANNOTATION_CSV = "via_annotations.csv"
ANNOTATION_JSON = "via_project.json"
SUMMARY_CSV = "review_summary.csv"
REVIEW_ONLY_FILE_ATTRIBUTES = ("warnings",)  # the prediction's notes, not annotations


def check_name(name: str) -> str:
    """A data set name is one folder name under the data root."""
    if not name or name in (".", "..") or any(c in name for c in "/\\") or name != name.strip():
        raise ReviewError(f"--name must be a plain folder name, got {name!r}")
    return name


def dataset_present(folder: Path) -> bool:
    """Whether `folder` already holds a data set (annotations or images)."""
    images = folder / IMAGES_DIR
    return (folder / ANNOTATION_CSV).exists() or (folder / ANNOTATION_JSON).exists() or (
        images.is_dir() and any(images.iterdir())
    )


def dataset_name(image: str) -> str:
    """An image's path under images/: its VIA name when that is a plain relative path, else
    its file name (VIA may hold absolute paths or web addresses)."""
    path = PurePosixPath(image.replace("\\", "/"))
    if "://" in image or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        return path.name
    return path.as_posix()


def image_folders(export: Path, project_folder: str, images_dir: Path | None) -> list[Path]:
    """Where to look for the scans: --images alone when given; else the folder the saved project
    names, the export's folder and its images/."""
    if images_dir is not None:
        return [images_dir]
    folders = [Path(project_folder)] if project_folder else []
    return folders + [export.parent, export.parent / IMAGES_DIR]


def locate_images(images: list[str], folders: list[Path], export: Path) -> dict[str, Path]:
    """Each VIA file name -> the scan on disk (its path under a folder, else its bare name there)."""
    found, missing = {}, []
    for image in images:
        candidates = [f / image for f in folders] + [f / PurePosixPath(image).name for f in folders]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            missing.append(image)
        else:
            found[image] = path
    if missing:
        where = ", ".join(str(f) for f in folders)
        raise ReviewError(
            f"{export}: {len(missing)} of {len(images)} images not found (first: {missing[0]}) "
            f"in {where}; pass --images DIR"
        )
    return found


def dataset_tables(annotations: ViaAnnotations, sources: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The images and points tables as the data set holds them: images renamed to their path
    under images/, file sizes of the files on disk, the prediction's notes dropped."""
    names = {image: dataset_name(image) for image in annotations.images["image"]}
    if len(set(names.values())) != len(names):
        raise ReviewError("two reviewed scans would share one file name under images/")
    images = annotations.images.copy()
    images["attributes"] = [
        {k: v for k, v in a.items() if k not in REVIEW_ONLY_FILE_ATTRIBUTES} for a in images["attributes"]
    ]
    images["file_size"] = [sources[i].stat().st_size for i in images["image"]]
    images["image"] = images["image"].map(names)
    points = annotations.points.assign(image=annotations.points["image"].map(names))
    return images, points


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link (no second copy of a large scan) where possible, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def clear_dataset(folder: Path) -> None:
    """Remove what a data set and a review import write, so that no stale file remains."""
    shutil.rmtree(folder / IMAGES_DIR, ignore_errors=True)
    for name in (ANNOTATION_CSV, ANNOTATION_JSON, SUMMARY_CSV):
        (folder / name).unlink(missing_ok=True)


def write_dataset(
    folder: Path,
    images: pd.DataFrame,
    points: pd.DataFrame,
    files: dict[str, Path],
    summary: pd.DataFrame,
    force: bool = False,
) -> Path:
    """Write the data set; `files`: name under images/ -> the scan to link or copy.
    An existing data set is replaced only with `force` (FileExistsError otherwise)."""
    if dataset_present(folder):
        if not force:
            raise FileExistsError(f"{folder} already holds a data set; pass --force to overwrite it")
        clear_dataset(folder)
    for name, source in files.items():
        link_or_copy(source, folder / IMAGES_DIR / name)
    (folder / ANNOTATION_CSV).write_text(format_via_csv(images, points), encoding="utf-8")
    summary.to_csv(folder / SUMMARY_CSV, index=False, float_format="%.3f")
    return folder
