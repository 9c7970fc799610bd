"""Shared tiny data sets (generated once per session: rendering is the slow part)."""

from __future__ import annotations

import pytest

from foot_landmarks.synthetic import generate_dataset

SMALL = dict(n=3, seed=11, n_broken=1, mix={"crop": 0.5, "lowres": 0.5}, progress=False)


@pytest.fixture(scope="session")
def small_args() -> dict:
    """The arguments of `small_ds` (for tests that generate it again)."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_ds():
    return generate_dataset(SMALL["n"], SMALL["seed"], n_broken=SMALL["n_broken"], mix=SMALL["mix"],
                            processes=1, progress=False)
