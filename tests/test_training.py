"""Training: a few steps lower the loss; the detector round-trips through its file; a NaN loss
stops training with one line; precision `auto` keeps bf16 only where it is sound and fast; a run
estimated beyond the CPU budget stops before its first epoch."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import foot_landmarks.training as training
from foot_landmarks.codecs import GaussianHeatmapCodec, soft_argmax
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.training import (
    HeatmapLoss,
    NonFiniteLossError,
    StepProbe,
    TrainingTooLongError,
    check_cpu_budget,
    check_precision,
    choose_precision,
    train_detector,
)

TINY = {"architecture": "light", "encoder": "resnet18", "encoder_weights": "none", "input_size": [64, 32],
        "stride": 4, "decoder_channels": 16, "sigma": 1.5, "decoder": "dark"}


def _blobs(n: int, seed: int = 0):
    """Images with 8 bright dots at known places: a task a network can learn in a few steps."""
    rng = np.random.default_rng(seed)
    h, w = TINY["input_size"]
    base = np.array([[6, 8], [10, 6], [14, 7], [18, 9], [22, 12], [6, 30], [26, 30], [16, 58]], float)
    keypoints = base + rng.normal(0, 1.5, size=(n, 8, 2))
    yy, xx = np.mgrid[0:h, 0:w]
    images = np.zeros((n, h, w))
    for i in range(n):
        for x, y in keypoints[i]:
            images[i] += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 4.0)
    return (np.clip(images, 0, 1) * 255).astype(np.uint8), keypoints.astype(np.float32), np.ones((n, 8), np.float32)


def test_a_few_training_epochs_lower_the_loss():
    train, valid = _blobs(32, 0), _blobs(8, 1)
    params = {"epochs": 4, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 3.0, "elastic_px": 2.0, "seed": 0,
              "coord_loss_weight": 1e-3}
    detector, history = train_detector(train, valid, TINY, params)
    assert list(history.columns) == ["epoch", "train_loss", "valid_loss", "valid_nmae"]
    assert len(history) == 4
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert detector.info["encoder_weights_used"] == "none"
    points, confidence = detector.predict(valid[0])
    assert points.shape == (8, 8, 2) and confidence.shape == (8, 8)


def test_detector_file_round_trip_gives_the_same_points(tmp_path):
    detector = LandmarkDetector.create(TINY)
    images = _blobs(2)[0]
    before, _ = detector.predict(images)
    path = detector.save(tmp_path / "d.pt", half=False)
    after, _ = LandmarkDetector.load(path).predict(images)
    np.testing.assert_allclose(after, before, atol=1e-4)


def test_heatmap_loss_is_zero_for_the_exact_target_and_soft_argmax_finds_the_peak():
    codec = GaussianHeatmapCodec((64, 32), stride=4, sigma=1.5)
    keypoints = torch.tensor(_blobs(3)[1])
    target = codec.encode_torch(keypoints)
    loss = HeatmapLoss(codec, coord_weight=0.0)
    assert loss(target, keypoints, torch.ones(3, 8)).item() == pytest.approx(0.0, abs=1e-9)
    assert loss(target * 0, keypoints, torch.ones(3, 8)).item() > 0
    # the windowed centroid of a Gaussian is its centre, and a background far from the peak does
    # not pull it toward the map's middle (a whole-map softmax would)
    points = torch.tensor([[[30.3, 30.1], [12.2, 14.6]] * 4])
    maps = GaussianHeatmapCodec((64, 64), stride=4, sigma=1.5).encode_torch(points)
    expected = ((points + 0.5) / 4 - 0.5).numpy()
    # (the window, centred on the peak pixel, cuts the tails unevenly: a few hundredths of a px)
    np.testing.assert_allclose(soft_argmax(maps, radius=3).numpy(), expected, atol=0.05)
    background = maps.clone()
    background[..., 10:, 10:] += 0.05  # far from both peaks
    np.testing.assert_allclose(soft_argmax(background, radius=3).numpy(), expected, atol=0.05)


LEARNS_IN_PRECISION = """
import sys
import torch
sys.path.insert(0, {tests!r})
from test_training import TINY, _blobs
from foot_landmarks.training import train_detector

train, valid = _blobs(32, 0), _blobs(8, 1)
params = {{"epochs": 3, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 0.0, "seed": 0, "precision": {precision!r}}}
detector, history = train_detector(train, valid, TINY, params)
assert detector.info["precision"] == {precision!r}, detector.info
assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0], history
assert next(detector.network.parameters()).dtype == torch.float32  # weights stay fp32
print("learned", history["train_loss"].iloc[0], "->", history["train_loss"].iloc[-1])
"""


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_runs_and_learns_in_each_precision(precision):
    """fp32 and bf16 autocast both train when asked for; the run records which. In a process whose
    oneDNN is held to AVX512_CORE_BF16: on an Intel Xeon with AMX, oneDNN's AMX bf16 kernels gave
    NaN from the second batch of this tiny network (issue 20), which `auto` now detects and avoids
    (test_auto_precision_falls_back_to_fp32_when_bf16_gives_nan); an explicit bf16 stops at the NaN."""
    code = LEARNS_IN_PRECISION.format(tests=os.path.dirname(__file__), precision=precision)
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "learned" in run.stdout


def _tiny_probe(precision: str, losses, seconds_per_step: float, batch_size: int = 8) -> StepProbe:
    return StepProbe(precision, tuple(losses), seconds_per_step, batch_size)


def test_bf16_is_chosen_only_when_sound_and_faster():
    fp32 = _tiny_probe("fp32", [0.170, 0.150, 0.131], 1.0)
    assert choose_precision(fp32, _tiny_probe("bf16", [0.171, 0.151, 0.130], 0.5))[0] == "bf16"
    precision, why = choose_precision(fp32, _tiny_probe("bf16", [0.170, float("nan"), float("nan")], 0.5))
    assert precision == "fp32" and "non-finite loss at probe step 2" in why and "ONEDNN_MAX_CPU_ISA" in why
    precision, why = choose_precision(fp32, _tiny_probe("bf16", [0.170, 0.150, 0.160], 0.5))  # 22 % off at step 3
    assert precision == "fp32" and "differ from fp32 by up to 22.1%" in why
    precision, why = choose_precision(fp32, _tiny_probe("bf16", [0.170, 0.150, 0.131], 1.3))
    assert precision == "fp32" and "not faster" in why
    assert choose_precision(fp32, None) == ("fp32", "no native bf16 on this device (emulated bf16 is slower than fp32)")


class NanUnderAutocastAfterFirstStep(torch.nn.Module):
    """The failure seen with oneDNN's AMX kernels, on any CPU: under bf16 autocast the first
    forward pass is fine and every later one gives NaN; fp32 is untouched."""

    def __init__(self, network: torch.nn.Module):
        super().__init__()
        self.network = network
        self.autocast_calls = 0

    def forward(self, x):
        out = self.network(x)
        if torch.is_autocast_enabled("cpu") or torch.is_autocast_enabled("cuda"):
            self.autocast_calls += 1
            if self.autocast_calls > 1:
                return out * float("nan")
        return out


def test_auto_precision_falls_back_to_fp32_when_bf16_gives_nan(monkeypatch):
    create = LandmarkDetector.create

    def create_failing(config):
        detector = create(config)
        detector.network = NanUnderAutocastAfterFirstStep(detector.network)
        return detector

    monkeypatch.setattr(training, "native_bf16", lambda device: True)  # whatever this CPU has
    monkeypatch.setattr(training.LandmarkDetector, "create", staticmethod(create_failing))
    train, valid = _blobs(32, 0), _blobs(8, 1)
    params = {"epochs": 2, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 0.0, "seed": 0, "precision": "auto"}
    detector, history = train_detector(train, valid, TINY, params)
    assert detector.info["precision"] == "fp32"
    assert "non-finite loss at probe step 2" in detector.info["precision_reason"]
    assert np.isfinite(history[["train_loss", "valid_loss"]].to_numpy()).all()


def test_the_precision_check_compares_the_same_weights_over_its_optimiser_steps():
    torch.manual_seed(0)
    network = LandmarkDetector.create(TINY).network
    before = {k: v.clone() for k, v in network.state_dict().items()}
    images, keypoints, visible = _blobs(8, 0)
    batch = (training.to_network_input(torch.as_tensor(images)), torch.as_tensor(keypoints), torch.as_tensor(visible))
    loss = HeatmapLoss(GaussianHeatmapCodec((64, 32), stride=4, sigma=1.5))
    precision, why, probe = check_precision(network, loss, batch, 3e-3, "fp32", native=True)
    assert (precision, probe.precision, len(probe.losses)) == ("fp32", "fp32", training.PROBE_STEPS)
    assert probe.losses[2] < probe.losses[0]  # two Adam steps on one batch lower its loss
    # the probe trains a copy: the network to be trained keeps its initial weights
    assert all(torch.equal(before[k], v) for k, v in network.state_dict().items())
    again = check_precision(network, loss, batch, 3e-3, "fp32", native=True)[2]
    np.testing.assert_allclose(again.losses, probe.losses, rtol=1e-6)


def _fail_from_call(n: int):
    """HeatmapLoss.forward that returns NaN from its n-th call on (and counts its calls)."""
    forward = HeatmapLoss.forward
    calls = []

    def patched(self, pred, keypoints, visible):
        calls.append(1)
        loss = forward(self, pred, keypoints, visible)
        return loss * float("nan") if len(calls) >= n else loss

    return patched, calls


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_nan_loss_stops_training_with_one_line(monkeypatch, precision):
    probe = _tiny_probe(precision, [0.2, 0.19, 0.18], 0.01)
    monkeypatch.setattr(training, "check_precision", lambda *a, **k: (precision, "test", probe))
    patched, calls = _fail_from_call(2)
    monkeypatch.setattr(HeatmapLoss, "forward", patched)
    train, valid = _blobs(32, 0), _blobs(8, 1)
    params = {"epochs": 3, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 0.0, "seed": 0, "precision": precision}
    with pytest.raises(NonFiniteLossError) as stopped:
        train_detector(train, valid, TINY, params, name="resnet18_light_s4")
    message = str(stopped.value)
    assert "\n" not in message
    assert message.startswith("resnet18_light_s4 (resnet18): training stopped at a non-finite loss (nan)")
    assert f"epoch 1/3, training batch 2/4, precision {precision}" in message
    if precision == "bf16":
        assert "`precision: fp32`" in message and "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16" in message
    assert len(calls) == 2  # stopped at the first NaN: no later batch, no validation pass


def test_cpu_estimate_is_epochs_times_images_times_the_per_image_cost():
    line = check_cpu_budget("v", 0.5, 28, 1035, max_hours=5.0, allowed=False)  # 0.5 x 28 x 1035 s = 4.025 h
    assert line == "v: estimated CPU training time 4.03 h (500.0 ms per image x 28 epochs x 1035 images)"
    with pytest.raises(TrainingTooLongError, match=r"4.03 h .* exceeds training.max_cpu_hours = 1: .*"
                                                   r"kedro run --pipeline training --namespaces resnet18_light_s4"):
        check_cpu_budget("v", 0.5, 28, 1035, max_hours=1.0, allowed=False)
    assert check_cpu_budget("v", 0.5, 28, 1035, max_hours=1.0, allowed=True).startswith("v: estimated")


def test_a_long_cpu_run_stops_before_its_first_epoch_unless_allowed(monkeypatch):
    # a stubbed per-image cost of 20 s: 2 epochs x 32 images = 0.36 h
    monkeypatch.setattr(training, "best_device", lambda: torch.device("cpu"))
    monkeypatch.setattr(training, "probe_training_steps", lambda *a, **k: _tiny_probe("fp32", [0.2] * 3, 160.0))
    fits = []

    class FitReached(Exception):
        pass

    def fit(self, *args, **kwargs):
        fits.append(1)
        raise FitReached

    monkeypatch.setattr(training.Learner, "fit_one_cycle", fit, raising=False)
    train, valid = _blobs(32, 0), _blobs(8, 1)
    params = {"epochs": 2, "batch_size": 8, "seed": 0, "precision": "fp32", "max_cpu_hours": 0.25}
    with pytest.raises(TrainingTooLongError) as stopped:
        train_detector(train, valid, TINY, params, name="resnet50_333x256")
    assert "resnet50_333x256 (resnet18): estimated CPU training time 0.36 h" in str(stopped.value)
    assert "kedro run --pipeline training --namespaces resnet18_light_s4" in str(stopped.value)
    assert fits == []  # stopped before the first epoch
    with pytest.raises(FitReached):
        train_detector(train, valid, TINY, {**params, "allow_long_cpu_run": True})
    assert fits == [1]


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision must be auto, bf16 or fp32"):
        train_detector(_blobs(8, 0), _blobs(8, 1), TINY, {"epochs": 1, "precision": "fp8"})


def test_int8_weights_are_a_quarter_of_fp32_and_move_points_by_a_hair(tmp_path):
    torch.manual_seed(0)
    detector = LandmarkDetector.create(TINY)
    images = _blobs(4)[0]
    heatmaps = detector.predict_heatmaps(images)
    sizes = {w: detector.save(tmp_path / f"{w}.pt", weights=w).stat().st_size for w in ("int8", "fp16", "fp32")}
    assert sizes["int8"] < 0.3 * sizes["fp32"] and sizes["fp16"] < 0.55 * sizes["fp32"]
    loaded = LandmarkDetector.load(tmp_path / "int8.pt")
    assert loaded.info["weights_format"] == "int8"
    quantised = loaded.predict_heatmaps(images)
    # per-channel int8 keeps every weight within half a step (max|w| / 254) of its value
    assert np.abs(quantised - heatmaps).max() < 0.05 * np.abs(heatmaps).max()
    with pytest.raises(ValueError, match="weights must be one of"):
        detector.save(tmp_path / "x.pt", weights="int4")
