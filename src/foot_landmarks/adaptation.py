"""Adapting a registered detector to a clinic's own feet (issue 21): fine-tuning from its weights on
real feet mixed with generated ones, scored on real feet it did not train on.

Everything here works on the `samples` table and the `crops` partitions (docs/CONTRACTS.md):
- real feet are the rows whose `dataset` is named; generated feet come from the generated data
  sets' own train split (and a few of their validation split, to watch training);
- real feet are held out by whole subjects (a subject's feet are near-duplicates), seeded;
- a fine-tune starts from a copy of the given detector's weights (training.train_detector's
  `initial_network`), runs a fixed number of optimiser steps whatever the number of feet, and is
  bounded by `max_minutes`;
- a foot's error is the mean over its visible points (an invisible toe's tip is an estimate), in
  % of the foot length (heel to farthest toe tip, LANDMARKS.md's unit for scans without a scale)
  and, where the foot has a scale, in mm. A set of feet is scored in mm when every foot has a
  dpi, else in % of the foot length.

The entries: the `finetune` and `finetune_curve` pipelines (pipelines/finetune), and the two
measurements :func:`leave_one_sheet_out` and :func:`domain_shift` (pipelines/adaptation_loso,
pipelines/adaptation_shift).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.external.scoring import (
    CLOSE_FRAC,
    POINT_COLUMNS,
    TRUTH_COLUMNS,
    match_feet,
    point_errors,
    predicted_feet,
    summary,
    truth_foot,
)
from foot_landmarks.inference import ScanError, ScanPredictor
from foot_landmarks.metrics import errors_as_foot_length_fraction, radial_errors_mm
from foot_landmarks.pages import VIEWS
from foot_landmarks.pipelines.evaluation.nodes import predict_landmarks
from foot_landmarks.pipelines.training.nodes import _subset, build_model_input, data_fingerprint
from foot_landmarks.training import train_detector

log = logging.getLogger(__name__)

# Roles of the feet of one fine-tune, in the `split` column that build_model_input and
# predict_landmarks read: held-out real feet are scored as the `test` split is.
TRAIN, MONITOR, HELD_OUT = "train", "val", "test"
PERCENT, MM = "% of foot length", "mm"


# --- which feet ---------------------------------------------------------------------------------


def dataset_names(value) -> list[str]:
    """Data set names from a YAML list or one string. Kedro's `--params` splits its argument at
    commas, so several names on the command line are joined with ';' or '+' instead."""
    if value is None:
        return []
    parts = re.split(r"[;+\s]+", value) if isinstance(value, str) else [str(v) for v in value]
    return [p.strip() for p in parts if p.strip()]


def feet_of_datasets(samples: pd.DataFrame, datasets) -> pd.DataFrame:
    """The feet of the named data sets; an unknown name is an error that lists the known ones."""
    names = dataset_names(datasets)
    known = sorted(samples["dataset"].unique())
    if not names:
        raise ValueError(f"no data set named (finetune.datasets); data sets in `samples`: {known}")
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(
            f"no processed feet of {missing} in `samples` (data sets there: {known}): import the review "
            "(`foot-landmarks import-review EXPORT --name NAME`), then `kedro run --pipeline data_processing`"
        )
    return samples[samples["dataset"].isin(names)].copy()


def subject_groups(feet: pd.DataFrame) -> pd.Series:
    """A foot's subject within its data set; a foot without a subject is its sheet's own group
    (the rule of data processing's split)."""
    subject = feet["subject"].fillna("").astype(str).str.strip()
    return feet["dataset"].astype(str) + "/" + np.where(
        subject != "", "subject:" + subject, "image:" + feet["image"].astype(str)
    )


def split_by_subject(feet: pd.DataFrame, held_out_share: float, seed: int) -> pd.Series:
    """TRAIN or HELD_OUT per foot. Whole subjects are held out, in a seeded order, until about
    `held_out_share` of the feet are; at least one subject when the share is above 0 and there
    are two or more, never every subject."""
    groups = subject_groups(feet)
    keys = np.array(sorted(groups.unique()))
    keys = keys[np.random.default_rng(seed).permutation(len(keys))]
    sizes = groups.value_counts()
    held: list[str] = []
    if held_out_share > 0:
        for key in keys[:-1]:  # the last subject in the order always trains
            if held and sizes[held].sum() >= held_out_share * len(feet):
                break
            held.append(key)
    return pd.Series(np.where(groups.isin(held), HELD_OUT, TRAIN), index=feet.index, name="split")


def generated_feet(samples: pd.DataFrame, datasets: Sequence[str], split: str, n: int, seed: int,
                   exclude_looks: Sequence[str] = ()) -> pd.DataFrame:
    """`n` feet drawn (seeded) from the generated data sets' `split`, without the looks excluded.
    The draw for a smaller `n` is the start of the draw for a larger one."""
    pool = samples[samples["dataset"].isin(list(datasets)) & (samples["split"] == split)]
    if exclude_looks and "look" in pool:
        pool = pool[~pool["look"].isin(list(exclude_looks))]
    if n > len(pool):
        log.warning("%d generated %s feet asked for, %d available", n, split, len(pool))
    order = np.random.default_rng(seed).permutation(len(pool))
    return pool.sort_values("sample_id").iloc[order[: max(0, n)]]


def fine_tune_table(real_train: pd.DataFrame, generated_train: pd.DataFrame, monitor: pd.DataFrame,
                    held_out: pd.DataFrame) -> pd.DataFrame:
    """The feet of one fine-tune with their role in `split` (TRAIN, MONITOR, HELD_OUT) and `real`."""
    parts = [
        real_train.assign(split=TRAIN, real=True),
        generated_train.assign(split=TRAIN, real=False),
        monitor.assign(split=MONITOR, real=False),
        held_out.assign(split=HELD_OUT, real=True),
    ]
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


# --- training -----------------------------------------------------------------------------------


def epochs_for_steps(steps: int, n_train: int, batch_size: int) -> int:
    """Epochs giving about `steps` optimiser steps (the loader drops a last partial batch only
    when there is more than one batch)."""
    per_epoch = n_train // batch_size if n_train > batch_size else 1
    return max(1, math.ceil(steps / max(per_epoch, 1)))


def fine_tune(base: LandmarkDetector, feet: pd.DataFrame, crops: Mapping, training: Mapping,
              name: str = "finetune") -> tuple[LandmarkDetector, pd.DataFrame]:
    """Train a copy of `base` on the TRAIN feet, watching the MONITOR ones (or, with none, the
    first training feet), for `training.steps` optimiser steps (or `training.epochs`), within
    `training.max_minutes`. The detector's info records where it started and on what data."""
    used = feet[feet["split"].isin([TRAIN, MONITOR])]
    model_input = build_model_input(used, crops, base.config)
    train, valid = _subset(model_input, TRAIN), _subset(model_input, MONITOR)
    if not len(valid[0]):
        valid = tuple(a[:8] for a in train)
    params = dict(training)
    if params.get("steps"):
        params["epochs"] = epochs_for_steps(int(params["steps"]), len(train[0]), int(params.get("batch_size", 8)))
    started = time.perf_counter()
    detector, history = train_detector(train, valid, base.config, params, name=name, initial_network=base.network)
    detector.info.update(
        fine_tuned_from=f"{base.info.get('registered_model', '?')} version {base.info.get('registered_version', '?')}",
        data_fingerprint=data_fingerprint(feet),
        fine_tune_minutes=(time.perf_counter() - started) / 60,
        real_train_feet=int((feet["split"].eq(TRAIN) & feet["real"]).sum()),
        generated_train_feet=int((feet["split"].eq(TRAIN) & ~feet["real"]).sum()),
    )
    return detector, history


# --- scoring ------------------------------------------------------------------------------------


def predict_feet(detector: LandmarkDetector, feet: pd.DataFrame, crops: Mapping, raw_images: Mapping | None = None,
                 refine: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(sample ids, points (N, 8, 2) in original scan px) of every foot, as the evaluation makes
    them: with `refine`, the detector's print refinement where it applies (reads `raw_images`)."""
    if not refine:
        detector = dataclasses.replace(detector, config={**detector.config, "refine": "none"})
    model_input = build_model_input(feet.assign(split=HELD_OUT), crops, detector.config)
    predictions = predict_landmarks(detector, model_input, feet, crops, raw_images or {}, {})
    return predictions["sample_id"], predictions[predictions["decoder"]]["original"]


ERROR_COLUMNS = ["sample_id", "dataset", "image", "foot", "subject", "look", "has_dpi", "n_points", "error_pct",
                 "error_mm", "worst_point_pct", "n_within_2pct"]
WITHIN_PCT = 100 * CLOSE_FRAC  # issue 18's bar for a point on real feet, as the outside sets count it: 2 %


def foot_errors(feet: pd.DataFrame, sample_ids: Sequence[str], points: np.ndarray) -> pd.DataFrame:
    """One row per foot: its mean error over its visible points in % of its foot length and in
    mm (nan without a scale), its worst point, how many points lie within WITHIN_PCT of the foot
    length, and whether it has a dpi."""
    if not len(sample_ids):
        return pd.DataFrame(columns=ERROR_COLUMNS)
    rows = feet.set_index("sample_id").loc[list(sample_ids)]
    truth = np.stack([np.asarray(p, float) for p in rows["points_orig"]])
    visible = np.stack([np.asarray(v, float) for v in rows["visible"]]) > 0
    to_mm = np.stack([np.asarray(m, float).reshape(3, 3) for m in rows["to_mm"]])
    pct = 100 * errors_as_foot_length_fraction(points, truth)
    mm = radial_errors_mm(points, truth, to_mm)
    n = visible.sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean_pct = np.where(visible, pct, 0).sum(axis=1) / n
        mean_mm = np.where(visible, mm, 0).sum(axis=1) / n
    dpi = pd.to_numeric(rows["dpi"], errors="coerce").to_numpy(float)
    return pd.DataFrame({
        "sample_id": list(sample_ids),
        "dataset": rows["dataset"].to_numpy(),
        "image": rows["image"].to_numpy(),
        "foot": rows["foot"].to_numpy() if "foot" in rows else "",
        "subject": rows["subject"].to_numpy(),
        "look": rows["look"].to_numpy() if "look" in rows else "",
        "has_dpi": np.isfinite(dpi) & (dpi > 0),
        "n_points": n,
        "error_pct": mean_pct,
        "error_mm": mean_mm,
        "worst_point_pct": np.where(visible, pct, -np.inf).max(axis=1),
        "n_within_2pct": (visible & (pct <= WITHIN_PCT)).sum(axis=1),
    }, columns=ERROR_COLUMNS)


def score_unit(errors: pd.DataFrame) -> str:
    """mm when every foot has a dpi (and so a scale), else % of the foot length."""
    return MM if len(errors) and errors["has_dpi"].all() and errors["error_mm"].notna().all() else PERCENT


def mean_error(errors: pd.DataFrame, unit: str | None = None, scaled_only: bool = False) -> float:
    """Mean over all the visible points of the feet, in `unit` (default: :func:`score_unit`);
    nan without feet, and nan when a foot has no error (a model that gives no point does not
    score better). `scaled_only`: in mm, the feet with a scale only (dpi or page calibration)."""
    column = "error_mm" if (unit or score_unit(errors)) == MM else "error_pct"
    values, weights = errors[column].to_numpy(float), errors["n_points"].to_numpy(float)
    counted = weights > 0
    if scaled_only:
        counted &= np.isfinite(values)
    if not counted.any():
        return math.nan
    return float((values[counted] * weights[counted]).sum() / weights[counted].sum())


def share_within(errors: pd.DataFrame) -> float:
    """% of the feet's visible points within WITHIN_PCT of the foot length (nan without points)."""
    n = float(errors["n_points"].sum())
    return 100 * float(errors["n_within_2pct"].sum()) / n if n else math.nan


def score(detector: LandmarkDetector, feet: pd.DataFrame, crops: Mapping, raw_images: Mapping | None = None,
          refine: bool = True) -> pd.DataFrame:
    """:func:`foot_errors` of the detector on `feet`."""
    if feet.empty:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return foot_errors(feet, *predict_feet(detector, feet, crops, raw_images, refine))


def sheet_truth(sheet: pd.DataFrame) -> pd.DataFrame:
    """A sheet's annotated feet (rows of `samples`) in the outside sets' scoring form
    (foot_landmarks.external.scoring.annotated_feet)."""
    feet = sheet["foot"].fillna("").astype(str) if "foot" in sheet else pd.Series("", index=sheet.index)
    rows = [
        truth_foot(row["image"], foot, row["dpi"], row["points_orig"], row["visible"])
        for (_, row), foot in zip(sheet.iterrows(), feet)
    ]
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


def whole_image_errors(detector: LandmarkDetector, scan_path: str, sheet: pd.DataFrame) -> pd.DataFrame:
    """Point errors (external.scoring.point_errors) of `detector` on a sheet's whole image, sent
    as a user sends it: the page stage finds, orients and sides every foot (no side given; the
    dpi and view when the sheet's annotation has them). A foot the page stage did not give is
    scored as not found; an image with no foot at all scores every foot so."""
    first = sheet.iloc[0]
    dpi = float(pd.to_numeric(first.get("dpi"), errors="coerce"))  # nan: none known (predict_scan's own test)
    view = first.get("view") if first.get("view") in VIEWS else None
    try:
        landmarks = ScanPredictor(detector).predict_scan(scan_path, dpi=dpi, view=view)
        landmarks["image"] = first["image"]
    except ScanError as error:
        log.warning("whole image %s: %s", first["image"], error)
        landmarks = pd.DataFrame()
    return point_errors(match_feet(sheet_truth(sheet), predicted_feet(landmarks)))


def whole_image_measures(errors: pd.DataFrame) -> dict[str, float]:
    """Feet found, and over the visible points of the found feet: their number, the mean error in
    % of the foot length and the % within 2 % of it (nan without points), as the outside sets
    score them (external.scoring.summary)."""
    scores = summary(errors)
    visible = errors["found"].astype(bool) & (errors["visible"].astype(int) == 1)
    return {
        "feet_found": scores["feet_found"],
        "points": float(visible.sum()),
        "error_pct": scores["mean_error_pct_visible"],
        "within_2pct": scores["points_within_2pct_visible"],
    }


# --- the learning curve -------------------------------------------------------------------------


def curve_sizes(requested: Sequence[int], available: int) -> list[int]:
    """The numbers of real feet of the curve: 0 (before fine-tuning) and each requested N capped
    at what is available."""
    return sorted({0} | {min(int(n), available) for n in requested if int(n) >= 0})


def learning_curve(base: LandmarkDetector, real: pd.DataFrame, samples: pd.DataFrame, crops: Mapping,
                   raw_images: Mapping | None, params: Mapping) -> pd.DataFrame:
    """Held-out error against the number N of real training feet: N = 0 is `base`; each other N
    fine-tunes `base` on the first N real training feet (a seeded order: smaller sets are part of
    larger ones) mixed with generated feet, and scores it on the same held-out feet.

    `real` carries the subject split in `split` (TRAIN / HELD_OUT). Returns one row per N:
    n_real_feet, n_generated_feet, error, unit, minutes, held_out_feet."""
    held_out = real[real["split"] == HELD_OUT]
    if held_out.empty:
        raise ValueError("no held-out real feet: a learning curve needs feet to score on (more subjects, or a "
                         "larger finetune.held_out_share)")
    pool = real[real["split"] == TRAIN].sort_values("sample_id")
    pool = pool.iloc[np.random.default_rng(int(params.get("seed", 0))).permutation(len(pool))]
    refine = bool(params.get("refine", True))
    errors = score(base, held_out, crops, raw_images, refine)
    unit = score_unit(errors)
    rows = []
    for n in curve_sizes(params.get("learning_curve_n", [0, 5, 10, 20, 40]), len(pool)):
        started = time.perf_counter()
        if n > 0:
            feet = mixed_feet(pool.iloc[:n], held_out, samples, params)
            detector, _ = fine_tune(base, feet, crops, params["training"], name=f"finetune N={n}")
            errors = score(detector, held_out, crops, raw_images, refine)
            n_generated = int((feet["split"].eq(TRAIN) & ~feet["real"]).sum())
        else:
            n_generated = 0
        rows.append({"n_real_feet": n, "n_generated_feet": n_generated, "error": mean_error(errors, unit),
                     "unit": unit, "minutes": (time.perf_counter() - started) / 60, "held_out_feet": len(held_out)})
        log.info("learning curve: N = %d real feet -> held-out error %.3f %s", n, rows[-1]["error"], unit)
    return pd.DataFrame(rows)


def mixed_feet(real_train: pd.DataFrame, held_out: pd.DataFrame, samples: pd.DataFrame, params: Mapping,
               exclude_looks: Sequence[str] = ()) -> pd.DataFrame:
    """The fine-tune's table: the real training feet, `generated_ratio` generated feet per real
    one, a few generated validation feet to watch training, and the held-out real feet."""
    generated = dataset_names(params.get("generated_datasets", ["synthetic"]))
    seed = int(params.get("seed", 0))
    n_generated = round(float(params.get("generated_ratio", 1.0)) * len(real_train))
    return fine_tune_table(
        real_train,
        generated_feet(samples, generated, "train", n_generated, seed, exclude_looks),
        generated_feet(samples, generated, "val", int(params.get("monitor_feet", 8)), seed, exclude_looks),
        held_out,
    )


# --- measurement (a): leave one sheet out -------------------------------------------------------


def leave_one_sheet_out(base: LandmarkDetector, real: pd.DataFrame, samples: pd.DataFrame, crops: Mapping,
                        raw_images: Mapping | None, params: Mapping) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """For each sheet (image) of the real set: fine-tune `base` on the feet of the other sheets
    (mixed with generated feet as in the `finetune` pipeline) and score the sheet's feet before
    (`base`) and after, in % of the foot length, with the share of points within 2 % of it: on
    the crops cut from their annotation (as data processing cuts them), and, where `raw_images`
    holds the sheet's scan, on the whole image as a user sends it (:func:`whole_image_errors`:
    the page stage must find and orient each foot too).

    `crops` holds the real set's crops and the generated ones. Returns the table (image, n_feet,
    n_train_feet, error_before_pct, error_after_pct, points, within_2pct_before, within_2pct_after,
    and for whole images feet_found_before / _after, whole_points_before / _after,
    whole_error_before_pct / _after_pct, whole_within_2pct_before / _after; minutes), the
    per-foot points (sample_id, image, before, after: (8, 2) original px) for overlays, and the
    whole images' point errors (external.scoring.point_errors, with `model` before / after)."""
    refine = bool(params.get("refine", True))
    ids, before_points = predict_feet(base, real, crops, raw_images, refine)
    before = dict(zip(ids, before_points))
    rows, points, whole = [], [], []
    for image in sorted(real["image"].unique()):
        sheet = real[real["image"] == image]
        others = real[real["image"] != image]
        started = time.perf_counter()
        feet = mixed_feet(others, sheet, samples, params)
        detector, _ = fine_tune(base, feet, crops, params["training"], name=f"leave out {image}")
        minutes = (time.perf_counter() - started) / 60
        after_ids, after_points = predict_feet(detector, sheet, crops, raw_images, refine)
        error_before = foot_errors(sheet, after_ids, np.stack([before[i] for i in after_ids]))
        error_after = foot_errors(sheet, after_ids, after_points)
        row = {
            "image": image, "n_feet": len(sheet), "n_train_feet": len(others),
            "error_before_pct": mean_error(error_before, PERCENT), "error_after_pct": mean_error(error_after, PERCENT),
            "points": int(error_after["n_points"].sum()),
            "within_2pct_before": share_within(error_before), "within_2pct_after": share_within(error_after),
        }
        scan = (raw_images or {}).get(sheet["partition"].iloc[0]) if "partition" in sheet else None
        if scan is not None:
            path = (scan() if callable(scan) else scan).path
            for model, network in (("before", base), ("after", detector)):
                errors = whole_image_errors(network, path, sheet).assign(model=model)
                measures = whole_image_measures(errors)
                row.update({
                    f"feet_found_{model}": measures["feet_found"], f"whole_points_{model}": measures["points"],
                    f"whole_error_{model}_pct": measures["error_pct"], f"whole_within_2pct_{model}": measures["within_2pct"],
                })
                whole.append(errors)
        rows.append({**row, "minutes": minutes})
        points += [{"sample_id": i, "image": image, "before": before[i], "after": a} for i, a in zip(after_ids, after_points)]
        log.info("leave one sheet out: %s (%d feet): %.2f %% -> %.2f %% of the foot length (%.1f min)", image,
                 len(sheet), rows[-1]["error_before_pct"], rows[-1]["error_after_pct"], minutes)
    table = pd.DataFrame(rows, columns=[
        "image", "n_feet", "n_train_feet", "error_before_pct", "error_after_pct", "points", "within_2pct_before",
        "within_2pct_after", "feet_found_before", "feet_found_after", "whole_points_before", "whole_points_after",
        "whole_error_before_pct", "whole_error_after_pct", "whole_within_2pct_before", "whole_within_2pct_after",
        "minutes"])
    whole_errors = pd.concat(whole, ignore_index=True) if whole else pd.DataFrame(columns=[*POINT_COLUMNS, "model"])
    return table, pd.DataFrame(points, columns=["sample_id", "image", "before", "after"]), whole_errors


# --- measurement (b): a controlled domain shift ---------------------------------------------------


def domain_shift(base: LandmarkDetector, reference: LandmarkDetector | None, samples: pd.DataFrame, crops: Mapping,
                 raw_images: Mapping | None, params: Mapping, shift: Mapping) -> pd.DataFrame:
    """A base model trained without the look `shift.look`, fine-tuned on N feet of it for each N
    of `shift.n_feet`, scored on the feet of that look in `shift.test_splits` (subjects no model
    here trained on). The N feet come from `shift.pool_splits` in a seeded order (smaller sets
    are part of larger ones), mixed with generated feet of the other looks.

    Rows: the base (N = 0), each N, and `reference` (a model that saw the look in full training)
    on the same test feet. Columns: model, n_feet, error, unit, error_pct, error_mm (over the feet
    with a scale: dpi or page calibration), minutes, test_feet."""
    look = str(shift["look"])
    generated = dataset_names(params.get("generated_datasets", ["synthetic"]))
    of_look = samples[samples["dataset"].isin(generated) & (samples["look"] == look)]
    test = of_look[of_look["split"].isin(list(shift.get("test_splits", ["val", "test"])))]
    pool = of_look[of_look["split"].isin(list(shift.get("pool_splits", ["train"])))].sort_values("sample_id")
    pool = pool.iloc[np.random.default_rng(int(shift.get("seed", 0))).permutation(len(pool))]
    if test.empty or pool.empty:
        raise ValueError(f"look {look!r}: {len(pool)} feet to fine-tune on and {len(test)} to test on in `samples`")
    refine = bool(params.get("refine", True))

    def row(model: str, detector: LandmarkDetector, n: int | None, minutes: float) -> dict:
        errors = score(detector, test, crops, raw_images, refine)
        unit = score_unit(errors)
        result = {"model": model, "n_feet": n, "error": mean_error(errors, unit), "unit": unit,
                  "error_pct": mean_error(errors, PERCENT), "error_mm": mean_error(errors, MM, scaled_only=True),
                  "minutes": minutes, "test_feet": len(test)}
        log.info("domain shift (%s): %s, N = %s -> %.3f %s (%.1f min)", look, model, n, result["error"], unit, minutes)
        return result

    rows = [row(f"base (trained without {look})", base, 0, 0.0)]
    for n in curve_sizes(shift.get("n_feet", [5, 10, 20, 40]), len(pool)):
        if n == 0:
            continue
        started = time.perf_counter()
        feet = mixed_feet(pool.iloc[:n], test, samples, params, exclude_looks=[look])
        detector, _ = fine_tune(base, feet, crops, params["training"], name=f"{look} N={n}")
        rows.append(row("fine-tuned", detector, n, (time.perf_counter() - started) / 60))
    if reference is not None:
        rows.append(row(f"reference (full training, saw {look})", reference, None, 0.0))
    return pd.DataFrame(rows)
