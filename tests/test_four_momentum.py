"""Tests of FourMomentumTransformer."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.preprocessing import FourMomentumTransformer

# Configured instances for tests/test_common.py (parametrize_with_checks). The
# checks fit on data with as few as 2 columns, hence groups that reuse columns.
COMMON_INSTANCES = [
    FourMomentumTransformer(
        particles=[[0, 1, 0, 1]],
        input_format="pt_eta_phi_m",
        output_format="e_px_py_pz",
    ),
    FourMomentumTransformer(
        particles=[[0, 1, 1, 0], [1, 0, 1, 1]],
        output_format="pt_eta_phi_m",
        pair_masses=[(0, 1)],
        names=["a", "b"],
        keep_input=True,
        negative_mass="signed",
    ),
    FourMomentumTransformer(
        particles=[[0, 1, 0]],
        input_format="pt_eta_phi_m",
        output_format="pt_eta_phi_e",
    ),
    # only masses, with a transverse object and -999 as the missing marker
    FourMomentumTransformer(
        particles=[[0, 1, 0], [1, 0, 1], [0, 1]],
        input_format="pt_eta_phi_m",
        output_format=None,
        keep_input=True,
        pair_masses=[(0, 1)],
        transverse_masses=[(0, 2)],
        missing_values=-999.0,
    ),
    FourMomentumTransformer(
        particles=[[0, 1, 1, 0], [1, 0]],
        output_format="px_py_pz_e",
        transverse_masses=[(1, 0)],
    ),
]

M_MU = 0.1056584
M_Z = 91.1876


def _boost_z(v, beta):
    """Lorentz boost of (E, px, py, pz) rows along z."""
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    e, px, py, pz = v.T
    return np.column_stack([gamma * (e + beta * pz), px, py, gamma * (pz + beta * e)])


def _z_to_mumu(n, seed=0):
    """n Z → μμ decays: back-to-back muons in random directions, boosted."""
    rng = np.random.default_rng(seed)
    p = np.sqrt((M_Z / 2) ** 2 - M_MU**2)
    cos_t = rng.uniform(-1, 1, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    sin_t = np.sqrt(1 - cos_t**2)
    d = np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    mu1 = np.column_stack([np.full(n, M_Z / 2), p * d])
    mu2 = np.column_stack([np.full(n, M_Z / 2), -p * d])
    beta = rng.uniform(-0.9, 0.9, n)[:, None]
    mu1 = np.vstack([_boost_z(mu1[i : i + 1], beta[i, 0]) for i in range(n)])
    mu2 = np.vstack([_boost_z(mu2[i : i + 1], beta[i, 0]) for i in range(n)])
    return np.hstack([mu1, mu2])


def test_known_vector():
    # p = (3, 4, 12), E = 14: pT = 5, eta = asinh(12/5) = ln 5,
    # phi = atan2(4, 3), m = sqrt(196 - 169) = sqrt(27).
    X = np.array([[14.0, 3.0, 4.0, 12.0], [14.0, -3.0, -4.0, -12.0]])
    Xt = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(X)
    expected = np.array(
        [
            [5.0, np.log(5.0), np.arctan2(4.0, 3.0), np.sqrt(27.0)],
            [5.0, -np.log(5.0), np.arctan2(-4.0, -3.0), np.sqrt(27.0)],
        ]
    )
    np.testing.assert_allclose(Xt, expected, rtol=1e-12)
    # pt_eta_phi_e and the (px, py, pz, E) order
    Xe = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="px_py_pz_e",
        output_format="pt_eta_phi_e",
    ).fit_transform(X[:, [1, 2, 3, 0]])
    np.testing.assert_allclose(Xe[:, 3], 14.0)
    np.testing.assert_allclose(Xe[:, :3], expected[:, :3], rtol=1e-12)


def test_z_to_mumu_pair_mass():
    X = _z_to_mumu(50)
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        names=["mu1", "mu2"],
        pair_masses=[(0, 1)],
    )
    Xt = fm.fit_transform(X)
    names = fm.get_feature_names_out().tolist()
    assert names[-1] == "m_mu1_mu2"
    np.testing.assert_allclose(Xt[:, -1], M_Z, rtol=1e-9)
    np.testing.assert_allclose(Xt[:, names.index("mu1_m")], M_MU, rtol=1e-5)
    # same from (pT, eta, phi, m) input
    fm2 = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        input_format="pt_eta_phi_m",
        pair_masses=[[1, 0]],
    )
    Xt2 = fm2.fit_transform(Xt[:, :8])
    assert fm2.get_feature_names_out()[-1] == "m_p1_p0"
    np.testing.assert_allclose(Xt2[:, -1], M_Z, rtol=1e-9)


def test_three_particle_mass_and_passthrough_order():
    X = _z_to_mumu(5)
    extra = np.arange(5.0)[:, None]
    # photon at rest-less: a soft photon along x added to the pair
    photon = np.tile([[1.0, 1.0, 0.0, 0.0]], (5, 1))
    data = np.hstack([extra, X[:, :4], photon, X[:, 4:]])
    fm = FourMomentumTransformer(
        particles=[[1, 2, 3, 4], [9, 10, 11, 12], [5, 6, 7, 8]],
        pair_masses=[(0, 1), (0, 1, 2)],
    )
    Xt = fm.fit_transform(data)
    assert fm.get_feature_names_out()[0] == "x0"
    assert fm.get_feature_names_out()[-1] == "m_p0_p1_p2"
    np.testing.assert_array_equal(Xt[:, 0], extra[:, 0])
    tot = X[:, :4] + X[:, 4:] + photon
    m = np.sqrt(tot[:, 0] ** 2 - np.sum(tot[:, 1:] ** 2, axis=1))
    np.testing.assert_allclose(Xt[:, -1], m, rtol=1e-10)
    assert np.all(Xt[:, -1] > M_Z)
    assert Xt.shape == (5, 1 + 3 * 4 + 2)


_finite = dict(allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    p=arrays(np.float64, (8, 3), elements=st.floats(-500, 500, **_finite)),
    m=arrays(np.float64, (8,), elements=st.floats(0, 200, **_finite)),
)
def test_round_trip_cartesian(p, m):
    # keep pT away from 0 (undefined direction) for the round trip
    p[:, 0] = np.where(np.hypot(p[:, 0], p[:, 1]) < 1e-3, 1.0, p[:, 0])
    e = np.sqrt(np.sum(p**2, axis=1) + m**2)
    X = np.column_stack([e, p])
    fwd = FourMomentumTransformer(particles=[[0, 1, 2, 3]])
    collider = fwd.fit_transform(X)
    assert np.all(np.isfinite(collider))
    back = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="pt_eta_phi_m",
        output_format="e_px_py_pz",
    ).fit_transform(collider)
    scale = np.max(np.abs(X), axis=1, keepdims=True)
    np.testing.assert_allclose(back / scale, X / scale, atol=1e-9)
    # the mass survives up to the cancellation error of E² - p²
    assert np.all(np.abs(collider[:, 3] - m) <= 1e-6 * scale[:, 0] + 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    v=arrays(
        np.float64,
        (6, 4),
        elements=st.floats(-3, 3, **_finite),
    )
)
def test_round_trip_collider_pt_eta_phi_e(v):
    pt = np.abs(v[:, 0]) * 100 + 0.1
    eta, phi = v[:, 1], np.clip(v[:, 2], -3.1, 3.1)
    e = pt * np.cosh(eta) + np.abs(v[:, 3]) * 10  # time-like
    X = np.column_stack([pt, eta, phi, e])
    cart = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="pt_eta_phi_e",
        output_format="px_py_pz_e",
    ).fit_transform(X)
    back = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="px_py_pz_e",
        output_format="pt_eta_phi_e",
    ).fit_transform(cart)
    np.testing.assert_allclose(back, X, rtol=1e-9, atol=1e-9)


def test_padded_particle_is_nan():
    X = np.array(
        [
            [14.0, 3.0, 4.0, 12.0, 0.0, 0.0, 0.0, 0.0, 2.5],
            [14.0, 3.0, 4.0, 12.0, 14.0, -3.0, -4.0, -12.0, 1.5],
        ]
    )
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]], pair_masses=[(0, 1)]
    )
    with np.errstate(all="raise"):
        Xt = fm.fit_transform(X)
    assert np.all(np.isnan(Xt[0, 5:]))  # padded particle and its pair mass
    assert np.all(np.isfinite(Xt[0, :5]))
    assert np.all(np.isfinite(Xt[1]))
    np.testing.assert_allclose(Xt[1, -1], 28.0)
    # padding in (pT, eta, phi, m) too
    Xc = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="pt_eta_phi_m",
        output_format="e_px_py_pz",
    ).fit_transform(np.zeros((2, 4)))
    assert np.all(np.isnan(Xc))


def test_zero_pt_has_no_direction():
    X = np.array([[13.0, 0.0, 0.0, 5.0]])
    Xt = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(X)
    assert Xt[0, 0] == 0.0
    assert np.isnan(Xt[0, 1]) and np.isnan(Xt[0, 2])
    np.testing.assert_allclose(Xt[0, 3], 12.0)


def test_slightly_negative_mass_squared_is_zero():
    rng = np.random.default_rng(1)
    p = rng.normal(scale=50, size=(200, 3))
    e = np.sqrt(np.sum(p**2, axis=1))
    e_low = e * (1 - 1e-9)  # massless, E rounded low: m² ≈ -2e-9 E² < 0
    X = np.column_stack([e_low, p])
    assert np.all(e_low**2 - np.sum(p**2, axis=1) < 0)
    Xt = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(X)
    np.testing.assert_array_equal(Xt[:, 3], 0.0)
    # a massless float32 input (rounding ~1e-7 relative) gives no NaN either
    X32 = np.column_stack([e, p]).astype(np.float32)
    Xt32 = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(X32)
    assert Xt32.dtype == np.float32
    assert np.all(np.isfinite(Xt32))
    assert np.all(Xt32[:, 3] < 1e-2 * e)


@pytest.mark.parametrize(
    "policy, expected", [("nan", np.nan), ("signed", -4.0), ("clip", 0.0)]
)
def test_negative_mass_beyond_tolerance(policy, expected):
    # E = 3, |p| = 5: m² = -16
    X = np.array([[3.0, 3.0, 4.0, 0.0], [5.0, 3.0, 4.0, 0.0]])
    fm = FourMomentumTransformer(particles=[[0, 1, 2, 3]], negative_mass=policy)
    Xt = fm.fit_transform(X)
    np.testing.assert_array_equal(Xt[:, 3], [expected, 0.0])
    # a loose tolerance treats it as rounding
    fm.set_params(mass_tolerance=2.0)
    np.testing.assert_array_equal(fm.fit_transform(X)[:, 3], [0.0, 0.0])


def test_negative_mass_raise():
    X = np.array([[3.0, 3.0, 4.0, 0.0, 10.0, 0.0, 0.0, 0.0]])
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        negative_mass="raise",
        names=["j", "k"],
    ).fit(X)
    with pytest.raises(ValueError, match=r"1 row\(s\).*particle 'j'"):
        fm.transform(X)
    # not raised when no mass is written: the output has no m column
    fm.set_params(output_format="e_px_py_pz").fit(X)
    assert np.all(np.isfinite(fm.transform(X)))
    # the pair mass is fine here: (13, 3, 4, 0) has m² = 144
    fm.set_params(pair_masses=[(0, 1)]).fit(X)
    np.testing.assert_allclose(fm.transform(X)[0, -1], 12.0)


def test_negative_input_mass_follows_root_convention():
    X = np.array([[5.0, 0.0, 0.0, -3.0]])  # pT = 5, eta = 0: |p| = 5, m² = -9
    Xt = FourMomentumTransformer(
        particles=[[0, 1, 2, 3]],
        input_format="pt_eta_phi_m",
        output_format="pt_eta_phi_e",
    ).fit_transform(X)
    np.testing.assert_allclose(Xt[0, 3], 4.0)


def test_nan_input_propagates():
    X = np.array([[14.0, 3.0, np.nan, 12.0, 1.0], [14.0, 3.0, 4.0, 12.0, np.nan]])
    Xt = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(X)
    assert np.isnan(Xt[1, 0]) and np.all(np.isfinite(Xt[1, 1:]))
    assert Xt[0, 0] == 1.0 and np.all(np.isnan(Xt[0, 1:]))


def test_keep_input_names_and_pandas():
    X = pd.DataFrame(_z_to_mumu(4)[:, :4], columns=["mu_E", "mu_px", "mu_py", "mu_pz"])
    X["run"] = 7.0
    fm = FourMomentumTransformer(
        particles=[["mu_E", "mu_px", "mu_py", "mu_pz"]],
        names=["mu"],
        keep_input=True,
    ).set_output(transform="pandas")
    out = fm.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [
        "mu_E",
        "mu_px",
        "mu_py",
        "mu_pz",
        "run",
        "mu_pt",
        "mu_eta",
        "mu_phi",
        "mu_m",
    ]
    pd.testing.assert_frame_equal(out.iloc[:, :5], X)
    fm.set_params(keep_input=False)
    assert list(fm.fit_transform(X).columns) == [
        "run",
        "mu_pt",
        "mu_eta",
        "mu_phi",
        "mu_m",
    ]


def test_higgs_visible_mass_from_massless_leptons():
    # DER_mass_vis is the invariant mass of the (massless) hadronic tau and the
    # lepton; the primitive features are rounded to 1e-3, hence the tolerance.
    X, *_ = load_higgs_challenge(n_samples=2000, return_X_y=True)
    fm = FourMomentumTransformer(
        particles=[
            ["PRI_tau_pt", "PRI_tau_eta", "PRI_tau_phi"],
            ["PRI_lep_pt", "PRI_lep_eta", "PRI_lep_phi"],
        ],
        input_format="pt_eta_phi_m",
        output_format="e_px_py_pz",
        names=["tau", "lep"],
        pair_masses=[(0, 1)],
    ).set_output(transform="pandas")
    out = fm.fit_transform(X)
    assert out.shape == (2000, 30 - 6 + 8 + 1)
    np.testing.assert_allclose(out["m_tau_lep"], X["DER_mass_vis"], rtol=0, atol=0.3)
    np.testing.assert_array_equal(out["PRI_jet_num"], X["PRI_jet_num"])


OWNER = "FourMomentumTransformer"


@pytest.mark.parametrize(
    "params, param",
    [
        ({"input_format": "xyz"}, "input_format"),
        ({"output_format": "pt_eta"}, "output_format"),
        ({"keep_input": "yes"}, "keep_input"),
        ({"mass_tolerance": -1.0}, "mass_tolerance"),
        ({"negative_mass": "abs"}, "negative_mass"),
        ({"particles": 5}, "particles"),
        ({"pair_masses": 3}, "pair_masses"),
        ({"names": 3}, "names"),
    ],
)
def test_invalid_params_sklearn_style(params, param):
    kwargs = {"particles": [[0, 1, 2, 3]], **params}
    fm = FourMomentumTransformer(**kwargs)
    msg = rf"The '{param}' parameter of {OWNER} must be .* Got .* instead"
    with pytest.raises(ValueError, match=msg):
        fm.fit(np.ones((3, 4)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"particles": []}, "non-empty list"),
        ({"particles": [[0, 1, 2]]}, "must have 2 or 4 columns"),
        ({"particles": [[0, 1, 2, 3, 4]], "input_format": "pt_eta_phi_m"}, "2, 3 or 4"),
        ({"particles": ["abcd"]}, "sequence of column positions"),
        ({"particles": [[0, 1, 2, 1.5]]}, "Got 1.5"),
        ({"particles": [[0, 1, 2, True]]}, "Got True"),
        ({"particles": [[0, 1, 2, 9]]}, re.escape("index 9, but X has 5 feature(s)")),
        ({"particles": [[0, 1, 2, "E"]]}, "no column names"),
        ({"names": ["a", "b"]}, "'names' parameter .* 1 unique strings"),
        ({"names": [1]}, "'names' parameter"),
        ({"pair_masses": [(0, 0)]}, "at least two distinct"),
        ({"pair_masses": [(0,)]}, "at least two distinct"),
        ({"pair_masses": [(0, 1)]}, re.escape("range(0, 1)")),
    ],
)
def test_invalid_groups(kwargs, match):
    kwargs = {"particles": [[0, 1, 2, 3]], **kwargs}
    with pytest.raises(ValueError, match=match):
        FourMomentumTransformer(**kwargs).fit(np.ones((3, 5)))


def test_unknown_column_name():
    X = pd.DataFrame(np.ones((2, 4)), columns=["E", "px", "py", "pz"])
    fm = FourMomentumTransformer(particles=[["E", "px", "py", "p_z"]])
    with pytest.raises(ValueError, match=r"names columns \['p_z'\] that are not in X"):
        fm.fit(X)


def test_not_fitted_and_feature_count():
    from sklearn.exceptions import NotFittedError

    fm = FourMomentumTransformer(particles=[[0, 1, 2, 3]])
    with pytest.raises(NotFittedError):
        fm.transform(np.ones((2, 4)))
    fm.fit(np.ones((2, 4)))
    with pytest.raises(ValueError, match="X has 5 features"):
        fm.transform(np.ones((2, 5)))


# -- missing values, transverse masses, masses only ----------------------------
HIGGS_PARTICLES = [
    ["PRI_tau_pt", "PRI_tau_eta", "PRI_tau_phi"],
    ["PRI_lep_pt", "PRI_lep_eta", "PRI_lep_phi"],
    ["PRI_jet_leading_pt", "PRI_jet_leading_eta", "PRI_jet_leading_phi"],
    ["PRI_jet_subleading_pt", "PRI_jet_subleading_eta", "PRI_jet_subleading_phi"],
    ["PRI_met", "PRI_met_phi"],
]


def _higgs_masses(**kwargs):
    params = dict(
        particles=HIGGS_PARTICLES,
        names=["tau", "lep", "jet1", "jet2", "met"],
        input_format="pt_eta_phi_m",
        output_format=None,
        keep_input=True,
        pair_masses=[(0, 2), (1, 2), (0, 3), (1, 3)],
        transverse_masses=[(0, 4)],
        missing_values=-999.0,
    )
    return FourMomentumTransformer(**{**params, **kwargs})


def _pair_mass(X, a, b, transverse=False):
    """Reference: mass (or m_T) of two massless objects, -999 if one is missing:
    m² = 2 pT_a pT_b (cosh Δη - cos Δφ), m_T² = 2 pT_a pT_b (1 - cos Δφ)."""
    pt_a, pt_b = X[f"PRI_{a}_pt"].to_numpy(), X[f"PRI_{b}_pt"].to_numpy()
    phi_a, phi_b = X[f"PRI_{a}_phi"].to_numpy(), X[f"PRI_{b}_phi"].to_numpy()
    if transverse:
        m2 = 2 * pt_a * pt_b * (1 - np.cos(phi_a - phi_b))
    else:
        eta_a, eta_b = X[f"PRI_{a}_eta"].to_numpy(), X[f"PRI_{b}_eta"].to_numpy()
        with np.errstate(over="ignore", invalid="ignore"):  # -999 of a missing jet
            m2 = 2 * pt_a * pt_b * (np.cosh(eta_a - eta_b) - np.cos(phi_a - phi_b))
    missing = (pt_a == -999.0) | (pt_b == -999.0)
    return np.where(missing, -999.0, np.sqrt(np.clip(m2, 0, None)))


HIGGS_MASSES = {
    "m_tau_jet1": ("tau", "jet_leading", False),
    "m_lep_jet1": ("lep", "jet_leading", False),
    "m_tau_jet2": ("tau", "jet_subleading", False),
    "m_lep_jet2": ("lep", "jet_subleading", False),
    "mt_tau_met": ("tau", "met", True),
}


def test_higgs_masses_reproduce_the_reference():
    X = load_higgs_challenge().data
    fm = _higgs_masses().set_output(transform="pandas")
    out = fm.fit_transform(X)
    assert list(out.columns) == [*X.columns, *HIGGS_MASSES]
    pd.testing.assert_frame_equal(out.iloc[:, :30], X, check_dtype=False)
    Xr = X.rename(columns={"PRI_met": "PRI_met_pt"})
    for name, spec in HIGGS_MASSES.items():
        ref = _pair_mass(Xr, *spec)
        got = out[name].to_numpy()
        np.testing.assert_array_equal(got == -999.0, ref == -999.0, err_msg=name)
        assert 0 < np.mean(got == -999.0) < 1 or name.startswith("mt")
        # the reference's 1 - cos(Δφ) loses ~1e-11 relative near Δφ = 0
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9, err_msg=name)
    assert np.all(out["m_tau_jet2"][X["PRI_jet_num"] < 2] == -999.0)
    assert np.all(out["m_tau_jet2"][X["PRI_jet_num"] >= 2] > 0)


def test_higgs_transverse_mass_of_lepton_and_met():
    # DER_mass_transverse_met_lep is m_T(lep, MET); the primitives are rounded
    # to 1e-3, which moves m_T² by at most the bound below.
    X = load_higgs_challenge(n_samples=3000).data
    fm = FourMomentumTransformer(
        particles=HIGGS_PARTICLES[1::3],
        input_format="pt_eta_phi_m",
        output_format=None,
        transverse_masses=[(0, 1)],
        names=["lep", "met"],
        missing_values=-999.0,
    ).set_output(transform="pandas")
    out = fm.fit_transform(X)
    assert list(out.columns[-1:]) == ["mt_lep_met"]
    assert "PRI_lep_pt" not in out.columns and "PRI_met" not in out.columns
    pt1, pt2 = X["PRI_lep_pt"], X["PRI_met"]
    dphi = X["PRI_lep_phi"] - X["PRI_met_phi"]
    ref = X["DER_mass_transverse_met_lep"]
    bound = (
        2 * pt1 * pt2 * np.abs(np.sin(dphi)) * 1e-3
        + 2 * (1 - np.cos(dphi)) * (pt1 + pt2) * 5e-4
        + 2 * ref * 5e-4
        + pt1 * pt2 * 1e-6  # second order in the Δφ rounding
    )
    assert np.all(np.abs(out["mt_lep_met"] ** 2 - ref**2) <= 1.5 * bound)


def _massive(pt, eta, phi, m):
    """(E, px, py, pz) of one particle given in collider coordinates."""
    e = np.sqrt(m**2 + (pt * np.cosh(eta)) ** 2)
    return [e, pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)]


@pytest.mark.parametrize("fmt", ["pt_eta_phi_m", "pt_eta_phi_e", "e_px_py_pz"])
def test_transverse_mass_hand_computed(fmt):
    # a: pT = 3, m = 4 -> E_T = 5 along +x; b: pT = 12, m = 5 -> E_T = 13
    # along -x: m_T² = (5 + 13)² - (3 - 12)² = 324 - 81 = 243.
    # c, d: massless, pT 30 and 40, Δφ = π/2: m_T² = 2·30·40·(1 - 0) = 2400.
    a, b = (3.0, 0.5, 0.0, 4.0), (12.0, -1.2, np.pi, 5.0)
    c, d = (30.0, 2.0, 0.3, 0.0), (40.0, -0.1, 0.3 + np.pi / 2, 0.0)
    rows = [a + b, c + d]
    if fmt == "pt_eta_phi_e":
        rows = [
            [*p[:3], _massive(*p)[0], *q[:3], _massive(*q)[0]]
            for p, q in ((a, b), (c, d))
        ]
    elif fmt == "e_px_py_pz":
        rows = [_massive(*p) + _massive(*q) for p, q in ((a, b), (c, d))]
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        input_format=fmt,
        output_format=None,
        transverse_masses=[(0, 1)],
    )
    Xt = fm.fit_transform(np.array(rows))
    assert Xt.shape == (2, 1)
    assert fm.get_feature_names_out().tolist() == ["mt_p0_p1"]
    np.testing.assert_allclose(Xt[:, 0], np.sqrt([243.0, 2400.0]), rtol=1e-12)


@pytest.mark.parametrize("fmt", ["pt_eta_phi_m", "px_py_pz_e"])
def test_transverse_object_met(fmt):
    # a lepton and MET of W decays at rest, boosted along z: m_T = m_W when
    # both are transverse (θ = 90° in the W frame), m_T <= m_W otherwise.
    rng = np.random.default_rng(3)
    m_w, n = 80.4, 200
    cos_t = np.concatenate([[0.0], rng.uniform(-1, 1, n - 1)])
    phi = rng.uniform(-np.pi, np.pi, n)
    pt = m_w / 2 * np.sqrt(1 - cos_t**2)
    eta = np.arcsinh(cos_t / np.sqrt(1 - cos_t**2)) + rng.uniform(-2, 2, n)
    if fmt == "pt_eta_phi_m":
        X = np.column_stack([pt, eta, phi, pt, phi + np.pi])
        particles = [[0, 1, 2], [3, 4]]
    else:
        lep = np.array([_massive(*p, 0.0) for p in zip(pt, eta, phi)])
        X = np.column_stack([lep[:, 1:], lep[:, 0], -lep[:, 1], -lep[:, 2]])
        particles = [[0, 1, 2, 3], [4, 5]]
    fm = FourMomentumTransformer(
        particles=particles,
        input_format=fmt,
        output_format="pt_eta_phi_m",
        names=["lep", "met"],
        transverse_masses=[(0, 1)],
    )
    Xt = fm.fit_transform(X)
    names = fm.get_feature_names_out().tolist()
    assert names == [
        "lep_pt",
        "lep_eta",
        "lep_phi",
        "lep_m",
        "met_pt",
        "met_phi",
        "mt_lep_met",
    ]
    np.testing.assert_allclose(Xt[:, 4], pt, rtol=1e-12)
    mt = Xt[:, -1]
    np.testing.assert_allclose(mt, 2 * pt, rtol=1e-9)  # back to back: 2 pT
    np.testing.assert_allclose(mt[0], m_w, rtol=1e-12)
    assert np.all(mt <= m_w * (1 + 1e-12))
    # the (px, py) of a transverse object in a Cartesian output
    fm.set_params(output_format="e_px_py_pz")
    assert fm.fit(X).get_feature_names_out().tolist()[4:6] == ["met_px", "met_py"]


def test_transverse_mass_bounds_invariant_mass_and_collinear_precision():
    rng = np.random.default_rng(4)
    n = 300
    X = np.column_stack(
        [
            rng.exponential(40, n) + 1,
            rng.uniform(-3, 3, n),
            rng.uniform(-np.pi, np.pi, n),
            rng.uniform(0, 10, n),
            rng.exponential(40, n) + 1,
            rng.uniform(-3, 3, n),
            rng.uniform(-np.pi, np.pi, n),
            rng.uniform(0, 10, n),
        ]
    )
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        input_format="pt_eta_phi_m",
        output_format=None,
        pair_masses=[(0, 1)],
        transverse_masses=[(0, 1)],
    )
    m, mt = fm.fit_transform(X).T
    assert np.all(mt <= m * (1 + 1e-12))
    assert np.all(mt >= X[:, 3] + X[:, 7] - 1e-9)  # m_T >= m1 + m2
    # equal rapidities (here: massless, equal η): m_T = m
    X[:, [3, 7]] = 0.0
    X[:, 5] = X[:, 1]
    m, mt = fm.fit_transform(X).T
    # (the invariant mass of the summed four-vector loses ~1e-9 absolute to
    # the cancellation in E² - |p|² when m is small)
    np.testing.assert_allclose(mt, m, rtol=1e-7, atol=1e-7)
    # nearly collinear massless pair: m_T = 2 √(pT1 pT2) sin(Δφ / 2) exactly,
    # where (E_T1 + E_T2)² - |p_T1 + p_T2|² would cancel to noise
    dphi = 1e-7
    Xc = np.array([[50.0, 0.0, 1.0, 0.0, 20.0, 0.0, 1.0 + dphi, 0.0]])
    mt = fm.fit_transform(Xc)[0, 1]
    np.testing.assert_allclose(mt, 2 * np.sqrt(1000.0) * np.sin(dphi / 2), rtol=1e-9)


def test_missing_marker_propagates():
    # row 0: particle 1 has one missing component; row 1: all present;
    # row 2: particle 0 is padding (all 0); row 3: particle 2 (MET) missing
    X = np.array(
        [
            [30.0, 0.5, 0.1, 40.0, -999.0, 2.0, 7.0, 20.0, 1.0],
            [30.0, 0.5, 0.1, 40.0, -0.4, 2.0, 8.0, 20.0, 1.0],
            [0.0, 0.0, 0.0, 40.0, -0.4, 2.0, 9.0, 20.0, 1.0],
            [30.0, 0.5, 0.1, 40.0, -0.4, 2.0, 10.0, -999.0, -999.0],
        ]
    )
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2], [3, 4, 5], [7, 8]],
        input_format="pt_eta_phi_m",
        output_format="pt_eta_phi_e",
        pair_masses=[(0, 1)],
        transverse_masses=[(0, 2), (1, 2)],
        names=["a", "b", "met"],
        missing_values=-999.0,
    )
    with np.errstate(all="raise"):
        Xt = fm.fit_transform(X)
    names = fm.get_feature_names_out().tolist()
    assert names == [
        "x6",
        *["a_pt", "a_eta", "a_phi", "a_e", "b_pt", "b_eta", "b_phi", "b_e"],
        *["met_pt", "met_phi", "m_a_b", "mt_a_met", "mt_b_met"],
    ]
    assert not np.any(np.isnan(Xt))
    miss = Xt == -999.0
    np.testing.assert_array_equal(Xt[:, 0], X[:, 6])  # pass-through intact
    col = {n: i for i, n in enumerate(names)}
    b_cols = [col[c] for c in ("b_pt", "b_eta", "b_phi", "b_e", "m_a_b", "mt_b_met")]
    a_cols = [col[c] for c in ("a_pt", "a_eta", "a_phi", "a_e", "m_a_b", "mt_a_met")]
    met_cols = [col[c] for c in ("met_pt", "met_phi", "mt_a_met", "mt_b_met")]
    expected = np.zeros_like(miss)
    expected[0, b_cols] = True
    expected[2, a_cols] = True
    expected[3, met_cols] = True
    np.testing.assert_array_equal(miss, expected)
    # present rows are as without any missing particle
    ref = fm.fit_transform(X[[1]])
    np.testing.assert_array_equal(Xt[0, a_cols[:4]], ref[0, a_cols[:4]])
    np.testing.assert_array_equal(Xt[3, 1 : col["met_pt"]], ref[0, 1 : col["met_pt"]])
    # float32 keeps its dtype and the marker
    X32 = fm.fit_transform(X.astype(np.float32))
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32 == -999.0, expected)
    # NaN is not the marker here
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="treats -999.0 as the missing value"):
        fm.transform(X)


def test_undefined_outputs_are_the_marker():
    # pT = 0 (along the beam): no η, φ; E < |p|: no mass (negative_mass="nan")
    X = np.array([[13.0, 0.0, 0.0, 5.0], [3.0, 3.0, 4.0, 0.0]])
    fm = FourMomentumTransformer(particles=[[0, 1, 2, 3]], missing_values=-1.0)
    Xt = fm.fit_transform(X)
    np.testing.assert_array_equal(
        Xt, [[0.0, -1.0, -1.0, 12.0], [5.0, 0.0, Xt[1, 2], -1.0]]
    )
    np.testing.assert_allclose(Xt[1, 2], np.arctan2(4.0, 3.0))
    # with NaN (the default) any missing component makes the particle missing
    X = np.array([[14.0, 3.0, 4.0, 12.0, 13.0, 3.0, 4.0, np.nan]])
    fm = FourMomentumTransformer(
        particles=[[0, 1, 2, 3], [4, 5, 6, 7]],
        output_format="pt_eta_phi_e",
        pair_masses=[(0, 1)],
        transverse_masses=[(0, 1)],
    )
    Xt = fm.fit_transform(X)
    assert np.all(np.isfinite(Xt[0, :4]))
    assert np.all(np.isnan(Xt[0, 4:]))  # b's pT and E too, and both masses


def test_masses_only_pandas_without_keep_input():
    X = pd.DataFrame(_z_to_mumu(6), columns=[f"c{i}" for i in range(8)])
    X["w"] = 2.0
    fm = FourMomentumTransformer(
        particles=[X.columns[:4].tolist(), X.columns[4:8].tolist()],
        output_format=None,
        pair_masses=[(0, 1)],
        names=["mu1", "mu2"],
    ).set_output(transform="pandas")
    out = fm.fit_transform(X)
    assert list(out.columns) == ["w", "m_mu1_mu2"]
    np.testing.assert_allclose(out["m_mu1_mu2"], M_Z, rtol=1e-9)
    fm.set_params(keep_input=True)
    out = fm.fit_transform(X)
    assert list(out.columns) == [*X.columns, "m_mu1_mu2"]
    pd.testing.assert_frame_equal(out.iloc[:, :9], X)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"output_format": None},
            r"output_format=None .* 'pair_masses' or the 'transverse_masses' "
            r"parameter .* Got pair_masses=None and transverse_masses=None",
        ),
        (
            {"output_format": None, "pair_masses": [], "keep_input": True},
            "Got pair_masses=\\[\\] and transverse_masses=None",
        ),
        ({"pair_masses": [(0, 1)]}, "'pair_masses' parameter .* cannot use particle 1"),
        (
            {"transverse_masses": [(0, 1, 0)]},
            "'transverse_masses' .* a pair of distinct",
        ),
        ({"transverse_masses": [(0, 1, 1)]}, re.escape("Got (0, 1, 1) instead")),
        ({"transverse_masses": [(1, 1)]}, "a pair of distinct"),
        ({"transverse_masses": [(0, 2)]}, re.escape("range(0, 2)")),
        ({"transverse_masses": ["ab"]}, "Got 'ab' instead"),
    ],
)
def test_invalid_mass_options(kwargs, match):
    params = {"particles": [[0, 1, 2], [3, 4]], "input_format": "pt_eta_phi_m"}
    with pytest.raises(ValueError, match=match):
        FourMomentumTransformer(**{**params, **kwargs}).fit(np.ones((3, 5)))


@pytest.mark.parametrize(
    "params, param",
    [
        ({"transverse_masses": 3}, "transverse_masses"),
        ({"missing_values": "-999"}, "missing_values"),
        ({"output_format": "none"}, "output_format"),
    ],
)
def test_invalid_new_params_sklearn_style(params, param):
    fm = FourMomentumTransformer(particles=[[0, 1, 2, 3]], **params)
    msg = rf"The '{param}' parameter of {OWNER} must be .* Got .* instead"
    with pytest.raises(ValueError, match=msg):
        fm.fit(np.ones((3, 4)))
