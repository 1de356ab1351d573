"""Tests for GroupScaler."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import GroupScaler

COMMON_INSTANCES = [
    GroupScaler(groups=[[0, -1]]),
    GroupScaler(groups=[[0, -1]], with_mean=False, remainder="passthrough"),
    GroupScaler(groups=[[-1]], with_mean=False),
    GroupScaler(groups=[]),
]

PT = ["PRI_tau_pt", "PRI_lep_pt", "PRI_met"]
ETA = ["PRI_tau_eta", "PRI_lep_eta"]


@pytest.fixture(scope="module")
def higgs():
    X, y, w, _ = load_higgs_challenge(return_X_y=True)
    return X, w


def _pooled_sigma(X, cols, w, with_mean):
    """Reference: plain mean over columns of each weighted (centred) variance."""
    var = []
    for c in cols:
        x = X[c].to_numpy()
        m = np.average(x, weights=w) if with_mean else 0.0
        var.append(np.average((x - m) ** 2, weights=w))
    return np.sqrt(np.mean(var))


@pytest.mark.parametrize("with_mean", [True, False])
def test_pooled_sigma_matches_numpy_on_higgs(higgs, with_mean):
    X, w = higgs
    gs = GroupScaler(groups=[PT, ETA], with_mean=with_mean).fit(X, sample_weight=w)
    for group in (PT, ETA):
        idx = [X.columns.get_loc(c) for c in group]
        sigma = _pooled_sigma(X, group, w, with_mean)
        assert_allclose(gs.scale_[idx], sigma, rtol=1e-10)
        means = [np.average(X[c], weights=w) if with_mean else 0.0 for c in group]
        assert_allclose(gs.mean_[idx], means, rtol=1e-10, atol=1e-12)
    Xt = gs.transform(X)
    # pooled over a group, the weighted mean square of the output is 1
    for group in (PT, ETA):
        idx = [X.columns.get_loc(c) for c in group]
        ms = np.mean([np.average(Xt[:, j] ** 2, weights=w) for j in idx])
        assert_allclose(ms, 1.0, rtol=1e-10)
    # columns in no group: standardised one by one (weighted)
    rest = X.columns.get_loc("DER_sum_pt")
    x = X["DER_sum_pt"].to_numpy()
    m = np.average(x, weights=w) if with_mean else 0.0
    s = np.sqrt(np.average((x - m) ** 2, weights=w))
    assert_allclose(Xt[:, rest], (x - m) / s, rtol=1e-10, atol=1e-10)
    assert_allclose(gs.inverse_transform(Xt), X.to_numpy(), rtol=1e-12, atol=1e-9)


def test_ratios_survive_without_centring(higgs):
    X, w = higgs
    gs = GroupScaler(groups=[PT], with_mean=False, remainder="passthrough")
    Xt = gs.fit_transform(X, sample_weight=w)
    a, b, c = (X.columns.get_loc(n) for n in PT)
    assert_allclose(Xt[:, a] / Xt[:, b], X.iloc[:, a] / X.iloc[:, b], rtol=1e-12)
    assert_allclose(Xt[:, c] / Xt[:, a], X.iloc[:, c] / X.iloc[:, a], rtol=1e-12)
    others = [j for j in range(X.shape[1]) if j not in (a, b, c)]
    assert_array_equal(Xt[:, others], X.to_numpy()[:, others])  # passthrough


def test_differences_survive_with_centring(higgs):
    X, w = higgs
    gs = GroupScaler(groups=[PT]).fit(X, sample_weight=w)
    Xt = gs.transform(X)
    idx = [X.columns.get_loc(n) for n in PT]
    sigma = _pooled_sigma(X, PT, w, True)
    raw = X.to_numpy()[:, idx]
    # differences between events, in any component, shrink by one common factor
    assert_allclose(
        np.diff(Xt[:, idx], axis=0), np.diff(raw, axis=0) / sigma, atol=1e-9
    )
    # so do differences between components, up to the per-column centres
    mu = gs.mean_[idx]
    assert_allclose(
        Xt[:, idx[0]] - Xt[:, idx[1]],
        ((raw[:, 0] - raw[:, 1]) - (mu[0] - mu[1])) / sigma,
        atol=1e-9,
    )


def test_single_column_groups_equal_standard_scaler(higgs):
    X, w = higgs
    cols = PT + ETA
    gs = GroupScaler(groups=[[c] for c in cols]).fit(X[cols], sample_weight=w)
    ss = StandardScaler().fit(X[cols], sample_weight=w)
    assert_allclose(gs.scale_, ss.scale_, rtol=1e-10)
    assert_allclose(gs.mean_, ss.mean_, rtol=1e-10)
    assert_allclose(GroupScaler(groups=[]).fit(X[cols]).scale_, ss.fit(X[cols]).scale_)


def test_zero_variance_column_in_group_contributes_zero():
    rng = np.random.RandomState(0)
    b = rng.normal(size=100)
    X = np.column_stack([np.full(100, 3.7), b])
    gs = GroupScaler(groups=[[0, 1]]).fit(X)
    assert_allclose(gs.scale_, np.sqrt(np.var(b) / 2))
    assert_allclose(gs.transform(X)[:, 0], 0.0, atol=1e-12)


@pytest.mark.parametrize("with_mean", [True, False])
def test_group_with_zero_sigma_gets_scale_one(with_mean):
    value = 2.5 if with_mean else 0.0
    X = np.column_stack([np.full(10, value), np.full(10, value), np.arange(10.0)])
    gs = GroupScaler(groups=[[0, 1]], with_mean=with_mean).fit(X)
    assert_array_equal(gs.scale_[:2], [1.0, 1.0])
    assert_allclose(gs.transform(X)[:, :2], 0.0, atol=1e-12)
    assert_allclose(gs.inverse_transform(gs.transform(X)), X)


@pytest.mark.parametrize(
    "groups, match",
    [
        (
            [["a", "b"], ["b", "c"]],
            r"overlapping groups: column 'b' \(index 1\) is in ",
        ),
        ([["a", "b"], [0]], r"'a' \(index 0\) is in groups\[0\] and groups\[1\]"),
        ([["a", "nope"]], r"names columns \['nope'\] that are not in X"),
        ([[0, 7]], "column index 7, out of range"),
        (["a", "b"], r"groups\[0\] is 'a'. Wrap it"),
        ([[]], r"empty group \(groups\[0\]\)"),
        ([[1.5]], "must be column positions"),
    ],
)
def test_bad_groups(groups, match):
    df = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    with pytest.raises(ValueError, match=match):
        GroupScaler(groups=groups).fit(df)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("groups", "abc", "must be an array-like. Got 'abc' instead"),
        ("groups", 3, "must be an array-like. Got 3 instead"),
        ("with_mean", None, "must be an instance of 'bool'"),
        ("remainder", "drop", "must be a str among .*Got 'drop' instead"),
    ],
)
def test_invalid_parameters(param, value, match):
    gs = GroupScaler(groups=[[0]]).set_params(**{param: value})
    with pytest.raises(
        ValueError, match=rf"The '{param}' parameter of GroupScaler {match}"
    ):
        gs.fit(np.ones((3, 2)))


def test_nan_is_rejected():
    with pytest.raises(ValueError, match="Input X contains NaN"):
        GroupScaler(groups=[[0]]).fit(np.array([[np.nan, 1.0], [2.0, 3.0]]))


def test_sample_weight_zero_rows_ignored_and_integer_weights_repeat():
    rng = np.random.RandomState(1)
    X = rng.normal(2.0, 3.0, size=(40, 4))
    w = rng.randint(0, 4, size=40).astype(float)
    gs = GroupScaler(groups=[[0, 2]]).fit(X, sample_weight=w)
    ref = GroupScaler(groups=[[0, 2]]).fit(np.repeat(X, w.astype(int), axis=0))
    assert_allclose(gs.scale_, ref.scale_, rtol=1e-12)
    assert_allclose(gs.mean_, ref.mean_, rtol=1e-12)
    unweighted = GroupScaler(groups=[[0, 2]]).fit(X)
    assert not np.allclose(gs.scale_, unweighted.scale_)
    with pytest.raises(
        ValueError,
        match=r"sample_weight passed to GroupScaler\.fit sums to -[\d.]+; the "
        "weights must sum to a positive number",
    ):
        GroupScaler(groups=[[0, 2]]).fit(X, sample_weight=w - 5)


# -- negative weights (NLO generators) ---------------------------------------
@pytest.mark.parametrize("with_mean", [True, False])
def test_negative_weights_summing_positive_give_signed_statistics(with_mean):
    rng = np.random.RandomState(2)
    X = rng.normal(2.0, 3.0, size=(100, 3))
    w = np.where(rng.rand(100) < 0.2, -0.3, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a well-behaved sample: no fallback
        gs = GroupScaler(groups=[[0, 1]], with_mean=with_mean).fit(X, sample_weight=w)
    W = w.sum()
    mean = (w @ X) / W if with_mean else np.zeros(3)
    var = (w @ (X - mean) ** 2) / W
    assert_allclose(gs.mean_, mean, rtol=1e-12)
    assert_allclose(gs.scale_[:2], np.sqrt(var[:2].mean()), rtol=1e-12)
    assert_allclose(gs.scale_[2], np.sqrt(var[2]), rtol=1e-12)
    assert_allclose(gs.inverse_transform(gs.transform(X)), X, rtol=1e-12)


@pytest.mark.parametrize(
    "column, with_mean, why",
    [
        # mean 0 within [0, 20], variance -66.7 around it
        ([0.0, 10.0, 20.0, 5.0], True, "variance -66.7"),
        # the signed mean -50 lies outside the values [0, 25]
        ([25.0, 0.0, 0.0, 0.0], True, "mean -50 outside"),
        # with_mean=False: the mean square around 0 is negative
        ([0.0, 10.0, 20.0, 5.0], False, "variance -66.7"),
    ],
)
def test_column_without_a_signed_distribution_uses_absolute_weights(
    column, with_mean, why
):
    w = np.array([1.0, 1.0, -0.5, 0.0]) if column[0] == 0.0 else None
    if w is None:
        w = np.array([-1.0, 0.5, 1.0, 0.0])
    X = np.column_stack([column, [1.0, 2.0, 3.0, 4.0]])
    with pytest.warns(
        UserWarning, match=rf"GroupScaler: .*column 0 .*{why}.*absolute weights"
    ):
        gs = GroupScaler(groups=[[0]], with_mean=with_mean).fit(X, sample_weight=w)
    x, a = np.asarray(column)[w != 0], np.abs(w[w != 0])
    mean = np.average(x, weights=a) if with_mean else 0.0
    assert_allclose(gs.mean_[0], mean, rtol=1e-12)
    assert_allclose(gs.scale_[0], np.sqrt(np.average((x - mean) ** 2, weights=a)))
    assert np.isfinite(gs.transform(X)).all()


def test_float32_overflow_raises_instead_of_inf():
    X = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]], dtype=np.float32)
    gs = GroupScaler(groups=[[0]]).fit(X)
    big = np.array([[1.0, 1.0], [3e38, 1.0]], dtype=np.float32)
    with pytest.raises(
        ValueError,
        match=r"GroupScaler\.transform gives a value beyond the float32 range .* in "
        r"column 0: 1 row\(s\), the first at row 1.*float64",
    ):
        gs.transform(big)
    assert np.isfinite(gs.transform(big.astype(np.float64))).all()
    wide = GroupScaler(groups=[[0]]).fit(X * 10)  # sigma 8.2: x' * sigma > 3.4e38
    with pytest.raises(ValueError, match=r"inverse_transform gives a value beyond"):
        wide.inverse_transform(big)


def test_float32_stays_float32():
    X = np.random.RandomState(0).normal(size=(20, 3)).astype(np.float32)
    gs = GroupScaler(groups=[[0, 1]]).fit(X)
    Xt = gs.transform(X)
    assert Xt.dtype == np.float32
    assert gs.inverse_transform(Xt).dtype == np.float32
    assert_allclose(gs.inverse_transform(Xt), X, rtol=1e-5, atol=1e-6)


def test_pandas_output_keeps_names(higgs):
    X, _ = higgs
    Xs = X.iloc[:200]
    gs = GroupScaler(groups=[PT]).set_output(transform="pandas")
    out = gs.fit_transform(Xs)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert_array_equal(out.index, Xs.index)
    assert [list(g) for g in gs.groups_] == [sorted(X.columns.get_loc(c) for c in PT)]


def test_unfitted_and_wrong_width():
    with pytest.raises(NotFittedError):
        GroupScaler(groups=[[0]]).transform(np.ones((2, 2)))
    gs = GroupScaler(groups=[[0]]).fit(np.arange(4.0).reshape(2, 2))
    with pytest.raises(ValueError, match="expecting 2 features"):
        gs.inverse_transform(np.ones((2, 3)))


@settings(max_examples=30, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.integers(1, 6)),
        elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    ),
    labels_seed=st.integers(0, 2**16),
    with_mean=st.booleans(),
    remainder=st.sampled_from(["standardize", "passthrough"]),
)
def test_round_trip(X, labels_seed, with_mean, remainder):
    rng = np.random.RandomState(labels_seed)
    labels = rng.randint(-1, 3, size=X.shape[1])  # -1: in no group
    groups = [np.flatnonzero(labels == g).tolist() for g in range(3)]
    groups = [g for g in groups if g]
    gs = GroupScaler(groups=groups, with_mean=with_mean, remainder=remainder)
    Xt = gs.fit_transform(X)
    assert np.all(np.isfinite(Xt))
    for g in gs.groups_:
        assert np.all(gs.scale_[g] == gs.scale_[g[0]])
    assert_allclose(
        gs.inverse_transform(Xt), X, rtol=1e-9, atol=1e-9 * (1 + np.abs(X).max())
    )
