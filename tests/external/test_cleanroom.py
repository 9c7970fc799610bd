"""Clean-room renderer: determinism, the VIA file, EXIF pages, the command line, and ground truth
checked against LANDMARKS.md by brute force on every pixel of each rendered print."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageOps

from foot_landmarks.external.cleanroom import KINDS, render_page, render_set
from foot_landmarks.external.cleanroom.render import is_broken, page_plan
from foot_landmarks.external.cleanroom.truth import foot_landmarks
from foot_landmarks.io.via import read_via

SEED = 0
ON_PRINT_PX = 1.5
RUN_PX = 0.5
EPS = 1e-6


def _first(kind: str, wanted, limit: int = 80) -> int:
    for index in range(limit):
        if wanted(page_plan(kind, SEED, index)):
            return index
    raise AssertionError(f"no {kind} page of seed {SEED} matches in the first {limit}")


def _pages_to_check() -> list[tuple[str, int]]:
    """Per kind: an upright page, a quarter-turned page and a page at any angle."""
    out = []
    for kind in KINDS:
        ok = lambda p: not p.broken and p.exif_orientation == 1  # noqa: E731
        out.append((kind, _first(kind, lambda p: ok(p) and p.orientation_mode == "upright")))
        out.append((kind, _first(kind, lambda p: ok(p) and p.quarter_turns > 0)))
        out.append((kind, _first(kind, lambda p: ok(p) and p.orientation_mode == "any")))
    return out


def _pixels(labels: np.ndarray, code: int) -> np.ndarray:
    ys, xs = np.nonzero(labels == code)
    return np.column_stack([xs, ys]).astype(float)


def _nearest(region: np.ndarray, point: np.ndarray) -> float:
    return float(np.sqrt(((region - point) ** 2).sum(axis=1).min()))


def _assert_extreme(region: np.ndarray, point: np.ndarray, direction: np.ndarray, what: str) -> None:
    """`point` lies on `region` and is its flat-run extreme along `direction` (LANDMARKS.md)."""
    assert len(region), f"{what}: no pixels"
    assert _nearest(region, point) <= ON_PRINT_PX, f"{what}: {_nearest(region, point):.2f} px off its print"
    proj = region @ direction
    top = proj.max()
    short = top - point @ direction
    assert -EPS <= short <= RUN_PX + EPS, f"{what}: {short:.2f} px short of the extreme"
    run = region[proj >= top - RUN_PX]
    # The point is the middle of the run of boundary pixels at the extreme (or on it where broken).
    across = np.array([-direction[1], direction[0]])
    lo, hi = (run @ across).min(), (run @ across).max()
    assert lo - EPS <= point @ across <= hi + EPS, f"{what}: outside its flat run"


def check_foot_rules(page, foot) -> None:
    """Brute-force check of one foot's 8 points on the page's own label images."""
    pts, visible = foot.truth.points, foot.truth.visible
    h, w = page.ink.shape
    assert ((pts[:, 0] >= 0) & (pts[:, 0] <= w - 1) & (pts[:, 1] >= 0) & (pts[:, 1] <= h - 1)).all()
    axis = pts[1] - pts[7]
    axis /= np.linalg.norm(axis)
    for k in range(1, 6):
        ink = _pixels(page.ink, foot.base + k)
        if visible[k - 1]:
            region = ink
        else:
            assert len(ink) == 0, f"toe {k} is marked not visible but has ink"
            region = _pixels(page.outline, foot.base + k)
        _assert_extreme(region, pts[k - 1], axis, f"{page.name} {foot.side} point {k}")
    sole = _pixels(page.ink, foot.base + 6)
    _assert_extreme(sole, pts[7], -axis, f"{page.name} {foot.side} point 8")

    # Forefoot: sole print distal to the narrowest 4 mm slice between 30 % and 65 % of the length.
    length_px = max((pts[:5] - pts[7]) @ axis)
    px_per_mm = length_px / foot.model.length
    across = np.array([-axis[1], axis[0]])
    medial = across if (pts[0] - pts[2:5].mean(axis=0)) @ across > 0 else -across
    t = (sole - pts[7]) @ axis
    s = sole @ across
    width = 4.0 * px_per_mm
    edges = np.arange(0.30 * length_px, 0.65 * length_px, width)
    extents = []
    for lo in edges:
        sel = s[(t >= lo) & (t < lo + width)]
        extents.append(sel.max() - sel.min() if len(sel) else 0.0)
    extents = np.array(extents)
    ties = np.flatnonzero(extents <= extents.min() + EPS)
    run_end = ties[0]
    while run_end + 1 in ties:
        run_end += 1
    start = edges[(ties[0] + run_end) // 2] + width / 2
    forefoot = sole[t >= start]
    _assert_extreme(forefoot, pts[5], medial, f"{page.name} {foot.side} point 6")
    _assert_extreme(forefoot, pts[6], -medial, f"{page.name} {foot.side} point 7")

    # Configuration: print view shows a right foot's hallux left of the axis (toes up); from below, the mirror.
    left_of_axis = np.array([axis[1], -axis[0]])
    hallux_left = (pts[0] - pts[7]) @ left_of_axis > (pts[4] - pts[7]) @ left_of_axis
    expected_left = (foot.side == "right") == (page.attributes["view"] == "print")
    assert hallux_left == expected_left, f"{page.name} {foot.side}: hallux on the wrong side"
    assert 0.28 < np.linalg.norm(pts[5] - pts[6]) / length_px < 0.5, "forefoot width out of range"


@pytest.mark.parametrize(("kind", "index"), _pages_to_check())
def test_points_lie_on_their_print_and_follow_the_rules(kind, index):
    page = render_page(kind, SEED, index)
    assert page.usable
    expected_feet = 2 if page.attributes["layout"] == "form2" else 1
    assert len(page.feet) == expected_feet
    for foot in page.feet:
        assert foot.usable and foot.truth is not None
        check_foot_rules(page, foot)
    # The file decodes to the displayed picture.
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(page.data)))
    assert shown.size == page.image.size == page.ink.shape[::-1]


@pytest.mark.parametrize("kind", KINDS)
def test_exif_pages_store_transposed_pixels_and_points_in_the_displayed_frame(kind):
    index = _first(kind, lambda p: p.exif_orientation > 1 and not p.broken)
    page = render_page(kind, SEED, index)
    raw = Image.open(io.BytesIO(page.data))
    orientation = raw.getexif().get(0x0112)
    assert orientation == page.exif_orientation == int(page.attributes["exif_orientation"]) > 1
    shown = ImageOps.exif_transpose(raw)
    assert shown.size == page.image.size
    if orientation >= 5:
        assert raw.size == shown.size[::-1]
    shown_grey = np.asarray(shown.convert("L"), dtype=float)
    assert np.abs(shown_grey - np.asarray(page.image.convert("L"), dtype=float)).mean() < 6.0
    for foot in page.feet:
        check_foot_rules(page, foot)
        for (x, y), vis in zip(foot.truth.points, foot.truth.visible):
            if not vis:
                continue
            xi, yi = int(round(x)), int(round(y))
            patch = shown_grey[max(yi - 2, 0): yi + 3, max(xi - 2, 0): xi + 3]
            around = shown_grey[max(yi - 15, 0): yi + 16, max(xi - 15, 0): xi + 16]
            if page.attributes["view"] == "below":  # bright skin on dark glass
                assert patch.max() > np.percentile(around, 5) + 40, f"point ({x:.0f}, {y:.0f}) not on the sole"
            else:  # ink darker than the paper next to it
                assert patch.min() < np.percentile(around, 95) - 10, f"point ({x:.0f}, {y:.0f}) not on the ink"


# Flatbed pages of seed 0 whose toes include faint ink: a pale rim (9, 13, 17) or grid threads (16).
FAINT_TOE_PAGES = [9, 13, 16, 17]
SHOWS_PX = 1.5  # the picture's ink may reach a pixel past the mask's edge (anti-aliasing)


@pytest.mark.parametrize("index", FAINT_TOE_PAGES)
def test_a_toe_tip_is_the_end_of_the_ink_that_shows(index):
    """LANDMARKS.md: the print is the ink region. Read from the picture, not from the renderer's
    own mask: no pixel of a printed toe's pad that is visibly darker than the paper (6 grey levels,
    five times the paper's grain) lies beyond the toe's point along the foot's axis."""
    page = render_page("flatbed_ink", SEED, index)
    grey = np.asarray(page.image.convert("L"), dtype=float)
    paper = np.percentile(grey[page.ink == 0], 75)
    for foot in page.feet:
        points, visible = foot.truth.points, foot.truth.visible
        axis = (points[1] - points[7]) / np.linalg.norm(points[1] - points[7])
        for k in range(1, 6):
            if not visible[k - 1]:
                continue
            ys, xs = np.nonzero(page.outline == foot.base + k)
            shows = grey[ys, xs] < paper - 6
            if not shows.any():  # ink too faint to tell from the paper's grain here
                continue
            beyond = (np.column_stack([xs[shows], ys[shows]]) @ axis).max() - points[k - 1] @ axis
            assert beyond <= SHOWS_PX, f"page {index} toe {k}: ink shows {beyond:.1f} px beyond its point"


def test_truth_rules_on_a_hand_made_mask():
    """Flat runs, a toe with no ink, and a high arch with no midfoot contact, with known answers."""
    ink = np.zeros((120, 80), dtype=np.uint8)
    outline = np.zeros_like(ink)
    ink[80:100, 20:41] = 6  # heel: flat back edge on row 99, columns 20..40
    ink[20:51, 10:51] = 6  # forefoot: medial edge (hallux side, left) column 10, lateral column 50
    ink[25:40, 8:10] = 6  # a medial bulge of the ball: the extreme run is column 8, rows 25..39
    ink[4:12, 12:20] = 1  # hallux, tip row 4
    ink[2:10, 26:35] = 2  # second toe: tip row 2, columns 26..34 -> axis from (30, 99) to (30, 2)
    ink[6:12, 37:41] = 3
    ink[9:14, 43:46] = 4
    outline[12:16, 47:50] = 5  # toe 5 left no ink: its outline's tip is row 12, columns 47..49
    truth = foot_landmarks(ink, outline, 0, np.array([0.0, -1.0]), np.array([-1.0, 0.0]), px_per_mm=1.0)
    expected = [(15.5, 4), (30, 2), (38.5, 6), (44, 9), (48, 12), (8, 32), (50, 35), (30, 99)]
    np.testing.assert_allclose(truth.points, np.array(expected, dtype=float))
    assert truth.visible.tolist() == [1, 1, 1, 1, 0, 1, 1, 1]
    assert 51 <= -truth.forefoot_start < 80  # in the gap between the two pieces (axial coordinate = -row)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = render_set("bare_sole", 2, 5, tmp_path / "a", progress=False)
    b = render_set("bare_sole", 2, 5, tmp_path / "b", progress=False, workers=2)
    c = render_set("bare_sole", 2, 6, tmp_path / "c", progress=False)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    images_a = sorted((a / "images").iterdir())
    images_c = sorted((c / "images").iterdir())
    assert [p.read_bytes() for p in images_a] != [p.read_bytes() for p in images_c]


def test_via_csv_reads_back_with_eight_points_per_usable_foot(tmp_path):
    kind = "photo_form"
    seed = next(s for s in range(200) if is_broken(kind, s, 1))
    out = render_set(kind, 3, seed, tmp_path, progress=False)
    via = read_via(out / "via_annotations.csv")
    assert via.problems == []
    assert len(via.images) == 3
    for _, row in via.images.iterrows():
        attrs = row["attributes"]
        assert row["source"] == "cleanroom" and attrs["kind"] == kind and attrs["view"] == "print"
        assert np.isnan(row["dpi"]) and attrs["dpi"] == ""
        assert row["file_size"] == (out / "images" / row["image"]).stat().st_size
        assert {"subject", "usable", "arch", "toe_line", "rotation_deg", "exif_orientation"} <= set(attrs)
        points = via.points[via.points["image"] == row["image"]]
        if not row["usable"]:
            assert points.empty
            continue
        feet = sorted(points["foot"].unique())
        assert feet == (["left", "right"] if row["side"] == "" else [""])
        for _, foot_points in points.groupby("foot"):
            assert sorted(foot_points["landmark"]) == list(range(1, 9))
    assert not via.images.iloc[1]["usable"]


def test_command_line_rejects_a_bad_argument_in_one_line(tmp_path):
    for bad in (["--kind", "nope"], ["--n", "0"], ["--seed", "-3"]):
        args = {"--kind": "flatbed_ink", "--n": "2", "--seed": "1", "--out": str(tmp_path / "x")}
        args[bad[0]] = bad[1]
        cmd = [sys.executable, "-m", "foot_landmarks.external.cleanroom"] + [v for kv in args.items() for v in kv]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert not (tmp_path / "x").exists()
