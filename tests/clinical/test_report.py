"""The clinical step of one synthetic scan (inference node measure_feet): its measurement row,
and its insole files and report saved through the clinical datasets (the catalog's types)."""

from __future__ import annotations

import math
from pathlib import Path

import ezdxf
import numpy as np
import pandas as pd
import yaml

from foot_landmarks.clinical import clinical_outputs, landmarks_frame
from foot_landmarks.clinical.files import CLINICAL_FILES, save_clinical_files
from foot_landmarks.pipelines.inference.nodes import measure_feet
from foot_landmarks.synthetic import generate_dataset

REPO_ROOT = Path(__file__).resolve().parents[2]


def _scan(tmp_path, seed: int):
    ds = generate_dataset(1, seed, n_broken=0, processes=1, mix={"lowres": 1.0}, progress=False)
    (name, data), = ds.files.items()
    scan = tmp_path / name
    scan.write_bytes(data)
    return scan, ds.images.iloc[0], ds.points.sort_values("landmark")[["x", "y"]].to_numpy(float)


def test_measure_feet_gives_the_row_and_every_file_of_a_foot(tmp_path):
    scan, info, pts = _scan(tmp_path, 3)
    conf = np.array([0.9, 0.9, 0.1, 0.8, 0.8, 0.9, 0.9, 0.9])
    outputs = measure_feet(landmarks_frame(pts, str(scan), info.side, info.dpi, conf))
    table = outputs.pop("measurements")
    assert {kind: list(partitions) for kind, partitions in outputs.items()} == {kind: [scan.stem] for kind in CLINICAL_FILES}
    save_clinical_files(outputs, tmp_path / "out")
    for kind, min_size in (("insole_svg", 2000), ("insole_dxf", 5000), ("report_png", 50_000), ("report_pdf", 20_000)):
        file = tmp_path / "out" / f"{scan.stem}{CLINICAL_FILES[kind]['filename_suffix']}"
        assert file.exists() and file.stat().st_size > min_size, kind
    assert (tmp_path / "out" / f"{scan.stem}_report.pdf").read_bytes()[:4] == b"%PDF"
    dxf = ezdxf.readfile(tmp_path / "out" / f"{scan.stem}_insole.dxf")
    assert dxf.header["$INSUNITS"] == 4 and len(dxf.modelspace().query('POINT[layer=="LANDMARKS"]')) == 8

    (row,) = table.to_dict("records")
    assert row["clinical_files"] == scan.stem and row["foot"] == ""
    assert row["low_confidence_landmarks"] == "3"
    assert row["side"] == info.side and row["dpi"] == info.dpi
    for key in ("foot_length_mm", "forefoot_width_mm", "heel_width_mm", "arch_index", "chippaux_smirak_pct",
                "staheli_index"):
        assert isinstance(row[key], float) and math.isfinite(row[key]), key
    assert row["arch_index_band"] in ("high arch", "normal", "flat")
    assert not measure_feet(landmarks_frame(pts, str(scan)), enabled=False)["measurements"].size


def test_each_foot_of_a_sheet_has_its_files_in_a_folder_named_after_it(tmp_path):
    scan, info, pts = _scan(tmp_path, 3)
    one = landmarks_frame(pts, str(scan), info.side, info.dpi)
    sheet = pd.concat([one.assign(foot="left"), one.assign(foot="right")], ignore_index=True)
    outputs = measure_feet(sheet)
    assert outputs["measurements"]["clinical_files"].tolist() == [f"left/{scan.stem}", f"right/{scan.stem}"]
    save_clinical_files({"insole_svg": outputs["insole_svg"]}, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.svg")) == [
        f"left/{scan.stem}_insole.svg", f"right/{scan.stem}_insole.svg"]


def test_no_dpi_makes_no_insole(tmp_path):
    scan, _, pts = _scan(tmp_path, 4)
    outputs = clinical_outputs(scan, landmarks_frame(pts, str(scan), "right"), report=False)
    assert outputs.files == {} and "no dpi" in outputs.row["insole_note"]
    assert math.isnan(outputs.row["foot_length_mm"]) and math.isfinite(outputs.row["arch_index"])
    assert all(isinstance(v, (float, str)) for v in outputs.row.values())


def test_the_predict_command_saves_the_clinical_files_as_the_catalog_does():
    catalog = yaml.safe_load((REPO_ROOT / "conf" / "base" / "catalog_inference.yml").read_text())
    clinical = {entry["filename_suffix"]: entry for entry in catalog.values() if "filename_suffix" in entry}
    for kind, spec in CLINICAL_FILES.items():
        entry = clinical[spec["filename_suffix"]]
        assert entry["type"] == "partitions.PartitionedDataset" and entry["dataset"] == spec["dataset"], kind
        assert entry["path"] == "data/08_reporting/inference/clinical"
