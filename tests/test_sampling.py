"""binned_target_weights and augment_azimuthal_rotation."""

import numpy as np
import pandas as pd
import pytest

from sknn_hep.datasets import load_higgs_challenge, make_zmumu
from sknn_hep.preprocessing import augment_azimuthal_rotation, binned_target_weights


def test_binned_target_weights_equalise_the_bins():
    rng = np.random.default_rng(0)
    y = np.r_[rng.normal(0, 1, 900), rng.normal(8, 0.5, 100)]
    w = binned_target_weights(y, bins=8)
    edges = np.histogram_bin_edges(y, bins=8)
    totals, _ = np.histogram(y, bins=edges, weights=w)
    filled = totals[np.histogram(y, bins=edges)[0] > 0]
    np.testing.assert_allclose(filled, filled.mean())
    assert w.sum() == pytest.approx(len(y))
    # the lecture's ⟨N⟩_bins / N_b for one bin, by hand
    counts, _ = np.histogram(y, bins=edges)
    mean = counts[counts > 0].mean()
    last = y >= edges[-2]
    np.testing.assert_allclose(w[last], mean / counts[-1])


def test_binned_target_weights_with_weights_and_edges():
    y = np.array([0.5, 0.5, 1.5, 2.5, 9.0])
    sw = np.array([1.0, 3.0, 2.0, 2.0, 1.0])
    w = binned_target_weights(y, bins=[0, 1, 2, 3], sample_weight=sw)
    # bins hold 4, 2 and 2 + 1 (9.0 goes to the last bin): a mean of 3 per bin
    np.testing.assert_allclose(w, sw * 3.0 / np.array([4, 4, 2, 3, 3]))
    assert w.sum() == pytest.approx(sw.sum())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": [1.0, np.nan]}, "must be finite"),
        ({"y": [1.0, 2.0], "bins": [1.0, 1.0]}, "increasing edges"),
        ({"y": [1.0, 2.0], "bins": 0}, "'bins' parameter"),
        ({"y": [1.0, 2.0], "sample_weight": [1.0]}, "sample_weight"),
    ],
)
def test_binned_target_weights_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        binned_target_weights(**kwargs)


def test_rotation_keeps_the_physics_of_zmumu_events():
    X, y = make_zmumu(300, as_frame=True, random_state=0)
    pairs = [("mu1_px", "mu1_py"), ("mu2_px", "mu2_py")]
    Xa, source = augment_azimuthal_rotation(
        X, ["mu1_phi", "mu2_phi"], xy_columns=pairs, n_copies=3, random_state=1
    )
    assert isinstance(Xa, pd.DataFrame) and list(Xa.columns) == list(X.columns)
    assert len(Xa) == 4 * len(X)
    np.testing.assert_array_equal(source, np.tile(np.arange(len(X)), 4))
    pd.testing.assert_frame_equal(Xa.iloc[: len(X)], X.reset_index(drop=True))
    copy = Xa.iloc[len(X) : 2 * len(X)]
    for px, py in pairs:
        # each muon's pT is kept, its direction changes
        np.testing.assert_allclose(
            np.hypot(copy[px], copy[py]), np.hypot(X[px], X[py]), rtol=1e-12
        )
        assert not np.allclose(copy[px], X[px])
        # φ and (px, py) turn by the same angle: φ = atan2(py, px) still holds
        phi = copy[px.replace("px", "phi")]
        np.testing.assert_allclose(
            np.sin(np.arctan2(copy[py], copy[px]) - phi), 0.0, atol=1e-9
        )

    # the dimuon mass is invariant: same angle for both muons of an event
    def mass(frame):
        e = frame["mu1_E"] + frame["mu2_E"]
        p = [frame[f"mu1_{k}"] + frame[f"mu2_{k}"] for k in ("px", "py", "pz")]
        return np.sqrt(e**2 - sum(c**2 for c in p))

    np.testing.assert_allclose(mass(copy).to_numpy(), mass(X).to_numpy(), rtol=1e-9)


def test_rotation_of_higgs_phi_columns_keeps_missing_values_and_differences():
    X, y, w, ids = load_higgs_challenge(n_samples=500, return_X_y=True)
    phi = [c for c in X.columns if c.endswith("_phi")]
    Xa, source = augment_azimuthal_rotation(
        X, phi, missing_values=-999.0, random_state=0
    )
    copy = Xa.iloc[len(X) :].reset_index(drop=True)
    for c in phi:
        missing = X[c].to_numpy() == -999.0
        np.testing.assert_array_equal(copy[c].to_numpy()[missing], -999.0)
        present = copy[c].to_numpy()[~missing]
        assert np.all((present >= -np.pi) & (present < np.pi))
    # angular differences between objects are kept (modulo 2π)
    both = (X["PRI_jet_leading_phi"] != -999.0).to_numpy()
    before = X["PRI_tau_phi"] - X["PRI_lep_phi"]
    after = copy["PRI_tau_phi"] - copy["PRI_lep_phi"]
    np.testing.assert_allclose(np.cos(after), np.cos(before), atol=1e-12)
    np.testing.assert_allclose(
        np.sin(copy["PRI_jet_leading_phi"][both] - copy["PRI_met_phi"][both]),
        np.sin(X["PRI_jet_leading_phi"][both] - X["PRI_met_phi"][both]),
        atol=1e-12,
    )
    assert Xa["PRI_jet_num"].dtype == X["PRI_jet_num"].dtype
    np.testing.assert_array_equal(y[source][: len(y)], y)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([],), {}, "at least one column"),
        ((["nope"],), {}, "'nope', which is not a column"),
        (([7],), {}, "outside the 2 columns"),
        (([0],), {"xy_columns": [(0,)]}, r"\(px, py\) pairs"),
        (([0],), {"n_copies": 0}, "'n_copies' parameter"),
    ],
)
def test_rotation_errors(args, kwargs, match):
    X = pd.DataFrame({"a": [0.1, 0.2], "b": [1.0, 2.0]})
    with pytest.raises(ValueError, match=match):
        augment_azimuthal_rotation(X, *args, **kwargs)


def test_binned_target_weights_with_negative_weights():
    # NLO samples: negative weights are fine where each bin sums positive
    y = np.array([0.5, 0.6, 0.7, 1.5, 1.6])
    sw = np.array([1.0, -0.5, 2.0, 1.0, 1.0])
    w = binned_target_weights(y, bins=[0, 1, 2], sample_weight=sw)
    np.testing.assert_allclose(w, sw * 2.25 / np.array([2.5, 2.5, 2.5, 2.0, 2.0]))
    assert w.sum() == pytest.approx(sw.sum())
    # a bin summing to zero or less cannot be balanced: named, not left as is
    sw = np.array([1.0, 1.0, 1.0, 1.0, -2.0])
    with pytest.raises(
        ValueError, match=r"bin 1 of y \(\[1, 2\]\) have weights summing to -1"
    ):
        binned_target_weights(y, bins=[0, 1, 2], sample_weight=sw)
    with pytest.raises(ValueError, match=r"sums to -1; the weights must sum"):
        binned_target_weights(y, sample_weight=[1.0, -1.0, -1.0, 0.0, 0.0])
