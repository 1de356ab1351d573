"""MLflow runs of the networks' training (``mlflow_experiment``)."""

import pickle
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from sknn_hep.io import load
from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
    TrainingDivergedError,
)

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

FAST = dict(n_layers=1, n_units=8, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=4, random_state=0)


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A file store in tmp_path (MLflow 3 asks for an opt-in to file stores)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    yield MlflowClient()
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(previous)


def _runs(client, name):
    experiment = client.get_experiment_by_name(name)
    return client.search_runs([experiment.experiment_id], order_by=["start_time"])


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor, MultiTaskNeuralNet])
def test_run_holds_params_history_and_model(data, tracking, tmp_path, cls):
    X, y = data
    y = y.reshape(-1, 1) if cls is MultiTaskNeuralNet else y
    est = cls(max_epochs=3, early_stopping=True, mlflow_experiment="lab", **FAST)
    est.fit(X, y)
    (run,) = _runs(tracking, "lab")
    assert run.info.run_id == est.mlflow_run_id_
    assert run.info.status == "FINISHED"
    assert run.data.tags["estimator"] == cls.__name__
    assert run.data.params["max_epochs"] == "3"
    assert run.data.params["n_units"] == "8"
    assert run.data.params["mlflow_experiment"] == "lab"
    for key in ("train_loss", "valid_loss", "lr"):
        logged = tracking.get_metric_history(run.info.run_id, key)
        assert [m.step for m in logged] == [1, 2, 3]
        np.testing.assert_allclose(
            [m.value for m in logged], [row[key] for row in est.history_], rtol=1e-6
        )
    assert run.data.metrics["n_iter"] == 3
    assert run.data.metrics["best_epoch"] == est.best_epoch_
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id,
        artifact_path="model/model.sknn",
        dst_path=str(tmp_path / "download"),
    )
    np.testing.assert_array_equal(load(local).predict(X), est.predict(X))
    # the logger is not kept: the fitted model pickles without MLflow objects
    assert "mlflow" not in dict(est.net_.callbacks_)
    pickle.loads(pickle.dumps(est)).predict(X)


def test_search_inside_a_run_gives_one_child_run_per_fit(data, tracking):
    X, y = data
    search = GridSearchCV(
        NeuralClassifier(max_epochs=1, mlflow_experiment="search", **FAST),
        {"n_units": [4, 8]},
        cv=2,
    )
    with mlflow.start_run(experiment_id=mlflow.create_experiment("search")) as parent:
        search.fit(X, y)
    runs = [r for r in _runs(tracking, "search") if r.info.run_id != parent.info.run_id]
    # 2 candidates x 2 folds + the refit
    assert len(runs) == 5
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent.info.run_id}
    refit = str(search.best_params_["n_units"])
    assert sorted(r.data.params["n_units"] for r in runs) == sorted(
        ["4", "4", "8", "8", refit]
    )
    assert search.best_estimator_.mlflow_run_id_ == runs[-1].info.run_id


def test_failed_fit_ends_its_run_as_failed(data, tracking):
    X, y = data
    clf = NeuralClassifier(
        lr=1e12, optimizer="sgd", max_epochs=5, mlflow_experiment="bad", **FAST
    )
    with pytest.raises(TrainingDivergedError):
        clf.fit(X, y)
    (run,) = _runs(tracking, "bad")
    assert run.info.status == "FAILED"
    assert mlflow.active_run() is None
    assert not hasattr(clf, "mlflow_run_id_")


def test_warm_start_is_one_run_per_call_with_continuing_steps(data, tracking):
    X, y = data
    clf = NeuralClassifier(
        max_epochs=2, warm_start=True, mlflow_experiment="warm", **FAST
    )
    clf.fit(X, y)
    first = clf.mlflow_run_id_
    clf.fit(X, y)
    assert clf.mlflow_run_id_ != first
    steps = [m.step for m in tracking.get_metric_history(clf.mlflow_run_id_, "lr")]
    assert steps == [3, 4]
    clf.set_params(mlflow_experiment=None, warm_start=False).fit(X, y)
    assert not hasattr(clf, "mlflow_run_id_")
    assert len(_runs(tracking, "warm")) == 2


def test_missing_mlflow_is_a_clear_error(data, monkeypatch):
    X, y = data
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(
        ImportError, match=r"mlflow_experiment='x'.*pip install -e \"\.\[monitor\]\""
    ):
        NeuralClassifier(max_epochs=1, mlflow_experiment="x").fit(X, y)


def test_mlflow_experiment_type_is_validated(data):
    X, y = data
    with pytest.raises(ValueError, match="'mlflow_experiment' parameter"):
        NeuralClassifier(max_epochs=1, mlflow_experiment=3).fit(X, y)
