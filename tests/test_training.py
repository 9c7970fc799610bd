"""Training: a few steps lower the loss; the detector round-trips through its file."""

import numpy as np
import pytest
import torch

from foot_landmarks.codecs import GaussianHeatmapCodec
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.training import HeatmapLoss, soft_argmax, train_detector

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
    params = {"epochs": 4, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 3.0, "seed": 0, "coord_loss_weight": 1e-3}
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


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_runs_and_learns_in_each_precision(precision):
    """bf16 autocast (CUDA, or a CPU with native bf16) and fp32 both train; the run records which."""
    train, valid = _blobs(32, 0), _blobs(8, 1)
    params = {"epochs": 3, "lr": 3e-3, "batch_size": 8, "rotation_degrees": 0.0, "seed": 0, "precision": precision}
    detector, history = train_detector(train, valid, TINY, params)
    assert detector.info["precision"] == precision
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert next(detector.network.parameters()).dtype == torch.float32  # weights stay fp32


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
