"""torch threads in parallel and distributed searches; scoring on Dask.

A search such as ``GridSearchCV(..., n_jobs=2)`` trains several networks at
once. Each training run uses torch's intra-op thread pool, so the machine is
busy with (concurrent fits) x (torch threads per fit) threads; more threads
than cores slows everything down. What each joblib backend does (measured with
torch 2.13, joblib 1.6, distributed 2026.8; ``tests/test_parallel.py`` checks
each line):

``loky`` (the default for ``n_jobs``)
    joblib starts fresh worker processes with ``OMP_NUM_THREADS`` (and the MKL,
    OpenBLAS, ... variables) set to ``cpu_count() // n_jobs``; torch reads them
    at import, so every fit uses its share of the cores. An ``OMP_NUM_THREADS``
    already set in the parent's environment is passed on unchanged;
    ``joblib.parallel_config(inner_max_num_threads=k)`` sets ``k`` explicitly.
``dask`` (``distributed`` workers with a nanny)
    the nanny sets ``OMP_NUM_THREADS=1`` before it starts each worker process
    (dask's ``distributed.nanny.pre-spawn-environ`` setting), so every task
    trains with one torch thread and the parallelism comes from the number of
    worker threads. An ``OMP_NUM_THREADS`` in the nanny's environment wins over
    the setting.
``threading`` (and a ``LocalCluster(processes=False)``)
    the fits run in threads of the calling process and share its torch setting:
    ``n_jobs`` threads x ``torch.get_num_threads()`` threads each. Use
    :func:`torch_threads` around the search to give each fit its share. Fits
    running at the same time in one process also share torch's global random
    generator (initial weights, dropout, input noise), so their results are
    not reproducible; prefer processes.

:class:`ParallelPostFit` applies a model fitted in memory to data too large
for it: ``predict``, ``predict_proba``, ``predict_log_proba``,
``decision_function`` and ``transform`` take a Dask array or DataFrame
(e.g. read with ``uproot.dask``) and return a Dask collection computed block
by block, with the model put into the task graph once.

``docs/parallel.md`` has the details (the thread variables torch reads, Dask
on one machine and on a batch cluster with dask-jobqueue, scoring with Dask).

Why not dask-ml's ``ParallelPostFit``: checked with dask-ml 2025.1.0 against
dask 2026.8 and scikit-learn 1.9, it predicts correctly, but it has no
``decision_function``, returns Dask arrays of unknown length for DataFrame
input (so the scores cannot be joined back to the events), passes the model
into every task as an argument (the workers deserialise it once per block;
dask.delayed sends it once per worker), and pulls in numba and llvmlite. The
wrapper here is small and needs only ``dask[array,dataframe]`` (the ``dask``
extra), imported when a Dask collection arrives.

Examples
--------
>>> import joblib
>>> from sklearn.datasets import make_classification
>>> from sklearn.model_selection import GridSearchCV
>>> from sknn_hep.neural_network import NeuralClassifier
>>> from sknn_hep.parallel import torch_threads
>>> X, y = make_classification(n_samples=100, n_features=4, random_state=0)
>>> search = GridSearchCV(
...     NeuralClassifier(n_layers=1, n_units=8, max_epochs=2, random_state=0),
...     {"lr": [1e-3, 1e-2]}, cv=2, n_jobs=2,
... )
>>> n_each = max(joblib.cpu_count() // 2, 1)
>>> with torch_threads(n_each), joblib.parallel_config(backend="threading"):
...     search = search.fit(X, y)
>>> search.best_params_["lr"] in (1e-3, 1e-2)
True
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["ParallelPostFit", "torch_threads"]


@contextlib.contextmanager
@validate_params(
    {"n_threads": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def torch_threads(n_threads: int) -> Iterator[int]:
    """Set torch's intra-op thread count for a block, then restore it.

    ``torch.set_num_threads`` acts on the whole process: threads started
    inside the block (joblib's ``threading`` backend, the workers of a
    ``distributed.LocalCluster(processes=False)``) use ``n_threads`` threads
    each. Worker processes (joblib's default ``loky`` backend, Dask workers
    with processes) do not inherit it; they take their count from the
    ``OMP_NUM_THREADS`` variable that joblib or the Dask nanny sets (see
    :mod:`sknn_hep.parallel`).

    Parameters
    ----------
    n_threads : int >= 1
        Threads for torch's intra-op pool inside the block. For a search with
        ``n_jobs`` concurrent fits in threads, ``cpu_count() // n_jobs``
        keeps the machine from being oversubscribed.

    Yields
    ------
    previous : int
        The thread count in force before the block (restored on exit, also
        when the block raises).

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        (a ``ValueError`` and ``TypeError``) when ``n_threads`` is not an int
        >= 1.

    See Also
    --------
    joblib.parallel_config : ``inner_max_num_threads`` sets the threads of
        ``loky`` worker processes.

    Notes
    -----
    torch keeps one process-wide count that new threads start from, and the
    OpenMP setting of the thread that called ``set_num_threads``. Call this
    from the thread that starts the search (normally the main thread), before
    the worker threads exist.

    This sets threads, not randomness: networks trained at the same time in
    threads of one process draw from torch's one global generator and are not
    reproducible.

    Examples
    --------
    >>> import torch
    >>> from sknn_hep.parallel import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1) as previous:
    ...     torch.get_num_threads()
    1
    >>> previous == before == torch.get_num_threads()
    True
    >>> with torch_threads(0):
    ...     pass
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'n_threads' \
parameter of torch_threads must be an int in the range [1, inf). Got 0 instead.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield previous
    finally:
        torch.set_num_threads(previous)


# -- scoring Dask collections block by block -------------------------------------


def _is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection (False, without importing Dask,
    when Dask was never imported: then nothing can be one)."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


def _in_memory(*args):
    """``args`` with every Dask collection among them computed (one pass)."""
    if not any(_is_dask_collection(a) for a in args):
        return args
    import dask

    return dask.compute(*args)


def _as_array(out, method: str, owner: str) -> np.ndarray:
    """One block's result as an ndarray (a list of arrays side by side)."""
    if isinstance(out, list):
        out = np.hstack([np.asarray(part).reshape(len(part), -1) for part in out])
    if not isinstance(out, np.ndarray | pd.DataFrame | pd.Series):
        raise TypeError(
            f"{owner}.{method} can map only methods that return arrays or "
            f"DataFrames over Dask blocks; got {type(out).__name__} (a sparse "
            "output? ask the transformer for dense output)."
        )
    return np.asarray(out)


def _call_on_block(block, model, method, owner, dtype, width):
    """Run ``model.method`` on one block; an empty block gives an empty result
    (estimators reject zero rows; filtered DataFrames have empty partitions)."""
    if len(block) == 0:
        return np.empty((0,) if width is None else (0, width), dtype=dtype)
    return _as_array(getattr(model, method)(block), method, owner)


def _call_on_partition(part, model, method, owner, dtype, width, columns):
    """``_call_on_block`` on a pandas partition, indexed like the partition."""
    out = _call_on_block(part, model, method, owner, dtype, width)
    # object stays object (pandas would infer its string dtype from a
    # non-empty block, but not from the empty meta)
    kind = object if np.dtype(dtype).kind == "O" else None
    if width is None:
        return pd.Series(out, index=part.index, name=method, dtype=kind)
    return pd.DataFrame(out, index=part.index, columns=columns, dtype=kind)


def _probe(model, method: str, owner: str, sample, first_rows):
    """The model's output on one row: its dtype, width and pandas columns.

    ``sample`` is a synthetic row (zeros, or Dask's placeholder values for a
    DataFrame); an estimator that rejects it is run on ``first_rows()``, the
    collection's first row, computed here.
    """
    try:
        out = getattr(model, method)(sample)
    except Exception:
        out = getattr(model, method)(first_rows())
    raw_columns = list(out.columns) if isinstance(out, pd.DataFrame) else None
    widths = (
        [np.asarray(p).reshape(1, -1).shape[1] for p in out]
        if isinstance(out, list)
        else None
    )
    arr = _as_array(out, method, owner)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{owner}.{method} returned an array with {arr.ndim} dimensions; "
            "only 1 or 2 can be mapped over Dask blocks."
        )
    width = None if arr.ndim == 1 else arr.shape[1]
    return arr.dtype, width, raw_columns, widths


def _output_columns(model, method: str, width: int, raw_columns) -> list[str]:
    """Column names of a 2-d result on a DataFrame."""
    if raw_columns is not None:  # a transformer with set_output(transform="pandas")
        return [str(c) for c in raw_columns]
    classes = getattr(model, "classes_", None)
    if (
        method in ("predict_proba", "predict_log_proba", "decision_function")
        and classes is not None
        and np.ndim(classes) == 1
        and len(classes) == width
    ):
        return [str(c) for c in classes]
    if method == "transform" and hasattr(model, "get_feature_names_out"):
        with contextlib.suppress(Exception):
            names = [str(c) for c in model.get_feature_names_out()]
            if len(names) == width:
                return names
    return [f"{method}{j}" for j in range(width)]


def _map_method(model, method: str, X, owner: str | None = None):
    """``model.method(X)`` computed block by block on a Dask collection.

    The shared dispatch of :class:`ParallelPostFit`: ``X`` that is no Dask
    collection goes to ``model.method`` unchanged.

    Parameters
    ----------
    model : fitted estimator
    method : str
        ``"predict"``, ``"predict_proba"``, ``"predict_log_proba"``,
        ``"decision_function"`` or ``"transform"``.
    X : dask.array.Array, dask.dataframe.DataFrame, or anything ``model``
        takes.
    owner : str or None
        Name used in error messages (default: the model's class name).

    Returns
    -------
    result : dask.array.Array, dask.dataframe.Series or DataFrame, list of \
those, or the model's own result
    """
    owner = owner or type(model).__name__
    if not _is_dask_collection(X):
        return getattr(model, method)(X)
    import dask
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(
                f"{owner}.{method} takes a 2-d Dask array of shape (n_samples, "
                f"n_features); got one with {X.ndim} dimensions."
            )
        if X.numblocks[1] > 1:  # every block needs all the features
            X = X.rechunk({1: -1})
        sample = np.zeros((1, X.shape[1]), dtype=X.dtype)

        def first_rows():
            return X[:1].compute()

    elif isinstance(X, dd.DataFrame):
        from dask.dataframe.utils import meta_nonempty

        sample = meta_nonempty(X._meta).iloc[:1]

        def first_rows():
            return X.head(1, npartitions=-1)

    else:
        raise TypeError(
            f"{owner}.{method} takes a Dask Array or DataFrame (or what the "
            f"estimator takes in memory); got {type(X).__name__}."
        )
    dtype, width, raw_columns, widths = _probe(model, method, owner, sample, first_rows)
    # One graph key holds the model; every block's task depends on it, so each
    # worker receives and deserialises it once (an argument passed directly
    # would be serialised into every task).
    args = (dask.delayed(model, pure=False), method, owner, dtype, width)
    if isinstance(X, da.Array):
        if width is None:
            shape = dict(drop_axis=1, meta=np.empty((0,), dtype))
        else:
            shape = dict(chunks=(X.chunks[0], (width,)), meta=np.empty((0, 0), dtype))
        result = X.map_blocks(_call_on_block, *args, dtype=dtype, token=method, **shape)
    else:
        if width is None:
            columns = None
            meta = pd.Series(np.empty(0, dtype), name=method)
        else:
            columns = (
                [f"{i}:{j}" for i, w in enumerate(widths) for j in range(w)]
                if widths is not None
                else _output_columns(model, method, width, raw_columns)
            )
            meta = pd.DataFrame(np.empty((0, width), dtype), columns=columns)
        meta.index = X._meta.index
        result = X.map_partitions(_call_on_partition, *args, columns, meta=meta)
    if widths is None:
        return result
    # A list of arrays (one per task of a multi-task model): one model call per
    # block for all of them, sliced afterwards.
    parts, start = [], 0
    for i, w in enumerate(widths):
        if isinstance(X, da.Array):
            parts.append(result[:, start : start + w])
        else:
            part = result[[f"{i}:{j}" for j in range(w)]]
            parts.append(part.rename(columns={f"{i}:{j}": str(j) for j in range(w)}))
        start += w
    return parts


def _estimator_has(attr: str):
    """For ``available_if``: the fitted estimator, or else the template, has
    ``attr``."""

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), attr)

    return check


class ParallelPostFit(MetaEstimatorMixin, BaseEstimator):
    """Fit in memory, predict block by block on Dask arrays and DataFrames.

    ``fit`` trains a clone of ``estimator`` on data that fits in memory.
    ``predict``, ``predict_proba``, ``predict_log_proba``,
    ``decision_function`` and ``transform`` then take a Dask array or
    DataFrame of any size and return a Dask collection: nothing is computed
    until you call ``.compute()``, ``.to_parquet(...)`` and the like, and then
    each block (partition) is scored where it lies, on the workers of a
    ``distributed`` cluster if a ``Client`` is active. The fitted model enters
    the task graph once, as one key that every block's task depends on, so a
    worker receives and deserialises it once, not once per block. NumPy arrays
    and pandas DataFrames go straight to the estimator.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn estimator or pipeline (e.g. a
        :class:`~sknn_hep.neural_network.NeuralClassifier`). If it is already
        fitted (loaded with ``joblib.load``, say), the wrapper predicts with it
        as it is, without calling ``fit``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator`` (only after :meth:`fit`).
    classes_ : ndarray of shape (n_classes,)
        The classes of the fitted estimator (classifiers only).
    n_features_in_ : int
        Number of features the fitted estimator was trained on.
    feature_names_in_ : ndarray of str
        Their names, when the estimator was fitted on a DataFrame.

    See Also
    --------
    torch_threads : torch's thread count for searches in threads.

    Notes
    -----
    Results on Dask input:

    - A Dask array ``X`` of shape (n_samples, n_features), chunked along the
      rows (chunks along the features are merged first), gives a Dask array
      with the same row chunks: (n_samples,) for ``predict`` of one target
      and ``decision_function`` of two classes, (n_samples, k) otherwise.
    - A Dask DataFrame gives a Dask Series (named after the method) or
      DataFrame with the partitions and index of ``X``, so the result can be
      assigned as a column of ``X`` or written next to its event numbers. The
      columns of ``predict_proba``, ``predict_log_proba`` and
      ``decision_function`` are the classes as strings (``"0"``, ``"1"``);
      those of ``transform`` are ``get_feature_names_out()`` (or the columns
      of a transformer set to pandas output). Each partition reaches the
      estimator as a pandas DataFrame, so the column names are checked against
      ``feature_names_in_`` block by block.
    - A method that returns a list of arrays (``predict_proba`` of a
      :class:`~sknn_hep.neural_network.MultiTaskNeuralNet` with several
      classification tasks) gives a list of Dask collections, all computed
      by one model call per block (compute them together with
      ``dask.compute``).

    To learn the dtype and width of the result without computing anything,
    the method is run once, in this process, on one synthetic row (zeros, or
    Dask's placeholder values for a DataFrame); if the estimator rejects that
    row, on the first row of ``X``, which is then computed. Class labels that
    are strings give an object-dtype result.

    Blocks are scored independently, so a row's result equals that of the
    in-memory call on the same block of rows bit for bit. Against one
    in-memory call on all rows, floating-point results of the networks can
    differ in the last bit (~1e-16): torch's float64 matrix product rounds a
    row according to its position in the batch, and the networks predict in
    batches of 4,096 rows. Blocks of a multiple of 4,096 rows line up with
    those batches and give bit-identical results.

    ``fit`` and ``score`` run in memory: Dask collections passed to them are
    computed first.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> from sknn_hep.parallel import ParallelPostFit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = ParallelPostFit(
    ...     NeuralClassifier(n_layers=1, n_units=8, max_epochs=2, random_state=0)
    ... ).fit(X, y)
    >>> big = da.from_array(X, chunks=(50, 4))
    >>> proba = model.predict_proba(big)
    >>> proba
    dask.array<predict_proba, shape=(200, 2), dtype=float64, chunksize=(50, 2), \
chunktype=numpy.ndarray>
    >>> np.array_equal(proba.compute(), model.predict_proba(X))
    True
    """

    _parameter_constraints = {
        "estimator": [
            HasMethods(["fit"]),
        ],
    }

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``estimator`` in memory.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Dask collections are computed first.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs) or None
        **fit_params : dict
            Passed to ``estimator.fit`` (e.g. ``sample_weight``, or
            ``neuralclassifier__sample_weight`` for a pipeline).

        Returns
        -------
        self : ParallelPostFit
        """
        self._validate_params()
        keys = list(fit_params)
        X, y, *values = _in_memory(X, y, *fit_params.values())
        self.estimator_ = clone(self.estimator).fit(X, y, **dict(zip(keys, values)))
        return self

    def _fitted(self):
        """The estimator to predict with: ``estimator_``, or a fitted
        ``estimator``."""
        if hasattr(self, "estimator_"):
            return self.estimator_
        try:
            check_is_fitted(self.estimator)
        except NotFittedError:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet and "
                f"its estimator {type(self.estimator).__name__} is not fitted "
                "either. Call 'fit' first, or wrap a fitted estimator."
            ) from None
        return self.estimator

    def __sklearn_is_fitted__(self) -> bool:
        try:
            self._fitted()
        except NotFittedError:
            return False
        return True

    def _map(self, method: str, X):
        return _map_method(self._fitted(), method, X, owner=type(self).__name__)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """The estimator's ``predict``, block by block on Dask input.

        Parameters
        ----------
        X : Dask array or DataFrame, or what the estimator takes

        Returns
        -------
        y : Dask array, Series or DataFrame (the estimator's result on \
in-memory input)
        """
        return self._map("predict", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """The estimator's ``predict_proba``, block by block on Dask input.

        Parameters
        ----------
        X : Dask array or DataFrame, or what the estimator takes

        Returns
        -------
        proba : Dask array or DataFrame (one column per class), a list of \
those, or the estimator's result on in-memory input
        """
        return self._map("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The estimator's ``predict_log_proba``, block by block on Dask input.

        Parameters
        ----------
        X : Dask array or DataFrame, or what the estimator takes

        Returns
        -------
        log_proba : Dask array or DataFrame, or the estimator's result on \
in-memory input
        """
        return self._map("predict_log_proba", X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The estimator's ``decision_function``, block by block on Dask input.

        Parameters
        ----------
        X : Dask array or DataFrame, or what the estimator takes

        Returns
        -------
        decision : Dask array, Series or DataFrame, or the estimator's result \
on in-memory input
        """
        return self._map("decision_function", X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """The estimator's ``transform``, block by block on Dask input.

        Parameters
        ----------
        X : Dask array or DataFrame, or what the estimator takes

        Returns
        -------
        X_new : Dask array or DataFrame, or the estimator's result on \
in-memory input
        """
        return self._map("transform", X)

    @available_if(_estimator_has("transform"))
    def fit_transform(self, X, y=None, **fit_params):
        """:meth:`fit`, then :meth:`transform` of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Dask collections are computed for the fit, and transformed block
            by block.
        y : array-like of shape (n_samples,) or None
        **fit_params : dict
            Passed to ``estimator.fit``.

        Returns
        -------
        X_new : Dask array or DataFrame, or the estimator's result on \
in-memory input
        """
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_estimator_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """The fitted estimator's ``get_feature_names_out``.

        Parameters
        ----------
        input_features : array-like of str or None

        Returns
        -------
        feature_names_out : ndarray of str
        """
        return self._fitted().get_feature_names_out(input_features)

    @available_if(_estimator_has("score"))
    def score(self, X, y, **score_params):
        """The estimator's ``score``, in memory (Dask input is computed).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **score_params : dict
            Passed to ``estimator.score`` (e.g. ``sample_weight``).

        Returns
        -------
        score : float
        """
        keys = list(score_params)
        X, y, *values = _in_memory(X, y, *score_params.values())
        return self._fitted().score(X, y, **dict(zip(keys, values)))

    @property
    def classes_(self):
        return self._fitted().classes_

    @property
    def n_features_in_(self):
        return self._fitted().n_features_in_

    @property
    def feature_names_in_(self):
        return self._fitted().feature_names_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.target_tags = inner.target_tags
        tags.input_tags = inner.input_tags
        return tags
