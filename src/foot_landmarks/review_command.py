"""Review in VIA from the command line.

- ``foot-landmarks predict ... --review DIR``: also writes a VIA 2.0.10 project
  (``DIR/via_project.json``, VIA's "Project > Load") and its VIA CSV, least confident scans first
  (:func:`write_prediction_review`);
- ``foot-landmarks import-review EXPORT --name NAME``: VIA's export of the corrected project (CSV
  export or saved project JSON) -> ``data/01_raw/NAME/`` (images/ + via_annotations.csv +
  review_summary.csv), and the table of how far the reviewer moved each landmark.

A bad export (missing, broken, no point regions, images not found) or an existing data set
without ``--force`` raises ValueError / OSError with one line naming the file: the command line
reports it as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

DEFAULT_DATA_ROOT = Path("data/01_raw")


def add_review_parser(sub) -> argparse.ArgumentParser:
    """The ``import-review`` subcommand (its function set as the default ``func``)."""
    parser = sub.add_parser(
        "import-review", help="turn VIA's export of a corrected review project into a data set"
    )
    parser.add_argument("export", type=Path, metavar="EXPORT",
                        help="VIA's CSV export, JSON export or saved project (.json) of the review")
    parser.add_argument("--name", required=True, help="data set name: writes DATA_ROOT/NAME/")
    parser.add_argument("--images", type=Path, default=None, metavar="DIR",
                        help="folder of the scans (default: the folder the saved project names, "
                             "else the export's folder)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, metavar="DIR",
                        help=f"where data sets live (default {DEFAULT_DATA_ROOT})")
    parser.add_argument("--force", action="store_true", help="replace an existing data set NAME")
    parser.set_defaults(func=cmd_import_review)
    return parser


def write_prediction_review(landmarks: pd.DataFrame, out: Path, view: str | None = None) -> None:
    """``predict --review DIR``: the VIA review project and CSV of the predicted landmarks."""
    from foot_landmarks.review.export import write_review

    if landmarks.empty:
        print(f"no landmarks predicted: no review project written to {out}")
        return
    project, csv_path = write_review(landmarks, out, view=view)
    print(f"review in VIA: Project > Load {project} (least confident scans first; CSV: {csv_path})")


def cmd_import_review(args: argparse.Namespace) -> int:
    from foot_landmarks.review.corrections import read_review_export
    from foot_landmarks.review.dataset import (
        check_name,
        dataset_name,
        dataset_present,
        dataset_tables,
        image_folders,
        locate_images,
        write_dataset,
    )
    from foot_landmarks.review.summary import format_summary, point_moves, summary_by_landmark

    folder = Path(args.data_root) / check_name(args.name)
    if dataset_present(folder) and not args.force:
        raise FileExistsError(f"{folder} already holds a data set; pass --force to overwrite it")
    export = read_review_export(args.export)
    via = export.annotations
    sources = locate_images(list(via.images["image"]), image_folders(args.export, export.image_folder, args.images),
                            args.export)
    images, points = dataset_tables(via, sources)
    dpi = pd.Series(via.images["dpi"].to_numpy(float), index=via.images["image"])
    summary = summary_by_landmark(point_moves(via.points, export.predicted, dpi))
    files = {dataset_name(image): path for image, path in sources.items()}
    write_dataset(folder, images, points, files, summary, force=args.force)
    for file, problem in via.problems:
        print(f"note: {file}: {problem} (left out)", file=sys.stderr)
    print(format_summary(summary))
    total = summary.iloc[-1]
    print(f"wrote {folder}: {len(images)} scans, {len(points)} points, {int(total['moved'])} moved by the review")
    return 0
