"""Nodes of the reporting pipeline: the comparison of variants, read back from MLflow."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import pandas as pd

# The study's Table 1 (Donayre Gamboa 2024), for the side-by-side columns.
STUDY_NMAE = {
    "resnet18_333x256": 0.0119,
    "resnet18_333x128": 0.0105,
    "resnet50_333x256": 0.0102,
    "resnet50_333x128": 0.0119,
}
COLUMNS = {
    "tags.variant": "variant",
    "params.model.architecture": "architecture",
    "params.model.encoder": "encoder",
    "params.model.input_size": "input_size",
    "params.encoder_weights_used": "weights",
    "params.training.epochs": "epochs",
    # a reduced configuration (conf/table1_cpu) shows here: images trained on / scored per split
    "params.training.max_train_images": "train_images",
    "params.training.max_eval_images": "eval_images",
    "metrics.val_nmae": "val_nmae",
    "metrics.test_nmae": "test_nmae",
    "metrics.val_mre_mm": "val_mre_mm",
    "metrics.test_mre_mm": "test_mre_mm",
    "metrics.test_mre_mm_argmax": "test_mre_mm_argmax",
    "metrics.test_sdr_2mm": "test_sdr_2mm",
    "metrics.test_sdr_4mm": "test_sdr_4mm",
    "metrics.train_seconds": "train_seconds",
    "metrics.train_gflop_per_image": "train_gflop_per_image",
    "tags.device": "device",
}


def collect_variant_runs(experiment: str | None = None) -> pd.DataFrame:
    """The latest finished run of every variant in `experiment` (one row each).

    By default the active experiment: in a Kedro session, the one conf/base/mlflow.yml names
    (kedro-mlflow sets it when the session starts), where the variants were logged.
    """
    where = {"experiment_names": [experiment]} if experiment else {}  # none: mlflow's active one
    runs = mlflow.search_runs(**where, filter_string="tags.variant != ''", order_by=["start_time DESC"])
    if runs.empty:
        return pd.DataFrame(columns=list(COLUMNS.values()))
    runs = runs.drop_duplicates("tags.variant", keep="first")
    table = runs.reindex(columns=list(COLUMNS)).rename(columns=COLUMNS)
    table["study_nmae"] = table["variant"].map(STUDY_NMAE)
    return table.sort_values("val_mre_mm", na_position="last").reset_index(drop=True)


def plot_accuracy_vs_compute(comparison: pd.DataFrame):
    """Test MRE (mm) against training GFLOP per image and against training time."""
    fig, (ax_flop, ax_time) = plt.subplots(1, 2, figsize=(11, 4))
    # a reduced run (conf/table1_cpu) has a train_images limit, and says so
    reduced = comparison["train_images"].notna() if "train_images" in comparison else pd.Series(False, comparison.index)
    for k, row in enumerate(comparison.itertuples()):
        name = row.variant + ("*" if reduced[row.Index] else "")
        for ax, x in ((ax_flop, row.train_gflop_per_image), (ax_time, row.train_seconds)):
            if pd.isna(row.test_mre_mm):
                continue
            if pd.notna(x):
                ax.scatter(x, row.test_mre_mm, s=40)
                # staggered labels: variants of similar accuracy sit side by side
                ax.annotate(name, (x, row.test_mre_mm), fontsize=7, xytext=(3, 3 - 9 * (k % 3)), textcoords="offset points")
            else:  # no training (the geometric baseline): a reference line every variant must beat
                ax.axhline(row.test_mre_mm, color="grey", linestyle="--", linewidth=1)
                ax.annotate(f"{name} (no training)", (0.02, row.test_mre_mm), xycoords=("axes fraction", "data"),
                            fontsize=7, color="grey", xytext=(0, 3), textcoords="offset points")
    ax_flop.set(xscale="log", xlabel="training GFLOP per image", ylabel="test MRE (mm)", title="Accuracy vs compute")
    ax_time.set(xscale="log", xlabel="training time (s)", ylabel="test MRE (mm)", title="Accuracy vs training time")
    for ax in (ax_flop, ax_time):
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    if reduced.any():
        fig.text(0.01, 0.01, "* reduced CPU configuration (conf/table1_cpu: epochs x images in the comparison table)", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def comparison_markdown(comparison: pd.DataFrame) -> str:
    shown = comparison.drop(columns=["device"], errors="ignore")
    return shown.to_markdown(index=False, floatfmt=".4g") + "\n"
