"""The study's Table 1 on a lent GPU machine that has PyTorch but not the project's Kedro runner,
MLflow server or data: the training pipeline's own nodes, called in the pipeline's order with the
parameters of conf/base (the study's schedule), on a model input built here by
`build_model_input` and carried over. One JSON of figures per variant, and a table beside the
study's NMAE. `make table1` runs the same nodes through Kedro where the whole project is installed.

    python benchmarks/table1_device.py --model-input mi.pkl.xz --samples samples.parquet \
        --variants resnet18_333x128,resnet50_333x128 --minutes 9 --out results/

`--minutes` bounds the whole script: each variant trains under `training.max_minutes` set to
the time left (less a margin for its evaluation), so a variant that cannot finish the schedule
runs fewer epochs and its JSON says how many.
"""

from __future__ import annotations

import argparse
import json
import lzma
import pickle
import platform
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from foot_landmarks.pipelines.evaluation.nodes import evaluate_predictions, metrics_by_kind, predict_landmarks
from foot_landmarks.pipelines.reporting.nodes import STUDY_NMAE
from foot_landmarks.pipelines.training.nodes import train_model

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_MARGIN_S = 45.0  # predicting and scoring val + test after training


def load_model_input(path: Path) -> dict:
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rb") as f:
        return pickle.load(f)


def load_samples(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_pickle(path)


def device_name() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{gpu}, torch {torch.__version__}, Python {platform.python_version()}"


def run_variant(variant: str, params: dict, model_input: dict, samples: pd.DataFrame, seconds_left: float) -> dict:
    model, training = dict(params["model"]), dict(params["training"])
    training["max_minutes"] = max(seconds_left - EVALUATION_MARGIN_S, 60.0) / 60
    start = time.perf_counter()
    detector, history = train_model(model_input, model, training, variant)
    trained = time.perf_counter()
    predictions = predict_landmarks(detector, model_input, samples, None, None, training)
    metrics, per_landmark = evaluate_predictions(predictions, model_input)
    by_kind = metrics_by_kind(predictions, model_input, samples)
    return {
        "variant": variant,
        "device": device_name(),
        "epochs_scheduled": int(params["training"]["epochs"]),
        "epochs_run": int(len(history)),
        "train_seconds": trained - start,
        "evaluation_seconds": time.perf_counter() - trained,
        "detector_info": {k: v for k, v in detector.info.items() if isinstance(v, (str, int, float, bool, list))},
        "metrics": metrics,
        "study_nmae": STUDY_NMAE.get(variant),
        "per_landmark": per_landmark.to_dict(orient="records"),
        "by_kind": by_kind.to_dict(orient="records"),
        "history": history.to_dict(orient="records"),
    }


def table(results: list[dict]) -> list[str]:
    lines = [
        "| variant | epochs | train images | train s | val NMAE | test NMAE | study NMAE | test MRE (mm) | SDR@2mm (%) | SDR@4mm (%) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r["metrics"]
        lines.append(
            f"| {r['variant']} | {r['epochs_run']} of {r['epochs_scheduled']} | {r['detector_info'].get('train_images')} | "
            f"{r['train_seconds']:.0f} | "
            f"{m.get('val_nmae', float('nan')):.4f} | {m.get('test_nmae', float('nan')):.4f} | {r['study_nmae']} | "
            f"{m.get('test_mre_mm', float('nan')):.2f} | {m.get('test_sdr_2mm', float('nan')):.1f} | "
            f"{m.get('test_sdr_4mm', float('nan')):.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-input", type=Path, required=True, help="build_model_input's pickle (.pkl or .pkl.xz)")
    parser.add_argument("--samples", type=Path, required=True, help="data_processing's samples (.parquet or .pkl)")
    parser.add_argument("--variants", default="resnet18_333x128,resnet50_333x128")
    parser.add_argument("--minutes", type=float, default=9.0, help="time for the whole script")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    all_params = yaml.safe_load((ROOT / "conf/base/parameters_training.yml").read_text())
    model_input = load_model_input(args.model_input)
    samples = load_samples(args.samples)
    print(f"{device_name()}; model input {model_input['input_size']}, {len(model_input['images'])} images", flush=True)
    results = []
    for variant in args.variants.split(","):
        size = tuple(all_params[variant]["model"]["input_size"])
        if size != tuple(model_input["input_size"]):
            print(f"{variant}: skipped, its input is {size}, the model input given is {model_input['input_size']}")
            continue
        seconds_left = args.minutes * 60 - (time.perf_counter() - start)
        if seconds_left < EVALUATION_MARGIN_S + 60:
            print(f"{variant}: skipped, {seconds_left:.0f} s left")
            continue
        result = run_variant(variant, all_params[variant], model_input, samples, seconds_left)
        (args.out / f"{variant}.json").write_text(json.dumps(result, indent=1, default=float))
        results.append(result)
        print("\n".join(table(results)), flush=True)


if __name__ == "__main__":
    main()
