"""The reporting pipeline reads the variants' runs from the experiment conf/base/mlflow.yml names
(the one place for it), in a Kedro session against a throw-away MLflow store."""

from __future__ import annotations

import mlflow
import pandas as pd
import yaml


def test_reporting_compares_the_variants_of_the_experiment_mlflow_yml_names(kedro_project, tiny_registry):
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    experiment = yaml.safe_load((kedro_project / "conf" / "base" / "mlflow.yml").read_text())["tracking"]["experiment"]
    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        session.load_context()  # kedro-mlflow makes mlflow.yml's experiment the active one
        with mlflow.start_run(run_name="light") as run:  # a variant's run, as foot_landmarks.tracking logs it
            mlflow.set_tag("variant", "light")
            mlflow.log_metrics({"val_mre_mm": 2.0, "test_mre_mm": 2.1})
        assert mlflow.get_experiment(run.info.experiment_id).name == experiment["name"]
        session.run(pipeline_names=["reporting"])
    comparison = pd.read_csv(kedro_project / "data" / "08_reporting" / "variant_comparison.csv")
    # the tiny registry's variant `tiny` was logged in another experiment of the same store
    assert comparison["variant"].tolist() == ["light"] and comparison["test_mre_mm"].tolist() == [2.1]
