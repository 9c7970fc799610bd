"""The variants the training and evaluation pipelines are instantiated for (Kedro namespaces).

Their parameters live in conf/base/parameters_training.yml under the same names.
"""

STUDY_VARIANTS = (
    "resnet18_333x256",
    "resnet18_333x128",
    "resnet34_333x256",
    "resnet50_333x256",
    "resnet50_333x128",
)
EFFICIENT_VARIANTS = ("resnet18_light_s4",)
VARIANTS = STUDY_VARIANTS + EFFICIENT_VARIANTS
BASELINE_VARIANT = "geometric"  # the classical baseline: evaluated like a variant, never trained
