"""Fine-tuning on a clinic's own feet (issue 21):

    kedro run --pipeline finetune --params finetune.datasets=NAME       (several: "finetune.datasets=A;B")

starts from the registered champion (or `finetune.base=<version>`), trains on the real feet of NAME
(data/01_raw/NAME, processed by data_processing) mixed with generated ones, scores the champion
and the new model on the same held-out real feet, registers the new version and moves the
champion alias only if it is better there."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    fine_tune_base,
    load_base_and_champion,
    mix_training_feet,
    register_fine_tuned,
    score_held_out,
    select_real_feet,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(load_base_and_champion, ["params:registry", "params:finetune"],
                 ["finetune_base_detector", "finetune_champion_detector"], name="load_base_and_champion"),
            Node(select_real_feet, ["samples", "params:finetune"], "finetune_real_feet", name="select_real_feet"),
            Node(mix_training_feet, ["finetune_real_feet", "samples", "params:finetune"], "finetune_feet",
                 name="mix_training_feet"),
            Node(fine_tune_base, ["finetune_base_detector", "finetune_feet", "crops", "params:finetune"],
                 ["finetune_detector", "finetune_history"], name="fine_tune"),
            Node(score_held_out, ["finetune_champion_detector", "finetune_feet", "crops", "raw_images", "params:finetune"],
                 "finetune_champion_errors", name="score_champion"),
            Node(score_held_out, ["finetune_detector", "finetune_feet", "crops", "raw_images", "params:finetune"],
                 "finetune_errors", name="score_fine_tuned"),
            Node(
                register_fine_tuned,
                ["finetune_detector", "finetune_history", "finetune_champion_errors", "finetune_errors",
                 "finetune_champion_detector", "params:finetune", "params:registry"],
                ["finetune_registration", "finetune_held_out_errors"],
                name="register_fine_tuned",
            ),
        ],
        tags="finetune",
    )
