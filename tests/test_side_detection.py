"""Side of a print from its anatomy, on drawn prints and (when present) the synthetic generator's."""

from __future__ import annotations

import io

import numpy as np
import pytest
from pipelines.data_processing.foot_print_drawing import foot_page
from PIL import Image
from skimage import draw

from foot_landmarks.segmentation import segment_print
from foot_landmarks.side_detection import detect_side


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("seed", [0, 1])
def test_drawn_prints(side: str, seed: int) -> None:
    page, _ = foot_page(side, scribble=True, seed=seed)
    assert detect_side(segment_print(page).mask).side == side


def test_round_blob_is_undetectable() -> None:
    mask = np.zeros((200, 200), bool)
    rr, cc = draw.ellipse(100, 100, 80, 40)
    mask[rr, cc] = True
    assert detect_side(mask).side is None


def test_synthetic_generator_prints() -> None:
    synthetic = pytest.importorskip("foot_landmarks.synthetic")
    ds = synthetic.generate_dataset(8, seed=11, n_broken=0, mix={"ink_paper": 1.0}, progress=False)
    checked = 0
    for row in ds.images.itertuples():
        gray = np.asarray(Image.open(io.BytesIO(ds.files[row.image])).convert("L"))
        k = max(1, max(gray.shape) // 400)
        small = np.asarray(Image.fromarray(gray).reduce(k))
        assert detect_side(segment_print(small).mask).side == row.side, row.image
        checked += 1
    assert checked == 8
