"""Kedro dataset of a trained foot finder (foot_landmarks.foot_finder.FootFinder)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from foot_landmarks.foot_finder import FootFinder

log = logging.getLogger(__name__)


class FootFinderDataset(AbstractDataset[FootFinder, FootFinder]):
    """`filepath` holds the finder the foot_finder pipeline trained; until it exists, loading
    gives the finder shipped with the package (so data processing runs on a fresh clone)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> FootFinder:
        if not self._filepath.is_file():
            log.info("%s not trained yet: using the foot finder shipped with the package", self._filepath)
            return FootFinder.bundled()
        return FootFinder.load(self._filepath)

    def save(self, finder: FootFinder) -> None:
        finder.save(self._filepath)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
