"""CrossTrainingClassifier / CrossTrainingRegressor: k-fold training by event number."""

import threading
import time

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.ensemble import CrossTrainingClassifier, CrossTrainingRegressor
from sknn_hep.model_selection import EventNumberKFold
from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier, NeuralRegressor
from sknn_hep.preprocessing import MissingValueEncoder

_FAST = dict(n_layers=2, n_units=32, batch_size=32, max_epochs=30, lr=1e-2)

# conformance configurations for tests/test_common.py
# (the checks set only the top-level random_state, which draws the folds; the
# clones keep the network's own, fixed here so that two fits agree)
COMMON_INSTANCES = [
    CrossTrainingClassifier(
        NeuralClassifier(**_FAST, random_state=0), n_splits=2, random_state=0
    ),
    CrossTrainingRegressor(
        NeuralRegressor(**_FAST, random_state=0), n_splits=2, random_state=0
    ),
]


# -- spies: column 0 of X is the row id ---------------------------------------
class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Records the rows, weights and validation mask it was fitted with."""

    def fit(self, X, y, sample_weight=None, validation_mask=None):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        self.rows_ = X[:, 0].astype(int)
        self.sample_weight_ = sample_weight
        self.validation_mask_ = validation_mask
        # an output that tells the clones apart
        self.p_ = (self.rows_.sum() % 997 + 1) / 999
        return self

    def predict_proba(self, X):
        p = np.full(len(X), self.p_)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


class SpyClassifierNoMask(SpyClassifier):
    def fit(self, X, y, sample_weight=None):
        return super().fit(X, y, sample_weight)


class SpyRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None, validation_mask=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.rows_ = X[:, 0].astype(int)
        self.sample_weight_ = sample_weight
        self.validation_mask_ = validation_mask
        self.value_ = float(self.rows_.sum() % 997)
        return self

    def predict(self, X):
        return np.full(len(X), self.value_)


def _spy_data(n=60, seed=0):
    """DataFrame [row, EventNumber, x] with shuffled event numbers."""
    rng = np.random.default_rng(seed)
    events = rng.permutation(n) * 7 + 123_456
    X = pd.DataFrame(
        {"row": np.arange(n), "EventNumber": events, "x": rng.normal(size=n)}
    )
    y = np.tile([0, 1], n // 2)
    return X, y, events


@pytest.mark.parametrize("k", [3, 5])
def test_each_clone_never_sees_its_fold(k):
    X, y, events = _spy_data()
    fold = events % k
    ct = CrossTrainingClassifier(
        SpyClassifier(), n_splits=k, event_number="EventNumber"
    )
    ct.fit(X, y)
    np.testing.assert_array_equal(ct.fold_, fold)
    assert len(ct.estimators_) == k
    for i, clone_i in enumerate(ct.estimators_):
        # the event-number column is removed, the row ids are the rows it got
        assert clone_i.n_features_in_ == 2
        np.testing.assert_array_equal(np.sort(clone_i.rows_), np.flatnonzero(fold != i))
        # validation fold (i + 1) % k, the rest trains
        np.testing.assert_array_equal(
            clone_i.validation_mask_, fold[clone_i.rows_] == (i + 1) % k
        )
    np.testing.assert_array_equal(ct.validation_folds_, (np.arange(k) + 1) % k)


def test_routing_by_event_number_and_average_for_missing():
    X, y, events = _spy_data()
    ct = CrossTrainingClassifier(SpyClassifier(), n_splits=4, event_number=1).fit(X, y)
    p = np.array([e.p_ for e in ct.estimators_])
    assert len(np.unique(p)) == 4  # the clones are told apart
    # training sample: out of fold
    np.testing.assert_allclose(ct.oof_proba_[:, 1], p[events % 4])
    np.testing.assert_allclose(ct.predict_proba(X)[:, 1], p[events % 4])
    # new events, some without an event number
    new = pd.DataFrame(
        {"row": [0, 0, 0, 0], "EventNumber": [8, 13, np.nan, 6], "x": 0.0}
    )
    np.testing.assert_allclose(
        ct.predict_proba(new)[:, 1], [p[0], p[1], p.mean(), p[2]]
    )
    # the same rows in another order and subset: the same clones
    np.testing.assert_allclose(ct.predict_proba(new.iloc[[3, 1]])[:, 1], [p[2], p[1]])
    # prediction="average": every row gets the mean
    ct.set_params(prediction="average")
    np.testing.assert_allclose(ct.predict_proba(X)[:, 1], p.mean())


def test_event_numbers_from_groups():
    X, y, events = _spy_data()
    Xn = X.drop(columns="EventNumber").to_numpy()
    ct = CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(Xn, y, groups=events)
    np.testing.assert_array_equal(ct.fold_, events % 3)
    for i, clone_i in enumerate(ct.estimators_):
        assert clone_i.n_features_in_ == 2  # nothing removed
        np.testing.assert_array_equal(
            np.sort(clone_i.rows_), np.flatnonzero(events % 3 != i)
        )
    p = np.array([e.p_ for e in ct.estimators_])
    np.testing.assert_allclose(ct.oof_proba_[:, 1], p[events % 3])
    # predict without event numbers: the average; with groups: routed
    np.testing.assert_allclose(ct.predict_proba(Xn)[:, 1], p.mean())
    np.testing.assert_allclose(ct.predict_proba(Xn, groups=events)[:, 1], p[events % 3])
    groups = events.astype(float)
    groups[:5] = np.nan
    expected = p[events % 3]
    expected[:5] = p.mean()
    np.testing.assert_allclose(ct.predict_proba(Xn, groups=groups)[:, 1], expected)
    np.testing.assert_array_equal(
        ct.predict(Xn, groups=groups), (expected > 0.5).astype(int)
    )


def test_random_folds_without_event_numbers():
    X, y, _ = _spy_data(n=62)
    Xn = X.drop(columns="EventNumber").to_numpy()
    a = CrossTrainingClassifier(SpyClassifier(), n_splits=4, random_state=3).fit(Xn, y)
    b = CrossTrainingClassifier(SpyClassifier(), n_splits=4, random_state=3).fit(Xn, y)
    c = CrossTrainingClassifier(SpyClassifier(), n_splits=4, random_state=4).fit(Xn, y)
    np.testing.assert_array_equal(a.fold_, b.fold_)
    assert not np.array_equal(a.fold_, c.fold_)
    assert sorted(np.bincount(a.fold_)) == [15, 15, 16, 16]
    for i, clone_i in enumerate(a.estimators_):
        np.testing.assert_array_equal(
            np.sort(clone_i.rows_), np.flatnonzero(a.fold_ != i)
        )


def test_sample_weight_reaches_each_clone():
    X, y, events = _spy_data()
    w = np.linspace(0.5, 2.0, len(y))
    ct = CrossTrainingClassifier(
        SpyClassifier(), n_splits=3, event_number="EventNumber"
    )
    ct.fit(X, y, sample_weight=w)
    for clone_i in ct.estimators_:
        np.testing.assert_array_equal(clone_i.sample_weight_, w[clone_i.rows_])


def test_weights_act_as_repeated_events():
    """Weight 2 = the event twice (same event number, so the same fold)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=40)
    events = rng.permutation(40) + 100
    w = rng.integers(0, 3, size=40)
    repeat = np.repeat(np.arange(40), w)
    weighted = CrossTrainingRegressor(LinearRegression(), n_splits=4)
    weighted.fit(X, y, sample_weight=w, groups=events)
    repeated = CrossTrainingRegressor(LinearRegression(), n_splits=4)
    repeated.fit(X[repeat], y[repeat], groups=events[repeat])
    for a, b in zip(weighted.estimators_, repeated.estimators_):
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    np.testing.assert_allclose(
        weighted.oof_predictions_[repeat], repeated.oof_predictions_, rtol=1e-10
    )


def test_pipeline_gets_weights_and_validation_mask():
    X, y, events = _spy_data()
    w = np.linspace(0.5, 2.0, len(y))
    pipe = make_pipeline(
        StandardScaler(with_mean=False, with_std=False), SpyClassifier()
    )
    ct = CrossTrainingClassifier(pipe, n_splits=3, event_number="EventNumber")
    ct.fit(X, y, sample_weight=w)
    for i, fitted in enumerate(ct.estimators_):
        spy = fitted[-1]
        np.testing.assert_array_equal(spy.sample_weight_, w[spy.rows_])
        np.testing.assert_array_equal(
            spy.validation_mask_, events[spy.rows_] % 3 == (i + 1) % 3
        )


def test_fit_params_are_sliced():
    X, y, events = _spy_data()
    w = np.arange(len(y), dtype=float) + 1
    pipe = make_pipeline(
        StandardScaler(with_std=False, with_mean=False), SpyClassifierNoMask()
    )
    ct = CrossTrainingClassifier(pipe, n_splits=3, event_number="EventNumber")
    ct.fit(X, y, spyclassifiernomask__sample_weight=w)
    for fitted in ct.estimators_:
        np.testing.assert_array_equal(fitted[-1].sample_weight_, w[fitted[-1].rows_])


def test_validation_fold_options():
    X, y, events = _spy_data()

    def masks(estimator, **params):
        ct = CrossTrainingClassifier(
            estimator, n_splits=3, event_number="EventNumber", **params
        ).fit(X, y)
        return ct, [e.validation_mask_ for e in ct.estimators_]

    ct, got = masks(SpyClassifier(), validation_fold=False)
    assert ct.validation_folds_ is None and all(m is None for m in got)
    # auto: no mask where the estimator has no validation_mask ...
    ct, _ = masks(SpyClassifierNoMask())
    assert ct.validation_folds_ is None
    # ... or with n_splits=2
    ct = CrossTrainingClassifier(SpyClassifier(), n_splits=2, event_number=1).fit(X, y)
    assert ct.validation_folds_ is None
    assert all(e.validation_mask_ is None for e in ct.estimators_)
    with pytest.raises(ValueError, match="validation_fold=True with n_splits=2"):
        CrossTrainingClassifier(
            SpyClassifier(), n_splits=2, event_number=1, validation_fold=True
        ).fit(X, y)
    with pytest.raises(
        ValueError, match="SpyClassifierNoMask takes no validation_mask"
    ):
        masks(SpyClassifierNoMask(), validation_fold=True)


def test_validation_fold_with_neural_classifier():
    """Clone i of a NeuralClassifier stops early on fold (i + 1) % k, exactly as a
    NeuralClassifier fitted by hand with that validation_mask."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = (X[:, 0] + rng.normal(size=240) > 0).astype(int)
    events = rng.permutation(240) + 77
    net = NeuralClassifier(
        n_layers=1,
        n_units=16,
        max_epochs=40,
        early_stopping=True,
        patience=3,
        random_state=0,
    )
    ct = CrossTrainingClassifier(net, n_splits=3).fit(X, y, groups=events)
    fold = events % 3
    for i, clone_i in enumerate(ct.estimators_):
        rows = fold != i
        mask = fold[rows] == (i + 1) % 3
        by_hand = clone(net).fit(X[rows], y[rows], validation_mask=mask)
        assert "valid_loss" in clone_i.history_[0]
        assert clone_i.n_iter_ == by_hand.n_iter_
        np.testing.assert_allclose(clone_i.predict_proba(X), by_hand.predict_proba(X))
    # auto does not hold a fold out when the network does not stop early
    ct = CrossTrainingClassifier(
        net.set_params(early_stopping=False, max_epochs=2), n_splits=3
    )
    ct.fit(X, y, groups=events)
    assert ct.validation_folds_ is None
    assert "valid_loss" not in ct.estimators_[0].history_[0]


def test_keep_event_number():
    X, y, _ = _spy_data()
    ct = CrossTrainingClassifier(
        SpyClassifier(), n_splits=3, event_number="EventNumber", keep_event_number=True
    ).fit(X, y)
    assert ct.estimators_[0].n_features_in_ == 3
    with pytest.raises(
        ValueError, match="'keep_event_number' parameter .* is True, but"
    ):
        CrossTrainingClassifier(SpyClassifier(), keep_event_number=True).fit(X, y)


def test_regressor_routing_and_oof():
    X, y, events = _spy_data()
    y = np.arange(len(y), dtype=float)
    ct = CrossTrainingRegressor(SpyRegressor(), n_splits=4, event_number="EventNumber")
    ct.fit(X, y)
    v = np.array([e.value_ for e in ct.estimators_])
    assert len(np.unique(v)) == 4
    np.testing.assert_allclose(ct.oof_predictions_, v[events % 4])
    np.testing.assert_allclose(ct.predict(X), v[events % 4])
    X_new = X.assign(EventNumber=np.nan)
    np.testing.assert_allclose(ct.predict(X_new), v.mean())
    for i, clone_i in enumerate(ct.estimators_):
        np.testing.assert_array_equal(
            np.sort(clone_i.rows_), np.flatnonzero(events % 4 != i)
        )


def test_regressor_multi_output_with_neural_regressor():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 3))
    Y = np.column_stack([X[:, 0] + X[:, 1], X[:, 2] - X[:, 0]])
    net = NeuralRegressor(
        n_layers=1, n_units=16, max_epochs=40, lr=1e-2, batch_size=32, random_state=0
    )
    ct = CrossTrainingRegressor(net, n_splits=3).fit(X, Y, groups=np.arange(150))
    assert ct.oof_predictions_.shape == (150, 2)
    np.testing.assert_allclose(
        ct.predict(X, groups=np.arange(150)), ct.oof_predictions_
    )
    assert ct.score(X, Y) > 0.8  # the average of the three clones


def _hanley_mcneil(auc, y):
    """Standard error of a ROC AUC (Hanley & McNeil 1982)."""
    n1 = int(np.sum(y == 1))
    n0 = len(y) - n1
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)
    return np.sqrt(var / (n0 * n1))


def test_no_leakage_on_an_overfitting_network():
    """A big unregularised network memorises 300 noisy rows. Its AUC on its
    own training rows is far above the test AUC; the cross-trained out-of-fold
    AUC on the same rows agrees with the cross-trained test AUC within 3σ
    (σ: Hanley-McNeil errors of the two AUCs in quadrature)."""

    def sample(n, rng):
        X = rng.normal(size=(n, 10))
        p = 1 / (1 + np.exp(-(X[:, 0] + 0.7 * X[:, 1])))
        return X, (rng.uniform(size=n) < p).astype(int)

    # (seeds 0-7 give |z| <= 1.3 except seed 0, z = 3.3, whose training
    # sample is itself easy: the true discriminant scores 0.82 on it, 0.77 on
    # the test sample)
    rng = np.random.default_rng(5)
    X, y = sample(300, rng)
    X_test, y_test = sample(3000, rng)
    events, events_test = rng.permutation(300) + 10_000, np.arange(3000) + 50_000
    net = NeuralClassifier(
        **{**PLAIN_NETWORK, "batch_size": 64},  # no early stopping, no ensemble
        n_layers=2,
        n_units=128,
        lr=1e-2,
        max_epochs=50,
        random_state=0,
    )

    plain = clone(net).fit(X, y)
    auc_train = roc_auc_score(y, plain.predict_proba(X)[:, 1])
    auc_test = roc_auc_score(y_test, plain.predict_proba(X_test)[:, 1])
    sigma = np.hypot(_hanley_mcneil(auc_train, y), _hanley_mcneil(auc_test, y_test))
    assert auc_train - auc_test > 10 * sigma  # overtrained: ~1.0 against ~0.67

    ct = CrossTrainingClassifier(net, n_splits=4).fit(X, y, groups=events)
    auc_oof = roc_auc_score(y, ct.oof_proba_[:, 1])
    auc_ct_test = roc_auc_score(
        y_test, ct.predict_proba(X_test, groups=events_test)[:, 1]
    )
    sigma = np.hypot(_hanley_mcneil(auc_oof, y), _hanley_mcneil(auc_ct_test, y_test))
    assert abs(auc_oof - auc_ct_test) < 3 * sigma
    # routing the training rows by event number gives the out-of-fold scores
    np.testing.assert_allclose(ct.predict_proba(X, groups=events), ct.oof_proba_)
    # while the ensemble average has seen every row in 3 of 4 models: leaky
    auc_avg = roc_auc_score(y, ct.predict_proba(X)[:, 1])
    assert auc_avg - auc_oof > 5 * sigma


def test_higgs_sample_with_event_id_column():
    data = load_higgs_challenge(n_samples=900)
    X = data.data.assign(EventId=data.event_id)
    pipe = make_pipeline(
        MissingValueEncoder(missing_values=-999.0),
        NeuralClassifier(
            n_layers=2,
            n_units=32,
            lr=3e-3,
            max_epochs=15,
            batch_size=64,
            early_stopping=True,
            random_state=0,
        ),
    )
    ct = CrossTrainingClassifier(pipe, n_splits=3, event_number="EventId").fit(
        X, data.target
    )
    np.testing.assert_array_equal(ct.fold_, data.event_id % 3)
    assert list(ct.estimators_[0].feature_names_in_) == list(data.feature_names)
    assert "valid_loss" in ct.estimators_[0][-1].history_[0]
    assert roc_auc_score(data.target, ct.oof_proba_[:, 1]) > 0.75


class _SlowSpy(SpyClassifier):
    def fit(self, X, y, sample_weight=None, validation_mask=None):
        time.sleep(0.2)
        self.thread_ = threading.get_ident()
        return super().fit(X, y, sample_weight, validation_mask)


def test_n_jobs():
    X, y, events = _spy_data()
    serial = CrossTrainingClassifier(_SlowSpy(), n_splits=3, event_number=1).fit(X, y)
    # threads here: processes (joblib's default) would import everything anew.
    # (sknn_hep networks seed torch's global generator, so they are only
    # reproducible with process-based backends.)
    with joblib.parallel_backend("threading"):
        parallel = CrossTrainingClassifier(
            _SlowSpy(), n_splits=3, event_number=1, n_jobs=3
        ).fit(X, y)
    assert len({e.thread_ for e in parallel.estimators_}) > 1
    assert len({e.thread_ for e in serial.estimators_}) == 1
    np.testing.assert_array_equal(serial.oof_proba_, parallel.oof_proba_)
    for a, b in zip(serial.estimators_, parallel.estimators_):
        np.testing.assert_array_equal(a.rows_, b.rows_)


def test_joblib_round_trip_clone_and_params(tmp_path):
    X, y, events = _spy_data()
    ct = CrossTrainingClassifier(
        LogisticRegression(C=0.5), n_splits=3, event_number="EventNumber"
    ).fit(X, y)
    joblib.dump(ct, tmp_path / "ct.joblib")
    loaded = joblib.load(tmp_path / "ct.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), ct.predict_proba(X))
    np.testing.assert_array_equal(loaded.oof_proba_, ct.oof_proba_)

    params = ct.get_params(deep=True)
    assert params["estimator__C"] == 0.5 and params["n_splits"] == 3
    fresh = clone(ct)
    assert not hasattr(fresh, "estimators_")
    assert fresh.get_params()["event_number"] == "EventNumber"
    fresh.set_params(estimator__C=2.0, n_splits=4).fit(X, y)
    assert len(fresh.estimators_) == 4 and fresh.estimators_[0].C == 2.0
    assert ct.estimators_[0].C == 0.5


def test_decision_function_and_estimator_without_proba():
    X, y, events = _spy_data()
    ct = CrossTrainingClassifier(LinearSVC(), n_splits=3, event_number="EventNumber")
    ct.fit(X, y)
    assert not hasattr(ct, "predict_proba")
    d = ct.decision_function(X)
    np.testing.assert_allclose(d, ct.oof_decision_function_)
    X_inner = X.drop(columns="EventNumber")
    for i, clone_i in enumerate(ct.estimators_):
        rows = events % 3 == i
        np.testing.assert_allclose(d[rows], clone_i.decision_function(X_inner[rows]))
    np.testing.assert_array_equal(ct.predict(X), (d > 0).astype(int))


def test_metadata_routing_in_cross_validate():
    X, y, events = _spy_data()
    Xn = X.drop(columns="EventNumber").to_numpy()
    w = np.linspace(1, 2, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        ct = (
            CrossTrainingRegressor(SpyRegressor(), n_splits=3)
            .set_fit_request(sample_weight=True, groups=True)
            .set_score_request(sample_weight=False)
        )
        result = cross_validate(
            ct,
            Xn,
            y.astype(float),
            cv=EventNumberKFold(n_splits=2),
            params={"sample_weight": w, "groups": events},
            return_estimator=True,
            return_indices=True,
        )
    for fitted, train in zip(result["estimator"], result["indices"]["train"]):
        np.testing.assert_array_equal(fitted.fold_, events[train] % 3)
        spy = fitted.estimators_[0]
        np.testing.assert_array_equal(spy.sample_weight_, w[spy.rows_])


def test_errors():
    X, y, events = _spy_data()
    Xn = X.to_numpy()
    with pytest.raises(InvalidParameterError, match="'n_splits' parameter"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=1).fit(Xn, y)
    with pytest.raises(InvalidParameterError, match="'prediction' parameter"):
        CrossTrainingClassifier(SpyClassifier(), prediction="vote").fit(Xn, y)
    with pytest.raises(ValueError, match="'event_number' parameter .* Got True"):
        CrossTrainingClassifier(SpyClassifier(), event_number=True).fit(Xn, y)
    with pytest.raises(ValueError, match="groups were passed as well"):
        CrossTrainingClassifier(SpyClassifier(), event_number=1).fit(
            Xn, y, groups=events
        )
    with pytest.raises(ValueError, match="column 'EventNumber', but X has no column"):
        CrossTrainingClassifier(SpyClassifier(), event_number="EventNumber").fit(Xn, y)
    with pytest.raises(ValueError, match="the one at row 3 is negative: -1"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(
            Xn, y, groups=np.r_[0, 1, 2, -1, np.arange(56)]
        )
    with pytest.raises(ValueError, match="missing"):
        CrossTrainingClassifier(SpyClassifier(), event_number=1).fit(
            X.assign(EventNumber=np.r_[np.nan, events[1:]]), y
        )
    with pytest.raises(ValueError, match=r"fold sizes \[30, 0, 30\]"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(
            Xn, y, groups=np.r_[np.zeros(30), np.full(30, 2)].astype(int)
        )
    with pytest.raises(ValueError, match="n_samples=1"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(Xn[:1], y[:1])
    with pytest.raises(
        ValueError, match="fit method of _NoWeights takes no sample_weight"
    ):
        CrossTrainingRegressor(make_pipeline(StandardScaler(), _NoWeights())).fit(
            Xn, y, sample_weight=np.ones(60)
        )
    with pytest.raises(ValueError, match="sets 'validation_mask' of each clone"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(
            Xn, y, validation_mask=np.zeros(60, bool)
        )
    with pytest.raises(TypeError, match="predict_proba or decision_function"):
        CrossTrainingClassifier(_NoScores(), n_splits=3).fit(Xn, y)
    # a class absent from every row but one fold's
    y3 = y.copy()
    y3[events % 3 == 0] = 2
    with pytest.raises(ValueError, match="clone 0 was trained on the classes"):
        CrossTrainingClassifier(SpyClassifier(), n_splits=3).fit(Xn, y3, groups=events)

    ct = CrossTrainingClassifier(SpyClassifier(), n_splits=3, event_number=1).fit(Xn, y)
    with pytest.raises(ValueError, match="groups must be None"):
        ct.predict(Xn, groups=events)
    with pytest.raises(
        ValueError, match="X has 2 features, but CrossTrainingClassifier"
    ):
        ct.predict(Xn[:, :2])
    ct.set_params(prediction="average")
    with pytest.raises(ValueError, match="prediction='average' uses no event numbers"):
        ct.predict(Xn, groups=events)


class _NoWeights(LinearRegression):
    def fit(self, X, y):
        return super().fit(X, y)


class _NoScores(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])
