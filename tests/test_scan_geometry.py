"""The scan geometry end to end, against positions known before any code under test runs.

A stand-in detector (`MarkerDetector`, LandmarkDetector's interface: `input_size`, `config`,
`predict(images) -> (points, confidence)`) finds eight paper-coloured round holes drawn inside a
foot print (a generated foot's contact, solid ink: the page stage's finder must see a foot) and
returns their centroids in network-input px, ordered toe to heel. Run through the
public entry point `ScanPredictor(...).predict_scan(path, dpi=..., side=...)`, every step between
the file and the network (decode, reduced read, page normalisation, photographed-page handling,
finding the feet, cropping, mirroring, scaling, resizing) and every step back (the inverse
matrices) must return the holes' known positions in original px within 0.5 px: left and right
feet, one- and two-foot pages, reduced reads, a photographed page on a table.

The holes' positions are fixed here by the drawing (on a photo: their centroids after the known
homography); nothing is computed by the code under test. The config has no `refine: print`, so
only geometry is tested.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi

from foot_landmarks import geometry as geo
from foot_landmarks.detector import DecodedPoints
from foot_landmarks.foot_finder import FoundFoot
from foot_landmarks.inference import ScanPredictor

from foot_landmarks.synthetic.anatomy import foot_shapes, sample_anatomy
from foot_landmarks.synthetic.render import InkStyle, Pose, render_print

INK, PAPER = 40, 235

TOLERANCE_PX = 0.5  # original px
HOLE_RADIUS = 0.025  # of the foot length: about 6 network-input px at 256 px for the crop's height
SUPERSAMPLE = 8  # sub-pixel samples per pixel side for the holes' anti-aliased edges
FOOT_SEED = 7  # a generated right foot with a normal arch: a midfoot band thick enough for holes


def foot_silhouette(length_px: float) -> tuple[np.ndarray, np.ndarray]:
    """A generated right foot's print (ink 0-1, print view, toes up, its bounding box) `length_px`
    long, inked evenly (no ridges, no grain: the holes sit in flat ink), and eight hole centres
    (x, y) inside it: on the print's thickest column at eight heights from the forefoot to the
    heel, each with at least two radii of print around it."""
    anatomy = replace(sample_anatomy(np.random.default_rng(FOOT_SEED)), band=0.6, arch="normal")
    dpi = length_px / anatomy.length_mm * 25.4
    size = int(1.3 * length_px)
    even = InkStyle(load=1.2, ridge_depth=0.0, mottle=0.0, pores=0.0, grain=0.0)
    render = render_print(foot_shapes(anatomy), Pose(size / 2, size / 2, 0.0, dpi, anatomy.length_mm),
                          (size, size), np.random.default_rng(0), even)
    ink = np.zeros((size, size))
    h, w = render.ink.shape
    ink[render.y0 : render.y0 + h, render.x0 : render.x0 + w] = np.where(render.ink, 1.0, 0.0)
    rows, cols = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    depth = ndi.distance_transform_edt(ink > 0)
    radius = HOLE_RADIUS * length_px
    centres = []
    for share in np.linspace(0.25, 0.92, 8):  # toe to heel: the order survives mirroring
        row = int(share * (ink.shape[0] - 1))
        col = int(np.argmax(depth[row]))
        assert depth[row, col] >= 2.2 * radius, "the generated foot is too thin for a hole here"
        centres.append([col, row])
    return ink, np.asarray(centres, float)


def punch_holes(page: np.ndarray, centres: np.ndarray, radius: float, value: float) -> np.ndarray:
    """`page` (float) with discs of `value` at `centres` (x, y), each pixel mixed by the share of
    its area inside the disc (pixel (i, j) covers x in [j - 0.5, j + 0.5], y in [i - 0.5, i + 0.5])."""
    out = page.astype(float).copy()
    sub = (np.arange(SUPERSAMPLE) + 0.5) / SUPERSAMPLE - 0.5
    for cx, cy in centres:
        x0, x1 = int(np.floor(cx - radius - 1)), int(np.ceil(cx + radius + 1))
        y0, y1 = int(np.floor(cy - radius - 1)), int(np.ceil(cy + radius + 1))
        ys = (np.arange(y0, y1 + 1)[:, None] + sub).ravel()
        xs = (np.arange(x0, x1 + 1)[:, None] + sub).ravel()
        inside = (xs[None, :] - cx) ** 2 + (ys[:, None] - cy) ** 2 <= radius**2
        cover = inside.reshape(y1 - y0 + 1, SUPERSAMPLE, x1 - x0 + 1, SUPERSAMPLE).mean(axis=(1, 3))
        window = out[y0 : y1 + 1, x0 : x1 + 1]
        window[:] = window * (1 - cover) + value * cover
    return out


def drawn_page(shape: tuple[int, int], feet: list[tuple[str, float]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A uint8 page (solid ink on paper, no noise) with one generated print per (side, centre x as
    a share of the width), foot length 70 % of the page height (a left foot is the mirror of the
    right one), each with its eight holes; and the holes' centres in page px."""
    h, w = shape
    length = 0.7 * h
    ink, holes = foot_silhouette(length)
    page = np.full(shape, float(PAPER))
    centres = {}
    for side, share in feet:
        foot, xy = (ink, holes.copy()) if side == "right" else (ink[:, ::-1], holes * [-1, 1] + [ink.shape[1] - 1, 0])
        x0, y0 = int(round(share * w - foot.shape[1] / 2)), int(round(0.12 * h))
        window = page[y0 : y0 + foot.shape[0], x0 : x0 + foot.shape[1]]
        window -= foot * (PAPER - INK)
        centres[side] = xy + [x0, y0]
    punched = page
    for side in centres:
        punched = punch_holes(punched, centres[side], HOLE_RADIUS * length, PAPER)
    return np.clip(np.rint(punched), 0, 255).astype(np.uint8), centres


class DarkRegionFinder:
    """Stands in for the foot finder on these clean drawn pages: each foot is a dark region (the
    page thresholded half-way between ink and paper, on a grid of 4 page px), its axis the
    region's principal axis pointing up the page (the drawn feet stand upright, a photo's within
    a few degrees), its hallux the largest print part in the distal fifth; dark regions reaching
    the image's border are a photo's table. The page stage's own
    finder is tested on generated pages (tests/test_page_stage.py); here only geometry counts."""

    cell = 4

    def find(self, gray: np.ndarray) -> list[FoundFoot]:
        small = np.asarray(Image.fromarray(gray).reduce(self.cell), float)
        to_map = geo.scale_matrix(1 / self.cell, 1 / self.cell)
        dark = small < 0.5 * (INK + PAPER)
        labels, n = ndi.label(ndi.binary_closing(dark, iterations=3))
        band = 5  # the closing leaves the outermost rows and columns empty
        on_border = np.unique(np.concatenate([labels[:band].ravel(), labels[-band:].ravel(),
                                              labels[:, :band].ravel(), labels[:, -band:].ravel()]))
        labels[np.isin(labels, on_border)] = 0  # a photo's table around the page
        sizes = ndi.sum(dark, labels, np.arange(1, n + 1))
        feet = []
        for k in 1 + np.flatnonzero(sizes >= 0.3 * sizes.max()):
            region = labels == k
            rows, cols = np.nonzero(region)
            xy = np.stack([cols, rows], axis=1).astype(float)
            centre = xy.mean(axis=0)
            _, vectors = np.linalg.eigh(np.cov((xy - centre).T))
            axis = vectors[:, -1] if vectors[1, -1] < 0 else -vectors[:, -1]  # pointing up the page
            along = (xy - centre) @ axis
            heel, toes = centre + along.min() * axis * 0.8, centre + along.max() * axis * 0.85
            distal = region & False
            distal[rows[along > along.max() - 0.2 * np.ptp(along)], cols[along > along.max() - 0.2 * np.ptp(along)]] = True
            parts, m = ndi.label(distal & dark)
            biggest = 1 + int(np.argmax(ndi.sum(distal & dark, parts, np.arange(1, m + 1))))
            hallux = np.array(ndi.center_of_mass(parts == biggest))[::-1]
            left = np.array([axis[1], -axis[0]])
            configuration = "right" if (hallux - centre) @ left > 0 else "left"
            to_page = geo.invert(to_map)
            heel_p, toes_p, hallux_p = geo.apply_to_points(to_page, np.stack([heel, toes, hallux]))
            feet.append(FoundFoot(heel_p, toes_p, hallux_p, configuration, 1.0, 1.0, region, to_map, []))
        return sorted(feet, key=lambda f: f.toes[0])


class MarkerDetector:
    """Stands in for the network: the eight holes in the print of each input image, as
    intensity-weighted centroids in network-input px, ordered toe to heel (crops are upright)."""

    input_size = (256, 128)
    # geometry only: no print refinement, no anatomy checks (the holes are not landmarks)
    config = {"architecture": "stand-in", "input_size": [256, 128], "refine": "none", "anatomy_checks": False}

    def predict(self, images: np.ndarray, *args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
        points = np.stack([holes_in(np.asarray(image, float)) for image in images])
        return points, np.ones(points.shape[:2])

    def predict_points(self, images: np.ndarray) -> DecodedPoints:
        return DecodedPoints.one_by_one(*self.predict(images))  # no heatmaps: no joint toe decoding


def holes_in(image: np.ndarray) -> np.ndarray:
    """(8, 2) centroids of the eight largest dark holes inside the bright print, sorted by y."""
    bright = image > 0.5 * np.percentile(image[image > 0.5 * image.max()], 50)
    holes, n = ndi.label(ndi.binary_fill_holes(bright) & ~bright)
    areas = ndi.sum(np.ones_like(image), holes, np.arange(1, n + 1))
    largest = np.argsort(areas)[::-1][:8] + 1
    assert len(largest) == 8, f"{n} holes found in the input image, expected 8"
    points = np.array([_hole_centroid(image, holes == k) for k in largest])
    return points[np.argsort(points[:, 1])]


def _hole_centroid(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The centroid of the hole's darkness below the print around it: weight 1 inside the hole, 0 on
    the print, the share in between on the edge, whatever the two levels are after resampling."""
    cy, cx = ndi.center_of_mass(mask)
    radius = np.sqrt(mask.sum() / np.pi)
    yy, xx = np.indices(image.shape, dtype=float)
    for _ in range(2):  # once more around the first estimate
        distance = np.hypot(xx - cx, yy - cy)
        print_level = np.median(image[(distance >= 1.4 * radius) & (distance <= 1.9 * radius)])
        hole_level = np.median(image[distance <= 0.5 * radius])
        window = distance <= 1.6 * radius
        weight = (print_level - image[window]) / (print_level - hole_level)
        cx, cy = (weight * xx[window]).sum() / weight.sum(), (weight * yy[window]).sum() / weight.sum()
    return np.array([cx, cy])


def _points(table, foot: str = "") -> np.ndarray:
    rows = table[table["foot"] == foot].sort_values("landmark")
    return rows[["x_px", "y_px"]].to_numpy(float)


def _assert_found(found: np.ndarray, truth: np.ndarray, what: str) -> None:
    error = np.hypot(*(found - truth).T)
    assert error.max() <= TOLERANCE_PX, f"{what}: errors {np.round(error, 3)} px (tolerance {TOLERANCE_PX})"


def _save(tmp_path: Path, name: str, image: np.ndarray) -> str:
    path = tmp_path / name
    Image.fromarray(image).save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))
    return str(path)


def test_the_stand_in_finds_its_holes_where_they_were_drawn():
    """The stand-in alone, on an image drawn in its own frame: the holes come back exactly."""
    page, centres = drawn_page((1400, 1000), [("right", 0.45)])
    found = holes_in(255.0 - page)  # bright print on black, as crops are
    _assert_found(found, centres["right"], "stand-in on the drawing")


# (file format, decode reduction): a JPEG is read reduced by its scaled IDCT (2: a 700 x 500 page,
# 4: 350 x 250, holes of 6 px radius); None: the predictor's own choice (here full resolution)
READS = [("png", None), ("jpg", None), ("jpg", 2), ("jpg", 4)]


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("suffix, reduction", READS)
def test_one_foot_page_gives_back_the_holes(tmp_path, side, suffix, reduction):
    page, centres = drawn_page((1400, 1000), [(side, 0.45)])
    predictor = ScanPredictor(MarkerDetector(), DarkRegionFinder(), decode_reduction=reduction)
    table = predictor.predict_scan(_save(tmp_path, f"{side}.{suffix}", page), dpi=150.0, side=side)
    assert len(table) == 8 and (table["side"] == side).all()
    _assert_found(_points(table), centres[side], f"{side} foot, {suffix}, decode reduction {reduction}")


@pytest.mark.parametrize("suffix, reduction", [("png", None), ("jpg", 2)])
def test_two_foot_page_gives_back_each_foots_holes(tmp_path, suffix, reduction):
    page, centres = drawn_page((1400, 2000), [("left", 0.27), ("right", 0.73)])
    predictor = ScanPredictor(MarkerDetector(), DarkRegionFinder(), decode_reduction=reduction)
    table = predictor.predict_scan(_save(tmp_path, f"two.{suffix}", page), dpi=150.0)
    assert sorted(table["foot"].unique()) == ["left", "right"]
    for foot in ("left", "right"):
        _assert_found(_points(table, foot), centres[foot], f"{foot} foot of a two-foot page, reduction {reduction}")


def test_photographed_page_gives_back_the_holes(tmp_path):
    """An A4 sheet with the print photographed on a table (tilt, rotation, uneven light, noise):
    the holes' truth is the centroid of each disc carried by the photo's known homography."""
    from test_calibration import PX_PER_MM, random_page_quad, render_photo

    sheet, centres = drawn_page((1188, 840), [("right", 0.45)])  # A4 at 4 px/mm
    quad = random_page_quad(np.random.default_rng(3), (1500, 2000), rotation_deg=8.0)
    photo, photo_from_mm = render_photo(quad, (1500, 2000), seed=3, page=sheet / 255.0)
    pagepx_from_mm = np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]])
    photo_from_page = photo_from_mm @ np.linalg.inv(pagepx_from_mm)
    truth = np.array([_disc_centroid_through(photo_from_page, c, HOLE_RADIUS * 0.7 * 1188) for c in centres["right"]])
    predictor = ScanPredictor(MarkerDetector(), DarkRegionFinder(), page_size="a4")
    table = predictor.predict_scan(_save(tmp_path, "photo.png", photo), side="right")
    assert table["scale_source"].str.startswith("page calibration").all()
    _assert_found(_points(table), truth, "photographed page")


def _disc_centroid_through(homography: np.ndarray, centre: np.ndarray, radius: float, n: int = 400) -> np.ndarray:
    """Area centroid of the image of a disc under a homography: the mapped sample points weighted
    by the area scale det(H) / w^3 at each."""
    offsets = (np.arange(n) + 0.5) / n * 2 - 1
    dx, dy = np.meshgrid(offsets * radius, offsets * radius)
    inside = dx**2 + dy**2 <= radius**2
    p = np.stack([centre[0] + dx[inside], centre[1] + dy[inside], np.ones(inside.sum())])
    mapped = homography @ p
    weight = np.linalg.det(homography) / mapped[2] ** 3
    xy = mapped[:2] / mapped[2]
    return (xy * weight).sum(axis=1) / weight.sum()
