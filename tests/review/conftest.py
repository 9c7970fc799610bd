"""Scans on disk with their prediction table, for the review export and import tests."""

from __future__ import annotations

import pandas as pd
import pytest
from review_tables import foot_rows, write_png


@pytest.fixture
def review_scans(tmp_path):
    """Two one-foot scans (a.png at 254 dpi: 0.1 mm per px; clinic2/b.png without dpi) and their
    predictions; a's point 3 (0.45) is the least confident point, so a comes first."""
    scans = tmp_path / "scans"
    a, b = scans / "a.png", scans / "clinic2" / "b.png"
    write_png(a, seed=1)
    write_png(b, size=(220, 320), seed=2)
    predictions = pd.concat([
        foot_rows(str(a), [0.9, 0.8, 0.45, 0.9, 0.9, 0.9, 0.9, 0.9], side="right", dpi=254.0),
        foot_rows(str(b), [0.6] * 8, side="left", dpi=float("nan"), shift=(10.0, 20.0)),
    ], ignore_index=True)
    return scans, predictions
