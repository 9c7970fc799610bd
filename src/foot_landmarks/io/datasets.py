"""Kedro datasets kedro-datasets lacks: lazy scan images and VIA annotation files.

``ScanImageDataset.load()`` decodes nothing: it returns a :class:`ScanImage` handle (a path),
small enough to send to worker processes, which decode the scan at the resolution they need
(a 300 dpi A4 page is 3507x2550; most decisions need an eighth of that, and JPEG can decode at
1/2, 1/4 or 1/8 scale directly, far faster than decoding in full and shrinking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import numpy as np
from kedro.io import AbstractDataset, DatasetError
from PIL import Image, ImageOps

from foot_landmarks.geometry import Matrix, scale_matrix
from foot_landmarks.io.via import ViaAnnotations, read_via

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")  # what a scan file may be
COLOUR_MODES = ("RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV")
REDUCTIONS = (1, 2, 4, 8)  # the scales JPEG decodes at directly (scaled IDCT)


def _to_gray8(img: Image.Image) -> np.ndarray:
    """8-bit grayscale, stretching 16-bit and float scans to 0-255 instead of clipping them."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        return np.zeros(arr.shape, np.uint8) if hi <= lo else np.rint((arr - lo) * 255 / (hi - lo)).astype(np.uint8)
    return np.asarray(img if img.mode == "L" else img.convert("L"), dtype=np.uint8)


@dataclass(frozen=True)
class ScanImage:
    """A scan on disk, decoded on demand."""

    path: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def size(self) -> tuple[int, int]:
        """(width, height) as displayed (EXIF orientation applied), from the header, without
        decoding (raises OSError if unreadable)."""
        with Image.open(self.path) as img:
            return displayed_size(img)

    def read(self, reduce: int = 1, keep_colour: bool = False) -> tuple[np.ndarray, Matrix]:
        """The scan as 8-bit grayscale (or, with `keep_colour`, RGB (H, W, 3) for a colour file),
        shrunk by `reduce` (1, 2, 4 or 8), and the matrix from original pixels to the returned pixels.

        Reading decodes the whole stream, so a truncated or corrupt file raises OSError here.
        """
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce}")
        with Image.open(self.path) as img:
            width = displayed_size(img)[0]
            colour = keep_colour and img.mode in COLOUR_MODES
            if reduce > 1 and img.format in ("JPEG", "MPO"):
                # The scaled IDCT averages reduce x reduce blocks: pixel-centre scaling by 1/reduce.
                img.draft("RGB" if colour else "L", (-(-img.size[0] // reduce), -(-img.size[1] // reduce)))
            img.load()
            # The image as displayed (a phone stores its photo turned and says so in EXIF): points
            # are given in this frame, as VIA shows the image in a browser.
            img = ImageOps.exif_transpose(img)
            gray = np.asarray(img.convert("RGB"), dtype=np.uint8) if colour else _to_gray8(img)
        if reduce > 1 and gray.shape[1] == width:  # not a JPEG (or draft declined): box-reduce ourselves
            gray = np.asarray(Image.fromarray(gray).reduce(reduce))
        achieved = round(width / gray.shape[1])
        return gray, scale_matrix(1.0 / achieved, 1.0 / achieved)


EXIF_ORIENTATION = 274
EXIF_QUARTER_TURNS = (5, 6, 7, 8)  # orientations whose display swaps width and height


def displayed_size(img: Image.Image) -> tuple[int, int]:
    """(width, height) of an open image as a browser or VIA displays it (EXIF orientation applied)."""
    width, height = img.size
    return (height, width) if img.getexif().get(EXIF_ORIENTATION, 1) in EXIF_QUARTER_TURNS else (width, height)


def reduction_for(long_side: int, target: int) -> int:
    """The largest decode reduction that keeps `long_side` at least `target` pixels."""
    return max([r for r in REDUCTIONS if long_side / r >= target] or [1])


_Loaded = TypeVar("_Loaded")


class ReadOnlyFileDataset(AbstractDataset[None, _Loaded]):
    """A file (or folder) on disk that the project reads with `loader(path)` and never writes.

    Subclasses keep the constructor the catalog calls, say why they are never written
    (`never_modified`) and which constructor argument names the path (`path_argument`).
    """

    never_modified = "it is never modified"
    path_argument = "filepath"

    def __init__(self, path: str, loader: Callable[[str], _Loaded], metadata: dict[str, Any] | None = None) -> None:
        self._path = str(path)
        self._loader = loader
        self.metadata = metadata

    def load(self) -> _Loaded:
        return self._loader(self._path)

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only: {self.never_modified}")

    def _exists(self) -> bool:
        return Path(self._path).is_file()

    def _describe(self) -> dict[str, Any]:
        return {self.path_argument: self._path}


class ScanImageDataset(ReadOnlyFileDataset[ScanImage]):
    """Read-only image file (jpg/png/tif/bmp) whose load returns a lazy :class:`ScanImage`.

    Meant as the ``dataset`` of a ``partitions.PartitionedDataset`` over data/01_raw.
    """

    never_modified = "raw scans are never modified"

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(filepath, ScanImage, metadata)


class ViaAnnotationsDataset(ReadOnlyFileDataset[ViaAnnotations]):
    """Read-only VIA CSV export or JSON export/project, loaded as :class:`ViaAnnotations`."""

    never_modified = "raw annotations are never modified"

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(filepath, read_via, metadata)
