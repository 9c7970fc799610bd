"""Write a set of pages: images/<name> and via_annotations.csv (VIA 2.x CSV, the project's format).

Each page is rendered from its own random stream, so the files do not depend on the number of
worker processes; the CSV lists the pages in page order.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from foot_landmarks.external.cleanroom.render import KINDS, render_page
from foot_landmarks.io.via import IMAGE_COLUMNS, POINT_COLUMNS, format_via_csv

ANNOTATION_FILE = "via_annotations.csv"
IMAGES_DIR = "images"
MAX_WORKERS = 2


def check_arguments(kind: str, n_pages: int, seed: int, workers: int = 1) -> None:
    """Raise ValueError with a one-line reason for arguments render_set cannot use."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if isinstance(n_pages, bool) or not isinstance(n_pages, int) or n_pages < 1:
        raise ValueError(f"n_pages (--n) must be a positive integer, got {n_pages!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed (--seed) must be a non-negative integer, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers (--workers) must be 1..{MAX_WORKERS}, got {workers!r}")


def _render_and_write(job: tuple[str, int, int, str]) -> tuple[dict, list[dict]]:
    """Render one page, write its image, return its VIA rows (image row, point rows)."""
    kind, seed, index, images_dir = job
    page = render_page(kind, seed, index)
    (Path(images_dir) / page.name).write_bytes(page.data)
    image_row = {
        "image": page.name,
        "file_size": len(page.data),
        "side": page.attributes["side"],
        "subject": page.attributes["subject"],
        "dpi": float(page.attributes["dpi"]) if page.attributes["dpi"] else float("nan"),
        "source": page.attributes["source"],
        "usable": page.usable,
        "attributes": page.attributes,
    }
    points = []
    for foot in page.feet:
        if not foot.usable or foot.truth is None:
            continue
        for k in range(8):
            x, y = foot.truth.points[k]
            points.append({"image": page.name, "landmark": k + 1, "x": float(x), "y": float(y),
                           "visible": int(foot.truth.visible[k]), "foot": foot.region_foot})
    return image_row, points


def render_set(kind: str, n_pages: int, seed: int, out_dir: str | Path, progress: bool = True, *,
               workers: int = 1) -> Path:
    """Render `n_pages` pages of `kind` into `out_dir` (images/ and via_annotations.csv); returns `out_dir`.

    The same (kind, n_pages, seed) gives byte-identical files whatever `workers` (1 or 2) is.
    """
    check_arguments(kind, n_pages, seed, workers)
    out = Path(out_dir)
    images_dir = out / IMAGES_DIR
    images_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(kind, seed, i, str(images_dir)) for i in range(n_pages)]
    image_rows: list[dict] = []
    point_rows: list[dict] = []

    def collect(results) -> None:
        for done, (image_row, points) in enumerate(results, start=1):
            image_rows.append(image_row)
            point_rows.extend(points)
            if progress:
                print(f"cleanroom {kind}: {done}/{n_pages} {image_row['image']}", file=sys.stderr, flush=True)

    if workers > 1 and n_pages > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            collect(pool.map(_render_and_write, jobs, chunksize=1))
    else:
        collect(map(_render_and_write, jobs))
    images = pd.DataFrame(image_rows, columns=list(IMAGE_COLUMNS))
    points = pd.DataFrame(point_rows, columns=list(POINT_COLUMNS))
    (out / ANNOTATION_FILE).write_text(format_via_csv(images, points), encoding="utf-8")
    return out
