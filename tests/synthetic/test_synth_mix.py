"""The look mix: planning by feet, two-foot images, determinism with every look, VIA round trip."""

from __future__ import annotations

import io
import json
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from foot_landmarks.io.via import read_via
from foot_landmarks.synthetic import generate_dataset, write_dataset
from foot_landmarks.synthetic.generate import (
    BROKEN_LOOKS,
    DEFAULT_LOOK_MIX,
    DEFAULT_SHEET_MIX,
    LOOKS,
    normalise_mix,
    plan_prints,
)

# Every look, cheap sheets: a handful of images in a few seconds.
ALL_LOOKS = {"looks": {"bare_sole": 1, "ink_paper": 1, "inkmat_form": 1, "pressure_map": 1}, "sheets": {"lowres": 1}}
MIXED = dict(n=8, seed=17, n_broken=1, mix=ALL_LOOKS)  # a seed whose 7 images show every look


@pytest.fixture(scope="module")
def mixed_ds():
    return generate_dataset(MIXED["n"], MIXED["seed"], n_broken=MIXED["n_broken"], mix=MIXED["mix"], processes=1,
                            progress=False)


def test_mix_forms():
    default = normalise_mix(None)
    assert dict(default.looks) == pytest.approx(DEFAULT_LOOK_MIX)
    assert dict(default.sheets) == pytest.approx(DEFAULT_SHEET_MIX)
    nested = normalise_mix({"looks": {"bare_sole": 3, "pressure_map": 1}, "sheets": {"a4": 1}})
    expected = {"bare_sole": 0.75, "ink_paper": 0, "inkmat_form": 0, "pressure_map": 0.25}
    assert dict(nested.looks) == pytest.approx(expected)
    assert dict(nested.sheets) == pytest.approx({"a4": 1, "crop": 0, "lowres": 0})
    flat = normalise_mix({"bare_sole": 3, "pressure_map": 1, "a4": 1})
    assert flat == nested
    sheets_only = normalise_mix({"crop": 1})  # what a sheet mix always meant: ink prints on paper
    assert dict(sheets_only.looks)["ink_paper"] == 1.0
    for bad in ({"podoscope": 1}, {"bare_sole": -1, "ink_paper": 2}, {"bare_sole": 0}):
        with pytest.raises(ValueError):
            normalise_mix(bad)


def test_default_plan_follows_the_look_mix_by_feet():
    specs = plan_prints(1452, 48, seed=42)
    feet = Counter()
    for s in specs:
        if not s.broken:
            feet[s.look] += s.feet
    assert sum(feet.values()) == 1452
    for look in LOOKS:
        assert feet[look] / 1452 == pytest.approx(DEFAULT_LOOK_MIX[look], abs=0.05), look
    assert all(s.look in BROKEN_LOOKS for s in specs if s.broken)
    both = [s for s in specs if s.side == "both"]
    assert {s.look for s in both} == {"inkmat_form", "pressure_map"}
    assert all(s.look != "inkmat_form" or s.side == "both" for s in specs)
    assert all(s.filename.endswith(".png") == (s.look == "pressure_map") for s in specs)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_two_foot_looks_never_overshoot_the_feet(n):
    for seed in range(5):
        specs = plan_prints(n, 0, seed, {"inkmat_form": 1})
        assert sum(s.feet for s in specs) == n
        assert sum(s.side == "both" for s in specs) == n // 2  # the odd foot is an ink print on paper


def test_only_two_foot_looks_still_get_broken_prints():
    specs = plan_prints(4, 2, 0, {"inkmat_form": 1})
    broken = [s for s in specs if s.broken]
    assert len(broken) == 2 and all(s.look == "ink_paper" and s.feet == 1 for s in broken)


def test_every_look_is_in_the_small_mixed_set(mixed_ds):
    looks = Counter(a["look"] for a in mixed_ds.images["attributes"])
    assert set(looks) == set(LOOKS), looks
    usable = mixed_ds.images[mixed_ds.images["usable"]]["image"]
    assert len(mixed_ds.points[mixed_ds.points["image"].isin(usable)]) == 8 * MIXED["n"]


def test_same_seed_and_any_worker_count_same_bytes(mixed_ds):
    again = generate_dataset(MIXED["n"], MIXED["seed"], n_broken=MIXED["n_broken"], mix=MIXED["mix"], processes=2,
                             progress=False)
    assert again.files == mixed_ds.files
    assert again.points.equals(mixed_ds.points)
    assert again.images["attributes"].tolist() == mixed_ds.images["attributes"].tolist()


def test_points_per_file_and_foot_labels(mixed_ds):
    for _, row in mixed_ds.images.iterrows():
        a = row["attributes"]
        pts = mixed_ds.points[mixed_ds.points["image"] == row["image"]]
        image = Image.open(io.BytesIO(mixed_ds.files[row["image"]]))
        assert pts["x"].between(0, image.width - 1).all() and pts["y"].between(0, image.height - 1).all()
        if a["feet"] == "2":
            assert row["side"] == "" and len(pts) == 16
            assert sorted(pts["foot"].unique()) == ["left", "right"]
            for _, of_foot in pts.groupby("foot"):
                assert sorted(of_foot["landmark"]) == list(range(1, 9))
        else:
            assert row["side"] in ("left", "right") and len(pts) == 8 and (pts["foot"] == "").all()
        assert a["view"] == ("below" if a["look"] == "bare_sole" else "print")
        if a["capture"] == "photo":
            assert np.isnan(row["dpi"]) and a["page_corners"] and a["page_size_mm"]
        else:
            assert row["dpi"] > 0 and image.info["dpi"][0] == pytest.approx(row["dpi"], abs=0.01)
        assert image.format == ("PNG" if a["look"] == "pressure_map" else "JPEG")


def test_via_round_trip_keeps_feet_and_empty_dpi(mixed_ds, tmp_path):
    write_dataset(mixed_ds, tmp_path / "ds")
    via = read_via(tmp_path / "ds" / "via_annotations.csv")
    assert not via.problems
    merged = via.points.merge(mixed_ds.points, on=["image", "foot", "landmark"], suffixes=("_read", ""))
    assert len(merged) == len(mixed_ds.points) == len(via.points)
    assert np.abs(merged["x_read"] - merged["x"]).max() < 1e-3
    assert (merged["visible_read"] == merged["visible"]).all()
    read = via.images.set_index("image")
    for _, row in mixed_ds.images.iterrows():
        assert read.loc[row["image"], "attributes"] == row["attributes"]
        assert np.isnan(read.loc[row["image"], "dpi"]) == np.isnan(row["dpi"])


def test_pipeline_node_and_command_line_take_the_look_mix(tmp_path, capsys):
    from foot_landmarks.command_line import main
    from foot_landmarks.pipelines.synthetic.nodes import generate_synthetic_scans

    files, via_csv = generate_synthetic_scans(
        {"n": 1, "seed": 5, "n_broken": 0, "processes": 1, "progress": False,
         "mix": {"looks": {"pressure_map": 1.0}, "sheets": {"lowres": 1.0}}}
    )
    assert [name[-4:] for name in files] == [".png"] and '""look"":""pressure_map""' in via_csv
    out = tmp_path / "ds"
    assert main(["synth", "--n", "1", "--seed", "2", "--out", str(out), "--processes", "1", "--json",
                 "--mix", "bare_sole=1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["looks"] == {"bare_sole": 1} and summary["feet"] == 1
    assert main(["synth", "--n", "1", "--out", str(tmp_path / "x"), "--mix", "podoscope=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("foot-landmarks: error:") and "podoscope" in err[0]
