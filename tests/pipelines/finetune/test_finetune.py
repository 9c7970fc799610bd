"""Fine-tuning on real feet (issue 21) with a tiny detector registered in a throw-away SQLite
registry: the champion alias moves only when the fine-tuned model is better on the held-out real
feet; without held-out feet the model is registered and not promoted, with the reason; real feet
are split by subject; the learning curve has one point per N; the two measurements never train on
what they score; training can leave a look out."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from drawn_print import POINTS, drawn_crop
from stand_ins import GeometricDetector
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow.tracking import MlflowClient
from PIL import Image
from scipy import ndimage

from foot_landmarks import adaptation
from foot_landmarks.detector import LandmarkDetector
from foot_landmarks.pipelines.finetune.nodes import learning_curve_table, plot_learning_curve
from foot_landmarks.pipelines.finetune.pipeline import create_pipeline as finetune_pipeline
from foot_landmarks.pipelines.training import nodes as training_nodes
from foot_landmarks.synthetic.generate import generate_dataset
from foot_landmarks.tracking import HELD_OUT_RULE, load_registered_detector, log_variant_run

REPO = Path(__file__).resolve().parents[3]
REGISTRY = yaml.safe_load((REPO / "conf/base/parameters_training.yml").read_text())["registry"]
TINY = {"architecture": "light", "encoder": "resnet18", "encoder_weights": "none", "input_size": [64, 32],
        "stride": 4, "decoder_channels": 16, "sigma": 1.5, "decoder": "dark"}
FINETUNE = {
    "datasets": ["clinic"], "base": "champion", "generated_datasets": ["synthetic"], "generated_ratio": 1.0,
    "monitor_feet": 2, "held_out_share": 0.3, "seed": 1, "refine": True, "learning_curve_n": [0, 5, 10, 20, 40],
    "training": {"steps": 2, "lr": 1e-4, "batch_size": 4, "rotation_degrees": 0.0, "precision": "fp32", "seed": 0,
                 "max_minutes": 1},
}
DPI = 50.0


def _foot(dataset: str, image: str, subject: str, split: str, shift: int, look: str = "ink_paper") -> dict:
    points = (POINTS + [0, shift]).tolist()
    mm = 25.4 / DPI
    return {
        "sample_id": f"{dataset}/{image}", "dataset": dataset, "image": f"{image}.png", "subject": subject,
        "foot": "", "split": split, "look": look, "dpi": DPI, "to_mm": [[mm, 0, 0], [0, mm, 0], [0, 0, 1]],
        "to_crop": np.eye(3).tolist(), "points": points, "points_orig": points, "visible": [1] * 8,
        "partition": f"{dataset}/images/{image}.png", "page_kind": "ink",
    }


def _samples() -> tuple[pd.DataFrame, dict]:
    """6 real subjects with two feet each (data set `clinic`) and 24 generated feet of two looks."""
    rows = [_foot("clinic", f"s{s}_{side}", f"s{s}", "train", (s + k) % 3)
            for s in range(6) for k, side in enumerate("LR")]
    rows += [_foot("synthetic", f"g{i:02d}", f"g{i:02d}", ("train", "train", "val", "test")[i % 4], i % 3,
                   ("ink_paper", "inkmat_form")[i % 2]) for i in range(24)]
    crops = {r["sample_id"]: drawn_crop(int(r["points"][7][1] - POINTS[7][1])) for r in rows}
    return pd.DataFrame(rows), crops


@pytest.fixture(scope="module")
def registry(tmp_path_factory, mlflow_store):
    """A registry whose champion is version 1: an untrained tiny detector."""
    root = tmp_path_factory.mktemp("finetune_registry")
    with mlflow_store(f"sqlite:///{root / 'mlflow.db'}"):
        experiment = MlflowClient().create_experiment("finetune", artifact_location=(root / "artifacts").as_uri())
        mlflow.set_experiment(experiment_id=experiment)
        logged = log_variant_run("tiny", LandmarkDetector.create(TINY), None, {REGISTRY["champion_metric"]: 5.0}, {},
                                 {}, {"model": TINY, "data_fingerprint": "tiny"}, REGISTRY)
        assert logged["version"] == "1" and logged["champion"]
        yield MlflowClient()


@pytest.fixture()
def champion_v1(registry):
    registry.set_registered_model_alias(REGISTRY["model_name"], REGISTRY["champion_alias"], "1")
    return registry


def _champion(client) -> str:
    return str(client.get_model_version_by_alias(REGISTRY["model_name"], REGISTRY["champion_alias"]).version)


def _score_with_offsets(monkeypatch, champion_px: float, fine_tuned_px: float) -> None:
    """A stub scorer: the registered champion's points are `champion_px` to the right of the
    annotation, the fine-tuned model's `fine_tuned_px` (original px; 50 dpi)."""

    def predict(detector, feet, crops, raw_images=None, refine=True):
        offset = fine_tuned_px if "fine_tuned_from" in detector.info else champion_px
        truth = np.stack([np.asarray(p, float) for p in feet["points_orig"]])
        return feet["sample_id"].to_numpy(), truth + [offset, 0.0]

    monkeypatch.setattr(adaptation, "predict_feet", predict)


def _without_optimiser_steps(monkeypatch) -> None:
    """fine_tune as it is, but train_detector gives back a copy of the network it starts from (the
    rule's tests need a registered fine-tuned model, not training)."""

    def train_detector(train, valid, model_params, training_params, name=None, initial_network=None):
        history = pd.DataFrame({"epoch": [1], "train_loss": [1.0], "valid_loss": [1.0], "valid_nmae": [0.1]})
        return LandmarkDetector(dict(model_params), copy.deepcopy(initial_network), {}), history

    monkeypatch.setattr(adaptation, "train_detector", train_detector)


def _run_finetune(finetune: dict) -> dict:
    """The finetune pipeline's outputs: its registration and the held-out errors."""
    samples, crops = _samples()
    catalog = DataCatalog({
        "samples": MemoryDataset(samples), "crops": MemoryDataset(crops), "raw_images": MemoryDataset({}),
        "params:finetune": MemoryDataset(finetune), "params:registry": MemoryDataset(REGISTRY),
    })
    outputs = SequentialRunner().run(finetune_pipeline(), catalog)
    return {name: dataset.load() for name, dataset in outputs.items()}


@pytest.mark.parametrize(("fine_tuned_px", "promoted"), [(4.0, False), (1.0, True)], ids=["worse", "better"])
def test_the_champion_moves_only_when_the_fine_tuned_model_is_better_on_held_out_feet(
        champion_v1, monkeypatch, caplog, fine_tuned_px, promoted):
    _without_optimiser_steps(monkeypatch)
    _score_with_offsets(monkeypatch, champion_px=2.0, fine_tuned_px=fine_tuned_px)
    with caplog.at_level(logging.INFO, logger="foot_landmarks"):
        out = _run_finetune(FINETUNE)
    registration = out["finetune_registration"]
    version = registration["version"]
    assert version not in (None, "1") and registration["promoted"] is promoted
    assert _champion(champion_v1) == (version if promoted else "1")
    # both scores on the same held-out feet, in mm (every foot has a dpi): 2 px and 1 or 4 px at 50 dpi
    assert registration["held_out_unit"] == "mm" and registration["held_out_feet"] > 0
    assert registration["held_out_error_champion"] == pytest.approx(2.0 * 25.4 / DPI)
    assert registration["held_out_error"] == pytest.approx(fine_tuned_px * 25.4 / DPI)
    errors = out["finetune_held_out_errors"]
    assert set(errors["model"]) == {"champion (version 1)", "fine-tuned"}
    # the rule and both scores in the run, its data fingerprint on the version, and one log line
    run = MlflowClient().get_run(registration["run_id"])
    assert run.data.tags["promotion_rule"] == HELD_OUT_RULE and run.data.tags["promoted"] == str(promoted)
    assert run.data.metrics["held_out_error"] == pytest.approx(registration["held_out_error"])
    assert run.data.metrics["held_out_error_champion"] == pytest.approx(registration["held_out_error_champion"])
    tags = champion_v1.get_model_version(REGISTRY["model_name"], version).tags
    assert tags["data_fingerprint"] not in ("", "unknown", "tiny") and tags["fine_tuned_from"].endswith("version 1")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"finetune: version {version} ")]
    scores = f"fine-tuned {fine_tuned_px * 25.4 / DPI:.3f} vs champion (version 1) {2 * 25.4 / DPI:.3f} mm"
    assert len(lines) == 1 and scores in lines[0] and HELD_OUT_RULE in lines[0]


def test_without_held_out_feet_the_model_is_registered_not_promoted_and_says_why(champion_v1, monkeypatch, caplog):
    _score_with_offsets(monkeypatch, champion_px=2.0, fine_tuned_px=0.0)  # would win, if it could be compared
    with caplog.at_level(logging.INFO, logger="foot_landmarks"):
        out = _run_finetune({**FINETUNE, "held_out_share": 0.0})
    registration = out["finetune_registration"]
    assert registration["version"] not in (None, "1") and not registration["promoted"]
    assert _champion(champion_v1) == "1"
    assert registration["held_out_feet"] == 0 and registration["reason"].startswith("no held-out real feet")
    run = MlflowClient().get_run(registration["run_id"])
    assert run.data.tags["promotion"] == registration["reason"]
    assert any("registered, not promoted" in r.getMessage() and "no held-out real feet" in r.getMessage()
               for r in caplog.records)
    # every real foot trained, with as many generated ones, starting from the champion's weights: two
    # Adam steps at lr 1e-4 move a convolution weight by about 2e-4 (plus int8 rounding), while
    # two independent initialisations differ by about their own size
    assert run.data.metrics["real_train_feet"] == 12 and run.data.metrics["generated_train_feet"] == 12
    champion = load_registered_detector(REGISTRY, "1").network.state_dict()
    tuned = load_registered_detector(REGISTRY, registration["version"]).network.state_dict()
    fresh = LandmarkDetector.create(TINY).network.state_dict()
    convolutions = [k for k, v in champion.items() if v.ndim == 4]
    moved = max(float((tuned[k] - champion[k]).abs().max()) for k in convolutions)
    apart = min(float((fresh[k] - champion[k]).abs().max()) for k in convolutions)
    assert 0 < moved < 0.01 < apart


def test_real_feet_are_split_by_whole_subjects():
    samples, _ = _samples()
    real = samples[samples["dataset"] == "clinic"]
    for seed in range(5):
        split = adaptation.split_by_subject(real, 0.3, seed)
        sides = real.assign(split=split).groupby("subject")["split"].nunique()
        assert (sides == 1).all(), "no subject on both sides"
        held = (split == adaptation.HELD_OUT).sum()
        assert 2 <= held <= 6 and held % 2 == 0  # whole subjects of two feet, about 30 % of 12
    # a sheet without a subject is its own group: both feet of it stay together
    sheet = real.assign(subject="", image=[f"sheet{i // 2}.png" for i in range(len(real))])
    split = adaptation.split_by_subject(sheet, 0.5, 0)
    assert (sheet.assign(split=split).groupby("image")["split"].nunique() == 1).all()
    assert adaptation.split_by_subject(real, 0.0, 0).eq(adaptation.TRAIN).all()
    assert adaptation.split_by_subject(real[real["subject"] == "s0"], 0.9, 0).eq(adaptation.TRAIN).all()


def _red_points(picture: Image.Image) -> int:
    rgb = np.asarray(picture.convert("RGB")).astype(int)
    red = (rgb[..., 0] > 170) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    return ndimage.label(red)[1]


def test_the_learning_curve_has_one_point_per_n_capped_at_the_real_feet_available(monkeypatch):
    samples, crops = _samples()
    trained: list[set] = []

    def fine_tune(base, feet, crops, training, name="finetune"):
        trained.append(set(feet.loc[feet["real"] & (feet["split"] == adaptation.TRAIN), "sample_id"]))
        detector = LandmarkDetector.create(TINY)
        detector.info["fine_tuned_from"] = name
        return detector, pd.DataFrame()

    monkeypatch.setattr(adaptation, "fine_tune", fine_tune)
    _score_with_offsets(monkeypatch, champion_px=3.0, fine_tuned_px=1.0)
    real = samples[samples["dataset"] == "clinic"].copy()
    real["split"] = adaptation.split_by_subject(real, 0.3, 1)
    available = int((real["split"] == adaptation.TRAIN).sum())
    table = learning_curve_table(LandmarkDetector.create(TINY), real, samples, crops, {}, FINETUNE)
    assert table["n_real_feet"].tolist() == [0, 5, available]  # 10, 20 and 40 capped at what there is
    assert table["error"].tolist() == pytest.approx([3 * 25.4 / DPI] + [25.4 / DPI] * 2)
    assert [len(t) for t in trained] == [5, available] and trained[0] < trained[1]  # nested draws
    held_out = set(real.loc[real["split"] == adaptation.HELD_OUT, "sample_id"])
    assert not held_out & trained[1]
    picture = plot_learning_curve(table)
    assert isinstance(picture, Image.Image) and _red_points(picture) == len(table)


def test_leave_one_sheet_out_never_trains_on_the_sheet_it_scores(monkeypatch):
    samples, crops = _samples()
    trained: list[set] = []

    def fine_tune(base, feet, crops, training, name="finetune"):
        trained.append(set(feet.loc[feet["split"] == adaptation.TRAIN, "sample_id"]))
        detector = LandmarkDetector.create(TINY)
        detector.info["fine_tuned_from"] = name
        return detector, pd.DataFrame()

    monkeypatch.setattr(adaptation, "fine_tune", fine_tune)
    _score_with_offsets(monkeypatch, champion_px=3.0, fine_tuned_px=1.0)
    real = samples[samples["dataset"] == "clinic"].head(6)
    # the whole image of one sheet is scored too: a stub for the page stage that finds its foot
    # 3 px off before fine-tuning and 1 px after, and a scan object as the raw partitions give
    whole_sheet = real.iloc[0]
    scored: list[tuple[str, str]] = []

    def whole_image_errors(detector, path, sheet):
        scored.append((path, sheet["image"].iloc[0]))
        offset = 1.0 if "fine_tuned_from" in detector.info else 3.0
        truth = adaptation.sheet_truth(sheet).assign(found=True)
        truth["pred_points"] = [p + [offset, 0.0] for p in truth["points"]]
        truth["confidence"] = [np.ones(8)] * len(truth)
        truth["low_confidence"] = [np.zeros(8, bool)] * len(truth)
        return adaptation.point_errors(truth)

    class Scan:
        path = "/scans/whole.png"

    monkeypatch.setattr(adaptation, "whole_image_errors", whole_image_errors)
    raw = {whole_sheet["partition"]: lambda: Scan()}
    table, points, whole = adaptation.leave_one_sheet_out(LandmarkDetector.create(TINY), real, samples, crops, raw,
                                                          FINETUNE)
    assert table["image"].tolist() == sorted(real["image"]) and (table["n_feet"] == 1).all()
    for image, used in zip(table["image"], trained):
        assert f"clinic/{image[:-4]}" not in used and len(used & set(real["sample_id"])) == 5
    # 3 px and 1 px on a foot 100 px long (heel to the farthest toe tip)
    length = np.linalg.norm(POINTS[:5] - POINTS[7], axis=1).max()
    assert table["error_before_pct"].tolist() == pytest.approx([300 / length] * 6)
    assert table["error_after_pct"].tolist() == pytest.approx([100 / length] * 6)
    # every point 3 px (more than 2 % of 100 px) off before, 1 px after
    assert (table["within_2pct_before"] == 0).all() and (table["within_2pct_after"] == 100).all()
    assert len(points) == 6
    # the whole image: scored with the base and the fine-tuned model, only for the sheet with a scan
    assert scored == [("/scans/whole.png", whole_sheet["image"])] * 2
    row = table.set_index("image").loc[whole_sheet["image"]]
    assert row["feet_found_before"] == row["feet_found_after"] == 1 and row["whole_points_after"] == 8
    assert row["whole_error_before_pct"] == pytest.approx(300 / length)
    assert row["whole_error_after_pct"] == pytest.approx(100 / length)
    assert row["whole_within_2pct_before"] == 0 and row["whole_within_2pct_after"] == 100
    assert table.drop(index=table.index[table["image"] == whole_sheet["image"]])["whole_error_after_pct"].isna().all()
    assert sorted(whole["model"].unique()) == ["after", "before"] and len(whole) == 16


def test_a_whole_image_is_scored_as_a_user_sends_it(tmp_path):
    """The page stage finds, orients and sides the foot of a generated page (its points read off
    the pixels by the geometric stand-in) and the generator's points score it; an annotation
    elsewhere on the page is another foot, not found; a page without a print scores its foot as
    not found, without raising."""
    data = generate_dataset(1, 21, n_broken=0, processes=1, mix={"ink_paper": 1.0, "a4": 1.0}, progress=False)
    name = data.images["image"].iloc[0]
    path = tmp_path / name
    path.write_bytes(data.files[name])
    truth = data.points.sort_values("landmark")[["x", "y"]].to_numpy(float)

    def sheet(points: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame([{"image": name, "foot": "", "dpi": 300.0, "view": "print", "points_orig": points,
                              "visible": [1] * 8}])

    errors = adaptation.whole_image_errors(GeometricDetector(), str(path), sheet(truth))
    assert len(errors) == 8 and errors["found"].all() and errors["image"].eq(name).all()
    measures = adaptation.whole_image_measures(errors)
    assert measures["feet_found"] == 1 and measures["points"] == 8
    assert measures["error_pct"] < 0.5 and measures["within_2pct"] == 100
    length = np.linalg.norm(truth[:5] - truth[7], axis=1).max()
    elsewhere = adaptation.whole_image_errors(GeometricDetector(), str(path), sheet(truth + [0.0, 0.6 * length]))
    assert not elsewhere["found"].any() and elsewhere["error_frac"].isna().all()
    blank = tmp_path / "blank.png"
    Image.new("L", (800, 1100), 250).save(blank)
    nothing = adaptation.whole_image_errors(GeometricDetector(), str(blank), sheet(truth))
    assert not nothing["found"].any() and adaptation.whole_image_measures(nothing)["feet_found"] == 0


def test_domain_shift_fine_tunes_on_the_pool_and_scores_unseen_feet_of_the_look(monkeypatch):
    samples, crops = _samples()
    used: list[pd.DataFrame] = []

    def fine_tune(base, feet, crops, training, name="finetune"):
        used.append(feet)
        detector = LandmarkDetector.create(TINY)
        detector.info["fine_tuned_from"] = name
        return detector, pd.DataFrame()

    monkeypatch.setattr(adaptation, "fine_tune", fine_tune)
    _score_with_offsets(monkeypatch, champion_px=3.0, fine_tuned_px=1.0)
    shift = {"look": "inkmat_form", "n_feet": [2, 4, 40], "pool_splits": ["train"], "test_splits": ["val", "test"],
             "seed": 0}
    tiny = LandmarkDetector.create(TINY)
    table = adaptation.domain_shift(tiny, tiny, samples, crops, {}, FINETUNE, shift)
    look = samples[samples["look"] == "inkmat_form"]
    assert table["n_feet"].tolist()[:-1] == [0, 2, 4, 6]  # 40 capped at the 6 train feet of the look
    assert (table["test_feet"] == look["split"].isin(["val", "test"]).sum()).all()
    for feet in used:
        training = feet[feet["split"] == adaptation.TRAIN]
        real, generated = training[training["real"]], training[~training["real"]]
        assert (real["look"] == "inkmat_form").all() and (real["split"] == "train").all()
        assert real["sample_id"].isin(look.loc[look["split"] == "train", "sample_id"]).all()
        assert (generated["look"] != "inkmat_form").all()
    assert table["model"].iloc[-1].startswith("reference")


def test_training_can_leave_a_look_out(monkeypatch):
    samples, crops = _samples()
    samples = samples[samples["dataset"] == "synthetic"]
    seen = {}

    def train_detector(train, valid, model_params, training_params, name=None):
        seen.update(train=len(train[0]), valid=len(valid[0]))
        return LandmarkDetector.create(TINY), pd.DataFrame()

    monkeypatch.setattr(training_nodes, "train_detector", train_detector)
    monkeypatch.setattr(training_nodes, "training_flop_per_image", lambda network, input_size: 1.0)
    model_input = training_nodes.build_model_input(samples, crops, TINY)
    training_nodes.train_model(model_input, TINY, {"exclude_looks": ["inkmat_form"]})
    kept = samples[samples["look"] != "inkmat_form"]
    assert seen == {"train": (kept["split"] == "train").sum(), "valid": (kept["split"] == "val").sum()}
    training_nodes.train_model(model_input, TINY, {"exclude_looks": "inkmat_form"})  # as --params gives it
    assert seen["train"] == (kept["split"] == "train").sum()
    training_nodes.train_model(model_input, TINY, {})
    assert seen == {"train": (samples["split"] == "train").sum(), "valid": (samples["split"] == "val").sum()}


def test_a_fine_tune_stops_at_its_time_limit_and_leaves_the_given_network_untouched():
    from foot_landmarks.training import train_detector

    samples, crops = _samples()
    model_input = training_nodes.build_model_input(samples[samples["dataset"] == "clinic"], crops, TINY)
    arrays = model_input["images"], model_input["keypoints"], model_input["visible"]
    start = LandmarkDetector.create(TINY).network
    before = {k: v.clone() for k, v in start.state_dict().items()}
    detector, history = train_detector(arrays, arrays, TINY, {"epochs": 50, "batch_size": 4, "precision": "fp32",
                                                              "max_minutes": 1e-4}, initial_network=start)
    # the precision check alone passes 6 ms: one batch, then the stop; no epoch finished
    assert detector.info["stopped_at_time_limit"] and len(history) == 0
    assert all((v == before[k]).all() for k, v in start.state_dict().items())
    assert detector.network is not start
