"""`foot-landmarks predict SCAN_OR_DIR... --model URI --out DIR`: the inference pipeline's job
from the command line (landmarks.csv, errors.csv, one overlay PNG per scan)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from foot_landmarks.io.datasets import IMAGE_SUFFIXES
DEFAULT_MODEL = "models:/foot-landmarks@champion"


def add_predict_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser("predict", help="predict the 8 landmarks of scans with a registered model")
    parser.add_argument("inputs", nargs="+", type=Path, help="scan files and/or folders of scans")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--dpi", type=float, default=None, help="scan resolution when the files do not say")
    parser.add_argument(
        "--page-size", default=None,
        help="photos without dpi: calibrate mm on the photographed sheet of this size (a4, letter, 210x297)",
    )
    parser.add_argument(
        "--view", choices=("print", "below"), default=None,
        help="below: bare-sole / glass-plate scans seen from below (the foot is the mirror of the print view)",
    )
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db)")
    parser.add_argument("--no-overlays", action="store_true", help="skip the overlay PNGs")
    parser.add_argument(
        "--clinical", action="store_true",
        help="also measurements.csv, a 1:1 insole outline (SVG, DXF) and a one-page report (PNG, PDF) per scan",
    )
    return parser


def collect_scans(inputs: list[Path]) -> list[Path]:
    """Files as given, folders expanded to the images they hold (sorted); missing paths raise."""
    scans: list[Path] = []
    for path in inputs:
        if path.is_dir():
            scans += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            scans.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return scans


def cmd_predict(args: argparse.Namespace) -> int:
    import os

    import mlflow
    import pandas as pd

    from foot_landmarks.inference import draw_overlay, split_predictions

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    mlflow.set_tracking_uri(args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"))
    scans = collect_scans(args.inputs)
    if not scans:
        raise ValueError("no image files among the inputs")
    args.out.mkdir(parents=True, exist_ok=True)
    model = mlflow.pyfunc.load_model(args.model)
    frame = pd.DataFrame({"image": [str(p) for p in scans]})
    if args.dpi:
        frame["dpi"] = args.dpi
    if args.page_size:
        from foot_landmarks.calibration import parse_page_size

        parse_page_size(args.page_size)  # a wrong size fails here, before any model is run
        frame["page_size"] = args.page_size
    if args.view:
        frame["view"] = args.view
    landmarks, errors = split_predictions(model.predict(frame))
    landmarks.to_csv(args.out / "landmarks.csv", index=False)
    errors.to_csv(args.out / "errors.csv", index=False)
    if not args.no_overlays:
        for image, rows in landmarks.groupby("image"):
            draw_overlay(image, rows).save(args.out / f"{Path(image).stem}_landmarks.png")
    if args.clinical:
        from foot_landmarks.pipelines.inference.nodes import measure_feet

        measure_feet(landmarks, str(args.out / "clinical")).to_csv(args.out / "measurements.csv", index=False)
    flagged = int(landmarks["low_confidence"].sum()) if len(landmarks) else 0
    print(
        f"{landmarks['image'].nunique()} scans predicted, {len(errors)} failed, "
        f"{flagged} low-confidence landmarks -> {args.out}"
    )
    return 0
