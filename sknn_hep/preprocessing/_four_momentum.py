"""Convert per-particle four-momenta between Cartesian and collider coordinates."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
)

from .._versions import VersionedStateMixin
from ..utils import resolve_columns, validate_inputs

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


class FourMomentumTransformer(TransformerMixin, VersionedStateMixin, BaseEstimator):
    """Convert particle four-momenta between (E, px, py, pz) and (pT, η, φ, m).

    Each particle is a group of columns holding its four-momentum in
    ``input_format``; the transformer replaces (or, with ``keep_input=True``,
    complements) them by the same four-momentum in ``output_format`` and can
    append the invariant mass of combinations of particles, e.g. the dimuon
    mass m_μμ of a Z candidate. Everything is vectorised numpy; the arithmetic
    is done in float64 and the output has the dtype of the input.

    Parameters
    ----------
    particles : list of sequences of int or str
        One group of columns per particle, positions or names (names need a
        DataFrame in :term:`fit`), in the component order of
        ``input_format``, e.g. ``[["mu1_E", "mu1_px", "mu1_py", "mu1_pz"],
        ...]``. With ``input_format="pt_eta_phi_m"`` a group may also have
        three columns (pT, η, φ): the particle is then taken as massless
        (m = 0), as for the leptons of the Higgs challenge.
    input_format : {"e_px_py_pz", "px_py_pz_e", "pt_eta_phi_m", \
"pt_eta_phi_e"}, default="e_px_py_pz"
        Coordinates of the input groups.
    output_format : {"e_px_py_pz", "px_py_pz_e", "pt_eta_phi_m", \
"pt_eta_phi_e"}, default="pt_eta_phi_m"
        Coordinates written for each particle, four columns per particle,
        named ``<name>_<component>`` with components ``e, px, py, pz, pt,
        eta, phi, m`` as in the format's name.
    pair_masses : list of sequences of int or None, default=None
        Combinations of particles (positions in ``particles``, at least two
        distinct ones each) whose summed four-vector's invariant mass is
        appended, named ``m_<name>_<name>...``, e.g. ``[(0, 1)]``.
    names : list of str or None, default=None
        One unique name per particle for the output feature names;
        ``None`` gives ``p0, p1, ...``.
    keep_input : bool, default=False
        Keep the input columns of the particles in the output. With
        ``False`` they are dropped and replaced by the converted ones.
    mass_tolerance : float >= 0, default=1e-6
        Relative tolerance for rounding: a computed m² with
        ``-mass_tolerance * E² <= m² < 0`` is set to 0.
    negative_mass : {"nan", "signed", "clip", "raise"}, default="nan"
        What a computed m² below ``-mass_tolerance * E²`` (an unphysical,
        space-like four-vector) becomes: NaN (``"nan"``), the signed mass
        ``-sqrt(-m²)`` as ROOT's ``TLorentzVector::M`` returns it
        (``"signed"``), 0 (``"clip"``), or a ``ValueError`` in
        :meth:`transform` (``"raise"``).

    Attributes
    ----------
    particle_columns_ : list of ndarray of int
        Positions of each particle's input columns, in ``input_format``
        order (three entries for a massless group).
    particle_names_ : list of str
        Name of each particle in the output feature names.
    pair_masses_ : list of tuple of int
        The validated combinations of ``pair_masses``.
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
    order and with their input names, then four columns per particle in
    ``particles`` order, then one column per entry of ``pair_masses``.

    Formulas (float64): pT = √(px² + py²), η = asinh(pz / pT),
    φ = atan2(py, px) in (-π, π], m² = E² - pT² - pz²; and back
    px = pT cos φ, py = pT sin φ, pz = pT sinh η, E = √(pT² cosh² η + m²).
    Components given in the input are copied, not recomputed (φ is then not
    re-wrapped, and an input m < 0 is kept). An input mass m < 0 means
    m² = -m² (ROOT's convention), and E is clipped at 0 if that makes
    E² < 0.

    Missing values:

    - A particle whose input columns are all exactly 0 is padding (the 4th
      jet of a 3-jet event, the empty slots of a zero-padded jet): all its
      output columns are NaN, not log(0)-style garbage, and so is every pair
      mass that involves it.
    - A particle with pT = 0 that is not padding (along the beam axis) has no
      defined direction: its η and φ are NaN when they are computed.
    - NaN in the input propagates to the quantities that depend on it.
      Replace other missing markers (e.g. ``-999.0``) by NaN first.

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
    """

    _parameter_constraints = {
        "particles": ["array-like"],
        "input_format": [StrOptions(set(_FORMATS))],
        "output_format": [StrOptions(set(_FORMATS))],
        "pair_masses": ["array-like", None],
        "names": ["array-like", None],
        "keep_input": ["boolean"],
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
        names=None,
        keep_input=False,
        mass_tolerance=1e-6,
        negative_mass="nan",
    ):
        self.particles = particles
        self.input_format = input_format
        self.output_format = output_format
        self.pair_masses = pair_masses
        self.names = names
        self.keep_input = keep_input
        self.mass_tolerance = mass_tolerance
        self.negative_mass = negative_mass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ fit
    def _resolve_group(self, i, group, n_features, feature_names):
        if isinstance(group, (str, bytes)) or not hasattr(group, "__len__"):
            raise ValueError(
                f"Each entry of the 'particles' parameter of {_OWNER} must be a "
                f"sequence of column positions or names. Got {group!r} for "
                f"particle {i} instead."
            )
        group = list(group)
        allowed = (3, 4) if self.input_format == "pt_eta_phi_m" else (4,)
        if len(group) not in allowed:
            sizes = " or ".join(str(a) for a in allowed)
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

    def _validate_pairs(self, n_particles):
        if self.pair_masses is None:
            return []
        pairs = []
        for combo in self.pair_masses:
            ok = hasattr(combo, "__len__") and not isinstance(combo, (str, bytes))
            if ok:
                combo = tuple(combo)
                ok = (
                    len(combo) >= 2
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
                    f"Each entry of the 'pair_masses' parameter of {_OWNER} must "
                    "be a sequence of at least two distinct particle positions "
                    f"in range(0, {n_particles}). Got {combo!r} instead."
                )
            pairs.append(tuple(int(k) for k in combo))
        return pairs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the particle columns; nothing is learnt from the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data (NaN allowed).
        y : None
            Ignored.

        Returns
        -------
        self : FourMomentumTransformer
            The fitted transformer.
        """
        X = validate_inputs(
            self,
            X,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
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
        self.pair_masses_ = self._validate_pairs(n_particles)
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

    def _particle(self, X, cols, name):
        """All components of one particle as float64 arrays, padding as NaN."""
        raw = X[:, cols].astype(np.float64)
        padded = np.all(raw == 0, axis=1)
        # The mass is only computed when it is written, so that
        # negative_mass="raise" does not fire for a mass nobody asked for.
        need_m = "m" in _FORMATS[self.output_format]
        what = f"particle {name!r}"
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.input_format in ("e_px_py_pz", "px_py_pz_e"):
                q = {c: raw[:, k] for k, c in enumerate(_FORMATS[self.input_format])}
                q["pt"] = np.hypot(q["px"], q["py"])
                no_dir = q["pt"] == 0
                q["eta"] = np.where(no_dir, np.nan, _eta(q["pt"], q["pz"]))
                q["phi"] = np.where(no_dir, np.nan, np.arctan2(q["py"], q["px"]))
                if need_m:
                    e2 = q["e"] ** 2
                    q["m"] = self._mass(e2 - q["pt"] ** 2 - q["pz"] ** 2, e2, what)
            else:
                pt, eta, phi = raw[:, 0], raw[:, 1], raw[:, 2]
                q = {"pt": pt, "eta": eta, "phi": phi}
                q["px"] = pt * np.cos(phi)
                q["py"] = pt * np.sin(phi)
                q["pz"] = pt * np.sinh(eta)
                p2 = (pt * np.cosh(eta)) ** 2
                if self.input_format == "pt_eta_phi_e":
                    q["e"] = raw[:, 3]
                    if need_m:
                        e2 = q["e"] ** 2
                        q["m"] = self._mass(e2 - p2, e2, what)
                else:
                    m = raw[:, 3] if raw.shape[1] == 4 else np.zeros(len(raw))
                    q["m"] = m
                    q["e"] = np.sqrt(np.maximum(p2 + m * np.abs(m), 0.0))
        return {key: np.where(padded, np.nan, val) for key, val in q.items()}

    def transform(self, X):
        """Convert the particle columns and append the requested masses.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the columns seen in fit (NaN allowed).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Pass-through columns, then four columns per particle in
            ``output_format``, then one column per ``pair_masses`` entry; same
            dtype as ``X``.
        """
        check_is_fitted(self)
        X = validate_inputs(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        out_comps = _FORMATS[self.output_format]
        parts = [X[:, self.passthrough_columns_].astype(np.float64)]
        quantities = []
        for cols, name in zip(self.particle_columns_, self.particle_names_):
            q = self._particle(X, cols, name)
            quantities.append(q)
            parts.append(np.column_stack([q[c] for c in out_comps]))
        for combo in self.pair_masses_:
            tot = {
                c: np.sum([quantities[k][c] for k in combo], axis=0)
                for c in ("e", "px", "py", "pz")
            }
            e2 = tot["e"] ** 2
            m2 = e2 - tot["px"] ** 2 - tot["py"] ** 2 - tot["pz"] ** 2
            label = "m_" + "_".join(self.particle_names_[k] for k in combo)
            with np.errstate(invalid="ignore"):
                parts.append(self._mass(m2, e2, label)[:, None])
        return np.hstack(parts).astype(X.dtype, copy=False)

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
            Pass-through names, ``<name>_<component>`` per particle, then
            ``m_<name>_<name>...`` per combination.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        names = [str(input_features[i]) for i in self.passthrough_columns_]
        for name in self.particle_names_:
            names.extend(f"{name}_{c}" for c in _FORMATS[self.output_format])
        for combo in self.pair_masses_:
            names.append("m_" + "_".join(self.particle_names_[k] for k in combo))
        return np.asarray(names, dtype=object)
