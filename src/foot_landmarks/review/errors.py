"""The one error a review export or import reports to the user."""

from __future__ import annotations


class ReviewError(ValueError):
    """A bad review export or data set target: one line naming the file and the problem."""
