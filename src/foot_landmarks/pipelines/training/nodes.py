"""Nodes of the training pipeline (one instance per variant namespace)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from PIL import Image

from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.geometry import apply_to_points, compose, resize_with_matrix, scale_matrix
from foot_landmarks.landmarks import MM_PER_INCH
from foot_landmarks.training import train_detector, training_flop_per_image

log = logging.getLogger(__name__)


def _as_array(crop) -> np.ndarray:
    crop = crop() if callable(crop) else crop
    if isinstance(crop, Image.Image):
        crop = np.asarray(crop.convert("L"))
    return np.asarray(crop, dtype=np.uint8)


def data_fingerprint(samples: pd.DataFrame) -> str:
    """A short hash of which samples, splits and landmark coordinates a model saw."""
    digest = hashlib.sha256()
    for row in samples.sort_values("sample_id").itertuples():
        digest.update(f"{row.sample_id}|{row.split}|".encode())
        digest.update(np.round(np.asarray(row.points_orig, dtype=float), 3).tobytes())
    return digest.hexdigest()[:16]


def _to_mm_matrices(samples: pd.DataFrame) -> np.ndarray:
    """Per sample original px -> mm (3x3); samples processed before page calibration carry only a dpi."""
    if "to_mm" in samples.columns:
        matrices = [np.asarray(m, dtype=float).reshape(3, 3) for m in samples["to_mm"]]
    else:
        matrices = [scale_matrix(MM_PER_INCH / d, MM_PER_INCH / d) for d in samples["dpi"].to_numpy(dtype=float)]
    return np.stack(matrices) if matrices else np.zeros((0, 3, 3))


def build_model_input(samples: pd.DataFrame, crops: dict[str, Callable], model_params: dict) -> dict:
    """Processed crops resized to the variant's input size (the study's plain resize, aspect not
    kept), with landmarks and the full original -> input transform of every sample."""
    height, width = (int(v) for v in model_params["input_size"])
    samples = samples.sort_values("sample_id").reset_index(drop=True)
    images = np.zeros((len(samples), height, width), np.uint8)
    to_input = np.zeros((len(samples), 3, 3))
    keypoints = np.zeros((len(samples), 8, 2), np.float32)
    for i, row in enumerate(samples.itertuples()):
        images[i], resize = resize_with_matrix(_as_array(crops[row.sample_id]), (height, width))
        to_input[i] = compose(np.asarray(row.to_crop, dtype=float), resize)
        keypoints[i] = apply_to_points(resize, np.asarray(row.points, dtype=float))
    return {
        "sample_id": samples["sample_id"].to_numpy(),
        "split": samples["split"].to_numpy(),
        "look": samples["look"].fillna("").astype(str).to_numpy() if "look" in samples else np.full(len(samples), ""),
        "images": images,
        "keypoints": keypoints,
        "visible": np.stack(samples["visible"].map(np.asarray).to_list()).astype(np.float32),
        "points_orig": np.stack(samples["points_orig"].map(np.asarray).to_list()).astype(np.float64),
        "to_input": to_input,
        "dpi": samples["dpi"].to_numpy(dtype=float),
        # original px -> mm (dpi, or a photographed page's calibration); nan where neither is known
        "to_mm": _to_mm_matrices(samples),
        "input_size": (height, width),
        "fingerprint": data_fingerprint(samples),
    }


def excluded_looks(value) -> tuple[str, ...]:
    """`training.exclude_looks` as names: null, one name (`--params` gives a string) or a list."""
    if not value:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def _subset(model_input: dict, split: str, limit: int | None = None, exclude_looks=()) -> tuple[np.ndarray, ...]:
    """The split's images, keypoints and visibility, without the samples of the looks excluded
    (a base model trained without one look, to measure adaptation to it)."""
    selected = model_input["split"] == split
    if exclude_looks:
        selected &= ~np.isin(model_input["look"], list(exclude_looks))
    idx = np.flatnonzero(selected)[: limit or None]
    return model_input["images"][idx], model_input["keypoints"][idx], model_input["visible"][idx]


def train_model(
    model_input: dict, model_params: dict, training_params: dict, variant: str | None = None
) -> tuple[LandmarkDetector, pd.DataFrame]:
    """Train on the `train` split, monitor on `val`; returns the detector and its learning history.

    Raises (so the run stops before evaluation and MLflow: nothing is registered, the champion
    stays) at a non-finite loss, and without CUDA when the estimated time exceeds
    `max_cpu_hours` and `allow_long_cpu_run` is not set (foot_landmarks.training).
    """
    excluded = excluded_looks(training_params.get("exclude_looks"))
    train = _subset(model_input, "train", training_params.get("max_train_images"), excluded)
    valid = _subset(model_input, "val", training_params.get("max_eval_images"), excluded)
    if excluded:
        log.info("training without the look(s) %s (evaluation still scores every look)", ", ".join(excluded))
    log.info("training %s on %d images (%d validation)", variant or model_params.get("encoder"), len(train[0]),
             len(valid[0]))
    detector, history = train_detector(train, valid, model_params, training_params, name=variant)
    detector.info.update(
        data_fingerprint=model_input["fingerprint"],
        excluded_looks=list(excluded),
        train_gflop_per_image=training_flop_per_image(
            LandmarkDetector.create({**model_params, "encoder_weights": "none"}).network, model_input["input_size"]
        ) / 1e9,
    )
    return detector, history
