"""Sample weights for regression targets and augmentation by azimuthal rotation.

Two of the lectures' topics that act on the events rather than on the
columns, so they are functions called before ``fit``, not pipeline steps (a
scikit-learn pipeline step cannot change the rows or the weights).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import column_or_1d

from ..utils import check_event_weights


@validate_params(
    {
        "y": ["array-like"],
        "bins": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def binned_target_weights(y, bins=10, *, sample_weight=None):
    """Sample weights that give every bin of a regression target the same weight.

    The regression analogue of ``class_weight="balanced"``: the target range
    is cut into bins and each event of bin b is weighted ⟨N⟩ / N_b (N_b the
    (weighted) count of bin b, ⟨N⟩ the mean over the non-empty bins), so a
    rare region of the target counts as much as the bulk. Pass the result as
    ``sample_weight`` to ``fit`` (multiply it with physics weights by giving
    them as ``sample_weight`` here).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The regression target (finite).
    bins : int or array-like, default=10
        Number of equal-width bins over ``[min(y), max(y)]``, or the bin
        edges (increasing); values outside the edges go to the first or last
        bin.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the events (counts when None). The result is
        ``sample_weight * ⟨N⟩ / N_b``. Negative weights are allowed (NLO
        generators) where the total, and each bin's total, is positive (a
        bin summing to zero or less is a ValueError naming it).

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Sums to the total of ``sample_weight`` (the number of events when
        None); every non-empty bin holds the same total.

    Examples
    --------
    >>> from sknn_hep.preprocessing import binned_target_weights
    >>> y = [1.0, 1.1, 1.2, 1.3, 9.0]   # four events at low y, one at high y
    >>> binned_target_weights(y, bins=2)
    array([0.625, 0.625, 0.625, 0.625, 2.5  ])
    """
    y = column_or_1d(y).astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError("The 'y' parameter of binned_target_weights must be finite.")
    if y.size == 0:
        raise ValueError("The 'y' parameter of binned_target_weights is empty.")
    if sample_weight is None:
        w = np.ones_like(y)
    else:
        w = check_event_weights(sample_weight, y, owner="binned_target_weights")
    if isinstance(bins, Integral):
        edges = np.histogram_bin_edges(y, bins=int(bins))
    else:
        edges = np.asarray(bins, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise ValueError(
                "The 'bins' parameter of binned_target_weights must be an int >= 1 "
                f"or increasing edges (at least 2). Got {bins!r} instead."
            )
    index = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, edges.size - 2)
    totals = np.bincount(index, weights=w, minlength=edges.size - 1)
    weighted = np.bincount(index, weights=w != 0, minlength=edges.size - 1) > 0
    bad = np.flatnonzero(weighted & ~(totals > 0))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"The events of bin {j} of y ([{edges[j]:g}, {edges[j + 1]:g}]) have "
            f"weights summing to {totals[j]:g}; binned_target_weights cannot give "
            "that bin the mean bin total (negative weights are allowed, but each "
            "bin with events must sum to a positive number): use fewer or wider "
            "bins."
        )
    filled = totals > 0
    mean = totals[filled].mean()
    return w * mean / np.where(filled, totals, 1.0)[index]


@validate_params(
    {
        "X": ["array-like"],
        "phi_columns": ["array-like"],
        "xy_columns": ["array-like", None],
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "missing_values": [float, int, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def augment_azimuthal_rotation(
    X,
    phi_columns,
    *,
    xy_columns=None,
    n_copies=1,
    missing_values=None,
    random_state=None,
):
    """Augment events by rotating them about the beam axis.

    A collider event's physics does not depend on its azimuthal orientation:
    rotating every object of an event by one angle α gives an equally likely
    event. Each copy rotates each event by its own random α: every φ column
    becomes ``φ + α`` wrapped into [-π, π), every (px, py) pair
    ``(px cos α − py sin α, px sin α + py cos α)``; other columns are kept.

    The lectures call augmentation delicate: augment the training events
    only (never the validation or test events, and after any split), and
    only with a symmetry the detector respects (a φ-dependent acceptance or
    a φ-dependent missing-value pattern breaks it).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        The events.
    phi_columns : list of str or int
        Azimuthal-angle columns (names for a DataFrame, else positions).
    xy_columns : list of (str or int, str or int) pairs, default=None
        Transverse-momentum components to rotate together, e.g.
        ``[("mu1_px", "mu1_py")]``.
    n_copies : int >= 1, default=1
        Rotated copies of each event.
    missing_values : float or None, default=None
        Marker of a missing value (e.g. ``-999.0``); such entries are left as
        they are.
    random_state : int, RandomState instance or None, default=None
        Seed of the angles.

    Returns
    -------
    X_augmented : DataFrame or ndarray of shape (n_samples * (1 + n_copies), n_features)
        The original events followed by the copies (same type as ``X``; a
        DataFrame gets a fresh RangeIndex).
    source : ndarray of shape (n_samples * (1 + n_copies),)
        The row of ``X`` each event came from: take ``y[source]``,
        ``sample_weight[source]`` (divide by ``1 + n_copies`` to keep the
        total) and event numbers ``groups[source]`` (a copy must stay in its
        original's fold).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.preprocessing import augment_azimuthal_rotation
    >>> X = np.array([[50.0, 3.0, 30.0, 0.0]])  # pT, phi, px, py
    >>> Xa, source = augment_azimuthal_rotation(
    ...     X, [1], xy_columns=[(2, 3)], n_copies=2, random_state=0)
    >>> source
    array([0, 0, 0])
    >>> bool(np.allclose(np.hypot(Xa[:, 2], Xa[:, 3]), 30.0))  # |pT| kept
    True
    >>> bool(np.all((Xa[:, 1] >= -np.pi) & (Xa[:, 1] < np.pi)))
    True
    """
    import pandas as pd

    frame = X if isinstance(X, pd.DataFrame) else None
    values = frame.to_numpy(dtype=np.float64) if frame is not None else np.asarray(X)
    if values.ndim != 2:
        raise ValueError(
            "The 'X' parameter of augment_azimuthal_rotation must be 2-D. Got an "
            f"array of shape {values.shape} instead."
        )
    values = values.astype(np.float64)
    names = list(frame.columns) if frame is not None else None
    phi = [_position(c, names, values.shape[1], "phi_columns") for c in phi_columns]
    pairs = []
    for pair in xy_columns or []:
        if isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise ValueError(
                "The 'xy_columns' parameter of augment_azimuthal_rotation must "
                f"hold (px, py) pairs. Got {pair!r} instead."
            )
        pairs.append(
            tuple(_position(c, names, values.shape[1], "xy_columns") for c in pair)
        )
    if not phi and not pairs:
        raise ValueError(
            "augment_azimuthal_rotation needs at least one column to rotate: "
            "phi_columns and xy_columns are both empty."
        )
    rng = check_random_state(random_state)
    n = values.shape[0]
    blocks = [values]
    for _ in range(n_copies):
        alpha = rng.uniform(-np.pi, np.pi, size=n)
        copy = values.copy()
        for j in phi:
            col = copy[:, j]
            keep = _present(col, missing_values)
            col[keep] = np.mod(col[keep] + alpha[keep] + np.pi, 2 * np.pi) - np.pi
        for jx, jy in pairs:
            px, py = values[:, jx], values[:, jy]
            keep = _present(px, missing_values) & _present(py, missing_values)
            c, s = np.cos(alpha[keep]), np.sin(alpha[keep])
            copy[keep, jx] = px[keep] * c - py[keep] * s
            copy[keep, jy] = px[keep] * s + py[keep] * c
        blocks.append(copy)
    out = np.vstack(blocks)
    source = np.tile(np.arange(n), 1 + n_copies)
    if frame is not None:
        out = pd.DataFrame(out, columns=frame.columns).astype(frame.dtypes.to_dict())
    return out, source


def _present(col, missing_values):
    if missing_values is None:
        return np.ones(col.shape, dtype=bool)
    return col != missing_values


def _position(column, names, n_features: int, param: str) -> int:
    if names is not None and isinstance(column, str):
        if column not in names:
            raise ValueError(
                f"The '{param}' parameter of augment_azimuthal_rotation names "
                f"{column!r}, which is not a column of X."
            )
        return names.index(column)
    if isinstance(column, Integral) and not isinstance(column, bool):
        if not 0 <= column < n_features:
            raise ValueError(
                f"The '{param}' parameter of augment_azimuthal_rotation holds "
                f"{column}, outside the {n_features} columns of X."
            )
        return int(column)
    raise ValueError(
        f"The '{param}' parameter of augment_azimuthal_rotation must hold column "
        f"names (DataFrame X) or positions. Got {column!r} instead."
    )
