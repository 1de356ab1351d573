"""Inputs, targets and parameter validation of the estimators: categorical
features, regression targets, invalid parameters."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import r2_score, roc_auc_score

from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor

# -- categorical features -------------------------------------------------------

N_CODES = 20
CAT_KW = dict(
    n_layers=2, n_units=32, batch_size=64, max_epochs=20, lr=1e-2, random_state=0
)


@pytest.fixture(scope="module")
def coded():
    """Column 0 holds codes 0..19; the label is 'code in a random half'."""
    rng = np.random.default_rng(0)
    subset = rng.choice(N_CODES, size=N_CODES // 2, replace=False)

    def draw(n):
        codes = rng.integers(0, N_CODES, n)
        X = np.column_stack([codes, rng.normal(size=(n, 3))]).astype(float)
        return X, np.isin(codes, subset).astype(int)

    X, y = draw(800)
    X_test, y_test = draw(2000)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def embedded(coded):
    X, y, _, _ = coded
    return NeuralClassifier(**CAT_KW, categorical_features=[0]).fit(X, y)


def test_categorical_embedding_learns_code_lookup(coded, embedded):
    X, y, X_test, y_test = coded
    auc_embedded = roc_auc_score(y_test, embedded.predict_proba(X_test)[:, 1])
    # a plain network on the raw code cannot learn the lookup (a periodic
    # numeric embedding can: tests/test_defaults.py)
    numeric = NeuralClassifier(**{**CAT_KW, "num_embedding": None}).fit(X, y)
    auc_numeric = roc_auc_score(y_test, numeric.predict_proba(X_test)[:, 1])
    assert auc_embedded > 0.99
    assert auc_numeric < 0.9
    assert embedded.categorical_indices_.tolist() == [0]
    np.testing.assert_array_equal(embedded.categories_[0], np.arange(N_CODES))
    table = embedded.net_.module_.embedding.embeddings[0]
    assert table.num_embeddings == N_CODES + 1  # + the unknown row
    assert table.embedding_dim == 10  # auto: min(50, (20 + 1) // 2)
    # numeric inputs: the 3 noise columns only
    assert embedded.net_.module_.scaler.center.shape == (3,)


def test_unseen_code_maps_to_mean_of_learnt_rows(coded, embedded):
    X, _, _, _ = coded
    weight = embedded.net_.module_.embedding.embeddings[0].weight.detach()
    torch.testing.assert_close(weight[0], weight[1:].mean(dim=0))
    # a learnt table, not the initial one: the rows differ
    assert float(weight[1:].std(dim=0).min()) > 0
    X_new = X[:5].copy()
    X_new[:, 0] = [20, 99, 1000, 21, 55]
    proba = embedded.predict_proba(X_new)
    assert proba.shape == (5, 2) and np.all(np.isfinite(proba))
    # unseen codes all give the same embedding: the output then depends on
    # the numeric columns only
    X_same = X_new.copy()
    X_same[:, 1:] = X[0, 1:]
    p = embedded.predict_proba(X_same)[:, 1]
    assert np.ptp(p) < 1e-12


@pytest.mark.parametrize("bad", [-1.0, 2.5])
def test_invalid_codes_raise_naming_column(coded, embedded, bad):
    X, y, _, _ = coded
    X_bad = X[:50].copy()
    X_bad[7, 0] = bad
    est = NeuralClassifier(**CAT_KW, categorical_features=[0])
    with pytest.raises(ValueError, match=rf"categorical column 0 .*{bad}"):
        est.fit(X_bad, y[:50])
    with pytest.raises(ValueError, match=rf"column 0.*{bad}"):
        embedded.predict(X_bad)


def test_categorical_features_by_name(coded):
    X, y, X_test, y_test = coded
    columns = ["cat", "a", "b", "c"]
    df = pd.DataFrame(X, columns=columns)
    df["cat"] = df["cat"].astype(int)
    est = NeuralClassifier(**CAT_KW, categorical_features=["cat"]).fit(df, y)
    assert est.categorical_indices_.tolist() == [0]
    assert list(est.feature_names_in_) == columns
    df_test = pd.DataFrame(X_test, columns=columns)
    assert roc_auc_score(y_test, est.predict_proba(df_test)[:, 1]) > 0.99
    df_bad = df_test.head(3).copy()
    df_bad.loc[1, "cat"] = -4
    with pytest.raises(ValueError, match=r"column 'cat'.*-4"):
        est.predict(df_bad)
    with pytest.raises(ValueError, match=r"'categorical_features'.*\['dog'\]"):
        NeuralClassifier(categorical_features=["dog"]).fit(df, y)


def test_categorical_regressor_and_embedding_dim(coded):
    X, _, X_test, _ = coded
    rng = np.random.default_rng(1)
    effect = 1e3 * rng.normal(size=N_CODES)
    y, y_test = effect[X[:, 0].astype(int)], effect[X_test[:, 0].astype(int)]
    est = NeuralRegressor(**CAT_KW, categorical_features=0, embedding_dim=3)
    est.fit(X, y)
    assert est.net_.module_.embedding.embeddings[0].embedding_dim == 3
    assert r2_score(y_test, est.predict(X_test)) > 0.95


# -- regression -----------------------------------------------------------------


def _regression_data(n, rng):
    X = rng.normal(size=(n, 3))
    y = 1e4 * (X[:, 0] + 0.5 * X[:, 1] ** 2) + 3e4
    return X, y


REG_KW = dict(
    n_layers=2, n_units=32, batch_size=32, max_epochs=40, lr=1e-2, random_state=0
)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regressor_large_scale_targets(loss):
    rng = np.random.default_rng(0)
    X, y = _regression_data(500, rng)
    X_test, y_test = _regression_data(1000, rng)
    est = NeuralRegressor(**REG_KW, loss=loss).fit(X, y)
    assert est.net_.criterion_.kind == loss
    pred = est.predict(X_test)
    assert pred.shape == (1000,)
    assert r2_score(y_test, pred) > 0.9
    # the network itself outputs physical units (non-trainable output layer)
    out = est.net_.module_.output
    assert float(out.scale[0]) == pytest.approx(np.std(y), rel=1e-5)
    assert float(out.mean[0]) == pytest.approx(np.mean(y), rel=1e-5)


def test_regressor_losses_differ():
    rng = np.random.default_rng(0)
    X, y = _regression_data(200, rng)
    kw = {**REG_KW, "max_epochs": 5}
    preds = {
        loss: NeuralRegressor(**kw, loss=loss).fit(X, y).predict(X)
        for loss in ["mse", "mae", "huber"]
    }
    assert not np.allclose(preds["mse"], preds["mae"])
    assert not np.allclose(preds["mse"], preds["huber"])


def test_regressor_multi_output():
    rng = np.random.default_rng(0)
    X, y = _regression_data(500, rng)
    X_test, y_test = _regression_data(1000, rng)
    Y = np.column_stack([y, -2e3 * X[:, 2] ** 2])
    Y_test = np.column_stack([y_test, -2e3 * X_test[:, 2] ** 2])
    est = NeuralRegressor(**REG_KW).fit(X, Y)
    assert est.n_outputs_ == 2
    pred = est.predict(X_test)
    assert pred.shape == (1000, 2)
    assert np.all(r2_score(Y_test, pred, multioutput="raw_values") > 0.9)
    # a (n, 1) target keeps its 2-D shape
    col = NeuralRegressor(**dict(REG_KW, max_epochs=1)).fit(X, y[:, None])
    assert col.predict(X_test).shape == (1000, 1)


# -- invalid parameters ---------------------------------------------------------

COMMON_INVALID = [
    ("n_layers", 0),
    ("n_layers", 1.5),
    ("n_units", 0),
    ("hidden_layer_sizes", (0,)),
    ("hidden_layer_sizes", ()),
    ("hidden_layer_sizes", (8, 2.5)),
    ("hidden_layer_sizes", 8),
    ("activation", "foo"),
    ("block", "x"),
    ("batch_norm", "yes"),
    ("dropout", 1.0),
    ("dropout", -0.1),
    ("input_scaling", "no"),
    ("initializer", "x"),
    ("optimizer", "x"),
    ("lr", 0),
    ("lr", -1e-3),
    ("momentum", 1.5),
    ("lr_schedule", "x"),
    ("lr_decay", 0),
    ("lr_step", 0),
    ("lr_patience", -1),
    ("l1", -1.0),
    ("l2", -1.0),
    ("gradient_penalty", -0.1),
    ("noise_std", -0.1),
    ("batch_size", 0),
    ("max_epochs", 0),
    ("early_stopping", "yes"),
    ("validation_fraction", 1.5),
    ("validation_fraction", 0.0),
    ("validation_fraction", 1.0),
    ("patience", 0),
    ("tol", -1.0),
    ("restore_best_weights", "yes"),
    ("random_state", "x"),
    ("device", "tpu"),
    ("verbose", 3),
    ("warm_start", "yes"),
    ("categorical_features", 1.5),
    ("embedding_dim", 0),
    ("embedding_dim", "x"),
]
CLASSIFIER_INVALID = [
    ("class_weight", "x"),
    ("class_weight", [1, 2]),
    ("balanced_batches", "yes"),
]
REGRESSOR_INVALID = [("loss", "x"), ("loss", "mse2")]

CASES = [(NeuralClassifier, *case) for case in COMMON_INVALID + CLASSIFIER_INVALID]
CASES += [(NeuralRegressor, *case) for case in COMMON_INVALID + REGRESSOR_INVALID]


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize(
    "cls, param, value", CASES, ids=[f"{c.__name__}-{p}={v!r}" for c, p, v in CASES]
)
def test_invalid_parameter_names_parameter_and_value(tiny, cls, param, value):
    X, y = tiny
    est = cls(**{"max_epochs": 1, param: value})
    pattern = (
        rf"The '{param}' parameter of {cls.__name__} must be .*"
        rf"Got {re.escape(repr(value))} instead\."
    )
    with pytest.raises(ValueError, match=pattern):
        est.fit(X, y)


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
@pytest.mark.parametrize("schedule", ["step", "plateau"])
@pytest.mark.parametrize("decay", [1, 2.0])
def test_decay_factor_must_be_below_one(tiny, cls, schedule, decay):
    X, y = tiny
    est = cls(max_epochs=1, lr_schedule=schedule, lr_decay=decay)
    pattern = (
        rf"The 'lr_decay' parameter of {cls.__name__} must be < 1 with "
        rf"lr_schedule='{schedule}'.*Got {decay!r} instead\."
    )
    with pytest.raises(ValueError, match=pattern):
        est.fit(X, y)
    # the time schedule takes any positive k
    cls(max_epochs=1, lr_schedule="time", lr_decay=decay).fit(X, y)


@pytest.mark.parametrize(
    "columns, match",
    [
        ([5], r"'categorical_features' parameter of NeuralClassifier.* index 5"),
        (["a"], r"'categorical_features' parameter of NeuralClassifier.*no column"),
        ([True, False], r"boolean mask in the 'categorical_features'.* 2 entries"),
    ],
)
def test_invalid_categorical_columns(tiny, columns, match):
    X, y = tiny
    with pytest.raises(ValueError, match=match):
        NeuralClassifier(max_epochs=1, categorical_features=columns).fit(X, y)


def test_cuda_without_cuda_raises(tiny):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is available")
    X, y = tiny
    with pytest.raises(ValueError, match=r"device='cuda'.*no CUDA device"):
        NeuralClassifier(max_epochs=1, device="cuda").fit(X, y)
    # "auto" falls back to the CPU
    est = NeuralClassifier(max_epochs=1, device="auto").fit(X, y)
    assert next(est.net_.module_.parameters()).device.type == "cpu"
