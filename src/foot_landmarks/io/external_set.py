"""An outside evaluation set on disk: images/ + via_annotations.csv, read-only, possibly absent.

Outside sets (real annotated scans in ../shared, the clean-room renderer's pages) are never part
of data/01_raw, so training never sees them. A set that is not there loads as an empty set with
the reason, so the evaluation of the other sets still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

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


class ExternalSetDataset(AbstractDataset[None, ExternalSet]):
    """Read-only: `path` holds images/ and via_annotations.csv."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = str(path)
        self.metadata = metadata

    def load(self) -> ExternalSet:
        return load_external_set(self._path)

    def save(self, data: None) -> None:
        raise DatasetError("ExternalSetDataset is read-only: outside sets are never modified")

    def _exists(self) -> bool:
        return (Path(self._path) / ANNOTATION_FILE).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": self._path}
