"""The page stage on pages it was not shown as they are: turned, cut, crossed by lines, crowded.

Pages come from the generator (their feet's points are known exactly) and are then changed here
the way real captures differ: turned by 90/180/270 degrees or a few degrees, the photo's page
border cut off on one side, a ruler bar and a form line touching the hallux and the heel, two feet
printed close together with a panel line touching both. Every foot must be found, each in its
own crop: the crop that holds at least 7 of its 8 true points, and no other foot's.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage as ndi
from stand_ins import GeometricDetector

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.foot_finder.decoding import foot_from_points
from foot_landmarks.foot_finder.evaluation import true_configuration
from foot_landmarks.inference import ScanPredictor
from foot_landmarks.io.datasets import ScanImage
from foot_landmarks.landmarks import HEEL
from foot_landmarks.pages import OPPOSITE_AXES, OPPOSITE_AXES_SETTLED, CropSettings, crop_feet, read_page
from foot_landmarks.synthetic.generate import generate_dataset

REDUCE = 3  # generated 300 dpi pages read at 100 dpi: small and fast


@pytest.fixture(scope="module")
def finder() -> FootFinder:
    return FootFinder.bundled()


def _pages(mix: dict, n: int, seed: int) -> list[tuple[np.ndarray, list[np.ndarray], dict]]:
    """Generated pages at 1/REDUCE with their feet's points there and their file attributes."""
    data = generate_dataset(n, seed, n_broken=0, processes=1, mix=mix, progress=False)
    shrink = geo.scale_matrix(1 / REDUCE, 1 / REDUCE)
    out = []
    for row in data.images.itertuples():
        page = np.asarray(Image.open(io.BytesIO(data.files[row.image])).convert("L").reduce(REDUCE))
        points = data.points[data.points.image == row.image]
        feet = [
            geo.apply_to_points(shrink, group.sort_values("landmark")[["x", "y"]].to_numpy(float))
            for _, group in points.groupby("foot")
        ]
        out.append((page, feet, row.attributes))
    return out


@pytest.fixture(scope="module")
def ink_pages():
    return _pages({"ink_paper": 1.0, "a4": 1.0}, 3, 11)


@pytest.fixture(scope="module")
def forms():
    pages = _pages({"inkmat_form": 1.0}, 12, 5)
    photos = [p for p in pages if p[2]["capture"] == "photo"]
    scans = [p for p in pages if p[2]["capture"] != "photo"]
    assert photos and scans, "the seed must give both a photographed and a scanned form"
    return photos, scans


def _paper(page: np.ndarray) -> int:
    return int(np.median(np.concatenate([page[:4].ravel(), page[-4:].ravel()])))


def _turned(page: np.ndarray, feet: list[np.ndarray], degrees: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """The page turned by `degrees` about its centre on a canvas that holds all of it."""
    h, w = page.shape
    turn = geo.rotation(degrees, ((w - 1) / 2, (h - 1) / 2))
    corners = geo.apply_to_points(turn, np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float))
    lo, hi = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    m = geo.compose(turn, geo.translation(-lo[0], -lo[1]))
    out, _ = geo.warp_with_matrix(page, m, (int(hi[1] - lo[1]) + 1, int(hi[0] - lo[0]) + 1), fill=_paper(page))
    return out, [geo.apply_to_points(m, f) for f in feet]


def _save(tmp_path, name: str, page: np.ndarray) -> str:
    path = tmp_path / name
    Image.fromarray(page).save(path)
    return str(path)


def _assert_each_foot_in_its_own_crop(path: str, feet: list[np.ndarray], finder: FootFinder) -> None:
    page = read_page(ScanImage(path), 1, finder)
    crops, problems = crop_feet(page, CropSettings())
    assert len(crops) == len(feet), f"{path}: {len(crops)} crops for {len(feet)} feet ({problems})"
    holds = np.zeros((len(feet), len(crops)), bool)
    for i, truth in enumerate(feet):
        for j, (_, processed) in enumerate(crops):
            xy = geo.apply_to_points(processed.to_crop, truth)
            h, w = processed.crop.shape
            inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
            holds[i, j] = inside.sum() >= 7
    assert np.all(holds.sum(axis=1) == 1), f"{path}: a foot is in no crop or in several: {holds.astype(int)}"
    assert np.all(holds.sum(axis=0) == 1), f"{path}: a crop holds no foot or several: {holds.astype(int)}"


@pytest.mark.parametrize("degrees", [90, 180, 270, 20, -20, 7])
def test_a_turned_ink_page_has_its_foot_found(tmp_path, ink_pages, finder, degrees):
    page, feet, _ = ink_pages[0]
    turned, moved = _turned(page, feet, degrees)
    _assert_each_foot_in_its_own_crop(_save(tmp_path, f"turned_{degrees}.png", turned), moved, finder)


@pytest.mark.parametrize("degrees", [90, 180, 270, 15])
def test_a_turned_two_foot_form_has_both_feet_found(tmp_path, forms, finder, degrees):
    page, feet, _ = forms[1][0]
    turned, moved = _turned(page, feet, degrees)
    _assert_each_foot_in_its_own_crop(_save(tmp_path, f"form_{degrees}.png", turned), moved, finder)


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_photo_with_its_page_border_cut_off_has_both_feet_found(tmp_path, forms, finder, side):
    page, feet, _ = forms[0][0]
    h, w = page.shape
    lo, hi = np.concatenate(feet).min(axis=0), np.concatenate(feet).max(axis=0)
    margin = 0.03 * max(h, w)
    # cut as far in as the feet allow (the page border and the table on that side go)
    x0, y0, x1, y1 = 0, 0, w, h
    if side == "left":
        x0 = int(lo[0] - margin)
    elif side == "right":
        x1 = int(hi[0] + margin)
    elif side == "top":
        y0 = int(lo[1] - margin)
    else:
        y1 = int(hi[1] + margin)
    cut, m = geo.crop_with_matrix(page, (x0, y0, x1, y1))
    _assert_each_foot_in_its_own_crop(_save(tmp_path, f"cut_{side}.png", cut), [geo.apply_to_points(m, f) for f in feet], finder)


def _axis(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    distal = points[1] - points[HEEL - 1]
    distal = distal / np.linalg.norm(distal)
    return distal, np.array([-distal[1], distal[0]])


def test_a_ruler_bar_and_a_form_line_touching_hallux_and_heel_are_not_feet(tmp_path, ink_pages, finder):
    page, feet, _ = ink_pages[1]
    image = Image.fromarray(page)
    draw = ImageDraw.Draw(image)
    points = feet[0]
    distal, across = _axis(points)
    length = np.linalg.norm(points[0] - points[HEEL - 1])
    for anchor, width in ((points[0] + 0.01 * length * distal, 5), (points[HEEL - 1] - 0.01 * length * distal, 5)):
        a, b = anchor - 0.25 * length * across, anchor + 0.25 * length * across
        draw.line([tuple(a), tuple(b)], fill=20, width=width)  # a ruler bar touching the print
        for t in np.linspace(0, 1, 9):
            tick = a + t * (b - a)
            draw.line([tuple(tick), tuple(tick + 8 * distal)], fill=20, width=2)
    x = points[0][0] - 0.02 * length
    draw.line([(x, 0), (x, page.shape[0])], fill=60, width=2)  # a form line through the hallux
    _assert_each_foot_in_its_own_crop(_save(tmp_path, "bars.png", np.asarray(image)), feet, finder)


def test_two_feet_touching_each_others_panel_line_are_two_crops(tmp_path, ink_pages, finder):
    (left, left_feet, _), (right, right_feet, _) = ink_pages[0], ink_pages[2]
    lo_l, hi_l = left_feet[0].min(axis=0), left_feet[0].max(axis=0)
    lo_r, hi_r = right_feet[0].min(axis=0), right_feet[0].max(axis=0)
    gap = 6  # px at 100 dpi: the two prints 1.5 mm apart, a panel line between them touching both
    width_l, width_r = int(hi_l[0] - lo_l[0]) + 2 * gap, int(hi_r[0] - lo_r[0]) + 2 * gap
    h = max(left.shape[0], right.shape[0])
    sheet = np.full((h, width_l + width_r), _paper(left), np.uint8)
    x_l, x_r = int(lo_l[0]) - gap, int(lo_r[0]) - gap
    sheet[: left.shape[0], :width_l] = left[:, x_l : x_l + width_l]
    sheet[: right.shape[0], width_l:] = right[:, x_r : x_r + width_r]
    sheet[:, width_l - gap - 1 : width_l + gap + 1] = 50  # the panel line fills the gap
    feet = [left_feet[0] - [x_l, 0], right_feet[0] - [x_r - width_l, 0]]
    _assert_each_foot_in_its_own_crop(_save(tmp_path, "touching.png", sheet), feet, finder)


def test_a_sheet_photographed_from_afar_is_looked_at_again_closer():
    """A scanned two-foot form shrunk to 0.3 of its size in a dark frame of its former size: each foot
    spans a few cells of the finder's map there; the closer look at the feet's box finds both,
    each heel at its own foot's heel."""
    import io

    from PIL import Image

    from foot_landmarks.foot_finder import FootFinder
    from foot_landmarks.foot_finder.targets import axis_points, foot_length
    from foot_landmarks.synthetic.generate import generate_dataset

    ds = generate_dataset(8, seed=11, n_broken=0, processes=1, mix={"inkmat_form": 1.0}, progress=False)
    name = next(r.image for r in ds.images.itertuples() if r.attributes["capture"] == "scan")
    data = ds.files[name]
    page = Image.open(io.BytesIO(data)).convert("L")
    scale, offset = 0.3, np.array([0.55 * page.width, 0.1 * page.height])
    frame = Image.new("L", page.size, 40)
    frame.paste(page.resize((round(page.width * scale), round(page.height * scale)), Image.BILINEAR),
                tuple(int(v) for v in offset))
    found = FootFinder.bundled().find(np.asarray(frame))
    assert len(found) == 2
    points = ds.points[ds.points.image == name]
    truths = [points[points.foot == f].sort_values("landmark")[["x", "y"]].to_numpy(float) * scale + offset
              for f in points.foot.unique()]
    for truth in truths:  # every foot's heel centre has a found heel near it
        heel, _ = axis_points(truth)
        assert min(np.linalg.norm(f.heel - heel) for f in found) < 0.1 * foot_length(truth)



@pytest.mark.parametrize("kind", ["ink page", "scanned form"])
def test_a_pale_print_is_found(tmp_path, ink_pages, forms, finder, kind):
    """Ink at 8 % of its contrast against the paper (a dry mat, a faded scan): every foot is
    still found, each in its own crop."""
    page, feet, _ = ink_pages[0] if kind == "ink page" else forms[1][0]
    paper = _paper(page)
    pale = np.clip(np.rint(paper - (paper - page.astype(float)) * 0.08), 0, 255).astype(np.uint8)
    _assert_each_foot_in_its_own_crop(_save(tmp_path, "pale.png", pale), feet, finder)

def _crop_of(path: str, finder: FootFinder) -> np.ndarray:
    page = read_page(ScanImage(path), 1, finder)
    (_, processed), = crop_feet(page, CropSettings())[0]
    return processed.crop


def test_a_print_on_a_tinted_panel_gets_the_crop_it_gets_on_white_paper(tmp_path, ink_pages, finder):
    """An ink-mat form's tinted panel or a dim photo leaves the paper around a print grey (here the
    panel around the foot at 0.7 of the page's tone, ink darkened alike): the crop's paper is
    still black and its print as bright as on white paper, where it would be lifted by ~70 grey
    levels and dimmed with it."""
    page, feet, _ = ink_pages[0]
    points = feet[0]
    length = np.linalg.norm(points[0] - points[HEEL - 1])
    (x0, y0), (x1, y1) = points.min(axis=0) - 0.25 * length, points.max(axis=0) + 0.25 * length
    tinted = page.copy()
    panel = tinted[max(0, int(y0)) : int(y1), max(0, int(x0)) : int(x1)]
    panel[:] = np.rint(panel * 0.7).astype(np.uint8)
    white = _crop_of(_save(tmp_path, "white.png", page), finder)
    grey = _crop_of(_save(tmp_path, "panel.png", tinted), finder)
    for name, crop in (("white", white), ("tinted", grey)):
        assert np.median(crop) < 30, f"{name}: the crop's paper is not black (median {np.median(crop):.0f})"
    assert abs(np.percentile(grey, 95) - np.percentile(white, 95)) < 15, "the print's brightness differs"


class _FinderFromPoints:
    """Stands in for the page network: the feet where their true points are (page px of the file
    as saved), the one at index `upside_down` (if any) read upside down."""

    def __init__(self, feet: list[np.ndarray], file_hw: tuple[int, int], upside_down: int | None):
        self.feet, self.file_hw, self.upside_down = feet, file_hw, upside_down

    def find(self, gray: np.ndarray) -> list:
        scale = gray.shape[0] / self.file_hw[0]
        found = []
        for k, points in enumerate(self.feet):
            foot = foot_from_points(points * scale, true_configuration(points), grid_px=4.0)
            if k == self.upside_down:
                foot = foot.reversed()  # as the page network misreads it: the side goes with the axis
            found.append(foot)
        return found


class _ToesUpDetector(GeometricDetector):
    """The geometric baseline, sure of a crop only where its toes (the end where the print breaks
    into several blobs) are up: stands in for a network that has only seen upright feet."""

    def predict(self, images):
        points, confidence = super().predict(images)
        for k, image in enumerate(images):
            ink = image > 128
            rows = np.nonzero(ink.any(axis=1))[0]
            quarter = (rows[-1] - rows[0]) // 4
            blobs_top = ndi.label(ink[rows[0]:rows[0] + quarter])[1]
            blobs_bottom = ndi.label(ink[rows[-1] - quarter:rows[-1] + 1])[1]
            confidence[k] = 0.9 if blobs_top > blobs_bottom else 0.1
        return points, confidence


class _UndecidedDetector(GeometricDetector):
    """The geometric baseline, as sure of every crop whichever way up (toes always in order):
    stands in for a network that cannot tell an upright foot from one upside down."""

    def predict(self, images):
        points, confidence = super().predict(images)
        points[:, :5] = np.sort(points[:, :5], axis=1)  # toe x (and y) ascending: in order
        return points, np.full_like(confidence, 0.5)


@pytest.mark.parametrize("upside_down", [True, False])
def test_two_feet_of_a_sheet_pointing_opposite_ways_are_both_flagged(tmp_path, forms, upside_down):
    """Two feet on one sheet point the same way; where the page stage reads one of them upside
    down and the network cannot tell which (the geometric stand-in is as sure either way), both
    come out as read, with every point unsure and the warning. Read the same way, neither has it."""
    page, feet, _ = forms[1][0]
    path = _save(tmp_path, "form.png", page)
    predictor = ScanPredictor(_UndecidedDetector(), _FinderFromPoints(feet, page.shape, 1 if upside_down else None),
                               decode_reduction=1)
    table = predictor.predict_scan(path)
    assert sorted(table["foot"].unique()) == ["left", "right"]
    for _, foot in table.groupby("foot"):
        warned = OPPOSITE_AXES in foot["warnings"].iloc[0]
        assert warned == upside_down
        if upside_down:
            assert foot["low_confidence"].all()


@pytest.mark.parametrize("turned", [0, 1])
def test_the_foot_of_a_pair_read_upside_down_is_turned_round_by_the_network(tmp_path, forms, turned):
    """Of a sheet's two feet read pointing opposite ways, the one the network finds upright only
    when turned round is turned: both heels then land on the true heels (the mistaken one would
    put its heel on the toes, a foot length away)."""
    page, feet, _ = forms[1][0]
    path = _save(tmp_path, "form.png", page)
    predictor = ScanPredictor(_ToesUpDetector(), _FinderFromPoints(feet, page.shape, turned), decode_reduction=1)
    table = predictor.predict_scan(path)
    heels = table[table["landmark"] == HEEL][["x_px", "y_px"]].to_numpy()
    assert len(heels) == 2
    for truth in feet:
        length = np.linalg.norm(truth[HEEL - 1] - truth[0])
        assert np.linalg.norm(heels - truth[HEEL - 1], axis=1).min() < 0.1 * length
    for _, foot in table.groupby("foot"):
        assert OPPOSITE_AXES_SETTLED in foot["warnings"].iloc[0] and foot["low_confidence"].all()
