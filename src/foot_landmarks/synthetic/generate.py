"""Generate a synthetic data set of scanned ink footprints with exact landmarks (VIA tables).

Each print is made from a :class:`PrintSpec` alone (its seed derives from the data set seed and
its index), so the output is the same for any number of worker processes.

One print, step by step:
1. the subject's anatomy (same for all prints of a subject) plus a session variation;
2. the sheet (A4 page scan, tight crop, or low-resolution crop) and the pose on it;
3. the ink print rendered in right-foot configuration at 300 dpi, downscaled for low-res crops;
4. the 8 landmarks from that final-resolution ink mask (ground_truth.py);
5. a left foot is mirrored (mask and points), then paper, pen writing, blots, smudges, blur,
   scanner noise and JPEG are added; broken prints get a blot over the print or a page edge cut.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from foot_landmarks.io.via import IMAGE_COLUMNS, POINT_COLUMNS, format_via_csv, format_via_json
from foot_landmarks.landmarks import LANDMARK_IDS, STUDY_DPI
from foot_landmarks.synthetic import artefacts as art
from foot_landmarks.synthetic.anatomy import foot_shapes, sample_anatomy, session_variant
from foot_landmarks.synthetic.ground_truth import landmarks_from_render
from foot_landmarks.synthetic.render import (
    Pose,
    block_mean,
    downscale_render,
    mirror_render,
    render_print,
    sample_ink_style,
    shapes_bbox_px,
)

SHEETS: tuple[str, ...] = ("a4", "crop", "lowres")
DEFAULT_MIX: dict[str, float] = {"a4": 0.4, "crop": 0.3, "lowres": 0.3}
DEFECTS: tuple[str, ...] = ("blot_over_print", "cut_by_page_edge")
A4_SIZES_HW: tuple[tuple[int, int], ...] = ((3508, 2480), (3507, 2550))  # A4 at 300 dpi, as scanners save it
LOWRES_FACTORS: tuple[int, ...] = (2, 3, 4, 5)  # 300 dpi / k: 150, 100, 75 and 60 dpi
SUPERSAMPLE = 2  # low-res crops are rendered at twice their dpi and box-downscaled, like a resized scan
BROKEN_SHARE = 0.033
ANNOTATION_CSV = "via_annotations.csv"
ANNOTATION_JSON = "via_project.json"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class PrintSpec:
    """Everything that decides one print: with the same spec the same bytes come out."""

    seed: int
    index: int
    subject_index: int
    side: str
    session: int
    broken: bool
    mix: tuple[tuple[str, float], ...]

    @property
    def subject(self) -> str:
        return f"S{self.subject_index:04d}"

    @property
    def filename(self) -> str:
        return f"{self.subject}_{'R' if self.side == 'right' else 'L'}_{self.session}.jpg"


@dataclass
class Sample:
    filename: str
    jpeg: bytes
    attributes: dict[str, str]
    points: np.ndarray
    visible: np.ndarray


@dataclass
class SyntheticDataset:
    """VIA tables (io.via layout) and the JPEG bytes of every file, keyed by file name."""

    images: pd.DataFrame
    points: pd.DataFrame
    files: dict[str, bytes] = field(default_factory=dict)

    def via_csv(self) -> str:
        return format_via_csv(self.images, self.points)

    def via_json(self) -> str:
        return format_via_json(self.images, self.points)


# ----------------------------------------------------------------------------- planning


def normalise_mix(mix: dict | None) -> tuple[tuple[str, float], ...]:
    """Sheet shares as a sorted tuple; unknown sheets or non-positive totals are refused."""
    mix = dict(DEFAULT_MIX if mix is None else mix)
    unknown = set(mix) - set(SHEETS)
    if unknown:
        raise ValueError(f"unknown sheet kind(s) {sorted(unknown)} in mix; use {list(SHEETS)}")
    total = float(sum(mix.values()))
    if total <= 0 or any(v < 0 for v in mix.values()):
        raise ValueError(f"mix shares must be >= 0 with a positive sum, got {mix}")
    return tuple((k, float(mix.get(k, 0.0)) / total) for k in SHEETS)


def plan_prints(n_total: int, n_broken: int, seed: int, mix: dict | None = None) -> list[PrintSpec]:
    """Subjects with 1-4 prints each (left/right, repeated sessions) until `n_total` prints."""
    rng = np.random.default_rng([seed, 0])
    shares = normalise_mix(mix)
    broken = set(rng.choice(n_total, size=n_broken, replace=False).tolist()) if n_broken else set()
    specs: list[PrintSpec] = []
    subject = 0
    while len(specs) < n_total:
        subject += 1
        count = min(int(rng.integers(1, 5)), n_total - len(specs))
        sessions = {"right": 0, "left": 0}
        first = "right" if rng.random() < 0.5 else "left"
        for j in range(count):
            side = first if j % 2 == 0 else ("left" if first == "right" else "right")
            if rng.random() < 0.2:  # sometimes the same foot twice in a row
                side = first
            sessions[side] += 1
            index = len(specs)
            specs.append(PrintSpec(seed, index, subject, side, sessions[side], index in broken, shares))
    return specs


# ----------------------------------------------------------------------------- one print


def _choose_sheet(spec: PrintSpec, rng: np.random.Generator) -> str:
    names, shares = zip(*spec.mix)
    return str(rng.choice(names, p=np.array(shares) / sum(shares)))


def _layout(
    bbox: tuple[float, float, float, float],
    sheet: str,
    defect: str,
    k: int,
    dpi: float,
    rng: np.random.Generator,
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Sheet size (h, w), multiples of k, and the shift for a print whose bbox (pose at 0, 0) is given."""
    bx0, by0, bx1, by1 = bbox
    bw, bh = bx1 - bx0, by1 - by0
    mm = dpi / 25.4
    if sheet == "a4":
        h, w = A4_SIZES_HW[int(rng.integers(len(A4_SIZES_HW)))]
        margin = 5 * mm
        lo_x, hi_x = margin - bx0, w - 1 - margin - bx1
        lo_y, hi_y = margin - by0, h - 1 - margin - by1
        dx, dy = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
    else:
        margins = rng.uniform(6, 35, 4) * mm  # left, top, right, bottom
        w = int(np.ceil((bw + margins[0] + margins[2]) / k)) * k
        h = int(np.ceil((bh + margins[1] + margins[3]) / k)) * k
        dx, dy = margins[0] - bx0, margins[1] - by0
    if defect == "cut_by_page_edge":  # push the print over one edge by 8-30 % of its extent
        edge = int(rng.choice(4, p=(0.35, 0.35, 0.15, 0.15)))  # top, bottom, left, right
        if edge == 0:
            dy = -by0 - rng.uniform(0.08, 0.3) * bh
        elif edge == 1:
            dy = h - 1 - by1 + rng.uniform(0.08, 0.3) * bh
        elif edge == 2:
            dx = -bx0 - rng.uniform(0.08, 0.3) * bw
        else:
            dx = w - 1 - bx1 + rng.uniform(0.08, 0.3) * bw
    return (h, w), (dx, dy)


def _fits_a4(bbox: tuple[float, float, float, float]) -> bool:
    margins = 2 * 5 * STUDY_DPI / 25.4
    smallest_h, smallest_w = min(h for h, _ in A4_SIZES_HW), min(w for _, w in A4_SIZES_HW)
    return bbox[3] - bbox[1] + margins < smallest_h and bbox[2] - bbox[0] + margins < smallest_w


@dataclass(frozen=True)
class _Placement:
    sheet: str
    sheet_hw: tuple[int, int]  # at render resolution
    pose: Pose  # of the right-foot twin (render_print always draws a right foot)
    final_dpi: float
    k: int  # render pixels per final pixel


def _place_print(spec: PrintSpec, shapes, length_mm: float, defect: str, rng: np.random.Generator) -> _Placement:
    """Sheet kind and size, and the pose of the print on it.

    Low-res crops are rendered at twice their final dpi and box-downscaled by k = 2 (cheaper than
    300 dpi, and the landmarks are then taken on the downscaled mask, as for any resized scan).
    """
    sheet = _choose_sheet(spec, rng)
    final_dpi = STUDY_DPI / int(rng.choice(LOWRES_FACTORS)) if sheet == "lowres" else STUDY_DPI
    k = SUPERSAMPLE if sheet == "lowres" else 1
    render_dpi = final_dpi * k
    angle = float(rng.uniform(-10, 10))
    bbox = shapes_bbox_px(shapes, Pose(0.0, 0.0, angle, render_dpi, length_mm))
    if spec.side == "left":
        # A left print is the mirror of a right twin turned by -angle: lay out the box the final
        # left print occupies, not the right foot's (the hallux side is the broader one).
        x0, y0, x1, y1 = shapes_bbox_px(shapes, Pose(0.0, 0.0, -angle, render_dpi, length_mm))
        bbox = (-x1, y0, -x0, y1)
    if sheet == "a4" and not _fits_a4(bbox):
        sheet = "crop"  # a long foot turned on A4 would not fit: that clinic scans a crop
    sheet_hw, (dx, dy) = _layout(bbox, sheet, defect, k, render_dpi, rng)
    pose = Pose(dx, dy, angle, render_dpi, length_mm)
    if spec.side == "left":  # the right-foot twin of the final left print, mirrored later
        pose = pose.mirrored(sheet_hw[1])
    return _Placement(sheet, sheet_hw, pose, final_dpi, k)


def render_sample(spec: PrintSpec) -> Sample:
    """Make one scanned print and its landmarks from `spec` (pure: same spec, same output)."""
    anatomy = sample_anatomy(np.random.default_rng([spec.seed, 1, spec.subject_index]))
    rng = np.random.default_rng([spec.seed, 2, spec.index])
    anatomy = session_variant(anatomy, rng)
    shapes = foot_shapes(anatomy)
    defect = str(rng.choice(DEFECTS)) if spec.broken else ""
    place = _place_print(spec, shapes, anatomy.length_mm, defect, rng)
    k = place.k
    style = sample_ink_style(rng, anatomy.ridge_period_mm)
    render = render_print(shapes, place.pose, place.sheet_hw, rng, style, align=k)
    # Ground truth on the final-resolution mask, in right-foot configuration, mirrored if left.
    points, visible = landmarks_from_render(downscale_render(render, k))
    if spec.side == "left":
        render = mirror_render(render)
        points[:, 0] = place.sheet_hw[1] // k - 1 - points[:, 0]
    image = _sheet_with_print(render, place.final_dpi * k, rng)
    marks = _add_marks(image, render, spec.subject, place.final_dpi * k, rng)
    if defect == "blot_over_print":
        _blot_over_print(image, points * k + (k - 1) / 2, place.final_dpi * k, rng)
        marks.append("blot")
    if k > 1:
        image = block_mean(image, k)
    window = (render.x0, render.y0, render.x0 + render.ink.shape[1], render.y0 + render.ink.shape[0])
    jpeg = _scan(image, tuple(v // k for v in window), place.final_dpi, rng)
    attributes = {
        "side": spec.side,
        "subject": spec.subject,
        "dpi": f"{place.final_dpi:g}",
        "source": "synthetic",
        "usable": "false" if spec.broken else "true",
        "defect": defect,
        "arch": anatomy.arch,
        "sheet": place.sheet,
        "look": style.look,
        "artefacts": ";".join(dict.fromkeys(marks)),
        "session": str(spec.session),
        "foot_length_mm": f"{anatomy.length_mm:.1f}",
    }
    return Sample(spec.filename, jpeg, attributes, points, visible)


def _sheet_with_print(render, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """Paper with the print's ink on it (float reflectance, render resolution)."""
    image = art.paper(render.sheet_hw, rng, dpi)
    h, w = render.ink.shape
    window = image[render.y0 : render.y0 + h, render.x0 : render.x0 + w]
    window *= 1.0 - np.float32(rng.uniform(0.8, 0.95)) * render.density
    return image


def _add_marks(image: np.ndarray, render, subject: str, dpi: float, rng: np.random.Generator) -> list[str]:
    """Pen writing, scribbles, stray marks, blots and smudges, all clear of the print.

    Pen and marks keep 4 mm from the ink (writing near a print is common), blots and smudges 10 mm.
    Returns the kinds of marks actually placed (a mark that finds no room is left out).
    """
    h, w = image.shape
    px_mm = dpi / 25.4
    near = art.KeepOut.around(render.ink, render.x0, render.y0, (h, w), margin_px=4 * px_mm)
    far = art.KeepOut.around(render.ink, render.x0, render.y0, (h, w), margin_px=10 * px_mm)
    marks: list[str] = []
    pen_gray = float(rng.uniform(0.12, 0.5))
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(1, 4))):
            text = art.handwriting_text(rng, subject)
            if _put(image, art.pen_text(text, int(px_mm * rng.uniform(4, 9)), rng), near, rng, pen_gray):
                marks.append("pen")
    if rng.random() < 0.3:
        length, height = int(px_mm * rng.uniform(25, 60)), int(px_mm * rng.uniform(5, 10))
        if _put(image, art.scribble(length, height, max(2, int(px_mm * 0.35)), rng), near, rng, pen_gray):
            marks.append("scribble")
    if rng.random() < 0.4:
        for _ in range(int(rng.integers(1, 5))):
            if _put(image, art.stray_mark(px_mm, rng), near, rng, float(rng.uniform(0.1, 0.45))):
                marks.append("marks")
    far.cells |= near.cells  # blots also avoid the marks placed so far
    if rng.random() < 0.25:
        if _put(image, art.blot(px_mm * rng.uniform(1.5, 7), rng), far, rng, float(rng.uniform(0.05, 0.2))):
            marks.append("blot")
    if rng.random() < 0.2:
        if _put(image, art.smudge(px_mm * rng.uniform(15, 50), rng), far, rng, float(rng.uniform(0.2, 0.5))):
            marks.append("smudge")
    return marks


def _blot_over_print(image: np.ndarray, points: np.ndarray, dpi: float, rng: np.random.Generator) -> None:
    """The defect: a large blot centred on one landmark, so the print cannot be read there."""
    target = points[int(rng.integers(len(points)))]
    cov = art.blot(dpi / 25.4 * rng.uniform(12, 30), rng)
    x0, y0 = int(target[0] - cov.shape[1] / 2), int(target[1] - cov.shape[0] / 2)
    art.paint(image, cov, x0, y0, float(rng.uniform(0.04, 0.15)))


def _scan(image: np.ndarray, print_box: tuple[int, int, int, int], dpi: float, rng: np.random.Generator) -> bytes:
    """What the scanner saves: 8-bit gray, optics blur over the print, sensor noise, JPEG."""
    pixels = art.quantise(image)
    x0, y0, x1, y1 = print_box
    art.blur_region(pixels, (x0 - 3, y0 - 3, x1 + 3, y1 + 3), float(rng.uniform(0.3, 1.0)))
    pixels = art.scanner_noise(pixels, rng, float(rng.uniform(1.0, 3.5)))
    return art.jpeg_bytes(pixels, int(rng.integers(75, 96)), dpi)


def _put(image: np.ndarray, coverage: np.ndarray, keep_out: art.KeepOut, rng: np.random.Generator, gray: float) -> bool:
    spot = art.place(coverage.shape, image.shape, keep_out, rng)
    if spot is None:
        return False
    art.paint(image, coverage, spot[0], spot[1], gray)
    return True


# ----------------------------------------------------------------------------- data set


def _tables(samples: list[Sample]) -> tuple[pd.DataFrame, pd.DataFrame]:
    image_rows, point_rows = [], []
    for s in samples:
        a = s.attributes
        image_rows.append(
            {
                "image": s.filename,
                "file_size": len(s.jpeg),
                "side": a["side"],
                "subject": a["subject"],
                "dpi": float(a["dpi"]),
                "source": a["source"],
                "usable": a["usable"] == "true",
                "attributes": dict(a),
            }
        )
        for landmark, (x, y), v in zip(LANDMARK_IDS, s.points, s.visible):
            point_rows.append(
                {"image": s.filename, "landmark": landmark, "x": float(x), "y": float(y), "visible": int(v), "foot": ""}
            )
    images = pd.DataFrame(image_rows, columns=list(IMAGE_COLUMNS))
    points = pd.DataFrame(point_rows, columns=list(POINT_COLUMNS))
    return images, points.astype({"landmark": int, "x": float, "y": float, "visible": int})


def generate_dataset(
    n: int,
    seed: int,
    *,
    n_broken: int | None = None,
    processes: int = 2,
    mix: dict | None = None,
    progress: bool = True,
) -> SyntheticDataset:
    """`n` usable prints plus `n_broken` broken ones (default ``round(0.033 * n)``).

    Output depends only on (n, seed, n_broken, mix), never on `processes`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n_broken = round(BROKEN_SHARE * n) if n_broken is None else int(n_broken)
    if n_broken < 0:
        raise ValueError(f"n_broken must be >= 0, got {n_broken}")
    specs = plan_prints(int(n) + n_broken, n_broken, int(seed), mix)
    samples = _run(specs, max(1, int(processes)), progress)
    images, points = _tables(samples)
    return SyntheticDataset(images, points, {s.filename: s.jpeg for s in samples})


def _run(specs: list[PrintSpec], processes: int, progress: bool) -> list[Sample]:
    from tqdm.auto import tqdm

    bar = dict(total=len(specs), desc="synthetic prints", unit="img", disable=not progress)
    if processes == 1 or len(specs) < 2:
        return [render_sample(s) for s in tqdm(specs, **bar)]
    with multiprocessing.get_context().Pool(min(processes, len(specs)), initializer=_keep_freed_memory) as pool:
        return list(tqdm(pool.imap(render_sample, specs, chunksize=1), **bar))


def _keep_freed_memory() -> None:
    """Worker setup: let glibc reuse freed page-sized buffers instead of returning them to the OS.

    Every print allocates and frees tens of MB of arrays; with glibc's defaults each one is a fresh
    mmap whose pages fault in again, which costs about a fifth of the run in kernel time.
    Harmless (skipped) where glibc is not the allocator.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: serve big arrays from the heap
        libc.mallopt(-1, 1 << 31)  # M_TRIM_THRESHOLD: do not give the heap back after each print
    except (OSError, AttributeError):
        pass


def dataset_present(out_dir: str | Path) -> bool:
    """Whether `out_dir` already holds a data set (annotations or images)."""
    out = Path(out_dir)
    images = out / IMAGES_DIR
    return (out / ANNOTATION_CSV).exists() or (out / ANNOTATION_JSON).exists() or (
        images.is_dir() and any(images.iterdir())
    )


def write_dataset(ds: SyntheticDataset, out_dir: str | Path, force: bool = False, via_json: bool = False) -> Path:
    """Write ``out_dir/images/*.jpg`` and ``out_dir/via_annotations.csv`` (and ``via_project.json``).

    An existing data set is replaced only with ``force=True`` (then its images folder is emptied
    first, so no stale files remain); otherwise FileExistsError.
    """
    out = Path(out_dir)
    if dataset_present(out):
        if not force:
            raise FileExistsError(f"{out} already holds a data set; use force to overwrite it")
        shutil.rmtree(out / IMAGES_DIR, ignore_errors=True)
        for name in (ANNOTATION_CSV, ANNOTATION_JSON):
            (out / name).unlink(missing_ok=True)
    images = out / IMAGES_DIR
    images.mkdir(parents=True, exist_ok=True)
    for name, data in ds.files.items():
        (images / name).write_bytes(data)
    (out / ANNOTATION_CSV).write_text(ds.via_csv(), encoding="utf-8")
    if via_json:
        (out / ANNOTATION_JSON).write_text(ds.via_json(), encoding="utf-8")
    return out
