"""Stand-ins for the network in tests of the page stage: every point comes from the pixels."""

from __future__ import annotations

import numpy as np

from foot_landmarks.detector import DecodedPoints
from foot_landmarks.models.geometric import predict_geometric


class GeometricDetector:
    """Stands in for the network: the geometric baseline on each crop (upright, right-foot, bright)."""

    input_size = (666, 512)

    def __init__(self, refine: str = "print"):
        self.config = {"refine": refine}  # default: the inference path as the CPU profile runs it

    def predict(self, images):
        out = [predict_geometric(image, side="right") for image in images]
        return np.stack([o[0] for o in out]), np.stack([o[1] for o in out])

    def predict_points(self, images) -> DecodedPoints:
        """As LandmarkDetector.predict_points: no heatmaps, so no toe is ever decoded jointly."""
        return DecodedPoints.one_by_one(*self.predict(images))
