"""Encode missing features as a null value far from the bulk."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
)

from .._validation import column_label, missing_mask
from .._versions import VersionedStateMixin
from ..utils import check_event_weights, resolve_columns
from ._stats import (
    MissingValuesMixin,
    check_output_range,
    event_mean_var,
    is_constant,
)


class MissingValueEncoder(
    MissingValuesMixin, TransformerMixin, VersionedStateMixin, BaseEstimator
):
    """Replace missing values by a fill value well below the present ones.

    A missing feature (the 4th jet of a 3-jet event) should not be imputed by
    a plausible value: the network must see that it is absent. Per column,
    the mean μ and standard deviation σ are taken from the present values only
    (weighted); the present values are optionally standardised with them, and
    every missing entry is replaced by a fill that lies below the training
    range and at least ``distance`` σ below μ, so the gap is visible.

    Parameters
    ----------
    missing_values : float, default=np.nan
        Marker of missing entries, e.g. ``-999.0`` for the Higgs challenge.
        NaN in the input is only accepted when this is NaN.
    distance : float >= 0, default=3.0
        Minimal distance of the fill below μ, in units of σ.
    margin : float > 0, default=1.0
        Minimal distance of the fill below the smallest present training
        value, in units of σ.
    standardize : bool, default=True
        Map present values to ``(x - mean_) / scale_``. With ``False`` they
        pass unchanged and the fill is in the units of the data.
    add_indicator : bool, default=False
        Append one 0/1 column per column that had missing values in fit,
        named ``missingindicator_<column>``, after the input columns.
    columns : None, int, str, or array-like of int, str or bool, default=None
        Columns to encode (positions, names or a boolean mask); ``None``
        selects all. Other columns, missing markers included, pass unchanged.

    Attributes
    ----------
    columns_ : ndarray of int
        Sorted positions of the encoded columns.
    mean_ : ndarray of shape (len(``columns_``),)
        Weighted mean of the present values, per encoded column.
    var_ : ndarray of shape (len(``columns_``),)
        Weighted variance (``ddof=0``) of the present values; 0 where they
        are constant.
    scale_ : ndarray of shape (len(``columns_``),)
        ``sqrt(var_)``, or 1 where the present values are constant.
    fill_value_ : ndarray of shape (len(``columns_``),)
        What a missing entry becomes, in output units (standardised when
        ``standardize=True``).
    missing_features_ : ndarray of int
        Positions (in the input) of the encoded columns that had missing
        values in fit; they get the indicator columns.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    sklearn.impute.SimpleImputer : Fill with a statistic of the present values.
    sklearn.impute.MissingIndicator : The indicator columns alone.

    Notes
    -----
    With ``s = scale_`` and ``min`` the smallest present training value (rows
    of non-zero weight), the fill in data units is::

        fill = min(mean - distance * s, min - margin * s)

    so it is strictly below the training range and at least ``distance`` σ
    from μ; with ``standardize=True`` it is stored and emitted as
    ``(fill - mean) / s``, i.e. ``min(-distance, (min - mean) / s - margin)``.

    Sample weights may be negative (NLO generators), as everywhere in
    sknn_hep: their total must be positive (else a ``ValueError``). Rows of
    zero weight are ignored for μ, σ and the minimum (they act as removed
    rows); a row of negative weight counts for the minimum like any other.
    μ and σ are the signed weighted statistics, except for a column where
    they do not describe a distribution: its present entries have a total
    weight <= 0, μ lies outside the range of its values, or the variance is
    <= 0 although the values are not constant. That column's μ and σ are
    then taken with the absolute weights ``|w|``, and a ``UserWarning``
    names it (see "Negative event weights" in ``docs/reliability.md``). A
    column whose present values are constant gets ``scale_ = 1``.

    A column with no present value of non-zero weight in fit raises a
    ``ValueError`` naming it: there is nothing to learn μ and σ from; drop
    the column or leave it out of ``columns``. A column without missing
    values in fit that has some at transform time gets the same fill (no
    indicator column exists for it). A new value below the training range
    is standardised like any other (it may come close to the fill).

    :meth:`inverse_transform` drops the indicator columns, undoes the
    standardisation and puts ``missing_values`` back where an entry equals
    the fill value exactly, so it is exact up to floating-point rounding
    unless a present value equals a fill. A float32 input gives a float32
    output (arithmetic in float64). The marker is compared after rounding to
    float32, as everywhere in sknn_hep, so a marker float32 cannot hold
    exactly (``-999.1``) still matches float32 data, also once converted to
    float64. A result beyond the float32 range (a huge new
    value divided by a small σ) raises a ``ValueError`` naming the column
    instead of becoming ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.preprocessing import MissingValueEncoder
    >>> X = np.array([[1.0, 10.0], [2.0, -999.0], [3.0, 30.0], [-999.0, 20.0]])
    >>> enc = MissingValueEncoder(missing_values=-999.0, add_indicator=True)
    >>> Xt = enc.fit_transform(X)
    >>> np.round(Xt, 3)
    array([[-1.225, -1.225,  0.   ,  0.   ],
           [ 0.   , -3.   ,  0.   ,  1.   ],
           [ 1.225,  1.225,  0.   ,  0.   ],
           [-3.   ,  0.   ,  1.   ,  0.   ]])
    >>> enc.get_feature_names_out().tolist()
    ['x0', 'x1', 'missingindicator_x0', 'missingindicator_x1']
    >>> np.allclose(enc.inverse_transform(Xt), X)
    True
    """

    _parameter_constraints = {
        "missing_values": [numbers.Real],
        "distance": [Interval(numbers.Real, 0, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="neither")],
        "standardize": ["boolean"],
        "add_indicator": ["boolean"],
        "columns": ["array-like", str, numbers.Integral, None],
    }

    def __init__(
        self,
        missing_values=np.nan,
        *,
        distance=3.0,
        margin=1.0,
        standardize=True,
        add_indicator=False,
        columns=None,
    ):
        self.missing_values = missing_values
        self.distance = distance
        self.margin = margin
        self.standardize = standardize
        self.add_indicator = add_indicator
        self.columns = columns

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn μ, σ and the fill value of each encoded column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, missing entries marked by ``missing_values``.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; negative ones are allowed, the total must be
            positive (see Notes).

        Returns
        -------
        self : MissingValueEncoder
            The fitted encoder.
        """
        X = self._validate_X(X, reset=True)
        n_features = X.shape[1]
        names = getattr(self, "feature_names_in_", None)
        if self.columns is None:
            cols = np.arange(n_features, dtype=np.intp)
        else:
            cols = resolve_columns(
                self.columns,
                n_features=n_features,
                feature_names_in=names,
                owner="MissingValueEncoder",
            )
        if sample_weight is not None:
            sample_weight = check_event_weights(
                sample_weight, X, owner="MissingValueEncoder.fit"
            )
        missing = missing_mask(X[:, cols], self.missing_values)
        sub = X[:, cols].astype(np.float64)
        mean, var, n_used = event_mean_var(
            sub,
            sample_weight,
            present=~missing,
            owner="MissingValueEncoder",
            columns=cols,
            feature_names_in=names,
        )
        if np.any(n_used == 0):
            j = cols[np.flatnonzero(n_used == 0)[0]]
            raise ValueError(
                f"MissingValueEncoder: {column_label(j, names)} has no "
                "present values (of non-zero weight) in fit, so its mean and "
                "standard deviation are undefined; drop it or leave it out of "
                "'columns'."
            )
        constant = is_constant(var, mean, n_used)
        scale = np.where(constant, 1.0, np.sqrt(np.where(constant, 1.0, var)))
        usable = ~missing
        if sample_weight is not None:
            usable &= (sample_weight != 0)[:, None]
        data_min = np.where(usable, sub, np.inf).min(axis=0)
        fill = np.minimum(
            mean - float(self.distance) * scale, data_min - float(self.margin) * scale
        )
        if self.standardize:
            fill = (fill - mean) / scale
        self.columns_ = cols
        self.mean_ = mean
        self.var_ = np.where(constant, 0.0, var)
        self.scale_ = scale
        self.fill_value_ = fill
        self.missing_features_ = cols[missing.any(axis=0)]
        return self

    def transform(self, X):
        """Standardise present values (optionally) and fill missing ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, missing entries marked by ``missing_values``.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features_out)
            Same dtype as ``X``; the indicator columns (if any) come last.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False, copy=True)
        missing = missing_mask(X[:, self.columns_], self.missing_values)
        sub = X[:, self.columns_].astype(np.float64)
        if self.standardize:
            sub = (sub - self.mean_) / self.scale_
        out = np.where(missing, self.fill_value_, sub)
        check_output_range(
            out,
            X.dtype,
            owner="MissingValueEncoder.transform",
            positions=self.columns_,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        X[:, self.columns_] = out
        if not self.add_indicator:
            return X
        keep = np.isin(self.columns_, self.missing_features_)
        return np.hstack([X, missing[:, keep].astype(X.dtype)])

    def inverse_transform(self, X):
        """Map encoded data back: drop indicators, unscale, restore markers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_out)
            Encoded data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, ``n_features_in_``)
            Same dtype as ``X``; entries equal to a fill value become
            ``missing_values``.
        """
        check_is_fitted(self)
        X = check_array(
            X,
            copy=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=self._finite_policy(),
        )
        n_out = self.n_features_in_ + (
            self.missing_features_.size if self.add_indicator else 0
        )
        if X.shape[1] != n_out:
            raise ValueError(
                f"X has {X.shape[1]} features, but MissingValueEncoder.inverse_"
                f"transform is expecting {n_out} features as input."
            )
        X = np.ascontiguousarray(X[:, : self.n_features_in_])
        sub = X[:, self.columns_]
        missing = sub == self.fill_value_.astype(X.dtype)
        sub = sub.astype(np.float64)
        if self.standardize:
            sub = sub * self.scale_ + self.mean_
        out = np.where(missing, self.missing_values, sub)
        check_output_range(
            np.where(missing, 0.0, out),
            X.dtype,
            owner="MissingValueEncoder.inverse_transform",
            positions=self.columns_,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        X[:, self.columns_] = out
        return X

    def get_feature_names_out(self, input_features=None):
        """Output feature names: the input names, then the indicators.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input names, then ``missingindicator_<name>`` for each column
            of ``missing_features_`` when ``add_indicator=True``.
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        out = list(names)
        if self.add_indicator:
            out += [f"missingindicator_{names[j]}" for j in self.missing_features_]
        return np.asarray(out, dtype=object)
