"""foot_landmarks: automatic detection of 8 plantar landmarks on 2D footprint scans."""

__version__ = "0.1.0"
