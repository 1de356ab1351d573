"""MultiTaskNeuralNet: shared body, one head per task, masked regression targets."""

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn_hep.neural_network._multitask as multitask_module
from sknn_hep.metrics import task_scorer
from sknn_hep.neural_network import MultiTaskNeuralNet, NeuralClassifier
from sknn_hep.nn.losses import MultiTaskLoss

FAST = dict(n_layers=2, n_units=32, batch_size=32, max_epochs=15, lr=3e-3)

# conformance configurations (tests/test_common.py)
COMMON_INSTANCES = [
    MultiTaskNeuralNet(n_layers=2, n_units=32, batch_size=32, max_epochs=30, lr=1e-2),
    MultiTaskNeuralNet(
        n_layers=2,
        n_units=32,
        batch_size=32,
        max_epochs=30,
        lr=1e-2,
        block="residual",
        batch_norm=True,
        early_stopping=True,
        validation_fraction=0.2,
    ),
]


def _tagging_problem(n, seed):
    """Signal/background with an 'energy' that exists for signal only."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    signal = (X[:, 0] + X[:, 1] ** 2 - 1 + 0.3 * rng.normal(size=n) > 0).astype(float)
    energy = 200 + 50 * X[:, 2] + 20 * X[:, 3] * X[:, 4]
    energy = np.where(signal == 1, energy, np.nan)
    return X, np.column_stack([signal, energy])


@pytest.fixture(scope="module")
def problem():
    X, y = _tagging_problem(2000, 0)
    X_test, y_test = _tagging_problem(2000, 1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(problem):
    X, y, _, _ = problem
    net = MultiTaskNeuralNet(
        tasks=["binary", "regression"], random_state=0, **{**FAST, "max_epochs": 30}
    )
    return net.fit(X, y)


def test_learns_both_tasks_on_held_out_data(fitted, problem):
    _, _, X_test, y_test = problem
    auc = roc_auc_score(y_test[:, 0], fitted.predict_proba(X_test)[:, 1])
    has = ~np.isnan(y_test[:, 1])
    r2 = r2_score(y_test[has, 1], fitted.predict(X_test)[has, 1])
    assert auc > 0.9
    assert r2 > 0.8
    assert fitted.tasks_ == ["binary", "regression"]
    assert fitted.predict(X_test).shape == (len(X_test), 2)
    assert set(np.unique(fitted.predict(X_test)[:, 0])) <= {0.0, 1.0}


def test_masked_targets_cannot_change_the_model(problem, monkeypatch):
    X, y, X_test, _ = problem
    kw = dict(tasks=["binary", "regression"], random_state=0, **FAST)
    reference = MultiTaskNeuralNet(**kw).fit(X, y).predict(X_test)
    # the masked rows' entry of the target tensor is set to a huge value
    monkeypatch.setattr(multitask_module, "_MASKED_FILL", 1e30)
    huge = MultiTaskNeuralNet(**kw).fit(X, y)
    np.testing.assert_array_equal(huge.predict(X_test), reference)
    assert np.isfinite(huge.loss_curve_).all()


def test_regression_scaling_uses_only_rows_with_a_target(problem):
    X, y, _, _ = problem
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    net = MultiTaskNeuralNet(tasks=["binary", "regression"], random_state=0, **FAST)
    # all rows train (no validation split): the scaling sees every target
    net.set_params(max_epochs=1, early_stopping=False).fit(X, y, sample_weight=w)
    has = ~np.isnan(y[:, 1])
    expected = np.average(y[has, 1], weights=w[has])
    output = net.net_.module_.output
    assert output.mean[1].item() == pytest.approx(expected, rel=1e-6)
    assert output.mean[0].item() == 0.0 and output.scale[0].item() == 1.0


def test_masked_loss_and_gradient_are_exactly_zero():
    loss = MultiTaskLoss(kinds=["binary", "regression"], widths=[1, 1], factors=[1, 1])
    logits = torch.zeros(3, 2, requires_grad=True)
    target = torch.tensor(
        [[1.0, 0.5, 1.0, 1.0], [0.0, 1e30, 1.0, 0.0], [0.0, float("inf"), 1.0, 0.0]]
    )
    out = loss(logits, target)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.zeros(3), target[:, 0], reduction="none"
    )
    torch.testing.assert_close(out, bce + torch.tensor([0.25, 0.0, 0.0]))
    out.sum().backward()
    assert logits.grad[1:, 1].tolist() == [0.0, 0.0]
    assert logits.grad[0, 1].item() == pytest.approx(-1.0)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_zero_weight_on_regression_gives_the_single_task_classifier(
    problem, early_stopping
):
    X, y, X_test, _ = problem
    kw = dict(random_state=0, early_stopping=early_stopping, **FAST)
    multi = MultiTaskNeuralNet(
        tasks=["binary", "regression"], task_weights=(1, 0), **kw
    ).fit(X, y)
    single = NeuralClassifier(**kw, n_ensemble=1).fit(X, y[:, 0])
    np.testing.assert_array_equal(
        multi.predict_proba(X_test), single.predict_proba(X_test)
    )
    assert multi.loss_curve_ == single.loss_curve_
    assert multi.best_epoch_ == single.best_epoch_


def test_zero_weight_multiclass_task_alone(problem):
    X, _, X_test, _ = problem
    labels = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    y = np.column_stack([labels, np.where(labels == 2, X[:, 2], np.nan)])
    kw = dict(random_state=1, **FAST)
    multi = MultiTaskNeuralNet(
        tasks=["multiclass", "regression"], task_weights=[1.0, 0.0], **kw
    ).fit(X, y)
    single = NeuralClassifier(**kw, n_ensemble=1).fit(X, labels)
    np.testing.assert_array_equal(
        multi.predict_proba(X_test), single.predict_proba(X_test)
    )


def test_task_weights_change_the_training(problem):
    X, y, X_test, _ = problem
    kw = dict(tasks=["binary", "regression"], random_state=0, **FAST)
    a = MultiTaskNeuralNet(task_weights=(1, 1), **kw).fit(X, y)
    b = MultiTaskNeuralNet(task_weights=(1, 5), **kw).fit(X, y)
    assert not np.allclose(a.predict(X_test), b.predict(X_test))


def test_dataframe_targets_names_and_task_scorers(problem):
    X, y, _, _ = problem
    X, y = X[:600], y[:600]
    Y = pd.DataFrame({"is_top": y[:, 0], "true_energy": y[:, 1]})
    net = MultiTaskNeuralNet(tasks=["binary", "regression"], random_state=0, **FAST)
    auc = cross_val_score(net, X, Y, cv=2, scoring=task_scorer("is_top", "roc_auc"))
    assert auc.min() > 0.85
    fitted = clone(net).fit(X, Y)
    assert fitted.task_names_ == ["is_top", "true_energy"]
    # scorer by position and by name agree; regression scored on rows with target
    by_name = task_scorer("true_energy", "r2")(fitted, X, Y)
    by_index = task_scorer(1, "r2")(fitted, X, y)
    has = ~np.isnan(y[:, 1])
    assert (
        by_name
        == by_index
        == pytest.approx(r2_score(y[has, 1], fitted.predict(X)[has, 1]))
    )
    assert task_scorer("is_top")(fitted, X, Y) == pytest.approx(
        np.mean(fitted.predict(X)[:, 0] == y[:, 0])
    )


def test_grid_search_tunes_task_weights_for_the_tagging_auc(problem):
    X, y, _, _ = problem
    X, y = X[:600], y[:600]
    pipe = make_pipeline(
        StandardScaler(),
        MultiTaskNeuralNet(tasks=["binary", "regression"], random_state=0, **FAST),
    )
    grid = {"multitaskneuralnet__task_weights": [(1, 0.1), (1, 1)]}
    search = GridSearchCV(pipe, grid, cv=2, scoring=task_scorer(0, "roc_auc"))
    search.fit(X, y)
    assert (
        search.best_params_["multitaskneuralnet__task_weights"]
        in grid["multitaskneuralnet__task_weights"]
    )
    assert search.predict(X[:5]).shape == (5, 2)


def test_pipeline_clone_and_joblib_round_trip(problem, tmp_path):
    X, y, X_test, _ = problem
    pipe = make_pipeline(
        StandardScaler(),
        MultiTaskNeuralNet(tasks=["binary", "regression"], random_state=0, **FAST),
    ).fit(X[:500], y[:500])
    path = tmp_path / "multitask.joblib"
    joblib.dump(pipe, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X_test), pipe.predict(X_test))
    np.testing.assert_array_equal(
        loaded.predict_proba(X_test), pipe.predict_proba(X_test)
    )
    twin = clone(pipe).fit(X[:500], y[:500])
    np.testing.assert_array_equal(twin.predict(X_test), pipe.predict(X_test))


def test_two_classification_tasks_and_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    flavour = np.array(["b", "c", "light"])[np.digitize(X[:, 0], [-0.4, 0.4])]
    charge = np.where(X[:, 1] > 0, 1, -1)
    y = np.column_stack([flavour, charge]).astype(object)
    y[:, 1] = charge
    net = MultiTaskNeuralNet(random_state=0, **FAST).fit(X, y)
    assert net.tasks_ == ["multiclass", "binary"]
    proba = net.predict_proba(X)
    assert isinstance(proba, list) and [p.shape for p in proba] == [(300, 3), (300, 2)]
    pred = net.predict(X)
    assert pred.dtype == object and set(pred[:, 0]) <= {"b", "c", "light"}
    assert list(net.task_classes_[0]) == ["b", "c", "light"]
    assert 0.5 < net.score(X, y) <= 1.0


def test_regression_only_has_no_predict_proba():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.column_stack([X[:, 0] * 3.5, X[:, 1] - 0.25])
    net = MultiTaskNeuralNet(random_state=0, **FAST).fit(X, y)
    assert net.tasks_ == ["regression", "regression"]
    assert not hasattr(net, "predict_proba")
    assert net.score(X, y) > 0.8


def test_validation_mask_and_early_stopping(problem):
    X, y, _, _ = problem
    mask = np.zeros(len(X), dtype=bool)
    mask[::5] = True
    net = MultiTaskNeuralNet(
        tasks=["binary", "regression"],
        random_state=0,
        early_stopping=True,
        patience=2,
        **{**FAST, "max_epochs": 200},
    ).fit(X, y, validation_mask=mask)
    assert net.n_iter_ < 200
    assert all("valid_loss" in row for row in net.history_)


def test_warm_start_continues(problem):
    X, y, _, _ = problem
    net = MultiTaskNeuralNet(
        tasks=["binary", "regression"], random_state=0, warm_start=True, **FAST
    )
    net.set_params(max_epochs=2).fit(X[:300], y[:300])
    net.fit(X[:300], y[:300])
    assert net.n_iter_ == 4
    with pytest.raises(ValueError, match="3 columns, but MultiTaskNeuralNet"):
        net.fit(X[:300], np.column_stack([y[:300], y[:300, :1]]))


@pytest.mark.parametrize(
    ("params", "y_change", "match"),
    [
        ({"tasks": ["binary"]}, None, "'tasks' parameter .* one of"),
        ({"tasks": ["binary", "energy"]}, None, "'tasks' parameter"),
        ({"task_weights": (1,)}, None, "'task_weights' parameter"),
        ({"task_weights": (1, -1)}, None, "'task_weights' parameter"),
        ({"task_weights": (0, 0)}, None, "'task_weights' parameter"),
        ({"task_weights": (1, np.nan)}, None, "'task_weights' parameter"),
        ({}, "three_classes", "declared 'binary' but has 3 classes"),
        ({}, "nan_label", "missing labels"),
        ({}, "all_nan", "no target in any row"),
        ({}, "inf", "infinite targets"),
        ({}, "one_class", "at least 2 classes"),
    ],
)
def test_errors_name_the_problem(problem, params, y_change, match):
    X, y, _, _ = problem
    X, y = X[:200], y[:200].copy()
    if y_change == "three_classes":
        y[:3, 0] = 2
    elif y_change == "nan_label":
        y[0, 0] = np.nan
    elif y_change == "all_nan":
        y[:, 1] = np.nan
    elif y_change == "inf":
        y[np.flatnonzero(~np.isnan(y[:, 1]))[0], 1] = np.inf
    elif y_change == "one_class":
        y[:, 0] = 1
    kw = {"tasks": ["binary", "regression"], **params}
    with pytest.raises(ValueError, match=match):
        MultiTaskNeuralNet(**kw, **{**FAST, "max_epochs": 1}).fit(X, y)


def test_task_scorer_errors(fitted, problem):
    X, y, _, _ = problem
    with pytest.raises(ValueError, match="not one of the tasks"):
        task_scorer("mass", "r2")(fitted, X, y)
    with pytest.raises(ValueError, match="has 2 tasks"):
        task_scorer(2)(fitted, X, y)
    clf = NeuralClassifier(**{**FAST, "max_epochs": 1}).fit(X[:100], y[:100, 0])
    with pytest.raises(TypeError, match="multi-task estimator"):
        task_scorer(0)(clf, X, y)
    with pytest.raises(ValueError, match="not a valid scoring value|Invalid"):
        task_scorer(0, "no_such_metric")
