"""A page photographed with a phone: perspective, the table around the page, uneven light, colour JPEG.

The page (an RGB uint8 array in page pixels) is mapped into the photo by a homography ``H``
(3x3, page pixel centres -> photo pixel centres, x = column, y = row), built from a pinhole camera
looking at the tilted page. Every point of the page, landmarks included, goes through the same
``H`` (:func:`apply_homography`), so ground truth stays exact to the sub-pixel.

Pillow samples transforms in "continuous" coordinates whose pixel centres sit at i + 0.5;
:func:`warp_page` converts, so the pixel-centre convention of LANDMARKS.md holds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

MAX_TILT_DEG = 15.0
FRAME_LONG_SIDES = (2000, 3000)  # px, the photo's long side (a phone photo, resized)


@dataclass(frozen=True)
class Camera:
    """The photo's frame and where the page will lie in it (chosen before the page is drawn)."""

    frame_hw: tuple[int, int]
    fill: float  # share of the frame's height (portrait) the untilted page would take
    tilt_x_deg: float
    tilt_y_deg: float
    roll_deg: float
    focal_factor: float
    shift: tuple[float, float]  # share of the free room, -1..1, where the page sits

    def page_px_per_mm(self, page_mm: tuple[float, float], oversample: float = 1.15) -> float:
        """Resolution to draw the page at so it is not enlarged in the photo (page_mm = width, height)."""
        h, w = self.frame_hw
        scale = self.fill * min(h / page_mm[1], w / page_mm[0])
        return scale * oversample


def sample_camera(rng: np.random.Generator, portrait: bool = True) -> Camera:
    """A phone held over a page: frame 2000-3000 px long (4:3 or 3:2), tilt up to 15 deg, page not filling it."""
    long_side = int(rng.integers(FRAME_LONG_SIDES[0], FRAME_LONG_SIDES[1] + 1)) // 8 * 8
    short_side = int(round(long_side * (0.75 if rng.random() < 0.8 else 2 / 3))) // 8 * 8
    frame = (long_side, short_side) if portrait else (short_side, long_side)
    tilt = rng.uniform(0.0, MAX_TILT_DEG)
    direction = rng.uniform(0, 2 * np.pi)
    return Camera(
        frame_hw=frame,
        fill=float(rng.uniform(0.62, 0.86)),
        tilt_x_deg=float(tilt * np.cos(direction)),
        tilt_y_deg=float(tilt * np.sin(direction)),
        roll_deg=float(rng.normal(0.0, 2.5)),
        focal_factor=float(rng.uniform(0.75, 1.1)),
        shift=(float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))),
    )


def homography_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 H with dst ~ H @ [src, 1] for 4 point pairs (exact; H[2, 2] = 1)."""
    a, b = [], []
    for (x, y), (u, v) in zip(np.asarray(src, float), np.asarray(dst, float)):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    h = np.linalg.solve(np.array(a), np.array(b))
    return np.append(h, 1.0).reshape(3, 3)


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 2) points [x, y] through H."""
    p = np.column_stack([np.asarray(points, float), np.ones(len(points))]) @ h.T
    return p[:, :2] / p[:, 2:3]


def page_corners_px(page_hw: tuple[int, int]) -> np.ndarray:
    """The page's outer corners in its own pixels (TL, TR, BR, BL): pixel edges, half a pixel out."""
    h, w = page_hw
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])


def _rotation(tx: float, ty: float, rz: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(tx), np.sin(tx), np.cos(ty), np.sin(ty), np.cos(rz), np.sin(rz)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    r_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return r_z @ ry @ rx


def page_quad(camera: Camera, page_hw: tuple[int, int], margin_frac: float = 0.02) -> np.ndarray:
    """Where the page's corners land in the photo (TL, TR, BR, BL), all inside the frame with a margin."""
    fh, fw = camera.frame_hw
    ph, pw = page_hw
    focal = camera.focal_factor * max(fh, fw)
    corners = page_corners_px(page_hw) - [(pw - 1) / 2, (ph - 1) / 2]
    xyz = np.column_stack([corners, np.zeros(4)]) @ _rotation(
        np.deg2rad(camera.tilt_x_deg), np.deg2rad(camera.tilt_y_deg), np.deg2rad(camera.roll_deg)
    ).T
    scale = camera.fill * min(fh / ph, fw / pw)
    depth = focal / scale  # the untilted page would be `scale` photo px per page px
    z = depth + xyz[:, 2]
    quad = np.column_stack([focal * xyz[:, 0] / z, focal * xyz[:, 1] / z])
    # Keep the page inside the frame with a margin (a strip of table on every side), then place it.
    margin = margin_frac * min(fh, fw)
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    size = hi - lo
    room = np.array([fw - 1 - 2 * margin, fh - 1 - 2 * margin])
    shrink = min(1.0, float(np.min(room / size)))
    quad = (quad - (lo + hi) / 2) * shrink
    slack = np.maximum(room - size * shrink, 0.0) / 2
    centre = np.array([(fw - 1) / 2, (fh - 1) / 2]) + slack * np.array(camera.shift)
    return quad + centre


def _to_pil_continuous(h: np.ndarray) -> np.ndarray:
    """H between pixel-centre coordinates -> H between Pillow's continuous ones (centres at i + 0.5)."""
    t_plus = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1.0]])
    t_minus = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1.0]])
    return t_plus @ h @ t_minus


def warp_page(page: np.ndarray, h: np.ndarray, frame_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The page (uint8 RGB) seen in the photo frame through H: (RGB uint8, coverage float32 0-1)."""
    inverse = np.linalg.inv(_to_pil_continuous(h))
    inverse = inverse / inverse[2, 2]
    rgba = Image.fromarray(np.dstack([page, np.full(page.shape[:2], 255, np.uint8)]), mode="RGBA")
    out = rgba.transform(
        (frame_hw[1], frame_hw[0]), Image.PERSPECTIVE, tuple(inverse.ravel()[:8]), resample=Image.BILINEAR,
        fillcolor=(0, 0, 0, 0),
    )
    arr = np.asarray(out)
    return arr[..., :3], arr[..., 3].astype(np.float32) / np.float32(255.0)


TABLE_COLOURS = (
    (0.42, 0.28, 0.17),  # wood
    (0.55, 0.38, 0.22),  # light wood
    (0.30, 0.30, 0.32),  # grey desk
    (0.12, 0.12, 0.13),  # black desk
    (0.18, 0.30, 0.22),  # green cutting mat
    (0.33, 0.36, 0.42),  # blue-grey laminate
    (0.50, 0.47, 0.42),  # beige laminate
)


def table(frame_hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A textured table top (RGB float 0-1, darker than paper): colour, grain along one axis, blotches."""
    fh, fw = frame_hw
    c = 4  # the texture is made 4x coarser and enlarged
    h, w = -(-fh // c), -(-fw // c)
    colour = np.array(TABLE_COLOURS[int(rng.integers(len(TABLE_COLOURS)))]) * rng.uniform(0.8, 1.1)
    along_rows = rng.random() < 0.5
    n = h if along_rows else w
    grain = np.cumsum(rng.standard_normal(n)) * 0.02
    grain = grain - grain.mean()
    grain += 0.06 * np.sin(np.arange(n) * rng.uniform(0.05, 0.4)) * rng.uniform(0, 1)
    grain = grain[:, None] if along_rows else grain[None, :]
    blotch = rng.standard_normal((max(2, h // 40), max(2, w // 40)))
    blotch = np.asarray(Image.fromarray(blotch.astype(np.float32), mode="F").resize((w, h), Image.BICUBIC))
    tone = 1.0 + np.clip(grain, -0.3, 0.3) * rng.uniform(0.3, 1.0) + 0.05 * blotch
    small = np.clip(tone[..., None] * colour[None, None, :], 0.0, 1.0)
    big = Image.fromarray((small * 255).astype(np.uint8), mode="RGB").resize((w * c, h * c), Image.BILINEAR)
    return np.asarray(big, dtype=np.float32)[:fh, :fw] / np.float32(255.0)


def lighting(frame_hw: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uneven light as a separable field gy (H, 1) x gx (1, W): vignette plus a gradient across the frame."""
    fh, fw = frame_hw
    y = np.linspace(-1, 1, fh, dtype=np.float32)
    x = np.linspace(-1, 1, fw, dtype=np.float32)
    vignette = rng.uniform(0.05, 0.35)
    angle = rng.uniform(0, 2 * np.pi)
    slope = rng.uniform(0.0, 0.35)
    gx = np.exp(-vignette * x * x + slope * np.cos(angle) * x)
    gy = np.exp(-vignette * y * y + slope * np.sin(angle) * y)
    peak = float(gx.max() * gy.max())
    level = rng.uniform(0.85, 1.05) / peak
    return (gy[:, None] * np.float32(level)).astype(np.float32), gx[None, :].astype(np.float32)


@dataclass
class Photo:
    image: np.ndarray  # uint8 (H, W, 3)
    homography: np.ndarray  # page px -> photo px (pixel centres)
    corners: np.ndarray  # (4, 2) page corners in the photo: TL, TR, BR, BL of the page as printed
    jpeg: bytes


def photograph(page: np.ndarray, camera: Camera, rng: np.random.Generator) -> Photo:
    """Photograph `page` (uint8 RGB, page px) with `camera`: perspective, table, light, blur, noise, JPEG."""
    page_hw = page.shape[:2]
    quad = page_quad(camera, page_hw)
    h = homography_from_points(page_corners_px(page_hw), quad)
    warped, cover = warp_page(page, h, camera.frame_hw)
    background = table(camera.frame_hw, rng)
    image = background + (warped.astype(np.float32) / np.float32(255.0) - background) * cover[..., None]
    gy, gx = lighting(camera.frame_hw, rng)
    cast = np.array([rng.uniform(0.92, 1.06), 1.0, rng.uniform(0.88, 1.05)], np.float32)  # warm / cool light
    image *= gy[..., None]
    image *= gx[..., None]
    image *= cast
    pixels = np.clip(image * np.float32(255.0) + np.float32(0.5), 0, 255).astype(np.uint8)
    pil = Image.fromarray(pixels, mode="RGB").filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.4))))
    pixels = np.asarray(pil)
    gamma = float(rng.uniform(0.8, 1.25))  # the phone's tone curve (contrast)
    pixels = np.clip(np.rint(255.0 * (np.arange(256) / 255.0) ** gamma), 0, 255).astype(np.uint8)[pixels]
    pixels = colour_noise(pixels, rng, float(rng.uniform(1.5, 5.0)))
    out = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(out, "JPEG", quality=int(rng.integers(70, 95)))
    return Photo(pixels, h, apply_homography(h, page_corners_px(page_hw)), out.getvalue())


NOISE_TILE = 512


def colour_noise(pixels: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise on an RGB uint8 image: a luminance tile shared by the channels plus weaker chroma."""
    h, w = pixels.shape[:2]
    tile = rng.standard_normal((NOISE_TILE, NOISE_TILE, 3)).astype(np.float32)
    tile = (tile[..., :1] * np.float32(sigma) + tile * np.float32(0.4 * sigma)).round().astype(np.int16)
    reps = (-(-h // NOISE_TILE) + 1, -(-w // NOISE_TILE) + 1, 1)
    dy, dx = rng.integers(0, NOISE_TILE, 2)
    noisy = np.tile(tile, reps)[dy : dy + h, dx : dx + w]
    noisy += pixels
    np.clip(noisy, 0, 255, out=noisy)
    return noisy.astype(np.uint8)
