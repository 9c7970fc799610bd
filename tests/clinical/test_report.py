"""clinical_outputs on one synthetic scan writes the insole files and a non-trivial report."""

from __future__ import annotations

import math

import numpy as np

from foot_landmarks.clinical import clinical_outputs, landmarks_frame
from foot_landmarks.synthetic import generate_dataset


def test_clinical_outputs_writes_everything(tmp_path):
    ds = generate_dataset(1, 3, n_broken=0, processes=1, mix={"lowres": 1.0}, progress=False)
    (name, data), = ds.files.items()
    scan = tmp_path / name
    scan.write_bytes(data)
    info = ds.images.iloc[0]
    pts = ds.points.sort_values("landmark")[["x", "y"]].to_numpy(float)
    conf = np.array([0.9, 0.9, 0.1, 0.8, 0.8, 0.9, 0.9, 0.9])
    df = landmarks_frame(pts, str(scan), info.side, info.dpi, conf)
    row = clinical_outputs(scan, df, tmp_path / "out")
    stem = scan.stem
    for suffix, min_size in (("_insole.svg", 2000), ("_insole.dxf", 5000), ("_report.png", 50_000), ("_report.pdf", 20_000)):
        f = tmp_path / "out" / f"{stem}{suffix}"
        assert f.exists() and f.stat().st_size > min_size, suffix
    assert (tmp_path / "out" / f"{stem}_report.pdf").read_bytes()[:4] == b"%PDF"
    assert row["low_confidence_landmarks"] == "3"
    assert row["side"] == info.side and row["dpi"] == info.dpi
    for key in ("foot_length_mm", "forefoot_width_mm", "heel_width_mm", "arch_index", "chippaux_smirak_pct",
                "staheli_index"):
        assert isinstance(row[key], float) and math.isfinite(row[key]), key
    assert all(isinstance(v, (float, str)) for v in row.values())
    assert row["arch_index_band"] in ("high arch", "normal", "flat")


def test_no_dpi_skips_the_insole_files(tmp_path):
    ds = generate_dataset(1, 4, n_broken=0, processes=1, mix={"lowres": 1.0}, progress=False)
    (name, data), = ds.files.items()
    scan = tmp_path / name
    scan.write_bytes(data)
    pts = ds.points.sort_values("landmark")[["x", "y"]].to_numpy(float)
    row = clinical_outputs(scan, landmarks_frame(pts, str(scan), "right"), tmp_path, report=False)
    assert row["insole_svg"] == "" and "no dpi" in row["insole_note"]
    assert math.isnan(row["foot_length_mm"]) and math.isfinite(row["arch_index"])
