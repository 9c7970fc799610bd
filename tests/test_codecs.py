"""GaussianHeatmapCodec: frames, targets, round trips, torch/numpy agreement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from foot_landmarks.codecs import GaussianHeatmapCodec


def random_points(rng: np.random.Generator, input_size: tuple[int, int], n: int = 8) -> np.ndarray:
    """(n, 8, 2) sub-pixel points anywhere inside the input image's pixel centres."""
    height, width = input_size
    return np.stack(
        [rng.uniform(0, width - 1, (n, 8)), rng.uniform(0, height - 1, (n, 8))], axis=-1
    )


def test_heatmap_size_and_pixel_centre_mapping() -> None:
    codec = GaussianHeatmapCodec((333, 256), stride=4)
    assert codec.heatmap_size == (84, 64)
    # the centre of input pixels 0..3 is the centre of heatmap pixel 0: x = 1.5 -> u = 0
    assert codec.to_heatmap_px(np.array([1.5, -0.5]))[0] == pytest.approx(0.0)
    assert codec.to_heatmap_px(np.array([-0.5]))[0] == pytest.approx(-0.5)
    xy = np.array([[12.3, 200.7]])
    np.testing.assert_allclose(codec.to_input_px(codec.to_heatmap_px(xy)), xy)


def test_encode_peaks_at_the_point_with_unit_height() -> None:
    codec = GaussianHeatmapCodec((40, 30), sigma=2.0)
    points = np.tile([[10.0, 20.0]], (8, 1))
    heatmaps, weights = codec.encode(points)
    assert heatmaps.shape == (8, 40, 30) and heatmaps.dtype == np.float32
    assert heatmaps[0, 20, 10] == pytest.approx(1.0)
    # one pixel away: exp(-1 / (2 sigma^2))
    assert heatmaps[0, 20, 11] == pytest.approx(np.exp(-1 / 8), rel=1e-6)
    np.testing.assert_array_equal(weights, np.ones(8))


@pytest.mark.parametrize("input_size", [(333, 256), (333, 128)])
def test_round_trip_stride_1(input_size: tuple[int, int]) -> None:
    points = random_points(np.random.default_rng(1), input_size)
    heatmaps, _ = GaussianHeatmapCodec(input_size, decoder="dark").encode(points)

    dark, confidence = GaussianHeatmapCodec(input_size, decoder="dark").decode(heatmaps)
    argmax, _ = GaussianHeatmapCodec(input_size, decoder="argmax").decode(heatmaps)
    soft, _ = GaussianHeatmapCodec(input_size, decoder="soft_argmax").decode(heatmaps)

    assert np.abs(dark - points).max() < 0.05
    assert np.abs(argmax - points).max() <= 0.5 + 1e-9
    assert np.abs(soft - points).max() < 0.5
    assert confidence.min() > 0.9  # the peak pixel is within half a pixel of the centre


def test_round_trip_stride_4_with_dark() -> None:
    input_size = (333, 256)
    codec = GaussianHeatmapCodec(input_size, stride=4, sigma=2.0, decoder="dark")
    points = random_points(np.random.default_rng(2), input_size)
    heatmaps, _ = codec.encode(points)
    assert heatmaps.shape == (8, 8, 84, 64)
    decoded, _ = codec.decode(heatmaps)
    assert np.abs(decoded - points).max() < 0.1


def test_points_at_the_border_round_trip() -> None:
    input_size = (60, 50)
    codec = GaussianHeatmapCodec(input_size, decoder="dark")
    corners = np.array([[0.0, 0.0], [0.2, 30.0], [49.0, 59.0], [48.7, 0.4],
                        [-0.4, 10.0], [25.0, 59.4], [1.3, 1.6], [49.4, 30.2]])
    heatmaps, weights = codec.encode(corners)
    np.testing.assert_array_equal(weights, np.ones(8))
    decoded, _ = codec.decode(heatmaps)
    # the stencil moves inwards at the border, so even the edge pixels refine exactly
    assert np.abs(decoded - corners).max() < 0.05

    soft, _ = GaussianHeatmapCodec(input_size, decoder="soft_argmax").decode(heatmaps)
    assert np.abs(soft - corners).max() <= 0.5 + 1e-9  # window shrinks to stay symmetric


def test_invisible_and_out_of_frame_points_get_zero_weight() -> None:
    codec = GaussianHeatmapCodec((50, 40))
    points = np.array([[[10.0, 10.0], [20.0, 20.0], [-3.0, 10.0], [10.0, 60.0],
                        [39.5, 49.5], [np.nan, 5.0], [5.0, 5.0], [30.0, 40.0]]])
    visible = np.array([[1, 0, 1, 1, 1, 1, 1, 1]])
    heatmaps, weights = codec.encode(points, visible)
    np.testing.assert_array_equal(weights, [[1, 0, 0, 0, 1, 0, 1, 1]])
    # out of frame or not finite: no target drawn at all
    assert not heatmaps[0, [2, 3, 5]].any()
    # invisible but inside: the Gaussian is drawn, only the weight drops it from the loss
    assert heatmaps[0, 1].max() == pytest.approx(1.0)


def test_torch_encode_matches_numpy() -> None:
    codec = GaussianHeatmapCodec((333, 128), stride=4, sigma=1.5)
    points = random_points(np.random.default_rng(3), (333, 128), n=4)
    points[0, 3] = [-5.0, 10.0]  # out of frame
    visible = np.ones((4, 8))
    visible[1, 2] = 0
    expected, expected_weights = codec.encode(points, visible)

    keypoints = torch.tensor(points, dtype=torch.float32)
    heatmaps = codec.encode_torch(keypoints, torch.tensor(visible))
    assert heatmaps.dtype == torch.float32 and heatmaps.device == keypoints.device
    np.testing.assert_allclose(heatmaps.numpy(), expected, atol=1e-5)
    weights = codec.keypoint_weights_torch(keypoints, torch.tensor(visible))
    np.testing.assert_array_equal(weights.numpy(), expected_weights)


def test_decode_accepts_torch_and_single_samples() -> None:
    codec = GaussianHeatmapCodec((64, 48), stride=2)
    points = random_points(np.random.default_rng(4), (64, 48), n=1)[0]
    heatmaps, _ = codec.encode(points)
    from_numpy, confidence = codec.decode(heatmaps)
    from_torch, _ = codec.decode(torch.from_numpy(heatmaps))
    assert from_numpy.shape == (8, 2) and confidence.shape == (8,)
    np.testing.assert_allclose(from_torch, from_numpy)


def test_dark_ignores_flat_maps_and_keeps_noise_bounded() -> None:
    codec = GaussianHeatmapCodec((20, 20), decoder="dark")
    flat = np.zeros((1, 8, 20, 20), dtype=np.float32)
    decoded, confidence = codec.decode(flat)
    assert np.isfinite(decoded).all() and (confidence == 0).all()

    noisy = np.random.default_rng(5).uniform(0, 1, (1, 8, 20, 20)).astype(np.float32)
    decoded, _ = codec.decode(noisy)
    argmax, _ = GaussianHeatmapCodec((20, 20), decoder="argmax").decode(noisy)
    assert np.abs(decoded - argmax).max() <= 1.0 + 1e-9  # the clamp


def test_dark_with_modulation_blur_keeps_interior_centres() -> None:
    input_size = (84, 64)
    points = random_points(np.random.default_rng(6), input_size, n=2)
    points = np.clip(points, 8, 55)
    codec = GaussianHeatmapCodec(input_size, decoder="dark", dark_blur_sigma=1.0)
    decoded, _ = codec.decode(codec.encode(points)[0])
    assert np.abs(decoded - points).max() < 0.01


def test_unknown_decoder_is_refused() -> None:
    with pytest.raises(ValueError, match="decoder"):
        GaussianHeatmapCodec((10, 10), decoder="mean")
