import numpy as np
import pandas as pd
import pytest

from sknn_hep.datasets import make_four_momenta, make_top_jets, make_zmumu
from sknn_hep.preprocessing import FourMomentumTransformer

Z_MASS, Z_WIDTH, MUON_MASS = 91.1876, 2.4952, 0.1056583755


def _mass(p4):
    m2 = p4[..., 0] ** 2 - np.sum(p4[..., 1:] ** 2, axis=-1)
    return np.sqrt(np.clip(m2, 0, None))


# ---------------------------------------------------------------- four-momenta
def test_four_momenta_target_is_the_invariant_mass():
    X, y = make_four_momenta(500, mass_range=(5.0, 150.0), random_state=0)
    assert X.shape == (500, 4) and y.shape == (500,)
    E, px, py, pz = X.T
    np.testing.assert_allclose(np.sqrt(E**2 - px**2 - py**2 - pz**2), y, rtol=1e-6)
    assert y.min() >= 5.0 and y.max() < 150.0
    # masses spread over the range, not a constant
    assert y.std() > 30


def test_four_momenta_collider_representation_matches_cartesian():
    Xc, yc = make_four_momenta(300, random_state=1)
    Xk, yk = make_four_momenta(
        300, representation="collider", as_frame=True, random_state=1
    )
    assert list(Xk.columns) == ["pt", "eta", "phi", "E"] and yk.name == "m"
    np.testing.assert_allclose(yk.to_numpy(), yc)
    np.testing.assert_allclose(Xk["E"].to_numpy(), Xc[:, 0])
    np.testing.assert_allclose(Xk["pt"].to_numpy(), np.hypot(Xc[:, 1], Xc[:, 2]))
    assert np.abs(Xk["eta"]).max() <= 2.5
    assert np.abs(Xk["phi"]).max() <= np.pi
    # FourMomentumTransformer recovers the target from the Cartesian columns
    out = FourMomentumTransformer(particles=[[0, 1, 2, 3]]).fit_transform(Xc)
    np.testing.assert_allclose(out[:, 3], yc, rtol=1e-6, atol=1e-6)


def test_four_momenta_is_reproducible_and_seed_dependent():
    a = make_four_momenta(50, random_state=3)[0]
    b = make_four_momenta(50, random_state=3)[0]
    c = make_four_momenta(50, random_state=4)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "'n_samples' parameter of make_four_momenta"),
        ({"representation": "polar"}, "'representation' parameter"),
        ({"mass_range": (10.0, 5.0)}, r"'mass_range' parameter .*Got \(10.0, 5.0\)"),
        ({"mass_range": (-1.0, 5.0)}, "'mass_range' parameter"),
        ({"pt_scale": 0.0}, "'pt_scale' parameter"),
    ],
)
def test_four_momenta_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_four_momenta(**kwargs)


# ---------------------------------------------------------------------- Z->mumu
@pytest.fixture(scope="module")
def zmumu():
    return make_zmumu(20000, background_fraction=0.5, random_state=0, as_frame=True)


def test_zmumu_signal_peak_position_and_width(zmumu):
    X, y = zmumu
    m = X["m_mumu"].to_numpy()[y.to_numpy() == 1]
    assert m.min() >= 60.0 and m.max() <= 120.0
    assert np.median(m) == pytest.approx(Z_MASS, abs=0.1)
    q25, q75 = np.percentile(m, [25, 75])
    # quartiles of a relativistic Breit-Wigner truncated to [60, 120] GeV
    mg = Z_MASS * Z_WIDTH
    a_lo, a_hi = (
        np.arctan((60.0**2 - Z_MASS**2) / mg),
        np.arctan((120.0**2 - Z_MASS**2) / mg),
    )
    expected = np.sqrt(
        Z_MASS**2 + mg * np.tan(a_lo + np.array([0.25, 0.75]) * (a_hi - a_lo))
    )
    assert q75 - q25 == pytest.approx(expected[1] - expected[0], rel=0.05)
    # a Cauchy has IQR = Γ; the truncation narrows it by a few per cent only
    assert q75 - q25 == pytest.approx(Z_WIDTH, rel=0.1)


def test_zmumu_muons_are_muons_and_the_pair_adds_up(zmumu):
    X, _ = zmumu
    total = np.zeros((len(X), 4))
    for mu in ("mu1", "mu2"):
        p4 = X[[f"{mu}_E", f"{mu}_px", f"{mu}_py", f"{mu}_pz"]].to_numpy()
        np.testing.assert_allclose(_mass(p4), MUON_MASS, rtol=1e-3)
        np.testing.assert_allclose(X[f"{mu}_pt"], np.hypot(p4[:, 1], p4[:, 2]))
        np.testing.assert_allclose(
            X[f"{mu}_eta"], np.arcsinh(p4[:, 3] / np.hypot(p4[:, 1], p4[:, 2]))
        )
        total += p4
    np.testing.assert_allclose(_mass(total), X["m_mumu"], rtol=1e-6)
    np.testing.assert_allclose(np.hypot(total[:, 1], total[:, 2]), X["pt_mumu"])
    assert (X["mu1_pt"] >= X["mu2_pt"]).all()
    assert (X["mu1_charge"] == -X["mu2_charge"]).all()
    assert set(np.unique(X["mu1_charge"])) == {-1.0, 1.0}
    # the Z is boosted: a transverse momentum of order 10 GeV, rapidity spread
    assert 5.0 < X["pt_mumu"].mean() < 20.0
    assert 1.0 < X["y_mumu"].std() < 2.5 and np.abs(X["y_mumu"]).max() <= 4.0


def test_zmumu_background_is_a_falling_continuum(zmumu):
    X, y = zmumu
    y = y.to_numpy()
    assert y.sum() == 10000
    m = X["m_mumu"].to_numpy()
    in_peak = np.abs(m - Z_MASS) < Z_WIDTH
    assert in_peak[y == 1].mean() > 0.6
    assert in_peak[y == 0].mean() < 0.1
    counts, _ = np.histogram(m[y == 0], bins=6, range=(60, 120))
    assert np.all(np.diff(counts) < 0)
    assert np.median(m[y == 0]) < 80.0


def test_zmumu_numpy_output_and_fractions():
    X, y = make_zmumu(101, background_fraction=0.0, random_state=1)
    assert isinstance(X, np.ndarray) and X.shape == (101, 19)
    assert y.dtype == np.int64 and (y == 1).all()
    _, y = make_zmumu(100, background_fraction=1.0, random_state=1)
    assert (y == 0).all()
    a = make_zmumu(30, random_state=5)[0]
    np.testing.assert_array_equal(a, make_zmumu(30, random_state=5)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"background_fraction": 1.5}, "'background_fraction' parameter of make_zmumu"),
        ({"mass_range": (0.1, 120.0)}, "twice the muon mass"),
        ({"mass_range": (120.0,)}, "'mass_range' parameter"),
        ({"n_samples": -3}, "'n_samples' parameter"),
    ],
)
def test_zmumu_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_zmumu(**kwargs)


# ---------------------------------------------------------------------- top jets
@pytest.fixture(scope="module")
def top_jets():
    return make_top_jets(2000, n_constituents=200, random_state=0, return_prongs=True)


def test_top_jet_mass_peaks_at_the_top_mass_and_qcd_does_not(top_jets):
    X, y, _, _ = top_jets
    const = X.reshape(len(X), 200, 4)
    mass = _mass(const.sum(axis=1))
    assert np.median(mass[y == 1]) == pytest.approx(173.0, abs=10.0)
    # the bulk of top jets sits in a narrow window around m_t
    assert np.mean(np.abs(mass[y == 1] - 173.0) < 10.0) > 0.5
    assert np.median(mass[y == 0]) < 80.0
    assert np.mean(np.abs(mass[y == 0] - 173.0) < 10.0) < 0.05


def test_top_jet_w_subjet_mass(top_jets):
    X, y, _, prongs = top_jets
    const = X.reshape(len(X), 200, 4)
    from_w = (prongs == 1) | (prongs == 2)
    w = np.where(from_w[..., None], const, 0.0).sum(axis=1)
    assert np.median(_mass(w)[y == 1]) == pytest.approx(80.4, abs=3.0)
    b = np.where((prongs == 0)[..., None], const, 0.0).sum(axis=1)
    # b + W rebuild the top (up to constituents outside the jet radius)
    assert np.median(_mass(b + w)[y == 1]) == pytest.approx(173.0, abs=10.0)
    # QCD jets have only the prongs 0 (hard) and 1 (soft)
    assert set(np.unique(prongs[y == 0])) <= {-1, 0, 1}
    hard_e = np.where((prongs == 0)[..., None], const, 0.0).sum(axis=1)[:, 0]
    soft_e = np.where((prongs == 1)[..., None], const, 0.0).sum(axis=1)[:, 0]
    assert np.median((hard_e / (hard_e + soft_e))[y == 0]) > 0.7


def test_top_jet_padding_sorting_and_truth(top_jets):
    X, y, truth, prongs = top_jets
    const = X.reshape(len(X), 200, 4)
    n = (const[..., 0] != 0).sum(axis=1)
    slot = np.arange(200)[None, :]
    # real constituents come first, padding after them is exactly zero
    assert np.all(const[slot >= n[:, None]] == 0.0)
    assert np.all(const[slot < n[:, None]][:, 0] > 0.0)
    np.testing.assert_array_equal(prongs >= 0, slot < n[:, None])
    assert 20 < n.mean() < 80 and n.min() >= 1
    # massless constituents sorted by decreasing pT
    real = slot < n[:, None]
    np.testing.assert_allclose(
        _mass(const)[real], 0.0, atol=1e-4 * const[real][:, 0].max()
    )
    pt = np.hypot(const[..., 1], const[..., 2])
    assert np.all(np.diff(np.where(real, pt, 0.0), axis=1) <= 1e-9)
    # truth: the top four-vector for signal, NaN for QCD
    assert np.isnan(truth[y == 0]).all()
    assert np.isfinite(truth[y == 1]).all()
    top_mass = _mass(truth[y == 1])
    assert 150.0 <= top_mass.min() and top_mass.max() <= 200.0
    top_pt = np.hypot(truth[y == 1, 1], truth[y == 1, 2])
    assert top_pt.min() >= 550.0 and top_pt.max() <= 650.0
    # constituents are within R = 0.8 of the jet axis; summed jet ~ the top
    jet = const.sum(axis=1)[y == 1]
    assert np.median(jet[:, 0] / truth[y == 1, 0]) == pytest.approx(1.0, abs=0.01)
    assert y.sum() == 1000


def test_top_jets_frame_layout_works_with_the_transformer():
    X, y, truth = make_top_jets(60, n_constituents=10, as_frame=True, random_state=2)
    assert list(X.columns[:8]) == [
        "E_0",
        "PX_0",
        "PY_0",
        "PZ_0",
        "E_1",
        "PX_1",
        "PY_1",
        "PZ_1",
    ]
    assert X.shape == (60, 40) and y.name == "is_signal_new"
    assert list(truth.columns) == ["truthE", "truthPX", "truthPY", "truthPZ"]
    particles = [[f"{c}_{i}" for c in ("E", "PX", "PY", "PZ")] for i in range(3)]
    tr = FourMomentumTransformer(particles=particles, names=["c0", "c1", "c2"])
    out = tr.set_output(transform="pandas").fit_transform(X)
    np.testing.assert_allclose(out["c0_pt"], np.hypot(X["PX_0"], X["PY_0"]), rtol=1e-9)
    assert (out["c0_pt"] >= out["c1_pt"]).all()


def test_top_jets_truncation_keeps_the_hardest():
    full = make_top_jets(40, n_constituents=200, random_state=7)[0]
    short = make_top_jets(40, n_constituents=5, random_state=7)[0]
    np.testing.assert_allclose(short, full[:, :20])


def test_top_jets_signal_fraction_and_reproducibility():
    _, y, truth = make_top_jets(
        30, n_constituents=8, signal_fraction=0.0, random_state=0
    )
    assert (y == 0).all() and np.isnan(truth).all()
    a = make_top_jets(20, n_constituents=8, random_state=9)[0]
    np.testing.assert_array_equal(
        a, make_top_jets(20, n_constituents=8, random_state=9)[0]
    )
    assert isinstance(pd.DataFrame(a), pd.DataFrame)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_constituents": 0}, "'n_constituents' parameter of make_top_jets"),
        ({"pt_range": (0.0, 100.0)}, "'pt_range' parameter"),
        ({"pt_range": (600.0, 500.0)}, "'pt_range' parameter"),
        ({"signal_fraction": -0.1}, "'signal_fraction' parameter"),
        ({"jet_radius": 0}, "'jet_radius' parameter"),
    ],
)
def test_top_jets_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_top_jets(10, **kwargs)
