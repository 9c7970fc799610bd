"""The ``foot-landmarks`` command line.

Subcommands (one function each, so more can be added the same way):

- ``synth``: generate a synthetic data set (images/ + via_annotations.csv) into a folder, with a
  mix of capture kinds (``--mix``);
- ``contact-sheet``: draw scans of a data set with their landmarks into a PNG;
- ``predict``: landmarks of scans from a registered model (foot_landmarks.predict_command).

(Not named cli.py: Kedro reserves ``<package>.cli`` for project commands of its own CLI.)

Any user error (bad number, unwritable folder, existing data without ``--force``, a model or
tracking store that cannot be loaded, a folder without scans) is one line on stderr starting with
``foot-landmarks: error:`` and exit status 2, never a traceback (docs/ERRORS.md lists them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from foot_landmarks.predict_command import add_predict_parser, cmd_predict

PROG = "foot-landmarks"
EXIT_USAGE = 2


class CliError(Exception):
    """A user error: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are a single line (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        raise CliError(message)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def whole_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _writable_dir(path: Path) -> None:
    """Create `path` if needed and check a file can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".foot-landmarks-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CliError(f"cannot write to {path}: {exc.strerror or exc}") from None


def mix_shares(text: str) -> dict[str, float]:
    """'bare_sole=0.45,ink_paper=0.3,a4=1' -> {'bare_sole': 0.45, 'ink_paper': 0.3, 'a4': 1.0}."""
    from foot_landmarks.synthetic.generate import normalise_mix

    shares: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected NAME=SHARE items, got {item!r}") from None
        if not sep:
            raise argparse.ArgumentTypeError(f"expected NAME=SHARE items, got {item!r}")
    try:
        normalise_mix(shares)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return shares


def cmd_synth(args: argparse.Namespace) -> int:
    """Generate `--n` usable synthetic feet (+ ~3 % broken prints) into `--out`."""
    from foot_landmarks.synthetic.generate import dataset_present, generate_dataset, write_dataset

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} exists and is not a folder")
    if dataset_present(out) and not args.force:
        raise CliError(f"{out} already holds a data set; pass --force to overwrite it")
    _writable_dir(out)
    start = time.perf_counter()
    ds = generate_dataset(args.n, args.seed, n_broken=args.n_broken, processes=args.processes, mix=args.mix,
                          progress=not args.json and sys.stderr.isatty())
    write_dataset(ds, out, force=args.force, via_json=args.via_json)
    seconds = time.perf_counter() - start
    summary = {
        "out": str(out),
        "images": int(len(ds.images)),
        "usable": int(ds.images["usable"].sum()),
        "broken": int((~ds.images["usable"]).sum()),
        "subjects": int(ds.images["subject"].nunique()),
        "feet": int(ds.points[ds.points["image"].isin(ds.images.loc[ds.images["usable"], "image"])].shape[0] // 8),
        "looks": {k: int(v) for k, v in ds.images["attributes"].map(lambda a: a.get("look", "")).value_counts().items()},
        "seconds": round(seconds, 2),
        "images_per_second": round(len(ds.images) / seconds, 2) if seconds > 0 else None,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"wrote {summary['images']} images ({summary['usable']} usable with {summary['feet']} feet, "
              f"{summary['broken']} broken, {summary['subjects']} subjects) to {out} in {seconds:.1f} s")
    return 0


def cmd_contact_sheet(args: argparse.Namespace) -> int:
    """Draw `--count` scans of the data set in `--data` with their landmarks into `--out`."""
    from foot_landmarks.synthetic.contact_sheet import draw_contact_sheet, find_annotations

    data = Path(args.data)
    if not data.is_dir():
        raise CliError(f"{data} is not a folder")
    try:
        find_annotations(data)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    _writable_dir(out.parent if str(out.parent) else Path("."))
    path = draw_contact_sheet(data, out, count=args.count, seed=args.seed)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Plantar landmark tools: synthetic data, contact sheets, prediction.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    synth = sub.add_parser("synth", help="generate a synthetic data set of footprint images")
    synth.add_argument("--n", type=positive_int, required=True,
                       help="number of usable feet (a two-foot image counts 2)")
    synth.add_argument("--seed", type=whole_int, default=42, help="random seed (default 42)")
    synth.add_argument("--out", required=True, help="output folder (images/ + via_annotations.csv)")
    synth.add_argument("--force", action="store_true", help="overwrite a data set already in --out")
    synth.add_argument("--processes", type=positive_int, default=2, help="worker processes (default 2)")
    synth.add_argument("--n-broken", type=whole_int, default=None, help="broken prints (default 3.3 %% of n)")
    synth.add_argument("--mix", type=mix_shares, default=None,
                       help="shares of feet per look (bare_sole, ink_paper, inkmat_form, pressure_map) and of "
                            "sheets among ink prints (a4, crop, lowres), e.g. bare_sole=0.5,ink_paper=0.5,a4=1 "
                            "(default: the study's mix, see conf/base/parameters_synthetic.yml)")
    synth.add_argument("--via-json", action="store_true", help="also write via_project.json")
    synth.add_argument("--json", action="store_true", help="print a JSON summary")
    synth.set_defaults(func=cmd_synth)

    sheet = sub.add_parser("contact-sheet", help="draw scans with their landmarks into a PNG")
    sheet.add_argument("--data", required=True, help="data set folder (images/ + VIA annotations)")
    sheet.add_argument("--out", required=True, help="PNG file to write")
    sheet.add_argument("--count", type=positive_int, default=12, help="number of scans (default 12)")
    sheet.add_argument("--seed", type=whole_int, default=0, help="which scans to pick")
    sheet.set_defaults(func=cmd_contact_sheet)

    add_predict_parser(sub).set_defaults(func=cmd_predict)
    from foot_landmarks.review_command import add_review_parser  # import-review (predict --review)

    add_review_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "n_broken", None) is not None and args.n_broken < 0:
            raise CliError(f"--n-broken must be >= 0, got {args.n_broken}")
        return int(args.func(args))
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError) as exc:  # e.g. a disk that fills up, an unreadable data set
        print(f"{PROG}: error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        # MLflow's errors (a store or model that cannot be reached) are not ValueErrors; mlflow is
        # imported only by the commands that use it, so its exception class is matched by module
        if not type(exc).__module__.startswith("mlflow"):
            raise
        print(f"{PROG}: error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
