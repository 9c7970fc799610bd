"""A controlled domain shift. First the base model, trained without one look and registered under
its own name so the production champion is untouched (about 17 min on 2 cores):

    kedro run --pipeline training --namespaces resnet18_light_s4 \
      --params "resnet18_light_s4.training.exclude_looks=inkmat_form,registry.model_name=foot-landmarks-without-inkmat_form"

then (adaptation.domain_shift in conf/base/parameters_finetune.yml names the look and the models):

    kedro run --pipeline adaptation_shift

fine-tunes it on N feet of that look for each N and scores every model, and the champion that saw
the look in full training, on the same feet of that look."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from foot_landmarks.pipelines.finetune.nodes import load_shift_models, log_adaptation_table, run_domain_shift


def create_pipeline(**kwargs) -> Pipeline:
    log_table = update_wrapper(partial(log_adaptation_table, name="domain_shift"), log_adaptation_table)
    return Pipeline(
        [
            Node(load_shift_models, ["params:registry", "params:adaptation.domain_shift"],
                 ["shift_base_detector", "shift_reference_detector"], name="load_shift_models"),
            Node(run_domain_shift,
                 ["shift_base_detector", "shift_reference_detector", "samples", "crops", "raw_images",
                  "params:finetune", "params:adaptation.domain_shift"],
                 "domain_shift_table", name="domain_shift"),
            Node(log_table, "domain_shift_table", None, name="log_domain_shift"),
        ],
        tags="adaptation_shift",
    )
