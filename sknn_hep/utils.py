"""Small helpers shared by the estimators and transformers (no torch here)."""

from __future__ import annotations

import numbers
import os
import tempfile

import numpy as np
from sklearn.utils.validation import validate_data

from ._validation import FLOAT32_MAX, column_label


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


def check_numeric_columns(X, *, owner: str, input_name: str = "X") -> None:
    """Raise naming the first column of ``X`` that does not convert to float.

    Only DataFrame columns of a non-numeric dtype and the columns of numpy
    arrays of object or string dtype are inspected; numeric data passes at no
    cost.

    Parameters
    ----------
    X : array-like or DataFrame
        The data, before ``check_array``.
    owner : str
        Class name used in the message.
    input_name : str
        Name of the input in the message.

    Raises
    ------
    ValueError or TypeError
        The error ``float()`` raised on the column (a ValueError for a string
        such as ``"jet"``, a TypeError for an object such as a dict), with a
        message naming the column, its dtype and the remedy.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"pt": [1.0, 2.0], "flavour": ["b", "c"]})
    >>> check_numeric_columns(X, owner="NeuralClassifier")
    Traceback (most recent call last):
    ...
    ValueError: NeuralClassifier needs numeric inputs, but X column 'flavour' ...
    """
    if hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc"):
        names = [str(c) for c in X.columns]
        columns = [
            (j, dtype, X.iloc[:, j])
            for j, dtype in enumerate(X.dtypes)
            if getattr(dtype, "kind", "O") not in "biuf"
        ]
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "OUS":
        names = None
        columns = [(j, X.dtype, X[:, j]) for j in range(X.shape[1])]
    else:
        return
    for j, dtype, values in columns:
        try:
            np.asarray(values, dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise type(exc)(
                f"{owner} needs numeric inputs, but {input_name} "
                f"{column_label(j, names)} of dtype {dtype} holds a value that is "
                f"not a number ({exc}). Encode strings and categories as integer "
                "codes first (e.g. with sklearn.preprocessing.OrdinalEncoder) or "
                "drop the column."
            ) from exc


def check_finite_columns(
    X,
    *,
    owner: str,
    feature_names_in=None,
    allow_nan: bool = False,
    input_name: str = "X",
    nan_hint: str | None = None,
    ignore_columns=(),
) -> None:
    """Raise a ValueError naming the columns of ``X`` that hold NaN or infinity.

    Parameters
    ----------
    X : ndarray, DataFrame or sparse matrix of shape (n_samples, n_features)
        Numeric data (only the float columns of a DataFrame are inspected).
    owner : str
        Class name used in the message.
    feature_names_in : ndarray of str or None
        Column names, to name the columns (else their positions).
    allow_nan : bool
        NaN is accepted (the caller handles it as a missing value); infinity
        is still refused.
    input_name : str
        Name of the input in the message.
    nan_hint : str or None
        What to do about NaN, in place of the default advice to encode the
        missing values first.
    ignore_columns : sequence of int
        Positions of columns not to check (e.g. an event-number column whose
        NaN means "unknown").

    Raises
    ------
    ValueError
        Naming the value (NaN or infinity), up to five columns, the number of
        affected rows and the first one, and the remedy. The message contains
        ``"NaN"`` or ``"inf"`` as scikit-learn's own does.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, np.inf]])
    >>> check_finite_columns(X, owner="GroupScaler",
    ...                      feature_names_in=np.array(["pt", "eta"]))
    Traceback (most recent call last):
    ...
    ValueError: Input X contains infinity in column 'eta' (index 1): ...
    >>> check_finite_columns(np.array([[np.nan]]), owner="MissingValueEncoder",
    ...                      allow_nan=True)
    """
    cols, rows, kind = _nonfinite_cells(
        X, allow_nan=allow_nan, ignore=set(ignore_columns)
    )
    if kind is None:
        return
    listed = ", ".join(column_label(int(j), feature_names_in) for j in cols[:5])
    where = (
        listed
        if len(cols) == 1
        else f"{len(cols)} columns ({listed}{', ...' if len(cols) > 5 else ''})"
    )
    if kind == "infinity":
        remedy = (
            f"{owner} needs finite values; infinite values often come from a "
            "logarithm of 0 or a division by 0: replace them (or drop those rows) "
            "first."
        )
    elif nan_hint is not None:
        remedy = nan_hint
    else:
        remedy = (
            f"{owner} does not handle missing values: encode them first (e.g. "
            "with sknn_hep.preprocessing.MissingValueEncoder) or drop those rows."
        )
    raise ValueError(
        f"Input {input_name} contains {kind} in {where}: {len(rows)} "
        f"row(s), the first at row {int(rows[0])}. {remedy}"
    )


def _nonfinite_cells(X, *, allow_nan: bool, ignore: set):
    """Columns and rows holding NaN (unless allowed) or else infinity.

    NaN is reported before infinity. Returns ``(cols, rows, kind)`` with
    ``kind`` None when every value is finite (or NaN, with ``allow_nan``).
    """
    positions = None  # column positions of a 2-D part
    if hasattr(X, "tocoo"):  # scipy sparse: only the stored values
        coo = X.tocoo()
        kept = ~np.isin(coo.col, list(ignore))
        coo_data, coo_row, coo_col = coo.data[kept], coo.row[kept], coo.col[kept]
        parts = [(None, coo_data)]
    elif hasattr(X, "iloc") and hasattr(X, "dtypes"):  # DataFrame, per column
        parts = [
            (j, X.iloc[:, j].to_numpy())
            for j, dtype in enumerate(X.dtypes)
            if getattr(dtype, "kind", "O") in "fc" and j not in ignore
        ]
    else:
        values = np.asarray(X)
        if ignore and values.ndim == 2:
            positions = np.array(
                [j for j in range(values.shape[1]) if j not in ignore], dtype=int
            )
            values = values[:, positions]
        parts = [(None, values)]
    found = {"NaN": ([], []), "infinity": ([], [])}
    for j, values in parts:
        if values.dtype.kind not in "fc" or values.size == 0:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(values.sum()):  # fast path: one pass, no temporary
                continue
        for kind, bad in (
            ("NaN", None if allow_nan else np.isnan(values)),
            ("infinity", np.isinf(values)),
        ):
            if bad is None or not bad.any():
                continue
            cols, rows = found[kind]
            if hasattr(X, "tocoo"):
                cols.append(coo_col[bad])
                rows.append(coo_row[bad])
            elif j is not None:
                cols.append(np.array([j]))
                rows.append(np.flatnonzero(bad))
            else:
                bad_2d = bad.reshape(len(values), -1)
                found_cols = np.flatnonzero(bad_2d.any(axis=0))
                cols.append(found_cols if positions is None else positions[found_cols])
                rows.append(np.flatnonzero(bad_2d.any(axis=1)))
    for kind, (cols, rows) in found.items():
        if cols:
            return (
                np.unique(np.concatenate(cols)),
                np.unique(np.concatenate(rows)),
                kind,
            )
    return None, None, None


def validate_inputs(
    estimator,
    X,
    y="no_validation",
    *,
    reset,
    ensure_all_finite=True,
    nan_hint=None,
    **check_params,
):
    """scikit-learn's ``validate_data``, with errors that name the column.

    Non-numeric columns (strings, objects) and NaN or infinite values raise
    errors that name the column (by name for a DataFrame, by position for an
    array) instead of scikit-learn's generic ``"Input X contains NaN."``.
    Everything else (feature counts and names, dimensions, sparse input,
    ``y``) is scikit-learn's own check.

    Parameters
    ----------
    estimator : estimator instance
        The estimator validating its input (``n_features_in_`` and
        ``feature_names_in_`` are set on it when ``reset``).
    X, y : array-like
        As for :func:`sklearn.utils.validation.validate_data`.
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.
    ensure_all_finite : bool or "allow-nan"
        Refuse NaN and infinity (True), only infinity (``"allow-nan"``) or
        nothing (False) in ``X``.
    nan_hint : str or None
        Advice in the message for NaN (see :func:`check_finite_columns`).
    **check_params
        Passed to ``validate_data`` (``dtype``, ``copy``, ``multi_output``...).

    Returns
    -------
    X or (X, y)
        As returned by ``validate_data``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.array([[1.0, 2.0], [3.0, np.nan]])
    >>> validate_inputs(StandardScaler(), X, reset=True)
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN in column 1: 1 row(s), ...
    """
    owner = type(estimator).__name__
    check_numeric_columns(X, owner=owner)
    out = validate_data(
        estimator, X, y, reset=reset, ensure_all_finite=False, **check_params
    )
    X_checked = out[0] if isinstance(out, tuple) else out
    if ensure_all_finite:
        check_finite_columns(
            X_checked,
            owner=owner,
            feature_names_in=getattr(estimator, "feature_names_in_", None),
            allow_nan=ensure_all_finite == "allow-nan",
            nan_hint=nan_hint,
        )
    return out


NEGATIVE_WEIGHTS_POLICY = (
    "negative weights are allowed (NLO generators), but the weights of the "
    "whole set, and of each class, must sum to a positive number"
)


def check_event_weights(sample_weight, X, *, owner, y=None):
    """Validated float64 event weights under the package's negative-weight policy.

    Events may carry negative weights (NLO generators with negative-weight
    events): what must be positive is the total, over all rows and, when the
    class labels ``y`` are given, over the rows of each class. NaN, infinite
    and wrongly shaped weights are refused with scikit-learn's messages.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or scalar
        The weights as passed by the user.
    X : array-like of shape (n_samples, ...)
        The data the weights belong to (for the length check).
    owner : str
        ``"Name.fit"`` or the function's name, for the message.
    y : array-like of shape (n_samples,) or None
        Class labels; when given, every class's weights must sum to a
        positive number.

    Returns
    -------
    ndarray of shape (n_samples,), float64

    Examples
    --------
    >>> import numpy as np
    >>> check_event_weights([1.0, -0.5, 2.0], np.zeros((3, 1)), owner="f")
    array([ 1. , -0.5,  2. ])
    >>> check_event_weights([1.0, -2.0, 2.0], np.zeros((3, 1)), owner="f",
    ...                     y=[0, 0, 1])
    Traceback (most recent call last):
    ...
    ValueError: The sample_weight passed to f sums to -1 over the events of class 0; ...
    """
    from sklearn.utils.validation import _check_sample_weight

    w = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=False
    )
    total = float(w.sum())
    if not total > 0:
        raise ValueError(
            f"The sample_weight passed to {owner} sums to {total:g}; the weights "
            "must sum to a positive number (negative weights are allowed, but "
            "not an all-zero or net-negative set)."
        )
    if y is not None and np.any(w < 0):
        y = np.asarray(y)
        if y.ndim == 1:
            for c in np.unique(y):
                class_total = float(w[y == c].sum())
                label = np.asarray(c).tolist()
                if not class_total > 0:
                    raise ValueError(
                        f"The sample_weight passed to {owner} sums to "
                        f"{class_total:g} over the events of class {label!r}; "
                        f"{NEGATIVE_WEIGHTS_POLICY}."
                    )
    return w


def weighted_quantiles(values, weights, qs) -> list:
    """Quantiles of the weighted empirical distribution of ``values``.

    The q-quantile is the smallest value whose cumulative weight (values in
    increasing order) reaches q of the total (numpy's ``"inverted_cdf"``);
    where the cumulative weight equals q of the total exactly, the average
    of that value and the next (as the median of an even number of rows), so
    that weight k equals the row repeated k times. Negative weights are
    allowed (the total must be positive): the cumulative weight is then not
    monotonic, and the quantile is the first value where it reaches the
    target, as a weighted histogram's cumulative sum would give.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantiles(np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4), [0.5])
    [2.5]
    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]),
    ...                    [0.25, 0.5])
    [1.5, 2.5]
    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0, 4.0]),
    ...                    np.array([1.0, -0.5, 1.0, 1.0]), [0.5])
    [3.0]
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(weights[order])
    total = cum[-1]
    out = []
    for q in qs:
        target = q * total
        reached = cum >= target * (1 - 1e-12) if target > 0 else cum >= target
        i = int(np.argmax(reached)) if reached.any() else len(v) - 1
        if np.isclose(cum[i], target, rtol=1e-12, atol=0.0) and i + 1 < len(v):
            out.append(float(0.5 * (v[i] + v[i + 1])))
        else:
            out.append(float(v[i]))
    return out


def check_float32_range(
    X, *, owner: str, feature_names_in=None, input_name: str = "X"
) -> None:
    """Raise a ValueError naming the columns of ``X`` beyond the float32 range.

    The networks compute in float32: a value finite in float64 but larger
    in magnitude than float32's maximum (about 3.4e38) would become
    infinite there. The message has the form of
    :func:`check_finite_columns`'s.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (n_samples,)
        Numeric data (NaN is ignored here).
    owner : str
        Class name used in the message.
    feature_names_in : ndarray of str or None
        Column names, to name the columns (else their positions).
    input_name : str
        Name of the input in the message.

    Examples
    --------
    >>> import numpy as np
    >>> check_float32_range(np.array([[1.0, 2.0], [3.0, 1e39]]),
    ...                     owner="NeuralClassifier")
    Traceback (most recent call last):
    ...
    ValueError: Input X contains values beyond the float32 range ...
    """
    X = np.asarray(X)
    if X.dtype.kind != "f" or X.dtype.itemsize <= 4 or X.size == 0:
        return
    # reductions first (no temporary of the data's size; fmax/fmin skip NaN)
    if np.fmax.reduce(X, axis=None) <= FLOAT32_MAX and (
        np.fmin.reduce(X, axis=None) >= -FLOAT32_MAX
    ):
        return
    with np.errstate(invalid="ignore"):
        big = np.abs(X) > FLOAT32_MAX
    if not big.any():
        return
    big = big.reshape(len(X), -1)
    cols = np.flatnonzero(big.any(axis=0))
    rows = np.flatnonzero(big.any(axis=1))
    listed = ", ".join(column_label(int(j), feature_names_in) for j in cols[:5])
    where = (
        listed
        if len(cols) == 1
        else f"{len(cols)} columns ({listed}{', ...' if len(cols) > 5 else ''})"
    )
    raise ValueError(
        f"Input {input_name} contains values beyond the float32 range (|x| > "
        f"{FLOAT32_MAX:.3g}) in {where}: {len(rows)} row(s), the first at row "
        f"{int(rows[0])}. {owner} computes in float32, where they are infinite: "
        "express the column in other units (or take its logarithm) first."
    )


def install_hint(extra: str) -> str:
    """How to install an optional extra of sknn_hep, as a user can type it.

    sknn_hep is installed from its checkout, not from a public index: the
    hint names the extra's packages (read from the installed package's
    metadata) and the checkout's ``pip install -e ".[extra]"``, quoted so
    that zsh does not expand the brackets.

    Examples
    --------
    >>> print(install_hint("root"))  # doctest: +NORMALIZE_WHITESPACE
    pip install "uproot>=5" "awkward>=2"
    (or, in the sknn_hep checkout: pip install -e ".[root]")
    """
    from importlib import metadata

    try:
        requirements = metadata.requires("sknn-hep") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        requirements = []
    marker = f'extra == "{extra}"'
    packages = [req.split(";")[0].strip() for req in requirements if marker in req]
    checkout = f'pip install -e ".[{extra}]"'
    if not packages:
        return f"in the sknn_hep checkout: {checkout}"
    quoted = " ".join(f'"{p}"' for p in packages)
    return f"pip install {quoted} (or, in the sknn_hep checkout: {checkout})"


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename.

    The temporary file is in the same directory, flushed to disk and renamed
    over ``path`` (atomic on POSIX file systems), and the directory entry is
    synced: a kill at any moment leaves either the old complete file or the
    new one, never a truncated one. A failed write removes its temporary
    file. Used for checkpoints and the CLI's outputs.
    """
    from pathlib import Path

    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def output_folder_problem(path) -> tuple[str, str] | None:
    """Why the folder ``path`` cannot be made or written, or None.

    Returns ``("made", reason)`` when a file stands where the folder or one
    of its parents should be, ``("written", reason)`` when the closest
    existing folder is not writable.

    Examples
    --------
    >>> import tempfile
    >>> output_folder_problem(tempfile.mkdtemp() + "/new/sub") is None
    True
    """
    from pathlib import Path

    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        return "made", f"{str(existing)!r} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return "written", f"no write permission in {str(existing)!r}"
    return None
