"""Nodes of the `synthetic` pipeline (thin wrappers around foot_landmarks.synthetic)."""

from __future__ import annotations

from typing import Any

from foot_landmarks.synthetic import generate_dataset


def generate_synthetic_scans(params: dict[str, Any]) -> tuple[dict[str, bytes], str]:
    """Generate the data set described by `params` (n, seed, n_broken, processes, mix).

    Returns the JPEG bytes keyed by file name (for a PartitionedDataset) and the VIA CSV text.
    """
    ds = generate_dataset(
        int(params["n"]),
        int(params["seed"]),
        n_broken=params.get("n_broken"),
        processes=int(params.get("processes", 2)),
        mix=params.get("mix"),
        progress=bool(params.get("progress", True)),
    )
    return dict(ds.files), ds.via_csv()
