"""The page network's page looks: a print inked through a mesh, hard shadows, a small page on a table."""

import numpy as np
import pytest
from skimage.draw import disk, polygon

from foot_landmarks.foot_finder.augment import hard_shadow, mesh_texture, table_around
from foot_landmarks.foot_finder.training import SMALL_PAGE_ZOOM, random_geometry

PAPER, INK = 235, 60


def _print_on_paper() -> tuple[np.ndarray, np.ndarray]:
    image = np.full((128, 128), PAPER, np.uint8)
    inside = np.zeros(image.shape, bool)
    inside[disk((64, 64), 16, shape=image.shape)] = True
    image[inside] = INK
    return image, inside


@pytest.mark.parametrize("seed", range(6))
def test_a_mesh_breaks_the_ink_into_threads_and_leaves_the_paper(seed):
    image, inside = _print_on_paper()
    meshed = mesh_texture(image, np.random.default_rng(seed))
    core = inside & (np.hypot(*np.mgrid[0:128, 0:128] - 64) < 12)
    far_paper = np.hypot(*np.mgrid[0:128, 0:128] - 64) > 30
    assert np.abs(meshed[far_paper].astype(int) - PAPER).max() <= 1
    # threads and gaps: the print's core is no longer one tone, and lighter on average, yet ink
    assert meshed[core].std() > 15
    assert INK < meshed[core].mean() < PAPER - 20
    assert meshed[core].min() <= INK + 25


@pytest.mark.parametrize("seed", range(6))
def test_a_hard_shadow_only_darkens_and_has_an_edge(seed):
    image = np.full((128, 128), 200, np.uint8)
    shadowed = hard_shadow(image, np.random.default_rng(seed))
    assert (shadowed <= image).all()
    dark = shadowed < 190
    if dark.any():  # the shape may fall outside the frame; where it is seen, it is well darker
        assert shadowed.min() <= 200 * 0.75 + 1
        assert (~dark).any()


def test_a_hard_shadow_is_seen_on_most_pages():
    # the shape may fall outside the frame now and then, not as a rule
    image = np.full((128, 128), 200, np.uint8)
    seen = [(hard_shadow(image, np.random.default_rng(seed)) < 190).sum() > 100 for seed in range(12)]
    assert sum(seen) >= 8


def test_a_small_page_gets_a_table_around_it_and_keeps_its_own_pixels():
    image = np.full((100, 100), 240, np.uint8)
    page = np.array([[30.0, 20.0], [80.0, 35.0], [70.0, 85.0], [20.0, 70.0]])
    table_around(image, np.random.default_rng(0), page)
    inside = np.zeros(image.shape, bool)
    inside[polygon(page[:, 1], page[:, 0], image.shape)] = True
    assert (image[inside] == 240).all()
    assert np.abs(image[~inside].astype(int) - 240).mean() > 5


def test_small_pages_are_zoomed_out_only_where_asked():
    rng = np.random.default_rng(0)
    canvas, size = 320, 256

    def zooms(small_page: float) -> np.ndarray:
        return np.array([np.sqrt(abs(np.linalg.det(random_geometry(rng, canvas, size, small_page=small_page)[:2, :2])))
                         for _ in range(400)]) * canvas / size

    plain, small = zooms(0.0), zooms(1.0)
    assert plain.min() >= 0.75 - 1e-9
    assert SMALL_PAGE_ZOOM[0] - 1e-9 <= small.min() and small.max() <= SMALL_PAGE_ZOOM[1] + 1e-9
