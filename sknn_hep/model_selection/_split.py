"""EventNumberKFold: deterministic k-fold splits from event numbers."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.model_selection import BaseCrossValidator
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_consistent_length


class EventNumberKFold(GroupsConsumerMixin, BaseCrossValidator):
    """K-fold splitter whose fold of a row is ``event_number % n_splits``.

    The standard LHC way to split a sample: the fold of an event follows from
    its event number alone, so the same event lands in the same fold whatever
    the row order, whichever other events are present, across runs and
    re-processings. Split ``k`` tests the rows with ``event_number %
    n_splits == k`` and trains on the others.

    The event numbers come from ``groups`` (so the splitter works in
    :func:`~sklearn.model_selection.cross_val_score` with ``groups=ids`` and in
    the search CVs, which pass ``groups`` on), or, with ``event_number`` set,
    from a column of ``X``.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    event_number : str, int or None, default=None
        Where to read the event numbers. ``None``: from ``groups``. A str: the
        column of that name of a DataFrame ``X``. An int: the column at that
        position of ``X`` (negative positions count from the end). With a
        column, ``groups`` must not be given.

    See Also
    --------
    sklearn.model_selection.GroupKFold : Balanced folds of whole groups,
        assigned by group size, so a group's fold depends on the other groups.
    sknn_hep.ensemble.CrossTrainingClassifier : Trains one model per fold and
        applies to each event the model that never saw its fold.

    Notes
    -----
    Event numbers must be non-negative integers: integer arrays (signed or
    unsigned, 64-bit included) or floats with integral values (a column of a
    float array). Floats are exact integers only up to 2**53, so larger float
    event numbers raise; keep them in an integer column or pass them as
    ``groups``. Negative, fractional,
    infinite or missing (NaN) event numbers raise a ValueError naming the row.

    Every fold must hold at least one row; a sample whose event numbers leave
    a fold empty (e.g. only even numbers with ``n_splits=2``) raises a
    ValueError when the split is made.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.model_selection import EventNumberKFold
    >>> event_id = np.array([100, 101, 102, 103, 104, 105])
    >>> X = np.zeros((6, 2))
    >>> cv = EventNumberKFold(n_splits=3)
    >>> for train, test in cv.split(X, groups=event_id):
    ...     print(train, test, event_id[test] % 3)
    [0 1 3 4] [2 5] [0 0]
    [1 2 4 5] [0 3] [1 1]
    [0 2 3 5] [1 4] [2 2]

    The event number can also be a column of ``X``:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"EventId": event_id, "pt": np.arange(6.0)})
    >>> [test.tolist() for _, test in EventNumberKFold(3, "EventId").split(df)]
    [[2, 5], [0, 3], [1, 4]]
    """

    def __init__(self, n_splits=5, event_number=None):
        if (
            not isinstance(n_splits, numbers.Integral)
            or isinstance(n_splits, bool)
            or n_splits < 2
        ):
            raise ValueError(
                "The 'n_splits' parameter of EventNumberKFold must be an int >= 2. "
                f"Got {n_splits!r} instead."
            )
        if event_number is not None and (
            isinstance(event_number, bool)
            or not isinstance(event_number, (str, numbers.Integral))
        ):
            raise ValueError(
                "The 'event_number' parameter of EventNumberKFold must be a column "
                f"name (str), a column position (int) or None. Got {event_number!r} "
                "instead."
            )
        self.n_splits = int(n_splits)
        self.event_number = event_number

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Always ignored, exist for compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Generate the train and test indices of each fold.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; holds the event numbers when ``event_number`` is
            set.
        y : array-like of shape (n_samples,), default=None
            Always ignored, exists for compatibility.
        groups : array-like of shape (n_samples,), default=None
            The event numbers, when ``event_number`` is None.

        Yields
        ------
        train : ndarray
            Indices of the rows of the other folds.
        test : ndarray
            Indices of the rows with ``event_number % n_splits == k``, for
            ``k = 0, 1, ..., n_splits - 1``.
        """
        folds = self._folds(X, y, groups)
        counts = np.bincount(folds, minlength=self.n_splits)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise ValueError(
                f"Fold {int(empty[0])} of EventNumberKFold(n_splits={self.n_splits}) "
                f"is empty: none of the {len(folds)} event numbers gives "
                f"event_number % {self.n_splits} == {int(empty[0])}. Use fewer "
                "splits or more events."
            )
        indices = np.arange(len(folds))
        for k in range(self.n_splits):
            test = folds == k
            yield indices[~test], indices[test]

    def _folds(self, X, y, groups):
        if self.event_number is None:
            if groups is None:
                raise ValueError(
                    "EventNumberKFold(event_number=None) reads the event numbers "
                    "from 'groups', but groups is None. Pass groups=<event "
                    "numbers>, or set event_number to a column of X."
                )
            check_consistent_length(X, y, groups)
            return event_folds(
                groups, self.n_splits, source="groups", owner="EventNumberKFold"
            )
        if groups is not None:
            raise ValueError(
                "EventNumberKFold reads the event numbers from column "
                f"{self.event_number!r} of X, and groups were passed as well. Pass "
                "one of them (with metadata routing, "
                "cv.set_split_request(groups=False) stops the groups)."
            )
        check_consistent_length(X, y)
        position = event_column(X, self.event_number, owner="EventNumberKFold")
        values = _safe_indexing(X, position, axis=1)
        return event_folds(
            values,
            self.n_splits,
            source=f"column {self.event_number!r} of X",
            owner="EventNumberKFold",
        )


def event_column(X, event_number, *, owner, param="event_number") -> int:
    """Position of the event-number column ``event_number`` in ``X``.

    Parameters
    ----------
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
    event_number : str or int
        A column name (DataFrame only) or position (negative counts from the
        end).
    owner, param : str
        Class and parameter named in error messages.

    Returns
    -------
    position : int
        Non-negative column position.

    Examples
    --------
    >>> import numpy as np
    >>> event_column(np.zeros((2, 3)), -1, owner="EventNumberKFold")
    2
    """
    shape = getattr(X, "shape", None)
    if shape is None:
        X = np.asarray(X)
        shape = X.shape
    if len(shape) != 2:
        raise ValueError(
            f"{owner} reads the event numbers from a column of X ({param}="
            f"{event_number!r}), so X must be 2-D. Got an array of shape {shape}."
        )
    n_features = shape[1]
    if isinstance(event_number, str):
        columns = getattr(X, "columns", None)
        if columns is None:
            raise ValueError(
                f"The '{param}' parameter of {owner} names the column "
                f"{event_number!r}, but X has no column names; pass a DataFrame or "
                "a column position (int)."
            )
        names = list(columns)
        if event_number not in names:
            raise ValueError(
                f"The '{param}' parameter of {owner} names the column "
                f"{event_number!r}, which is not in X; its columns are {names!r}."
            )
        return names.index(event_number)
    if not -n_features <= event_number < n_features:
        raise ValueError(
            f"The '{param}' parameter of {owner} is the column position "
            f"{event_number}, out of range for X with {n_features} features."
        )
    return int(event_number) % n_features


def event_folds(
    event_numbers, n_splits, *, source="groups", owner="EventNumberKFold", missing=False
) -> np.ndarray:
    """Fold ``event_number % n_splits`` of every row.

    Parameters
    ----------
    event_numbers : array-like of shape (n_samples,)
        Non-negative integers, or floats with integral values.
    n_splits : int
        Number of folds.
    source, owner : str
        Where the numbers came from and the class, for error messages.
    missing : bool, default=False
        If True, missing event numbers (NaN, None, ``pd.NA``) get fold -1
        instead of raising.

    Returns
    -------
    folds : ndarray of int64 of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> event_folds(np.array([7, 8, 2**63 + 1], dtype=np.uint64), 5)
    array([2, 3, 4])
    >>> event_folds([7.0, float("nan")], 5, missing=True)
    array([ 2, -1])
    """
    if sparse.issparse(event_numbers):
        event_numbers = event_numbers.toarray()
    values = np.asarray(event_numbers)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{owner} needs one event number per row from {source}; got an array "
            f"of shape {values.shape}."
        )
    kind = values.dtype.kind
    if kind == "O":
        return _object_folds(values, n_splits, source, owner, missing)
    if kind == "u":
        return (values % np.uint64(n_splits)).astype(np.int64)
    if kind == "i":
        bad = np.flatnonzero(values < 0)
        if bad.size:
            _bad_value(values, bad[0], source, owner, "negative")
        return (values % n_splits).astype(np.int64)
    if kind == "f":
        nan = np.isnan(values)
        if nan.any() and not missing:
            _bad_value(values, np.flatnonzero(nan)[0], source, owner, "missing (NaN)")
        good = values[~nan]
        for check, what in (
            (~np.isfinite(good), "infinite"),
            (good < 0, "negative"),
            (good != np.floor(good), "not an integer"),
            (good > 2.0**53, "above 2**53, where a float is not an exact integer"),
        ):
            bad = np.flatnonzero(check)
            if bad.size:
                _bad_value(values, np.flatnonzero(~nan)[bad[0]], source, owner, what)
        folds = np.full(len(values), -1, dtype=np.int64)
        folds[~nan] = np.fmod(good, n_splits).astype(np.int64)
        return folds
    raise ValueError(
        f"{owner} needs integer event numbers from {source}; got an array of dtype "
        f"{values.dtype}."
    )


def _object_folds(values, n_splits, source, owner, missing) -> np.ndarray:
    folds = np.full(len(values), -1, dtype=np.int64)
    for row, value in enumerate(values):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            if not missing:
                _bad_value(values, row, source, owner, "missing")
            continue
        if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
            value, (bool, np.bool_)
        ):
            number = int(value)
        elif isinstance(value, (float, np.floating)) and float(value).is_integer():
            number = int(value)
        else:
            _bad_value(values, row, source, owner, "not an integer")
        if number < 0:
            _bad_value(values, row, source, owner, "negative")
        folds[row] = number % n_splits
    return folds


def _bad_value(values, row, source, owner, what):
    value = values[row]
    if isinstance(value, np.generic):
        value = value.item()
    raise ValueError(
        f"{owner} needs non-negative integer event numbers from {source}; the one "
        f"at row {int(row)} is {what}: {value!r}."
    )
