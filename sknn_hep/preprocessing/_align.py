"""Align an event to a reference object: remove its azimuthal (and mirror) symmetry."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from .._validation import column_label, missing_mask
from .._versions import VersionedStateMixin
from ..utils import resolve_columns
from ._stats import MissingValuesMixin

_OWNER = "EventAligner"


def wrap_angle(phi):
    """Wrap angles into [-π, π): ``mod(phi + π, 2π) - π``.

    Examples
    --------
    >>> import numpy as np
    >>> wrap_angle(np.array([0.5, 4.0, -4.0, np.pi])).round(4)
    array([ 0.5   , -2.2832,  2.2832, -3.1416])
    """
    return np.mod(phi + np.pi, 2 * np.pi) - np.pi


class EventAligner(
    MissingValuesMixin, TransformerMixin, VersionedStateMixin, BaseEstimator
):
    """Express an event's azimuths relative to a reference object, mirrored.

    The physics of a collider event does not depend on its orientation about
    the beam axis: rotating every object by one angle gives an equally likely
    event, and so do the mirror images in φ (φ → -φ) and in z (η → -η). A
    network fed raw azimuths has to learn these symmetries from the data.
    This transformer removes them instead, per event:

    1. every column of ``phi_columns`` becomes ``Δφ = φ - φ_reference``,
       wrapped into [-π, π) (the reference object then points along φ = 0,
       and its column, always 0, is dropped);
    2. with ``reflect_phi``, when that object's Δφ is negative, every Δφ of
       the event changes sign, so it always lies in [0, π];
    3. with ``reflect_eta``, when that object's η is negative, every column
       of ``eta_columns`` changes sign, so it is always >= 0.

    Every event then has one canonical orientation; events that differ only
    by a rotation or a mirror image give the same output, and the network
    sees one angle less. The alternative keeps the symmetry in the inputs
    and teaches it by augmentation, training on rotated copies of the events
    (:func:`augment_azimuthal_rotation`).

    Parameters
    ----------
    phi_columns : array-like of str or int
        The azimuth (φ) columns of the event's objects, in radians: names
        (when fitted on a DataFrame) or positions. Any range is accepted
        (e.g. [0, 2π)); the outputs are wrapped.
    reference : str or int
        The column of ``phi_columns`` whose object defines φ = 0.
    drop_reference : bool, default=True
        Drop the reference column from the output (its aligned value is
        always 0). ``False`` keeps it in place, as zeros.
    reflect_phi : str, int or None, default=None
        A column of ``phi_columns`` other than ``reference``: when its
        aligned Δφ is negative, every aligned Δφ of the event changes sign
        (mirror image in φ). ``None``: no mirror in φ.
    eta_columns : array-like of str or int, or None, default=None
        The pseudorapidity (η) columns mirrored by ``reflect_eta``; they pass
        through unchanged when ``reflect_eta`` is None. They may not overlap
        ``phi_columns``.
    reflect_eta : str, int or None, default=None
        A column of ``eta_columns``: when it is negative, every column of
        ``eta_columns`` changes sign (mirror image in z). ``None``: no mirror
        in z.
    missing_values : float, default=np.nan
        Marker of missing entries (e.g. ``-999.0``). NaN in the input is only
        accepted when this is NaN.

    Attributes
    ----------
    phi_columns_ : ndarray of int
        Sorted positions of ``phi_columns`` (with the reference).
    reference_ : int
        Position of the reference column.
    reflect_phi_ : int or None
        Position of the ``reflect_phi`` column.
    eta_columns_ : ndarray of int
        Sorted positions of ``eta_columns`` (empty when None).
    reflect_eta_ : int or None
        Position of the ``reflect_eta`` column.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    augment_azimuthal_rotation : Keep the symmetry and augment the training
        events with rotated copies instead.
    FourMomentumTransformer : Pair masses and Cartesian momenta, which carry
        the angles between objects without choosing a reference.

    Notes
    -----
    Output columns: the input columns in their order, without the reference
    column when ``drop_reference=True``. Columns in neither ``phi_columns``
    nor ``eta_columns`` pass through unchanged. The arithmetic runs in
    float64; the output has the input's dtype (float32 or float64). The
    missing marker is compared after rounding to float32, so a marker
    float32 cannot hold exactly (``-999.1``) still matches float32 data.

    Aligned angles lie in [-π, π); after the mirror in φ they lie in
    [-π, π] (a Δφ of exactly -π, the same direction as π, becomes π).

    Missing values:

    - a missing φ or η stays missing, exactly as it was;
    - a missing reference φ leaves no φ = 0 to measure from: every φ of that
      event (and the reference column itself when it is kept) becomes
      missing, as a Δφ to an absent object is undefined. Rotated azimuths
      would be the only other choice, and a network cannot tell them from
      aligned ones in the same column. Choose a reference that every event
      has (the leading lepton, the missing transverse momentum), and a
      later step (e.g. :class:`MissingValueEncoder`) handles what is
      missing;
    - a missing ``reflect_phi`` φ or ``reflect_eta`` η: that event is not
      mirrored (in φ, respectively in z).

    With ``missing_values=-999.0``, ``reference="PRI_tau_phi"``,
    ``reflect_phi="PRI_lep_phi"``, the tau, lepton and jet η columns as
    ``eta_columns`` and ``reflect_eta="PRI_tau_eta"``, this is the
    alignment of the Higgs-challenge recipe
    (:func:`make_higgs_features`; ``rotate_event`` of
    ``benchmarks/recipe_search.py`` bit for bit). An event whose
    ``reflect_phi`` object has Δφ exactly 0 is not mirrored, so it and its
    mirror image stay different (2 of the 22,889 bundled events, whose
    angles are rounded to 1e-3).

    Examples
    --------
    Objects at φ = 1.0 (the reference), 0.5 and 3.0, with η = -1.2 and 0.4:

    >>> import numpy as np
    >>> from sknn_hep.preprocessing import EventAligner
    >>> X = np.array([[1.0, 0.5, 3.0, -1.2, 0.4, 42.0]])
    >>> al = EventAligner(phi_columns=[0, 1, 2], reference=0, reflect_phi=1,
    ...                   eta_columns=[3, 4], reflect_eta=3).fit(X)
    >>> al.transform(X).round(4)
    array([[ 0.5, -2. ,  1.2, -0.4, 42. ]])
    >>> al.get_feature_names_out().tolist()
    ['x1', 'x2', 'x3', 'x4', 'x5']

    Any rotation about the beam axis gives the same output:

    >>> X_rot = X.copy()
    >>> X_rot[:, :3] = (X_rot[:, :3] + 2.5 + np.pi) % (2 * np.pi) - np.pi
    >>> bool(np.allclose(al.transform(X_rot), al.transform(X)))
    True
    """

    _parameter_constraints = {
        "phi_columns": ["array-like"],
        "reference": [str, numbers.Integral],
        "drop_reference": ["boolean"],
        "reflect_phi": [str, numbers.Integral, None],
        "eta_columns": ["array-like", None],
        "reflect_eta": [str, numbers.Integral, None],
        "missing_values": [numbers.Real],
    }

    def __init__(
        self,
        phi_columns,
        reference,
        *,
        drop_reference=True,
        reflect_phi=None,
        eta_columns=None,
        reflect_eta=None,
        missing_values=np.nan,
    ):
        self.phi_columns = phi_columns
        self.reference = reference
        self.drop_reference = drop_reference
        self.reflect_phi = reflect_phi
        self.eta_columns = eta_columns
        self.reflect_eta = reflect_eta
        self.missing_values = missing_values

    # ------------------------------------------------------------------ fit
    def _resolve(self, columns, param, n_features, names):
        """Positions of ``columns``; an index out of range names the parameter."""
        entries = [columns] if isinstance(columns, (str, numbers.Integral)) else columns
        for c in entries:
            if isinstance(c, (bool, np.bool_)) or not isinstance(
                c, (str, numbers.Integral)
            ):
                raise ValueError(
                    f"The '{param}' parameter of {_OWNER} must hold column names "
                    f"(str) or positions (int). Got {columns!r} instead."
                )
            if isinstance(c, numbers.Integral) and not -n_features <= c < n_features:
                raise ValueError(
                    f"The '{param}' parameter of {_OWNER} holds column index "
                    f"{int(c)}, but X has {n_features} feature(s)."
                )
        return resolve_columns(
            columns,
            n_features=n_features,
            feature_names_in=names,
            param=param,
            owner=_OWNER,
        )

    def _one(self, column, param, n_features, names, within, within_param):
        """Position of one column that must be one of ``within``."""
        (j,) = self._resolve(column, param, n_features, names)
        if j not in within:
            raise ValueError(
                f"The '{param}' parameter of {_OWNER} must be one of the "
                f"'{within_param}' columns. Got {column!r} ("
                f"{column_label(j, names)}) instead."
            )
        return int(j)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the columns; nothing is learnt from the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The events.
        y : None
            Ignored.

        Returns
        -------
        self : EventAligner
            The fitted transformer.
        """
        X = self._validate_X(X, reset=True)
        n_features = X.shape[1]
        names = getattr(self, "feature_names_in_", None)
        if len(self.phi_columns) == 0:
            raise ValueError(
                f"The 'phi_columns' parameter of {_OWNER} must be a non-empty list "
                f"of columns. Got {self.phi_columns!r} instead."
            )
        phi = self._resolve(self.phi_columns, "phi_columns", n_features, names)
        ref = self._one(
            self.reference, "reference", n_features, names, phi, "phi_columns"
        )
        reflect_phi = None
        if self.reflect_phi is not None:
            reflect_phi = self._one(
                self.reflect_phi, "reflect_phi", n_features, names, phi, "phi_columns"
            )
            if reflect_phi == ref:
                raise ValueError(
                    f"The 'reflect_phi' parameter of {_OWNER} must be a column of "
                    "'phi_columns' other than the reference (whose aligned φ is "
                    f"always 0). Got {self.reflect_phi!r} instead."
                )
        if self.eta_columns is None:
            eta = np.zeros(0, dtype=np.intp)
        else:
            eta = self._resolve(self.eta_columns, "eta_columns", n_features, names)
        both = np.intersect1d(phi, eta)
        if both.size:
            raise ValueError(
                f"The 'eta_columns' parameter of {_OWNER} shares "
                f"{column_label(both[0], names)} with 'phi_columns'; a column is "
                "either an azimuth or a pseudorapidity."
            )
        reflect_eta = None
        if self.reflect_eta is not None:
            reflect_eta = self._one(
                self.reflect_eta, "reflect_eta", n_features, names, eta, "eta_columns"
            )
        self.phi_columns_ = phi
        self.reference_ = ref
        self.reflect_phi_ = reflect_phi
        self.eta_columns_ = eta
        self.reflect_eta_ = reflect_eta
        return self

    # ------------------------------------------------------------ transform
    def transform(self, X):
        """Align the azimuths to the reference and mirror the events.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The events, with the columns seen in fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The input columns without the reference (``drop_reference=True``),
            φ columns aligned and mirrored, η columns mirrored; same dtype as
            ``X``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = X.astype(np.float64)  # a copy
        marker = float(self.missing_values)
        ref = out[:, self.reference_]
        ref_missing = missing_mask(ref, marker)
        others = self.phi_columns_[self.phi_columns_ != self.reference_]
        v = out[:, others]
        missing = missing_mask(v, marker)
        with np.errstate(invalid="ignore"):
            dphi = wrap_angle(v - ref[:, None])
        if self.reflect_phi_ is not None:
            k = int(np.flatnonzero(others == self.reflect_phi_)[0])
            flip = ~missing[:, k] & ~ref_missing & (dphi[:, k] < 0)
            dphi = dphi * np.where(flip, -1.0, 1.0)[:, None]
        out[:, others] = np.where(missing, v, dphi)
        out[np.ix_(ref_missing, others)] = marker
        out[:, self.reference_] = np.where(ref_missing, ref, 0.0)
        if self.reflect_eta_ is not None:
            eta = out[:, self.eta_columns_]
            pivot = out[:, self.reflect_eta_]
            flip = ~missing_mask(pivot, marker) & (pivot < 0)
            out[:, self.eta_columns_] = np.where(
                missing_mask(eta, marker),
                eta,
                eta * np.where(flip, -1.0, 1.0)[:, None],
            )
        if self.drop_reference:
            out = np.delete(out, self.reference_, axis=1)
        return out.astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the input's, less a dropped reference.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            The input names in order, without the reference column when
            ``drop_reference=True``.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        if self.drop_reference:
            names = np.delete(names, self.reference_)
        return np.asarray(names, dtype=object)
