"""Several feet on one page (foot_landmarks.pages + ScanPredictor), tested on geometry, not a model.

Two generated prints (a left and a right foot, with their ground truth) are pasted on one wide
page with a drawn panel border between them and a frame around the form; the right foot touches
the border. The "detector" is the geometric baseline (foot_landmarks.models.geometric), so every
number here comes from the page, the crops and the matrices.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw
from stand_ins import GeometricDetector

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder import FootFinder, FoundFoot
from foot_landmarks.inference import ScanPredictor
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.pages import CropSettings, crop_feet, placed_configurations, read_page
from foot_landmarks.synthetic.generate import generate_dataset

REDUCE = 4  # 300 dpi A4 pages -> 75 dpi: small and fast; 1 px = 0.34 mm
FOUND = 1.0  # geometric baseline's confidence for a point it found (not assigned or guessed)


@pytest.fixture(scope="module")
def pages():
    """{side: (page uint8 at 1/REDUCE, ground-truth points (8, 2) in that page's px)}."""
    ds = generate_dataset(2, 1, n_broken=0, processes=1, mix={"a4": 1.0}, progress=False)
    reduce = geo.compose(geo.translation(0.5, 0.5), geo.scale_matrix(1 / REDUCE, 1 / REDUCE), geo.translation(-0.5, -0.5))
    out = {}
    for row in ds.images.itertuples():
        page = np.asarray(Image.open(io.BytesIO(ds.files[row.image])).convert("L").reduce(REDUCE))
        gt = ds.points[ds.points.image == row.image].sort_values("landmark")[["x", "y"]].to_numpy(float)
        out[row.side] = (page, geo.apply_to_points(reduce, gt))
    assert set(out) == {"left", "right"}
    return out


def two_foot_sheet(pages) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """A print-view form: left foot in the left panel, right foot touching the panel border."""
    (pl, gl), (pr, gr) = pages["left"], pages["right"]
    h = max(pl.shape[0], pr.shape[0])
    border = pl.shape[1] + 10
    off = int(round(border + 1 - gr[:, 0].min()))  # medial forefoot extreme (point 6) on the line
    width = max(off + pr.shape[1], border + 20)
    sheet = np.full((h, width), 235, np.uint8)
    sheet[: pl.shape[0], : pl.shape[1]] = pl
    right = sheet[: pr.shape[0], max(off, 0) : off + pr.shape[1]]
    np.minimum(right, pr[:, max(-off, 0) :][:, : right.shape[1]], out=right)
    img = Image.fromarray(sheet)
    draw = ImageDraw.Draw(img)
    draw.line([(border, 0), (border, h)], fill=40, width=3)
    draw.rectangle([2, 2, width - 3, h - 3], outline=60, width=2)
    return np.asarray(img), {"left": gl, "right": gr + [off, 0]}, border


def _save(tmp_path, name, image) -> str:
    path = tmp_path / name
    Image.fromarray(image).save(path)
    return str(path)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def test_one_foot_pages_give_one_foot(pages, tmp_path):
    for side, (page, _) in pages.items():
        assert len(read_page(ScanImage(_save(tmp_path, f"{side}.png", page)), 1, FootFinder.bundled()).feet) == 1


def test_two_foot_sheet_crops_hold_each_foot_upright(pages, tmp_path):
    """Each foot's crop (page box -> crop_print, matrices composed) holds all 8 ground-truth points
    of that foot, on its print, in right-foot orientation (hallux left of the little toe); the heel
    point carried by the matrices sits on the crop's last print row."""
    sheet, gt, _ = two_foot_sheet(pages)
    page = read_page(ScanImage(_save(tmp_path, "sheet.png", sheet)), 1, FootFinder.bundled())
    feet, problems = crop_feet(page, CropSettings())
    assert not problems and [foot for foot, _ in feet] == ["left", "right"]
    for foot, processed in feet:
        crop = processed.crop
        points = geo.apply_to_points(processed.to_crop, gt[foot])
        h, w = crop.shape
        assert ((points >= 0) & (points <= [w - 1, h - 1])).all(), f"{foot}: a point outside its crop"
        assert points[0, 0] < points[4, 0], f"{foot}: hallux (1) left of the little toe (5) in the crop"
        assert points[7, 1] > points[:7, 1].max(), f"{foot}: heel at the bottom (upright)"
        scale = h / (gt[foot][:, 1].max() - gt[foot][:, 1].min())  # crop px per sheet px, about
        r = max(2, int(np.ceil(2 * scale)))  # 2 sheet px around the point (a toe tip lies on the rim)
        for (x, y) in np.rint(points[[0, 5, 6, 7]]).astype(int):  # hallux, forefoot extremes, heel
            # (the small toes may be faint: the generator's lightest toe prints do not survive cleaning)
            assert crop[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].max() > 30, f"{foot}: point not on the print (cleaned paper is 0)"
        # the heel point (the print's most posterior pixel on the sheet) carried by the matrix lands
        # on the last row of print in the crop's pixels, within a crop pixel
        ink = crop > 0.5 * np.percentile(crop[crop > 30], 50)
        x8, y8 = points[7]
        near = slice(max(0, int(x8 - 3 * scale)), int(x8 + 3 * scale) + 1)
        last_row = np.nonzero(ink[:, near].any(axis=1))[0].max()
        assert abs(last_row - y8) <= 1.0, f"{foot}: heel at row {y8:.2f}, the print ends at row {last_row}"


def test_two_foot_sheet_predict_scan(pages, tmp_path):
    """16 rows, 8 per foot, `foot` and `side` from anatomy; the left foot's points equal those of
    the same foot alone on its page (same baseline, same pixels: the sheet path is exact)."""
    predictor = ScanPredictor(GeometricDetector())
    sheet, gt, _ = two_foot_sheet(pages)
    table = predictor.predict_scan(_save(tmp_path, "sheet.png", sheet))
    assert len(table) == 16 and list(table["foot"].unique()) == ["left", "right"]
    assert (table.groupby("foot")["landmark"].apply(list) == [list(range(1, 9))] * 2).all()
    assert (table["side"] == table["foot"]).all() and (table["side_source"] == "detected").all()
    assert table["scale_source"].eq("none (pixels only)").all()
    page, page_gt = pages["left"]
    # feet on a sheet are not refined (an ink-mat form's print is its grid): the foot alone too
    alone = ScanPredictor(GeometricDetector(refine="none")).predict_scan(_save(tmp_path, "left.png", page))
    assert len(alone) == 8 and (alone["foot"] == "").all(), "one foot: 8 rows, foot '' (as before)"
    on_sheet = table[table["foot"] == "left"][["x_px", "y_px"]].to_numpy()
    # each page turns its foot upright by the finder's axis, a fraction of a degree apart on the
    # two pages, so the baseline's extremes (a small toe's tip above all) may move by a pixel or
    # two; the matrices themselves are exact (tests/test_scan_geometry.py)
    np.testing.assert_allclose(on_sheet, alone[["x_px", "y_px"]].to_numpy(), atol=6.0)  # 2 mm at 75 dpi
    for foot in ("left", "right"):  # the baseline's medial forefoot extreme (6): on the truth's edge
        xy = table[table["foot"] == foot][["x_px", "y_px"]].to_numpy()
        err = np.linalg.norm(xy - gt[foot], axis=1)
        # across the (upright) foot within 4 px (1.4 mm); along the flat medial arc the baseline's
        # own axis (from its heel point, the weakest) may slide it a few mm
        assert abs(xy[5, 0] - gt[foot][5, 0]) < 4.0 and err[5] < 12.0, f"{foot}: point 6 error {err[5]:.1f} px (75 dpi)"


def test_below_view_sheet(pages, tmp_path):
    """The same form seen from below (mirrored, white sole on black): configurations are the
    mirror; with view="below" the feet come out as their true sides, `side` as configuration."""
    sheet, gt, _ = two_foot_sheet(pages)
    below = (255 - sheet[:, ::-1]).copy()
    path = _save(tmp_path, "below.png", below)
    page = read_page(ScanImage(path), 1, FootFinder.bundled())
    assert page.kind == "bright on dark"  # the prints are brighter than what surrounds them: inverted
    # mirrored: the true right foot, hallux right, is on the left
    assert [f.configuration for f in page.feet] == ["left", "right"]
    predictor = ScanPredictor(GeometricDetector())
    table = predictor.predict_scan(path, view="below")
    assert len(table) == 16
    for foot, rows in table.groupby("foot"):
        assert (rows["side"] != foot).all(), "side = configuration, foot = its mirror"
        width = below.shape[1]
        true = gt[foot].copy()
        true[:, 0] = width - 1 - true[:, 0]  # ground truth mirrored with the image
        err = np.linalg.norm(rows[["x_px", "y_px"]].to_numpy() - true, axis=1)
        assert err[5] < 5.0, f"{foot}: point 6 error {err[5]:.1f} px"
    unknown = predictor.predict_scan(path)  # view not stated: foot = print-view reading
    assert (unknown["foot"] == unknown["side"]).all()


@pytest.mark.parametrize("side", ["left", "right"])
def test_configuration_of_one_foot_print_and_below_view(pages, tmp_path, side):
    page, _ = pages[side]
    predictor = ScanPredictor(GeometricDetector())
    other = "right" if side == "left" else "left"
    printed = predictor.predict_scan(_save(tmp_path, "p.png", page))
    assert (printed["side"] == side).all() and (printed["foot"] == "").all()
    below = predictor.predict_scan(_save(tmp_path, "b.png", (255 - page[:, ::-1]).copy()), view="below")
    assert (below["side"] == other).all() and len(below) == 8 and (below["foot"] == "").all()
    assert below["side_source"].str.contains("view from below").all()


def test_pen_lines_away_from_landmarks_do_not_make_points_worse(pages, tmp_path):
    page, gt = pages["right"]
    predictor = ScanPredictor(GeometricDetector())
    clean = predictor.predict_scan(_save(tmp_path, "clean.png", page))
    img = Image.fromarray(page.copy())
    draw = ImageDraw.Draw(img)
    h, w = page.shape
    heel_y = gt[7, 1]
    draw.line([(20, heel_y + 25), (w - 20, heel_y + 22)], fill=30, width=2)  # across the page below the heel
    draw.line([(15, 40), (18, h - 40)], fill=30, width=2)  # down the left margin
    draw.line([(w - 40, 60), (w - 70, 0.6 * h)], fill=50, width=1)  # a stroke beside the lateral edge
    x_arch = 0.5 * (gt[5, 0] + gt[7, 0])
    draw.line([(x_arch - 60, 0.55 * h), (x_arch - 90, 0.7 * h)], fill=40, width=2)  # in the medial arch space
    marked = predictor.predict_scan(_save(tmp_path, "marked.png", np.asarray(img)))
    # the lines are erased or cleaned away, but they nudge the finder's axis (about a degree), so
    # the crop turns a little and a point on a flat arc may settle elsewhere on it: no point may
    # end up farther from the truth than without the lines (beyond 1 mm, 3 px at 75 dpi)
    error_clean = np.linalg.norm(clean[["x_px", "y_px"]].to_numpy() - gt, axis=1)
    error_marked = np.linalg.norm(marked[["x_px", "y_px"]].to_numpy() - gt, axis=1)
    assert (error_marked <= error_clean + 3.0).all(), f"errors {np.round(error_clean, 1)} -> {np.round(error_marked, 1)} px"


def _foot(heel, toes, configuration: str, confidence: float) -> FoundFoot:
    heel, toes = np.asarray(heel, float), np.asarray(toes, float)
    return FoundFoot(heel, toes, toes, configuration, confidence, 1.0, np.ones((4, 4), bool), np.eye(3), [])


@pytest.mark.parametrize("degrees", range(0, 360, 30))
def test_where_two_feet_stand_says_which_is_left_at_any_turn_of_the_sheet(degrees):
    """Toes up, the foot on the left is the left one (print view: medial sides face each other);
    the same sheet turned by any angle says the same, whatever order the feet come in."""
    turn = geo.rotation(degrees, (500.0, 500.0))
    left = _foot(*geo.apply_to_points(turn, np.array([[400.0, 800.0], [380.0, 300.0]])), "right", 0.9)
    right = _foot(*geo.apply_to_points(turn, np.array([[600.0, 800.0], [620.0, 300.0]])), "right", 0.9)
    assert placed_configurations([left, right]) == ("left", "right")
    assert placed_configurations([right, left]) == ("right", "left")


def test_two_feet_one_ahead_of_the_other_crossed_or_of_unlike_length_are_not_a_pair():
    a = _foot([500.0, 900.0], [500.0, 650.0], "left", 0.9)
    beside = _foot([700.0, 900.0], [700.0, 660.0], "right", 0.9)
    assert placed_configurations([a, beside]) == ("left", "right")
    ahead = _foot([520.0, 550.0], [520.0, 300.0], "right", 0.9)
    crossed = _foot([700.0, 600.0], [950.0, 600.0], "right", 0.9)
    short = _foot([700.0, 900.0], [700.0, 720.0], "right", 0.9)  # a shadow beside the print: 72 %
    assert placed_configurations([a, ahead]) is None
    assert placed_configurations([a, crossed]) is None
    assert placed_configurations([a, short]) is None


def _sheet_with_readings(pages, tmp_path, view, readings):
    """The two-foot sheet (mirrored for a view from below) read by the shipped page network, each
    foot's hallux reading then set by `readings(true configuration) -> (configuration, contrast)`;
    with the ground truth and the true configurations."""
    sheet, gt, _ = two_foot_sheet(pages)
    if view == "below":
        sheet = sheet[:, ::-1].copy()
        gt = {side: np.c_[sheet.shape[1] - 1 - p[:, 0], p[:, 1]] for side, p in gt.items()}
    page = read_page(ScanImage(_save(tmp_path, "sheet.png", sheet)), 1, FootFinder.bundled())
    assert len(page.feet) == 2
    true_config = {"left": "left", "right": "right"} if view == "print" else {"left": "right", "right": "left"}
    for foot in page.feet:
        holder = min(gt, key=lambda side: np.linalg.norm(gt[side].mean(axis=0) - 0.5 * (foot.heel + foot.toes)))
        foot.configuration, foot.side_confidence = readings(true_config[holder])
    return page, gt, true_config


@pytest.mark.parametrize("view", ["print", "below"])
def test_a_sheet_s_feet_get_their_sides_from_where_they_stand_over_a_one_sided_hallux_reading(pages, tmp_path, view):
    """Both hallux readings say "right", the left foot's with a contrast to trust: the feet still
    come out as their true sides, each crop in its true configuration, and the overruled reading
    is a warning to check. Seen from below (the sheet mirrored), the foot on the left is the right
    one and its configuration is still "left"."""
    page, gt, true_config = _sheet_with_readings(
        pages, tmp_path, view, lambda config: ("right", 0.5 if config == "left" else 0.1))
    feet, problems = crop_feet(page, CropSettings(), view=view)
    assert not problems and sorted(label for label, _ in feet) == ["left", "right"]
    for label, processed in feet:
        assert processed.side == true_config[label] and processed.side_source == "placement on the sheet"
        overruled = true_config[label] == "left"
        assert any("places on the sheet" in w for w in processed.warnings) == overruled
        points = geo.apply_to_points(processed.to_crop, gt[label])
        assert points[0, 0] < points[4, 0], f"{label}: hallux left of the little toe (right-foot configuration)"


def test_hallux_readings_that_make_a_pair_one_of_them_sure_are_kept_against_the_placement(pages, tmp_path):
    """A form may put the right foot in its left panel: where the readings make a left and a
    right, one of them sure, they stand (here both swapped, so the feet come out as read)."""
    def swapped(config):
        return ("right" if config == "left" else "left"), (0.5 if config == "left" else 0.1)

    page, _, _ = _sheet_with_readings(pages, tmp_path, "print", swapped)
    feet, _ = crop_feet(page, CropSettings())
    assert sorted(label for label, _ in feet) == ["left", "right"]
    for label, processed in feet:
        assert processed.side_source == "detected" and processed.side == label
