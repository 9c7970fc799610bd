"""Nodes of the evaluation pipeline (one instance per variant namespace): predict the validation and
test splits, map the points back to original scan pixels, score them, draw them, log to MLflow."""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from foot_landmarks.anatomy_checks import check_points
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.geometry import apply_to_points, compose, invert
from foot_landmarks.landmarks import LANDMARK_IDS
from foot_landmarks.metrics import per_landmark_table, radial_errors_mm, summary
from foot_landmarks.models.geometric import predict_geometric
from foot_landmarks.plotting import figure_to_image
from foot_landmarks.pages import read_detail_page
from foot_landmarks.refinement import PageDetail, refine_to_print, refines, variant_refines
from foot_landmarks.tracking import log_variant_run

EVALUATED_SPLITS = ("val", "test")

log = logging.getLogger(__name__)


def _to_original(points_input: np.ndarray, to_input: np.ndarray) -> np.ndarray:
    return np.stack([apply_to_points(invert(m), p) for m, p in zip(to_input, points_input)])


def _evaluated(model_input: dict, limit: int | None = None) -> np.ndarray:
    """Indices of the validation and test samples; with `limit`, the first `limit` of each (a
    reduced configuration on a slow machine names it in its parameters)."""
    return np.concatenate([np.flatnonzero(model_input["split"] == split)[: limit or None] for split in EVALUATED_SPLITS])


def _predictions(model_input: dict, idx: np.ndarray, decoded: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """The predictions table every evaluation node reads: per decoder, points in the input frame
    and in original scan pixels, and a confidence; the first decoder is the variant's own."""
    out = {"index": idx, "split": model_input["split"][idx], "sample_id": model_input["sample_id"][idx]}
    for decoder, (points, confidence) in decoded.items():
        out[decoder] = {
            "input": points,
            "original": _to_original(points, model_input["to_input"][idx]),
            "confidence": confidence,
        }
    out["decoders"] = list(decoded)
    out["decoder"] = out["decoders"][0]
    return out


def _scale(model_input: dict) -> np.ndarray:
    """Per sample original px -> mm: the matrices (dpi or page calibration), else the dpi."""
    return model_input["to_mm"] if "to_mm" in model_input else model_input["dpi"]


def _crop_to_input(row, to_input: np.ndarray) -> np.ndarray:
    return compose(invert(np.asarray(row.to_crop, dtype=float)), to_input)


def load_crop(crops: dict, sample_id: str) -> np.ndarray:
    """A foot's crop (uint8 gray) from the `crops` partitions (loaded lazily or not)."""
    crop = crops[sample_id]
    return np.asarray((crop() if callable(crop) else crop).convert("L"))


def predict_landmarks(
    detector: LandmarkDetector,
    model_input: dict,
    samples: pd.DataFrame,
    crops: dict,
    raw_images: dict,
    training_params: dict,
) -> dict:
    """Points of the validation and test samples, with the variant's decoder and with argmax;
    for a variant with `refine: print`, its points as inference makes them (its own result): the
    toes decoded jointly where needed, then refined on the crops and on the scans themselves."""
    idx = _evaluated(model_input, training_params.get("max_eval_images"))
    heatmaps = detector.predict_heatmaps(model_input["images"][idx])
    own = detector.config.get("decoder", "dark")
    if variant_refines(detector.config):
        # with the joint toe decoding, as inference; it holds the maps decoded one by one too
        joint = detector.decode(heatmaps)
        refined = _as_inference_makes_them(detector.config, joint.points, model_input, idx, samples, crops, raw_images)
        decoded = {"refined": (refined, joint.confidence), own: (joint.separate_points, joint.separate_confidence)}
    else:
        decoded = {own: detector.codec(own).decode(heatmaps)}
    if "argmax" not in decoded:
        decoded["argmax"] = detector.codec("argmax").decode(heatmaps)
    return _predictions(model_input, idx, decoded)


def _on_sheet(row) -> bool:
    """Whether the sample is one foot of a sheet with several (its `foot` label is set)."""
    foot = getattr(row, "foot", "")
    return isinstance(foot, str) and foot != ""


def _as_inference_makes_them(
    config: dict,
    points: np.ndarray,
    model_input: dict,
    idx: np.ndarray,
    samples: pd.DataFrame,
    crops: dict,
    raw_images: dict,
) -> np.ndarray:
    """Input-frame points as inference makes them: the print refinement where the page's kind has
    it (on the crop, then on the scan at full resolution, foot_landmarks.pages.read_detail_page),
    then the anatomy checks (foot_landmarks.anatomy_checks) on every foot."""
    rows = samples.set_index("sample_id").loc[model_input["sample_id"][idx]]
    out = np.array(points, copy=True)
    read = (None, None)  # the feet of one scan are neighbours: its page is read once for them
    for i, (row, to_input) in enumerate(zip(rows.itertuples(), model_input["to_input"][idx])):
        crop = load_crop(crops, row.Index)
        crop_to_input = _crop_to_input(row, to_input)
        on_crop = apply_to_points(invert(crop_to_input), points[i])
        if refines(config, getattr(row, "page_kind", None), on_sheet=_on_sheet(row)):
            if read[0] != row.partition:
                bright = getattr(row, "page_kind", None) == "bright on dark"
                read = (row.partition, read_detail_page(raw_images[row.partition](), bright))
            page = read[1]
            detail = PageDetail.of_page(page.gray, page.to_work, np.asarray(row.to_crop, dtype=float), getattr(row, "page_kind", None))
            on_crop = refine_to_print(crop, on_crop, detail=detail)
        if config.get("anatomy_checks", True):
            on_crop, _ = check_points(crop, on_crop)
        out[i] = apply_to_points(crop_to_input, on_crop)
        if (i + 1) % 100 == 0 or i + 1 == len(rows):
            log.info("refined and checked: %d/%d feet", i + 1, len(rows))
    return out


def predict_geometric_landmarks(samples: pd.DataFrame, crops: dict, model_input: dict) -> dict:
    """The classical baseline on the processed crops (full crop resolution), mapped to the same
    input frame as the learned variants so every metric is computed the same way."""
    idx = _evaluated(model_input)
    rows = samples.set_index("sample_id").loc[model_input["sample_id"][idx]]
    points, confidence = [], []
    for row, to_input in zip(rows.itertuples(), model_input["to_input"][idx]):
        p, c = predict_geometric(load_crop(crops, row.Index), side="right")
        points.append(apply_to_points(_crop_to_input(row, to_input), p))
        confidence.append(c)
    return _predictions(model_input, idx, {"geometric": (np.array(points), np.array(confidence))})


def evaluate_predictions(predictions: dict, model_input: dict) -> tuple[dict, pd.DataFrame]:
    """Metrics per split (NMAE at the input size, MRE and SDR in mm at scan resolution) and the
    per-landmark table of the test split."""
    metrics: dict[str, float] = {}
    # An empty test split (tiny data sets) still gives a table with its columns, n = 0.
    per_landmark = per_landmark_table(np.zeros((0, 8)), np.zeros((0, 8)))
    for split in EVALUATED_SPLITS:
        sel = predictions["split"] == split
        if not sel.any():
            continue
        idx = predictions["index"][sel]
        truth_input, truth_orig = model_input["keypoints"][idx], model_input["points_orig"][idx]
        visible, scale = model_input["visible"][idx], _scale(model_input)[idx]
        for decoder in predictions["decoders"]:
            pred = predictions[decoder]
            scores = summary(pred["original"][sel], truth_orig, scale, visible, pred["input"][sel], truth_input)
            suffix = "" if decoder == predictions["decoder"] else f"_{decoder}"
            metrics.update({f"{split}_{key}{suffix}": float(value) for key, value in scores.items()})
        metrics[f"{split}_n_images"] = int(sel.sum())
        if split == "test":
            errors = radial_errors_mm(predictions[predictions["decoder"]]["original"][sel], truth_orig, scale)
            per_landmark = per_landmark_table(errors, visible)
    return metrics, per_landmark


# Per-file attributes a data set may carry (the generator writes all of them; real VIA exports may
# have none) and how a test scan is described by them.
KIND_COLUMNS = ("look", "capture", "sheet", "ink", "pen_lines", "arch")


def _kinds(row) -> list[tuple[str, str]]:
    kinds = [(column, str(getattr(row, column))) for column in KIND_COLUMNS if getattr(row, column, "")]
    artefacts = [a for a in str(getattr(row, "artefacts", "") or "").split(";") if a]
    kinds += [("artefact", a) for a in artefacts] or [("artefact", "none (clean)")]
    return kinds


def metrics_by_kind(predictions: dict, model_input: dict, samples: pd.DataFrame) -> pd.DataFrame:
    """Test-split MRE and SDR per kind of scan (sheet, look, arch, each artefact, clean) and the
    visible-toe question (scans with a toe that left no ink)."""
    sel = predictions["split"] == "test"
    idx = predictions["index"][sel]
    errors = radial_errors_mm(
        predictions[predictions["decoder"]]["original"][sel], model_input["points_orig"][idx], _scale(model_input)[idx]
    )
    rows = samples.set_index("sample_id").loc[model_input["sample_id"][idx]]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (row, visible) in enumerate(zip(rows.itertuples(), model_input["visible"][idx])):
        kinds = _kinds(row) + [("toes", "a toe without ink" if visible[:5].min() < 1 else "all toes inked")]
        for kind in kinds:
            groups.setdefault(kind, []).append(i)
    table = [
        {
            "attribute": attribute,
            "value": value,
            "n_scans": len(members),
            "mre_mm": float(np.nanmean(errors[members])),
            "sdr_2mm": float(np.mean(errors[members] <= 2)),
            "sdr_4mm": float(np.mean(errors[members] <= 4)),
        }
        for (attribute, value), members in sorted(groups.items())
    ]
    return pd.DataFrame(table, columns=["attribute", "value", "n_scans", "mre_mm", "sdr_2mm", "sdr_4mm"])


def plot_learning_curves(history: pd.DataFrame):
    fig, (ax_loss, ax_nmae) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(history["epoch"], history["train_loss"], label="train")
    ax_loss.plot(history["epoch"], history["valid_loss"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="heatmap loss", yscale="log", title="Loss")
    ax_loss.legend()
    ax_nmae.plot(history["epoch"], history["valid_nmae"], color="C2")
    ax_nmae.set(xlabel="epoch", ylabel="NMAE", yscale="log", title="Validation NMAE (input frame)")
    fig.tight_layout()
    return figure_to_image(fig)


def plot_prediction_grid(predictions: dict, model_input: dict, count: int = 12):
    """The first test images (network input frame) with truth (green) and prediction (red)."""
    sel = np.flatnonzero(predictions["split"] == "test")[:count]
    decoder = predictions["decoder"]
    cols = 6
    rows = max(1, int(np.ceil(len(sel) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), sel):
        j = predictions["index"][i]
        ax.imshow(model_input["images"][j], cmap="gray")
        truth, pred = model_input["keypoints"][j], predictions[decoder]["input"][i]
        ax.scatter(truth[:, 0], truth[:, 1], s=14, c="lime", marker="o", linewidths=0)
        ax.scatter(pred[:, 0], pred[:, 1], s=18, c="red", marker="x", linewidths=1)
        for k, (x, y) in zip(LANDMARK_IDS, pred):
            ax.annotate(str(k), (x, y), color="yellow", fontsize=6, xytext=(2, -2), textcoords="offset points")
        ax.set_title(str(model_input["sample_id"][j]).rsplit("/", 1)[-1], fontsize=7)
    fig.suptitle("test split: truth (green o) and prediction (red x)", fontsize=9)
    fig.tight_layout()
    return figure_to_image(fig)


def per_look_metrics(by_kind: pd.DataFrame) -> dict[str, float]:
    """Test metrics per look (ink_paper, inkmat_form, bare_sole, pressure_map, ...) as MLflow
    metric names, e.g. test_mre_mm_look_bare_sole."""
    looks = by_kind[by_kind["attribute"] == "look"]
    return {
        f"test_{metric}_look_{row.value}": float(getattr(row, metric))
        for row in looks.itertuples()
        for metric in ("mre_mm", "sdr_2mm", "sdr_4mm")
    }


def log_to_mlflow(
    detector: LandmarkDetector,
    finder: FootFinder,
    history: pd.DataFrame,
    metrics: dict,
    per_landmark: pd.DataFrame,
    by_kind: pd.DataFrame,
    learning_curves,
    prediction_grid,
    model_params: dict,
    training_params: dict,
    registry: dict,
    variant: str,
) -> dict:
    """One MLflow run for the variant; registers the model (with the foot finder its page stage
    uses) and moves `champion` if it is the best."""
    return log_variant_run(
        variant=variant,
        detector=detector,
        finder=finder,
        history=history,
        metrics={**metrics, **per_look_metrics(by_kind)},
        tables={"per_landmark_test.csv": per_landmark, "test_by_kind.csv": by_kind},
        figures={"learning_curves.png": learning_curves, "test_predictions.png": prediction_grid},
        params={"model": model_params, "training": training_params},
        registry=registry,
    )


def log_baseline_to_mlflow(
    model_input: dict,
    metrics: dict,
    per_landmark: pd.DataFrame,
    by_kind: pd.DataFrame,
    prediction_grid,
    model_params: dict,
    variant: str,
) -> dict:
    """The geometric baseline's MLflow run: metrics and pictures, no training and no model."""
    return log_variant_run(
        variant=variant,
        detector=None,
        history=None,
        metrics={**metrics, **per_look_metrics(by_kind)},
        tables={"per_landmark_test.csv": per_landmark, "test_by_kind.csv": by_kind},
        figures={"test_predictions.png": prediction_grid},
        params={"model": model_params, "data_fingerprint": model_input["fingerprint"]},
        registry=None,
    )
