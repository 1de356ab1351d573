"""Tests for MissingValueEncoder."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import MissingValueEncoder

COMMON_INSTANCES = [
    MissingValueEncoder(),
    MissingValueEncoder(missing_values=-999.0, add_indicator=True, standardize=False),
    MissingValueEncoder(add_indicator=True, distance=5.0, margin=0.5, columns=[0]),
    MissingValueEncoder(columns=[-1], standardize=False),
]


@pytest.fixture(scope="module")
def higgs():
    X, y, w, _ = load_higgs_challenge(return_X_y=True)
    return X, w


@pytest.fixture(scope="module")
def higgs_encoded(higgs):
    X, w = higgs
    enc = MissingValueEncoder(missing_values=-999.0, add_indicator=True)
    Xt = enc.fit_transform(X, sample_weight=w)
    return enc, Xt


def test_statistics_from_present_values_only(higgs, higgs_encoded):
    X, w = higgs
    enc, _ = higgs_encoded
    for k, col in enumerate(X.columns):
        x = X[col].to_numpy()
        present = x != -999.0
        mu = np.average(x[present], weights=w[present])
        var = np.average((x[present] - mu) ** 2, weights=w[present])
        assert_allclose(enc.mean_[k], mu, rtol=1e-10, err_msg=col)
        assert_allclose(enc.var_[k], var, rtol=1e-9, err_msg=col)
        assert_allclose(enc.scale_[k], np.sqrt(var), rtol=1e-9, err_msg=col)


def test_fill_outside_training_range_and_three_sigma_away(higgs, higgs_encoded):
    X, _ = higgs
    enc, Xt = higgs_encoded
    n_missing_cols = 0
    for k, col in enumerate(X.columns):
        x = X[col].to_numpy()
        present = x != -999.0
        fill_data = enc.fill_value_[k] * enc.scale_[k] + enc.mean_[k]
        assert fill_data < x[present].min(), col
        assert enc.mean_[k] - fill_data >= 3.0 * enc.scale_[k] * (1 - 1e-12), col
        assert enc.fill_value_[k] <= -3.0 + 1e-12  # standardised units
        # present values standardised with the present-only statistics
        assert_allclose(
            Xt[present, k], (x[present] - enc.mean_[k]) / enc.scale_[k], atol=1e-12
        )
        if (~present).any():
            n_missing_cols += 1
            assert_array_equal(Xt[~present, k], enc.fill_value_[k])
            # the gap is visible: at least margin (1 sigma) below the bulk
            assert Xt[present, k].min() - enc.fill_value_[k] >= 1.0 - 1e-12
    assert n_missing_cols == 11


def test_indicators_match_missing_mask(higgs, higgs_encoded):
    X, _ = higgs
    enc, Xt = higgs_encoded
    missing = (X == -999.0).to_numpy()
    with_missing = np.flatnonzero(missing.any(axis=0))
    assert_array_equal(enc.missing_features_, with_missing)
    assert Xt.shape == (X.shape[0], X.shape[1] + with_missing.size)
    assert_array_equal(Xt[:, X.shape[1] :], missing[:, with_missing].astype(float))
    names = enc.get_feature_names_out()
    assert list(names[: X.shape[1]]) == list(X.columns)
    assert list(names[X.shape[1] :]) == [
        f"missingindicator_{X.columns[j]}" for j in with_missing
    ]
    assert "missingindicator_DER_mass_MMC" in names
    assert "missingindicator_PRI_met" not in names


def test_inverse_transform_restores_markers(higgs, higgs_encoded):
    X, _ = higgs
    enc, Xt = higgs_encoded
    assert_allclose(enc.inverse_transform(Xt), X.to_numpy(), rtol=1e-12, atol=1e-9)
    with pytest.raises(ValueError, match="expecting 41 features"):
        enc.inverse_transform(Xt[:, :30])


def test_pandas_output_with_indicator_names(higgs):
    X, w = higgs
    Xs = X.iloc[50:250]
    enc = MissingValueEncoder(missing_values=-999.0, add_indicator=True)
    out = enc.set_output(transform="pandas").fit_transform(Xs)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(enc.get_feature_names_out())
    assert_array_equal(out.index, Xs.index)
    assert_array_equal(
        out["missingindicator_DER_mass_MMC"],
        (Xs["DER_mass_MMC"] == -999.0).astype(float),
    )


def test_without_standardization_fill_is_in_data_units():
    X = np.array([[1.0], [2.0], [3.0], [np.nan]])
    enc = MissingValueEncoder(standardize=False, distance=3.0).fit(X)
    sigma = np.std([1.0, 2.0, 3.0])
    assert_allclose(enc.fill_value_, [2.0 - 3.0 * sigma])  # mu - 3 sigma < min - sigma
    Xt = enc.transform(X)
    assert_array_equal(Xt[:3], X[:3])
    assert_allclose(Xt[3], enc.fill_value_)
    # a long lower tail: the minimum - margin wins over mu - distance sigma
    Y = np.r_[np.zeros(99), -100.0, np.nan][:, None]
    enc = MissingValueEncoder(standardize=False, margin=0.5).fit(Y)
    s = np.std(Y[:100, 0])
    assert_allclose(enc.fill_value_, [-100.0 - 0.5 * s])


def test_distance_zero_still_below_minimum():
    X = np.array([[1.0], [2.0], [3.0], [np.nan]])
    enc = MissingValueEncoder(distance=0.0, margin=0.25).fit(X)
    sigma = np.std([1.0, 2.0, 3.0])
    assert_allclose(enc.fill_value_, [(1.0 - 0.25 * sigma - 2.0) / sigma])


def test_missing_only_at_transform_gets_fill_without_indicator():
    X = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, 7.0]])
    enc = MissingValueEncoder(add_indicator=True).fit(X)
    assert_array_equal(enc.missing_features_, [1])
    Xt = enc.transform(np.array([[np.nan, 6.0]]))
    assert Xt.shape == (1, 3)  # one indicator only, for column 1
    assert_allclose(Xt[0], [enc.fill_value_[0], 0.0, 0.0])
    assert_array_equal(enc.get_feature_names_out(), ["x0", "x1", "missingindicator_x1"])


def test_all_missing_column_raises():
    X = np.array([[1.0, np.nan], [2.0, np.nan]])
    with pytest.raises(ValueError, match="column 1 has no present values"):
        MissingValueEncoder().fit(X)
    df = pd.DataFrame({"a": [1.0, 2.0], "jet": [-999.0, -999.0]})
    with pytest.raises(ValueError, match=r"column 'jet' \(index 1\) has no present"):
        MissingValueEncoder(missing_values=-999.0).fit(df)
    # present only in rows of zero weight: also nothing to learn from
    with pytest.raises(ValueError, match="has no present values"):
        MissingValueEncoder().fit(np.array([[1.0], [np.nan]]), sample_weight=[0.0, 1.0])
    # leaving the column out works; it passes through untouched
    out = MissingValueEncoder(missing_values=-999.0, columns=["a"]).fit_transform(df)
    assert_array_equal(out[:, 1], -999.0)


def test_constant_present_values_get_scale_one():
    X = np.array([[4.0], [4.0], [np.nan]])
    enc = MissingValueEncoder(distance=3.0, margin=1.0).fit(X)
    assert_array_equal(enc.scale_, [1.0])
    assert_array_equal(enc.var_, [0.0])
    assert_allclose(enc.transform(X)[:, 0], [0.0, 0.0, -3.0])


def test_column_selection_leaves_others_untouched():
    df = pd.DataFrame({"m": [100.0, -999.0, 120.0], "njet": [0.0, 2.0, -999.0]})
    enc = MissingValueEncoder(missing_values=-999.0, columns=["m"], add_indicator=True)
    out = enc.fit_transform(df)
    assert_array_equal(out[:, 1], df["njet"])
    assert_array_equal(out[:, 2], [0.0, 1.0, 0.0])
    assert list(enc.get_feature_names_out()) == ["m", "njet", "missingindicator_m"]
    assert_allclose(enc.inverse_transform(out), df.to_numpy())
    with pytest.raises(ValueError, match=r"names columns \['nope'\] that are not in X"):
        MissingValueEncoder(columns=["nope"]).fit(df)


def test_nan_not_accepted_when_marker_is_a_sentinel():
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MissingValueEncoder(missing_values=-999.0).fit(np.array([[np.nan], [1.0]]))


def test_sample_weight_changes_statistics_and_zero_rows_are_ignored():
    rng = np.random.RandomState(0)
    X = rng.normal(10.0, 2.0, size=(60, 2))
    X[rng.rand(60) < 0.3, 1] = np.nan
    w = rng.uniform(0.0, 3.0, size=60)
    w[:10] = 0.0
    X[0, :] = [-50.0, -50.0]  # an outlier of zero weight: must not count
    enc = MissingValueEncoder().fit(X, sample_weight=w)
    ref = MissingValueEncoder().fit(X[10:], sample_weight=w[10:])
    for attr in ("mean_", "var_", "fill_value_"):
        assert_allclose(getattr(enc, attr), getattr(ref, attr), rtol=1e-12)
    present = ~np.isnan(X[:, 1])
    assert_allclose(enc.mean_[1], np.average(X[present, 1], weights=w[present]))
    unweighted = MissingValueEncoder().fit(X[10:])
    assert not np.allclose(enc.mean_, unweighted.mean_)
    with pytest.raises(
        ValueError,
        match=r"sample_weight passed to MissingValueEncoder\.fit sums to -[\d.]+; "
        "the weights must sum to a positive number",
    ):
        MissingValueEncoder().fit(X, sample_weight=-w)


# -- negative weights (NLO generators) ---------------------------------------
def test_negative_weights_summing_positive_give_signed_statistics():
    rng = np.random.RandomState(3)
    X = rng.normal(10.0, 2.0, size=(80, 2))
    X[rng.rand(80) < 0.3, 1] = np.nan
    w = np.where(rng.rand(80) < 0.2, -0.4, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a well-behaved sample: no fallback
        enc = MissingValueEncoder().fit(X, sample_weight=w)
    for k in range(2):
        present = ~np.isnan(X[:, k])
        x, wk = X[present, k], w[present]
        mean = np.sum(wk * x) / np.sum(wk)
        var = np.sum(wk * (x - mean) ** 2) / np.sum(wk)
        assert_allclose(enc.mean_[k], mean, rtol=1e-12)
        assert_allclose(enc.var_[k], var, rtol=1e-10)
        assert_allclose(enc.scale_[k], np.sqrt(var), rtol=1e-10)
        # the fill is still below every present value, negative weight or not
        assert enc.fill_value_[k] * enc.scale_[k] + enc.mean_[k] < x.min()
    assert np.isfinite(enc.transform(X)).all()


def _abs_weight_stats(x, w):
    mean = np.average(x, weights=np.abs(w))
    return mean, np.average((x - mean) ** 2, weights=np.abs(w))


@pytest.mark.parametrize(
    "x, w, why",
    [
        # the present entries of the column sum to a negative weight
        ([1.0, 2.0, 3.0], [1.0, -2.0, 0.5], "total weight -0.5"),
        # the signed mean 20 lies outside the values [0, 10]
        ([0.0, 10.0, 5.0], [-0.5, 1.0, 0.0], "mean 20 outside"),
        # mean 0 within [0, 20], but the variance is -66.7
        ([0.0, 10.0, 20.0], [1.0, 1.0, -0.5], "variance -66.7"),
    ],
)
def test_column_without_a_signed_distribution_uses_absolute_weights(x, w, why):
    """Column 1 holds the odd values; column 0 has unit weights' statistics."""
    n = len(x)
    X = np.column_stack([np.arange(n + 3.0), np.r_[x, [np.nan] * 3]])
    sw = np.r_[w, [5.0, 5.0, 5.0]]  # rows missing in column 1: total positive
    with pytest.warns(
        UserWarning,
        match=rf"MissingValueEncoder: .*column 1 .*{why}.*absolute weights",
    ):
        enc = MissingValueEncoder().fit(X, sample_weight=sw)
    kept = np.asarray(w) != 0
    mean, var = _abs_weight_stats(np.asarray(x)[kept], np.asarray(w)[kept])
    assert_allclose([enc.mean_[1], enc.var_[1]], [mean, var], rtol=1e-12)
    assert enc.scale_[1] > 0
    Xt = enc.transform(X)
    assert np.isfinite(Xt).all()
    assert np.all(Xt[n:, 1] < Xt[:n, 1].min())  # the fill stays below
    # column 0 (no fallback) keeps its signed statistics
    assert_allclose(enc.mean_[0], np.sum(sw * X[:, 0]) / np.sum(sw), rtol=1e-12)


def test_non_positive_variance_of_a_constant_column_gives_scale_one():
    X = np.array([[4.0], [4.0], [4.0], [np.nan]])
    enc = MissingValueEncoder().fit(X, sample_weight=[1.0, -0.5, 1.0, 1.0])
    assert_array_equal(enc.scale_, [1.0])
    assert_array_equal(enc.var_, [0.0])
    assert_allclose(enc.transform(X)[:, 0], [0.0, 0.0, 0.0, -3.0])


# -- markers and the float32 range --------------------------------------------
def test_marker_not_representable_in_float32_still_matches():
    marker = -999.1
    X64 = np.array([[1.0, 4.0], [marker, 5.0], [3.0, marker], [2.0, 6.0]])
    X32 = X64.astype(np.float32)
    enc = MissingValueEncoder(missing_values=marker, add_indicator=True)
    ref = enc.fit(X64).transform(X64)
    out = enc.fit(X32).transform(X32)
    assert out.dtype == np.float32
    assert_array_equal(enc.missing_features_, [0, 1])
    assert_allclose(out, ref, rtol=1e-6, atol=1e-6)
    assert_allclose(enc.inverse_transform(out), X32, rtol=1e-6)


def test_float32_marker_matches_in_a_frame_mixing_float32_and_float64():
    """A float32 column (ROOT) next to a float64 one: the data become float64,
    and the float32 markers still match, as in the networks (float32_equal)."""
    marker = -999.1
    df = pd.DataFrame(
        {
            "tau_pt": np.array([30.0, marker, 45.0, 60.0], dtype=np.float32),
            "met": [10.0, 20.0, 30.0, 40.0],
        }
    )
    enc = MissingValueEncoder(missing_values=marker, add_indicator=True).fit(df)
    assert_array_equal(enc.missing_features_, [0])
    assert_allclose(enc.mean_[0], 45.0, rtol=1e-6)
    out = enc.transform(df)
    assert_array_equal(out[:, 2], [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("standardize", [True, False])
def test_float32_overflow_raises_instead_of_inf(standardize):
    X = np.array([[0.0], [1.0], [2.0]], dtype=np.float32)
    enc = MissingValueEncoder(standardize=standardize).fit(X)
    big = np.array([[1.0], [3e38]], dtype=np.float32)
    if not standardize:  # nothing is computed: the values pass
        assert_array_equal(enc.transform(big), big)
        return
    with pytest.raises(
        ValueError,
        match=r"MissingValueEncoder\.transform gives a value beyond the float32 "
        r"range .* in column 0: 1 row\(s\), the first at row 1.*float64",
    ):
        enc.transform(big)
    assert np.isfinite(enc.transform(big.astype(np.float64))).all()


def test_float32_stays_float32():
    X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]], dtype=np.float32)
    enc = MissingValueEncoder(add_indicator=True).fit(X)
    Xt = enc.transform(X)
    assert Xt.dtype == np.float32
    back = enc.inverse_transform(Xt)
    assert back.dtype == np.float32
    assert_allclose(back, X, rtol=1e-6)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("distance", -1, r"must be a float in the range \[0.0, inf\). Got -1 instead."),
        ("distance", "far", r"must be a float in the range \[0.0, inf\)"),
        ("margin", 0, r"must be a float in the range \(0.0, inf\). Got 0 instead."),
        ("standardize", "yes", "must be an instance of 'bool'"),
        ("add_indicator", 1, "must be an instance of 'bool'"),
        ("missing_values", "NA", "must be an instance of 'float'"),
        ("columns", 2.5, "must be an array-like"),
    ],
)
def test_invalid_parameters(param, value, match):
    enc = MissingValueEncoder().set_params(**{param: value})
    with pytest.raises(
        ValueError, match=rf"The '{param}' parameter of MissingValueEncoder {match}"
    ):
        enc.fit(np.ones((3, 2)))


def test_unfitted():
    with pytest.raises(NotFittedError):
        MissingValueEncoder().transform(np.ones((2, 2)))
