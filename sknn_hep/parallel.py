"""torch threads in parallel and distributed searches.

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

``docs/parallel.md`` has the details (the thread variables torch reads, Dask
on one machine and on a batch cluster with dask-jobqueue).

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
from collections.abc import Iterator
from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["torch_threads"]


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
