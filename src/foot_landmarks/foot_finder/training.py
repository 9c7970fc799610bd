"""Training the foot finder with fastai on pages with known landmarks.

Each page is kept as a square canvas (its long side `CANVAS` px) with its feet's points; every
batch draws a new geometry per page (any rotation, a mirror, a zoom that may cut the page border,
a shift: one matrix for the page and its points), resamples the page into the finder's input,
adds what real pages add around a foot (foot_finder.augment), and renders the targets from the
moved points (foot_finder.targets). Loss: binary cross-entropy on the region, MSE on the heel /
toe / hallux heatmaps (weighted toward their peaks, which are a small share of the map).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import fastai.callback.schedule  # noqa: F401  (adds Learner.fit_one_cycle)
from fastai.callback.core import Callback
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.learner import Learner
from fastai.optimizer import Adam
from fastai.torch_core import set_seed

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder.augment import PageLooks, randomise_page
from foot_landmarks.foot_finder.model import MAP_STRIDE, FootFinder, to_finder_input
from foot_landmarks.foot_finder.page_input import border_median, letterbox
from foot_landmarks.foot_finder.targets import target_maps

log = logging.getLogger(__name__)
CANVAS = 320
MAX_FEET = 2
PEAK_WEIGHT = 20.0  # heatmap pixels weigh 1 + this x target: the peaks are a small share of the map


def page_canvas(gray: np.ndarray, feet: list[np.ndarray], size: int = CANVAS) -> tuple[np.ndarray, np.ndarray]:
    """A page letterboxed on a `size` square and its feet's points there: ((size, size) uint8,
    (MAX_FEET, 8, 2) float, NaN where a page has fewer feet)."""
    square, to_square = letterbox(gray, size)
    points = np.full((MAX_FEET, 8, 2), np.nan)
    for k, foot in enumerate(feet[:MAX_FEET]):
        points[k] = geo.apply_to_points(to_square, np.asarray(foot, float))
    return square, points


class CanvasSet:
    """Canvases (N, 1, C, C) uint8 and points (N, MAX_FEET, 8, 2) float, indexable for fastai."""

    def __init__(self, canvases: np.ndarray, points: np.ndarray):
        self.canvases = torch.as_tensor(canvases[:, None])
        self.points = torch.as_tensor(points, dtype=torch.float64)
        self.fill = torch.as_tensor([border_median(c) for c in canvases], dtype=torch.float32)

    def __len__(self) -> int:
        return len(self.canvases)

    def __getitem__(self, i):
        return self.canvases[i], self.fill[i], self.points[i]


SMALL_PAGE_ZOOM = (0.4, 0.75)  # of the fitted size: a page photographed from afar, a table around it


def random_geometry(
    rng: np.random.Generator, canvas: int, size: int, full_turns: float = 0.5, small_page: float = 0.0
) -> np.ndarray:
    """A canvas px -> input px matrix: rotation (any angle with probability `full_turns`, else
    about +-10 deg), mirror (half the time), zoom 0.75-1.35 of the fitted size (SMALL_PAGE_ZOOM
    with probability `small_page`), shift."""
    angle = rng.uniform(0, 360) if rng.random() < full_turns else rng.normal(0, 10)
    zoom = rng.uniform(*SMALL_PAGE_ZOOM) if small_page and rng.random() < small_page else rng.uniform(0.75, 1.35)
    scale = size / canvas * zoom
    steps = [geo.translation(-(canvas - 1) / 2, -(canvas - 1) / 2)]
    if rng.random() < 0.5:
        steps.append(np.diag([-1.0, 1.0, 1.0]))
    steps += [np.diag([scale, scale, 1.0]), geo.rotation(angle, (0.0, 0.0))]
    shift = (size - 1) / 2 + rng.uniform(-0.18, 0.18, 2) * size
    steps.append(geo.translation(*shift))
    return geo.compose(*steps)


def warp_to_input(canvases: torch.Tensor, fill: torch.Tensor, matrices: np.ndarray, size: int) -> torch.Tensor:
    """(B, 1, C, C) uint8 canvases resampled through `matrices` (canvas px -> input px) into
    (B, 1, size, size) float 0-255, outside the canvas filled with each page's border median."""
    b, _, h, w = canvases.shape
    to_norm_in = np.array([[2 / w, 0, 1 / w - 1], [0, 2 / h, 1 / h - 1], [0, 0, 1]])
    to_norm_out = np.array([[2 / size, 0, 1 / size - 1], [0, 2 / size, 1 / size - 1], [0, 0, 1]])
    theta = np.stack([to_norm_in @ np.linalg.inv(m) @ np.linalg.inv(to_norm_out) for m in matrices])
    grid = F.affine_grid(torch.as_tensor(theta[:, :2], dtype=torch.float32), [b, 1, size, size], align_corners=False)
    shifted = canvases.float() - fill[:, None, None, None]
    out = F.grid_sample(shifted, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill[:, None, None, None]


class PageRandomisation(Callback):
    """Batch (canvas, fill, points) -> (finder input, target maps); random on training batches,
    the plain letterboxed page on validation batches."""

    order = 10

    def __init__(self, size: int, seed: int = 0, looks: PageLooks = PageLooks()):
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.looks = looks

    def before_batch(self):
        canvases, fill = self.xb[0], self.xb[1]
        points = self.yb[0].cpu().numpy()
        canvas = canvases.shape[-1]
        if self.training:
            matrices = np.stack([random_geometry(self.rng, canvas, self.size, small_page=self.looks.small_page)
                                 for _ in range(len(canvases))])
        else:
            fitted = geo.compose(geo.translation(-(canvas - 1) / 2, -(canvas - 1) / 2),
                                 np.diag([self.size / canvas, self.size / canvas, 1.0]),
                                 geo.translation((self.size - 1) / 2, (self.size - 1) / 2))
            matrices = np.repeat(fitted[None], len(canvases), axis=0)
        images = warp_to_input(canvases.cpu(), fill.cpu(), matrices, self.size).clamp(0, 255).round().to(torch.uint8)
        map_hw = (self.size // MAP_STRIDE, self.size // MAP_STRIDE)
        to_map = geo.scale_matrix(1 / MAP_STRIDE, 1 / MAP_STRIDE)
        batch_images, targets = [], []
        corners = np.array([[0, 0], [canvas, 0], [canvas, canvas], [0, canvas]], float) - 0.5
        for image, m, page_points in zip(images[:, 0].numpy(), matrices, points):
            feet = [geo.apply_to_points(m, p) for p in page_points if np.all(np.isfinite(p))]
            if self.training:
                page = geo.apply_to_points(m, corners)
                # zoomed out below the fitted size: a small page, with a table around it
                small = abs(np.linalg.det(m[:2, :2])) < (SMALL_PAGE_ZOOM[1] * self.size / canvas) ** 2
                image = randomise_page(image, feet, self.rng, self.looks, page if small else None)
            batch_images.append(image)
            targets.append(target_maps([geo.apply_to_points(to_map, p) for p in feet], map_hw))
        x = to_finder_input(torch.from_numpy(np.stack(batch_images))[:, None])
        self.learn.xb, self.learn.yb = (x,), (torch.from_numpy(np.stack(targets)),)


def finder_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    region = F.binary_cross_entropy_with_logits(pred[:, 0], target[:, 0])
    weight = 1.0 + PEAK_WEIGHT * target[:, 1:]
    heat = (weight * (pred[:, 1:] - target[:, 1:]) ** 2).mean()
    return region + heat


def train_foot_finder(
    canvases: np.ndarray, points: np.ndarray, valid_share: float, params: dict
) -> tuple[FootFinder, pd.DataFrame]:
    """Train on canvases (N, C, C) uint8 with points (N, MAX_FEET, 8, 2); the last `valid_share`
    of pages monitor the loss. Returns the finder (CPU, eval) and its per-epoch history."""
    seed = int(params.get("seed", 0))
    set_seed(seed)
    torch.set_num_threads(int(params.get("threads") or torch.get_num_threads()))
    finder = FootFinder.create(int(params.get("input_size", 256)), tuple(params.get("widths", (16, 24, 32, 48, 64))))
    n_valid = max(1, int(round(valid_share * len(canvases))))
    train, valid = CanvasSet(canvases[:-n_valid], points[:-n_valid]), CanvasSet(canvases[-n_valid:], points[-n_valid:])
    batch_size = int(params.get("batch_size", 16))

    def loader(data: CanvasSet, shuffle: bool) -> DataLoader:
        dl = DataLoader(data, bs=batch_size, shuffle=shuffle, drop_last=shuffle)
        dl.n_inp = 2  # (canvas, fill) are inputs; points are the target
        dl.rng.seed(seed)
        return dl

    learn = Learner(
        DataLoaders(loader(train, True), loader(valid, False)),
        finder.network,
        loss_func=finder_loss,
        opt_func=Adam,
        lr=float(params.get("lr", 3e-3)),
        wd=float(params.get("weight_decay", 1e-4)),
        cbs=[PageRandomisation(finder.input_size, seed, PageLooks(**params.get("looks", {})))],
    )
    epochs = int(params.get("epochs", 30))
    started = time.perf_counter()
    with learn.no_bar():
        learn.fit_one_cycle(epochs, float(params.get("lr", 3e-3)))
    seconds = time.perf_counter() - started
    history = pd.DataFrame([dict(zip(["train_loss", "valid_loss"], v)) for v in learn.recorder.values])
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    learn.remove_cbs(learn.cbs.filter(lambda cb: isinstance(cb, PageRandomisation)))
    finder.network = finder.network.cpu().eval()
    finder.info.update(
        train_seconds=seconds, train_pages=len(train), epochs=epochs,
        pages_per_second=epochs * len(train) / max(seconds, 1e-9),
    )
    log.info("foot finder: %d epochs on %d pages in %.0f s", epochs, len(train), seconds)
    return finder, history


def canvases_from_pages(pages: list[tuple[np.ndarray, list[np.ndarray]]]) -> tuple[np.ndarray, np.ndarray]:
    """[(gray page, [foot points (8, 2) in page px])] -> stacked canvases and points."""
    out = [page_canvas(gray, feet) for gray, feet in pages]
    return np.stack([c for c, _ in out]), np.stack([p for _, p in out])

