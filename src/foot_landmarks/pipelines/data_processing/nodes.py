"""Nodes of the data_processing pipeline: raw scans + VIA files -> clean crops, samples, splits.

Every node is a plain function of data (I/O lives in the catalog). Raw scans arrive as lazy
:class:`~foot_landmarks.io.datasets.ScanImage` handles from a PartitionedDataset over
data/01_raw, so the slow per-image work (decoding, finding feet, cropping) runs in worker processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import ndimage as ndi
from kedro.io.core import DatasetError
from PIL import Image

from foot_landmarks import geometry as geo
from foot_landmarks.io.datasets import ScanImage, reduction_for
from foot_landmarks.io.via import ViaAnnotations, ViaFormatError
from foot_landmarks.landmarks import LANDMARK_IDS, SIDES
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.foot_finder.decoding import PLACED_FROM_ANNOTATION
from foot_landmarks.pages import (
    SIDE_TRUSTED, VIEWS, CropSettings, configuration, crop_annotated_feet, page_scale, read_page,
)
from foot_landmarks.splitting import assign_splits
from foot_landmarks.validation import (
    REJECTION_COLUMNS,
    check_annotated_images_exist,
    check_annotated_without_points,
    check_duplicate_names,
    check_images_annotated,
    check_landmark_ids,
    check_points_inside,
    check_side,
    parser_problems,
    raise_if_rejected,
    rejection_table,
)

log = logging.getLogger(__name__)

ANNOTATION_COLUMNS = ["dataset", "image", "file_size", "side", "subject", "dpi", "source", "usable", "attributes"]
POINT_COLUMNS = ["dataset", "image", "landmark", "x", "y", "visible", "foot"]


# --- helpers --------------------------------------------------------------------------------


def _split_partition(partition: str) -> tuple[str, str]:
    """'synthetic/images/a.jpg' -> ('synthetic', 'images/a.jpg')."""
    dataset, _, rest = partition.replace("\\", "/").partition("/")
    return dataset, rest


def _image_key(name: str) -> str:
    """A file's name relative to its data set's images/ folder, as VIA files may write it
    ('./images/a.jpg', 'images/a.jpg' or 'a.jpg' all mean images/a.jpg)."""
    name = name.replace("\\", "/")
    return name[len("images/") :] if name.startswith("images/") else name


def _drop_files(table: pd.DataFrame, files: set[tuple[str, str]]) -> pd.DataFrame:
    """The rows of `table` whose (dataset, image) is not in `files`."""
    mask = np.array([(d, i) not in files for d, i in zip(table["dataset"], table["image"])], dtype=bool)
    return table.loc[mask]


def _parallel_map(fn: Callable[..., Any], items: list[tuple], workers: int, what: str, every: int = 100) -> list:
    """`fn(*item)` for every item, on `workers` processes, logging progress every `every` items."""
    start, results = time.perf_counter(), []

    def progress(done: int) -> None:
        if done % every == 0 or done == len(items):
            rate = done / max(time.perf_counter() - start, 1e-9)
            log.info("%s: %d/%d images (%.1f images/s)", what, done, len(items), rate)

    if workers <= 1 or len(items) < 2:
        for item in items:
            results.append(fn(*item))
            progress(len(results))
        return results
    # forkserver: a process that already ran torch (a loaded model, a trained network) deadlocks
    # its forked children in OpenMP; a fresh server process forks clean workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        for result in pool.map(fn, *zip(*items), chunksize=max(1, min(16, len(items) // (4 * workers)))):
            results.append(result)
            progress(len(results))
    return results


# --- 1. ingest ------------------------------------------------------------------------------


def _read_annotation_file(load: Callable[[], ViaAnnotations]) -> tuple[ViaAnnotations | None, str | None]:
    """(annotations, None), or (None, why the file cannot be read): the reader's own one-line
    message (empty file, header lacking VIA columns, not JSON, unreadable), without Kedro's
    "Failed while loading data from dataset" wrapping."""
    try:
        return load(), None
    except (DatasetError, ViaFormatError, OSError, UnicodeError) as exc:
        cause = exc
        while isinstance(cause, DatasetError) and cause.__cause__ is not None:
            cause = cause.__cause__
        lines = str(cause).strip().splitlines() or [type(cause).__name__]
        return None, lines[-1] if isinstance(cause, DatasetError) else lines[0]


def collect_annotations(
    raw_annotations: Mapping[str, Callable[[], ViaAnnotations]],
    annotation_files: list[str],
    ignored_datasets: list[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every data set's VIA files into one annotation table and one point table.

    When a data set has both a CSV export and a JSON project, an image is taken from the first
    file in `annotation_files` that lists it, so the same points are never counted twice.
    A file that cannot be read at all (empty, no VIA header, not JSON) and a row that cannot be
    parsed (broken JSON, a region that is not an object) become rejections naming the file (and
    the row); the other files and data sets are still read.
    Returns (annotations, landmark_points, annotation_rejections).
    """
    image_tables, point_tables, rejected = [], [], []
    seen: set[tuple[str, str]] = set()
    chosen = sorted(
        (
            p for p in raw_annotations
            if _split_partition(p)[1] in annotation_files and _split_partition(p)[0] not in ignored_datasets
        ),
        key=lambda p: (_split_partition(p)[0], annotation_files.index(_split_partition(p)[1])),
    )
    for partition in chosen:
        dataset, name = _split_partition(partition)
        via, problem = _read_annotation_file(raw_annotations[partition])
        if problem:
            # the file is reported (the data set's images then count as unannotated); the other
            # data sets still run, and strict mode lists every problem in validate_samples
            rejected.append((dataset, name, f"annotation file unreadable: {problem}"))
            log.warning("%s/%s: %s", dataset, name, problem)
            continue
        images = via.images.assign(dataset=dataset, image=via.images["image"].map(_image_key))
        images = _drop_files(images, seen)
        points = via.points.assign(dataset=dataset, image=via.points["image"].map(_image_key))
        points = points[points["image"].isin(images["image"])]
        seen.update((dataset, i) for i in images["image"])
        image_tables.append(images[ANNOTATION_COLUMNS])
        point_tables.append(points[POINT_COLUMNS])
        bad, notes = parser_problems(dataset, [(_image_key(f), p) for f, p in via.problems])
        rejected += bad
        for _, file, reason in notes:
            log.info("%s/%s: %s (ignored)", dataset, file, reason)
        log.info("%s: %d annotated images, %d points from %s", dataset, len(images), len(points), name)
    annotations = pd.concat(image_tables, ignore_index=True) if image_tables else pd.DataFrame(columns=ANNOTATION_COLUMNS)
    points = pd.concat(point_tables, ignore_index=True) if point_tables else pd.DataFrame(columns=POINT_COLUMNS)
    return annotations, points, rejection_table(rejected, "annotation")


# --- 2. validate ----------------------------------------------------------------------------


def _probe_scan(scan: ScanImage, detect: bool, view: str, analysis_long_side: int, finder: FootFinder | None) -> dict:
    """Decode a scan at low resolution (a truncated file fails here) and, if asked, detect its side:
    the foot finder's configuration of the page's one foot, mirrored for a view from below, when
    the finder is sure of it (hallux-side contrast SIDE_TRUSTED or more: a training label must
    not be a guess)."""
    out = {"error": None, "width": -1, "height": -1, "side_detected": None, "side_score": np.nan}
    try:
        width, height = scan.size()
        page = read_page(scan, reduction_for(max(width, height), analysis_long_side), finder if detect else None)
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        return {**out, "error": f"unreadable image file ({type(exc).__name__}: {exc})"}
    out.update(width=width, height=height)
    if detect and len(page.feet) == 1 and page.feet[0].side_confidence >= SIDE_TRUSTED:
        found = page.feet[0]
        out.update(side_detected=configuration(found.configuration, view), side_score=found.side_confidence)
    return out


def _view(attributes: Mapping[str, Any], dataset: str, views: Mapping[str, str]) -> str:
    """How a file was taken: its `view` attribute, else its data set's (parameters), else print."""
    view = str((attributes or {}).get("view", "") or views.get(dataset, "print")).strip().lower()
    if view not in VIEWS:
        raise ValueError(f"{dataset}: view must be one of {VIEWS}, got {view!r}")
    return view


def validate_samples(
    annotations: pd.DataFrame,
    landmark_points: pd.DataFrame,
    annotation_rejections: pd.DataFrame,
    raw_images: Mapping[str, Callable[[], ScanImage]],
    foot_finder: FootFinder,
    options: Mapping[str, Any],
    strict: bool,
    workers: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check files and annotations; return (candidates, validation_rejections).

    Candidates are the annotated images that passed every check, one row each with their 8
    points in original pixels and their side (annotated, else detected). Strict mode raises one
    error listing every offender instead of quarantining them.
    """
    suffixes = tuple(s.lower() for s in options["image_suffixes"])
    files = pd.DataFrame(
        [
            (*_split_partition(p), p)
            for p in sorted(raw_images)
            if _split_partition(p)[1].startswith("images/") and p.lower().endswith(suffixes)
            and _split_partition(p)[0] not in options.get("ignored_datasets", ())
        ],
        columns=["dataset", "image", "partition"],
    )
    files["image"] = files["image"].map(_image_key)

    rows = check_annotated_images_exist(annotations, files)
    rows += check_images_annotated(files, annotations)
    rows += check_duplicate_names(files)
    rows += check_annotated_without_points(annotations, landmark_points)
    rows += check_landmark_ids(landmark_points)

    todo = annotations.merge(files, on=["dataset", "image"])
    failed = {(d, f) for d, f, _ in rows} | set(zip(annotation_rejections["dataset"], annotation_rejections["file"]))
    todo = _drop_files(todo, failed).reset_index(drop=True)
    views = options.get("views") or {}
    todo["view"] = [_view(a, d, views) for a, d in zip(todo["attributes"], todo["dataset"])]
    # Sheets with both feet: each foot's side is its points' `foot` attribute, nothing to detect.
    labelled = landmark_points[landmark_points["foot"].fillna("").astype(str) != ""]
    sheets = labelled[["dataset", "image"]].drop_duplicates()
    on_sheet = set(zip(sheets["dataset"], sheets["image"]))
    probes = _parallel_map(
        _probe_scan,
        [
            (raw_images[p](), side not in SIDES and (d, i) not in on_sheet, view, options["analysis_long_side"],
             foot_finder)
            for p, side, view, d, i in zip(todo["partition"], todo["side"], todo["view"], todo["dataset"], todo["image"])
        ],
        workers,
        "validate",
    )
    todo = pd.concat([todo, pd.DataFrame(probes, index=todo.index)], axis=1)
    rows += [(r.dataset, r.image, r.error) for r in todo.itertuples() if r.error]
    readable = todo[todo["error"].isna()]
    sizes = readable[["dataset", "image", "width", "height"]]
    rows += check_points_inside(landmark_points, sizes)
    rows += [
        (r.dataset, r.image, problem)
        for r in readable.itertuples()
        if (r.dataset, r.image) not in on_sheet and (problem := check_side(r.side, r.side_detected))
    ]
    rejections = report_rejections(annotation_rejections, rejection_table(rows, "validation"))
    raise_if_rejected(rejections, strict)

    candidates = _drop_files(readable, set(zip(rejections["dataset"], rejections["file"]))).copy()
    candidates["side_source"] = np.where(candidates["side"].isin(SIDES), "annotation", "detected")
    candidates["side"] = np.where(candidates["side"].isin(SIDES), candidates["side"], candidates["side_detected"])
    # One candidate per foot: a sheet with both feet gives two, each with its own side.
    candidates = candidates.merge(_points_wide(landmark_points), on=["dataset", "image"], how="left")
    per_foot = candidates["foot"] != ""
    candidates.loc[per_foot, "side"] = candidates.loc[per_foot, "foot"]
    candidates.loc[per_foot, "side_source"] = "annotation (foot)"
    log.info("validation: %d candidates, %d rejections", len(candidates), len(rejections))
    return candidates.drop(columns=["error"]).reset_index(drop=True), rejections


def _points_wide(points: pd.DataFrame) -> pd.DataFrame:
    """One row per foot of an image (`foot` "" on one-foot files): points_orig (8x2 list, ordered
    1..8) and visible (8 list)."""
    records = []
    points = points.assign(foot=points["foot"].fillna("").astype(str).str.strip().str.lower())
    for (dataset, image, foot), group in points.groupby(["dataset", "image", "foot"], sort=False):
        group = group.drop_duplicates("landmark").set_index("landmark").reindex(list(LANDMARK_IDS))
        records.append(
            {
                "dataset": dataset,
                "image": image,
                "foot": foot,
                "points_orig": group[["x", "y"]].to_numpy(float).tolist(),
                "visible": group["visible"].fillna(0).astype(int).tolist(),
            }
        )
    return pd.DataFrame(records, columns=["dataset", "image", "foot", "points_orig", "visible"])


# --- 3. clean, crop, orient, invert, scale ---------------------------------------------------


def _clean_and_crop(
    scan: ScanImage,
    feet: dict[str, tuple[list, str]],
    view: str,
    dpi: float,
    page_size: str,
    settings: CropSettings,
    finder: FootFinder,
) -> dict:
    """One scan -> the processed crop of each annotated foot, the matrices from original pixels to
    each crop, and the page's px -> mm matrix.

    Decodes only as finely as the crops need (JPEG scaled decoding); reading, finding the feet,
    normalising the look and cropping are foot_landmarks.pages, the same functions inference uses.
    Scale: the dpi when the file has one, else page calibration (a photographed form: its
    corners and `page_size` give a homography to mm), else none (errors in px only).
    """
    torch.set_num_threads(1)  # one process per core already
    try:
        width, height = scan.size()
        extent = max(np.ptp(np.asarray(points, float), axis=0).max() for points, _ in feet.values())
        page = read_page(scan, reduction_for(int(extent * (1 + 2 * settings.margin)), settings.crop_height), finder)
    except Exception as exc:
        return {"problem": f"unreadable image file ({type(exc).__name__}: {exc})"}
    to_mm, scale_source = page_scale(page, dpi, page_size)
    processed = crop_annotated_feet(page, settings, {k: (np.asarray(p, float), s) for k, (p, s) in feet.items()}, view)
    return {
        "problem": None,
        "feet": {
            foot: {"crop": p.crop, "to_crop": p.to_crop, "warnings": "; ".join(p.warnings)}
            for foot, p in processed.items()
        },
        "feet_found": len(page.feet),
        "orig_width": width,
        "orig_height": height,
        "page_kind": page.kind,
        "to_mm": to_mm,
        "scale_source": scale_source,
    }


# A visible point lies on the print, which the crop holds with a margin; one this far outside
# (a fraction of the crop height) means the crop holds another foot or lost part of this one.
OFF_CROP_TOLERANCE = 0.02


def points_off_crop(points: np.ndarray, visible, crop_hw: tuple[int, int]) -> str | None:
    """Why a foot's annotated points do not fit its crop, or None when they do."""
    h, w = crop_hw[:2]
    tol = OFF_CROP_TOLERANCE * h
    x, y = np.asarray(points, float).T
    off = ((x < -tol) | (x > w - 1 + tol) | (y < -tol) | (y > h - 1 + tol)) & np.asarray(visible).astype(bool)
    if not off.any():
        return None
    ids = ", ".join(str(i + 1) for i in np.flatnonzero(off))
    return (
        f"visible landmark(s) {ids} fall outside the crop of the print found: the crop holds another "
        "foot or lost part of this one (toes apart from the sole)"
    )


OFF_PRINT_REACH = 0.05  # of the crop height: a visible point farther from any print is off it
MAX_OFF_PRINT = 4  # visible points off the print an annotation may have (faint toes)


def points_off_print(points: np.ndarray, visible, crop: np.ndarray) -> str | None:
    """Why a foot's annotated points do not lie on its print, or None when they do: more than
    MAX_OFF_PRINT visible points farther than OFF_PRINT_REACH from any print pixel (the crop's
    pixels brighter than half Otsu's level, so faint toes count) means the annotation belongs to
    another place of the image."""
    from skimage.filters import threshold_otsu

    if np.ptp(crop) < 10:
        return None
    distance = ndi.distance_transform_edt(crop <= 0.5 * threshold_otsu(crop))
    xy = np.rint(np.asarray(points, float)).astype(int)
    h, w = crop.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    far = np.ones(len(xy), bool)
    far[inside] = distance[xy[inside, 1], xy[inside, 0]] > OFF_PRINT_REACH * h
    off = far & np.asarray(visible).astype(bool)
    if off.sum() <= MAX_OFF_PRINT:
        return None
    ids = ", ".join(str(i + 1) for i in np.flatnonzero(off))
    return f"visible landmark(s) {ids} lie off the print in its crop: the annotation does not match the print"


def clean_prints(
    candidates: pd.DataFrame,
    raw_images: Mapping[str, Callable[[], ScanImage]],
    foot_finder: FootFinder,
    options: Mapping[str, Any],
    crop_height: int,
    workers: int,
) -> tuple[pd.DataFrame, dict[str, Image.Image], pd.DataFrame]:
    """Clean, crop, orient, invert and scale every candidate foot; returns (processed, crops,
    cleaning_rejections).

    Prints flagged ``usable: false`` are rejected without decoding; the others only when the file
    cannot be read or a visible annotated point falls outside its foot's crop. A sheet's feet are
    processed from one decoding of the page. Each sample keeps its page's warnings (a foot the
    finder missed is placed from its annotation and says so).
    """
    flagged = candidates[~candidates["usable"].astype(bool)]
    rows = [
        (r.dataset, r.image, f"flagged usable=false in the annotation (defect: {r.attributes.get('defect', 'unspecified')})")
        for r in flagged.drop_duplicates(["dataset", "image"]).itertuples()
    ]
    todo = candidates[candidates["usable"].astype(bool)].reset_index(drop=True)
    settings = CropSettings(crop_height, options["crop_margin"], options["analysis_long_side"])
    page_size = str(options.get("page_size", "a4"))
    files = list(todo.groupby(["dataset", "image"], sort=True))
    results = _parallel_map(
        _clean_and_crop,
        [
            (
                raw_images[group["partition"].iloc[0]](),
                {r.foot: (r.points_orig, r.side) for r in group.itertuples()},
                group["view"].iloc[0],
                float(group["dpi"].iloc[0]),
                page_size,
                settings,
                foot_finder,
            )
            for _, group in files
        ],
        workers,
        "clean",
    )
    processed, crops = [], {}
    for ((dataset, image), group), result in zip(files, results):
        if result["problem"]:
            rows.append((dataset, image, result["problem"]))
            continue
        for row in group.to_dict("records"):
            foot = result["feet"][row["foot"]]
            crop, to_crop = foot["crop"], foot["to_crop"]
            points = geo.apply_to_points(to_crop, np.asarray(row["points_orig"], float))
            if problem := points_off_crop(points, row["visible"], crop.shape) or points_off_print(points, row["visible"], crop):
                rows.append((dataset, image, (f"{row['foot']} foot: " if row["foot"] else "") + problem))
                continue
            stem = image.rsplit(".", 1)[0]
            sample_id = f"{dataset}/{stem}" + (f"__{row['foot']}" if row["foot"] else "")
            processed.append(
                {
                    **row,
                    "sample_id": sample_id,
                    "orig_height": result["orig_height"],
                    "orig_width": result["orig_width"],
                    "page_kind": result["page_kind"],
                    "feet_found": result["feet_found"],
                    "page_warnings": foot["warnings"],
                    "crop_height": crop.shape[0],
                    "crop_width": crop.shape[1],
                    "to_crop": to_crop.tolist(),
                    "to_mm": np.asarray(result["to_mm"]).tolist(),
                    "scale_source": result["scale_source"],
                    "points": points.tolist(),
                }
            )
            crops[sample_id] = Image.fromarray(crop, mode="L")
    missed = sum(PLACED_FROM_ANNOTATION in str(r.get("page_warnings", "")) for r in processed)
    log.info("cleaning: %d crops, %d rejections; the foot finder missed %d of the feet", len(crops), len(rows), missed)
    return pd.DataFrame(processed), crops, rejection_table(rows, "cleaning")


# --- 4. split and publish -------------------------------------------------------------------


def split_samples(processed: pd.DataFrame, ratios: Mapping[str, float], seed: int) -> pd.DataFrame:
    """Add the train/val/test split (by subject, stratified by data set and side): the samples table."""
    if processed.empty:
        return processed.assign(split=pd.Series(dtype=str))
    subject = processed["subject"].fillna("").astype(str)
    # A print without a subject is its own group; subjects are only unique within a data set.
    groups = processed["dataset"] + "/" + np.where(subject != "", "subject:" + subject, "image:" + processed["image"])
    strata = processed["dataset"] + "/" + processed["side"]
    samples = processed.assign(split=assign_splits(groups, strata, ratios, seed).to_numpy())
    # Per-file attributes (look, defects, ...) as columns, for slicing metrics later.
    extra = sorted({k for a in samples["attributes"] for k in a} - set(samples.columns))
    for key in extra:
        samples[key] = [a.get(key, "") for a in samples["attributes"]]
    log.info("split: %s", samples["split"].value_counts().to_dict())
    front = ["sample_id", "dataset", "image", "subject", "side", "side_source", "dpi", "source", "split"]
    return samples[front + [c for c in samples.columns if c not in front]].reset_index(drop=True)


def report_rejections(*tables: pd.DataFrame) -> pd.DataFrame:
    """All rejections of every stage in one report (file, dataset, stage, reason)."""
    report = pd.concat([t for t in tables if not t.empty] or [pd.DataFrame(columns=REJECTION_COLUMNS)], ignore_index=True)
    return report[REJECTION_COLUMNS].sort_values(["dataset", "file", "stage"]).reset_index(drop=True)
