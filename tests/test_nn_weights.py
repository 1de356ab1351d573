"""Event weights, class weights and balanced batches of the estimators."""

import numpy as np
import pytest
import torch
from sklearn.metrics import r2_score, recall_score, roc_auc_score

from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor
from sknn_hep.neural_network._net import TensorNet
from sknn_hep.nn.data import epoch_order

# -- zero-weighted rows ---------------------------------------------------------


def _signal_data(n, rng):
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_zero_weighted_rows_are_ignored():
    rng = np.random.default_rng(0)
    X_clean, y_clean = _signal_data(400, rng)
    X_test, y_test = _signal_data(2000, rng)
    # 200 extra rows (a third of the training set), all in the region
    # x2 > 0, with inverted labels: where they count they outnumber the clean
    # rows of that region and invert the learnt relation there.
    X_bad, y_bad = _signal_data(2000, rng)
    region = np.flatnonzero(X_bad[:, 2] > 0)[:200]
    X_bad, y_bad = X_bad[region], 1 - y_bad[region]
    X = np.vstack([X_clean, X_bad])
    y = np.concatenate([y_clean, y_bad])
    w = np.r_[np.ones(400), np.zeros(200)]

    kw = dict(n_layers=2, n_units=32, batch_size=64, max_epochs=30, lr=1e-2)

    def auc(sample_weight=None, clean_only=False):
        est = NeuralClassifier(**kw, random_state=0)
        if clean_only:
            est.fit(X_clean, y_clean)
        else:
            est.fit(X, y, sample_weight=sample_weight)
        return roc_auc_score(y_test, est.predict_proba(X_test)[:, 1])

    auc_clean, auc_zero, auc_flipped = auc(clean_only=True), auc(w), auc()
    assert auc_clean > 0.95
    assert abs(auc_zero - auc_clean) < 0.01
    assert auc_flipped < auc_clean - 0.08


@pytest.mark.parametrize("scaling", ["standard", "robust"])
def test_zero_weights_do_not_enter_input_scaling(scaling):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    X[:50] += 1e4  # outliers, weight 0
    w = np.r_[np.zeros(50), np.ones(50)]
    est = NeuralClassifier(
        n_layers=1, n_units=4, max_epochs=1, input_scaling=scaling, random_state=0
    )
    est.fit(X, y, sample_weight=w)
    scaler = est.net_.module_.scaler
    if scaling == "standard":
        center, scale = X[50:].mean(axis=0), X[50:].std(axis=0)
    else:
        q1, center, q3 = np.percentile(X[50:], [25, 50, 75], axis=0)
        scale = (q3 - q1) / 1.3489795003921634
    np.testing.assert_allclose(scaler.center.numpy(), center, rtol=1e-5)
    # inverted-CDF quantiles of 50 rows: within a row spacing of numpy's
    rtol = 1e-5 if scaling == "standard" else 0.2
    np.testing.assert_allclose(1 / scaler.inv_scale.numpy(), scale, rtol=rtol)


def _bce(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_reported_losses_are_weighted_means(monkeypatch):
    # SGD with a negligible rate leaves the initial network unchanged, so the
    # recorded losses can be recomputed from its predictions: Σwℓ/Σw on the
    # training and on the validation rows.
    seen = []
    original = TensorNet.run_single_epoch

    def recording(self, iterator, training, *args, **kwargs):
        if not training and iterator is not None:  # the validation pass
            seen.append(iterator.data)
        return original(self, iterator, training, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "run_single_epoch", recording)
    rng = np.random.default_rng(0)
    X, y = _signal_data(300, rng)
    w = rng.uniform(0.0, 5.0, 300)
    est = NeuralClassifier(
        # one network: an ensemble's train_loss is its members' mean loss, not
        # the loss of their mean prediction
        n_ensemble=1,
        n_layers=1,
        n_units=8,
        optimizer="sgd",
        lr=1e-12,
        batch_size=1024,
        max_epochs=1,
        early_stopping=True,
        validation_fraction=0.3,
        random_state=0,
    ).fit(X, y, sample_weight=w)
    row = est.history_[0]
    valid = seen[0]
    X32 = X.astype(np.float32)
    rows = np.array(
        [np.flatnonzero((X32 == xv).all(axis=1))[0] for xv in valid.x.numpy()]
    )
    train = np.setdiff1d(np.arange(300), rows)
    loss = _bce(est.predict_proba(X)[:, 1], y)
    assert len(rows) == 90
    # the net holds the weights divided by their mean over the set
    np.testing.assert_allclose(valid.w.numpy(), w[rows] / w[rows].mean(), rtol=1e-5)
    assert row["valid_loss"] == pytest.approx(
        np.average(loss[rows], weights=w[rows]), rel=1e-5
    )
    assert row["train_loss"] == pytest.approx(
        np.average(loss[train], weights=w[train]), rel=1e-5
    )
    # and they are not the unweighted means
    assert abs(row["valid_loss"] - loss[rows].mean()) > 1e-3


# -- equivalence of integer weights and repeated rows ----------------------------


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_integer_weights_equal_repeated_rows(cls, optimizer):
    # Full-batch training without dropout: the weighted loss Σwℓ/Σw and the
    # weighted input/target scaling equal those of the repeated rows, so the
    # models agree up to float32 rounding (sklearn's exact check cannot hold
    # for float32 mini-batches; see tests/test_common.py).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    if cls is NeuralClassifier:
        y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    else:
        y = 3 * X[:, 0] + X[:, 1] ** 2
    w = rng.integers(0, 4, 60)  # zeros included
    X_rep, y_rep = np.repeat(X, w, axis=0), np.repeat(y, w)
    kw = dict(
        n_layers=2,
        n_units=16,
        batch_size=512,
        max_epochs=30,
        # plain SGD moves slowly: a larger step, so that the weights show
        lr=1e-2 if optimizer == "adam" else 5e-2,
        optimizer=optimizer,
        random_state=0,
    )
    weighted = cls(**kw).fit(X, y, sample_weight=w)
    repeated = cls(**kw).fit(X_rep, y_rep)
    unweighted = cls(**kw).fit(X, y)
    X_test = rng.normal(size=(200, 4))

    def out(est):
        if cls is NeuralClassifier:
            return est.predict_proba(X_test)[:, 1]
        return est.predict(X_test) / np.std(y)

    np.testing.assert_allclose(out(weighted), out(repeated), atol=1e-4)
    # the weights did matter
    assert np.abs(out(weighted) - out(unweighted)).max() > 1e-2


# -- weight errors and negative weights ------------------------------------------


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


FAST = dict(n_layers=1, n_units=8, max_epochs=2, random_state=0)


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
@pytest.mark.parametrize(
    "weights, match",
    [
        (np.zeros(40), r"sums to 0|at least one non-zero"),
        (np.r_[-np.ones(30), np.ones(10)], r"sums to -20"),
        (np.ones(39), r"sample_weight.shape == \(39,\), expected \(40,\)"),
        (np.r_[np.nan, np.ones(39)], r"sample_weight contains NaN"),
        (np.r_[np.inf, np.ones(39)], r"sample_weight contains infinity"),
    ],
    ids=["all-zero", "net-negative", "wrong-length", "nan", "inf"],
)
def test_invalid_sample_weight_raises(small, cls, weights, match):
    X, y = small
    with pytest.raises(ValueError, match=match):
        cls(**FAST).fit(X, y, sample_weight=weights)


def test_negative_weights_accepted_when_sum_positive():
    rng = np.random.default_rng(0)
    X, y = _signal_data(600, rng)
    X_test, y_test = _signal_data(1000, rng)
    # NLO-like weights: ±1 with 10 % negative, independent of the event
    w = np.where(rng.random(600) < 0.1, -1.0, 1.0)
    kw = dict(n_layers=2, n_units=32, batch_size=64, max_epochs=10, lr=1e-2)
    est = NeuralClassifier(**kw, random_state=0).fit(X, y, sample_weight=w)
    assert np.all(np.isfinite([row["train_loss"] for row in est.history_]))
    assert roc_auc_score(y_test, est.predict_proba(X_test)[:, 1]) > 0.9
    # the signs are used, not dropped
    absolute = NeuralClassifier(**kw, random_state=0).fit(X, y, sample_weight=abs(w))
    assert not np.allclose(est.predict_proba(X_test), absolute.predict_proba(X_test))

    reg = NeuralRegressor(n_layers=1, n_units=16, max_epochs=30, lr=1e-2)
    reg.set_params(random_state=0).fit(X, X[:, 0] + X[:, 1], sample_weight=w)
    assert r2_score(X_test[:, 0] + X_test[:, 1], reg.predict(X_test)) > 0.9


# -- class weights --------------------------------------------------------------


def _imbalanced(n, rng):
    y = (rng.random(n) < 0.05).astype(int)
    X = rng.normal(size=(n, 3))
    X[:, 0] += 1.5 * y
    return X, y


@pytest.fixture(scope="module")
def imbalanced():
    rng = np.random.default_rng(0)
    X, y = _imbalanced(1000, rng)
    X_test, y_test = _imbalanced(4000, rng)
    return X, y, X_test, y_test


IMBALANCED_KW = dict(
    n_layers=2, n_units=16, batch_size=64, max_epochs=15, lr=1e-2, random_state=0
)


@pytest.fixture(scope="module")
def recall_unweighted(imbalanced):
    X, y, X_test, y_test = imbalanced
    est = NeuralClassifier(**IMBALANCED_KW).fit(X, y)
    return recall_score(y_test, est.predict(X_test))


@pytest.mark.parametrize(
    "params",
    [{"class_weight": "balanced"}, {"class_weight": {0: 1.0, 1: 19.0}}],
    ids=["balanced", "dict"],
)
def test_class_weight_raises_minority_recall(imbalanced, recall_unweighted, params):
    X, y, X_test, y_test = imbalanced
    est = NeuralClassifier(**IMBALANCED_KW, **params).fit(X, y)
    recall = recall_score(y_test, est.predict(X_test))
    assert recall_unweighted < 0.3
    assert recall > 0.5
    assert recall > recall_unweighted + 0.3


def test_class_weight_balanced_equals_explicit_weights(small):
    # 'balanced' multiplies row weights by <N>/N_c: the same model as passing
    # those factors as sample_weight.
    X, y = small
    y = np.where(np.arange(40) < 10, 1, 0)
    factors = np.where(y == 1, 40 / 2 / 10, 40 / 2 / 30)
    kw = dict(FAST, batch_size=64)
    a = NeuralClassifier(**kw, class_weight="balanced").fit(X, y)
    b = NeuralClassifier(**kw).fit(X, y, sample_weight=factors)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


def test_class_weight_dict_with_string_labels(small):
    X, y = small
    labels = np.array(["bkg", "sig"])[y]
    est = NeuralClassifier(**FAST, class_weight={"sig": 3.0}).fit(X, labels)
    assert set(est.predict(X)) <= {"bkg", "sig"}


def test_class_weight_unknown_class_raises(small):
    X, y = small
    est = NeuralClassifier(**FAST, class_weight={0: 1.0, 7: 2.0})
    with pytest.raises(ValueError, match=r"'class_weight' parameter.*\[7\]"):
        est.fit(X, y)


# -- balanced batches -------------------------------------------------------------


@pytest.mark.parametrize(
    "counts, batch_size",
    [((190, 10), 20), ((190, 10), 64), ((50, 30, 5), 30), ((7, 3), 2)],
)
def test_epoch_order_balances_batches(counts, batch_size):
    labels = torch.cat([torch.full((c,), k) for k, c in enumerate(counts)])
    shuffle = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))
    labels = labels[shuffle]
    n, n_classes = len(labels), len(counts)
    order, step = epoch_order(
        n,
        batch_size,
        generator=torch.Generator().manual_seed(0),
        labels=labels,
        n_classes=n_classes,
    )
    per_class = max(1, batch_size // n_classes)
    n_batches = -(-n // batch_size)
    assert step == per_class * n_classes
    assert order.numel() == n_batches * step
    for start in range(0, order.numel(), step):
        counts_in_batch = torch.bincount(labels[order[start : start + step]])
        assert counts_in_batch.tolist() == [per_class] * n_classes
    # every row of a class is used before any is repeated
    for k, c in enumerate(counts):
        used = order[labels[order] == k]
        drawn = torch.bincount(used, minlength=n)[labels == k]
        assert int(drawn.max()) - int(drawn.min()) <= 1
        assert int(drawn.min()) >= min(1, n_batches * per_class // c)


def test_epoch_order_without_labels_is_a_permutation():
    order, step = epoch_order(50, 16, generator=torch.Generator().manual_seed(0))
    assert step == 16
    assert sorted(order.tolist()) == list(range(50))
    again, _ = epoch_order(50, 16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(order, again)


def test_balanced_batches_raise_minority_recall(imbalanced, recall_unweighted):
    X, y, X_test, y_test = imbalanced
    est = NeuralClassifier(**IMBALANCED_KW, balanced_batches=True).fit(X, y)
    recall = recall_score(y_test, est.predict(X_test))
    assert recall > 0.5
    assert recall > recall_unweighted + 0.3
