"""Weighted per-column statistics shared by the preprocessing transformers.

All statistics are accumulated in float64, whatever the dtype of ``X``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import column_label, is_scalar_nan, weighted_mean_var


def event_mean_var(
    X,
    sample_weight=None,
    *,
    present=None,
    center=True,
    owner,
    columns=None,
    feature_names_in=None,
):
    """Per-column weighted mean and variance under the negative-weight policy.

    :func:`~sknn_hep._validation.weighted_mean_var` with the signed event
    weights, except for a column where those statistics do not describe a
    distribution, which can only happen with negative weights (NLO
    generators):

    - the present entries of the column have a total weight <= 0,
    - the weighted mean lies outside the range of the column's values
      (beyond float64 rounding; only with ``center=True``), or
    - the weighted variance is <= 0 (or indistinguishable from 0) although
      the values are not constant.

    Such a column's mean and variance are taken with the absolute weights
    ``|w|`` instead (the spread of the events whatever their sign), and one
    :class:`UserWarning` names the columns and why. Without negative weights
    this is exactly :func:`~sknn_hep._validation.weighted_mean_var`.

    Parameters
    ----------
    X, sample_weight, present, center
        As for :func:`~sknn_hep._validation.weighted_mean_var`.
    owner : str
        Class name for the warning.
    columns : ndarray of int or None
        Positions of the columns of ``X`` in the estimator's input, to name
        them (default ``0, 1, ...``).
    feature_names_in : ndarray of str or None
        The estimator's input column names.

    Returns
    -------
    mean, var : ndarray of shape (n_features,)
    n_nonzero : ndarray of shape (n_features,)
        Number of present entries with non-zero weight.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [10.0], [20.0]])
    >>> event_mean_var(X, np.array([1.0, 1.0, 0.5]), owner="f")[:2]
    (array([8.]), array([56.]))
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     mean, var, n = event_mean_var(X, np.array([1.0, 1.0, -0.5]),
    ...                                   owner="f")
    >>> mean, var  # signed: mean 0, variance -66.7; so taken with |w|
    (array([8.]), array([56.]))
    >>> print(caught[0].message)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    f: with negative sample weights, the weighted statistics of column 0
    (variance -66.7) do not describe a distribution; they are taken with the
    absolute weights |w| instead ...
    """
    mean, var, wsum, n = weighted_mean_var(
        X, sample_weight, present=present, center=center
    )
    if sample_weight is None:
        return mean, var, n
    w = np.asarray(sample_weight, dtype=np.float64)
    if not np.any(w < 0):
        return mean, var, n
    X = np.asarray(X, dtype=np.float64)
    if present is None:
        present = np.ones(X.shape, dtype=bool)
    used = present & (w != 0)[:, None]
    a_mean, a_var, a_wsum, _ = weighted_mean_var(
        X, np.abs(w), present=present, center=center
    )
    eps = np.finfo(np.float64).eps
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(used, X, np.inf).min(axis=0)
        hi = np.where(used, X, -np.inf).max(axis=0)
        # rounding of sum(w x) / sum(w) when the weights cancel
        tol = n * eps * np.abs(a_wsum / wsum) * np.maximum(np.abs(lo), np.abs(hi))
    columns = np.arange(X.shape[1]) if columns is None else np.asarray(columns)
    reasons = []
    fallback = np.zeros(X.shape[1], dtype=bool)
    for k in np.flatnonzero(n > 0):
        if not wsum[k] > 0:
            why = f"total weight {wsum[k]:.3g}"
        elif center and not (lo[k] - tol[k] <= mean[k] <= hi[k] + tol[k]):
            why = f"mean {mean[k]:.3g} outside the values [{lo[k]:.3g}, {hi[k]:.3g}]"
        elif is_constant(var[k], mean[k], n[k]) and not is_constant(
            a_var[k], a_mean[k], n[k]
        ):
            why = f"variance {var[k]:.3g}"
        else:
            continue
        fallback[k] = True
        reasons.append(f"{column_label(columns[k], feature_names_in)} ({why})")
    if not reasons:
        return mean, var, n
    mean = np.where(fallback, a_mean, mean)
    var = np.where(fallback, a_var, var)
    listed = ", ".join(reasons[:5]) + (", ..." if len(reasons) > 5 else "")
    warnings.warn(
        f"{owner}: with negative sample weights, the weighted statistics of "
        f"{listed} do not describe a distribution; they are taken with the "
        "absolute weights |w| instead (the spread of the events whatever the "
        "sign of their weights). See 'Negative event weights' in "
        "docs/reliability.md.",
        UserWarning,
        stacklevel=3,
    )
    return mean, var, n


def check_output_range(out, dtype, *, owner, positions=None, feature_names=None):
    """Raise if a result computed in float64 does not fit the output's dtype.

    The transformers compute in float64 and return the input's dtype: a
    finite float32 input can give a result beyond the float32 range (a
    division by a small scale), and extreme float64 inputs can overflow to
    infinity. Either is an error naming the column, never a silent ``inf``.
    NaN (a missing value) is not checked.

    Parameters
    ----------
    out : ndarray of shape (n_samples, n_columns)
        The float64 result.
    dtype : dtype
        The dtype the result is returned in.
    owner : str
        ``"Class.method"`` for the message.
    positions : ndarray of int or None
        Output position of each column of ``out`` (default ``0, 1, ...``).
    feature_names : ndarray of str or None
        Names of the output columns, to name them.

    Raises
    ------
    ValueError
        Naming up to five columns, the number of rows and the first one.

    Examples
    --------
    >>> import numpy as np
    >>> check_output_range(np.array([[1.0], [5e38]]), np.float32, owner="f")
    Traceback (most recent call last):
    ...
    ValueError: f gives a value beyond the float32 range (|x| > 3.4e+38) in ...
    """
    dtype = np.dtype(dtype)
    limit = float(np.finfo(dtype).max)
    out = np.asarray(out, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = np.abs(out) > limit  # inf included, NaN not
    if not bad.any():
        return
    if out.ndim == 1:
        bad = bad[:, None]
    cols = np.flatnonzero(bad.any(axis=0))
    rows = np.flatnonzero(bad.any(axis=1))
    positions = np.arange(bad.shape[1]) if positions is None else positions
    labels = [column_label(positions[k], feature_names) for k in cols[:5]]
    where = (
        labels[0]
        if len(cols) == 1
        else f"{len(cols)} columns ({', '.join(labels)}"
        f"{', ...' if len(cols) > 5 else ''})"
    )
    if dtype == np.float32:
        remedy = (
            "The output keeps the input's dtype, float32: pass the data as "
            "float64 (X.astype(np.float64)), or check the input for extreme "
            "values."
        )
    else:
        remedy = "Check the input for extreme values."
    raise ValueError(
        f"{owner} gives a value beyond the {dtype.name} range (|x| > {limit:.2g}) "
        f"in {where}: {len(rows)} row(s), the first at row {int(rows[0])}. "
        f"{remedy}"
    )


def is_constant(var, mean, n_samples):
    """Whether a variance is indistinguishable from 0 in float64 arithmetic.

    The bound of scikit-learn's ``StandardScaler`` (error bounds of the
    two-pass algorithm, Chan, Golub and LeVeque)::

        var <= n eps var + (n mean eps)**2

    Examples
    --------
    >>> import numpy as np
    >>> is_constant(np.array([0.0, 1e-40, 1.0]), np.array([1.0, 1e5, 1.0]),
    ...             np.array([10, 10, 10]))
    array([ True,  True, False])
    """
    eps = np.finfo(np.float64).eps
    var = np.asarray(var, dtype=np.float64)
    n = np.asarray(n_samples, dtype=np.float64)
    bound = n * eps * var + (n * np.asarray(mean, dtype=np.float64) * eps) ** 2
    return var <= bound


class MissingValuesMixin:
    """Tags and finiteness check of a transformer with ``missing_values``.

    NaN is allowed in the input exactly when ``missing_values`` is NaN; the
    output keeps the input's float dtype.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = is_scalar_nan(self.missing_values)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _finite_policy(self):
        return "allow-nan" if is_scalar_nan(self.missing_values) else True

    def _nan_hint(self):
        return (
            f"{type(self).__name__} treats {self.missing_values!r} as the missing "
            "value, not NaN: pass missing_values=np.nan, or write the missing "
            f"values as {self.missing_values!r}."
        )

    def _validate_X(self, X, *, reset, copy=False):
        """``X`` validated as float64/float32, NaN only as the missing value."""
        from ..utils import validate_inputs

        return validate_inputs(
            self,
            X,
            reset=reset,
            copy=copy,
            dtype=[np.float64, np.float32],
            ensure_all_finite=self._finite_policy(),
            nan_hint=self._nan_hint(),
        )
