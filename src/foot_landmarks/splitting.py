"""Train / validation / test split by subject, with exact split sizes.

All prints of one subject go to one split (prints of the same feet are near-duplicates, so
spreading them would leak). Split sizes are fixed first (largest-remainder rounding of the
ratios: 1452 samples at 8:2:1 give 1056/264/132), then subject groups are placed biggest first,
each into the split that still has room for it and most lacks its data set and side mix; the
many one- and two-print subjects placed last top the splits off to the exact sizes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def split_sizes(n: int, ratios: Mapping[str, float]) -> dict[str, int]:
    """Sizes summing to `n`, proportional to `ratios` (largest remainder, ties by order given)."""
    names = list(ratios)
    weights = np.array([float(ratios[k]) for k in names])
    exact = n * weights / weights.sum()
    sizes = np.floor(exact).astype(int)
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[: n - sizes.sum()]:
        sizes[i] += 1
    return {k: int(s) for k, s in zip(names, sizes)}


def assign_splits(
    groups: pd.Series,
    strata: pd.Series,
    ratios: Mapping[str, float],
    seed: int,
) -> pd.Series:
    """The split of each sample, given its subject group and its stratum (e.g. "synthetic/left").

    `groups` and `strata` share the samples' index. Deterministic for a given seed.
    """
    targets = split_sizes(len(groups), ratios)
    names = list(targets)
    total_share = {k: targets[k] / max(len(groups), 1) for k in names}
    rng = np.random.default_rng(seed)

    members = pd.DataFrame({"group": groups.astype(str), "stratum": strata.astype(str)})
    keys = np.array(sorted(members["group"].unique()))
    keys = keys[rng.permutation(len(keys))]  # seeded shuffle, then a stable sort by size
    sizes = members.groupby("group").size()
    keys = sorted(keys, key=lambda g: -sizes[g])
    group_strata = {g: Counter(s["stratum"]) for g, s in members.groupby("group")}
    stratum_totals = Counter(members["stratum"])

    filled = dict.fromkeys(names, 0)
    stratum_filled = {k: Counter() for k in names}
    placed: dict[str, str] = {}
    for g in keys:
        size = int(sizes[g])
        room = [k for k in names if targets[k] - filled[k] >= size]
        if not room:  # cannot fit anywhere exactly: overfill the emptiest split
            room = [max(names, key=lambda k: targets[k] - filled[k])]
            log.warning("split sizes cannot be met exactly: subject group of %d overfills '%s'", size, room[0])

        def need(k: str) -> float:  # how much split k lacks this group's strata, relative to its share
            lack = sum(
                n * (stratum_totals[s] * total_share[k] - stratum_filled[k][s]) for s, n in group_strata[g].items()
            )
            return lack / size + 1e-6 * (targets[k] - filled[k])

        best = max(room, key=need)
        placed[g] = best
        filled[best] += size
        stratum_filled[best].update(group_strata[g])
    return members["group"].map(placed).rename("split")
