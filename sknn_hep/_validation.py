"""Checks and weighted moments shared by the layers (numpy only, no torch).

The bottom layer of sknn_hep, with :mod:`sknn_hep.utils` (which imports
it), ``_higgs`` and ``_versions``: the preprocessing transformers, the
networks and the metrics import these helpers, so that a missing value is
matched, a column named, a category code checked, a label set read and a
weighted moment taken the same way everywhere.

- :func:`missing_mask` / :func:`float32_equal` / :func:`is_scalar_nan`:
  the one rule for missing-value markers (NaN by ``isnan``, any other
  marker compared in float32, as the networks see it).
- :func:`column_label`: how an error message names a column.
- :func:`check_category_codes` / :func:`encode_categories`: categorical
  columns of non-negative integer codes, and their embedding-table rows.
- :func:`check_zero_one_labels`: metric labels, 0 (background) and 1
  (signal), as the physics metrics take them (one class alone is allowed).
- :func:`two_class_signal_mask`: any two class labels, the larger one
  signal, as the plots take them (exactly two classes).
- :func:`weighted_mean_var` / :func:`weighted_mean_std`: weighted column
  moments, with signed weights (the transformers) or with the negative ones
  clipped to 0 (the networks' scaling constants).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def float32_equal(X, value) -> np.ndarray:
    """Where ``X`` equals ``value`` once both are rounded to float32.

    How the networks match a missing-value marker: a marker such as -999.1
    has no exact float32 value, and data read as float32 (ROOT files) hold
    float32's nearest value, also after a conversion to float64. NaN
    matches NaN.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([np.float32(-999.1), -999.1, -999.0])
    >>> float32_equal(x, -999.1)
    array([ True,  True, False])
    """
    X = np.asarray(X)
    if value != value:
        return np.isnan(X)
    with np.errstate(over="ignore"):
        return X.astype(np.float32, copy=False) == np.float32(value)


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

    NaN is matched with :func:`numpy.isnan`; any other marker after rounding
    both to float32, the package's one rule for markers (as the networks
    match them, :func:`float32_equal`): a marker that float32
    cannot hold exactly (``-999.1``) matches float32 data written with it,
    also once converted to float64 (a DataFrame mixing float32 and float64
    columns becomes float64). A marker beyond the float32 range is compared
    exactly.

    Examples
    --------
    >>> import numpy as np
    >>> missing_mask(np.array([[1.0, np.nan], [-999.0, 2.0]]), np.nan)
    array([[False,  True],
           [False, False]])
    >>> missing_mask(np.array([[1.0, np.nan], [-999.0, 2.0]]), -999.0)
    array([[False, False],
           [ True, False]])
    >>> X = np.array([-999.1, 1.0], dtype=np.float32).astype(np.float64)
    >>> X == -999.1, missing_mask(X, -999.1)
    (array([False, False]), array([ True, False]))
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if is_scalar_nan(missing_values):
        return np.isnan(X)
    if abs(float(missing_values)) > FLOAT32_MAX:
        return X == missing_values
    return float32_equal(X, missing_values)


def column_label(j, feature_names_in=None) -> str:
    """How error messages name column ``j``: its name and position, or position.

    Parameters
    ----------
    j : int
        Position of the column.
    feature_names_in : array-like of str or None, default=None
        Column names seen in fit, if any.

    Returns
    -------
    label : str
        ``"column 'pt' (index 2)"`` with names, else ``"column 2"``.

    Examples
    --------
    >>> import numpy as np
    >>> column_label(1, np.array(["a", "b"])), column_label(1)
    ("column 'b' (index 1)", 'column 1')
    """
    j = int(j)
    if feature_names_in is not None:
        return f"column {str(feature_names_in[j])!r} (index {j})"
    return f"column {j}"


def check_category_codes(X, columns, *, owner: str, feature_names_in=None) -> None:
    """Raise a ValueError naming the column unless it holds non-negative integers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numeric data.
    columns : array-like of int
        Positions of the categorical columns.
    owner : str
        Class name used in the messages.
    feature_names_in : array-like of str or None, default=None
        Column names, to name the column in the messages.

    Raises
    ------
    ValueError
        For NaN or infinity, a negative code (the message starts with
        scikit-learn's ``"Negative values in data passed to"``) or a
        fractional one, naming the column, the value and the row.

    Examples
    --------
    >>> import numpy as np
    >>> check_category_codes(np.array([[0.0, 1.5], [2.0, 3.0]]), [0],
    ...                      owner="NeuralClassifier")
    >>> check_category_codes(np.array([[0.0], [2.5]]), [0], owner="NeuralClassifier")
    Traceback (most recent call last):
    ...
    ValueError: The categorical column 0 of NeuralClassifier must hold non-negative ...
    """
    for j in columns:
        values = X[:, j]
        label = column_label(j, feature_names_in)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"The categorical {label} of {owner} holds NaN or inf "
                f"({float(values[row])!r} in row {row}); it must hold non-negative "
                "integer codes. Give missing values a code of their own first."
            )
        bad = values < 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Negative values in data passed to {owner}: the categorical {label} "
                f"must hold non-negative integer codes; got {float(values[row])!r} "
                f"in row {row}."
            )
        bad = values != np.floor(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"The categorical {label} of {owner} must hold non-negative integer "
                f"codes; got {float(values[row])!r} in row {row}. Encode the "
                "categories as 0, 1, 2, ... first (e.g. with "
                "sklearn.preprocessing.OrdinalEncoder)."
            )


def encode_categories(
    X: np.ndarray, cat_idx: np.ndarray, categories: list[np.ndarray]
) -> np.ndarray:
    """Table rows of the codes: code ``categories[i][k]`` -> ``k + 1``, unseen -> 0.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[3.0, 0.5], [7.0, 0.1], [5.0, 0.2]])
    >>> encode_categories(X, np.array([0]), [np.array([3.0, 7.0])])
    array([[1],
           [2],
           [0]])
    """
    out = np.zeros((X.shape[0], len(cat_idx)), dtype=np.int64)
    for pos, (j, cats) in enumerate(zip(cat_idx, categories)):
        values = X[:, j]
        found = np.searchsorted(cats, values)
        clipped = np.minimum(found, len(cats) - 1)
        known = cats[clipped] == values
        out[:, pos] = np.where(known, clipped + 1, 0)
    return out


def check_zero_one_labels(y, *, owner: str, param: str = "y_true") -> np.ndarray:
    """Labels of a physics metric: only 0 (background) and 1 (signal).

    One class alone is allowed (a selection may hold only background); any
    other label is refused. Compare :func:`two_class_signal_mask`, which
    takes any two labels.

    Returns
    -------
    y : ndarray of int64

    Examples
    --------
    >>> check_zero_one_labels([1, 0, 1], owner="ams").tolist()
    [1, 0, 1]
    >>> check_zero_one_labels([1, 2], owner="ams")
    Traceback (most recent call last):
    ...
    ValueError: ams needs y_true of 0 (background) and 1 (signal); got labels [1, 2].
    """
    y = np.asarray(y)
    labels = np.unique(y)
    if not np.all(np.isin(labels, [0, 1])):
        raise ValueError(
            f"{owner} needs {param} of 0 (background) and 1 (signal); got labels "
            f"{labels.tolist()!r}."
        )
    return y.astype(np.int64)


def two_class_signal_mask(y, *, param: str, owner: str):
    """Exactly two class labels, any values: the larger one is signal.

    Compare :func:`check_zero_one_labels`, which takes only 0 and 1 but
    also one class alone.

    Returns
    -------
    classes : ndarray of shape (2,)
        The two labels, sorted.
    is_signal : ndarray of bool
        ``y == classes[1]``.

    Examples
    --------
    >>> classes, is_signal = two_class_signal_mask(
    ...     ["b", "s", "s"], param="y", owner="plot_roc")
    >>> classes.tolist(), is_signal.tolist()
    (['b', 's'], [False, True, True])
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(
            f"The '{param}' parameter of {owner} must hold exactly two classes "
            f"(background, signal). Got classes {classes.tolist()} instead."
        )
    return classes, y == classes[1]


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
    sample_weight : ndarray of shape (n_samples,) or (n_samples, n_features), \
            or None
        Weights of the rows, or of each entry (negative ones allowed: the
        formulas are applied as they are, see
        :func:`sknn_hep.preprocessing._stats.event_mean_var`); ``None``
        means unit weights.
    present : ndarray of bool, same shape as ``X``, or None
        Entries to count; ``None`` counts all of them.
    center : bool, default=True
        Whether the variance is taken around the weighted mean or around 0.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        NaN for a column without any present entry of non-zero weight.
    var : ndarray of shape (n_features,)
        NaN where ``mean`` is NaN. With negative weights it may be negative.
    weight_sum : ndarray of shape (n_features,)
        Sum of the weights of the present entries.
    n_nonzero : ndarray of shape (n_features,)
        Number of present entries with non-zero weight (of either sign).

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
    W = np.where(present, w if w.ndim == 2 else w[:, None], 0.0)
    Xz = np.where(present, X, 0.0)
    weight_sum = W.sum(axis=0)
    n_nonzero = np.count_nonzero(W != 0, axis=0)
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


def weighted_mean_std(values: np.ndarray, weights: np.ndarray | None):
    """Column means and standard deviations, weighted by ``max(w, 0)``.

    The networks' scaling constants: falls back to unweighted statistics
    where the positive weights sum to 0. A standard deviation below the
    smallest normal float32 (1.2e-38), whose inverse the float32 network
    cannot hold, is returned as 0: the column is constant for the network
    (the scaling layers then use 1). Compare :func:`weighted_mean_var`,
    which applies signed weights as they are.

    Examples
    --------
    >>> import numpy as np
    >>> m, s = weighted_mean_std(np.array([[0.0], [2.0], [10.0]]),
    ...                          np.array([1.0, 1.0, 0.0]))
    >>> float(m[0]), float(s[0])
    (1.0, 1.0)
    >>> float(weighted_mean_std(np.array([[0.0], [1e-44]]), None)[1][0])
    0.0
    """
    values = np.asarray(values, dtype=np.float64)
    if weights is not None:
        weights = np.clip(weights, 0.0, None)
        if weights.sum() <= 0:
            weights = None
    mean = np.average(values, axis=0, weights=weights)
    var = np.average((values - mean) ** 2, axis=0, weights=weights)
    std = np.sqrt(var)
    return mean, np.where(std < np.finfo(np.float32).tiny, 0.0, std)
