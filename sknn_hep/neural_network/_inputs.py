"""Input preparation shared by the estimators: categorical codes, weights,
weighted statistics and tensors (numpy in, torch out)."""

from __future__ import annotations

import numpy as np
import torch


def column_label(estimator, j: int) -> str:
    """A column's name if X had names in fit, else ``"column j"``."""
    names = getattr(estimator, "feature_names_in_", None)
    return f"column {names[j]!r}" if names is not None else f"column {j}"


def check_codes(estimator, X: np.ndarray, cat_idx: np.ndarray) -> None:
    """Raise a ValueError naming the column for negative or fractional codes."""
    for j in cat_idx:
        values = X[:, j]
        bad = (values < 0) | (values != np.floor(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Categorical feature {column_label(estimator, j)} of "
                f"{type(estimator).__name__} must hold non-negative integer codes; "
                f"got {float(values[row])!r} in row {row}. Encode categories as 0, "
                "1, 2, ... first (e.g. with sklearn.preprocessing.OrdinalEncoder)."
            )


def weighted_mean_std(values: np.ndarray, weights: np.ndarray | None):
    """Column means and standard deviations, weighted by ``max(w, 0)``.

    Falls back to unweighted statistics where the positive weights sum to 0.
    A standard deviation below the smallest normal float32 (1.2e-38), whose
    inverse the float32 network cannot hold, is returned as 0: the column is
    constant for the network (the scaling layers then use 1).

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


def as_tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """Zero-copy where possible; a copy for read-only or mismatched arrays."""
    np_dtype = {torch.float32: np.float32, torch.int64: np.int64}[dtype]
    array = np.ascontiguousarray(array, dtype=np_dtype)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)
