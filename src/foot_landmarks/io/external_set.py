"""An outside evaluation set on disk: images/ + via_annotations.csv, read-only, possibly absent.

Outside sets (real annotated scans in ../shared, the clean-room renderer's pages) are never part
of data/01_raw, so training never sees them. A set that is not there loads as an empty set with
the reason, so the evaluation of the other sets still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foot_landmarks.io.datasets import ReadOnlyFileDataset
from foot_landmarks.io.via import ViaAnnotations, read_via

ANNOTATION_FILE = "via_annotations.csv"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class ExternalSet:
    """`annotations` is None when the set is absent (`missing` says why)."""

    root: str
    annotations: ViaAnnotations | None
    missing: str = ""

    def image_path(self, name: str) -> str:
        return str(Path(self.root) / IMAGES_DIR / name)


def load_external_set(root: str | Path) -> ExternalSet:
    root = Path(root)
    csv = root / ANNOTATION_FILE
    if not csv.is_file():
        return ExternalSet(str(root), None, f"{csv} not found")
    return ExternalSet(str(root), read_via(csv))


class ExternalSetDataset(ReadOnlyFileDataset[ExternalSet]):
    """Read-only: `path` holds images/ and via_annotations.csv."""

    never_modified = "outside sets are never modified"
    path_argument = "path"

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(path, load_external_set, metadata)

    def _exists(self) -> bool:
        return (Path(self._path) / ANNOTATION_FILE).is_file()
