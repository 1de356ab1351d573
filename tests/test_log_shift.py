"""Tests for LogShiftTransformer."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import LogShiftTransformer, MissingValueEncoder
from sknn_hep.preprocessing._log_shift import CLIP_EPSILON

COMMON_INSTANCES = [
    LogShiftTransformer(),
    LogShiftTransformer(columns=[0], offset=0.5),
    LogShiftTransformer(shift=-100.0, clip=True),
    LogShiftTransformer(shift={0: -50.0}, clip=True),
    LogShiftTransformer(missing_values=-999.0, offset=2.0),
]

SPECTRA = ["PRI_met", "PRI_tau_pt", "DER_mass_MMC"]


@pytest.fixture(scope="module")
def higgs():
    X, y, w, _ = load_higgs_challenge(return_X_y=True)
    return X, w


def test_auto_shift_matches_numpy_on_higgs(higgs):
    X, _ = higgs
    tr = LogShiftTransformer(columns=SPECTRA, missing_values=-999.0, offset=1.0)
    Xt = tr.fit_transform(X)
    cols = [X.columns.get_loc(c) for c in SPECTRA]
    assert_array_equal(tr.columns_, sorted(cols))
    for k, j in enumerate(tr.columns_):
        x = X.iloc[:, j].to_numpy()
        present = x != -999.0
        shift = x[present].min() - 1.0
        assert tr.shift_[k] == shift
        assert_allclose(Xt[present, j], np.log(x[present] - shift), rtol=1e-12)
        assert_array_equal(Xt[~present, j], -999.0)  # missing untouched
    assert (X["DER_mass_MMC"] == -999.0).any()
    others = [j for j in range(X.shape[1]) if j not in cols]
    assert_array_equal(Xt[:, others], X.to_numpy()[:, others])
    assert_allclose(tr.inverse_transform(Xt), X.to_numpy(), rtol=1e-12)


def test_fixed_shift_is_log_e_minus_threshold(higgs):
    X, _ = higgs
    tr = LogShiftTransformer(columns=["PRI_lep_pt"], shift=20.0).fit(X)
    assert_array_equal(tr.shift_, [20.0])
    j = X.columns.get_loc("PRI_lep_pt")
    assert_allclose(tr.transform(X)[:, j], np.log(X["PRI_lep_pt"] - 20.0))


def test_value_at_shift_raises_naming_column_and_value(higgs):
    X, _ = higgs
    assert X["PRI_tau_pt"].min() == 20.0  # the tau trigger threshold
    tr = LogShiftTransformer(columns=["PRI_tau_pt"], shift=20.0)
    with pytest.raises(ValueError, match=r"'PRI_tau_pt'.*20\.0.*at or below its shift"):
        tr.fit_transform(X)


def test_value_below_shift_raises_for_unnamed_column():
    tr = LogShiftTransformer(shift=0.0).fit(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"column 1 holds the value -3\.0 \(row 0\)"):
        tr.transform(np.array([[1.0, -3.0]]))


def test_clip_raises_difference_to_epsilon():
    X = np.array([[0.5], [1.0], [1.0 + 1e-9], [3.0]])
    tr = LogShiftTransformer(shift=1.0, clip=True)
    Xt = tr.fit_transform(X)[:, 0]
    assert_allclose(Xt[:3], np.log(CLIP_EPSILON))
    assert_allclose(Xt[3], np.log(2.0))
    assert np.all(np.diff(Xt) >= 0)  # clipping keeps the order
    back = tr.inverse_transform(Xt[:, None])[:, 0]
    assert_allclose(back, [1.0 + CLIP_EPSILON] * 3 + [3.0])


def test_shift_mapping_by_name_and_index():
    df = pd.DataFrame({"E": [25.0, 40.0], "m": [91.0, 95.0], "q": [-1.0, 1.0]})
    tr = LogShiftTransformer(shift={"E": 20.0, 1: 80.0}).fit(df)
    assert_array_equal(tr.columns_, [0, 1])  # columns=None: the mapping's keys
    assert_array_equal(tr.shift_, [20.0, 80.0])
    Xt = tr.transform(df)
    assert_allclose(Xt[:, 0], np.log([5.0, 20.0]))
    assert_allclose(Xt[:, 1], np.log([11.0, 15.0]))
    assert_array_equal(Xt[:, 2], df["q"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"columns": ["E", "m"], "shift": {"E": 20.0}},
            r"lacks column 'm' \(index 1\)",
        ),
        (
            {"columns": ["E"], "shift": {"E": 20.0, "m": 1.0}},
            "holds unselected column 'm'",
        ),
        ({"shift": {"E": 20.0, 0: 10.0}}, "twice"),
        ({"shift": {"E": np.inf}}, "finite floats; column 'E'"),
        ({"shift": {"E": "x"}}, "finite floats; column 'E'"),
        ({"shift": {1.5: 1.0}}, "column names or positions"),
        ({"shift": {"nope": 1.0}}, r"'shift' parameter .* names columns \['nope'\]"),
        ({"columns": ["E", "nope"]}, r"names columns \['nope'\] that are not in X"),
        ({"columns": [5]}, "column index 5, out of range"),
        ({"columns": [True]}, "boolean mask"),
    ],
)
def test_bad_column_selection(kwargs, match):
    df = pd.DataFrame({"E": [25.0, 40.0], "m": [91.0, 95.0]})
    with pytest.raises(ValueError, match=match):
        LogShiftTransformer(**kwargs).fit(df)


def test_names_need_a_dataframe():
    with pytest.raises(ValueError, match="has no column names"):
        LogShiftTransformer(columns=["E"]).fit(np.ones((3, 2)))


def test_missing_entries_pass_and_are_ignored_by_auto_shift():
    X = np.array([[np.nan, 5.0], [2.0, -999.0], [4.0, 7.0]])
    tr = LogShiftTransformer().fit(X)
    assert_array_equal(tr.shift_, [1.0, -1000.0])  # -999 is a value here
    Xt = tr.transform(X)
    assert np.isnan(Xt[0, 0])
    assert_allclose(Xt[1:, 0], np.log([1.0, 3.0]))

    tr = LogShiftTransformer(missing_values=-999.0).fit(X[1:])
    assert_array_equal(tr.shift_, [1.0, 6.0])
    Xt = tr.transform(X[1:])
    assert Xt[0, 1] == -999.0
    assert_allclose(tr.inverse_transform(Xt), X[1:])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        tr.transform(X)  # NaN is not the marker here


def test_all_missing_column_with_auto_shift_raises():
    X = np.array([[1.0, np.nan], [2.0, np.nan]])
    with pytest.raises(ValueError, match="cannot learn shift='auto' for column 1"):
        LogShiftTransformer().fit(X)
    # a fixed shift needs no statistics: the column passes through
    Xt = LogShiftTransformer(shift=0.0).fit_transform(X)
    assert np.isnan(Xt[:, 1]).all()


def test_offset_below_float_resolution_raises():
    with pytest.raises(ValueError, match=r"offset=1.0 vanishes in float64 next to"):
        LogShiftTransformer(offset=1.0).fit(np.array([[1e20], [2e20]]))


def test_zero_weight_rows_are_left_out_of_auto_shift():
    rng = np.random.RandomState(0)
    X = rng.uniform(1, 10, size=(50, 3))
    w = rng.uniform(0.5, 2.0, size=50)
    w[X[:, 0].argmin()] = 0.0
    tr = LogShiftTransformer().fit(X, sample_weight=w)
    ref = LogShiftTransformer().fit(X[w > 0])
    assert_array_equal(tr.shift_, ref.shift_)
    assert tr.shift_[0] > X[:, 0].min() - 1.0
    # positive weights do not change a minimum
    unweighted = LogShiftTransformer().fit(X)
    assert_array_equal(unweighted.shift_, X.min(axis=0) - 1.0)
    assert_array_equal(tr.shift_[1:], unweighted.shift_[1:])
    with pytest.raises(
        ValueError,
        match=r"sample_weight passed to LogShiftTransformer\.fit sums to -\d+.*the "
        "weights must sum to a positive number",
    ):
        LogShiftTransformer().fit(X, sample_weight=-w)


def test_negative_weights_summing_positive_are_accepted():
    """NLO samples: an event of negative weight is still an event; its value
    counts for the minimum like any other of non-zero weight."""
    rng = np.random.RandomState(1)
    X = rng.uniform(1, 10, size=(50, 2))
    w = np.where(np.arange(50) % 4 == 0, -0.5, 1.0)
    w[X[:, 0].argmin()] = -0.5  # the smallest value has a negative weight
    w[X[:, 1].argmin()] = 0.0  # ... and a zero weight: left out
    tr = LogShiftTransformer().fit(X, sample_weight=w)
    assert tr.shift_[0] == X[:, 0].min() - 1.0
    assert tr.shift_[1] == X[w != 0, 1].min() - 1.0
    assert np.isfinite(tr.transform(X)).all()


# -- new events outside the training range -----------------------------------
def test_value_below_training_min_is_clipped_to_the_edge():
    X = np.array([[20.0, 1.0], [25.0, 2.0], [120.0, 3.0]])
    tr = LogShiftTransformer().fit(X)
    assert_array_equal(tr.min_, [20.0, 1.0])
    new = np.array([[19.5, 0.0], [-0.5, -1e6], [20.0, 1.0], [30.0, 2.5]])
    Xt = tr.transform(new)
    assert np.isfinite(Xt).all()
    # at and below the training minimum: log(offset) = 0, the training edge
    assert_array_equal(Xt[:3], 0.0)
    assert_allclose(Xt[3], np.log([11.0, 2.5]))
    assert np.all(
        np.diff(tr.transform(np.linspace(-50, 200, 101)[:, None].repeat(2, 1)), axis=0)
        >= 0
    )
    # the inverse gives the training minimum back for the clipped values
    assert_allclose(tr.inverse_transform(Xt)[:3], [[20.0, 1.0]] * 3)


def test_fixed_shift_keeps_raising_or_clipping_below_the_shift():
    tr = LogShiftTransformer(shift=0.0).fit(np.array([[1.0], [2.0]]))
    assert_array_equal(tr.min_, [-np.inf])  # no training edge for a fixed shift
    assert_allclose(tr.transform(np.array([[0.5]])), np.log([[0.5]]))
    with pytest.raises(ValueError, match="at or below its shift"):
        tr.transform(np.array([[-0.5]]))


def test_below_min_with_markers_and_float32():
    X = np.array([[5.0], [-999.0], [7.0]], dtype=np.float32)
    tr = LogShiftTransformer(missing_values=-999.0, offset=2.0).fit(X)
    Xt = tr.transform(np.array([[4.0], [-999.0], [-998.0]], dtype=np.float32))
    assert Xt.dtype == np.float32
    assert_allclose(Xt[:, 0], [np.log(2.0), -999.0, np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shift", ["auto", 0.0])
def test_present_value_never_maps_onto_the_marker(dtype, shift):
    """Counts 1-5 with 0 as the missing marker: log(1) = 0 would be read as
    missing by the next step; it becomes the next float32 above the marker."""
    X = np.array([[1.0], [0.0], [2.0], [5.0], [1.0], [0.0]], dtype=dtype)
    tr = LogShiftTransformer(shift=shift, missing_values=0.0).fit(X)
    Xt = tr.transform(X)
    assert Xt.dtype == dtype
    present = X[:, 0] != 0.0
    assert np.all(Xt[present, 0] != 0.0)
    assert np.all(Xt[present, 0].astype(np.float32) != 0.0)
    nudged = np.nextafter(np.float32(0.0), np.float32(1.0))
    assert_array_equal(Xt[[0, 4], 0], nudged)
    assert_allclose(Xt[[2, 3], 0], np.log([2.0, 5.0]), rtol=1e-6)
    assert_array_equal(Xt[~present, 0], 0.0)
    # the next step sees exactly the two missing entries
    enc = MissingValueEncoder(missing_values=0.0, add_indicator=True).fit(Xt)
    assert_array_equal(enc.transform(Xt)[:, 1], ~present)
    assert_allclose(tr.inverse_transform(Xt), X, rtol=1e-6)


def test_nudge_also_applies_to_a_marker_inside_the_log_range():
    X = np.array([[1.0 + np.exp(-5.0)], [3.0], [-5.0]])
    tr = LogShiftTransformer(shift=1.0, missing_values=-5.0).fit(X)
    Xt = tr.transform(X)[:, 0]
    assert Xt[0] != -5.0 and np.float32(Xt[0]) != np.float32(-5.0)
    assert_allclose(Xt[0], -5.0, rtol=1e-6)
    assert Xt[2] == -5.0


def test_marker_not_representable_in_float32_still_matches():
    marker = -999.1  # float32(-999.1) != -999.1
    assert float(np.float32(marker)) != marker
    X = np.array([[3.0], [marker], [5.0]], dtype=np.float32)
    tr = LogShiftTransformer(missing_values=marker).fit(X)
    assert_array_equal(tr.shift_, [2.0])  # the marker is no value
    Xt = tr.transform(X)
    assert Xt[1, 0] == np.float32(marker)
    assert_allclose(Xt[[0, 2], 0], np.log([1.0, 3.0]), rtol=1e-6)
    assert_allclose(tr.inverse_transform(Xt), X, rtol=1e-6)


@pytest.mark.parametrize(
    "dtype, value, match",
    [
        (np.float32, 100.0, r"beyond the float32 range .* column 'E' \(index 0\)"),
        (np.float64, 800.0, r"beyond the float64 range .* column 'E' \(index 0\)"),
    ],
)
def test_inverse_transform_overflow_raises(dtype, value, match):
    df = pd.DataFrame({"E": [2.0, 3.0]}, dtype=dtype)
    tr = LogShiftTransformer().fit(df)
    Xt = np.array([[0.5], [value]], dtype=dtype)
    with pytest.raises(ValueError, match=match + r": 1 row\(s\), the first at row 1"):
        tr.inverse_transform(Xt)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("shift", "log", "must be a float in the range"),
        ("shift", np.nan, "must be a float in the range"),
        ("offset", 0.0, r"must be a float in the range \(0.0, inf\). Got 0.0 instead"),
        ("offset", -1, r"must be a float in the range \(0.0, inf\). Got -1 instead"),
        ("columns", 1.5, "must be an array-like"),
        ("missing_values", "NA", "must be an instance of 'float'"),
        ("clip", "yes", "must be an instance of 'bool'"),
    ],
)
def test_invalid_parameters(param, value, match):
    tr = LogShiftTransformer().set_params(**{param: value})
    with pytest.raises(
        ValueError, match=rf"The '{param}' parameter of LogShiftTransformer {match}"
    ):
        tr.fit(np.ones((3, 2)))


def test_float32_stays_float32():
    X = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    tr = LogShiftTransformer().fit(X)
    Xt = tr.transform(X)
    assert Xt.dtype == np.float32
    assert tr.shift_.dtype == np.float64
    assert tr.inverse_transform(Xt).dtype == np.float32
    assert_allclose(tr.inverse_transform(Xt), X, rtol=1e-6)


def test_pandas_output_keeps_names_and_index(higgs):
    X, _ = higgs
    Xs = X.iloc[100:130]
    tr = LogShiftTransformer(columns=["PRI_met"]).set_output(transform="pandas")
    out = tr.fit_transform(Xs)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert_array_equal(out.index, Xs.index)
    assert_allclose(out["PRI_met"], np.log(Xs["PRI_met"] - Xs["PRI_met"].min() + 1))
    assert_array_equal(tr.get_feature_names_out(), X.columns)


def test_unfitted_and_wrong_width():
    with pytest.raises(NotFittedError):
        LogShiftTransformer().transform(np.ones((2, 2)))
    tr = LogShiftTransformer().fit(np.ones((2, 2)))
    with pytest.raises(ValueError, match="expecting 2 features"):
        tr.inverse_transform(np.ones((2, 3)))


def test_empty_selection_is_identity():
    X = np.array([[1.0, -5.0]])
    tr = LogShiftTransformer(columns=[]).fit(X)
    assert tr.shift_.shape == (0,)
    assert_array_equal(tr.transform(X), X)
    assert_array_equal(tr.inverse_transform(X), X)


@settings(max_examples=30, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.integers(1, 5)),
        elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    ),
    offset=st.floats(0.01, 100.0),
    mask_seed=st.integers(0, 2**16),
)
def test_round_trip(X, offset, mask_seed):
    rng = np.random.RandomState(mask_seed)
    columns = np.flatnonzero(rng.rand(X.shape[1]) < 0.7).tolist()
    tr = LogShiftTransformer(columns=columns, offset=offset)
    Xt = tr.fit_transform(X)
    assert np.all(np.isfinite(Xt))
    back = clone(tr).fit(X).inverse_transform(Xt)
    scale = 1e-12 * (1.0 + np.abs(X).max() + offset)
    assert_allclose(back, X, rtol=1e-9, atol=scale * 10)
