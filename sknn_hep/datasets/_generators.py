"""Generators of simulated particle-physics data sets (pure numpy, vectorised).

The kinematics is exact special relativity: two-body decays in the rest frame
of the parent, Lorentz boosts to the laboratory and, for jets, massless
constituents drawn from flat n-body phase space (the RAMBO algorithm), so that
invariant masses of the generated objects are those put in.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy.stats import truncnorm
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

Z_MASS = 91.1876
Z_WIDTH = 2.4952
MUON_MASS = 0.1056583755
TOP_MASS = 173.0
TOP_WIDTH = 1.42
W_MASS = 80.379
W_WIDTH = 2.085

_ZMUMU_PER_MUON = ("pt", "eta", "phi", "E", "px", "py", "pz", "charge")
_ZMUMU_PAIR = ("m_mumu", "pt_mumu", "y_mumu")
# mean number of constituents per prong beyond the minimum of two
_PRONG_MULTIPLICITY = 14.0


# --------------------------------------------------------------------------
# kinematics helpers (all vectorised over leading axes)
# --------------------------------------------------------------------------
def _check_range(value, name, owner, *, low=-np.inf):
    """Validate a ``(min, max)`` pair with ``low <= min < max < inf``."""
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
        and low <= value[0] < value[1] < np.inf
    )
    if not ok:
        raise ValueError(
            f"The '{name}' parameter of {owner} must be a pair (min, max) of "
            f"finite numbers with {low} <= min < max. Got {value!r} instead."
        )
    return float(value[0]), float(value[1])


def _breit_wigner(rng, mass, width, low, high, size):
    """Relativistic Breit-Wigner masses, truncated to ``[low, high]``.

    The density in s = m² is 1 / ((s - M²)² + M² Γ²), sampled by inverting its
    cumulative distribution (an arctangent).
    """
    mg = mass * width
    a_lo = np.arctan((low**2 - mass**2) / mg)
    a_hi = np.arctan((high**2 - mass**2) / mg)
    s = mass**2 + mg * np.tan(rng.uniform(a_lo, a_hi, size))
    return np.sqrt(s)


def _unit_vectors(cos_theta, phi):
    sin_theta = np.sqrt(np.clip(1.0 - cos_theta**2, 0.0, None))
    return np.stack(
        [sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1
    )


def _two_body(mass, m1, m2, direction):
    """Rest-frame four-momenta of a two-body decay along ``direction``."""
    lam = (mass**2 - (m1 + m2) ** 2) * (mass**2 - (m1 - m2) ** 2)
    p = np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * mass)
    e1 = np.sqrt(p**2 + m1**2)
    e2 = np.sqrt(p**2 + m2**2)
    p3 = p[..., None] * direction
    return (
        np.concatenate([e1[..., None], p3], axis=-1),
        np.concatenate([e2[..., None], -p3], axis=-1),
    )


def _boost(p4, parent):
    """Boost ``p4`` from the rest frame of ``parent`` (E, px, py, pz) to the lab.

    ``parent`` broadcasts against ``p4`` (leading axes).
    """
    beta = parent[..., 1:] / parent[..., :1]
    b2 = np.sum(beta**2, axis=-1, keepdims=True)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p4[..., 1:], axis=-1, keepdims=True)
    coef = np.where(b2 > 0, (gamma - 1.0) / np.where(b2 > 0, b2, 1.0), 0.0)
    energy = gamma * (p4[..., :1] + bp)
    p3 = p4[..., 1:] + (coef * bp + gamma * p4[..., :1]) * beta
    return np.concatenate([energy, p3], axis=-1)


def _collider_to_cartesian(pt, eta, phi, mass):
    pz = pt * np.sinh(eta)
    energy = np.sqrt(pt**2 + pz**2 + mass**2)
    return np.stack([energy, pt * np.cos(phi), pt * np.sin(phi), pz], axis=-1)


def _rambo(rng, mass, counts, k_max):
    """Massless momenta from flat phase space, summing to (mass, 0, 0, 0).

    Parameters
    ----------
    mass : ndarray of shape (n,)
    counts : ndarray of int of shape (n,), each >= 2
    k_max : int

    Returns
    -------
    p4 : ndarray of shape (n, k_max, 4); rows ``>= counts`` are exactly zero.
    """
    n = mass.shape[0]
    used = np.arange(k_max)[None, :] < counts[:, None]
    q0 = -np.log(rng.uniform(size=(n, k_max)) * rng.uniform(size=(n, k_max)))
    q0 = np.where(used, q0, 0.0)
    q3 = q0[..., None] * _unit_vectors(
        rng.uniform(-1.0, 1.0, (n, k_max)), rng.uniform(0.0, 2 * np.pi, (n, k_max))
    )
    big_q0 = q0.sum(axis=1)
    big_q3 = q3.sum(axis=1)
    big_m = np.sqrt(big_q0**2 - np.sum(big_q3**2, axis=-1))
    b = -big_q3 / big_m[:, None]
    gamma = big_q0 / big_m
    a = 1.0 / (1.0 + gamma)
    x = mass / big_m
    bq = np.sum(b[:, None, :] * q3, axis=-1)
    energy = x[:, None] * (gamma[:, None] * q0 + bq)
    p3 = x[:, None, None] * (
        q3 + b[:, None, :] * q0[..., None] + (a[:, None] * bq)[..., None] * b[:, None]
    )
    p4 = np.concatenate([energy[..., None], p3], axis=-1)
    return np.where(used[..., None], p4, 0.0)


def _fragment(rng, prong, prong_mass):
    """Split massive prongs (lab four-momenta) into 2 + Poisson massless ones."""
    counts = 2 + rng.poisson(_PRONG_MULTIPLICITY, prong.shape[0])
    k_max = int(counts.max())
    rest = _rambo(rng, prong_mass, counts, k_max)
    lab = _boost(rest, prong[:, None, :])
    used = np.arange(k_max)[None, :] < counts[:, None]
    return np.where(used[..., None], lab, 0.0)


# --------------------------------------------------------------------------
# make_four_momenta
# --------------------------------------------------------------------------
@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "mass_range": [tuple, list],
        "pt_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        "eta_max": [Interval(numbers.Real, 0, None, closed="neither")],
        "representation": [StrOptions({"cartesian", "collider"})],
        "as_frame": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_four_momenta(
    n_samples=1000,
    *,
    mass_range=(0.0, 200.0),
    pt_scale=50.0,
    eta_max=2.5,
    representation="cartesian",
    as_frame=False,
    random_state=None,
):
    """Random particle four-momenta with the particle's mass as target.

    The lectures' mass-regression exercise: a network learns
    m = √(E² − ‖p‖²) from the four-vector.

    Parameters
    ----------
    n_samples : int >= 1, default=1000
        Number of particles.
    mass_range : (float, float), default=(0.0, 200.0)
        Masses are uniform in ``[min, max)`` GeV, ``0 <= min < max``.
    pt_scale : float > 0, default=50.0
        Transverse momenta are exponential with this mean, in GeV.
    eta_max : float > 0, default=2.5
        Pseudorapidities are uniform in ``[-eta_max, eta_max]``; azimuths are
        uniform in ``[-π, π)``.
    representation : {"cartesian", "collider"}, default="cartesian"
        ``"cartesian"`` gives the columns ``E, px, py, pz``; ``"collider"``
        gives ``pt, eta, phi, E``. The mass is the target and so never one of
        the features.
    as_frame : bool, default=False
        Return ``X`` as a DataFrame with the column names above and ``y`` as
        a Series named ``"m"``.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, 4)
        Four-momentum components in GeV (angles in radians).
    y : ndarray or Series of shape (n_samples,)
        Mass in GeV.

    See Also
    --------
    sknn_hep.preprocessing.FourMomentumTransformer : Convert between the two
        representations.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.datasets import make_four_momenta
    >>> X, y = make_four_momenta(5, random_state=0)
    >>> X.shape, y.shape
    ((5, 4), (5,))
    >>> E, px, py, pz = X.T
    >>> bool(np.allclose(np.sqrt(E**2 - px**2 - py**2 - pz**2), y))
    True
    >>> make_four_momenta(3, representation="collider", as_frame=True,
    ...                   random_state=0)[0].columns.tolist()
    ['pt', 'eta', 'phi', 'E']
    """
    m_lo, m_hi = _check_range(mass_range, "mass_range", "make_four_momenta", low=0.0)
    rng = check_random_state(random_state)
    mass = rng.uniform(m_lo, m_hi, n_samples)
    pt = rng.exponential(pt_scale, n_samples)
    eta = rng.uniform(-eta_max, eta_max, n_samples)
    phi = rng.uniform(-np.pi, np.pi, n_samples)
    p4 = _collider_to_cartesian(pt, eta, phi, mass)
    if representation == "cartesian":
        X, names = p4, ["E", "px", "py", "pz"]
    else:
        X, names = np.stack([pt, eta, phi, p4[:, 0]], axis=1), ["pt", "eta", "phi", "E"]
    if as_frame:
        return pd.DataFrame(X, columns=names), pd.Series(mass, name="m")
    return X, mass


# --------------------------------------------------------------------------
# make_zmumu
# --------------------------------------------------------------------------
def _dimuon_events(rng, mass, n):
    """Boosted Z/γ* → μ⁺μ⁻ decays for given dimuon masses."""
    # Z (or γ*) transverse momentum: Gamma(1.6, 7 GeV), mean ≈ 11 GeV as at the
    # LHC; rapidity Gaussian with σ = 1.8 truncated to |y| < 4; azimuth uniform.
    pt = rng.gamma(1.6, 7.0, n)
    rapidity = truncnorm.rvs(-4.0 / 1.8, 4.0 / 1.8, scale=1.8, size=n, random_state=rng)
    phi = rng.uniform(-np.pi, np.pi, n)
    mt = np.sqrt(mass**2 + pt**2)
    parent = np.stack(
        [
            mt * np.cosh(rapidity),
            pt * np.cos(phi),
            pt * np.sin(phi),
            mt * np.sinh(rapidity),
        ],
        axis=1,
    )
    # Decay angle: dN/dcosθ ∝ 1 + cos²θ (vector boson into fermions), sampled
    # by solving the cubic CDF c³ + 3c + 4 - 8u = 0 (Cardano, one real root).
    q = 4.0 - 8.0 * rng.uniform(size=n)
    disc = np.sqrt(q**2 / 4.0 + 1.0)
    cos_theta = np.cbrt(-q / 2.0 + disc) + np.cbrt(-q / 2.0 - disc)
    direction = _unit_vectors(cos_theta, rng.uniform(0.0, 2 * np.pi, n))
    mu_minus, mu_plus = _two_body(mass, np.full(n, MUON_MASS), MUON_MASS, direction)
    mu_minus = _boost(mu_minus, parent)
    mu_plus = _boost(mu_plus, parent)
    return mu_minus, mu_plus


def _muon_columns(p4, charge):
    px, py, pz = p4[:, 1], p4[:, 2], p4[:, 3]
    pt = np.hypot(px, py)
    energy = np.sqrt(px**2 + py**2 + pz**2 + MUON_MASS**2)
    return [pt, np.arcsinh(pz / pt), np.arctan2(py, px), energy, px, py, pz, charge]


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "background_fraction": [Interval(numbers.Real, 0, 1, closed="both")],
        "mass_range": [tuple, list],
        "as_frame": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_zmumu(
    n_samples=1000,
    *,
    background_fraction=0.5,
    mass_range=(60.0, 120.0),
    as_frame=False,
    random_state=None,
):
    r"""Simulated pp → Z → μ⁺μ⁻ events against a Drell–Yan continuum.

    Signal (label 1): the dimuon mass follows a relativistic Breit–Wigner with
    m_Z = 91.1876 GeV and Γ_Z = 2.4952 GeV. Background (label 0): the γ*
    continuum, a falling spectrum dN/dm ∝ m⁻³. For both, the dimuon system gets
    a transverse momentum (Gamma distribution with mean ≈ 11 GeV) and a
    rapidity (Gaussian, σ = 1.8, truncated to \|y\| < 4); it decays into two
    muons (m_μ = 0.10566 GeV) with dN/dcosθ* ∝ 1 + cos²θ* in its rest frame,
    boosted to the laboratory. There is no detector smearing and no acceptance
    cut: the muon four-vectors are the true ones, and forward muons (large
    \|η\|, small pT) are kept; select e.g. ``mu2_pt > 20`` and \|η\| < 2.4 for
    a detector-like sample.

    Parameters
    ----------
    n_samples : int >= 1, default=1000
        Number of events.
    background_fraction : float in [0, 1], default=0.5
        Fraction of background events (rounded to an integer count); events
        are in random order.
    mass_range : (float, float), default=(60.0, 120.0)
        Dimuon mass window in GeV (both processes are generated inside it),
        with ``2 m_μ < min < max``.
    as_frame : bool, default=False
        Return ``X`` as a DataFrame with the column names below and ``y`` as
        a Series named ``"is_signal"``.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, 19)
        Per muon (``mu1`` the leading, ``mu2`` the subleading in pT):
        ``pt, eta, phi, E, px, py, pz, charge`` (GeV, radians, ±1), named
        ``mu1_pt ... mu2_charge``; then the pair: ``m_mumu``, ``pt_mumu``
        (GeV) and ``y_mumu`` (rapidity).
    y : ndarray or Series of shape (n_samples,)
        1 for Z, 0 for background.

    See Also
    --------
    sknn_hep.preprocessing.GroupScaler : One scale for the correlated
        momentum components of each muon.
    sknn_hep.preprocessing.LogShiftTransformer : For the steep pT spectra.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.datasets import make_zmumu
    >>> X, y = make_zmumu(2000, random_state=0, as_frame=True)
    >>> X.shape
    (2000, 19)
    >>> round(float(np.median(X["m_mumu"][y == 1])), 0)
    91.0
    >>> int(y.sum())
    1000
    """
    m_lo, m_hi = _check_range(mass_range, "mass_range", "make_zmumu", low=0.0)
    if m_lo <= 2 * MUON_MASS:
        raise ValueError(
            "The 'mass_range' parameter of make_zmumu must start above twice the "
            f"muon mass ({2 * MUON_MASS:.4f} GeV). Got {mass_range!r} instead."
        )
    rng = check_random_state(random_state)
    n_bkg = int(round(background_fraction * n_samples))
    n_sig = n_samples - n_bkg
    signal_mass = _breit_wigner(rng, Z_MASS, Z_WIDTH, m_lo, m_hi, n_sig)
    # m^-3 between m_lo and m_hi by inverting the CDF of m^-3
    u = rng.uniform(size=n_bkg)
    bkg_mass = (m_lo**-2 - u * (m_lo**-2 - m_hi**-2)) ** -0.5
    mass = np.concatenate([signal_mass, bkg_mass])
    y = np.concatenate([np.ones(n_sig, np.int64), np.zeros(n_bkg, np.int64)])
    order = rng.permutation(n_samples)
    mass, y = mass[order], y[order]

    mu_minus, mu_plus = _dimuon_events(rng, mass, n_samples)
    minus_leads = np.hypot(mu_minus[:, 1], mu_minus[:, 2]) >= np.hypot(
        mu_plus[:, 1], mu_plus[:, 2]
    )
    lead = np.where(minus_leads[:, None], mu_minus, mu_plus)
    sub = np.where(minus_leads[:, None], mu_plus, mu_minus)
    lead_q = np.where(minus_leads, -1.0, 1.0)
    pair = mu_minus + mu_plus
    pair_pt = np.hypot(pair[:, 1], pair[:, 2])
    pair_m = np.sqrt(
        np.clip(pair[:, 0] ** 2 - np.sum(pair[:, 1:] ** 2, axis=1), 0, None)
    )
    pair_y = 0.5 * np.log((pair[:, 0] + pair[:, 3]) / (pair[:, 0] - pair[:, 3]))
    X = np.column_stack(
        _muon_columns(lead, lead_q)
        + _muon_columns(sub, -lead_q)
        + [pair_m, pair_pt, pair_y]
    )
    if as_frame:
        names = [f"{mu}_{c}" for mu in ("mu1", "mu2") for c in _ZMUMU_PER_MUON]
        return (
            pd.DataFrame(X, columns=names + list(_ZMUMU_PAIR)),
            pd.Series(y, name="is_signal"),
        )
    return X, y


# --------------------------------------------------------------------------
# make_top_jets
# --------------------------------------------------------------------------
@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_constituents": [Interval(numbers.Integral, 1, None, closed="left")],
        "signal_fraction": [Interval(numbers.Real, 0, 1, closed="both")],
        "pt_range": [tuple, list],
        "eta_max": [Interval(numbers.Real, 0, None, closed="left")],
        "jet_radius": [Interval(numbers.Real, 0, None, closed="neither")],
        "as_frame": ["boolean"],
        "return_prongs": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_top_jets(
    n_samples=1000,
    n_constituents=200,
    *,
    signal_fraction=0.5,
    pt_range=(550.0, 650.0),
    eta_max=2.0,
    jet_radius=0.8,
    as_frame=False,
    return_prongs=False,
    random_state=None,
):
    """Simulated boosted top-quark jets against QCD jets, as constituent lists.

    The lectures' top-tagging exercise, in the layout of the public
    top-tagging data set: per jet up to ``n_constituents`` massless
    constituent four-vectors ``E_i, PX_i, PY_i, PZ_i``, sorted by decreasing
    pT and zero-padded, a label ``is_signal_new`` and the true top
    four-vector ``truthE, truthPX, truthPY, truthPZ``.

    - Top (label 1): t → bW → bqq′ with Breit–Wigner masses (m_t = 173 GeV,
      Γ_t = 1.42 GeV; m_W = 80.379 GeV, Γ_W = 2.085 GeV), isotropic two-body
      decays boosted to the laboratory. Each of the three prongs gets a small
      mass (b: 5–15 GeV, light quarks: 2–10 GeV) and is fragmented into
      2 + Poisson(14) massless constituents drawn from flat phase space in the
      prong's rest frame; so the summed constituents of a prong, of the W and
      of the top have exactly the generated masses.
    - QCD (label 0): a jet of mass 20 GeV + Exponential(40 GeV) (a falling
      spectrum) that splits into one hard prong (mass 2–10 GeV) carrying most
      of the momentum and one soft prong (1–5 GeV), each fragmented as above.
      The truth columns are NaN.

    The jet (top or QCD) has pT uniform in ``pt_range``, η uniform in
    ``[-eta_max, eta_max]`` and a uniform azimuth. Constituents farther than
    ``jet_radius`` in ΔR = √(Δη² + Δφ²) from the jet's (top's) direction are
    dropped, as a jet algorithm would, so a few top jets lose a prong; then
    only the ``n_constituents`` hardest are kept.

    Parameters
    ----------
    n_samples : int >= 1, default=1000
        Number of jets.
    n_constituents : int >= 1, default=200
        Number of constituent slots per jet (the public data set has 200).
    signal_fraction : float in [0, 1], default=0.5
        Fraction of top jets (rounded to an integer count); jets are in random
        order.
    pt_range : (float, float), default=(550.0, 650.0)
        Jet transverse momentum range in GeV (the public data set's).
    eta_max : float >= 0, default=2.0
        Largest jet pseudorapidity.
    jet_radius : float > 0, default=0.8
        Jet radius R.
    as_frame : bool, default=False
        Return DataFrames and a Series with the column names above.
    return_prongs : bool, default=False
        Also return, per constituent slot, the prong it comes from: for top
        jets 0 = b, 1 = q, 2 = q′ (1 and 2 come from the W); for QCD jets
        0 = hard, 1 = soft; -1 for an empty slot.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, 4 * n_constituents)
        Columns ``E_0, PX_0, PY_0, PZ_0, E_1, ...`` in GeV; empty slots are
        exactly 0.
    y : ndarray or Series of shape (n_samples,)
        1 for top, 0 for QCD (Series name ``"is_signal_new"``).
    truth : ndarray or DataFrame of shape (n_samples, 4)
        ``truthE, truthPX, truthPY, truthPZ`` of the top quark; NaN for QCD.
    prongs : ndarray of int of shape (n_samples, n_constituents)
        Only with ``return_prongs=True``.

    See Also
    --------
    sknn_hep.datasets.read_hdf5 : Read the public top-tagging files, which
        have the same columns.
    sknn_hep.preprocessing.FourMomentumTransformer : Per-constituent
        (pT, η, φ) or jet masses from these columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.datasets import make_top_jets
    >>> X, y, truth = make_top_jets(200, n_constituents=100, random_state=0)
    >>> X.shape, truth.shape
    ((200, 400), (200, 4))
    >>> jet = X.reshape(200, 100, 4).sum(axis=1)
    >>> mass = np.sqrt(jet[:, 0]**2 - (jet[:, 1:]**2).sum(axis=1))
    >>> bool(abs(np.median(mass[y == 1]) - 173) < 10)
    True
    >>> bool(np.isnan(truth[y == 0]).all())
    True
    """
    pt_lo, pt_hi = _check_range(pt_range, "pt_range", "make_top_jets", low=0.0)
    if pt_lo <= 0:
        raise ValueError(
            "The 'pt_range' parameter of make_top_jets must be a pair (min, max) "
            f"with 0 < min < max. Got {pt_range!r} instead."
        )
    rng = check_random_state(random_state)
    n_sig = int(round(signal_fraction * n_samples))
    n_bkg = n_samples - n_sig
    y = np.concatenate([np.ones(n_sig, np.int64), np.zeros(n_bkg, np.int64)])
    y = y[rng.permutation(n_samples)]
    sig = y == 1

    pt = rng.uniform(pt_lo, pt_hi, n_samples)
    eta = rng.uniform(-eta_max, eta_max, n_samples)
    phi = rng.uniform(-np.pi, np.pi, n_samples)

    parts = []
    truth = np.full((n_samples, 4), np.nan)

    if n_sig:
        m_top = _breit_wigner(rng, TOP_MASS, TOP_WIDTH, 150.0, 200.0, n_sig)
        top = _collider_to_cartesian(pt[sig], eta[sig], phi[sig], m_top)
        truth[sig] = top
        m_b = rng.uniform(5.0, 15.0, n_sig)
        m_q1 = rng.uniform(2.0, 10.0, n_sig)
        m_q2 = rng.uniform(2.0, 10.0, n_sig)
        m_w = _breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, n_sig)
        d1 = _unit_vectors(rng.uniform(-1, 1, n_sig), rng.uniform(0, 2 * np.pi, n_sig))
        b_rest, w_rest = _two_body(m_top, m_b, m_w, d1)
        b_lab, w_lab = _boost(b_rest, top), _boost(w_rest, top)
        d2 = _unit_vectors(rng.uniform(-1, 1, n_sig), rng.uniform(0, 2 * np.pi, n_sig))
        q1_rest, q2_rest = _two_body(m_w, m_q1, m_q2, d2)
        q1_lab, q2_lab = _boost(q1_rest, w_lab), _boost(q2_rest, w_lab)
        sig_parts = [
            _fragment(rng, prong, mass)
            for prong, mass in ((b_lab, m_b), (q1_lab, m_q1), (q2_lab, m_q2))
        ]
        parts.append((sig, sig_parts))

    if n_bkg:
        bkg = ~sig
        m_jet = 20.0 + rng.exponential(40.0, n_bkg)
        jet = _collider_to_cartesian(pt[bkg], eta[bkg], phi[bkg], m_jet)
        m_hard = rng.uniform(2.0, 10.0, n_bkg)
        m_soft = rng.uniform(1.0, 5.0, n_bkg)
        # hard prong along the jet's flight direction: cosθ* = 1 - 2u³
        # (in the jet's rest frame, relative to its momentum)
        axis = jet[:, 1:] / np.linalg.norm(jet[:, 1:], axis=1, keepdims=True)
        cos_t = 1.0 - 2.0 * rng.uniform(size=n_bkg) ** 3
        local = _unit_vectors(cos_t, rng.uniform(0, 2 * np.pi, n_bkg))
        direction = _rotate_z_to(local, axis)
        hard_rest, soft_rest = _two_body(m_jet, m_hard, m_soft, direction)
        hard_lab, soft_lab = _boost(hard_rest, jet), _boost(soft_rest, jet)
        bkg_parts = [
            _fragment(rng, prong, mass)
            for prong, mass in ((hard_lab, m_hard), (soft_lab, m_soft))
        ]
        parts.append((bkg, bkg_parts))

    # gather the constituents of each jet: (n_samples, slots, 4)
    slots = max(sum(p.shape[1] for p in prong_parts) for _, prong_parts in parts)
    const = np.zeros((n_samples, slots, 4))
    prong = np.full((n_samples, slots), -1, dtype=np.int64)
    for rows, prong_parts in parts:
        start = 0
        for i, p4 in enumerate(prong_parts):
            stop = start + p4.shape[1]
            const[rows, start:stop] = p4
            prong[rows, start:stop] = np.where(p4[..., 0] > 0, i, -1)
            start = stop

    # jet-radius cut around the jet axis, then sort by pT and truncate
    c_pt = np.hypot(const[..., 1], const[..., 2])
    present = prong >= 0
    safe_pt = np.where(present, c_pt, 1.0)
    c_eta = np.arcsinh(const[..., 3] / safe_pt)
    c_phi = np.arctan2(const[..., 2], const[..., 1])
    d_phi = (c_phi - phi[:, None] + np.pi) % (2 * np.pi) - np.pi
    inside = present & ((c_eta - eta[:, None]) ** 2 + d_phi**2 <= jet_radius**2)
    key = np.where(inside, c_pt, -1.0)
    order = np.argsort(-key, axis=1, kind="stable")[:, :n_constituents]
    const = np.take_along_axis(const, order[..., None], axis=1)
    keep = np.take_along_axis(inside, order, axis=1)
    prong = np.where(keep, np.take_along_axis(prong, order, axis=1), -1)
    const = np.where(keep[..., None], const, 0.0)
    if const.shape[1] < n_constituents:
        pad = n_constituents - const.shape[1]
        const = np.concatenate([const, np.zeros((n_samples, pad, 4))], axis=1)
        prong = np.concatenate(
            [prong, np.full((n_samples, pad), -1, dtype=np.int64)], axis=1
        )
    X = const.reshape(n_samples, 4 * n_constituents)

    if as_frame:
        names = [
            f"{c}_{i}" for i in range(n_constituents) for c in ("E", "PX", "PY", "PZ")
        ]
        X = pd.DataFrame(X, columns=names)
        truth = pd.DataFrame(truth, columns=["truthE", "truthPX", "truthPY", "truthPZ"])
        y = pd.Series(y, name="is_signal_new")
    if return_prongs:
        return X, y, truth, prong
    return X, y, truth


def _rotate_z_to(vectors, axis):
    """Rotate ``vectors`` (given relative to +z) so that +z points along ``axis``."""
    # orthonormal basis (e1, e2, axis)
    helper = np.where(
        np.abs(axis[:, 2:3]) < 0.9, np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    )
    e1 = np.cross(helper, axis)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(axis, e1)
    return vectors[:, :1] * e1 + vectors[:, 1:2] * e2 + vectors[:, 2:3] * axis
