"""The crop stage keeps a foot's whole print where the page network's reading of it falls short:
toes printed as a coarse ink-mat grid are print, not pen strokes; toes printed apart from the
ball, which the network's region left out, are taken back from the ink, with the foot's axis; a
foot the network read as two (forefoot and heel) comes back as one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image
from skimage.draw import disk, ellipse
from stand_ins import GeometricDetector

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder import FoundFoot
from foot_landmarks.foot_finder.decoding import foot_from_points
from foot_landmarks.inference import ScanPredictor
from foot_landmarks.pages import CropSettings, mended_foot, read_twice, toes_missed, upright_crop

PAPER, INK = 235, 110
# A right foot standing toes up (page px): toe tips 1-5 (hallux on the left), forefoot edges 6, 7, heel 8
TOE_CENTRES = np.array([[330, 250], [420, 232], [490, 250], [550, 280], [600, 320]], float)
TOE_RADII = (48, 32, 28, 25, 22)
POINTS = np.array([[330, 202], [420, 200], [490, 222], [550, 255], [600, 298],
                   [255, 520], [655, 600], [430, 1560]], float)


def _page(texture: str) -> np.ndarray:
    """The foot printed solid or as a coarse grid (24 px pitch, 3 px lines, as an ink-mat leaves),
    its toes apart from the ball, with a solid heel spot where the load is highest."""
    gray = np.full((1800, 1000), PAPER, np.uint8)
    ink = np.zeros(gray.shape, bool)
    ink[ellipse(650, 455, 310, 205, shape=gray.shape)] = True  # forefoot and midfoot
    ink[ellipse(1300, 430, 270, 150, shape=gray.shape)] = True  # heel and midfoot
    ink[ellipse(800, 260, 120, 90, shape=gray.shape)] = False  # the arch's hollow (inside the region)
    for (x, y), r in zip(TOE_CENTRES, TOE_RADII):
        ink[disk((y, x), r, shape=gray.shape)] = True
    if texture == "grid":
        rows, cols = np.indices(gray.shape)
        ink &= (rows % 24 < 3) | (cols % 24 < 3)
    gray[ink] = INK
    gray[disk((1400, 430), 90, shape=gray.shape)] = 60  # heel spot: solid even on a grid print
    return gray


def _mean_in_crop(processed, centre: np.ndarray, radius: float) -> float:
    """Mean crop value (print bright) in a disk around a page point."""
    x, y = geo.apply_to_points(processed.to_crop, centre[None])[0]
    scale = np.sqrt(abs(np.linalg.det(processed.to_crop[:2, :2])))
    rr, cc = disk((y, x), radius * scale, shape=processed.crop.shape)
    return float(processed.crop[rr, cc].mean())


def test_grid_toes_are_kept_and_a_pen_tick_in_the_arch_is_not():
    gray = _page("grid")
    gray[760:840, 300:302] = 40  # a pen tick in the arch's hollow, apart from the print
    foot = foot_from_points(POINTS, "right", 12.0)
    processed = upright_crop(gray, np.eye(3), foot, "right", CropSettings())
    # the toes' grid is in the crop as on the page: about a quarter of each toe's area is line
    solid = upright_crop(_page("solid"), np.eye(3), foot, "right", CropSettings())
    for centre, radius in zip(TOE_CENTRES, TOE_RADII):
        on_grid, on_solid = _mean_in_crop(processed, centre, radius), _mean_in_crop(solid, centre, radius)
        assert on_grid > 0.15 * on_solid, f"toe at {centre}: {on_grid:.0f} (solid print: {on_solid:.0f})"
    assert _mean_in_crop(processed, np.array([300.5, 800.0]), 3) < 0.1 * 255, "the pen tick stays in the crop"


def _finder_short_of_the_toes(turn_deg: float):
    """The foot as a page network reads it when it misses toes printed apart: its region ends at
    the ball, its toe response lies in the middle of the forefoot and its axis is turned."""
    ball = POINTS.copy()
    ball[:5, 1] = 320.0  # the region's toe end: the ball's top
    foot = foot_from_points(ball, "right", 12.0)
    centre = foot.heel
    turn = geo.rotation(turn_deg, (float(centre[0]), float(centre[1])))
    toes = geo.apply_to_points(turn, np.array([[445.0, 800.0]]))[0]  # deep inside the region
    return replace(foot, toes=toes)


def test_a_foot_whose_toes_the_network_missed_gets_them_back_with_its_axis():
    gray = _page("solid")
    foot = _finder_short_of_the_toes(12.0)
    assert toes_missed(foot)
    mended = mended_foot(gray, foot)
    # the toes are in the mended region
    grid = np.rint(geo.apply_to_points(mended.to_map, TOE_CENTRES)).astype(int)
    assert mended.region[grid[:, 1], grid[:, 0]].all(), "a toe left out of the mended region"
    # its axis follows the print (toes straight up here), not the network's turned reading
    axis = mended.axis
    assert np.degrees(np.arccos(-axis[1])) < 4.0, f"axis {axis}"
    # the hallux reading, made without toes, is not trusted, and the user is told
    assert mended.side_confidence == 0.0 and any("saw no toes" in w for w in mended.warnings)
    crop = upright_crop(gray, np.eye(3), mended, "right", CropSettings())
    ball = _mean_in_crop(crop, np.array([455.0, 500.0]), 60)
    for centre, radius in zip(TOE_CENTRES, TOE_RADII):
        assert _mean_in_crop(crop, centre, 0.7 * radius) > 0.9 * ball, f"toe at {centre} not in the crop"


def test_a_foot_whose_toes_the_network_saw_is_left_as_it_is():
    foot = foot_from_points(POINTS, "right", 12.0)
    assert not toes_missed(foot)
    assert mended_foot(_page("solid"), foot) is foot


def test_a_mended_foot_does_not_take_in_the_foot_its_print_touches():
    a = _page("solid")
    shift = 316  # the left foot, mirrored beside it, its medial edge on the right foot's lateral edge
    gray = np.full((a.shape[0], 1400), PAPER, np.uint8)
    gray[:, :1000] = a
    gray[:, shift:shift + 1000] = np.minimum(gray[:, shift:shift + 1000], a[:, ::-1])
    left_points = POINTS.copy()
    left_points[:, 0] = 999 - left_points[:, 0] + shift
    left = foot_from_points(left_points, "left", 12.0)
    right = _finder_short_of_the_toes(0.0)
    mended = mended_foot(gray, right, [left])
    # the other foot's toes, heel and middle (its forefoot edge touches this foot's: left out)
    away = np.vstack([left_points[[0, 1, 2, 3, 4, 7]], left_points[[5, 7]].mean(axis=0)])
    grid = np.rint(geo.apply_to_points(mended.to_map, away)).astype(int)
    inside = np.all((grid >= 0) & (grid < mended.region.shape[::-1]), axis=1)
    assert not mended.region[grid[inside, 1], grid[inside, 0]].any(), "the mended region holds the other foot"


def test_a_foot_read_upside_down_with_a_guessed_end_is_turned_toes_first():
    gray = _page("solid")
    upside_down = replace(_finder_short_of_the_toes(0.0).reversed(), ends_guessed=True)
    assert upside_down.axis[1] > 0.9  # read pointing down the page
    mended = mended_foot(gray, upside_down)
    assert np.degrees(np.arccos(-mended.axis[1])) < 4.0, f"axis {mended.axis}"
    assert any("wider end" in w for w in mended.warnings)


def test_every_point_of_a_mended_foot_is_flagged(tmp_path):
    """A foot whose outline came from the ink is a doubtful reading: its 8 points come back
    low-confidence, with the reason in `warnings`."""
    path = tmp_path / "page.png"
    Image.fromarray(_page("solid")).save(path)

    class FinderShortOfTheToes:  # reads the page as a page network that missed the toes does
        def find(self, gray):
            return [_finder_short_of_the_toes(12.0)]

    rows = ScanPredictor(GeometricDetector(), FinderShortOfTheToes(), decode_reduction=1).predict_scan(path)
    assert len(rows) == 8 and rows["low_confidence"].all()
    assert rows["warnings"].str.contains("saw no toes").all()


def _reading(heel, toes, x_range, y_range) -> FoundFoot:
    """A page network's reading of part of the page: its heel and toe ends (page px) and its region,
    a box, on the one map grid the finder gives a page (12 px a cell)."""
    to_map = geo.scale_matrix(1 / 12, 1 / 12)
    region = np.zeros((160, 100), bool)
    region[y_range[0] // 12 : y_range[1] // 12, x_range[0] // 12 : x_range[1] // 12] = True
    return FoundFoot(np.asarray(heel, float), np.asarray(toes, float), np.asarray(toes, float), "right", 0.1, 0.9,
                     region, to_map)


# the foot of _page read twice, as the finder read clean-room flatbed and bare-sole pages: its toes and
# forefoot as one foot (heel in the midfoot), its midfoot and heel as another (toes in the midfoot)
FOREFOOT_READING = _reading((450, 900), (440, 300), (200, 700), (150, 950))
HEEL_READING = _reading((430, 1480), (445, 950), (250, 650), (900, 1650))


def test_two_readings_along_one_foot_are_one_foot_read_twice():
    assert read_twice(FOREFOOT_READING, HEEL_READING)
    # a sheet's two feet stand side by side: apart across their axes
    beside = _reading((1150, 1480), (1145, 300), (950, 1150), (150, 1650))
    assert not read_twice(replace(HEEL_READING, heel=np.array([430.0, 1480]), toes=np.array([440.0, 300])), beside)
    # a reading across the forefoot (a table edge or a shadow through it) is no second reading of the foot
    across = _reading((150, 600), (750, 600), (100, 800), (450, 750))
    assert not read_twice(FOREFOOT_READING, across)
    # nor one pointing the other way: a sheet's pair with one foot upside down is turned elsewhere
    assert not read_twice(FOREFOOT_READING, HEEL_READING.reversed())


def test_a_foot_read_twice_comes_back_as_one_whole_foot_every_point_flagged(tmp_path):
    path = tmp_path / "page.png"
    Image.fromarray(_page("solid")).save(path)

    class FinderReadingItTwice:
        def find(self, gray):
            return [FOREFOOT_READING, HEEL_READING]

    rows = ScanPredictor(GeometricDetector(), FinderReadingItTwice(), decode_reduction=1).predict_scan(path)
    assert len(rows) == 8, f"{rows['foot'].nunique()} feet"
    assert rows["low_confidence"].all() and rows["warnings"].str.contains("read one foot as two").all()
    points = rows.sort_values("landmark")[["x_px", "y_px"]].to_numpy(float)
    length = float(np.linalg.norm(POINTS[7] - POINTS[1]))
    # the whole foot, toes up: the heel and the hallux where the print has them
    for k in (0, 7):
        assert np.linalg.norm(points[k] - POINTS[k]) < 0.03 * length, f"point {k + 1}: {points[k]} vs {POINTS[k]}"
