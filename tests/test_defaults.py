"""The defaults and their pieces: robust scaling, missing values, numeric
embeddings, the parameter-efficient ensemble, early stopping on a metric."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier, NeuralRegressor
from sknn_hep.neural_network._base import auto_batch_size
from sknn_hep.neural_network._inputs import input_constants
from sknn_hep.nn import (
    EnsembleHead,
    FeedForwardNetwork,
    InputScaling,
    NumericEmbedding,
    quantile_bins,
)

FAST = {"max_epochs": 4, "random_state": 0}


@pytest.fixture(scope="module")
def peaked():
    """Heavy-tailed inputs; the signal sits in a narrow window of x0."""
    rng = np.random.default_rng(0)
    n = 1600
    x0 = rng.exponential(50.0, n)
    x1 = rng.lognormal(3.0, 1.0, n)
    noise = rng.normal(size=(n, 2))
    y = ((np.abs(x0 - 40.0) < 8.0) ^ (rng.random(n) < 0.05)).astype(int)
    return np.column_stack([x0, x1, noise]), y


# -- the defaults -------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "n_ensemble"), [(NeuralClassifier, 8), (NeuralRegressor, 1)]
)
def test_documented_defaults(cls, n_ensemble):
    params = cls().get_params()
    assert {
        key: params[key]
        for key in (
            "input_scaling",
            "num_embedding",
            "num_embedding_dim",
            "n_ensemble",
            "optimizer",
            "weight_decay",
            "batch_size",
            "early_stopping",
            "scoring",
            "missing_values",
            "patience",
        )
    } == {
        "input_scaling": "robust",
        "num_embedding": "periodic",
        "num_embedding_dim": 8,
        "n_ensemble": n_ensemble,
        "optimizer": "adamw",
        "weight_decay": 0.01,
        "batch_size": 256,
        "early_stopping": "auto",
        "scoring": None,
        "missing_values": None,
        "patience": 6,
    }


def test_defaults_learn_a_narrow_window_and_not_noise(peaked):
    X, y = peaked
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    clf = NeuralClassifier(random_state=0).fit(X_tr, y_tr)
    auc = roc_auc_score(y_te, clf.predict_proba(X_te)[:, 1])
    # the true window itself scores 0.88 on these test rows (5 % of the labels
    # are flipped); the plain network of sknn_hep 0.1 reaches 0.83
    assert auc > 0.86
    plain = NeuralClassifier(**PLAIN_NETWORK, random_state=0).fit(X_tr, y_tr)
    assert auc > roc_auc_score(y_te, plain.predict_proba(X_te)[:, 1]) + 0.03
    shuffled = np.random.default_rng(1).permutation(y_tr)
    noise = NeuralClassifier(random_state=0).fit(X_tr, shuffled)
    assert roc_auc_score(y_te, noise.predict_proba(X_te)[:, 1]) < 0.6


def test_default_net_is_built_from_the_pieces(peaked):
    X, y = peaked
    clf = NeuralClassifier(**FAST).fit(X, y)
    module = clf.net_.module_
    assert module.scaler.clip == 3.0
    assert isinstance(module.num_embedding, NumericEmbedding)
    assert module.num_embedding.kind == "periodic"
    assert isinstance(module.head, EnsembleHead)
    assert module.n_ensemble == 8
    optimizer = clf.net_.optimizer_
    assert type(optimizer).__name__ == "AdamW"
    assert optimizer.param_groups[0]["weight_decay"] == 0.01
    assert "valid_loss" in clf.history_[0]  # early stopping holds out rows


def test_previous_behaviour_is_reachable(peaked):
    X, y = peaked
    assert PLAIN_NETWORK == {
        "input_scaling": "standard",
        "num_embedding": None,
        "n_ensemble": 1,
        "optimizer": "adam",
        "weight_decay": 0.0,
        "batch_size": 256,
        "early_stopping": False,
    }
    clf = NeuralClassifier(**PLAIN_NETWORK, **FAST).fit(X, y)
    module = clf.net_.module_
    assert module.scaler.clip is None and module.num_embedding is None
    assert isinstance(module.head, torch.nn.Linear)
    assert type(clf.net_.optimizer_).__name__ == "Adam"
    assert len(clf.history_) == FAST["max_epochs"]
    assert "valid_loss" not in clf.history_[0]
    np.testing.assert_allclose(module.scaler.center.numpy(), X.mean(axis=0), rtol=1e-5)


# -- input scaling -------------------------------------------------------------
def test_input_scaling_layer():
    layer = InputScaling(
        n_features=2,
        center=[0.0, 1.0],
        scale=[1.0, 2.0],
        clip=3.0,
        missing_value=-999.0,
        flag_columns=[1],
    )
    x = torch.tensor([[0.0, -999.0], [300.0, 5.0], [1.0, 1.0]])
    out = layer(x)
    assert out.shape == (3, 3)
    # missing value at the centre, flagged; outlier bent below the bound
    assert out[0].tolist() == [0.0, 0.0, 1.0]
    assert 2.99 < float(out[1, 0]) < 3.0
    assert out[1, 1] == pytest.approx(2.0 / np.sqrt(1 + (2.0 / 3.0) ** 2))
    assert out[:, 2].tolist() == [1.0, 0.0, 0.0]
    # near zero the smooth clip is the identity
    small = InputScaling(n_features=1, clip=3.0)(torch.tensor([[0.01]]))
    assert float(small) == pytest.approx(0.01, rel=1e-4)


def test_input_scaling_keeps_order():
    z = torch.linspace(-1e4, 1e4, 2001).reshape(-1, 1)
    out = InputScaling(n_features=1, clip=3.0)(z).flatten()
    # non-decreasing up to float32 rounding where the curve flattens at ±3
    assert torch.all(out[1:] >= out[:-1] - 1e-6)
    assert float(out.abs().max()) <= 3.0
    # strictly increasing where float32 can tell the values apart
    near = InputScaling(n_features=1, clip=3.0)(
        torch.linspace(-50, 50, 1001).reshape(-1, 1)
    ).flatten()
    assert torch.all(near[1:] > near[:-1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_features": 2, "clip": 0.0}, "clip"),
        ({"n_features": 2, "flag_columns": [0]}, "missing_value"),
        ({"n_features": 2, "missing_value": 0.0, "flag_columns": [2]}, "index"),
    ],
)
def test_input_scaling_layer_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InputScaling(**kwargs)


def test_robust_constants_ignore_outliers_missing_and_flat_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(10.0, 2.0, size=(4000, 3))
    x[:40, 0] = 1e9  # outliers
    x[:, 1] = np.where(rng.random(4000) < 0.3, -999.0, x[:, 1])
    x[:, 2] = np.where(rng.random(4000) < 0.9, 5.0, 6.0)  # IQR 0
    center, scale = input_constants(x, None, "robust", x == -999.0)
    np.testing.assert_allclose(center[:2], 10.0, atol=0.15)
    np.testing.assert_allclose(scale[:2], 2.0, rtol=0.07)
    assert center[2] == 5.0 and scale[2] == pytest.approx(x[:, 2].std())
    assert input_constants(x, None, False) == (None, None)


def test_standard_constants_skip_missing_values():
    x = np.array([[1.0], [3.0], [-999.0]])
    mean, std = input_constants(x, None, "standard", x == -999.0)
    assert mean[0] == pytest.approx(2.0) and std[0] == pytest.approx(1.0)


# -- missing values ----------------------------------------------------------
def test_missing_marker_and_nan_give_the_same_model(peaked):
    X, y = peaked
    X = X.copy()
    gone = np.random.default_rng(0).random(len(X)) < 0.3
    X[gone, 1] = -999.0
    X_nan = np.where(X == -999.0, np.nan, X)
    a = NeuralClassifier(missing_values=-999.0, **FAST).fit(X, y)
    b = NeuralClassifier(missing_values=np.nan, **FAST).fit(X_nan, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X_nan))
    assert a.net_.module_.scaler.flag_columns.tolist() == [1]


@pytest.mark.parametrize("marker", [-999.1, np.float64(-999.1)])
def test_marker_without_exact_float32_value_matches(peaked, marker):
    # data read as float32 (ROOT) hold float32(-999.1), also once converted to
    # float64; the marker is the float64 -999.1
    X, y = peaked
    X = X.astype(np.float32)
    gone = np.random.default_rng(0).random(len(X)) < 0.3
    X[gone, 1] = -999.1
    ref = NeuralClassifier(missing_values=np.nan, **FAST).fit(
        np.where(gone[:, None] & (np.arange(X.shape[1]) == 1), np.nan, X), y
    )
    for data in (X, X.astype(np.float64)):
        clf = NeuralClassifier(missing_values=marker, **FAST).fit(data, y)
        assert clf.net_.module_.scaler.flag_columns.tolist() == [1]
        np.testing.assert_array_equal(
            clf.predict_proba(data),
            ref.predict_proba(np.where(data == data[gone][0, 1], np.nan, data)),
        )


def test_marker_beyond_float32_is_refused(peaked):
    X, y = peaked
    with pytest.raises(ValueError, match=r"'missing_values' parameter .* Got -1e\+39"):
        NeuralClassifier(missing_values=-1e39, **FAST).fit(X, y)


def test_nan_needs_missing_values(peaked):
    X, y = peaked
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN in column 2"):
        NeuralClassifier(**FAST).fit(X, y)
    clf = NeuralClassifier(missing_values=np.nan, **FAST).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    with pytest.raises(ValueError, match="NaN"):
        NeuralClassifier(missing_values=-999.0, **FAST).fit(X, y)


def test_missingness_itself_is_learnt():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1200, 3))
    y = (rng.random(1200) < 0.5).astype(int)
    X[y == 1, 0] = -999.0  # the marker alone tells the class
    X[(y == 0) & (rng.random(1200) < 0.1), 0] = -999.0
    clf = NeuralClassifier(missing_values=-999.0, max_epochs=15, random_state=0).fit(
        X[:800], y[:800]
    )
    assert roc_auc_score(y[800:], clf.predict_proba(X[800:])[:, 1]) > 0.9


# -- numeric embeddings ---------------------------------------------------------
@pytest.mark.parametrize("kind", ["periodic", "piecewise"])
def test_numeric_embedding_shapes(kind):
    z = torch.randn(50, 3)
    bins = quantile_bins(z, 8) if kind == "piecewise" else None
    emb = NumericEmbedding(n_features=3, kind=kind, dim=4, bins=bins)
    assert emb(z).shape == (50, 12) and emb.n_outputs == 12


def test_numeric_embedding_errors():
    with pytest.raises(ValueError, match="kind"):
        NumericEmbedding(n_features=2, kind="fourier", dim=4)
    with pytest.raises(ValueError, match="bins"):
        NumericEmbedding(n_features=2, kind="piecewise", dim=4)


def test_quantile_bins_of_discrete_and_constant_columns():
    z = torch.stack(
        [torch.linspace(0, 1, 201), torch.tensor([0.0, 1.0] * 100 + [1.0])], dim=1
    )
    z = torch.cat([z, torch.full((201, 1), 7.0)], dim=1)
    edges = quantile_bins(z, 16)
    assert len(edges[0]) == 17
    assert edges[1].tolist() == [0.0, 1.0]
    assert edges[2].tolist() == [6.0, 8.0]


@pytest.mark.parametrize("kind", ["periodic", "piecewise", None])
def test_estimator_num_embedding(peaked, kind):
    X, y = peaked
    clf = NeuralClassifier(num_embedding=kind, num_embedding_dim=4, **FAST).fit(X, y)
    emb = clf.net_.module_.num_embedding
    assert (emb is None) == (kind is None)
    first = clf.net_.module_.body.net[0][0]
    assert first.in_features == (16 if kind else 4)


# -- the ensemble ---------------------------------------------------------------
def test_ensemble_members_train_apart_and_predict_their_mean(peaked):
    X, y = peaked
    clf = NeuralClassifier(n_ensemble=4, **FAST).fit(X, y)
    module = clf.net_.module_
    x = torch.as_tensor(X[:20], dtype=torch.float32)
    module.train()
    members = module.logits(x).detach()
    module.eval()
    assert members.shape == (20, 4, 1)
    assert members.std(dim=1).min() > 0  # the members differ
    with torch.no_grad():
        mean = module.logits(x)
    torch.testing.assert_close(mean, members.mean(dim=1))
    np.testing.assert_allclose(
        clf.decision_function(X[:20]), members.mean(dim=1)[:, 0].numpy(), atol=1e-5
    )


def test_ensemble_regressor_and_errors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] ** 2 + X[:, 1]
    reg = NeuralRegressor(n_ensemble=3, **FAST).fit(X, y)
    assert reg.predict(X).shape == (300,)
    with pytest.raises(ValueError, match="n_ensemble"):
        FeedForwardNetwork(n_numeric=2, n_outputs=1, hidden_sizes=[4], n_ensemble=0)
    with pytest.raises(ValueError, match="head_sizes"):
        FeedForwardNetwork(
            n_numeric=2, n_outputs=2, hidden_sizes=[4], n_ensemble=2, head_sizes=[1, 1]
        )
    with pytest.raises(ValueError, match="'n_ensemble' parameter"):
        NeuralRegressor(n_ensemble=0).fit(X, y)


def test_ensemble_size_cannot_change_on_warm_start(peaked):
    X, y = peaked
    clf = NeuralClassifier(n_ensemble=2, warm_start=True, **FAST).fit(X, y)
    clf.set_params(n_ensemble=3)
    with pytest.raises(ValueError, match="'n_ensemble' parameter changed"):
        clf.fit(X, y)


# -- early stopping on a metric ------------------------------------------------
def test_scoring_is_watched_by_early_stopping(peaked):
    X, y = peaked
    clf = NeuralClassifier(
        scoring="roc_auc", max_epochs=30, patience=3, random_state=0
    ).fit(X, y)
    scores = [row["valid_score"] for row in clf.history_]
    assert all(0.5 < s <= 1.0 for s in scores)
    best = int(np.argmax(scores))
    # the best epoch is the first with the highest score (ties do not improve)
    assert clf.best_epoch_ == clf.history_[best]["epoch"]
    assert clf.n_iter_ <= clf.best_epoch_ + 3
    assert not any(name == "valid_score" for name, _ in clf.net_.callbacks_)


def test_scoring_gets_the_validation_weights(peaked):
    X, y = peaked
    seen = []

    def scorer(estimator, X_valid, y_valid, sample_weight=None):
        seen.append((len(X_valid), sample_weight))
        return float(estimator.score(X_valid, y_valid))

    w = np.linspace(1.0, 2.0, len(y))
    clf = NeuralClassifier(scoring=scorer, validation_fraction=0.25, **FAST)
    clf.fit(X, y, sample_weight=w)
    assert len(seen) == FAST["max_epochs"]
    n_valid, weights = seen[0]
    assert n_valid == 400 and weights is not None and len(weights) == 400
    assert set(np.round(weights, 12)) <= set(np.round(w, 12))
    clf.fit(X, y)
    assert seen[-1][1] is None


def test_scoring_takes_physics_scorer_names(peaked):
    X, y = peaked
    clf = NeuralClassifier(scoring="background_rejection", **FAST).fit(X, y)
    assert all(row["valid_score"] > 1 for row in clf.history_)


def test_scoring_regressor_and_validation_mask():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = X[:, 0] - X[:, 1]
    mask = np.arange(400) % 4 == 0
    reg = NeuralRegressor(scoring="r2", early_stopping=False, **FAST)
    reg.fit(X, y, validation_mask=mask)
    scores = [row["valid_score"] for row in reg.history_]
    assert reg.best_epoch_ == int(np.argmax(scores)) + 1


def test_scoring_needs_a_validation_set(peaked):
    X, y = peaked
    with pytest.raises(ValueError, match="'scoring' parameter .* no validation set"):
        NeuralClassifier(scoring="roc_auc", early_stopping=False, **FAST).fit(X, y)
    # partial_fit never validates: scoring does not apply there
    clf = NeuralClassifier(scoring="roc_auc", early_stopping=False, **FAST)
    clf.partial_fit(X, y, classes=[0, 1])
    assert "valid_score" not in clf.history_[0]


# -- batch size -----------------------------------------------------------------
def test_auto_batch_size():
    assert [auto_batch_size(n) for n in (10, 32_767, 32_768, 65_536, 10**8)] == [
        256,
        256,
        512,
        1024,
        1024,
    ]


def test_batch_size_auto_in_fit(peaked):
    X, y = peaked
    clf = NeuralClassifier(batch_size="auto", **FAST).fit(X, y)
    assert clf.net_.batch_size == 256
    assert NeuralClassifier(batch_size=64, **FAST).fit(X, y).net_.batch_size == 64
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        NeuralClassifier(batch_size="large").fit(X, y)
