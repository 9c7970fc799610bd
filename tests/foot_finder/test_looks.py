"""FootFinder.find's choice between the page as it is and its equalised copy (no network: each
look's answer is given)."""

from __future__ import annotations

import numpy as np

from foot_landmarks.foot_finder import FootFinder
from foot_landmarks.foot_finder.decoding import FoundFoot


def _foot(heel, toes) -> FoundFoot:
    heel, toes = np.asarray(heel, float), np.asarray(toes, float)
    region = np.zeros((400, 300), bool)  # on a map grid the size of the page (to_map: identity)
    (x0, y0), (x1, y1) = np.minimum(heel, toes).astype(int), np.maximum(heel, toes).astype(int)
    region[y0 : y1 + 1, x0 - 10 : x1 + 11] = True
    return FoundFoot(heel, toes, toes, "right", 0.9, 0.9, region, np.eye(3), [])


def _finder_answering(plain: list[FoundFoot], pale: list[FoundFoot]) -> FootFinder:
    finder = FootFinder.create()
    finder._find = lambda gray, with_equalised: list(pale if with_equalised else plain)
    return finder


PAGE = np.full((400, 300), 230, np.uint8)
WHOLE = _foot([100, 350], [100, 50])


def test_the_pale_look_wins_where_it_adds_a_foot_and_keeps_the_page_s():
    other = _foot([220, 350], [220, 50])
    feet = _finder_answering([WHOLE], [_foot([102, 345], [98, 55]), other]).find(PAGE)
    assert len(feet) == 2


def test_the_pale_look_loses_where_its_extra_foot_is_the_page_s_foot_cut_in_two():
    halves = [_foot([100, 350], [100, 200]), _foot([100, 190], [100, 50])]
    feet = _finder_answering([WHOLE], halves).find(PAGE)
    assert len(feet) == 1
    assert np.allclose(feet[0].heel, WHOLE.heel) and np.allclose(feet[0].toes, WHOLE.toes)


def test_the_pale_look_wins_where_the_page_shows_no_foot():
    assert len(_finder_answering([], [WHOLE]).find(PAGE)) == 1


def test_the_pale_look_wins_where_the_page_s_foot_was_a_short_reading_of_one_of_its_feet():
    # the page alone paired a heel response on the ball with the toes; the pale look reads the
    # whole foot and the other one
    short = _foot([100, 150], [100, 50])
    feet = _finder_answering([short], [WHOLE, _foot([220, 350], [220, 50])]).find(PAGE)
    assert len(feet) == 2 and np.allclose(feet[0].heel, WHOLE.heel)
