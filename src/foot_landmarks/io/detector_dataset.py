"""Kedro dataset for a trained LandmarkDetector (config + fp16 weights in one torch file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from foot_landmarks.detector import LandmarkDetector


class DetectorDataset(AbstractDataset[LandmarkDetector, LandmarkDetector]):
    def __init__(self, filepath: str, half: bool = True, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self._half = half
        self.metadata = metadata

    def _load(self) -> LandmarkDetector:
        if not self._filepath.is_file():
            raise DatasetError(f"{self._filepath}: no trained detector here (run the training pipeline first)")
        return LandmarkDetector.load(self._filepath)

    def _save(self, detector: LandmarkDetector) -> None:
        detector.save(self._filepath, half=self._half)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "half": self._half}

    load = _load
    save = _save
