"""The `synthetic` Kedro pipeline: wiring, node output and the catalog entries it writes to."""

from __future__ import annotations

from pathlib import Path

import yaml
from kedro.io import DataCatalog

from foot_landmarks.pipelines.synthetic import create_pipeline
from foot_landmarks.pipelines.synthetic.nodes import generate_synthetic_scans
from foot_landmarks.synthetic import DEFAULT_LOOK_MIX, DEFAULT_SHEET_MIX

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def test_pipeline_wiring():
    pipeline = create_pipeline()
    assert pipeline.inputs() == {"params:synthetic"}
    assert pipeline.outputs() == {"synthetic_scans", "synthetic_via_annotations"}


def test_parameters_file_defaults():
    params = yaml.safe_load((CONF / "parameters_synthetic.yml").read_text())["synthetic"]
    assert params["n"] == 1452 and params["seed"] == 42 and params["n_broken"] is None and params["processes"] == 2
    # the configured mix is the generator's default (looks by feet, sheets of ink prints)
    assert params["mix"]["looks"] == DEFAULT_LOOK_MIX and params["mix"]["sheets"] == DEFAULT_SHEET_MIX


def test_node_and_catalog_round_trip(tmp_path):
    files, via_csv = generate_synthetic_scans(
        {"n": 1, "seed": 5, "n_broken": 0, "processes": 1, "mix": {"lowres": 1.0}, "progress": False}
    )
    assert list(files) == ["S0001_R_1.jpg"] or list(files) == ["S0001_L_1.jpg"]
    assert via_csv.startswith("filename,file_size,file_attributes")

    config = yaml.safe_load((CONF / "catalog_synthetic.yml").read_text())
    config["synthetic_scans"]["path"] = str(tmp_path / "images")
    config["synthetic_via_annotations"]["filepath"] = str(tmp_path / "via_annotations.csv")
    catalog = DataCatalog.from_config(config)
    catalog.save("synthetic_scans", files)
    catalog.save("synthetic_via_annotations", via_csv)
    name = next(iter(files))
    assert (tmp_path / "images" / name).read_bytes() == files[name]
    loaded = catalog.load("synthetic_scans")
    assert loaded[name]() == files[name]
    assert (tmp_path / "via_annotations.csv").read_text() == via_csv
