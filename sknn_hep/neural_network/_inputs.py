"""Input preparation shared by the estimators: categorical codes, weights,
weighted statistics and tensors (numpy in, torch out)."""

from __future__ import annotations

import numpy as np
import torch

from .._validation import (
    FLOAT32_TINY,
    check_category_codes,
    weighted_mean_std,
    weighted_mean_var,
)
from ..utils import weighted_quantiles


def check_codes(estimator, X: np.ndarray, cat_idx: np.ndarray) -> None:
    """:func:`sknn_hep._validation.check_category_codes` for a fitted network."""
    check_category_codes(
        X,
        cat_idx,
        owner=type(estimator).__name__,
        feature_names_in=getattr(estimator, "feature_names_in_", None),
    )


def check_target_spread(values: np.ndarray, *, owner: str, label) -> None:
    """Refuse regression targets whose spread float32 cannot resolve.

    The network predicts ``t' * scale + mean`` in float32; targets that vary
    by less than the smallest normal float32 (1.2e-38, e.g. cross-sections
    in cm²) would all come out as the same, meaningless value.
    ``label(j)`` names column ``j`` in the message.

    Examples
    --------
    >>> import numpy as np
    >>> check_target_spread(np.array([[1e-39], [3e-39]]), owner="NeuralRegressor",
    ...                     label=lambda j: f"column {j}")
    Traceback (most recent call last):
    ...
    ValueError: The regression targets of NeuralRegressor in column 0 vary ...
    """
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    for j in np.flatnonzero((spread > 0) & (spread < FLOAT32_TINY)):
        raise ValueError(
            f"The regression targets of {owner} in {label(int(j))} vary by only "
            f"{spread[j]:.3g}, below the smallest normal float32 "
            f"({FLOAT32_TINY:.3g}); {owner} computes in float32 and cannot tell "
            "them apart. Express the target in other units (e.g. a cross-section "
            "in pb rather than cm²) and scale the predictions back."
        )


# Bound of the smooth clipping behind input_scaling="robust" (in units of the
# robust σ), as in RealMLP (Holzmüller et al. 2024).
SMOOTH_CLIP = 3.0
# Bins per column of num_embedding="piecewise".
N_BINS = 32
# Frequencies of num_embedding="periodic": their number per column and the
# initial scale σ (in units of the scaled input).
PERIODIC_OPTIONS = {"n_frequencies": 16, "sigma": 0.1}
# IQR / 1.349 is σ for a Gaussian
_IQR_TO_SIGMA = 1.0 / 1.3489795003921634


def input_constants(
    values: np.ndarray,
    weights: np.ndarray | None,
    kind,
    missing: np.ndarray | None = None,
):
    """Centre and scale of each column for the network's input scaling.

    ``kind``: ``"robust"`` (median and interquartile range / 1.349, the
    standard deviation where the IQR is 0), ``"standard"`` or True (mean
    and standard deviation), False (``(None, None)``: no scaling). Both are
    weighted by ``max(w, 0)`` (unweighted where the positive weights sum to
    0), so that an integer weight acts as repeated rows; the quantiles are
    those of the weighted empirical distribution
    (:func:`weighted_quantiles`).
    Entries flagged in ``missing`` are left out; a column with no value
    left gets centre 0 and scale 0 (the layer then uses 1).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> c, s = input_constants(x, None, "robust")
    >>> float(c[0]), round(float(s[0]), 3)
    (3.0, 1.483)
    >>> c, s = input_constants(x, None, "robust", x == 1000.0)
    >>> float(c[0])
    2.5
    """
    if kind is False or values.shape[1] == 0:
        return None, None
    values = np.asarray(values, dtype=np.float64)
    if kind == "robust":
        present = np.ones(values.shape, dtype=bool) if missing is None else ~missing
        if weights is not None:
            weights = np.clip(weights, 0.0, None)
            if not weights.sum() > 0:
                weights = None
        w = np.ones(values.shape[0]) if weights is None else weights
        center = np.zeros(values.shape[1])
        scale = np.zeros(values.shape[1])
        for j in range(values.shape[1]):
            keep = present[:, j] & (w > 0)
            if not keep.any():
                continue
            col, wj = values[keep, j], w[keep]
            q1, center[j], q3 = weighted_quantiles(col, wj, (0.25, 0.5, 0.75))
            scale[j] = (q3 - q1) * _IQR_TO_SIGMA
            if scale[j] < np.finfo(np.float32).tiny:
                mean = np.average(col, weights=wj)
                scale[j] = np.sqrt(np.average((col - mean) ** 2, weights=wj))
        return center, np.where(scale < np.finfo(np.float32).tiny, 0.0, scale)
    if missing is None or not missing.any():
        return weighted_mean_std(values, weights)
    present = ~missing
    w = np.ones(values.shape[0]) if weights is None else np.clip(weights, 0.0, None)
    w = np.where(present, w[:, None], 0.0)
    # a column whose present entries have no positive weight: unweighted
    w = np.where(present & (w.sum(axis=0) <= 0), 1.0, w)
    mean, var, _, _ = weighted_mean_var(values, w, present=present)
    # a column with no value left: centre 0 and scale 0 (the layer then uses 1)
    empty = np.isnan(mean)
    mean[empty], var[empty] = 0.0, 0.0
    std = np.sqrt(var)
    return mean, np.where(std < FLOAT32_TINY, 0.0, std)


# Rows converted at a time where a whole-array temporary would grow with the
# data (the float32 tensors of fit, the inputs of predict).
CHUNK_ROWS = 65_536
# Columns per block of the input statistics. numpy sums a block of 2 or more
# columns of a C-ordered array along its rows in the same order as the whole
# array (a single column pairwise), so the statistics of blocks of at least
# 2 columns are those of the whole array to the last bit.
_COLUMN_BLOCK = 2


# bytes of the float64 column blocks the input statistics are computed on
STATS_BLOCK_BYTES = 16 * 2**20


def column_blocks(n_columns: int, width: int = 2) -> list[slice]:
    """Consecutive column slices of ``width`` (>= 2) columns, never one alone.

    A last block narrower than 2 columns joins the one before (numpy sums a
    block of one column in another order than a block of several).

    Examples
    --------
    >>> column_blocks(5)
    [slice(0, 2, None), slice(2, 5, None)]
    >>> column_blocks(1)
    [slice(0, 1, None)]
    >>> column_blocks(30, width=8)
    [slice(0, 8, None), slice(8, 16, None), slice(16, 24, None), slice(24, 30, None)]
    """
    width = max(int(width), _COLUMN_BLOCK)
    edges = list(range(0, n_columns, width))
    if len(edges) > 1 and n_columns - edges[-1] < _COLUMN_BLOCK:
        edges.pop()
    edges.append(n_columns)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def blockwise_input_constants(x, rows, weights, kind, missing_mask=None):
    """:func:`input_constants` of ``x[rows]``, a block of columns at a time.

    The same centres and scales, to the last bit, as
    ``input_constants(x[rows], weights, kind, missing_mask(x[rows]))``,
    without a copy of ``x[rows]`` nor a float64 copy of it: the temporaries
    are float64 copies of 2 or 3 columns.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
        Numeric inputs.
    rows : ndarray of int
        The rows the statistics are computed on.
    weights : ndarray of shape (len(rows),) or None
        Their weights.
    kind : {"robust", "standard", True, False}
        As for :func:`input_constants`.
    missing_mask : callable or None
        ``missing_mask(block) -> bool array`` of the missing entries of a
        block of columns (None: no missing values).

    Returns
    -------
    center, scale : ndarray of shape (n_features,) or None
        As :func:`input_constants` returns them.
    flags : list of int
        Columns with at least one missing entry in ``rows``.
    """
    centers, scales, flags = [], [], []
    stats = kind is not False and x.shape[1] > 0
    if not stats and missing_mask is None:
        return None, None, flags
    # as many columns per block as fit in STATS_BLOCK_BYTES of float64 (at
    # least 2): one pass over small data, bounded temporaries on large data
    width = STATS_BLOCK_BYTES // max(1, 8 * len(rows))
    for cols in column_blocks(x.shape[1], width):
        block = np.ascontiguousarray(x[rows, cols])
        missing = missing_mask(block) if missing_mask is not None else None
        if missing is not None:
            flags.extend((np.flatnonzero(missing.any(axis=0)) + cols.start).tolist())
        if stats:
            center, scale = input_constants(block, weights, kind, missing)
            centers.append(center)
            scales.append(scale)
    if not stats:
        return None, None, flags
    return np.concatenate(centers), np.concatenate(scales), flags


def gather_rows(array: np.ndarray, rows: np.ndarray, dtype: torch.dtype):
    """``array[rows]`` as a new CPU tensor of ``dtype``, built chunk by chunk.

    The same values as ``as_tensor(array[rows], dtype)``; the only
    temporary is a chunk of :data:`CHUNK_ROWS` rows (no copy of the whole
    selection, no float64 copy of it).
    """
    np_dtype = {torch.float32: np.float32, torch.int64: np.int64}[dtype]
    out = np.empty((len(rows),) + array.shape[1:], dtype=np_dtype)
    for start in range(0, len(rows), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        out[start:stop] = array[rows[start:stop]]
    return torch.from_numpy(out)


def as_tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """Zero-copy where possible; a copy for read-only or mismatched arrays."""
    np_dtype = {torch.float32: np.float32, torch.int64: np.int64}[dtype]
    array = np.ascontiguousarray(array, dtype=np_dtype)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)
