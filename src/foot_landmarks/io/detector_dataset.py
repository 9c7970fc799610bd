"""Kedro dataset for a trained LandmarkDetector (config + weights in one torch file: fp16, fp32, or
int8 convolution weights, see LandmarkDetector.save)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from foot_landmarks.detector import LandmarkDetector


class DetectorDataset(AbstractDataset[LandmarkDetector, LandmarkDetector]):
    def __init__(self, filepath: str, weights: str = "fp16", metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self._weights = weights
        self.metadata = metadata

    def _load(self) -> LandmarkDetector:
        if not self._filepath.is_file():
            raise DatasetError(f"{self._filepath}: no trained detector here (run the training pipeline first)")
        return LandmarkDetector.load(self._filepath)

    def _save(self, detector: LandmarkDetector) -> None:
        detector.save(self._filepath, weights=self._weights)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "weights": self._weights}

    load = _load
    save = _save
