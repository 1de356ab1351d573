"""Tests of make_hep_preprocessor / make_higgs_preprocessor.

They return plain scikit-learn objects (ColumnTransformer), so there is nothing
for parametrize_with_checks here.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import (
    HIGGS_LOG_COLUMNS,
    HIGGS_MASS_COLUMNS,
    HIGGS_PHI_COLUMNS,
    MissingValueEncoder,
    make_hep_preprocessor,
    make_higgs_features,
    make_higgs_preprocessor,
)

COMMON_INSTANCES = []  # functions returning scikit-learn objects: nothing to check


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # LogisticRegression on 15k rows: BLAS threads only add overhead here
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def higgs():
    X, y, w, _ = load_higgs_challenge(return_X_y=True)
    return X, y


def _split(X, y, n_train=15000):
    # A linear model on log'd masses is weak (it cannot cut a mass window), so it
    # needs the larger training set to pass AUC 0.8 (0.807 here; no log: 0.821).
    return X.iloc[:n_train], X.iloc[n_train:], y[:n_train], y[n_train:]


def test_higgs_pipeline_auc_and_names(higgs):
    X, y = higgs
    X_tr, X_te, y_tr, y_te = _split(X, y)
    raw = make_higgs_preprocessor(physics_features=False)
    pipe = make_pipeline(raw, LogisticRegression(max_iter=500))
    pipe.fit(X_tr, y_tr)
    assert roc_auc_score(y_te, pipe.predict_proba(X_te)[:, 1]) > 0.8
    Xt = pipe[0].transform(X_te)
    assert np.all(np.isfinite(Xt))
    names = pipe[0].get_feature_names_out().tolist()
    assert Xt.shape[1] == len(names) == 4 + 29 + 11
    assert names[:4] == [f"PRI_jet_num_{k}" for k in range(4)]
    assert names[4 : 4 + len(HIGGS_LOG_COLUMNS)] == list(HIGGS_LOG_COLUMNS)
    assert "PRI_jet_num" not in names
    indicators = [n for n in names if n.startswith("missingindicator_")]
    assert sorted(indicators) == sorted(
        f"missingindicator_{c}" for c in X.columns if (X_tr[c] == -999.0).any()
    )
    assert set(names) - set(indicators) - set(names[:4]) == set(X.columns) - {
        "PRI_jet_num"
    }


def test_log_and_missing_statistics_use_present_values_only(higgs):
    X, y = higgs
    pre = make_higgs_preprocessor(physics_features=False)
    out = pre.set_output(transform="pandas").fit_transform(X, y)
    raw = X["DER_mass_MMC"]
    present = raw != -999.0
    assert 0.05 < (~present).mean() < 0.5
    col = out["DER_mass_MMC"]
    # the log of the present values, standardised with their own mean and std
    logged = np.log(raw[present] + 1.0)
    expected = (logged - logged.mean()) / logged.std(ddof=0)
    np.testing.assert_allclose(col[present], expected, rtol=1e-9, atol=1e-12)
    # missing entries: one fill value at least 3 sigma below the bulk
    fill = col[~present].unique()
    assert len(fill) == 1 and fill[0] <= -3.0 and fill[0] < col[present].min()
    np.testing.assert_array_equal(out["missingindicator_DER_mass_MMC"], ~present)
    # a non-log column with missing values: standardised, marker replaced
    eta = out["PRI_jet_leading_eta"]
    present = X["PRI_jet_leading_eta"] != -999.0
    np.testing.assert_allclose(eta[present].mean(), 0.0, atol=1e-10)
    np.testing.assert_allclose(eta[present].std(ddof=0), 1.0, rtol=1e-10)
    assert eta[~present].max() <= -3.0
    # a column without missing values: plain standardisation
    phi = out["PRI_tau_phi"]
    np.testing.assert_allclose(
        phi, StandardScaler().fit_transform(X[["PRI_tau_phi"]])[:, 0], atol=1e-10
    )


def test_categorical_passthrough_and_embedding(higgs):
    X, y = higgs
    pre = make_higgs_preprocessor(physics_features=False, categorical="passthrough")
    Xt = pre.fit_transform(X, y)
    np.testing.assert_array_equal(Xt[:, 0], X["PRI_jet_num"])
    assert pre.get_feature_names_out()[0] == "PRI_jet_num"

    X_tr, X_te, y_tr, y_te = _split(X, y)
    pipe = make_pipeline(
        make_higgs_preprocessor(
            physics_features=False, categorical="embedding", random_state=0
        ),
        LogisticRegression(max_iter=500),
    )
    pipe.set_params(columntransformer__categorical__max_epochs=3)
    pipe.fit(X_tr, y_tr)
    names = pipe[0].get_feature_names_out().tolist()
    assert names[:2] == ["PRI_jet_num_emb0", "PRI_jet_num_emb1"]
    assert roc_auc_score(y_te, pipe.predict_proba(X_te)[:, 1]) > 0.8


def test_pca_only_on_numeric_columns(higgs):
    X, y = higgs
    pre = make_higgs_preprocessor(physics_features=False, n_components=8, whiten=True)
    Xt = pre.fit_transform(X)
    names = pre.get_feature_names_out().tolist()
    assert names == [f"PRI_jet_num_{k}" for k in range(4)] + [
        f"pca{k}" for k in range(8)
    ]
    assert set(np.unique(Xt[:, :4])) == {0.0, 1.0}  # one-hot untouched
    np.testing.assert_allclose(Xt[:, 4:].std(axis=0, ddof=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.corrcoef(Xt[:, 4:].T), np.eye(8), atol=1e-8)
    # whiten alone keeps every component
    pre = make_hep_preprocessor(whiten=True).fit(
        np.random.default_rng(0).normal(size=(50, 3))
    )
    assert pre.get_feature_names_out().tolist() == ["pca0", "pca1", "pca2"]


def test_groups_share_one_scale():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(500, 3)) * [10.0, 10.0, 40.0]
    other = rng.exponential(5.0, size=(500, 1)) + 1.0
    X = np.hstack([other, p])
    pre = make_hep_preprocessor(groups=[[1, 2, 3]], log_columns=[0])
    Xt = pre.fit_transform(X)
    assert pre.get_feature_names_out().tolist() == ["x1", "x2", "x3", "x0"]
    # one common factor for the group: ratios of centred components survive
    centred = p - p.mean(axis=0)
    ratio = Xt[:, :3] / centred
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-10)
    pooled = np.sqrt(np.mean(centred.var(axis=0)))
    np.testing.assert_allclose(ratio[0, 0], 1.0 / pooled, rtol=1e-10)
    # the free log column is log'd then standardised
    logged = np.log(X[:, 0] - (X[:, 0].min() - 1.0))
    np.testing.assert_allclose(
        Xt[:, 3], (logged - logged.mean()) / logged.std(), atol=1e-10
    )


def test_log_inside_a_group_and_shift_mapping():
    rng = np.random.default_rng(1)
    X = rng.exponential(10.0, size=(200, 3)) + 25.0
    pre = make_hep_preprocessor(
        groups=[[2, 1]], log_columns=[1, 0], log_shift={0: 20.0, 1: 5.0}
    )
    Xt = pre.fit_transform(X)
    assert pre.get_feature_names_out().tolist() == ["x2", "x1", "x0"]
    grouped = np.column_stack([X[:, 2], np.log(X[:, 1] - 5.0)])
    centred = grouped - grouped.mean(axis=0)
    np.testing.assert_allclose(
        Xt[:, :2], centred / np.sqrt(np.mean(centred.var(axis=0))), atol=1e-10
    )
    logged = np.log(X[:, 0] - 20.0)
    np.testing.assert_allclose(
        Xt[:, 2], (logged - logged.mean()) / logged.std(), atol=1e-10
    )


def test_missing_values_in_a_group_are_refused():
    X = np.array([[1.0, 2.0, 3.0], [-999.0, 1.0, 0.0], [2.0, 2.0, 2.0]])
    pre = make_hep_preprocessor(missing_values=-999.0, groups=[[0, 1]])
    with pytest.raises(ValueError, match="a column in 'groups' holds missing values"):
        pre.fit(X)


def test_positions_on_arrays_equal_names_on_frames(higgs):
    X, y = higgs
    cols = list(X.columns)
    by_name = make_higgs_preprocessor(physics_features=False, categorical="passthrough")
    by_index = make_hep_preprocessor(
        missing_values=-999.0,
        log_columns=[cols.index(c) for c in HIGGS_LOG_COLUMNS],
        log_shift=-1.0,
        categorical_columns=cols.index("PRI_jet_num"),
        categorical="passthrough",
    )
    np.testing.assert_allclose(
        by_name.fit_transform(X), by_index.fit_transform(X.to_numpy()), atol=1e-12
    )


def test_missing_values_none_uses_standard_scaler():
    X = np.random.default_rng(0).normal(size=(100, 2))
    pre = make_hep_preprocessor(missing_values=None).fit(X)
    scale = pre.named_transformers_["numeric"].named_steps["scale"]
    assert isinstance(scale.named_transformers_["remainder"], StandardScaler)
    np.testing.assert_allclose(pre.transform(X), StandardScaler().fit_transform(X))
    pre = make_hep_preprocessor().fit(X)
    scale = pre.named_transformers_["numeric"].named_steps["scale"]
    assert isinstance(scale.named_transformers_["remainder"], MissingValueEncoder)


def test_returns_plain_sklearn_objects(higgs):
    X, y = higgs
    pre = make_higgs_preprocessor(physics_features=False)
    assert type(pre) is ColumnTransformer
    fitted = clone(pre).fit(X.iloc[:500])
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        again.transform(X.iloc[:50]), fitted.transform(X.iloc[:50])
    )
    out = clone(pre).set_output(transform="pandas").fit_transform(X.iloc[:500])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(fitted.get_feature_names_out())


NAME = "make_hep_preprocessor"


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"missing_values": "-999"}, "missing_values"),
        ({"categorical": "ordinal"}, "categorical"),
        ({"n_components": 0}, "n_components"),
        ({"n_components": 1.5}, "n_components"),
        ({"whiten": "yes"}, "whiten"),
        ({"add_indicator": 1}, "add_indicator"),
        ({"missing_distance": -1.0}, "missing_distance"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"log_shift": "min"}, "log_shift"),
        ({"random_state": "seed"}, "random_state"),
        ({"log_columns": 1.5}, "log_columns"),
        ({"groups": 3}, "groups"),
    ],
)
def test_invalid_params_sklearn_style(kwargs, param):
    with pytest.raises(
        ValueError, match=rf"The '{param}' parameter of {NAME} must be .* Got"
    ):
        make_hep_preprocessor(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"log_columns": [-1]}, "non-negative column positions"),
        ({"log_columns": [True, False]}, "Got True"),
        ({"categorical_columns": ["a", "a"]}, "names a column twice"),
        ({"groups": ["a"]}, "not a list"),
        ({"groups": [[]]}, "empty group"),
        ({"groups": [["a", "b"], ["b"]]}, "more than one group"),
        ({"categorical_columns": ["a"], "log_columns": ["a"]}, "both"),
        ({"categorical_columns": ["a"], "groups": [["a", "b"]]}, "both"),
        ({"categorical_columns": [0], "log_columns": ["a"]}, "mix names and positions"),
        ({"log_columns": ["a"], "log_shift": {"b": 1.0}}, "'log_shift' mapping"),
        ({"log_columns": ["a", "b"], "log_shift": {"a": 1.0}}, "'log_shift' mapping"),
    ],
)
def test_invalid_selections(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_hep_preprocessor(**kwargs)


def test_unknown_column_name(higgs):
    X, _ = higgs
    pre = make_hep_preprocessor(log_columns=["PRI_tau_ptt"])
    with pytest.raises(ValueError, match="PRI_tau_ptt"):
        pre.fit(X)


def test_default_adds_the_physics_features_first(higgs):
    """The recipe's default: pair masses and the aligned event, then the roles."""
    X, y = higgs
    pre = make_higgs_preprocessor(categorical="passthrough")
    assert isinstance(pre, Pipeline)
    assert [name for name, _ in pre.steps] == ["features", "preprocess"]
    out = clone(pre).set_output(transform="pandas").fit_transform(X)
    names = list(out.columns)
    assert names[0] == "PRI_jet_num" and "PRI_tau_phi" not in names
    for mass in HIGGS_MASS_COLUMNS:
        assert mass in names  # log'd and standardised like the other masses
    assert "missingindicator_m_tau_jet2" in names
    assert "missingindicator_mt_tau_met" not in names  # the tau and MET always exist
    features = make_higgs_features().fit_transform(X)
    # the mass columns were log'd: their present values standardise log(1 + m)
    m = features["m_lep_jet1"]
    present = m != -999.0
    logged = np.log1p(m[present])
    np.testing.assert_allclose(
        out["m_lep_jet1"][present],
        (logged - logged.mean()) / logged.std(ddof=0),
        rtol=1e-9,
        atol=1e-12,
    )
    # an event turned about the beam axis gives the same preprocessed row
    fitted = clone(pre).fit(X)
    turned = X.copy()
    for c in HIGGS_PHI_COLUMNS:
        present = turned[c] != -999.0
        turned.loc[present, c] = (
            np.mod(turned.loc[present, c] + 1.0 + np.pi, 2 * np.pi) - np.pi
        )
    np.testing.assert_allclose(fitted.transform(turned), fitted.transform(X), atol=1e-9)
    # the logistic regression on it beats the raw columns
    X_tr, X_te, y_tr, y_te = _split(X, y)
    aucs = {}
    for physics in (False, True):
        pipe = make_pipeline(
            make_higgs_preprocessor(physics_features=physics),
            LogisticRegression(max_iter=500),
        ).fit(X_tr, y_tr)
        aucs[physics] = roc_auc_score(y_te, pipe.predict_proba(X_te)[:, 1])
    assert aucs[True] > aucs[False]
