"""Command line: python -m foot_landmarks.external.cleanroom --kind flatbed_ink --n 40 --seed 1 --out DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from foot_landmarks.external.cleanroom.dataset import MAX_WORKERS, check_arguments, render_set
from foot_landmarks.external.cleanroom.render import KINDS

PROG = "python -m foot_landmarks.external.cleanroom"


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and status 2, no usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG, description="Render a clean-room evaluation set (images/ + via_annotations.csv)."
    )
    parser.add_argument("--kind", required=True, choices=KINDS, help="kind of capture")
    parser.add_argument("--n", required=True, type=int, help="number of pages")
    parser.add_argument("--seed", required=True, type=int, help="seed (non-negative integer)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--workers", type=int, default=1, help=f"processes, 1..{MAX_WORKERS} (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_arguments(args.kind, args.n, args.seed, args.workers)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out} exists and is not a folder")
    try:
        render_set(args.kind, args.n, args.seed, out, progress=not args.quiet, workers=args.workers)
    except OSError as exc:
        print(f"{PROG}: error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(out / "via_annotations.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
