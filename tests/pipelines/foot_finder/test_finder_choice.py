"""The foot_finder pipeline keeps the finder it trained only where it scores at least as well as
the one shipped with the package, on held-out generated pages."""

from __future__ import annotations

import pytest
import torch

from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.pipelines.foot_finder.nodes import (
    better_finder,
    generate_finder_pages,
    keep_better_finder,
    score_finder,
)


def _scores(found: float, sides: float, feet: int = 100) -> dict:
    return {"found_share": found, "configuration_accuracy": sides, "feet": float(feet)}


@pytest.mark.parametrize(
    ("candidate", "incumbent", "kept"),
    [
        (_scores(0.99, 0.80), _scores(0.96, 0.95), True),  # three more feet found outweigh the sides
        (_scores(0.96, 0.95), _scores(0.99, 0.80), False),
        (_scores(0.99, 0.89), _scores(0.99, 0.94), False),  # feet alike: the sides decide
        (_scores(0.98, 0.94), _scores(0.99, 0.89), True),  # one foot fewer is alike
        (_scores(0.99, 0.90), _scores(0.99, 0.90), True),  # a tie keeps the fresh training
    ],
)
def test_more_feet_found_wins_then_more_sides_read_right(candidate, incumbent, kept):
    assert better_finder(candidate, incumbent) is kept


def test_a_finder_that_finds_no_foot_gives_way_to_the_shipped_one():
    pages = generate_finder_pages({"n_feet": 4, "seed": 5, "mix": {"ink_paper": 1.0}, "workers": 1})
    params = {"valid_share": 1.0, "seed": 0}
    untrained = FootFinder.create()
    with torch.no_grad():  # a network whose maps are zero everywhere: no region, no heel, no toes
        for weight in untrained.network.parameters():
            weight.zero_()
    shipped = FootFinder.bundled()
    untrained_scores, shipped_scores = score_finder(untrained, pages, params), score_finder(shipped, pages, params)
    assert untrained_scores["found_share"] == 0 and shipped_scores["found_share"] >= 0.75

    kept, scores = keep_better_finder(untrained, untrained_scores, shipped, shipped_scores)
    assert kept is shipped and scores["kept"] == "shipped"
    assert scores["found_share"] == shipped_scores["found_share"]
    kept, scores = keep_better_finder(shipped, shipped_scores, untrained, untrained_scores)
    assert kept is shipped and scores["kept"] == "trained"
