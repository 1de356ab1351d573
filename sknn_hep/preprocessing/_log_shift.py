"""Shifted logarithm for steep spectra: x' = log(x - shift)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from .._validation import column_label, is_scalar_nan, missing_mask
from .._versions import VersionedStateMixin
from ..utils import check_event_weights, resolve_columns
from ._stats import (
    MissingValuesMixin,
    check_output_range,
)

CLIP_EPSILON = 1e-6
"""With ``clip=True``, ``x - shift`` is raised to at least this value."""


def marker_substitute(missing_values) -> float | None:
    """What a present value that would equal the marker becomes.

    The smallest float32 number above the marker (a float64 number): it
    differs from the marker in float64 and in float32 (so also after a
    later cast, e.g. in an ONNX graph), by at most one float32 unit in the
    last place. None for a NaN marker (a logarithm is never NaN).

    Examples
    --------
    >>> marker_substitute(0.0)
    1.401298464324817e-45
    >>> marker_substitute(-999.0)
    -998.9999389648438
    """
    if is_scalar_nan(missing_values):
        return None
    m = float(missing_values)
    if abs(m) > float(np.finfo(np.float32).max):
        return float(np.nextafter(m, np.inf))
    m32 = np.float32(m)
    above = np.nextafter(m32, np.float32(np.inf))
    if not np.isfinite(above):  # the marker is float32's largest number
        above = np.nextafter(m32, np.float32(-np.inf))
    return float(above)


def avoid_marker(out, missing_values):
    """``out`` with every value equal to the marker, in float64 or after a
    cast to float32, replaced by :func:`marker_substitute`.

    Examples
    --------
    >>> import numpy as np
    >>> avoid_marker(np.array([0.0, 1e-50, 0.5]), 0.0)
    array([1.40129846e-45, 1.40129846e-45, 5.00000000e-01])
    """
    above = marker_substitute(missing_values)
    if above is None:
        return out
    m = float(missing_values)
    hit = out == m
    if abs(m) <= float(np.finfo(np.float32).max):
        with np.errstate(over="ignore"):
            hit |= out.astype(np.float32) == np.float32(m)
    return np.where(hit, above, out)


class LogShiftTransformer(
    MissingValuesMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    VersionedStateMixin,
    BaseEstimator,
):
    """Shifted logarithm ``x' = log(x - shift)`` of chosen columns.

    Steep, positive spectra (energies, transverse momenta, masses) become
    much closer to a bell shape on a log scale; the shift moves a threshold
    (a trigger or selection cut) to the origin, as in ``E' = log(E - 20)``.
    Unselected columns and missing entries pass through unchanged. With the
    learnt shift (``shift="auto"``), a new event below the training minimum
    is clipped to it: it never raises and never gives NaN (see Notes).

    Parameters
    ----------
    columns : None, int, str, or array-like of int, str or bool, default=None
        Columns to transform: positions, names (when fitted on a DataFrame)
        or a boolean mask. ``None`` selects every column, or, when ``shift``
        is a mapping, exactly the mapping's columns.
    shift : float, dict or "auto", default="auto"
        - float: the same shift for every selected column.
        - dict: column (name or position) -> shift; it must cover every
          selected column and nothing else.
        - ``"auto"``: learnt in :meth:`fit` per column as
          ``shift_j = min(x_j) - offset`` over the present values of rows with
          non-zero weight, so the smallest training value maps to
          ``log(offset)``; in :meth:`transform` a value below that minimum
          (``min_``) is raised to it, i.e. maps to ``log(offset)`` too.
    offset : float > 0, default=1.0
        Distance of the smallest training value above the learnt shift (used
        when ``shift="auto"``; with the default the smallest value maps to 0).
    missing_values : float, default=np.nan
        Marker of missing entries (e.g. ``-999.0``). They pass through
        untouched and are left out of the auto shift. NaN in the input is
        only accepted when this is NaN.
    clip : bool, default=False
        What to do with a value at or below a fixed shift in
        :meth:`transform`. ``False`` raises a ``ValueError`` naming the column
        and the value. ``True`` raises ``x - shift`` to at least
        ``CLIP_EPSILON = 1e-6`` (in the units of the data) before the log, so
        no output falls below ``log(1e-6) ≈ -13.8``. It does not matter for
        ``shift="auto"``, where no value ever reaches the shift.

    Attributes
    ----------
    columns_ : ndarray of int
        Sorted positions of the transformed columns.
    shift_ : ndarray of float64 of shape (len(``columns_``),)
        Shift of each transformed column, in the order of ``columns_``.
    min_ : ndarray of float64 of shape (len(``columns_``),)
        With ``shift="auto"``, the smallest training value of each column
        (``shift_ + offset``), to which smaller new values are raised;
        ``-inf`` for a fixed shift (no such floor).
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    sklearn.preprocessing.FunctionTransformer : Arbitrary stateless functions.
    sklearn.preprocessing.PowerTransformer : Learnt Box-Cox / Yeo-Johnson maps.
    GroupScaler : Rescale afterwards (a log alone does not give unit variance).

    Notes
    -----
    **New events below the training minimum** (``shift="auto"``): the
    transform is ``log(max(x, min_) - shift_)``. A value the training data
    did not reach (a test event with a softer object, a looser selection)
    maps to the training edge ``log(offset)`` instead of raising, or giving
    NaN or a huge negative number: the next steps and the network see it at
    the border of the range they were fitted on, never beyond it, however
    far below it lies. Clipping keeps the order of the events (a cut on the
    output is a cut on the input) and is reproduced exactly by the ONNX
    export (:func:`sknn_hep.io.export_onnx`). Continuing the log linearly
    below ``min_`` would keep those values apart, but with a slope of
    ``1 / offset``, a numerical choice, placing them arbitrarily far outside
    the training range. A fixed shift is a threshold you chose: a value at
    or below it raises, or is clipped with ``clip=True``.

    **The result never equals** ``missing_values``: a present value whose
    log would equal the marker (with ``missing_values=0.0`` the smallest
    training value maps to ``log(1) = 0``) becomes the smallest float32
    number above the marker (``1.4e-45`` for 0, ``-998.99994`` for -999),
    which differs from the marker in float64 and in float32, so that a
    following :class:`MissingValueEncoder` never takes it for a missing
    entry, also after a cast to float32 or in the ONNX graph. A NaN marker
    cannot be hit.

    :meth:`inverse_transform` computes ``exp(x') + shift`` and is exact up to
    floating-point rounding, except for values changed by clipping (they
    come back as ``min_``, or ``shift + 1e-6`` with ``clip=True``) or by the
    marker rule (one float32 unit in the last place). It treats entries
    equal to ``missing_values`` as missing. A result beyond the range of the
    output's dtype raises a ``ValueError`` naming the column.

    Only whether a sample weight is zero matters: rows of zero weight are
    left out of the auto shift, exactly as if they were removed; rows of
    negative weight (NLO generators) count like positive ones. The weights
    are validated as everywhere in sknn_hep (negative ones allowed, a
    positive total). A fixed shift learns nothing, so there
    ``sample_weight`` is only validated.

    A float32 input gives a float32 output; the arithmetic runs in float64.
    The marker is compared after rounding to float32, as everywhere in
    sknn_hep, so a marker float32 cannot hold exactly (``-999.1``) still
    matches float32 data, also once converted to float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.preprocessing import LogShiftTransformer
    >>> X = np.array([[21.0, 5.0], [30.0, np.nan], [120.0, 7.0]])
    >>> tr = LogShiftTransformer(columns=[0], shift=20.0).fit(X)
    >>> Xt = tr.transform(X)
    >>> np.round(Xt, 3)
    array([[0.   , 5.   ],
           [2.303,   nan],
           [4.605, 7.   ]])
    >>> np.allclose(tr.inverse_transform(Xt), X, equal_nan=True)
    True
    >>> LogShiftTransformer().fit(X).shift_
    array([20.,  4.])

    A new event below the training minimum (21) is clipped to it:

    >>> auto = LogShiftTransformer(columns=[0]).fit(X)
    >>> auto.min_
    array([21.])
    >>> auto.transform(np.array([[15.0, 1.0], [22.0, 1.0]]))[:, 0].round(3)
    array([0.   , 0.693])
    """

    _parameter_constraints = {
        "columns": ["array-like", str, numbers.Integral, None],
        "shift": [
            Interval(numbers.Real, None, None, closed="neither"),
            dict,
            StrOptions({"auto"}),
        ],
        "offset": [Interval(numbers.Real, 0, None, closed="neither")],
        "missing_values": [numbers.Real],
        "clip": ["boolean"],
    }

    def __init__(
        self,
        columns=None,
        shift="auto",
        *,
        offset=1.0,
        missing_values=np.nan,
        clip=False,
    ):
        self.columns = columns
        self.shift = shift
        self.offset = offset
        self.missing_values = missing_values
        self.clip = clip

    def _resolve(self, cols, n_features, param="columns"):
        kwargs = dict(
            n_features=n_features,
            feature_names_in=getattr(self, "feature_names_in_", None),
            owner=type(self).__name__,
        )
        return resolve_columns(cols, param=param, **kwargs)

    def _label(self, j):
        return column_label(j, getattr(self, "feature_names_in_", None))

    def _mapping_shift(self, n_features):
        """Return {position: shift} from the ``shift`` mapping."""
        out = {}
        for key, value in self.shift.items():
            if isinstance(key, (bool, np.bool_)) or not isinstance(
                key, (str, numbers.Integral)
            ):
                raise ValueError(
                    "The keys of the 'shift' mapping of LogShiftTransformer must be "
                    f"column names or positions. Got {key!r}."
                )
            (j,) = self._resolve([key], n_features, param="shift")
            if (
                isinstance(value, (bool, np.bool_))
                or not isinstance(value, numbers.Real)
                or not np.isfinite(value)
            ):
                raise ValueError(
                    "The 'shift' mapping of LogShiftTransformer must map to finite "
                    f"floats; column {key!r} maps to {value!r}."
                )
            if int(j) in out:
                raise ValueError(
                    "The 'shift' mapping of LogShiftTransformer gives column "
                    f"{key!r} (index {int(j)}) twice."
                )
            out[int(j)] = float(value)
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Select the columns and learn (``shift="auto"``) or set the shifts.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights (negative ones allowed, the total must be positive); rows
            of zero weight are left out of the auto shift.

        Returns
        -------
        self : LogShiftTransformer
            The fitted transformer.
        """
        X = self._validate_X(X, reset=True)
        n_features = X.shape[1]
        if sample_weight is not None:
            sample_weight = check_event_weights(
                sample_weight, X, owner="LogShiftTransformer.fit"
            )
        mapping = (
            self._mapping_shift(n_features) if isinstance(self.shift, dict) else None
        )
        if self.columns is None:
            cols = (
                np.array(sorted(mapping), dtype=np.intp)
                if mapping is not None
                else np.arange(n_features, dtype=np.intp)
            )
        else:
            cols = self._resolve(self.columns, n_features)

        if mapping is not None:
            lacking = [j for j in cols if int(j) not in mapping]
            extra = sorted(set(mapping) - {int(j) for j in cols})
            if lacking or extra:
                raise ValueError(
                    "The 'shift' mapping of LogShiftTransformer must give one shift "
                    "per selected column; "
                    + (
                        "it lacks " + ", ".join(self._label(j) for j in lacking)
                        if lacking
                        else "it holds unselected "
                        + ", ".join(self._label(j) for j in extra)
                    )
                    + "."
                )
            shift = np.array([mapping[int(j)] for j in cols], dtype=np.float64)
            floor = np.full(cols.shape[0], -np.inf)
        elif isinstance(self.shift, str):  # "auto"
            usable = ~missing_mask(X[:, cols], self.missing_values)
            sub = X[:, cols].astype(np.float64)
            if sample_weight is not None:
                usable &= (sample_weight != 0)[:, None]
            empty = ~usable.any(axis=0)
            if empty.any():
                j = cols[np.flatnonzero(empty)[0]]
                raise ValueError(
                    f"LogShiftTransformer cannot learn shift='auto' for "
                    f"{self._label(j)}: "
                    "it has no present values (of non-zero weight) in fit. Give "
                    "that column a fixed shift or leave it out of 'columns'."
                )
            col_min = np.where(usable, sub, np.inf).min(axis=0)
            shift = col_min - float(self.offset)
            lost = np.flatnonzero(shift >= col_min)
            if lost.size:
                j = cols[lost[0]]
                raise ValueError(
                    f"LogShiftTransformer: offset={self.offset!r} vanishes in "
                    f"float64 next to the minimum {float(col_min[lost[0]])!r} of "
                    f"{self._label(j)}"
                    "; use a larger offset or rescale the column."
                )
            floor = col_min
        else:
            shift = np.full(cols.shape[0], float(self.shift), dtype=np.float64)
            floor = np.full(cols.shape[0], -np.inf)
        self.columns_ = cols
        self.shift_ = shift
        self.min_ = floor
        return self

    def _floor(self):
        """``min_``, also for a transformer fitted before it existed."""
        floor = getattr(self, "min_", None)
        if floor is None:
            if isinstance(self.shift, str):
                return self.shift_ + float(self.offset)
            return np.full(self.shift_.shape, -np.inf)
        return floor

    def transform(self, X):
        """Apply ``log(max(x, min_) - shift_)`` to the selected, present entries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to transform.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Same dtype as ``X`` (float32 or float64).

        Raises
        ------
        ValueError
            If ``clip=False`` and a present value is at or below a fixed
            shift.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False, copy=True)
        if self.columns_.size == 0:
            return X
        raw = X[:, self.columns_]
        missing = missing_mask(raw, self.missing_values)
        sub = raw.astype(np.float64)
        with np.errstate(invalid="ignore"):
            diff = np.maximum(sub, self._floor()) - self.shift_
        if self.clip:
            diff = np.maximum(diff, CLIP_EPSILON)
        else:
            bad = ~missing & (diff <= 0)
            if bad.any():
                i, k = np.argwhere(bad)[0]
                raise ValueError(
                    "LogShiftTransformer: "
                    f"{self._label(self.columns_[k])} holds the value "
                    f"{float(sub[i, k])!r} (row {int(i)}), at or below its shift "
                    f"{float(self.shift_[k])!r}, where log(x - shift) is undefined "
                    f"({int(bad.sum())} such value(s) in all). Choose a smaller "
                    "shift, or pass clip=True to raise x - shift to "
                    f"{CLIP_EPSILON}."
                )
        with np.errstate(invalid="ignore", divide="ignore"):
            out = avoid_marker(np.log(diff), self.missing_values)
        X[:, self.columns_] = np.where(missing, raw, out)
        return X

    def inverse_transform(self, X):
        """Undo the transformation: ``x = exp(x') + shift_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Transformed data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Same dtype as ``X``; entries equal to ``missing_values`` pass.

        Raises
        ------
        ValueError
            If a result is beyond the range of the dtype of ``X`` (e.g.
            ``exp(100)`` for float32), naming the column.
        """
        check_is_fitted(self)
        X = check_array(
            X,
            copy=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=self._finite_policy(),
        )
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but LogShiftTransformer is expecting "
                f"{self.n_features_in_} features as input."
            )
        if self.columns_.size == 0:
            return X
        raw = X[:, self.columns_]
        missing = missing_mask(raw, self.missing_values)
        sub = raw.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            back = np.where(missing, 0.0, np.exp(sub) + self.shift_)
        check_output_range(
            back,
            X.dtype,
            owner="LogShiftTransformer.inverse_transform",
            positions=self.columns_,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        X[:, self.columns_] = np.where(missing, raw, back)
        return X
