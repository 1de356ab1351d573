"""Four-momentum coordinate conversions, invariant and transverse masses."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
)

from .._validation import is_scalar_nan, missing_mask
from .._versions import VersionedStateMixin
from ..utils import resolve_columns
from ._stats import (
    MissingValuesMixin,
    check_output_range,
)

# Component names of each supported format, in column order.
_FORMATS = {
    "e_px_py_pz": ("e", "px", "py", "pz"),
    "px_py_pz_e": ("px", "py", "pz", "e"),
    "pt_eta_phi_m": ("pt", "eta", "phi", "m"),
    "pt_eta_phi_e": ("pt", "eta", "phi", "e"),
}

_OWNER = "FourMomentumTransformer"


def _eta(pt, pz):
    """η = asinh(pz / pT), finite also where pz / pT overflows (tiny pT).

    There η = sign(pz) · ln((|p| + |pz|) / pT) is evaluated as a difference of
    logarithms (pT = 1e-311, pz = 1 gives 716.8, not inf).

    Examples
    --------
    >>> import numpy as np
    >>> _eta(np.array([1.0, 1e-311]), np.array([1.0, -1.0])).round(4)
    array([   0.8814, -716.7971])
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        eta = np.arcsinh(pz / pt)
        huge = np.isinf(eta) & (pt > 0)
        if huge.any():
            p, z = np.hypot(pt[huge], pz[huge]), np.abs(pz[huge])
            eta[huge] = np.sign(pz[huge]) * (np.log(p + z) - np.log(pt[huge]))
    return eta


class FourMomentumTransformer(
    MissingValuesMixin, TransformerMixin, VersionedStateMixin, BaseEstimator
):
    """Convert four-momenta between (E, px, py, pz) and (pT, η, φ, m); add masses.

    Each particle is a group of columns holding its four-momentum in
    ``input_format``; the transformer replaces (or, with ``keep_input=True``,
    complements) them by the same four-momentum in ``output_format`` and can
    append the invariant mass of combinations of particles, e.g. the dimuon
    mass m_μμ of a Z candidate, and the transverse mass of pairs, e.g. m_T of
    a lepton and the missing transverse momentum. With ``output_format=None``
    only the masses are appended. Everything is vectorised numpy; the
    arithmetic is done in float64 and the output has the dtype of the input
    (a result beyond its range, e.g. pz = pT sinh(η) over 3.4e38 for float32
    input, raises a ``ValueError`` naming the output column instead of
    becoming ``inf``). The missing marker is compared after rounding to
    float32.

    Parameters
    ----------
    particles : list of sequences of int or str
        One group of columns per particle, positions or names (names need a
        DataFrame in :term:`fit`), in the component order of
        ``input_format``, e.g. ``[["mu1_E", "mu1_px", "mu1_py", "mu1_pz"],
        ...]``. Two shorter groups are accepted:

        - three columns (pT, η, φ) with ``input_format="pt_eta_phi_m"``: a
          massless particle (m = 0), as the leptons of the Higgs challenge;
        - two columns, (pT, φ) for the collider formats or (px, py) for the
          Cartesian ones: a massless *transverse* object such as the missing
          transverse momentum (MET), which has no η or pz. It can enter
          ``transverse_masses`` but not ``pair_masses``, and its output has
          only the transverse components of ``output_format``: (pT, φ) or
          (px, py).
    input_format : {"e_px_py_pz", "px_py_pz_e", "pt_eta_phi_m", \
"pt_eta_phi_e"}, default="e_px_py_pz"
        Coordinates of the input groups.
    output_format : {"e_px_py_pz", "px_py_pz_e", "pt_eta_phi_m", \
"pt_eta_phi_e"} or None, default="pt_eta_phi_m"
        Coordinates written for each particle, four columns per particle
        (two for a transverse object), named ``<name>_<component>`` with
        components ``e, px, py, pz, pt, eta, phi, m`` as in the format's
        name. ``None`` writes no per-particle columns, only the masses: with
        ``keep_input=True`` the masses are appended to the unchanged input.
        It then needs ``pair_masses`` or ``transverse_masses``.
    pair_masses : list of sequences of int or None, default=None
        Combinations of particles (positions in ``particles``, at least two
        distinct ones each, no transverse object) whose summed four-vector's
        invariant mass is appended, named ``m_<name>_<name>...``, e.g.
        ``[(0, 1)]``.
    transverse_masses : list of pairs of int or None, default=None
        Pairs of particles (two distinct positions in ``particles``) whose
        transverse mass m_T is appended, named ``mt_<name>_<name>``, e.g.
        ``[(0, 4)]`` for a lepton and MET. See Notes for the formula.
    names : list of str or None, default=None
        One unique name per particle for the output feature names;
        ``None`` gives ``p0, p1, ...``.
    keep_input : bool, default=False
        Keep the input columns of the particles in the output. With
        ``False`` they are dropped and replaced by the converted ones.
    missing_values : float, default=np.nan
        Marker of a missing value, in the input and in the output (e.g.
        ``-999.0`` for the Higgs challenge). A particle with any missing
        component is missing: its output columns, and every mass that
        involves it, are ``missing_values``. NaN is allowed in the input
        only when ``missing_values`` is NaN.
    mass_tolerance : float >= 0, default=1e-6
        Relative tolerance for rounding: a computed m² with
        ``-mass_tolerance * E² <= m² < 0`` is set to 0 (E_T² for m_T²).
    negative_mass : {"nan", "signed", "clip", "raise"}, default="nan"
        What a computed m² below ``-mass_tolerance * E²`` (an unphysical,
        space-like four-vector) becomes: undefined, i.e. ``missing_values``
        (``"nan"``, NaN by default), the signed mass ``-sqrt(-m²)`` as
        ROOT's ``TLorentzVector::M`` returns it (``"signed"``), 0
        (``"clip"``), or a ``ValueError`` in :meth:`transform` (``"raise"``).

    Attributes
    ----------
    particle_columns_ : list of ndarray of int
        Positions of each particle's input columns, in ``input_format``
        order (three entries for a massless group, two for a transverse
        object).
    particle_names_ : list of str
        Name of each particle in the output feature names.
    pair_masses_ : list of tuple of int
        The validated combinations of ``pair_masses``.
    transverse_masses_ : list of tuple of int
        The validated pairs of ``transverse_masses``.
    passthrough_columns_ : ndarray of int
        Positions of the input columns copied unchanged to the output.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    sknn_hep.preprocessing.LogShiftTransformer : Log of the steep pT and mass
        spectra this transformer produces.
    sknn_hep.preprocessing.GroupScaler : One common scale for correlated
        components such as the px, py, pz of a particle.

    Notes
    -----
    Output columns: first the input columns that pass through (those in no
    particle group, or all of them with ``keep_input=True``) in their input
    order and with their input names, then the columns of each particle in
    ``particles`` order (none with ``output_format=None``), then one column
    per entry of ``pair_masses``, then one per entry of
    ``transverse_masses``.

    Formulas (float64): pT = √(px² + py²), η = asinh(pz / pT),
    φ = atan2(py, px) in (-π, π], m² = E² - pT² - pz²; and back
    px = pT cos φ, py = pT sin φ, pz = pT sinh η, E = √(pT² cosh² η + m²).
    Components given in the input are copied, not recomputed (φ is then not
    re-wrapped, and an input m < 0 is kept). An input mass m < 0 means
    m² = -m² (ROOT's convention), and E is clipped at 0 if that makes
    E² < 0. The mass of a combination is that of the summed four-vector,
    m² = (ΣE)² - ‖Σp‖².

    The transverse mass of a pair (PDG, "Kinematics") is::

        m_T² = (E_T1 + E_T2)² - ‖p_T1 + p_T2‖²,  E_T = √(m² + pT²),

    which for massless objects (E_T = pT; always for a transverse object)
    is m_T² = 2 pT1 pT2 (1 - cos Δφ). It is evaluated in the equivalent
    form without cancellations::

        m_T² = m1² + m2² + 2 (m1² m2² + m1² pT2² + m2² pT1²)
               / (E_T1 E_T2 + pT1 pT2) + 4 pT1 pT2 sin²(Δφ / 2),

    so that a small m_T of nearly collinear objects keeps its precision. η
    does not enter: a transverse object needs none.

    Missing values:

    - A particle with any component equal to ``missing_values`` (the
      absent jets of the Higgs challenge, ``-999.0``) is missing.
    - A particle whose input columns are all exactly 0 is padding (the 4th
      jet of a 3-jet event, the empty slots of a zero-padded jet) and is
      missing too, not a source of log(0)-style garbage.
    - A missing particle's output columns and every mass that involves it
      are ``missing_values``; the other columns of the row are unchanged.
    - A particle with pT = 0 that is not padding (along the beam axis) has no
      defined direction: its η and φ are ``missing_values`` when computed.

    Columns are read, not moved: a column may appear in several groups.

    Examples
    --------
    A Z → μμ candidate: two back-to-back muons of 45.595 GeV along x.

    >>> import numpy as np
    >>> from sknn_hep.preprocessing import FourMomentumTransformer
    >>> m_mu, p = 0.1056584, 45.5938
    >>> e = np.sqrt(p**2 + m_mu**2)
    >>> X = np.array([[e, p, 0.0, 0.0, e, -p, 0.0, 0.0, 7.0]])
    >>> fm = FourMomentumTransformer(
    ...     particles=[[0, 1, 2, 3], [4, 5, 6, 7]], names=["mu1", "mu2"],
    ...     pair_masses=[(0, 1)])
    >>> Xt = fm.fit_transform(X)
    >>> fm.get_feature_names_out().tolist()
    ['x8', 'mu1_pt', 'mu1_eta', 'mu1_phi', 'mu1_m', 'mu2_pt', 'mu2_eta', \
'mu2_phi', 'mu2_m', 'm_mu1_mu2']
    >>> np.round(Xt, 4)
    array([[ 7.    , 45.5938,  0.    ,  0.    ,  0.1057, 45.5938,  0.    ,
             3.1416,  0.1057, 91.1878]])

    The Higgs challenge: massless pair masses of the tau and the lepton with
    each jet (-999 where the jet is absent) and the transverse mass of the
    tau and MET, appended to the 30 input columns.

    >>> from sknn_hep.datasets import load_higgs_challenge
    >>> X = load_higgs_challenge(n_samples=3).data
    >>> fm = FourMomentumTransformer(
    ...     particles=[
    ...         ["PRI_tau_pt", "PRI_tau_eta", "PRI_tau_phi"],
    ...         ["PRI_lep_pt", "PRI_lep_eta", "PRI_lep_phi"],
    ...         ["PRI_jet_leading_pt", "PRI_jet_leading_eta",
    ...          "PRI_jet_leading_phi"],
    ...         ["PRI_jet_subleading_pt", "PRI_jet_subleading_eta",
    ...          "PRI_jet_subleading_phi"],
    ...         ["PRI_met", "PRI_met_phi"],
    ...     ],
    ...     names=["tau", "lep", "jet1", "jet2", "met"],
    ...     input_format="pt_eta_phi_m", output_format=None, keep_input=True,
    ...     pair_masses=[(0, 2), (1, 2), (0, 3), (1, 3)],
    ...     transverse_masses=[(0, 4)], missing_values=-999.0,
    ... ).set_output(transform="pandas")
    >>> Xt = fm.fit_transform(X)
    >>> Xt.shape
    (3, 35)
    >>> Xt.iloc[:, 30:].round(2)
       m_tau_jet1  m_lep_jet1  m_tau_jet2  m_lep_jet2  mt_tau_met
    0       56.12      117.05       77.24       52.73       15.14
    1       98.78       42.61     -999.00     -999.00       45.12
    2      140.31      345.76     -999.00     -999.00        3.88
    """

    _parameter_constraints = {
        "particles": ["array-like"],
        "input_format": [StrOptions(set(_FORMATS))],
        "output_format": [StrOptions(set(_FORMATS)), None],
        "pair_masses": ["array-like", None],
        "transverse_masses": ["array-like", None],
        "names": ["array-like", None],
        "keep_input": ["boolean"],
        "missing_values": [numbers.Real],
        "mass_tolerance": [Interval(numbers.Real, 0, None, closed="left")],
        "negative_mass": [StrOptions({"nan", "signed", "clip", "raise"})],
    }

    def __init__(
        self,
        particles,
        *,
        input_format="e_px_py_pz",
        output_format="pt_eta_phi_m",
        pair_masses=None,
        transverse_masses=None,
        names=None,
        keep_input=False,
        missing_values=np.nan,
        mass_tolerance=1e-6,
        negative_mass="nan",
    ):
        self.particles = particles
        self.input_format = input_format
        self.output_format = output_format
        self.pair_masses = pair_masses
        self.transverse_masses = transverse_masses
        self.names = names
        self.keep_input = keep_input
        self.missing_values = missing_values
        self.mass_tolerance = mass_tolerance
        self.negative_mass = negative_mass

    # ------------------------------------------------------------------ fit
    def _resolve_group(self, i, group, n_features, feature_names):
        if isinstance(group, (str, bytes)) or not hasattr(group, "__len__"):
            raise ValueError(
                f"Each entry of the 'particles' parameter of {_OWNER} must be a "
                f"sequence of column positions or names. Got {group!r} for "
                f"particle {i} instead."
            )
        group = list(group)
        allowed = (2, 3, 4) if self.input_format == "pt_eta_phi_m" else (2, 4)
        if len(group) not in allowed:
            sizes = ", ".join(str(a) for a in allowed[:-1]) + f" or {allowed[-1]}"
            raise ValueError(
                f"Particle {i} in the 'particles' parameter of {_OWNER} must have "
                f"{sizes} columns for input_format={self.input_format!r}. Got "
                f"{len(group)} columns ({group!r}) instead."
            )
        cols = []
        for c in group:
            if isinstance(c, (bool, np.bool_)) or not isinstance(
                c, (numbers.Integral, str)
            ):
                raise ValueError(
                    f"Particle {i} in the 'particles' parameter of {_OWNER} must "
                    f"hold column positions (int) or names (str). Got {c!r} "
                    "instead."
                )
            if isinstance(c, numbers.Integral) and not -n_features <= c < n_features:
                raise ValueError(
                    f"Particle {i} in the 'particles' parameter of {_OWNER} uses "
                    f"column index {int(c)}, but X has {n_features} feature(s)."
                )
            cols.append(
                resolve_columns(
                    c,
                    n_features=n_features,
                    feature_names_in=feature_names,
                    param="particles",
                    owner=_OWNER,
                )[0]
            )
        return np.asarray(cols, dtype=np.intp)

    def _validate_names(self, n_particles):
        if self.names is None:
            return [f"p{i}" for i in range(n_particles)]
        names = list(self.names)
        if (
            len(names) != n_particles
            or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)
        ):
            raise ValueError(
                f"The 'names' parameter of {_OWNER} must be {n_particles} unique "
                f"strings, one per particle. Got {self.names!r} instead."
            )
        return names

    def _validate_combos(self, param, n_particles, *, exactly_two):
        value = getattr(self, param)
        if value is None:
            return []
        what = (
            "a pair of distinct particle positions"
            if exactly_two
            else "a sequence of at least two distinct particle positions"
        )
        combos = []
        for combo in value:
            ok = hasattr(combo, "__len__") and not isinstance(combo, (str, bytes))
            if ok:
                combo = tuple(combo)
                ok = (
                    (len(combo) == 2 if exactly_two else len(combo) >= 2)
                    and all(
                        isinstance(k, numbers.Integral)
                        and not isinstance(k, (bool, np.bool_))
                        and 0 <= k < n_particles
                        for k in combo
                    )
                    and len(set(combo)) == len(combo)
                )
            if not ok:
                raise ValueError(
                    f"Each entry of the '{param}' parameter of {_OWNER} must "
                    f"be {what} in range(0, {n_particles}). Got {combo!r} "
                    "instead."
                )
            combos.append(tuple(int(k) for k in combo))
        return combos

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the particle columns; nothing is learnt from the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data, missing entries marked by ``missing_values``.
        y : None
            Ignored.

        Returns
        -------
        self : FourMomentumTransformer
            The fitted transformer.
        """
        X = self._validate_X(X, reset=True)
        n_features = X.shape[1]
        feature_names = getattr(self, "feature_names_in_", None)
        particles = self.particles
        if isinstance(particles, (str, bytes)) or len(particles) == 0:
            raise ValueError(
                f"The 'particles' parameter of {_OWNER} must be a non-empty list "
                f"of column groups. Got {particles!r} instead."
            )
        self.particle_columns_ = [
            self._resolve_group(i, g, n_features, feature_names)
            for i, g in enumerate(particles)
        ]
        n_particles = len(self.particle_columns_)
        self.particle_names_ = self._validate_names(n_particles)
        self.pair_masses_ = self._validate_combos(
            "pair_masses", n_particles, exactly_two=False
        )
        for combo in self.pair_masses_:
            flat = [k for k in combo if len(self.particle_columns_[k]) == 2]
            if flat:
                raise ValueError(
                    f"The 'pair_masses' parameter of {_OWNER} cannot use particle "
                    f"{flat[0]}: it has two columns, a transverse object without "
                    "η or pz (use it in 'transverse_masses'). Got "
                    f"{combo!r} instead."
                )
        self.transverse_masses_ = self._validate_combos(
            "transverse_masses", n_particles, exactly_two=True
        )
        if self.output_format is None and not (
            self.pair_masses_ or self.transverse_masses_
        ):
            raise ValueError(
                f"{_OWNER} with output_format=None writes only masses, so the "
                "'pair_masses' or the 'transverse_masses' parameter must name at "
                f"least one combination. Got pair_masses={self.pair_masses!r} "
                f"and transverse_masses={self.transverse_masses!r} instead."
            )
        if self.keep_input:
            self.passthrough_columns_ = np.arange(n_features, dtype=np.intp)
        else:
            used = np.unique(np.concatenate(self.particle_columns_))
            self.passthrough_columns_ = np.setdiff1d(
                np.arange(n_features, dtype=np.intp), used
            )
        return self

    # ------------------------------------------------------------ transform
    def _mass(self, m2, e2, what):
        """sqrt of m² with the rounding tolerance and the negative-m² policy."""
        tol = -self.mass_tolerance * e2
        with np.errstate(invalid="ignore"):
            m = np.sqrt(np.where(m2 < 0, 0.0, m2))
            bad = m2 < tol
        if np.any(bad):
            if self.negative_mass == "raise":
                raise ValueError(
                    f"{_OWNER}: {int(bad.sum())} row(s) have m² < 0 beyond "
                    f"mass_tolerance={self.mass_tolerance} for {what} (a "
                    "space-like four-vector); use negative_mass='nan', "
                    "'signed' or 'clip' to accept them."
                )
            if self.negative_mass == "nan":
                m[bad] = np.nan
            elif self.negative_mass == "signed":
                m[bad] = -np.sqrt(-m2[bad])
        return m

    def _output_components(self, cols):
        """Components written for a particle with input columns ``cols``."""
        if self.output_format is None:
            return ()
        comps = _FORMATS[self.output_format]
        if len(cols) == 2:  # a transverse object: its transverse components
            return tuple(c for c in comps if c in ("pt", "phi", "px", "py"))
        return comps

    def _particle(self, X, cols, name):
        """Components of one particle as float64 arrays, missing ones as NaN.

        Besides the components, ``"m2"`` holds the signed m² (not rounded).
        """
        raw = X[:, cols].astype(np.float64)
        missing = np.all(raw == 0, axis=1) | np.any(
            missing_mask(raw, self.missing_values), axis=1
        )
        raw[missing] = np.nan
        # The mass is only computed when it is written, so that
        # negative_mass="raise" does not fire for a mass nobody asked for.
        need_m = "m" in self._output_components(cols)
        what = f"particle {name!r}"
        cartesian = self.input_format in ("e_px_py_pz", "px_py_pz_e")
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if len(cols) == 2:
                if cartesian:
                    q = {"px": raw[:, 0], "py": raw[:, 1]}
                    q["pt"] = np.hypot(q["px"], q["py"])
                    q["phi"] = np.where(
                        q["pt"] == 0, np.nan, np.arctan2(q["py"], q["px"])
                    )
                else:
                    q = {"pt": raw[:, 0], "phi": raw[:, 1]}
                    q["px"] = q["pt"] * np.cos(q["phi"])
                    q["py"] = q["pt"] * np.sin(q["phi"])
                q["m2"] = np.where(missing, np.nan, 0.0)
            elif cartesian:
                q = {c: raw[:, k] for k, c in enumerate(_FORMATS[self.input_format])}
                q["pt"] = np.hypot(q["px"], q["py"])
                no_dir = q["pt"] == 0
                q["eta"] = np.where(no_dir, np.nan, _eta(q["pt"], q["pz"]))
                q["phi"] = np.where(no_dir, np.nan, np.arctan2(q["py"], q["px"]))
                e2 = q["e"] ** 2
                q["m2"] = e2 - q["pt"] ** 2 - q["pz"] ** 2
                if need_m:
                    q["m"] = self._mass(q["m2"], e2, what)
            else:
                pt, eta, phi = raw[:, 0], raw[:, 1], raw[:, 2]
                q = {"pt": pt, "eta": eta, "phi": phi}
                q["px"] = pt * np.cos(phi)
                q["py"] = pt * np.sin(phi)
                q["pz"] = pt * np.sinh(eta)
                p2 = (pt * np.cosh(eta)) ** 2
                if self.input_format == "pt_eta_phi_e":
                    q["e"] = raw[:, 3]
                    e2 = q["e"] ** 2
                    q["m2"] = e2 - p2
                    if need_m:
                        q["m"] = self._mass(q["m2"], e2, what)
                else:
                    m = raw[:, 3] if raw.shape[1] == 4 else np.zeros(len(raw))
                    q["m"] = np.where(missing, np.nan, m)
                    q["m2"] = q["m"] * np.abs(q["m"])
                    q["e"] = np.sqrt(np.maximum(p2 + q["m2"], 0.0))
        return q

    def _transverse_mass(self, a, b, label):
        """m_T of two particles' component dicts, without cancellations."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            pt1, pt2 = a["pt"], b["pt"]
            m1, m2 = a["m2"], b["m2"]
            et1 = np.sqrt(np.maximum(m1 + pt1**2, 0.0))
            et2 = np.sqrt(np.maximum(m2 + pt2**2, 0.0))
            # E_T1 E_T2 - pT1 pT2 = (E_T1² E_T2² - pT1² pT2²) / (E_T1 E_T2 + pT1 pT2)
            num = m1 * m2 + m1 * pt2**2 + m2 * pt1**2
            den = et1 * et2 + pt1 * pt2
            mass_term = np.where(den == 0, 0.0, num / den)
            # pT1 pT2 (1 - cos Δφ); φ is undefined (NaN) where a pT is 0
            ptpt = pt1 * pt2
            angle = np.where(
                ptpt == 0, 0.0, 2.0 * ptpt * np.sin(0.5 * (a["phi"] - b["phi"])) ** 2
            )
            mt2 = m1 + m2 + 2.0 * mass_term + 2.0 * angle
            return self._mass(mt2, (et1 + et2) ** 2, label)

    def transform(self, X):
        """Convert the particle columns and append the requested masses.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the columns seen in fit, missing entries marked by
            ``missing_values``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Pass-through columns, then the columns of each particle in
            ``output_format``, then one column per ``pair_masses`` entry and
            one per ``transverse_masses`` entry; same dtype as ``X``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        parts = [X[:, self.passthrough_columns_].astype(np.float64)]
        quantities = []
        for cols, name in zip(self.particle_columns_, self.particle_names_):
            q = self._particle(X, cols, name)
            quantities.append(q)
            comps = self._output_components(cols)
            if comps:
                parts.append(np.column_stack([q[c] for c in comps]))
        for combo in self.pair_masses_:
            tot = {
                c: np.sum([quantities[k][c] for k in combo], axis=0)
                for c in ("e", "px", "py", "pz")
            }
            e2 = tot["e"] ** 2
            m2 = e2 - tot["px"] ** 2 - tot["py"] ** 2 - tot["pz"] ** 2
            label = "m_" + "_".join(self.particle_names_[k] for k in combo)
            parts.append(self._mass(m2, e2, label)[:, None])
        for i, j in self.transverse_masses_:
            label = f"mt_{self.particle_names_[i]}_{self.particle_names_[j]}"
            mt = self._transverse_mass(quantities[i], quantities[j], label)
            parts.append(mt[:, None])
        out = np.hstack(parts)
        check_output_range(
            out,
            X.dtype,
            owner="FourMomentumTransformer.transform",
            feature_names=self.get_feature_names_out(),
        )
        if not is_scalar_nan(self.missing_values):
            # the input holds no NaN then: every NaN is an undefined output
            out[np.isnan(out)] = self.missing_values
        return out.astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            Pass-through names, ``<name>_<component>`` per particle,
            ``m_<name>_<name>...`` per combination, then ``mt_<name>_<name>``
            per transverse pair.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        names = [str(input_features[i]) for i in self.passthrough_columns_]
        for cols, name in zip(self.particle_columns_, self.particle_names_):
            names.extend(f"{name}_{c}" for c in self._output_components(cols))
        for combo in self.pair_masses_:
            names.append("m_" + "_".join(self.particle_names_[k] for k in combo))
        for i, j in self.transverse_masses_:
            names.append(f"mt_{self.particle_names_[i]}_{self.particle_names_[j]}")
        return np.asarray(names, dtype=object)
