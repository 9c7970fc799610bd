"""Kedro project settings."""

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "parameters": ["parameters*", "parameters*/**", "**/parameters*"],
        "mlflow": ["mlflow*", "mlflow*/**"],
    },
    # An environment (e.g. conf/table1_cpu) overrides single keys of a variant, not the variant whole.
    "merge_strategy": {"parameters": "soft"},
    # mlflow.yml reads MLFLOW_TRACKING_URI so the environment can point runs elsewhere.
    "custom_resolvers": {"oc.env": oc.env},
}
