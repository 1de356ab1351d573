"""Per-event weights (and validation masks) through pipelines and searches
with scikit-learn metadata routing, checked against hand-written fold loops;
HalvingRandomSearchCV with the epochs as the resource."""

import numpy as np
import pytest
import sklearn
import skopt
from scipy.stats import loguniform
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    HalvingRandomSearchCV,
    KFold,
)
from sklearn.pipeline import make_pipeline
from skopt.space import Categorical

from sknn_hep.model_selection import BayesSearchCV
from sknn_hep.neural_network import EmbeddingEncoder, NeuralClassifier
from sknn_hep.preprocessing import (
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
)

FAST = dict(n_layers=1, n_units=8, batch_size=40, max_epochs=4, random_state=0)
MISSING = -999.0
CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def data():
    """Overlapping classes, a steep positive column, missing markers, weights
    spanning two decades with a few zeros (one at column 0's minimum)."""
    rng = np.random.default_rng(1)
    n = 240
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 5)) + 0.6 * y[:, None]
    X[:, 0] = np.exp(X[:, 0]) + 5.0
    X[:, 4] = 0.5 * X[:, 3] + rng.normal(size=n)
    X[rng.random(n) < 0.25, 1] = MISSING
    w = np.exp(rng.normal(scale=1.2, size=n)) * np.where(y == 1, 3.0, 1.0)
    w[rng.choice(n, 10, replace=False)] = 0.0
    w[np.argmin(X[:, 0])] = 0.0
    return X, y, w


def _steps():
    return [
        LogShiftTransformer(columns=[0]),
        MissingValueEncoder(missing_values=MISSING),
        GroupScaler(groups=[[3, 4]]),
    ]


def _weighted_pipe(**net):
    steps = [s.set_fit_request(sample_weight=True) for s in _steps()]
    clf = (
        NeuralClassifier(**{**FAST, **net})
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True)
    )
    return make_pipeline(*steps, clf)


def _weighted_auc():
    return make_scorer(
        roc_auc_score, response_method="predict_proba"
    ).set_score_request(sample_weight=True)


def _manual_fit_predict(params, X, y, w_fit, train, test, **fit):
    """The pipeline by hand, no routing: each step fit with w_fit[train]."""
    Xt, Xs = X[train], X[test]
    sw = None if w_fit is None else w_fit[train]
    for step in _steps():
        step.fit(Xt, sample_weight=sw)
        Xt, Xs = step.transform(Xt), step.transform(Xs)
    clf = NeuralClassifier(**FAST).set_params(**params)
    clf.fit(Xt, y[train], sample_weight=sw, **fit)
    return clf.predict_proba(Xs)[:, 1]


def _manual_scores(params, X, y, w, *, train_weights=True, score_weights=True):
    scores = []
    for train, test in CV.split(X):
        proba = _manual_fit_predict(
            params, X, y, w if train_weights else None, train, test
        )
        sw = w[test] if score_weights else None
        scores.append(roc_auc_score(y[test], proba, sample_weight=sw))
    return np.array(scores)


def _split_scores(search, i):
    return np.array(
        [search.cv_results_[f"split{k}_test_score"][i] for k in range(CV.n_splits)]
    )


def test_weighted_grid_search_equals_manual_fold_loop(data):
    X, y, w = data
    grid = {"neuralclassifier__lr": [3e-3, 3e-2]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            _weighted_pipe(), grid, cv=CV, scoring=_weighted_auc()
        ).fit(X, y, sample_weight=w)
    for i, params in enumerate(search.cv_results_["params"]):
        bare = {k.split("__")[1]: v for k, v in params.items()}
        got = _split_scores(search, i)
        np.testing.assert_allclose(got, _manual_scores(bare, X, y, w), rtol=1e-12)
        # both halves of the weighting matter on these data
        unweighted_score = _manual_scores(bare, X, y, w, score_weights=False)
        unweighted_fit = _manual_scores(bare, X, y, w, train_weights=False)
        assert np.abs(got - unweighted_score).max() > 1e-3
        assert np.abs(got - unweighted_fit).max() > 1e-3

    # the refit on all rows: every step saw the weights
    log, enc, scaler, clf = search.best_estimator_.named_steps.values()
    # a zero weight takes the row out of the automatic shift
    shift = LogShiftTransformer(columns=[0]).fit(X, sample_weight=w).shift_
    assert log.shift_[0] == shift[0]
    assert shift[0] > LogShiftTransformer(columns=[0]).fit(X).shift_[0]
    Xl = log.transform(X)
    mean = MissingValueEncoder(missing_values=MISSING).fit(Xl, sample_weight=w).mean_
    np.testing.assert_allclose(enc.mean_, mean, rtol=1e-12)
    assert not np.allclose(
        mean, MissingValueEncoder(missing_values=MISSING).fit(Xl).mean_
    )
    Xe = enc.transform(Xl)
    scale = GroupScaler(groups=[[3, 4]]).fit(Xe, sample_weight=w).scale_
    np.testing.assert_allclose(scaler.scale_, scale, rtol=1e-12)
    assert not np.allclose(scale, GroupScaler(groups=[[3, 4]]).fit(Xe).scale_)
    assert search.predict_proba(X).shape == (len(X), 2)


def test_weights_passed_without_a_request_raise(data):
    X, y, w = data
    pipe = make_pipeline(*_steps(), NeuralClassifier(**FAST))
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            pipe, {"neuralclassifier__lr": [1e-2]}, cv=CV, error_score="raise"
        )
        with pytest.raises(
            UnsetMetadataPassedError,
            match=r"\[sample_weight\] are passed but are not explicitly set as "
            "requested or not requested for LogShiftTransformer.fit_transform",
        ):
            search.fit(X, y, sample_weight=w)


def test_weighted_bayes_search_equals_manual_fold_loop(data):
    X, y, w = data
    space = {
        "neuralclassifier__hidden_layer_sizes": Categorical([(6, 4)]),
        "neuralclassifier__lr": Categorical([1e-2]),
    }
    with sklearn.config_context(enable_metadata_routing=True):
        search = BayesSearchCV(
            _weighted_pipe(), space, n_iter=1, cv=CV, scoring=_weighted_auc()
        ).fit(X, y, sample_weight=w)
    params = {"hidden_layer_sizes": (6, 4), "lr": 1e-2}
    np.testing.assert_allclose(
        _split_scores(search, 0), _manual_scores(params, X, y, w), rtol=1e-12
    )


def test_skopt_own_bayes_search_fails_with_routing_on(data):
    """Why BayesSearchCV drops groups=None: skopt's fit always passes it."""
    X, y, _ = data
    with sklearn.config_context(enable_metadata_routing=True):
        search = skopt.BayesSearchCV(
            NeuralClassifier(**FAST), {"lr": Categorical([1e-2])}, n_iter=1, cv=CV
        )
        with pytest.raises(TypeError, match=r"unexpected argument\(s\) \{'groups'\}"):
            search.fit(X, y)


def test_bayes_search_routes_groups_to_the_splitter(data):
    X, y, w = data
    groups = np.arange(len(X)) % 4
    with sklearn.config_context(enable_metadata_routing=True):
        search = BayesSearchCV(
            _weighted_pipe(),
            {"neuralclassifier__lr": Categorical([1e-2])},
            n_iter=1,
            cv=GroupKFold(2),
            scoring=_weighted_auc(),
        ).fit(X, y, groups=groups, sample_weight=w)
    assert search.n_splits_ == 2
    splits = list(GroupKFold(2).split(X, y, groups))
    expected = []
    for train, test in splits:
        assert set(groups[train]).isdisjoint(groups[test])
        proba = _manual_fit_predict({"lr": 1e-2}, X, y, w, train, test)
        expected.append(roc_auc_score(y[test], proba, sample_weight=w[test]))
    got = [search.cv_results_[f"split{k}_test_score"][0] for k in range(2)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_validation_mask_is_split_per_fold_like_sample_weight(data):
    X, y, w = data
    mask = np.zeros(len(X), dtype=bool)
    mask[np.random.default_rng(2).choice(len(X), 60, replace=False)] = True
    net = dict(early_stopping=True, patience=2, max_epochs=5)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _weighted_pipe(**net)
        pipe[-1].set_fit_request(validation_mask=True)
        search = GridSearchCV(
            pipe, {"neuralclassifier__lr": [3e-2]}, cv=CV, scoring=_weighted_auc()
        ).fit(X, y, sample_weight=w, validation_mask=mask)
    params = {"lr": 3e-2, **net}
    expected, without_mask = [], []
    for train, test in CV.split(X):
        for out, fit in (
            (expected, {"validation_mask": mask[train]}),
            (without_mask, {}),
        ):
            proba = _manual_fit_predict(params, X, y, w, train, test, **fit)
            out.append(roc_auc_score(y[test], proba, sample_weight=w[test]))
    np.testing.assert_allclose(_split_scores(search, 0), expected, rtol=1e-12)
    assert np.abs(np.array(expected) - without_mask).max() > 1e-3
    assert "valid_loss" in search.best_estimator_[-1].history_[0]


def test_halving_random_search_with_epochs_as_resource(data):
    X, y, w = data
    with sklearn.config_context(enable_metadata_routing=True):
        search = HalvingRandomSearchCV(
            _weighted_pipe(),
            {
                "neuralclassifier__lr": loguniform(1e-3, 1e-1),
                "neuralclassifier__optimizer": ["adam", "nesterov"],
            },
            resource="neuralclassifier__max_epochs",
            min_resources=1,
            max_resources=4,
            factor=2,
            n_candidates=4,
            cv=CV,
            scoring=_weighted_auc(),
            random_state=0,
        ).fit(X, y, sample_weight=w)
    assert search.n_resources_ == [1, 2, 4]
    assert search.n_candidates_ == [4, 2, 1]
    results = search.cv_results_
    assert list(results["n_resources"]) == [1, 1, 1, 1, 2, 2, 4]
    # each round's candidates were the best of the previous round
    first = results["mean_test_score"][:4]
    kept = [p["neuralclassifier__lr"] for p in results["params"][4:6]]
    best_first = [
        results["params"][i]["neuralclassifier__lr"] for i in np.argsort(first)[-2:]
    ]
    assert sorted(kept) == sorted(best_first)
    assert search.best_params_["neuralclassifier__max_epochs"] == 4
    assert search.best_estimator_[-1].n_iter_ == 4
    assert search.predict(X).shape == (len(X),)


def test_embedding_encoder_gets_the_weights_in_a_pipeline(data):
    X, y, w = data
    rng = np.random.default_rng(3)
    code = (rng.integers(0, 4, len(X)) + 2 * y) % 5
    Xc = np.column_stack([code, X[:, 2:]])
    enc = dict(columns=[0], embedding_dim=2, max_epochs=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            EmbeddingEncoder(**enc).set_fit_request(sample_weight=True),
            NeuralClassifier(**FAST).set_fit_request(sample_weight=True),
        ).fit(Xc, y, sample_weight=w)
    direct = EmbeddingEncoder(**enc).fit(Xc, y, sample_weight=w)
    plain = EmbeddingEncoder(**enc).fit(Xc, y)
    np.testing.assert_array_equal(pipe[0].embeddings_[0], direct.embeddings_[0])
    assert not np.allclose(direct.embeddings_[0], plain.embeddings_[0])
