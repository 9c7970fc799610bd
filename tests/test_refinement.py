"""The print refinement: points moved onto the exact extremes of a print of known geometry."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.measure import label

from foot_landmarks.geometry import apply_to_points, compose, scale_matrix
from foot_landmarks.refinement import (
    PageDetail,
    PrintRefinement,
    bar_parts,
    is_pattern,
    landmark_directions,
    page_strokes,
    refine_to_print,
    refines,
    thin_strokes,
)

HEIGHT, WIDTH = 400, 200
CENTRE = np.array([WIDTH / 2, HEIGHT / 2])
# (cx, cy, semi-axis x, semi-axis y), upright right foot (hallux on the left); heel and second toe
# share x = 100, so the axis 8 -> 2 is vertical before rotation.
HEEL = (100, 335, 34, 42)
BALL = (98, 160, 58, 40)
MIDFOOT = (112, 250, 30, 80)
TOES = [(58, 82, 17, 21), (100, 74, 10, 15), (124, 82, 9, 13), (145, 91, 8, 12), (163, 107, 7, 9)]
SUPERSAMPLE = 4


def _rotation(angle_deg: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def render(angle_deg: float = 0.0, toes=TOES, extra=(), scale: int = 1) -> np.ndarray:
    """Anti-aliased print (bright on black): pixel coverage of the ellipses, rotated about the
    centre by `angle_deg`; `extra` are additional ellipses (pen marks). At `scale` s the image is
    s times finer, pixel edges on pixel edges (as a resize makes it): its pixel x is the point
    (x + 0.5) / s - 0.5 of the scale-1 frame (foot_landmarks.geometry.scale_matrix)."""
    offsets = (np.arange(SUPERSAMPLE) + 0.5) / SUPERSAMPLE - 0.5
    rows = ((np.arange(HEIGHT * scale)[:, None] + offsets[None, :] + 0.5) / scale - 0.5).ravel()
    cols = ((np.arange(WIDTH * scale)[:, None] + offsets[None, :] + 0.5) / scale - 0.5).ravel()
    y, x = np.meshgrid(rows, cols, indexing="ij")
    # each sample's position in the upright frame (inverse rotation)
    upright = (np.stack([x - CENTRE[0], y - CENTRE[1]], -1) @ _rotation(angle_deg)) + CENTRE
    ux, uy = upright[..., 0], upright[..., 1]
    inside = np.zeros_like(ux, dtype=bool)
    for cx, cy, ax, ay in (HEEL, BALL, MIDFOOT, *toes, *extra):
        inside |= ((ux - cx) / ax) ** 2 + ((uy - cy) / ay) ** 2 <= 1
    coverage = inside.reshape(HEIGHT * scale, SUPERSAMPLE, WIDTH * scale, SUPERSAMPLE).mean(axis=(1, 3))
    return np.round(coverage * 255).astype(np.uint8)


def ellipse_extreme(ellipse, direction) -> np.ndarray:
    """The point of the ellipse farthest along unit `direction` (exact, upright frame)."""
    cx, cy, ax, ay = ellipse
    d = np.asarray(direction, dtype=float)
    return np.array([cx, cy]) + np.array([ax**2 * d[0], ay**2 * d[1]]) / np.hypot(ax * d[0], ay * d[1])


def truth(angle_deg: float = 0.0) -> np.ndarray:
    distal, medial = np.array([0.0, -1.0]), np.array([-1.0, 0.0])
    upright = [ellipse_extreme(t, distal) for t in TOES]
    upright += [ellipse_extreme(BALL, medial), ellipse_extreme(BALL, -medial), ellipse_extreme(HEEL, -distal)]
    return (np.array(upright) - CENTRE) @ _rotation(angle_deg).T + CENTRE


@pytest.mark.parametrize("angle", [0.0, 9.0])
def test_points_a_few_px_off_move_onto_the_exact_extremes(angle):
    expected = truth(angle)
    directions = landmark_directions(expected)
    assert np.allclose(directions[7], _rotation(angle) @ [0, 1], atol=1e-9)  # the heel: posterior
    rng = np.random.default_rng(3)
    theta = rng.uniform(0, 2 * np.pi, len(expected))
    start = expected + 3.5 * np.stack([np.cos(theta), np.sin(theta)], -1)  # a heatmap cell is ~5 crop px
    refined = refine_to_print(render(angle), start)
    along = np.sum((refined - expected) * directions, axis=1)
    across = np.sum((refined - expected) * (directions @ [[0, 1], [-1, 0]]), axis=1)
    assert np.abs(along).max() < 0.25, along  # on the edge, sub-pixel
    # Across, the extreme of a smooth curve is only as sharp as LANDMARKS.md's flat run: on these
    # curvatures (radius ~28 px) the outline's sub-pixel wobble moves it ~1-2 px; upright, the
    # symmetric shapes pin it exactly.
    assert np.abs(across).max() < (0.25 if angle == 0 else 3.0), across


def test_a_pen_mark_beside_a_toe_is_not_taken_for_the_toe():
    tip = truth()[1]
    pen = (tip[0] + 4, tip[1] - 9, 12, 2.5)  # a stroke just above the second toe, not touching it
    image = render(extra=[pen])
    start = truth().copy()
    start[1] += [1.5, 2.0]  # on the toe, a little inside
    refined = refine_to_print(image, start)
    assert np.linalg.norm(refined[1] - tip) < 1.0


def test_a_toe_that_left_no_ink_keeps_the_networks_point():
    no_fifth = render(toes=TOES[:4])
    start = truth()
    start[4] += [2.0, -3.0]  # the network's guess at the missing toe's tip
    refined = refine_to_print(no_fifth, start)
    np.testing.assert_array_equal(refined[4], start[4])  # nothing within the radius to move to
    assert np.linalg.norm(refined[:4] - truth()[:4], axis=1).max() < 1.0


def test_a_blank_crop_or_missing_points_change_nothing():
    points = truth()
    np.testing.assert_array_equal(refine_to_print(np.zeros((HEIGHT, WIDTH), np.uint8), points), points)
    lost = points.copy()
    lost[2] = np.nan
    np.testing.assert_array_equal(refine_to_print(render(), lost), lost)


def test_the_radius_bounds_how_far_a_point_moves():
    settings = PrintRefinement(radius_fraction=0.01, sole_radius_fraction=0.015)  # 4 / 6 px on this 400 px crop
    start = truth()
    start[7] += [9.0, 0.0]  # 9 px along the heel's flat bottom: its true extreme is out of reach
    start[0] += [6.0, 0.0]  # 6 px along the hallux's round tip
    refined = refine_to_print(render(), start, settings)
    assert np.linalg.norm(refined[7] - start[7]) <= 6.0 + 1e-9
    assert np.linalg.norm(refined[7] - truth()[7]) > 2.0  # it did not reach the extreme
    assert np.linalg.norm(refined[0] - start[0]) <= 4.0 + 1e-9


def test_which_variants_and_pages_are_refined():
    assert refines({"refine": "print"}, "ink") and refines({"refine": "print"}, "bright on dark")
    assert not refines({"refine": "print"}, "colour map")  # sensor cells are not the skin's edge
    assert not refines({}, "ink") and not refines({"refine": "none"}, "ink")
    assert not refines({"refine": "print"}, "ink", on_sheet=True)  # an ink-mat form's grid pattern
    assert not refines({"refine": "print"}, "photographed sheet", on_sheet=True)
    assert refines({"refine": "print"}, "bright on dark", on_sheet=True)  # bare soles on glass: skin


# Stage 2: the "scan" is the same print rendered 4x finer; the crop the network saw is 4x coarser.
SCAN_SCALE = 4


def _scan_and_crop(angle: float, extra=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crop, scan, crop px -> scan px): the crop is rendered at scale 1 (as if resized from the
    scan), the scan at SCAN_SCALE."""
    return render(angle, extra=extra), render(angle, extra=extra, scale=SCAN_SCALE), scale_matrix(SCAN_SCALE, SCAN_SCALE)


@pytest.mark.parametrize("angle", [0.0, 9.0])
def test_the_second_stage_places_points_on_the_scan_at_its_own_resolution(angle):
    crop, scan, crop_to_scan = _scan_and_crop(angle)
    expected = truth(angle)
    directions = landmark_directions(expected)
    rng = np.random.default_rng(5)
    theta = rng.uniform(0, 2 * np.pi, len(expected))
    start = expected + 3.5 * np.stack([np.cos(theta), np.sin(theta)], -1)
    on_crop = refine_to_print(crop, start)
    on_scan = refine_to_print(crop, start, detail=PageDetail(scan, crop_to_scan))

    def along_in_scan_px(points):
        return np.abs(np.sum((points - expected) * directions, axis=1)) * SCAN_SCALE

    # On the edge within half a scan pixel (LANDMARKS.md's flat-run tolerance); across it within
    # 1.5 scan px (the flat run of a turned curve is a few pixels wide; the answer is a vertex of
    # the outline, as the truth is a pixel). Upright, the crop alone already pins the symmetric
    # extremes; turned, the scan brings the error down to well under half the crop's.
    across = np.abs(np.sum((on_scan - expected) * (directions @ [[0, 1], [-1, 0]]), axis=1)) * SCAN_SCALE
    assert along_in_scan_px(on_scan).max() < 0.5, along_in_scan_px(on_scan)
    assert across.max() < 1.5, across
    if angle:
        crop_error = np.linalg.norm(on_crop - expected, axis=1).mean()
        assert np.linalg.norm(on_scan - expected, axis=1).mean() < 0.5 * crop_error


def test_the_second_stage_does_not_take_a_pen_mark_beside_a_toe():
    tip = truth()[1]
    pen = (tip[0] + 4, tip[1] - 9, 12, 2.5)  # above the second toe, not touching it
    _, scan_with_pen, crop_to_scan = _scan_and_crop(0.0, extra=[pen])
    crop = render()  # the crop was cleaned: the pen mark is not on it
    refined = refine_to_print(crop, truth(), detail=PageDetail(scan_with_pen, crop_to_scan))
    assert np.linalg.norm(refined[1] - tip) < 0.5


def test_page_detail_maps_crop_pixels_onto_the_scan():
    # original px -> crop: scale by 0.2 about pixel edges, then move by (-10, -20); original -> page:
    # move by (5, 7) (e.g. a photographed page's box). By hand, original (100, 300) is
    #   crop ((100 + 0.5) * 0.2 - 0.5 - 10, (300 + 0.5) * 0.2 - 0.5 - 20) = (9.6, 39.6)
    #   page (105, 307)
    to_crop = compose(scale_matrix(0.2, 0.2), np.array([[1.0, 0, -10], [0, 1, -20], [0, 0, 1]]))
    to_page = np.array([[1.0, 0, 5], [0, 1, 7], [0, 0, 1]])
    gray = np.full((400, 200), 255, np.uint8)
    gray[306:309, 104:107] = 0  # an ink mark on the page, centred on (105, 307)
    detail = PageDetail.of_page(gray, to_page, to_crop)
    np.testing.assert_allclose(apply_to_points(detail.crop_to_image, [[9.6, 39.6]]), [[105.0, 307.0]], atol=1e-9)
    x, y = np.rint(apply_to_points(detail.crop_to_image, [[9.6, 39.6]])[0]).astype(int)
    assert detail.image[y, x] == 255 and detail.image.sum() == 9 * 255  # the mark, bright; paper dark


def test_two_toe_points_on_one_toe_take_the_five_toes_in_medial_order():
    # The network's toes 3 and 4 both on toe 3 and its toe 5 on toe 4 (seen on a real scan): the
    # print shows five separate toes, and LANDMARKS.md numbers them from the medial side.
    expected = truth()
    start = expected.copy()
    start[3] = expected[2] + [1.0, 2.0]
    start[4] = expected[3] + [1.0, 2.0]
    refined = refine_to_print(render(), start)
    assert np.linalg.norm(refined[:5] - expected[:5], axis=1).max() < 1.0


def test_a_little_toe_joined_to_the_ball_by_a_neck_still_counts_as_a_toe():
    # A little toe pressed against the ball (seen on a real bare-sole scan): its print joins the
    # sole through a narrow neck, so the print shows four separate toes; with the neck cut there
    # are five, and the network's toes 4 and 5 (both on toe 4) take them in medial order.
    neck = (155, 131, 2.5, 22)  # 5 px wide, from the little toe's print to the ball's
    joined = render(extra=[neck])
    parts = label(joined > 127)
    assert parts[107, 163] == parts[160, 98]  # the case: little toe and ball are one part
    expected = truth()
    start = expected.copy()
    start[4] = expected[3] + [1.0, 2.0]
    refined = refine_to_print(joined, start)
    assert np.linalg.norm(refined[:5] - expected[:5], axis=1).max() < 1.0


def test_with_the_hallux_joined_to_the_sole_the_four_lesser_toes_take_points_2_to_5():
    # A hallux pressed broadly against the ball (seen on a real bare-sole scan): four lesser toe
    # prints apart from the sole, numbered 2-5 from the medial side; point 1 stays on the hallux.
    base = (60, 117, 12, 18)  # 24 px wide: no neck to cut
    joined = render(extra=[base])
    parts = label(joined > 127)
    assert parts[82, 58] == parts[160, 98]  # the case: hallux and ball are one part
    expected = truth()
    start = expected.copy()
    start[4] = expected[3] + [1.0, 2.0]  # the network's toe 5 on toe 4
    refined = refine_to_print(joined, start)
    assert np.linalg.norm(refined[1:5] - expected[1:5], axis=1).max() < 1.0
    assert np.linalg.norm(refined[0] - expected[0]) < 1.0


def test_with_the_little_toe_joined_to_the_sole_the_four_other_toes_take_points_1_to_4():
    # A little toe pressed broadly against the ball (the slanted toe line of a real foot brings it
    # down to the ball's lateral edge): four toe prints apart from the sole are toes 1-4.
    base = (152, 128, 9, 22)  # 18 px wide: no neck to cut
    joined = render(extra=[base])
    parts = label(joined > 127)
    assert parts[107, 163] == parts[160, 98]  # the case: little toe and ball are one part
    expected = truth()
    start = expected.copy()
    start[3] = expected[2] + [1.0, 2.0]  # the network's toe 4 on toe 3
    start[4] = expected[4] + [-1.0, 2.0]  # its toe 5 on the little toe, i.e. on the sole's part
    refined = refine_to_print(joined, start)
    assert np.linalg.norm(refined[:5] - expected[:5], axis=1).max() < 1.0


def test_with_fewer_than_five_toe_prints_the_networks_toes_are_kept():
    four_toes = render(toes=TOES[:4])  # the little toe left no ink: no numbering to go by
    start = truth()
    start[3] = truth()[2] + [1.0, 2.0]  # toe 4's point on toe 3
    refined = refine_to_print(four_toes, start)
    assert np.linalg.norm(refined[3] - truth()[2]) < 1.0  # refined on the toe the network chose


# Marks stuck to the print (foot_landmarks.refinement.thin_strokes, bar_parts). On this 400 px crop
# a stroke is at most ~4.4 px wide and reaches 4.4 px or more from the print's body.
def test_a_pen_tick_stuck_to_the_hallux_tip_is_not_its_extreme():
    tip = truth()[0]
    tick = (tip[0] + 6, tip[1] - 9, 1.0, 9.5)  # 2 px wide, from the toe's rim 19 px outward
    for detail in (None, PageDetail(*_scan_and_crop(0.0, extra=[tick])[1:])):
        refined = refine_to_print(render(extra=[tick]), truth(), detail=detail)
        # without the rule the extreme along the axis within the radius is on the tick, ~8 px up
        assert np.linalg.norm(refined[0] - tip) < 1.0, (detail is not None, refined[0], tip)


def _with_dots(image: np.ndarray, dots, scale: int) -> np.ndarray:
    """`image` (rendered at `scale`) with round dots (cx, cy, r, r in the scale-1 frame) added:
    each pixel's coverage from its distance to the nearest dot's centre (fast where `render`
    would test every pixel against every dot)."""
    from scipy.spatial import cKDTree

    centres = np.array([(x, y) for x, y, _, _ in dots])
    radius = dots[0][2]
    rows, cols = np.mgrid[: image.shape[0], : image.shape[1]]
    xy = np.stack([(cols.ravel() + 0.5) / scale - 0.5, (rows.ravel() + 0.5) / scale - 0.5], axis=1)
    distance, _ = cKDTree(centres).query(xy)
    coverage = np.clip((radius - distance) * scale + 0.5, 0, 1).reshape(image.shape)
    return np.maximum(image, np.round(coverage * 255).astype(np.uint8))


def test_on_a_dotted_scan_the_tip_is_the_most_distal_dot_not_the_nearest():
    # A print inked through a mesh is dots on the scan; the crop, smoothed, shows a solid toe whose
    # apex lies over dot A. Dot B, beside A, reaches 0.7 px further: the toe's print is all of its
    # dots, so its tip is B's top (taking the dot nearest the point, stage 2 stayed on A).
    cx, cy, ax, ay = TOES[0]
    top = cy - ay + 1.0  # the lattice's top row, 1 px under the apex
    lattice = [
        (x, y, 0.5, 0.5)
        for y in np.arange(top, cy + ay, 1.5)
        for x in cx + 1.5 * np.arange(-12, 13)
        if ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1
    ]
    b = (cx + 1.3, top - 0.7, 0.5, 0.5)
    scan = _with_dots(render(toes=TOES[1:], scale=SCAN_SCALE), [*lattice, b], SCAN_SCALE)
    refined = refine_to_print(render(), truth(), detail=PageDetail(scan, scale_matrix(SCAN_SCALE, SCAN_SCALE)))
    assert np.linalg.norm(refined[0] - [b[0], b[1] - b[2]]) < 0.3, refined[0]  # ~1 scan px


def test_dots_and_grid_lines_are_a_pattern_and_a_toe_print_is_not():
    yy, xx = np.mgrid[:200, :200]
    toe = ((xx - 100) / 30) ** 2 + ((yy - 100) / 40) ** 2 <= 1
    little_toe = ((xx - 100) / 12) ** 2 + ((yy - 100) / 15) ** 2 <= 1
    dots = toe & (((xx % 8) - 4) ** 2 + ((yy % 8) - 4) ** 2 <= 6)
    grid = toe & (((xx % 16) < 2) | ((yy % 16) < 2))
    gap = 6.0  # px: the pattern's gaps are under twice this
    assert is_pattern(dots, gap) and is_pattern(grid, gap)
    assert not is_pattern(toe, gap) and not is_pattern(little_toe, gap)


def test_a_pen_tick_left_on_the_crop_as_a_stub_is_still_no_extreme_on_the_scan():
    # The page stage paints a tick out of the crop but leaves its root: too short to be a stroke
    # on the crop, while the scan holds the whole tick. Stage 2 finds it there (page_strokes).
    tip = truth()[0]
    tick = (tip[0] + 6, tip[1] - 8, 1.0, 9.5)  # from inside the toe's rim 18 px outward
    stub = (tip[0] + 6, tip[1] - 1, 1.0, 3.0)  # its root, ~3 px beyond the rim
    _, scan, crop_to_scan = _scan_and_crop(0.0, extra=[tick])
    refined = refine_to_print(render(extra=[stub]), truth(), detail=PageDetail(scan, crop_to_scan))
    # without the page's own strokes the tip is carried up the tick, as far as the radius (8 px)
    assert np.linalg.norm(refined[0] - tip) < 1.0, (refined[0], tip)


def test_page_strokes_find_a_tick_on_solid_and_on_grid_ink_but_not_a_grids_own_lines():
    yy, xx = np.mgrid[:300, :300]
    toe = (xx - 150) ** 2 + (yy - 170) ** 2 < 80**2
    tick = (np.abs(xx - 150) <= 2) & (yy >= 40) & (yy < 95)  # 5 px wide, 55 px out from the rim
    lines = ((xx % 20) < 2) | ((yy % 20) < 2)  # a coarse grid: 2 px lines, 20 px cells
    grid_toe = toe & lines
    # the grid's lines reach 15 px beyond the toe, as a form's grid outside a print's ink does
    ragged_grid = grid_toe | (lines & ((xx - 150) ** 2 + (yy - 170) ** 2 < 95**2) & (yy > 150))
    crop_height = 1000.0  # a stroke: half-width under 5.5 px, reaching 11 px or more
    assert page_strokes(toe | tick, crop_height)[45:85, 148:153].all()
    assert not page_strokes(toe, crop_height).any()
    assert page_strokes(grid_toe | tick, crop_height)[45:85, 148:153].any()
    assert not page_strokes(ragged_grid, crop_height).any()


def test_a_ruler_bar_just_below_the_heel_does_not_take_the_heel_point():
    heel = truth()[7]
    bar = (heel[0], heel[1] + 6, 45, 2)  # a separate bar 4 px below the heel, 90 x 4 px
    start = truth()
    start[7] += [0.0, 3.5]  # the network's point between the heel and the bar: nearer the bar
    for detail in (None, PageDetail(*_scan_and_crop(0.0, extra=[bar])[1:])):
        refined = refine_to_print(render(extra=[bar]), start, detail=detail)
        assert np.linalg.norm(refined[7] - heel) < 1.0, (detail is not None, refined[7], heel)


def test_strokes_are_thin_pieces_reaching_away_from_the_print_and_a_ragged_edge_is_none():
    yy, xx = np.mgrid[:200, :200]
    disk_mask = (xx - 100) ** 2 + (yy - 100) ** 2 < 50**2
    ragged = disk_mask | (((xx - 100) ** 2 + (yy - 100) ** 2 < 53**2) & (np.random.default_rng(0).random((200, 200)) < 0.5))
    assert not thin_strokes(ragged, 4.0, 8.0).any()
    ticked = ragged.copy()
    ticked[20:52, 99:102] = True  # a 3 px tick from the rim 30 px up
    strokes = thin_strokes(ticked, 4.0, 8.0)
    assert strokes[20:45, 99:102].all() and not strokes[60:, :].any()
    wide = ragged.copy()
    wide[20:52, 90:111] = True  # as long, but as wide as a toe: print
    assert not thin_strokes(wide, 4.0, 8.0).any()


def test_a_long_narrow_part_is_a_bar_and_a_toe_is_not():
    parts = label(render(extra=[(100, 390, 45, 2)]) > 127)
    bars = bar_parts(parts)
    assert len(bars) == 1
    rows, _ = np.nonzero(parts == bars[0])
    assert rows.min() >= 387  # the bar, not a toe or the sole
