"""SeedEnsemble (same data, different seeds) and BaggingClassifier over a network."""

import threading
import time

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.decomposition import PCA
from sklearn.ensemble import BaggingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from sknn_hep.ensemble import SeedEnsemble
from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor

_FAST = dict(n_layers=2, n_units=32, batch_size=32, max_epochs=30, lr=1e-2)

# conformance configurations for tests/test_common.py
COMMON_INSTANCES = [
    SeedEnsemble(NeuralClassifier(**_FAST), n_estimators=2),
    SeedEnsemble(NeuralRegressor(**_FAST), n_estimators=2),
]


def _noisy(n, rng):
    X = rng.normal(size=(n, 6))
    logit = 1.5 * X[:, 0] - X[:, 1] + X[:, 2] * X[:, 3]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Records its random_state, weights and thread; predicts from random_state."""

    def __init__(self, random_state=None, sleep=0.0):
        self.random_state = random_state
        self.sleep = sleep

    def fit(self, X, y, sample_weight=None):
        time.sleep(self.sleep)
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        self.sample_weight_ = sample_weight
        self.thread_ = threading.get_ident()
        self.p_ = (self.random_state % 1000) / 1000
        return self

    def predict_proba(self, X):
        p = np.full(len(X), self.p_)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def test_members_differ_average_is_mean_and_auc_not_below_members():
    rng = np.random.default_rng(0)
    X, y = _noisy(400, rng)
    X_test, y_test = _noisy(2000, rng)
    net = NeuralClassifier(
        n_layers=2, n_units=64, lr=1e-2, batch_size=32, max_epochs=25, random_state=7
    )
    ens = SeedEnsemble(net, n_estimators=5, random_state=0).fit(X, y)
    assert len(ens.estimators_) == 5
    seeds = [m.random_state for m in ens.estimators_]
    assert len(set(seeds)) == 5 and 7 not in seeds
    assert seeds == [s["random_state"] for s in ens.random_states_]

    member_proba = np.array([m.predict_proba(X_test) for m in ens.estimators_])
    # members differ (different initial weights), pairwise
    for i in range(5):
        for j in range(i):
            assert np.abs(member_proba[i] - member_proba[j]).max() > 0.05
    proba = ens.predict_proba(X_test)
    np.testing.assert_allclose(proba, member_proba.mean(axis=0))
    np.testing.assert_array_equal(
        ens.predict(X_test), ens.classes_[np.argmax(proba, axis=1)]
    )
    member_auc = [roc_auc_score(y_test, p[:, 1]) for p in member_proba]
    ens_auc = roc_auc_score(y_test, proba[:, 1])
    assert ens_auc >= np.mean(member_auc)
    assert ens_auc > 0.75
    # probabilities are averaged; a mean logit would rank differently
    assert not hasattr(ens, "decision_function")


def test_regressor_average_is_mean():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=200)
    net = NeuralRegressor(n_layers=1, n_units=16, lr=1e-2, batch_size=32, max_epochs=20)
    ens = SeedEnsemble(net, n_estimators=3, random_state=0).fit(X, y)
    assert is_regressor(ens) and not is_classifier(ens)
    assert not hasattr(ens, "predict_proba") and not hasattr(ens, "classes_")
    members = np.array([m.predict(X) for m in ens.estimators_])
    assert np.abs(members[0] - members[1]).max() > 1e-3
    np.testing.assert_allclose(ens.predict(X), members.mean(axis=0))
    assert ens.score(X, y) == pytest.approx(r2_score(y, members.mean(axis=0)))
    assert ens.score(X, y) > 0.9


def test_seeds_reproducible_from_random_state():
    X, y = _noisy(60, np.random.default_rng(0))

    def seeds(random_state):
        ens = SeedEnsemble(SpyClassifier(), n_estimators=4, random_state=random_state)
        return [m.random_state for m in ens.fit(X, y).estimators_]

    assert seeds(3) == seeds(3)
    assert seeds(3) != seeds(4)
    assert seeds(None) != seeds(None)
    assert seeds(np.random.RandomState(5)) == seeds(np.random.RandomState(5))
    assert all(0 <= s < 2**31 for s in seeds(3))
    # a longer ensemble starts with the same members
    longer = SeedEnsemble(SpyClassifier(), n_estimators=6, random_state=3).fit(X, y)
    assert [m.random_state for m in longer.estimators_][:4] == seeds(3)


def test_nested_random_states_in_a_pipeline():
    X, y = _noisy(60, np.random.default_rng(0))
    pipe = make_pipeline(PCA(n_components=3, svd_solver="randomized"), SpyClassifier())
    ens = SeedEnsemble(pipe, n_estimators=3, random_state=0).fit(X, y)
    keys = {"pca__random_state", "spyclassifier__random_state"}
    for member, states in zip(ens.estimators_, ens.random_states_):
        assert set(states) == keys
        assert member[0].random_state == states["pca__random_state"]
        assert member[-1].random_state == states["spyclassifier__random_state"]
        assert states["pca__random_state"] != states["spyclassifier__random_state"]


def test_sample_weight_to_every_member_and_pipeline():
    X, y = _noisy(60, np.random.default_rng(0))
    w = np.linspace(0.5, 1.5, 60)
    ens = SeedEnsemble(SpyClassifier(), n_estimators=2, random_state=0)
    for member in ens.fit(X, y, sample_weight=w).estimators_:
        np.testing.assert_array_equal(member.sample_weight_, w)
    pipe = make_pipeline(StandardScaler(), SpyClassifier())
    ens = SeedEnsemble(pipe, n_estimators=2, random_state=0)
    for member in ens.fit(X, y, sample_weight=w).estimators_:
        np.testing.assert_array_equal(member[-1].sample_weight_, w)
    # weights change a network's fit
    net = NeuralClassifier(n_layers=1, n_units=8, max_epochs=5, lr=1e-2)
    a = SeedEnsemble(net, n_estimators=2, random_state=0).fit(X, y)
    b = SeedEnsemble(net, n_estimators=2, random_state=0).fit(X, y, sample_weight=w)
    assert np.abs(a.predict_proba(X) - b.predict_proba(X)).max() > 1e-4


def test_dataframe_and_feature_names():
    X, y = _noisy(80, np.random.default_rng(0))
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    net = NeuralClassifier(n_layers=1, n_units=8, max_epochs=3)
    ens = SeedEnsemble(net, n_estimators=2, random_state=0).fit(df, y)
    assert list(ens.feature_names_in_) == list(df.columns)
    assert list(ens.estimators_[0].feature_names_in_) == list(df.columns)
    with pytest.raises(ValueError, match="feature names"):
        ens.predict(df[df.columns[::-1]])


def test_decision_function_only_classifier():
    X, y = _noisy(100, np.random.default_rng(0))
    ens = SeedEnsemble(LinearSVC(), n_estimators=3, random_state=0).fit(X, y)
    assert not hasattr(ens, "predict_proba")
    d = ens.decision_function(X)
    np.testing.assert_allclose(
        d, np.mean([m.decision_function(X) for m in ens.estimators_], axis=0)
    )
    np.testing.assert_array_equal(ens.predict(X), ens.classes_[(d > 0).astype(int)])


def test_bagging_classifier_over_a_network():
    """The data-subset variant: scikit-learn's BaggingClassifier works as is."""
    rng = np.random.default_rng(0)
    X, y = _noisy(300, rng)
    X_test, y_test = _noisy(1000, rng)
    w = rng.uniform(0.5, 1.5, size=300)
    net = NeuralClassifier(
        n_layers=1, n_units=16, lr=1e-2, batch_size=32, max_epochs=15
    )
    bag = BaggingClassifier(net, n_estimators=3, random_state=0).fit(
        X, y, sample_weight=w
    )
    assert all(isinstance(m, NeuralClassifier) for m in bag.estimators_)
    assert len({m.random_state for m in bag.estimators_}) == 3
    member_proba = np.array([m.predict_proba(X_test) for m in bag.estimators_])
    assert np.abs(member_proba[0] - member_proba[1]).max() > 0.05
    np.testing.assert_allclose(bag.predict_proba(X_test), member_proba.mean(axis=0))
    assert roc_auc_score(y_test, bag.predict_proba(X_test)[:, 1]) > 0.75


def test_n_jobs_threads():
    X, y = _noisy(60, np.random.default_rng(0))
    serial = SeedEnsemble(SpyClassifier(sleep=0.2), n_estimators=3, random_state=0)
    serial.fit(X, y)
    with joblib.parallel_backend("threading"):
        parallel = SeedEnsemble(
            SpyClassifier(sleep=0.2), n_estimators=3, random_state=0, n_jobs=3
        ).fit(X, y)
    assert len({m.thread_ for m in serial.estimators_}) == 1
    assert len({m.thread_ for m in parallel.estimators_}) > 1
    np.testing.assert_array_equal(serial.predict_proba(X), parallel.predict_proba(X))


def test_joblib_round_trip_clone_and_params(tmp_path):
    X, y = _noisy(100, np.random.default_rng(0))
    ens = SeedEnsemble(
        LogisticRegression(C=0.3, solver="saga", max_iter=50),
        n_estimators=2,
        random_state=0,
    ).fit(X, y)
    joblib.dump(ens, tmp_path / "ens.joblib")
    loaded = joblib.load(tmp_path / "ens.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), ens.predict_proba(X))
    assert ens.get_params()["estimator__C"] == 0.3
    fresh = clone(ens).set_params(estimator__C=1.0, n_estimators=3)
    assert not hasattr(fresh, "estimators_")
    fresh.fit(X, y)
    assert len(fresh.estimators_) == 3 and fresh.estimators_[0].C == 1.0
    assert is_classifier(fresh)


def test_errors():
    X, y = _noisy(40, np.random.default_rng(0))
    with pytest.raises(ValueError, match="LinearRegression has no random_state"):
        SeedEnsemble(LinearRegression()).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'n_estimators' parameter"):
        SeedEnsemble(SpyClassifier(), n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        SeedEnsemble(SpyClassifier()).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="fit method of _NoWeights takes no sample"):
        SeedEnsemble(_NoWeights()).fit(X, y, sample_weight=np.ones(40))
    with pytest.raises(TypeError, match="predict_proba or decision_function"):
        SeedEnsemble(_NoScores()).fit(X, y)


class _NoWeights(SpyClassifier):
    def fit(self, X, y):
        return super().fit(X, y)


class _NoScores(ClassifierMixin, BaseEstimator):
    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize("labels", [[0, 1, 2], ["b", "c", "light"]])
@pytest.mark.parametrize("kind", ["seed", "cross_training"])
def test_multitask_members_give_labels_not_averaged_labels(labels, kind):
    from sknn_hep.ensemble import CrossTrainingRegressor
    from sknn_hep.neural_network import MultiTaskNeuralNet

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    flavour = np.asarray(labels, dtype=object)[np.argmax(X[:, :3], axis=1)]
    y = np.empty((240, 2), dtype=object)
    y[:, 0], y[:, 1] = flavour, X[:, 3] * 2.0
    net = MultiTaskNeuralNet(
        tasks=["multiclass", "regression"], max_epochs=3, random_state=0
    )
    if kind == "seed":
        ens = SeedEnsemble(net, n_estimators=3, random_state=0).fit(X, y)
    else:
        ens = CrossTrainingRegressor(net, n_splits=3, random_state=0).fit(X, y)
    pred = ens.predict(X)
    # every class column holds one of the labels: the class of the mean
    # probability, never a mean of labels (0.333 ...)
    assert set(pred[:, 0]) <= set(labels)
    members = ens.estimators_
    mean = np.mean([m.predict_proba(X) for m in members], axis=0)
    if kind == "seed":
        expected = np.asarray(labels, dtype=object)[np.argmax(mean, axis=1)]
        np.testing.assert_array_equal(pred[:, 0], expected)
        np.testing.assert_allclose(
            pred[:, 1].astype(float),
            np.mean([m.predict(X)[:, 1].astype(float) for m in members], axis=0),
        )
