"""Small helpers shared by the estimators and transformers (no torch here)."""

from __future__ import annotations

import numbers

import numpy as np


def resolve_columns(
    columns, *, n_features, feature_names_in=None, param="columns", owner="estimator"
):
    """Turn a column selection into sorted, unique integer indices.

    Parameters
    ----------
    columns : None, int, str, array-like of int, of str, or of bool
        ``None`` selects no column. Integers are positions (negative ones count
        from the end), strings are column names (only when the data had
        feature names in fit), a boolean mask must have ``n_features`` entries.
    n_features : int
        Number of columns of the data.
    feature_names_in : ndarray of str or None
        Column names seen in fit, if any.
    param, owner : str
        Parameter and class name used in error messages.

    Returns
    -------
    indices : ndarray of int
        Sorted unique positions.

    Raises
    ------
    ValueError
        Naming ``param``, ``owner`` and the offending entry, for an unknown
        name, an index out of range, a mask of the wrong length, or names
        given for data without column names.

    Examples
    --------
    >>> import numpy as np
    >>> resolve_columns(["b", "a"], n_features=3,
    ...                 feature_names_in=np.array(["a", "b", "c"]))
    array([0, 1])
    >>> resolve_columns([True, False, True], n_features=3)
    array([0, 2])
    >>> resolve_columns([-1], n_features=3)
    array([2])
    """
    if columns is None:
        return np.zeros(0, dtype=np.intp)
    if isinstance(columns, (str, numbers.Integral)):
        columns = [columns]
    cols = list(columns)
    if len(cols) == 0:
        return np.zeros(0, dtype=np.intp)
    if all(isinstance(c, (bool, np.bool_)) for c in cols):
        if len(cols) != n_features:
            raise ValueError(
                f"The boolean mask in the '{param}' parameter of {owner} has "
                f"{len(cols)} entries, but X has {n_features} features."
            )
        return np.flatnonzero(np.asarray(cols, dtype=bool)).astype(np.intp)
    if all(isinstance(c, str) for c in cols):
        if feature_names_in is None:
            raise ValueError(
                f"The '{param}' parameter of {owner} names columns {cols!r}, but X "
                "has no column names; pass a DataFrame or use integer positions."
            )
        names = list(feature_names_in)
        unknown = [c for c in cols if c not in names]
        if unknown:
            raise ValueError(
                f"The '{param}' parameter of {owner} names columns {unknown!r} "
                f"that are not in X; its columns are {names!r}."
            )
        return np.unique(np.array([names.index(c) for c in cols], dtype=np.intp))
    if all(
        isinstance(c, numbers.Integral) and not isinstance(c, (bool, np.bool_))
        for c in cols
    ):
        idx = np.asarray(cols, dtype=np.intp)
        bad = idx[(idx >= n_features) | (idx < -n_features)]
        if bad.size:
            raise ValueError(
                f"The '{param}' parameter of {owner} holds column index "
                f"{int(bad[0])}, out of range for X with {n_features} features."
            )
        return np.unique(np.where(idx < 0, idx + n_features, idx))
    raise ValueError(
        f"The '{param}' parameter of {owner} must be column positions (int), "
        f"column names (str) or a boolean mask. Got {columns!r} instead."
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
