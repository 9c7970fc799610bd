"""Page calibration: millimetres from a phone photo of a paper form (ink-mat footprint sheet).

A photographed sheet has perspective, uneven light, a strip of table around it and no dpi.
If the whole sheet is visible and its size is known (A4 by default), its 4 corners give the
homography from the photo's pixels to page millimetres, and every measurement can be made in mm.

Conventions
- Image px: x right, y down, pixel centres at integer coordinates (the centre of row i, column j
  is (x=j, y=i)), as in foot_landmarks.geometry.
- Page mm: origin at the page's top-left corner, x along the top side, y down the left side.
- Corners are returned as a (4, 2) array of (x, y) image px, in the order top-left, top-right,
  bottom-right, bottom-left of the page AS SEEN: clockwise on screen, the top side being a short
  side of the outline (a long side when told ``landscape``), namely the short side whose outward
  normal points up in the photo (the left one when both point exactly sideways). The content of
  the page is not read, so a sheet photographed upside down comes out rotated by 180 degrees.
- Homographies are 3x3 arrays applied to [x, y, 1] column vectors (normalised, ``H[2, 2] == 1``).

A sheet whose edges are not visible (a scan, or a photo cropped inside the sheet: the bright
region runs along the photo's border) is NOT calibrated: the photo's corners are not the page's,
so they would give a wrong scale without warning. :func:`calibrate_page` says so in ``problem``.

Algorithm (:func:`find_page_corners`, ~0.05 s for a 3000x2000 photo): on a box-reduced copy
(long side ~800 px) of the "whiteness" (the darkest colour channel: paper is bright in all of
them, a coloured table is not), closed so that thin printed lines do not cut the page, an Otsu
threshold gives the largest bright component, holes filled; its convex hull is simplified until
4 edges remain that do not run along the photo's border; robust lines are fitted to the outline
near each edge, then again at full resolution to the steepest bright-to-dark step across it,
and consecutive lines meet at the corners (a corner just outside the photo is extrapolated).
If that fails, a second try thresholds after flattening a smooth light field (strong light
gradients). A result is refused unless the region fills its quadrilateral, every side is a
sharp step (not a shadow or light fall-off) and the corners are plausible.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage as ndi
from scipy.spatial import ConvexHull, QhullError
from skimage import measure, morphology
from skimage.filters import threshold_otsu
from skimage.transform import ProjectiveTransform

PAGE_SIZES_MM: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}

ANALYSIS_LONG_SIDE = 800  # px: the reduced copy the page is looked for on
CLOSING_PX = 7  # reduced px: dark lines thinner than this do not split the page
MIN_PAGE_SHARE = 0.08  # of the photo's area: a smaller bright region is not the page
MIN_QUAD_IOU = 0.93  # the bright region's convex hull vs its 4-sided outline (both clipped to the photo)
MIN_QUAD_FILL = 0.7  # bright share of that outline (printed content and ink are dark)
MIN_SOLIDITY = 0.8  # bright region / its convex hull: a page is convex (a bare sole with its arch is not)
MIN_CONTRAST = 20  # grey levels between the dark and the bright side of the photo (1st..99th percentile)
MIN_EDGE_STEP = 12  # grey levels across a page side within a few px (a shadow or light gradient is softer)
MAX_ASPECT_CHANGE = 1.35  # seen long/short sides vs the page size's, either way
MAX_OUTSIDE = 0.25  # of the photo's size: a corner further outside the photo is not trusted


def parse_page_size(text: str | tuple[float, float]) -> tuple[float, float]:
    """(width_mm, height_mm) from "a4", "A4", "letter", "210x297" (also "210 x 297 mm", "210*297").

    A pair of numbers is returned as floats. Width > height means a landscape page.
    """
    if isinstance(text, (tuple, list)) and len(text) == 2:
        try:
            w, h = (float(v) for v in text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"page size {text!r}: give two numbers of millimetres") from exc
    else:
        key = str(text).strip().lower()
        if key in PAGE_SIZES_MM:
            return PAGE_SIZES_MM[key]
        m = re.fullmatch(r"(\d+(?:\.\d*)?)\s*[x×*]\s*(\d+(?:\.\d*)?)\s*(?:mm)?", key)
        if m is None:
            raise ValueError(
                f"page size {text!r} not understood: give 'a4', 'letter' or width x height in mm, e.g. '210x297'"
            )
        w, h = float(m.group(1)), float(m.group(2))
    if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
        raise ValueError(f"page size {text!r}: width and height must be positive millimetres")
    return w, h


def whiteness(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W): the gray image itself, or the darkest channel of an RGB(A) one.

    uint8 is expected; other integer types are clipped to 0..255 and floats in [0, 1] scaled.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = np.minimum(np.minimum(image[..., 0], image[..., 1]), image[..., 2])  # faster than .min(axis=2)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim != 2:
        raise ValueError(f"expected a gray (H, W) or RGB (H, W, 3) image, got shape {np.shape(image)}")
    if image.dtype != np.uint8:
        if image.dtype.kind == "f" and image.size and np.nanmax(image) <= 1.0:
            image = image * 255.0  # a float image in [0, 1]
        image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    return image


def find_page_corners(image: np.ndarray, landscape: bool = False, relight: bool = True) -> np.ndarray | None:
    """The page's 4 corners (x, y) in image px, ordered TL, TR, BR, BL as seen; None if not found.

    `image`: uint8 gray (H, W) or RGB (H, W, 3). `landscape`: the page's top side is one of its
    long sides (a landscape page size); by default a short one. `relight`: when the first search
    fails, search again after flattening the light (thorough, ~0.3 s more); False: the quick
    search (used to tell a photographed sheet from a dark-background scan), which flattens the
    light only when its bright region was convex and page-sized but not 4-sided (a dim corner).
    :func:`calibrate_page` also says why no page was found.
    """
    return _find_page(image, landscape, relight)[0]


def page_homography(corners_px: np.ndarray, page_size_mm: tuple[float, float]) -> np.ndarray:
    """3x3 homography image px -> page mm sending the corners (TL, TR, BR, BL) to the page's."""
    w, h = page_size_mm
    src = np.asarray(corners_px, dtype=np.float64).reshape(4, 2)
    dst = np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]])
    tform = ProjectiveTransform.from_estimate(src, dst)
    if not tform:
        raise ValueError(f"degenerate corners, no homography: {tform}")
    return tform.params / tform.params[2, 2]


def mm_per_px_at(homography: np.ndarray, point_px) -> float:
    """Local scale at an image point: sqrt of |det| of the Jacobian (mm per px; 25.4 / it = dpi)."""
    hom = np.asarray(homography, dtype=np.float64)
    x, y = np.asarray(point_px, dtype=np.float64).reshape(2)
    w = hom[2] @ np.array([x, y, 1.0])
    # For p -> (H p)_xy / (H p)_z the Jacobian determinant is det(H) / w**3.
    return float(math.sqrt(abs(np.linalg.det(hom) / w**3)))


@dataclass
class PageCalibration:
    """The result of :func:`calibrate_page`: corners and homography, or a one-sentence problem."""

    corners: np.ndarray | None  # (4, 2) image px, TL, TR, BR, BL
    page_size_mm: tuple[float, float]
    homography: np.ndarray | None  # image px -> page mm
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.homography is not None


def calibrate_page(image: np.ndarray, page_size: str | tuple[float, float] = "a4") -> PageCalibration:
    """Find the sheet in a photo and map its pixels to page mm (page_size: see :func:`parse_page_size`)."""
    size = parse_page_size(page_size)
    corners, problem = _find_page(image, landscape=size[0] > size[1])
    if corners is None:
        return PageCalibration(None, size, None, problem)
    # Perspective changes the outline's proportions, but not by a third (a half page cut off by
    # a printed line, a square card or the wrong page size would).
    sides = np.hypot(*(np.roll(corners, -1, axis=0) - corners).T)
    seen = max(sides[0] + sides[2], sides[1] + sides[3]) / min(sides[0] + sides[2], sides[1] + sides[3])
    expected = max(size) / min(size)
    if abs(math.log(seen / expected)) > math.log(MAX_ASPECT_CHANGE):
        return PageCalibration(None, size, None, (
            f"the bright quadrilateral found has proportions 1:{seen:.2f}, too far from the page's 1:{expected:.2f} "
            f"({size[0]:g}x{size[1]:g} mm)"
        ))
    return PageCalibration(corners, size, page_homography(corners, size), None)


# --------------------------------------------------------------------------------------------
# internals


def _find_page(image: np.ndarray, landscape: bool, relight: bool = True) -> tuple[np.ndarray | None, str | None]:
    full = whiteness(image)
    rows, cols = full.shape
    k = max(1, round(max(rows, cols) / ANALYSIS_LONG_SIDE))
    small = np.asarray(Image.fromarray(full).reduce(k)) if k > 1 else full
    # Smooth, then close (max then min filter): thin dark lines printed across the page (panel
    # borders, a fold, the ink grid) would otherwise cut the bright page into pieces.
    small = ndi.grey_closing(ndi.uniform_filter(small, 3), size=CLOSING_PX)
    lo, hi = np.percentile(small, [1, 99])
    if hi - lo < MIN_CONTRAST:
        return None, (
            f"no page found: apart from thin lines and print the photo is almost uniform (contrast {hi - lo:.0f} "
            "grey levels), with no sheet edge against a darker background"
        )

    first_problem = None
    for attempt, bright in enumerate(_bright_masks(small)):
        region, problem = _page_region(bright)
        if region is not None:
            corners, problem = _quad_from_region(region, full, k)
            if corners is not None:
                return _order_corners(corners, landscape), None
        first_problem = first_problem or problem
        # the quick search still flattens the light once when the bright region was a convex,
        # page-sized one whose outline was not 4-sided (a dim corner cut off by the threshold)
        if not relight and not (attempt == 0 and region is not None):
            break
    return None, first_problem


def _bright_masks(small: np.ndarray):
    """Candidate page masks: an Otsu threshold, then the same after flattening the light."""
    threshold = threshold_otsu(small)
    bright = small > threshold
    yield bright
    yield _flatten_light(small, bright)


def _flatten_light(small: np.ndarray, bright: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Threshold again after removing a smooth light field fitted to both classes at once.

    Light multiplies paper and table alike, so log(grey) = reflectance of the class + log(light);
    the light is fitted as a quadratic in x and y with one offset per class (robustly, on a sparse
    grid), the classes re-assigned by Otsu on the corrected image, and so on.
    """
    sr, sc = small.shape
    logi = np.log1p(small.astype(np.float64))
    step = max(1, int(math.sqrt(sr * sc / 5000)))  # ~5000 samples fit a quadratic well
    yy, xx = np.mgrid[0:sr, 0:sc].astype(np.float64)
    xx, yy = xx / sc - 0.5, yy / sr - 0.5
    field = np.stack([xx, yy, xx * xx, xx * yy, yy * yy])
    sub_field = field[:, ::step, ::step].reshape(5, -1).T
    sub_log = logi[::step, ::step].ravel()
    cls = bright[::step, ::step].ravel()
    corrected = logi
    for _ in range(iterations):
        design = np.c_[cls, ~cls, sub_field].astype(np.float64)
        keep = np.ones(len(sub_log), bool)
        for _ in range(2):  # drop print and other outliers of each class
            coef, *_ = np.linalg.lstsq(design[keep], sub_log[keep], rcond=None)
            res = sub_log - design @ coef
            keep = np.abs(res) <= 2.5 * 1.4826 * np.median(np.abs(res[keep])) + 1e-6
        corrected = logi - np.tensordot(coef[2:], field, axes=1)
        threshold = threshold_otsu(corrected[::2, ::2])
        cls = corrected[::step, ::step].ravel() > threshold
    return corrected > threshold


def _page_region(bright: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """The largest bright region of a mask on the reduced copy, holes filled, when it looks like a
    page (big, not the whole border, convex); else None and why not."""
    bright = ndi.binary_opening(bright, iterations=2)  # cuts thin bright bridges to the table
    labels, n = ndi.label(bright)
    if n == 0:
        return None, "no page-shaped bright quadrilateral found (no bright region)"
    sizes = np.bincount(labels.ravel())[1:]
    region = ndi.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))
    share = region.mean()
    if share < MIN_PAGE_SHARE:
        return None, f"no page-shaped bright quadrilateral found (largest bright region covers {share:.0%} of the photo)"
    border = np.concatenate([region[0], region[-1], region[1:-1, 0], region[1:-1, -1]])
    if border.mean() > 0.5:
        return None, (
            f"the page's edges are not visible: the bright region covers {border.mean():.0%} of the photo's "
            "border (a scan, or a photo cropped inside the sheet)"
        )
    solidity = region.sum() / max(1, morphology.convex_hull_image(region).sum())
    if solidity < MIN_SOLIDITY:  # quick exit before the line fits: a sole, a hand, not a sheet
        return None, f"no page-shaped bright quadrilateral found (the largest bright region is not convex: {solidity:.0%})"
    return region, None


def _quad_from_region(region: np.ndarray, full: np.ndarray, k: int) -> tuple[np.ndarray | None, str | None]:
    """The page's corners in full-resolution px from its bright region on the reduced copy, or why not."""
    rows, cols = full.shape
    sr, sc = region.shape
    share = region.mean()

    # Outline of the region (reduced px, (x, y)); points on the photo's border are not page edges.
    contour = max(measure.find_contours(np.pad(region, 1).astype(np.uint8), 0.5), key=len)[:, ::-1] - 1
    on_border = (contour[:, 0] < 1.5) | (contour[:, 1] < 1.5) | (contour[:, 0] > sc - 2.5) | (contour[:, 1] > sr - 2.5)
    sides = _four_sides(contour, (sr, sc))
    if sides is None:  # (a region covering most of the photo's border was turned down above)
        return None, "no page-shaped bright quadrilateral found (the largest bright region's outline is not 4-sided)"

    # Robust lines through the outline's points near each side, in reduced px.
    diag = math.hypot(sr, sc)
    lines = []
    for a, b in sides:
        pts = _points_near_segment(contour[~on_border], a, b, tol=0.02 * diag, trim=0.1)
        if len(pts) < 10:
            return None, "no page-shaped bright quadrilateral found (a side of the outline has too few edge points)"
        lines.append(_fit_line(pts))
    corners_small = _intersect_cycle(lines)
    if corners_small is None:
        return None, "no page-shaped bright quadrilateral found (two sides of the outline are parallel)"

    # The region's convex hull (dark ink may bite into the page's edge) must match its
    # quadrilateral, both clipped to the photo, and the region must fill most of it.
    quad = _raster(corners_small, region.shape)
    hull = _raster(contour[ConvexHull(contour).vertices], region.shape)
    iou = (quad & hull).sum() / max(1, (quad | hull).sum())
    fill = (quad & region).sum() / max(1, quad.sum())
    if iou < MIN_QUAD_IOU or fill < MIN_QUAD_FILL:
        return None, (
            f"no page-shaped bright quadrilateral found (the largest bright region, {share:.0%} of the photo, "
            f"matches its 4-sided outline at only {min(iou, fill):.0%})"
        )

    # Back to full-resolution px: reduced pixel i covers original pixels k*i .. k*i + k - 1.
    corners = corners_small * k + (k - 1) / 2.0
    refined, steps = _refine_at_full_resolution(full, corners, k)
    measured = steps[np.isfinite(steps)]
    if measured.size and measured.min() < MIN_EDGE_STEP:
        return None, (
            f"a side of the bright quadrilateral is not a sharp paper edge (step {measured.min():.0f} grey levels): "
            "uneven light or a shadow may have cut the page"
        )
    if refined is not None:
        corners = refined
    problem = _shape_problem(corners, (rows, cols))
    if problem:
        return None, problem
    return corners, None


def _raster(polygon_xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pixels inside a polygon of (x, y) points, clipped to `shape` (PIL: much faster than skimage.draw)."""
    canvas = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in np.asarray(polygon_xy, float)], fill=1)
    return np.asarray(canvas, dtype=bool)


def _four_sides(contour: np.ndarray, shape: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The 4 edges of the simplified convex hull that do not run along the photo's border."""
    sr, sc = shape
    try:
        hull = contour[ConvexHull(contour).vertices]
    except (QhullError, ValueError):
        return None
    start = int(np.argmax(np.hypot(*(hull - hull.mean(axis=0)).T)))  # a corner: Douglas-Peucker's fixed point
    hull = np.roll(hull, -start, axis=0)
    closed = np.vstack([hull, hull[:1]])
    diag = math.hypot(sr, sc)

    def along_border(p, q):
        for axis, limit in ((0, 0.0), (0, sc - 1.0), (1, 0.0), (1, sr - 1.0)):
            if abs(p[axis] - limit) < 3 and abs(q[axis] - limit) < 3:
                return True
        return False

    for tol in diag * np.array([0.003, 0.005, 0.008, 0.012, 0.018, 0.025, 0.035]):
        poly = measure.approximate_polygon(closed, tol)[:-1]
        edges = [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]
        # Drop border edges, then edges too short to be a page side.
        edges = [e for e in edges if not along_border(*e)]
        lengths = np.array([np.hypot(*(b - a)) for a, b in edges])
        edges = [e for e, length in zip(edges, lengths) if length > 0.1 * lengths.max()] if edges else []
        if len(edges) == 4:
            return edges
        if len(edges) < 4:
            return None
    return None


def _points_near_segment(pts: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float, trim: float) -> np.ndarray:
    d = b - a
    length = np.hypot(*d)
    u = d / length
    rel = pts - a
    along = rel @ u
    across = rel @ np.array([-u[1], u[0]])
    keep = (np.abs(across) < tol) & (along > trim * length) & (along < (1 - trim) * length)
    return pts[keep]


def _fit_line(pts: np.ndarray, iterations: int = 3) -> tuple[np.ndarray, float]:
    """Robust total-least-squares line n . p = c (unit n), trimming outliers by the MAD."""
    keep = np.ones(len(pts), bool)
    for _ in range(iterations):
        centre = pts[keep].mean(axis=0)
        _, _, vt = np.linalg.svd(pts[keep] - centre, full_matrices=False)
        normal = vt[1]
        res = (pts - centre) @ normal
        mad = 1.4826 * np.median(np.abs(res[keep]))
        new = np.abs(res) <= max(3 * mad, 0.5)
        if new.sum() < 5 or (new == keep).all():
            break
        keep = new
    return normal, float(normal @ centre)


def _intersect_cycle(lines: list[tuple[np.ndarray, float]]) -> np.ndarray | None:
    """Corner i = line i-1 x line i (line i runs from corner i to corner i+1)."""
    corners = []
    for i in range(4):
        (n1, c1), (n2, c2) = lines[i - 1], lines[i]
        m = np.array([n1, n2])
        if abs(np.linalg.det(m)) < 1e-3:
            return None
        corners.append(np.linalg.solve(m, [c1, c2]))
    return np.array(corners)


def _refine_at_full_resolution(full: np.ndarray, corners: np.ndarray, k: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Move each side onto the steepest bright-to-dark step across it, sampled at full resolution.

    Returns the new corners (None if a side has too few clear steps) and, per side, the median
    step in grey levels over +-(k + 2) px around it (NaN where the side is not inside the photo).
    """
    rows, cols = full.shape
    centre = corners.mean(axis=0)
    reach = 2.0 * k + 3.0
    offsets = np.arange(-reach, reach + 0.25, 0.5)  # inside (negative) -> outside, 0.5 px apart
    half = int(round(2 * (k + 2)))  # samples either side of the edge for its local step
    lines, steps = [], np.full(4, np.nan)
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        d = b - a
        u = d / np.hypot(*d)
        n = np.array([-u[1], u[0]])
        if n @ (a - centre) < 0:
            n = -n  # outward
        base = a + np.linspace(0.1, 0.9, 80)[:, None] * d
        margin = reach + 1
        inside = (base[:, 0] > margin) & (base[:, 0] < cols - 1 - margin) & (base[:, 1] > margin) & (base[:, 1] < rows - 1 - margin)
        base = base[inside]
        if len(base) < 10:  # a side mostly outside the photo: keep it as it is
            lines.append(_fit_line(a + np.linspace(0, 1, 5)[:, None] * d))
            continue
        samples = base[:, None, :] + offsets[None, :, None] * n
        prof = ndi.map_coordinates(full, [samples[..., 1].ravel(), samples[..., 0].ravel()], order=1, output=np.float32)
        prof = ndi.gaussian_filter1d(prof.reshape(len(base), -1), 1.0, axis=1)
        grad = np.diff(prof, axis=1)  # outward: paper (bright) -> table (dark) is a negative step
        j = np.argmin(grad, axis=1)
        rows_idx = np.arange(len(base))
        last = prof.shape[1] - 1
        local = prof[rows_idx, np.clip(j - half, 0, last)] - prof[rows_idx, np.clip(j + 1 + half, 0, last)]
        steps[i] = float(np.median(local))
        strength = -grad[rows_idx, j]
        good = (strength > 0.3 * np.median(strength)) & (j > 0) & (j < grad.shape[1] - 1)
        if good.sum() < 10:
            return None, steps
        jj = j[good]
        g0, g1, g2 = (grad[np.flatnonzero(good), jj + s] for s in (-1, 0, 1))
        den = g0 - 2 * g1 + g2
        sub = np.where(np.abs(den) > 1e-9, 0.5 * (g0 - g2) / np.where(den == 0, 1, den), 0.0)
        pos = offsets[0] + (jj + 0.5 + np.clip(sub, -0.5, 0.5)) * 0.5  # diff sits between samples
        lines.append(_fit_line(base[good] + pos[:, None] * n))
    return _intersect_cycle(lines), steps


def _shape_problem(corners: np.ndarray, shape: tuple[int, int]) -> str | None:
    rows, cols = shape
    lo = -MAX_OUTSIDE * np.array([cols, rows])
    hi = (1 + MAX_OUTSIDE) * np.array([cols, rows])
    if ((corners < lo) | (corners > hi)).any():
        return "the page found reaches too far outside the photo to be trusted"
    for i in range(4):
        e1 = corners[i] - corners[i - 1]
        e2 = corners[(i + 1) % 4] - corners[i]
        cos = abs(e1 @ e2) / (np.hypot(*e1) * np.hypot(*e2))
        if cos > math.cos(math.radians(40)):  # corner angle outside 40..140 degrees
            return "no page-shaped quadrilateral found (a corner of the outline is too sharp for a photographed sheet)"
    return None


def _order_corners(corners: np.ndarray, landscape: bool) -> np.ndarray:
    """TL, TR, BR, BL as seen (see the module docstring for the rule)."""
    c = np.asarray(corners, dtype=np.float64)
    x, y = c[:, 0], c[:, 1]
    if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:  # make it clockwise on screen (y down)
        c = c[::-1]
    lengths = np.hypot(*(np.roll(c, -1, axis=0) - c).T)
    pair = (0, 2) if (lengths[0] + lengths[2] < lengths[1] + lengths[3]) != landscape else (1, 3)

    def outward(i):
        e = c[(i + 1) % 4] - c[i]
        return np.array([e[1], -e[0]]) / np.hypot(*e)

    n0, n1 = outward(pair[0]), outward(pair[1])
    # The top side: its outward normal points up; at an exact tie, the one pointing left.
    up0, up1 = -n0[1], -n1[1]
    if abs(up0 - up1) > 1e-9:
        top = pair[0] if up0 > up1 else pair[1]
    else:
        top = pair[0] if n0[0] < n1[0] else pair[1]
    return np.roll(c, -top, axis=0)
