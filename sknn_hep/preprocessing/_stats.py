"""Weighted per-column statistics shared by the preprocessing transformers.

All statistics are accumulated in float64, whatever the dtype of ``X``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_scalar_nan(value):
    """Return True if ``value`` is a real scalar NaN.

    Examples
    --------
    >>> import numpy as np
    >>> is_scalar_nan(np.nan), is_scalar_nan(-999.0), is_scalar_nan("nan")
    (True, False, False)
    """
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isnan(value)
    )


def missing_mask(X, missing_values):
    """Boolean mask of the entries of ``X`` equal to ``missing_values``.

    NaN is matched with :func:`numpy.isnan`, any other value with ``==``.

    Examples
    --------
    >>> import numpy as np
    >>> missing_mask(np.array([[1.0, np.nan], [-999.0, 2.0]]), np.nan)
    array([[False,  True],
           [False, False]])
    >>> missing_mask(np.array([[1.0, np.nan], [-999.0, 2.0]]), -999.0)
    array([[False, False],
           [ True, False]])
    """
    X = np.asarray(X)
    if is_scalar_nan(missing_values):
        return np.isnan(X)
    return X == missing_values


def weighted_mean_var(X, sample_weight=None, *, present=None, center=True):
    """Per-column weighted mean and variance over the present entries.

    For column ``j`` with weights ``w_i`` over the rows ``i`` where
    ``present[i, j]`` is True::

        mean_j = sum_i w_i x_ij / sum_i w_i          (0 when center=False)
        var_j  = sum_i w_i (x_ij - mean_j)**2 / sum_i w_i

    i.e. the population variance (``ddof=0``), as in
    :class:`~sklearn.preprocessing.StandardScaler`. With ``center=False`` the
    "variance" is the weighted mean square around zero.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights; ``None`` means unit weights.
    present : ndarray of bool, same shape as ``X``, or None
        Entries to count; ``None`` counts all of them.
    center : bool, default=True
        Whether the variance is taken around the weighted mean or around 0.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        NaN for a column without any present entry of non-zero weight.
    var : ndarray of shape (n_features,)
        NaN where ``mean`` is NaN.
    weight_sum : ndarray of shape (n_features,)
        Sum of the weights of the present entries.
    n_nonzero : ndarray of shape (n_features,)
        Number of present entries with non-zero weight.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]])
    >>> mean, var, wsum, n = weighted_mean_var(
    ...     X, np.array([1.0, 1.0, 2.0]), present=~np.isnan(X))
    >>> np.round(mean, 3).tolist(), np.round(var, 3).tolist()
    ([3.5, 4.667], [2.75, 3.556])
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples = X.shape[0]
    w = (
        np.ones(n_samples, dtype=np.float64)
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    if present is None:
        present = np.ones(X.shape, dtype=bool)
    W = np.where(present, w[:, None], 0.0)
    Xz = np.where(present, X, 0.0)
    weight_sum = W.sum(axis=0)
    n_nonzero = np.count_nonzero(W > 0, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if center:
            mean = (W * Xz).sum(axis=0) / weight_sum
        else:
            mean = np.zeros(X.shape[1], dtype=np.float64)
        resid = np.where(present, X - mean, 0.0)
        var = (W * resid**2).sum(axis=0) / weight_sum
    empty = n_nonzero == 0
    mean[empty] = np.nan
    var[empty] = np.nan
    return mean, var, weight_sum, n_nonzero


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


def column_label(j, feature_names_in=None):
    """Readable label of column ``j`` for error messages.

    Examples
    --------
    >>> import numpy as np
    >>> column_label(1, np.array(["a", "b"])), column_label(1)
    ("'b' (index 1)", 'index 1')
    """
    j = int(j)
    if feature_names_in is not None:
        return f"{str(feature_names_in[j])!r} (index {j})"
    return f"index {j}"


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
