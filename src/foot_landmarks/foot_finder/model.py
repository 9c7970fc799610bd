"""A trained foot finder: its network and input size, saved as one file, and `find` on a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from foot_landmarks import geometry as geo
from foot_landmarks.foot_finder.decoding import REGION_LEVEL, FoundFoot, along_segment, decode_feet, edge_warning
from foot_landmarks.foot_finder.network import FootFinderNet
from foot_landmarks.foot_finder.page_input import INPUT_SIZE, equalised, letterbox

MAP_STRIDE = 4
# Weights shipped with the package (made by `kedro run --pipeline foot_finder`, see
# conf/base/parameters_foot_finder.yml), so a fresh install finds feet before any training.
BUNDLED_WEIGHTS = Path(__file__).parent / "weights" / "foot_finder.pt"
PIXEL_MEAN, PIXEL_STD = 0.6, 0.3  # pages are mostly paper: bright
# A second look, closer: where the feet found cover less than ZOOM_BELOW of the image's long side
# (a sheet photographed from afar), the finder looks again at their box grown by ZOOM_MARGIN of
# its long side, where each foot spans several times more map cells.
ZOOM_BELOW = 0.6
ZOOM_MARGIN = 0.25


def to_finder_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S) uint8 -> normalised float."""
    return (images_uint8.float() / 255.0 - PIXEL_MEAN) / PIXEL_STD


@dataclass
class FootFinder:
    network: FootFinderNet
    input_size: int = INPUT_SIZE
    info: dict = field(default_factory=dict)

    @classmethod
    def create(cls, input_size: int = INPUT_SIZE, widths: tuple[int, ...] = (16, 24, 32, 48, 64)) -> "FootFinder":
        return cls(FootFinderNet(tuple(widths)), int(input_size), {"widths": list(widths)})

    def maps(self, gray: np.ndarray, with_equalised: bool = False) -> tuple[np.ndarray, geo.Matrix]:
        """(5, S/4, S/4) maps of a page (region as a probability) and the matrix page px -> map px;
        `with_equalised`: averaged with the maps of its equalised copy (one batch)."""
        square, to_input = letterbox(gray, self.input_size)
        squares = [square, equalised(square)] if with_equalised else [square]
        self.network.eval()
        with torch.inference_mode():
            out = self.network(to_finder_input(torch.from_numpy(np.stack(squares))[:, None])).float().numpy()
        out[:, 0] = 1.0 / (1.0 + np.exp(-out[:, 0]))
        to_map = geo.compose(to_input, geo.scale_matrix(1 / MAP_STRIDE, 1 / MAP_STRIDE))
        return out.mean(axis=0), to_map

    def find(self, gray: np.ndarray) -> list[FoundFoot]:
        """Every foot on a page (uint8 gray, any look, any rotation), left to right: from the
        page as it is, unless the page with its equalised copy shows more feet; each from the
        whole page, then from a closer look at the feet's box where they are small on it (the
        closer look's answer wins unless it finds fewer feet); a foot reaching the image's edge
        is warned of."""
        feet = self._find(gray, with_equalised=False)
        # A look for pale prints (a dry mat, a faded scan, a print in shadow). It wins only where it
        # finds more feet: always taken, it lost up to a third of the clean-room bare soles (skin
        # texture comes out as strongly as the print); taken so, it found the same clean-room feet.
        # And only where each foot the page showed lies along one of its feet: more feet can be one
        # foot cut in two.
        pale = self._find(gray, with_equalised=True)
        if len(pale) > len(feet) and all(any(_lies_along(a, b) for b in pale) for a in feet):
            feet = pale
        for foot in feet:
            if warning := edge_warning(foot, gray.shape):
                foot.warnings.append(warning)
                foot.cut_by_edge = True
        return feet

    def _find(self, gray: np.ndarray, with_equalised: bool) -> list[FoundFoot]:
        maps, to_map = self.maps(gray, with_equalised)
        feet = decode_feet(maps, to_map)
        box = _zoom_box(maps[0] > REGION_LEVEL, to_map, gray.shape)
        if box is not None:
            x0, y0, x1, y1 = box
            near_maps, near_to_map = self.maps(gray[y0:y1, x0:x1], with_equalised)
            closer = [f.moved(geo.translation(x0, y0)) for f in decode_feet(near_maps, near_to_map)]
            if len(closer) >= len(feet):
                feet = closer
        return feet

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.half() if v.is_floating_point() else v for k, v in self.network.state_dict().items()}
        torch.save({"input_size": self.input_size, "info": self.info, "state": state}, path)
        return path

    @classmethod
    def bundled(cls) -> "FootFinder":
        """The finder shipped with the package."""
        return cls.load(BUNDLED_WEIGHTS)

    @classmethod
    def load(cls, path: str | Path) -> "FootFinder":
        saved = torch.load(Path(path), map_location="cpu", weights_only=False)
        finder = cls.create(saved["input_size"], tuple(saved["info"].get("widths", (16, 24, 32, 48, 64))))
        finder.network.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in saved["state"].items()})
        finder.network.eval()
        finder.info = dict(saved["info"])
        return finder


def _lies_along(a: FoundFoot, b: FoundFoot) -> bool:
    """Whether foot a's heel and toe ends both lie along foot b's heel-to-toe segment: b is a
    again, or a longer reading of it (a's heel was a response on the ball)."""
    return along_segment(a.heel, b.heel, b.toes) and along_segment(a.toes, b.heel, b.toes)


def _zoom_box(region: np.ndarray, to_map: geo.Matrix, page_hw: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) page px of the region's box grown by ZOOM_MARGIN of its long side, when
    that box is under ZOOM_BELOW of the page's long side; else None (no region, or big enough)."""
    if not region.any():
        return None
    rows, cols = np.nonzero(region)
    corners = np.array([[cols.min() - 0.5, rows.min() - 0.5], [cols.max() + 0.5, rows.max() + 0.5]])
    (x0, y0), (x1, y1) = geo.apply_to_points(geo.invert(to_map), corners)
    h, w = page_hw
    if max(x1 - x0, y1 - y0) >= ZOOM_BELOW * max(h, w):
        return None
    grow = ZOOM_MARGIN * max(x1 - x0, y1 - y0)
    box = (max(0, int(x0 - grow)), max(0, int(y0 - grow)), min(w, int(np.ceil(x1 + grow))), min(h, int(np.ceil(y1 + grow))))
    return box if box[2] - box[0] >= 16 and box[3] - box[1] >= 16 else None
