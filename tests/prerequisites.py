"""What a test needs from outside the repository (a browser, ../shared, the VIA program, a trained
model): where it is missing the test is skipped with the reason on a developer's machine and
FAILS with it in CI (environment variable CI set, as .ci/run sets it), so a green CI run never
hides a check that did not run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str, allow_module_level: bool = False) -> NoReturn:
    """Skip (developer machine) or fail (CI) the calling test with `reason`."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a missing prerequisite fails the run)", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)
