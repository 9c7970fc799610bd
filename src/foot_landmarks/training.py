"""Training a LandmarkDetector with fastai: data on the device, heatmaps made on the fly.

- Batches carry uint8 images and landmark coordinates, never stored heatmaps: the augmentation
  (random rotation, the study's +-3 deg) moves image and points together on the device, and the
  loss encodes the Gaussian targets from the moved points there (foot_landmarks.codecs).
- Loss: MSE on heatmaps (the study) plus, optionally, an L1 loss on soft-argmax coordinates
  (integral regression), which gives low-resolution heatmaps a sub-pixel gradient.
- CUDA is used when present; on CPU, all cores. Precision `auto` takes bf16 autocast +
  channels_last only where it is fast AND sound here (`check_precision`: a few optimiser steps of
  the actual network on one real batch, bf16 against fp32 from the same weights); on 2 AMD EPYC
  cores with AVX512-BF16 bf16 gives 2.15x the fp32 images/s of the light variant, while oneDNN's
  AMX bf16 kernels on an Intel Xeon gave NaN from the second batch of a tiny network.
- A NaN or infinite loss stops training at once (`StopOnNonFiniteLoss` -> NonFiniteLossError),
  before the weights are stepped with it, so nothing downstream evaluates or registers the model.
- Without CUDA each run is timed before its first epoch; a run estimated beyond
  `max_cpu_hours` stops with the estimate (TrainingTooLongError) unless `allow_long_cpu_run`.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import fastai.callback.fp16  # noqa: F401  (adds Learner.to_bf16)
import fastai.callback.schedule  # noqa: F401  (adds Learner.fit_one_cycle)
from fastai.callback.core import Callback, CancelFitException
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.learner import Learner, Metric
from fastai.optimizer import Adam
from fastai.torch_core import set_seed
from torch import nn

from foot_landmarks.augment import erased_bars, random_elastic, random_rotate, touching_marks
from foot_landmarks.codecs import GaussianHeatmapCodec, soft_argmax
from foot_landmarks.detector import LandmarkDetector, best_device, native_bf16, normalise, to_network_input
from foot_landmarks.metrics import nmae

log = logging.getLogger(__name__)


@dataclass
class LandmarkTensors:
    """Images (N, 1, H, W) uint8 and landmarks (N, 8, 2) input px, visible (N, 8), on one device."""

    images: torch.Tensor
    keypoints: torch.Tensor
    visible: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.keypoints[i], self.visible[i]

    @classmethod
    def from_arrays(cls, images: np.ndarray, keypoints: np.ndarray, visible: np.ndarray, device) -> "LandmarkTensors":
        return cls(
            torch.as_tensor(np.ascontiguousarray(images)[:, None], device=device),
            torch.as_tensor(keypoints, dtype=torch.float32, device=device),
            torch.as_tensor(visible, dtype=torch.float32, device=device),
        )


class HeatmapLoss(nn.Module):
    """MSE between predicted and Gaussian target heatmaps (+ optional integral L1 on coordinates)."""

    def __init__(self, codec: GaussianHeatmapCodec, coord_weight: float = 0.0):
        super().__init__()
        self.codec, self.coord_weight = codec, coord_weight
        self.radius = max(1, round(2 * codec.sigma))

    def forward(self, pred: torch.Tensor, keypoints: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        pred = pred.float()
        target = self.codec.encode_torch(keypoints)
        weight = self.codec.keypoint_weights_torch(keypoints)  # points rotated out of frame drop out
        per_map = ((pred - target) ** 2).mean(dim=(2, 3))
        loss = (per_map * weight).sum() / weight.sum().clamp(min=1)
        if self.coord_weight > 0:
            target_uv = (keypoints + 0.5) / self.codec.stride - 0.5
            l1 = (soft_argmax(pred, self.radius) - target_uv).abs().sum(-1)
            loss = loss + self.coord_weight * (l1 * weight).sum() / weight.sum().clamp(min=1)
        return loss


class DeviceAugmentation(Callback):
    """uint8 batch -> normalised float; marks touching the print, a random rotation and an elastic
    warp (training only) applied to image and points."""

    order = 10

    def __init__(self, max_degrees: float, max_scale: float = 0.0, seed: int = 0, channels_last: bool = False,
                 touching_marks: float = 0.0, elastic_px: float = 0.0, max_shift: float = 0.0,
                 erased_bars: float = 0.0):
        self.max_degrees, self.max_scale, self.max_shift = max_degrees, max_scale, max_shift
        self.erased_bars = erased_bars
        self.elastic_px = elastic_px
        self.touching_marks = touching_marks
        self.channels_last = channels_last
        self.generator = torch.Generator().manual_seed(seed)

    def before_batch(self):
        images, keypoints, visible = self.xb[0], self.yb[0], self.yb[1]
        x = images.float() / 255.0
        if self.training and self.touching_marks > 0:
            x = touching_marks(x, keypoints, self.touching_marks, self.generator)
        if self.training and self.erased_bars > 0:
            x = erased_bars(x, keypoints, self.erased_bars, self.generator)
        if self.training and (self.max_degrees > 0 or self.max_scale > 0 or self.max_shift > 0):
            x, keypoints = random_rotate(x, keypoints, self.max_degrees, self.max_scale, self.generator, self.max_shift)
        if self.training and self.elastic_px > 0:
            x, keypoints = random_elastic(x, keypoints, self.elastic_px, self.generator)
        # Rotate before normalising so the corners fill with black, like the background.
        x = normalise(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        self.learn.xb, self.learn.yb = (x,), (keypoints, visible)


class CpuBf16Autocast(Callback):
    """bf16 autocast around the forward pass on CPU (fastai's MixedPrecision is CUDA-only).
    Weights and optimiser stay fp32; the loss casts predictions back to fp32."""

    order = 11

    autocast = None

    def before_batch(self):
        self.autocast = torch.autocast("cpu", dtype=torch.bfloat16)
        self.autocast.__enter__()

    def after_pred(self):
        if self.autocast is not None:
            self.autocast.__exit__(None, None, None)
            self.autocast = None

    after_cancel_batch = after_pred


class InputFrameNMAE(Metric):
    """Validation NMAE (study eq. 1) of the decoded heatmaps, in the network's input frame."""

    def __init__(self, codec: GaussianHeatmapCodec):
        self.codec = codec

    def reset(self):
        self.preds, self.truths = [], []

    def accumulate(self, learn):
        points, _ = self.codec.decode(learn.pred.detach().float())
        self.preds.append(points)
        self.truths.append(learn.yb[0].detach().cpu().numpy())

    @property
    def value(self):
        if not self.preds:
            return None
        return float(nmae(np.concatenate(self.preds), np.concatenate(self.truths)))

    @property
    def name(self):
        return "valid_nmae"


def _loader(data: LandmarkTensors, batch_size: int, shuffle: bool, device, seed: int) -> DataLoader:
    dl = DataLoader(data, bs=batch_size, shuffle=shuffle, drop_last=shuffle and len(data) > batch_size, device=device)
    dl.n_inp = 1  # (image,) are inputs; (keypoints, visible) are targets
    dl.rng.seed(seed)
    return dl


def training_flop_per_image(network: nn.Module, input_size: tuple[int, int]) -> float:
    """Forward + backward FLOP of one image, counted by torch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    network = network.train()
    x = torch.zeros(2, 1, *input_size)
    with FlopCounterMode(display=False) as counter:
        network(x).float().sum().backward()
    network.zero_grad(set_to_none=True)
    return counter.get_total_flops() / 2


# --- stopping on a non-finite loss ---------------------------------------------------------


class NonFiniteLossError(RuntimeError):
    """Training met a NaN or infinite loss; it stopped before stepping the weights with it."""


class TrainingTooLongError(RuntimeError):
    """Without CUDA, the estimated training time exceeds `max_cpu_hours`."""


ONEDNN_SOUND_ISA = "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16"  # bf16 without oneDNN's AMX kernels


def non_finite_loss_message(run: str, loss: float, epoch: int, n_epochs: int, batch: int, n_batches: int,
                            phase: str, precision: str) -> str:
    """The one line a non-finite loss stops training with: where, in which precision, what to try."""
    if precision == "bf16":
        advice = (f"set `precision: fp32` in this variant's training parameters, or run with {ONEDNN_SOUND_ISA} "
                  "(bf16 without oneDNN's AMX kernels)")
    else:
        advice = "lower `lr`, or check the training points (a NaN coordinate) and images"
    return (f"{run}: training stopped at a non-finite loss ({loss}) in epoch {epoch}/{n_epochs}, {phase} batch "
            f"{batch}/{n_batches}, precision {precision}: {advice}; nothing was registered")


class StopAtTimeLimit(Callback):
    """Cancels the fit after the training batch that passes `seconds` (a fine-tune bounded in
    minutes); the epochs finished so far stay in the history."""

    def __init__(self, seconds: float):
        self.seconds, self.stopped = seconds, False  # the clock starts in before_fit

    def before_fit(self):
        self.started = time.perf_counter()

    def after_batch(self):
        if self.training and time.perf_counter() - self.started > self.seconds:
            self.stopped = True
            raise CancelFitException()


def epochs_within(minutes: float, seconds_per_image: float, n_train: int, n_valid: int, epochs: int) -> int:
    """The most epochs, at most `epochs` and at least one, whose estimated time fits `minutes`: a
    training step per training image, about a third of one per validation image."""
    per_epoch = seconds_per_image * (n_train + n_valid / 3)
    return max(1, min(epochs, int(minutes * 60 / max(per_epoch, 1e-9))))


class StopOnNonFiniteLoss(Callback):
    """Cancels the fit at the first NaN/inf loss, before backward and the optimiser step.

    The message is kept in `problem` for the caller to raise: an exception raised inside a fastai
    callback gets a multi-line prefix added to its message."""

    def __init__(self, run: str, precision: str):
        self.run, self.precision = run, precision
        self.problem: str | None = None

    def after_loss(self):
        loss = self.learn.loss_grad.detach()
        if bool(torch.isfinite(loss).all()):
            return
        self.problem = non_finite_loss_message(
            self.run, float(loss.float().mean()), self.epoch + 1, self.n_epoch, self.iter + 1, self.n_iter,
            "training" if self.training else "validation", self.precision,
        )
        raise CancelFitException()


# --- choosing the precision: fast and sound on this machine ----------------------------------

PROBE_STEPS = 5  # losses at the first weights and after up to four optimiser steps
WARM_UP_STEPS = 2  # not timed: the first steps pay for allocations and oneDNN's kernel selection
COMPARED_STEPS = 3  # losses compared between bf16 and fp32: at the first weights and after two steps
# Largest relative difference between bf16 and fp32 losses over the probe's steps that still
# counts as the same training. bf16 keeps 8 mantissa bits (relative rounding 2^-9 = 0.2 % per
# value), and Adam's first steps (each weight moved by ~lr whatever its gradient's size) carry
# that into the next loss: on the CPU profile (16 generated feet, 2 AMD EPYC cores, AVX512-BF16)
# bf16 was 0.02 %, 1.1 % and 0.09 % off fp32 at the three steps. 5 % is 4.5x that; a broken
# kernel gives NaN (AMX, issue 20) or a loss off by tens of percent, far outside it.
BF16_LOSS_TOLERANCE = 0.05


@dataclass(frozen=True)
class StepProbe:
    """A few optimiser steps of one network copy on one batch: the loss before each step and the
    median seconds per step after the warm-up steps (which pay for allocations and kernel
    selection: measured, a bf16 step's first two cost 1.5-3x a later one on 2 AMD EPYC cores)."""

    precision: str
    losses: tuple[float, ...]
    seconds_per_step: float
    batch_size: int

    @property
    def seconds_per_image(self) -> float:
        return self.seconds_per_step / max(self.batch_size, 1)


def probe_training_steps(network: nn.Module, loss_func: nn.Module, batch: tuple[torch.Tensor, ...], precision: str,
                         lr: float, steps: int = PROBE_STEPS) -> StepProbe:
    """`steps` Adam steps of a copy of `network` (the original and the RNG streams are untouched)
    on `batch` = (normalised images, keypoints, visible), fp32 or under bf16 autocast."""
    images, keypoints, visible = batch
    device = images.device
    net = copy.deepcopy(network).to(device).train()
    bf16 = precision == "bf16"
    if bf16:
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    losses, seconds = [], []
    with torch.random.fork_rng(devices=[] if device.type != "cuda" else [device.index or 0]):
        for _ in range(steps):
            started = time.perf_counter()
            optimiser.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                pred = net(images)
            loss = loss_func(pred, keypoints, visible)
            loss.backward()
            optimiser.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds.append(time.perf_counter() - started)
            losses.append(float(loss.detach()))
    timed = seconds[WARM_UP_STEPS:] or seconds
    return StepProbe(precision, tuple(losses), float(np.median(timed)), len(images))


def largest_relative_difference(losses: tuple[float, ...], reference: tuple[float, ...]) -> float:
    return max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(losses, reference))


def choose_precision(fp32: StepProbe, bf16: StepProbe | None,
                     tolerance: float = BF16_LOSS_TOLERANCE) -> tuple[str, str]:
    """(precision, why) from the probes: bf16 only where it ran (native bf16), every bf16 loss is
    finite and within `tolerance` (relative) of fp32's, and a bf16 step is faster."""
    if bf16 is None:
        return "fp32", "no native bf16 on this device (emulated bf16 is slower than fp32)"
    steps = len(bf16.losses)
    bad = [k for k, loss in enumerate(bf16.losses, start=1) if not math.isfinite(loss)]
    if bad:
        return "fp32", (f"bf16 autocast gave a non-finite loss at probe step {bad[0]} of {steps} (fp32: "
                        f"{fp32.losses[bad[0] - 1]:.4g}); bf16 without oneDNN's AMX kernels: {ONEDNN_SOUND_ISA}")
    # the losses of the first COMPARED_STEPS steps: later ones part ways by Adam's own dynamics
    difference = largest_relative_difference(bf16.losses[:COMPARED_STEPS], fp32.losses[:COMPARED_STEPS])
    if difference > tolerance:
        return "fp32", (f"bf16 losses differ from fp32 by up to {difference:.1%} over {COMPARED_STEPS} optimiser steps "
                        f"(tolerance {tolerance:.0%})")
    speedup = fp32.seconds_per_step / max(bf16.seconds_per_step, 1e-12)
    if speedup <= 1.0:
        return "fp32", (f"bf16 is sound (losses within {difference:.2%} of fp32) but not faster "
                        f"({bf16.seconds_per_step:.3g} s vs {fp32.seconds_per_step:.3g} s per step)")
    return "bf16", (f"bf16 is sound (losses within {difference:.2%} of fp32 over {COMPARED_STEPS} optimiser steps) and "
                    f"{speedup:.2f}x faster ({bf16.seconds_per_step:.3g} s vs {fp32.seconds_per_step:.3g} s per step)")


def check_precision(network: nn.Module, loss_func: nn.Module, batch: tuple[torch.Tensor, ...], lr: float,
                    requested: str, native: bool) -> tuple[str, str, StepProbe]:
    """(precision, why, the chosen precision's probe). `requested`: auto, bf16 or fp32; only
    `auto` compares the two (a requested precision is timed, for the estimate, and kept)."""
    if requested != "auto":
        probe = probe_training_steps(network, loss_func, batch, requested, lr)
        return requested, "requested in the training parameters", probe
    fp32 = probe_training_steps(network, loss_func, batch, "fp32", lr)
    bf16 = probe_training_steps(network, loss_func, batch, "bf16", lr) if native else None
    precision, why = choose_precision(fp32, bf16)
    return precision, why, bf16 if precision == "bf16" else fp32


# --- estimating the CPU time ------------------------------------------------------------------

CPU_PROFILE_COMMAND = "kedro run --pipeline training --namespaces resnet18_light_s4"


def estimated_hours(seconds_per_image: float, epochs: int, n_images: int) -> float:
    """Training time from the per-image cost of a training step (validation passes not counted)."""
    return seconds_per_image * epochs * n_images / 3600.0


def check_cpu_budget(run: str, seconds_per_image: float, epochs: int, n_images: int, max_hours: float,
                     allowed: bool) -> str:
    """The estimate as one line; raises TrainingTooLongError beyond `max_hours` unless `allowed`."""
    hours = estimated_hours(seconds_per_image, epochs, n_images)
    estimate = (f"{run}: estimated CPU training time {hours:.2f} h ({seconds_per_image * 1000:.1f} ms per image x "
                f"{epochs} epochs x {n_images} images)")
    if hours > max_hours and not allowed:
        raise TrainingTooLongError(
            f"{estimate} exceeds training.max_cpu_hours = {max_hours:g}: train the CPU profile instead "
            f"(`{CPU_PROFILE_COMMAND}`), or set `allow_long_cpu_run: true` in this variant's training parameters"
        )
    return estimate


def _probe_batch(train: tuple[np.ndarray, np.ndarray, np.ndarray], batch_size: int, device) -> tuple[torch.Tensor, ...]:
    """The first training images as the network sees them (normalised, not rotated)."""
    images, keypoints, visible = (a[:batch_size] for a in train)
    return (
        to_network_input(torch.as_tensor(np.ascontiguousarray(images), device=device)),
        torch.as_tensor(keypoints, dtype=torch.float32, device=device),
        torch.as_tensor(visible, dtype=torch.float32, device=device),
    )


def run_label(model_params: dict, name: str | None = None) -> str:
    """How messages name a training run: the variant, or its architecture, encoder and input size."""
    if name:
        return f"{name} ({model_params.get('encoder', '?')})"
    height, width = model_params.get("input_size", ("?", "?"))
    return f"{model_params.get('architecture', 'unet')} {model_params.get('encoder', '?')} {height}x{width}"


def train_detector(
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray, np.ndarray],
    model_params: dict,
    training_params: dict,
    name: str | None = None,
    initial_network: nn.Module | None = None,
) -> tuple[LandmarkDetector, pd.DataFrame]:
    """Train a detector on (images uint8 (N,H,W), keypoints (N,8,2), visible (N,8)) in input px.

    `initial_network` (a network built for `model_params`, e.g. a registered detector's): training
    starts from a copy of its weights (fine-tuning) instead of the configured initialisation; the
    network given is left untouched. `training_params.max_minutes` (optional) bounds the whole
    call: the epochs are cut to fit the timed estimate, and training stops at the limit regardless.

    Returns the detector (on CPU, eval mode) and the per-epoch history
    (epoch, train_loss, valid_loss, valid_nmae). `name` (the variant) labels log lines and errors.
    Raises NonFiniteLossError at the first NaN/inf loss and, without CUDA, TrainingTooLongError
    when the estimate exceeds `max_cpu_hours` (default 3) and `allow_long_cpu_run` is not set.
    """
    precision = str(training_params.get("precision", "auto"))
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"training.precision must be auto, bf16 or fp32, got {precision!r}")
    called = time.perf_counter()
    run = run_label(model_params, name)
    if len(train[0]) == 0:
        raise ValueError(f"{run}: no training images (the `train` split is empty)")
    seed = int(training_params.get("seed", 0))
    set_seed(seed)
    device = best_device()
    if device.type == "cpu":
        torch.set_num_threads(int(training_params.get("threads") or os.cpu_count() or 1))
    if initial_network is None:
        detector = LandmarkDetector.create(model_params)
    else:
        detector = LandmarkDetector(dict(model_params), copy.deepcopy(initial_network),
                                    {"encoder_weights_used": "fine-tuned from the given network's weights"})
    codec = detector.codec()
    loss_func = HeatmapLoss(codec, float(training_params.get("coord_loss_weight", 0.0)))
    lr = float(training_params.get("lr", 1e-4))
    batch_size = int(training_params.get("batch_size", 8))
    epochs = int(training_params.get("epochs", 26))
    network = detector.network.to(device)

    precision, why, probe = check_precision(network, loss_func, _probe_batch(train, batch_size, device), lr,
                                            precision, native_bf16(device))
    log.info("%s: precision %s (%s)", run, precision, why)
    if device.type == "cpu":
        log.info("%s", check_cpu_budget(run, probe.seconds_per_image, epochs, len(train[0]),
                                        float(training_params.get("max_cpu_hours", 3.0)),
                                        bool(training_params.get("allow_long_cpu_run", False))))
    max_minutes = training_params.get("max_minutes")
    time_limit = []
    if max_minutes:
        remaining = float(max_minutes) * 60 - (time.perf_counter() - called)
        fitting = epochs_within(remaining / 60, probe.seconds_per_image, len(train[0]), len(valid[0]), epochs)
        if fitting < epochs:
            log.info("%s: %d of %d epochs fit max_minutes = %g", run, fitting, epochs, float(max_minutes))
        epochs, time_limit = fitting, [StopAtTimeLimit(remaining)]

    bf16 = precision == "bf16"
    if bf16:
        network = network.to(memory_format=torch.channels_last)
    dls = DataLoaders(
        _loader(LandmarkTensors.from_arrays(*train, device), batch_size, True, device, seed),
        _loader(LandmarkTensors.from_arrays(*valid, device), batch_size * 2, False, device, seed),
        device=device,
    )
    guard = StopOnNonFiniteLoss(run, precision)
    learn = Learner(
        dls,
        network,
        loss_func=loss_func,
        opt_func=Adam,
        lr=lr,
        wd=float(training_params.get("weight_decay", 0.0)),
        metrics=[InputFrameNMAE(codec)],
        cbs=[DeviceAugmentation(float(training_params.get("rotation_degrees", 3.0)),
                                float(training_params.get("scale_jitter", 0.0)), seed, channels_last=bf16,
                                touching_marks=float(training_params.get("touching_marks", 0.0)),
                                elastic_px=float(training_params.get("elastic_px", 0.0)),
                                max_shift=float(training_params.get("shift_jitter", 0.0)),
                                erased_bars=float(training_params.get("erased_bars", 0.0))), guard,
             *time_limit],
    )
    if bf16 and device.type == "cuda":
        learn = learn.to_bf16()
    elif bf16:
        learn.add_cb(CpuBf16Autocast())
    started = time.perf_counter()
    if training_params.get("schedule", "one_cycle") == "one_cycle":
        learn.fit_one_cycle(epochs, lr)
    else:
        learn.fit(epochs, lr)
    if guard.problem:
        raise NonFiniteLossError(guard.problem)
    seconds = time.perf_counter() - started
    history = pd.DataFrame(
        [dict(zip(["train_loss", "valid_loss", "valid_nmae"], values)) for values in learn.recorder.values]
    )
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    learn.remove_cbs(learn.cbs.filter(lambda cb: isinstance(cb, DeviceAugmentation)))
    detector.network = network.to("cpu").to(memory_format=torch.contiguous_format).eval()
    detector.info.update(
        train_seconds=seconds,
        train_images=len(train[0]),
        epochs=epochs,
        device=str(device),
        precision=precision,
        precision_reason=why,
        train_images_per_second=epochs * len(train[0]) / max(seconds, 1e-9),
    )
    if time_limit and time_limit[0].stopped:
        detector.info.update(stopped_at_time_limit=True, epochs=len(history))
        log.warning("%s: stopped at max_minutes = %g after %d epochs", run, float(max_minutes), len(history))
    return detector, history
