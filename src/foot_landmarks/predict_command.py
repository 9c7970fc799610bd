"""`foot-landmarks predict SCAN_OR_DIR... --model URI --out DIR`: the inference pipeline's job
from the command line (landmarks.csv, errors.csv, one overlay PNG per scan)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from foot_landmarks.io.datasets import IMAGE_SUFFIXES

DEFAULT_MODEL = "models:/foot-landmarks@champion"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


class PredictError(ValueError):
    """An input `predict` cannot use: one line naming it and the problem (exit status 2)."""


def page_size_arg(text: str) -> str:
    """--page-size checked while the arguments are read, before any model is loaded."""
    from foot_landmarks.calibration import parse_page_size

    try:
        parse_page_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_predict_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser("predict", help="predict the 8 landmarks of scans with a registered model")
    parser.add_argument("inputs", nargs="+", type=Path, help="scan files and/or folders of scans")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"MLflow model URI (default {DEFAULT_MODEL})")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--dpi", type=float, default=None, help="scan resolution when the files do not say")
    parser.add_argument(
        "--page-size", default=None, type=page_size_arg,
        help="photos without dpi: calibrate mm on the photographed sheet of this size (a4, letter, 210x297)",
    )
    parser.add_argument(
        "--side", choices=("left", "right"), default=None,
        help="the foot's side on one-foot scans, when known: it always wins over the side read from the print",
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
    parser.add_argument("--review", type=Path, default=None, metavar="DIR",
                        help="also a VIA 2.0.10 review project + CSV in DIR, least confident scans first")
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


def sqlite_store_path(tracking_uri: str) -> Path | None:
    """The database file of a `sqlite:///` tracking URI (None for other schemes)."""
    prefix = "sqlite:///"
    return Path(tracking_uri[len(prefix):]) if tracking_uri.startswith(prefix) else None


def check_tracking_uri(tracking_uri: str) -> None:
    """A SQLite store must exist: MLflow would create an empty one and then miss every model."""
    path = sqlite_store_path(tracking_uri)
    if path is not None and not path.is_file():
        raise PredictError(f"tracking URI {tracking_uri}: no MLflow database at {path}")


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def load_model(model_uri: str, tracking_uri: str):
    """The pyfunc model at `model_uri`; every way it cannot be loaded is one PredictError line."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if "://" not in model_uri and ":/" not in model_uri and not Path(model_uri).exists():
        raise PredictError(f"model {model_uri}: no such folder (give a models:/ URI or an MLflow model folder)")
    check_tracking_uri(tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    try:
        return mlflow.pyfunc.load_model(model_uri)
    except MlflowException as exc:
        raise PredictError(f"model {model_uri} (tracking URI {tracking_uri}): {_first_line(exc.message)}") from None


def cmd_predict(args: argparse.Namespace) -> int:
    import os

    import pandas as pd

    from foot_landmarks.inference import draw_overlay, split_predictions

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    scans = collect_scans(args.inputs)
    if not scans:
        names = ", ".join(str(p) for p in args.inputs)
        raise PredictError(f"{names}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    model = load_model(args.model, args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI))
    args.out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"image": [str(p) for p in scans]})
    if args.dpi:
        frame["dpi"] = args.dpi
    if args.page_size:  # checked when the arguments were read (page_size_arg)
        frame["page_size"] = args.page_size
    if args.view:
        frame["view"] = args.view
    if args.side:
        frame["side"] = args.side
    landmarks, errors = split_predictions(model.predict(frame))
    landmarks.to_csv(args.out / "landmarks.csv", index=False)
    errors.to_csv(args.out / "errors.csv", index=False)
    if not args.no_overlays:
        for image, rows in landmarks.groupby("image"):
            draw_overlay(image, rows).save(args.out / f"{Path(image).stem}_landmarks.png")
    if args.clinical:
        from foot_landmarks.clinical.files import save_clinical_files
        from foot_landmarks.pipelines.inference.nodes import measure_feet

        clinical = measure_feet(landmarks)
        clinical.pop("measurements").to_csv(args.out / "measurements.csv", index=False)
        save_clinical_files(clinical, args.out / "clinical")
    if args.review:
        from foot_landmarks.review_command import write_prediction_review

        write_prediction_review(landmarks, args.review, view=args.view)
    flagged = int(landmarks["low_confidence"].sum()) if len(landmarks) else 0
    print(
        f"{landmarks['image'].nunique()} scans predicted, {len(errors)} failed, "
        f"{flagged} low-confidence landmarks -> {args.out}"
    )
    return 0
