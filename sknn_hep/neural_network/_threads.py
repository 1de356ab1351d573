"""torch's intra-op thread count for one fit or prediction (``n_threads``).

Why this is written by hand. torch's default thread count is the number of
physical cores of the machine, whatever CPUs the process may use (an
affinity mask, a container's CPU quota) and however busy they are, and its
OpenMP threads spin at every barrier: with one other busy process on a 2-core
machine, a 3x64 network trained with 2 threads ran at 41k rows/s against
196k rows/s with 1 thread, and at 1/90 of the speed of 1 thread in the
measurements behind the rule below. No library chooses a count from the work
of one training step and the load of the machine, and ``torch.set_num_threads``
is not safe to save and restore naively when fits run in threads of one
process. What comes from libraries:

- the CPUs this process may use: :func:`joblib.cpu_count` (loky's count:
  the CPU affinity, the cgroup CPU quota of a container, and
  ``LOKY_MAX_CPU_COUNT``; the same count joblib's workers are sized by);
- the busy CPUs: the kernel's counters in ``/proc/stat`` (Linux), read
  twice; elsewhere :func:`os.getloadavg`; where neither exists the other
  CPUs are taken as idle (torch's own assumption);
- the caller's limit: ``torch.get_num_threads()``, which reflects
  ``OMP_NUM_THREADS``, :func:`threadpoolctl.threadpool_limits`, the share
  joblib gives its worker processes, :func:`sknn_hep.parallel.torch_threads`
  and a ``torch.set_num_threads`` of the caller; ``"auto"`` never uses more.

torch keeps one thread count per OS thread (OpenMP's setting of the thread
that called ``set_num_threads``) and one process-wide count that new threads
start from, which every ``set_num_threads`` call overwrites. :func:`use_threads`
sets the count of the calling thread for its block and, for the fits that run
at the same time in threads of one process (``SeedEnsemble``,
``CrossTraining*`` or ``GridSearchCV`` with joblib's threading backend), keeps
a count of the blocks in progress: the first to start records the caller's
setting, each block puts it back in its own thread when it ends, and the last
one also leaves it as the process-wide count, so no fit can leave another's
count behind.

The rule of ``n_threads="auto"`` (:func:`resolve_n_threads`) and the
measurements behind it are in its docstring and in ``benchmarks/README.md``.
Seeded training gives bit-identical models with 1 and 2 threads
(``tests/test_threads.py``), so a count that depends on the load does not
change results.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from numbers import Integral

import joblib
import torch
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

from ._net import PREDICT_BATCH_SIZE

N_THREADS_CONSTRAINT = [
    Interval(Integral, 1, None, closed="left"),
    StrOptions({"auto"}),
]
"""The ``_parameter_constraints`` entry of ``n_threads``."""

WORK_PER_THREAD = 300_000
"""Multiply-adds of one step (a training batch: forward and backward, 3x the
forward pass; a prediction chunk: the forward pass) below which a further
thread does not pay: ``"auto"`` uses at most ``work // WORK_PER_THREAD``
threads."""

IDLE_TOLERANCE = 0.25
"""A CPU counts as free for a thread when other processes use at most this
fraction of it: a torch thread that shares its core with a busy process
stalls the others at every barrier."""

# The shortest window of the CPU counters that gives a load (they count in
# 10 ms ticks), also how long they are watched when no recent load exists;
# the longest window taken as the load now; the age up to which a load is
# used again.
SAMPLE_SECONDS = 0.1
MAX_WINDOW_SECONDS = 60.0
REUSE_SECONDS = 2.0


def available_cpus() -> int:
    """The CPUs this process may use, as joblib counts them (at least 1).

    :func:`joblib.cpu_count`: the smallest of the machine's CPUs, the
    process's CPU affinity, the cgroup CPU quota (containers) and
    ``LOKY_MAX_CPU_COUNT``.

    Examples
    --------
    >>> import joblib
    >>> available_cpus() == joblib.cpu_count() >= 1
    True
    """
    return max(1, int(joblib.cpu_count()))


class _CpuLoad:
    """CPUs kept busy by other processes, from the kernel's counters.

    A reading is the busy time of the CPUs this process may run on
    (``/proc/stat``) and this process's own CPU time; the load of a window
    between two readings is the busy time minus this process's, over the
    window's length. Readings are taken when a fit (or a prediction that
    measured the load) starts and ends, so the load at the start of a fit is
    that of the time since the previous one started or ended, if that window
    is ``SAMPLE_SECONDS`` to ``MAX_WINDOW_SECONDS`` long, or else that of the
    previous window (the previous fit, when fits follow each other) if it
    ended at most ``REUSE_SECONDS`` ago; else (the first fit of a process,
    after a pause) the counters are watched for ``SAMPLE_SECONDS``.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._last = None  # the reading that starts the current window
        self._value = None  # the load of the latest window long enough
        self._value_time = -math.inf
        self.calls = 0  # of busy(): whether a block measured the load

    def _update(self, now) -> None:
        """End the current window at the reading ``now``."""
        last = self._last
        age = now[0] - last[0] if last is not None else math.inf
        if SAMPLE_SECONDS <= age <= MAX_WINDOW_SECONDS:
            others = (now[1] - last[1]) - (now[2] - last[2])
            # ticks of 10 ms: clipped to what can be busy
            load = min(max(0.0, others / age), float(_watched_cpus()))
            self._value, self._value_time = load, now[0]
        if age >= SAMPLE_SECONDS:  # a shorter window grows on
            self._last = now

    @staticmethod
    def _reading():
        try:
            cpus = os.sched_getaffinity(0)
        except (AttributeError, OSError):
            cpus = None
        busy = 0
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                for line in stat:
                    if not line.startswith("cpu"):
                        break
                    name, *fields = line.split()
                    if name == "cpu" or (
                        cpus is not None and int(name[3:]) not in cpus
                    ):
                        continue
                    # user nice system idle iowait irq softirq steal (guest
                    # time is inside user): all but idle and iowait is busy
                    ticks = [int(v) for v in fields[:8]]
                    busy += sum(ticks) - ticks[3] - ticks[4]
        except (OSError, ValueError, IndexError):
            return None
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        return time.monotonic(), busy / tick, time.process_time()

    def note(self) -> None:
        """A reading at the end of a block that measured the load."""
        with self._lock:
            now = self._reading()
            if now is not None:
                self._update(now)

    def busy(self) -> float:
        """CPUs busy with other processes (a float >= 0)."""
        with self._lock:
            now = self._reading()
            if now is None:
                return _load_average()
            self._update(now)
            self.calls += 1
            if now[0] - self._value_time > REUSE_SECONDS:
                self._last = now
                time.sleep(SAMPLE_SECONDS)
                later = self._reading()
                if later is not None:
                    self._update(later)
            return self._value if self._value is not None else 0.0


def _load_average() -> float:
    """Where ``/proc/stat`` is missing: the 1-minute load average (0 without).

    It counts this process's running threads too, so a process that trained
    in the last minute sees a higher load than the others make.
    """
    try:
        load = float(os.getloadavg()[0]) - 1.0
    except (AttributeError, OSError):
        return 0.0
    return min(max(0.0, load), float(_watched_cpus()))


_CPU_LOAD = _CpuLoad()


def _watched_cpus() -> int:
    """The CPUs whose load :func:`busy_cpus` measures."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busy_cpus() -> float:
    """How many CPUs other processes keep busy (a float >= 0).

    On Linux, from ``/proc/stat``: the busy time of the CPUs this process
    may run on, minus this process's own CPU time, over the time since the
    previous fit started or ended (when that is 0.1 s to 60 s ago), or the
    load of the previous window (a fit that has just ended) if it ended at
    most 2 s ago; else over 0.1 s, during which the call sleeps. Elsewhere
    the 1-minute load average less one (the caller), or 0 where there is
    none.

    Examples
    --------
    >>> 0.0 <= busy_cpus() <= (os.cpu_count() or 1)
    True
    """
    return _CPU_LOAD.busy()


def _check_n_threads(n_threads, owner: str):
    """``n_threads`` if it is an int >= 1 or "auto", else scikit-learn's error."""
    validate_parameter_constraints(
        {"n_threads": N_THREADS_CONSTRAINT}, {"n_threads": n_threads}, owner
    )
    return n_threads


def step_work(
    *,
    hidden_sizes: Sequence[int],
    n_inputs: int,
    batch_size: int,
    n_outputs: int = 1,
    n_ensemble: int = 1,
    training: bool = True,
) -> int:
    """Multiply-adds of one step: a training batch (3x the forward pass) or
    a prediction chunk of ``batch_size`` rows.

    Examples
    --------
    >>> step_work(hidden_sizes=[64, 64, 64], n_inputs=30, batch_size=256)
    7815168
    >>> step_work(hidden_sizes=[16], n_inputs=4, batch_size=32, training=False)
    2560
    """
    widths = [int(n_inputs), *map(int, hidden_sizes), int(n_outputs)]
    per_row = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    forward = int(batch_size) * max(1, int(n_ensemble)) * per_row
    return 3 * forward if training else forward


def resolve_n_threads(
    n_threads,
    *,
    hidden_sizes: Sequence[int],
    batch_size: int,
    n_inputs: int,
    n_outputs: int = 1,
    n_ensemble: int = 1,
    training: bool = True,
    cpus: int | None = None,
    busy: float | None = None,
    in_process: int = 0,
    limit: int | None = None,
    owner: str = "resolve_n_threads",
) -> int:
    """torch threads for a fit or prediction: ``n_threads`` or the ``"auto"`` rule.

    An int >= 1 is returned as it is. ``"auto"`` gives the largest count,
    at least 1, that none of these exceeds:

    - ``cpus``, the CPUs this process may use (:func:`available_cpus`), and
      ``limit``, the caller's ``torch.get_num_threads()``;
    - the step's work: one thread per :data:`WORK_PER_THREAD` (300,000)
      multiply-adds of a training batch (forward and backward) or prediction
      chunk (:func:`step_work`; a 3x64 network on 30 inputs with batches of
      256: 7.8 million);
    - the free CPUs: ``cpus - busy - in_process`` rounded up from
      1 - :data:`IDLE_TOLERANCE` (a CPU a quarter busy still counts as
      free, one 30 % busy does not), where ``busy`` is the CPUs other
      processes keep busy (:func:`busy_cpus`) and ``in_process`` the
      threads of the other fits running in this process.

    The load is measured only when the other bounds allow more than one
    thread.

    Parameters
    ----------
    n_threads : int >= 1 or "auto"
    hidden_sizes : sequence of int
        Widths of the hidden layers.
    batch_size : int
        Rows of a training batch, or of a prediction chunk.
    n_inputs : int
        Width of the network's input (numeric embeddings included).
    n_outputs : int, default=1
    n_ensemble : int, default=1
        Members sharing the body (each row passes the body once per member).
    training : bool, default=True
        A training step (3x the forward pass) or a prediction step.
    cpus : int or None, default=None
        None: :func:`available_cpus`.
    busy : float or None, default=None
        None: :func:`busy_cpus` (measured when needed).
    in_process : int, default=0
        Threads used by the other fits running in this process.
    limit : int or None, default=None
        The most threads the caller allows (None: no limit).
    owner : str, default="resolve_n_threads"
        The name in the error message.

    Returns
    -------
    n : int >= 1

    Raises
    ------
    ValueError
        When ``n_threads`` is not an int >= 1 or ``"auto"`` (scikit-learn's
        ``InvalidParameterError``, a ``ValueError`` and ``TypeError``).

    Examples
    --------
    >>> work = dict(hidden_sizes=[64] * 3, batch_size=256, n_inputs=30)
    >>> resolve_n_threads(3, **work)
    3
    >>> resolve_n_threads("auto", **work, cpus=2, busy=0.0)
    2
    >>> resolve_n_threads("auto", **work, cpus=2, busy=1.0)  # a busy neighbour
    1
    >>> resolve_n_threads("auto", hidden_sizes=[8], batch_size=32, n_inputs=4,
    ...                   cpus=16, busy=0.0)  # too little work to share
    1
    >>> resolve_n_threads(0, **work)
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'n_threads' \
parameter of resolve_n_threads must be an int in the range [1, inf) or a str \
among {'auto'}. Got 0 instead.
    """
    if _check_n_threads(n_threads, owner) != "auto":
        return int(n_threads)
    n_cpus = available_cpus() if cpus is None else int(cpus)
    n = n_cpus
    if limit is not None:
        n = min(n, int(limit))
    work = step_work(
        hidden_sizes=hidden_sizes,
        n_inputs=n_inputs,
        batch_size=batch_size,
        n_outputs=n_outputs,
        n_ensemble=n_ensemble,
        training=training,
    )
    n = min(n, work // WORK_PER_THREAD)
    if n <= 1:
        return 1
    if busy is None:
        busy = busy_cpus()
    # busy counts over the CPUs the process may run on, which a CPU quota
    # can make more than it may use
    free = max(n_cpus, _watched_cpus()) - busy - in_process
    return int(max(1, min(n, math.floor(free + IDLE_TOLERANCE))))


# -- the thread count of a block --------------------------------------------------

_STATE_LOCK = threading.Lock()
_ACTIVE: dict[int, int] = {}  # thread id -> count of its outermost block
_LOCAL = threading.local()
_caller_setting = 1  # the setting the first of the running blocks found


@contextlib.contextmanager
def use_threads(n_threads, owner: str = "use_threads", **work) -> Iterator[int]:
    """Run a block with ``n_threads`` torch threads, then restore the setting.

    ``n_threads`` is resolved by :func:`resolve_n_threads` (``work``: its
    keyword arguments ``hidden_sizes``, ``batch_size``, ``n_inputs``...),
    with the caller's ``torch.get_num_threads()`` as the limit and the
    threads of the blocks running in other threads as ``in_process``. The
    caller's setting comes back when the block ends, also when it raises.

    Blocks may run at the same time in threads of one process: each sets
    the count of its own thread; the setting restored is the one found by the
    first block that started while none was running, and the last block to
    end leaves it as torch's process-wide count too. A block inside a block
    of the same thread (a prediction made while fitting, for validation
    scores) keeps the outer count with ``"auto"``, and restores it after an
    int.

    Yields
    ------
    n : int
        The count in force inside the block.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with use_threads(1) as n:
    ...     n == torch.get_num_threads() == 1
    True
    >>> torch.get_num_threads() == before
    True
    """
    depth = getattr(_LOCAL, "depth", 0)
    if _check_n_threads(n_threads, owner) == "auto" and depth:
        yield torch.get_num_threads()  # the outer block's count
        return
    global _caller_setting
    me = threading.get_ident()
    with _STATE_LOCK:
        own = torch.get_num_threads()
        if depth:
            restore = own
        elif _ACTIVE:
            # another thread's block has set torch's process-wide count, which
            # a thread that starts using torch now would take as its own
            restore = _caller_setting
        else:
            restore = _caller_setting = own
        calls = _CPU_LOAD.calls
        if n_threads == "auto":
            n = resolve_n_threads(
                "auto",
                **work,
                limit=restore,
                in_process=sum(v for k, v in _ACTIVE.items() if k != me),
                owner=owner,
            )
        else:
            n = int(n_threads)
        torch.set_num_threads(n)
        if not depth:
            _ACTIVE[me] = n
        _LOCAL.depth = depth + 1
    # readings at the start and end of fits (and of predictions that
    # measured the load) keep the load of the latest windows at hand
    track = not depth and (work.get("training", True) or _CPU_LOAD.calls != calls)
    if track and _CPU_LOAD.calls == calls:
        _CPU_LOAD.note()
    try:
        yield n
    finally:
        if track:
            _CPU_LOAD.note()
        with _STATE_LOCK:
            _LOCAL.depth = depth
            if not depth:
                del _ACTIVE[me]
            torch.set_num_threads(restore)


def estimator_threads(estimator, X, *, predict: bool = False):
    """:func:`use_threads` for a fit or prediction of a network estimator on ``X``.

    The work of a step comes from the estimator's parameters: the hidden
    sizes, the input width (``X``'s columns, times ``num_embedding_dim``
    with a numeric embedding), ``n_ensemble``, and the batch size (training)
    or the prediction chunk. A model saved before ``n_threads`` existed
    uses ``"auto"``.
    """
    n_threads = getattr(estimator, "n_threads", "auto")
    shape = getattr(X, "shape", None)
    try:
        if shape is None:
            shape = (len(X), len(X[0]))
        n_rows, n_features = int(shape[0]), int(shape[1])
    except (TypeError, IndexError, KeyError, ValueError):
        n_rows, n_features = 1, int(getattr(estimator, "n_features_in_", 1))
    try:
        hidden = estimator._hidden_sizes()
    except (ValueError, TypeError, AttributeError):
        hidden = [1]  # the fit reports the bad parameter
    k = max(1, int(getattr(estimator, "n_ensemble", 1) or 1))
    if predict:
        batch = min(max(1, n_rows), max(1, PREDICT_BATCH_SIZE // k))
    else:
        try:
            batch = estimator._batch_size(n_rows)
        except (ValueError, TypeError):
            batch = n_rows
    n_inputs = n_features
    if getattr(estimator, "num_embedding", None) is not None:
        n_inputs *= int(getattr(estimator, "num_embedding_dim", 1))
    return use_threads(
        n_threads,
        owner=type(estimator).__name__,
        hidden_sizes=hidden,
        batch_size=batch,
        n_inputs=max(1, n_inputs),
        n_ensemble=k,
        training=not predict,
    )
