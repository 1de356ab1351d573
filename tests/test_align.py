"""EventAligner: azimuths relative to a reference object, mirrored in φ and z."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import (
    EventAligner,
    MissingValueEncoder,
    augment_azimuthal_rotation,
)

# Some of scikit-learn's checks use two features.
COMMON_INSTANCES = [
    EventAligner(phi_columns=[0, 1], reference=0),
    EventAligner(phi_columns=[0, 1], reference=1, reflect_phi=0, drop_reference=False),
    EventAligner(
        phi_columns=[0],
        reference=0,
        drop_reference=False,
        eta_columns=[1],
        reflect_eta=1,
        missing_values=-999.0,
    ),
]

ROOT = Path(__file__).resolve().parents[1]
MISSING = -999.0


PHI = [
    "PRI_tau_phi",
    "PRI_lep_phi",
    "PRI_met_phi",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_phi",
]
ETA = ["PRI_tau_eta", "PRI_lep_eta", "PRI_jet_leading_eta", "PRI_jet_subleading_eta"]


class _Reference:
    """A plain-numpy reference of the Higgs alignment (written for the quality
    benchmark first): φ relative to the tau, mirrored so that the lepton has
    Δφ >= 0 and the tau η >= 0, the tau φ dropped, -999 kept."""

    PHI, ETA = PHI, ETA

    @staticmethod
    def rotate_event(X):
        out = X.copy()
        tau_phi = X["PRI_tau_phi"].to_numpy()
        dphi = {}
        for c in PHI[1:]:
            v = X[c].to_numpy()
            d = np.mod(v - tau_phi + np.pi, 2 * np.pi) - np.pi
            dphi[c] = np.where(v == MISSING, MISSING, d)
        flip_phi = np.where(dphi["PRI_lep_phi"] < 0, -1.0, 1.0)
        for c, d in dphi.items():
            out[c] = np.where(d == MISSING, MISSING, d * flip_phi)
        flip_eta = np.where(X["PRI_tau_eta"].to_numpy() < 0, -1.0, 1.0)
        for c in ETA:
            v = X[c].to_numpy()
            out[c] = np.where(v == MISSING, MISSING, v * flip_eta)
        return out.drop(columns="PRI_tau_phi")


@pytest.fixture(scope="module")
def bench():
    """The reference implementation of the Higgs alignment."""
    return _Reference


@pytest.fixture(scope="module")
def higgs():
    return load_higgs_challenge().data


def higgs_aligner(bench):
    return EventAligner(
        phi_columns=bench.PHI,
        reference="PRI_tau_phi",
        reflect_phi="PRI_lep_phi",
        eta_columns=bench.ETA,
        reflect_eta="PRI_tau_eta",
        missing_values=MISSING,
    )


def test_equals_the_reference_higgs_alignment_bit_for_bit(bench, higgs):
    al = higgs_aligner(bench).set_output(transform="pandas")
    out = al.fit_transform(higgs)
    expected = bench.rotate_event(higgs)
    assert list(out.columns) == list(expected.columns)
    assert "PRI_tau_phi" not in out.columns
    a = out.to_numpy(np.float64)
    b = expected.to_numpy(np.float64)
    # the same bits, signed zeros included
    np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))
    # the jets' missing φ and η stay -999
    for col in ("PRI_jet_leading_phi", "PRI_jet_subleading_eta"):
        np.testing.assert_array_equal(out[col] == MISSING, higgs[col] == MISSING)
    assert (out["PRI_lep_phi"] >= 0).all() and (out["PRI_tau_eta"] >= 0).all()


def test_pipeline_pandas_output_and_feature_names(bench, higgs):
    X = higgs.iloc[:300]
    al = higgs_aligner(bench).fit(X)
    names = al.get_feature_names_out()
    assert list(names) == [c for c in X.columns if c != "PRI_tau_phi"]
    kept = clone(al).set_params(drop_reference=False).fit(X)
    assert list(kept.get_feature_names_out()) == list(X.columns)
    Xk = kept.transform(X)
    np.testing.assert_array_equal(Xk[:, X.columns.get_loc("PRI_tau_phi")], 0.0)
    np.testing.assert_array_equal(np.delete(Xk, 15, axis=1), al.transform(X))
    pipe = make_pipeline(al, MissingValueEncoder(missing_values=MISSING))
    out = pipe.set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert "PRI_tau_phi" not in out.columns and "PRI_lep_phi" in out.columns
    restored = pickle.loads(pickle.dumps(al))
    np.testing.assert_array_equal(restored.transform(X), al.transform(X))


def _events(n, seed):
    """Random events: φ of 4 objects (any range), η of 3, and a pT."""
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, size=(n, 4))
    eta = rng.normal(0, 1.5, size=(n, 3))
    pt = rng.exponential(40.0, size=(n, 1))
    return np.hstack([pt, phi, eta])  # columns: pt, phi0..phi3, eta0..eta2


TOY = dict(
    phi_columns=[1, 2, 3, 4],
    reference=2,
    reflect_phi=4,
    eta_columns=[5, 6, 7],
    reflect_eta=6,
)


def _mirrored(X, phi=True, z=True):
    Y = X.copy()
    if phi:
        Y[:, 1:5] = -Y[:, 1:5]
    if z:
        Y[:, 5:8] = -Y[:, 5:8]
    return Y


@given(seed=st.integers(0, 2**31 - 1), phi=st.booleans(), z=st.booleans())
@settings(max_examples=25, deadline=None)
def test_rotated_or_mirrored_events_give_the_same_output(seed, phi, z):
    X = _events(50, seed)
    al = EventAligner(**TOY).fit(X)
    base = al.transform(X)
    Xr, source = augment_azimuthal_rotation(
        _mirrored(X, phi, z), [1, 2, 3, 4], n_copies=3, random_state=seed
    )
    np.testing.assert_allclose(al.transform(Xr), base[source], rtol=0, atol=1e-12)
    # the canonical orientation: reflect columns non-negative, angles wrapped
    assert (base[:, 3] >= 0).all() and (base[:, 5] >= 0).all()
    assert (np.abs(base[:, 1:4]) <= np.pi).all()


def test_without_mirrors_a_mirrored_event_differs():
    """The mirrors are what makes mirrored events equal (the test can fail)."""
    X = _events(50, 1)
    plain = EventAligner(phi_columns=[1, 2, 3, 4], reference=2).fit(X)
    out, mirrored = plain.transform(X), plain.transform(_mirrored(X, z=False))
    np.testing.assert_allclose(mirrored[:, 1:4], -out[:, 1:4], atol=1e-12)
    assert not np.allclose(mirrored, out)
    np.testing.assert_array_equal(out[:, 4:], X[:, 5:])  # η untouched


def test_values_by_hand():
    # φ: reference 3.0; others -3.0 (Δφ = -6 -> 0.283), 1.0 (Δφ = -2)
    X = np.array([[3.0, -3.0, 1.0, 0.7, 9.0], [0.0, -1.0, 2.0, -0.7, 8.0]])
    al = EventAligner([0, 1, 2], 0, reflect_phi=1, eta_columns=[3], reflect_eta=3)
    out = al.fit_transform(X)
    d = 2 * np.pi - 6.0
    np.testing.assert_allclose(out, [[d, -2.0, 0.7, 9.0], [1.0, -2.0, 0.7, 8.0]])
    # float32 in, float32 out
    assert al.fit_transform(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("marker", [np.nan, MISSING])
def test_missing_values(marker):
    X = _events(6, 3)
    X[0, 3] = marker  # a missing φ
    X[1, 7] = marker  # a missing η
    X[2, 2] = marker  # a missing reference φ
    X[3, 4] = marker  # a missing reflect_phi φ
    X[4, 6] = marker  # a missing reflect_eta η
    al = EventAligner(**TOY, drop_reference=False, missing_values=marker).fit(X)
    out = al.transform(X)
    full = EventAligner(**TOY, drop_reference=False).fit(X[5:]).transform(X[5:])

    def is_missing(v):
        return np.isnan(v) if np.isnan(marker) else v == marker

    assert is_missing(out[0, 3]) and is_missing(out[1, 7])
    # no reference: every φ of the event is missing, the rest as usual
    assert is_missing(out[2, 1:5]).all()
    assert not is_missing(np.delete(out, 2, axis=0)[:, 2]).any()
    sign = np.sign(X[2, 6])  # the mirror in z still applies
    np.testing.assert_array_equal(out[2, [0, 5, 6, 7]], [X[2, 0], *X[2, 5:8] * sign])
    # no reflect_phi φ: aligned but not mirrored in φ
    dphi = (X[3, [1, 3]] - X[3, 2] + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(out[3, [1, 3]], dphi, atol=1e-12)
    assert is_missing(out[3, 4])
    # no reflect_eta η: not mirrored in z
    np.testing.assert_array_equal(out[4, [5, 7]], X[4, [5, 7]])
    # the complete event is unaffected by the others' missing values
    np.testing.assert_array_equal(out[5], full[0])


def test_nan_is_refused_with_a_marker():
    X = _events(5, 0)
    X[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN in column 1.*treats -999.0 as the"):
        EventAligner(**TOY, missing_values=MISSING).fit(X)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            dict(reference="phi9"),
            r"The 'reference' parameter of EventAligner names columns \['phi9'\]",
        ),
        (
            dict(phi_columns=["phi0", "nope"]),
            r"The 'phi_columns' parameter of EventAligner names columns \['nope'\]",
        ),
        (
            dict(reference="eta0"),
            r"The 'reference' parameter of EventAligner must be one of the "
            r"'phi_columns' columns\. Got 'eta0' \(column 'eta0' \(index 5\)\)",
        ),
        (
            dict(reflect_phi="eta1"),
            r"The 'reflect_phi' parameter of EventAligner must be one of the "
            r"'phi_columns' columns\. Got 'eta1'",
        ),
        (
            dict(reflect_phi="phi1"),
            r"The 'reflect_phi' parameter of EventAligner must be a column of "
            r"'phi_columns' other than the reference .* Got 'phi1'",
        ),
        (
            dict(reflect_eta="phi2"),
            r"The 'reflect_eta' parameter of EventAligner must be one of the "
            r"'eta_columns' columns\. Got 'phi2'",
        ),
        (
            dict(eta_columns=None),
            r"The 'reflect_eta' parameter of EventAligner must be one of the "
            r"'eta_columns' columns",
        ),
        (
            dict(eta_columns=["eta0", "phi3"]),
            r"The 'eta_columns' parameter of EventAligner shares column 'phi3' "
            r"\(index 4\) with 'phi_columns'",
        ),
        (
            dict(phi_columns=[]),
            r"The 'phi_columns' parameter of EventAligner must be a non-empty",
        ),
        (
            dict(phi_columns="phi0"),
            r"The 'phi_columns' parameter of EventAligner must be an array-like\. "
            r"Got 'phi0' instead",
        ),
        (
            dict(eta_columns="eta0"),
            r"The 'eta_columns' parameter of EventAligner must be an array-like "
            r"or None\. Got 'eta0' instead",
        ),
        (
            dict(reference=1.5),
            r"The 'reference' parameter of EventAligner must be an instance of "
            r"'str' or an instance of 'int'\. Got 1\.5 instead",
        ),
        (
            dict(phi_columns=[1, 2, 8], reference=1),
            r"The 'phi_columns' parameter of EventAligner holds column index 8, "
            r"but X has 8 feature\(s\)",
        ),
        (
            dict(phi_columns=[1, True], reference=1),
            r"The 'phi_columns' parameter of EventAligner must hold column names "
            r"\(str\) or positions \(int\)\. Got \[1, True\]",
        ),
    ],
)
def test_errors_name_the_parameter(params, match):
    names = ["pt", "phi0", "phi1", "phi2", "phi3", "eta0", "eta1", "eta2"]
    X = pd.DataFrame(_events(10, 0), columns=names)
    base = dict(
        phi_columns=["phi0", "phi1", "phi2", "phi3"],
        reference="phi1",
        reflect_phi="phi3",
        eta_columns=["eta0", "eta1", "eta2"],
        reflect_eta="eta1",
    )
    with pytest.raises(ValueError, match=match):
        EventAligner(**{**base, **params}).fit(X)


def test_names_need_a_dataframe():
    with pytest.raises(ValueError, match=r"'phi_columns' parameter of EventAligner"):
        EventAligner(["a", "b"], "a").fit(np.zeros((3, 2)))
