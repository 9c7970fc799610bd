"""Nodes of the fine-tuning pipelines (finetune, finetune_curve) and of the two adaptation
measurements (adaptation_loso, adaptation_shift). The work is in foot_landmarks.adaptation; the
MLflow registry is read and written through foot_landmarks.tracking, as the training pipeline's
log_to_mlflow node does."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from PIL import Image

from foot_landmarks import adaptation
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.geometry import apply_to_points
from foot_landmarks.pipelines.evaluation.nodes import load_crop
from foot_landmarks.plotting import figure_to_image
from foot_landmarks.tracking import HELD_OUT_RULE, load_registered_detector, log_variant_run, promote_on_held_out

log = logging.getLogger(__name__)


# --- models from the registry ---------------------------------------------------------------------


def load_base_and_champion(registry: dict, finetune: dict) -> tuple[LandmarkDetector, LandmarkDetector]:
    """The detector to start from (`finetune.base`: champion or a version number) and the current
    champion, which the fine-tuned model must beat (the same detector when the base is the champion)."""
    champion = load_registered_detector(registry, "champion")
    reference = str(finetune.get("base", "champion")).strip()
    same = reference in ("champion", registry["champion_alias"], champion.info["registered_version"])
    base = champion if same else load_registered_detector(registry, reference)
    log.info("fine-tuning %s version %s; the champion is version %s", registry["model_name"],
             base.info["registered_version"], champion.info["registered_version"])
    return base, champion


def load_shift_models(registry: dict, shift: dict) -> tuple[LandmarkDetector, LandmarkDetector]:
    """The base trained without the look (registered as `shift.base_model`) and the reference that
    saw it in full training (`registry.model_name`, version `shift.reference`)."""
    try:
        base = load_registered_detector({**registry, "model_name": shift["base_model"]}, shift.get("base", "champion"))
    except MlflowException as error:
        raise ValueError(
            f"no registered {shift['base_model']} ({shift.get('base', 'champion')}): train the base model without "
            f"the look first: kedro run --pipeline training --namespaces resnet18_light_s4 --params "
            f"\"resnet18_light_s4.training.exclude_looks={shift['look']},registry.model_name={shift['base_model']}\""
        ) from error
    return base, load_registered_detector(registry, shift.get("reference", "champion"))


# --- which feet -----------------------------------------------------------------------------------


def select_real_feet(samples: pd.DataFrame, finetune: dict) -> pd.DataFrame:
    """The feet of `finetune.datasets`, each with its subject's side of the split in `split`
    (train / test = held out), seeded by `finetune.seed`."""
    real = adaptation.feet_of_datasets(samples, finetune.get("datasets"))
    real["split"] = adaptation.split_by_subject(real, float(finetune.get("held_out_share", 0.3)),
                                                int(finetune.get("seed", 0)))
    held = real["split"] == adaptation.HELD_OUT
    log.info("real feet: %d for training, %d held out (%d subjects)", (~held).sum(), held.sum(),
             adaptation.subject_groups(real[held]).nunique())
    return real


def mix_training_feet(real: pd.DataFrame, samples: pd.DataFrame, finetune: dict) -> pd.DataFrame:
    """The fine-tune's feet: real training feet, generated ones (`generated_ratio` per real foot),
    a few generated validation feet to watch training, and the held-out real feet."""
    return adaptation.mixed_feet(real[real["split"] == adaptation.TRAIN], real[real["split"] == adaptation.HELD_OUT],
                                 samples, finetune)


# --- fine-tuning and scoring ----------------------------------------------------------------------


def fine_tune_base(base: LandmarkDetector, feet: pd.DataFrame, crops: dict, finetune: dict
                   ) -> tuple[LandmarkDetector, pd.DataFrame]:
    return adaptation.fine_tune(base, feet, crops, finetune["training"])


def score_held_out(detector: LandmarkDetector, feet: pd.DataFrame, crops: dict, raw_images: dict,
                   finetune: dict) -> pd.DataFrame:
    """Per held-out real foot: the detector's error (adaptation.foot_errors)."""
    held_out = feet[feet["split"] == adaptation.HELD_OUT]
    return adaptation.score(detector, held_out, crops, raw_images, bool(finetune.get("refine", True)))


# --- registration and the champion ----------------------------------------------------------------


def register_fine_tuned(
    detector: LandmarkDetector,
    history: pd.DataFrame,
    champion_errors: pd.DataFrame,
    errors: pd.DataFrame,
    champion: LandmarkDetector,
    finetune: dict,
    registry: dict,
) -> tuple[dict, pd.DataFrame]:
    """Register the fine-tuned detector (MLflow run `finetune`, its data fingerprint, both scores)
    and move the champion alias only by HELD_OUT_RULE. Returns the registration and the held-out
    errors of both models."""
    unit = adaptation.score_unit(errors)
    error, champion_error = adaptation.mean_error(errors, unit), adaptation.mean_error(champion_errors, unit)
    champion_version = champion.info.get("registered_version")
    comparison = pd.concat(
        [t.assign(model=m) for m, t in ((f"champion (version {champion_version})", champion_errors),
                                         ("fine-tuned", errors)) if len(t)]
        or [pd.DataFrame(columns=[*adaptation.ERROR_COLUMNS, "model"])],
        ignore_index=True,
    )
    metrics = {
        "held_out_error": error,
        "held_out_error_champion": champion_error,
        "held_out_feet": len(errors),
        "real_train_feet": detector.info.get("real_train_feet", 0),
        "generated_train_feet": detector.info.get("generated_train_feet", 0),
        "fine_tune_minutes": detector.info.get("fine_tune_minutes", math.nan),
    }
    # No `champion_metric` among the metrics: log_variant_run's update_champion never promotes an
    # unscored version, so the alias moves only by the held-out rule below.
    logged = log_variant_run(
        variant="finetune", detector=detector, history=history, metrics=metrics,
        tables={"held_out_errors.csv": comparison}, figures={},
        params={"finetune": finetune, "base": detector.info.get("fine_tuned_from", "?"),
                "champion_version": str(champion_version), "held_out_unit": unit},
        registry=registry,
    )
    client = MlflowClient()
    version = logged["version"]
    promoted, why = promote_on_held_out(client, registry, version, error, champion_error, champion_version,
                                        len(errors), unit)
    for key, value in {"promotion_rule": HELD_OUT_RULE, "promoted": str(promoted), "promotion": why,
                       "held_out_unit": unit}.items():
        client.set_tag(logged["run_id"], key, value)
    for key, value in {"held_out_error": error, "held_out_error_champion": champion_error, "held_out_unit": unit,
                       "held_out_feet": len(errors), "fine_tuned_from": detector.info.get("fine_tuned_from", "?"),
                       "datasets": ";".join(adaptation.dataset_names(finetune.get("datasets")))}.items():
        client.set_model_version_tag(registry["model_name"], version, key, str(value))
    log.info(
        "finetune: version %s %s: fine-tuned %.3f vs champion (version %s) %.3f %s on %d held-out real feet; %s "
        "[rule: %s]", version, f"is now @{registry['champion_alias']}" if promoted else "registered, not promoted",
        error, champion_version, champion_error, unit, len(errors), why, HELD_OUT_RULE,
    )
    registration = {
        **{k: v for k, v in logged.items() if k != registry["champion_metric"]},
        "champion": promoted, "promoted": promoted, "reason": why, "rule": HELD_OUT_RULE,
        "held_out_error": error, "held_out_error_champion": champion_error, "held_out_unit": unit,
        "held_out_feet": len(errors), "champion_version_compared": champion_version,
        "fine_tuned_from": detector.info.get("fine_tuned_from"),
    }
    return registration, comparison


# --- the learning curve ---------------------------------------------------------------------------


def learning_curve_table(base: LandmarkDetector, real: pd.DataFrame, samples: pd.DataFrame, crops: dict,
                         raw_images: dict, finetune: dict) -> pd.DataFrame:
    return adaptation.learning_curve(base, real, samples, crops, raw_images, finetune)


CURVE_COLOUR = "#d62728"  # the points' colour, which nothing else in the picture uses


def plot_learning_curve(table: pd.DataFrame) -> Image.Image:
    """Held-out error against the number of real feet used for fine-tuning: one point per N,
    N = 0 (the model before fine-tuning) marked as such, each point's value written beside it."""
    unit = str(table["unit"].iloc[0]) if len(table) else ""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(table["n_real_feet"], table["error"], color="0.55", linewidth=1.2, zorder=1)
    ax.scatter(table["n_real_feet"], table["error"], s=46, color=CURVE_COLOUR, zorder=2)
    for n, error in zip(table["n_real_feet"], table["error"]):
        ax.annotate(f"{error:.2f}" + (" (before)" if n == 0 else ""), (n, error), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, color="black")
    held_out = int(table["held_out_feet"].iloc[0]) if len(table) else 0
    ax.set(xlabel="real feet used for fine-tuning (N; 0 = the model before fine-tuning)",
           ylabel=f"mean error on held-out feet ({unit}; lower is better)",
           title=f"Fine-tuning on your own scans: error on {held_out} held-out real feet")
    ax.set_ylim(bottom=0, top=max(1e-6, float(np.nanmax(table["error"]))) * 1.25 if len(table) else 1)
    ax.margins(x=0.1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return figure_to_image(fig)


def log_learning_curve(table: pd.DataFrame, picture: Image.Image) -> None:
    """One MLflow run `finetune_learning_curve` (nested under the `kedro run` run when there is
    one): the picture, the table, one metric per N."""
    import mlflow

    with mlflow.start_run(run_name="finetune_learning_curve", nested=mlflow.active_run() is not None):
        mlflow.set_tag("variant", "finetune_learning_curve")
        mlflow.log_image(picture, "plots/finetune_learning_curve.png")
        mlflow.log_table(table, "evaluation/finetune_learning_curve.json")
        for row in table.itertuples():
            if math.isfinite(row.error):
                mlflow.log_metric("held_out_error", float(row.error), step=int(row.n_real_feet))


# --- the two measurements -------------------------------------------------------------------------


def as_data_set(partitions: Mapping, name: str) -> dict:
    """Partitions of one set's folder (images/..., via_annotations.csv) keyed as data processing
    keys data/01_raw's (`<data set>/images/...`), so its nodes read a folder anywhere."""
    return {f"{name}/{key}": value for key, value in partitions.items()}


def run_leave_one_sheet_out(base: LandmarkDetector, real_samples: pd.DataFrame, real_crops: dict,
                            samples: pd.DataFrame, crops: dict, real_raw_images: dict, finetune: dict
                            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return adaptation.leave_one_sheet_out(base, real_samples, samples, {**crops, **real_crops}, real_raw_images,
                                          finetune)


def run_domain_shift(base: LandmarkDetector, reference: LandmarkDetector, samples: pd.DataFrame, crops: dict,
                     raw_images: dict, finetune: dict, shift: dict) -> pd.DataFrame:
    return adaptation.domain_shift(base, reference, samples, crops, raw_images, finetune, shift)


def draw_sheet_overlays(points: pd.DataFrame, real_samples: pd.DataFrame, real_crops: dict) -> dict[str, Image.Image]:
    """Per left-out foot, its crop with the annotation (green), the points before fine-tuning
    (red) and after (blue), numbered; keyed by sample id."""
    rows = real_samples.set_index("sample_id")
    out = {}
    for item in points.itertuples():
        row = rows.loc[item.sample_id]
        crop = load_crop(real_crops, item.sample_id)
        to_crop = np.asarray(row["to_crop"], float)
        fig, ax = plt.subplots(figsize=(3.2, 3.2 * crop.shape[0] / max(crop.shape[1], 1)))
        ax.imshow(crop, cmap="gray")
        for label, pts, colour in (("annotation", row["points_orig"], "lime"), ("before", item.before, "red"),
                                   ("after", item.after, "deepskyblue")):
            xy = apply_to_points(to_crop, np.asarray(pts, float))
            ax.scatter(xy[:, 0], xy[:, 1], s=16, c=colour, label=label)
            for k, (x, y) in enumerate(xy, start=1):
                ax.annotate(str(k), (x, y), color=colour, fontsize=6, xytext=(2, -2), textcoords="offset points")
        ax.legend(fontsize=6, loc="lower right")
        ax.set_title(item.sample_id, fontsize=7)
        ax.axis("off")
        fig.tight_layout()
        out[item.sample_id] = figure_to_image(fig)
    return out


def log_adaptation_table(table: pd.DataFrame, name: str) -> None:
    """The measurement's table as an MLflow run `name` (nested under the `kedro run` run)."""
    import mlflow

    with mlflow.start_run(run_name=name, nested=mlflow.active_run() is not None):
        mlflow.set_tag("variant", name)
        mlflow.log_table(table, f"evaluation/{name}.json")
        for column in ("error_before_pct", "error_after_pct"):
            if column in table and len(table):
                mlflow.log_metric(f"mean_{column}", float(table[column].mean()))
        for column in ("within_2pct_before", "within_2pct_after"):  # over all points, not per sheet
            if column in table and len(table):
                mlflow.log_metric(column, float((table[column] * table["points"]).sum() / table["points"].sum()))
        for model in ("before", "after"):  # whole images: over the points of the feet found
            points = table.get(f"whole_points_{model}")
            if points is None or not np.nansum(points):
                continue
            for measure in ("whole_error_{}_pct", "whole_within_2pct_{}"):
                column = measure.format(model)
                mlflow.log_metric(column, float(np.nansum(table[column] * points) / np.nansum(points)))
            mlflow.log_metric(f"feet_found_{model}", float(table[f"feet_found_{model}"].sum()))
