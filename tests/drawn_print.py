"""A foot print drawn with known landmarks, for tests that train or score a detector on crops
whose truth is exact."""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import draw

CROP_HW = (120, 60)
# The eight points of the drawn print (crop px): five toe tips, the forefoot's sides, the heel.
POINTS = np.array([[20, 12], [28, 10], [34, 12], [40, 15], [45, 19], [12, 38], [50, 40], [31, 110]], float)


def drawn_crop(shift: int) -> Image.Image:
    """A bright print on black: a sole ellipse and five toe disks, shifted down by `shift` px."""
    image = np.zeros(CROP_HW, np.uint8)
    rr, cc = draw.ellipse(60 + shift, 31, 50, 19, shape=CROP_HW)
    image[rr, cc] = 200
    for x, y in POINTS[:5]:
        rr, cc = draw.disk((y + 4 + shift, x), 4, shape=CROP_HW)
        image[rr, cc] = 220
    return Image.fromarray(image)
