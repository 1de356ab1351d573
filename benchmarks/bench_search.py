"""Speed-up of a GridSearchCV on 2 Dask workers over 1.

A ``GridSearchCV`` of 8 candidates x 2 folds (16 fits of a 2x64
``NeuralClassifier``, 50 epochs on 10,000 rows each, about 2-3 s per fit on one
thread) runs through joblib's dask backend on a
``distributed.LocalCluster(processes=True, threads_per_worker=1)`` with 1 and
then 2 workers, in this process. The Dask nanny starts every worker with
``OMP_NUM_THREADS=MKL_NUM_THREADS=1``, so each fit trains on one torch thread;
the script checks that, and that the fits ran on the workers, from inside the
fits. Before timing, every worker imports the package and trains a tiny
network, so the times are the searches' alone (``refit=False``: no final fit
in this process).

joblib runs a search on a cluster with a single worker thread in the calling
process, without Dask (it treats one thread as ``n_jobs=1``). To time 1 Dask
worker, the script registers a backend ``"dask-dispatch"``: joblib's dask
backend reporting at least 2 slots, so the tasks still go through the
scheduler and the worker runs them one after another; with 2 or more worker
threads it behaves exactly like ``"dask"``. The sequential search in this
process with torch pinned to one thread (where ``"dask"`` would run it on a
1-thread cluster) is timed as well.

It prints, as a markdown table, the median wall time of ``--repeats`` searches
per setting, the mean fit time in that search, the ratio to 1 Dask worker, and
whether the setting found the same cross-validation scores as 1 Dask worker.
``--threads`` adds 1 worker x 2 threads: two fits at once in one process,
which share its GIL and torch's global random generator (weight
initialisation, dropout), so their scores are not reproducible. The target is
>= 1.8x for 2 workers on a machine with 2 free cores.

Usage::

    python benchmarks/bench_search.py               # ~2 min on 2 cores
    python benchmarks/bench_search.py --repeats 3 --threads
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import joblib
import numpy as np
import torch
from distributed import Client, LocalCluster
from joblib._dask import DaskDistributedBackend
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, ParameterGrid

from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier
from sknn_hep.parallel import torch_threads

GRID = {"n_units": [32, 64], "lr": [1e-3, 1e-2], "dropout": [0.0, 0.1]}


class DispatchingDaskBackend(DaskDistributedBackend):
    """joblib's dask backend, but never fewer than 2 slots: joblib does not
    fall back to running the tasks in this process on a 1-thread cluster."""

    def effective_n_jobs(self, n_jobs):
        return max(super().effective_n_jobs(n_jobs), 2)


joblib.register_parallel_backend("dask-dispatch", DispatchingDaskBackend)


def _torch_threads(estimator, X, y):
    """Scorer: torch's thread count in the process that fitted the candidate."""
    return torch.get_num_threads()


def _pid(estimator, X, y):
    """Scorer: the process that fitted the candidate."""
    return os.getpid()


def _warm_up():
    """Import the package and train once in a worker (not timed)."""
    from sknn_hep.neural_network import NeuralClassifier

    X, y = make_classification(n_samples=64, n_features=4, random_state=0)
    NeuralClassifier(**PLAIN_NETWORK, n_layers=1, n_units=4, max_epochs=1).fit(X, y)
    return torch.get_num_threads()


def make_search(epochs):
    return GridSearchCV(
        NeuralClassifier(
            **PLAIN_NETWORK, n_layers=2, n_units=64, max_epochs=epochs, random_state=0
        ),
        GRID,
        cv=2,
        scoring={"roc_auc": "roc_auc", "threads": _torch_threads, "pid": _pid},
        refit=False,
        n_jobs=-1,
    )


def _check(res, pids_expected):
    threads = set(np.r_[res["split0_test_threads"], res["split1_test_threads"]])
    pids = set(np.r_[res["split0_test_pid"], res["split1_test_pid"]])
    if threads != {1}:
        raise RuntimeError(f"the fits ran with {threads} torch threads, not 1")
    if pids != pids_expected:
        raise RuntimeError(f"the fits ran in processes {pids}, not {pids_expected}")


def _median_time(X, y, epochs, repeats, backend):
    """Wall time and ``cv_results_`` of the median run (the lower of the two
    middle ones for an even number of repeats)."""
    runs = []
    for _ in range(repeats):
        search = make_search(epochs)
        start = time.perf_counter()
        with joblib.parallel_config(backend=backend):
            search.fit(X, y)
        runs.append((time.perf_counter() - start, search.cv_results_))
    runs.sort(key=lambda run: run[0])
    return runs[(len(runs) - 1) // 2]


def time_sequential(X, y, epochs, repeats):
    """The search in this process with one torch thread."""
    with torch_threads(1):
        seconds, res = _median_time(X, y, epochs, repeats, "sequential")
    _check(res, {os.getpid()})
    return seconds, res


def time_dask(n_workers, threads_per_worker, X, y, epochs, repeats):
    """The search on a fresh LocalCluster."""
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm_up)
        seconds, res = _median_time(X, y, epochs, repeats, "dask-dispatch")
        _check(res, set(client.run(os.getpid).values()))
    return seconds, res


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--threads", action="store_true", help="also time 1 worker x 2 threads"
    )
    args = parser.parse_args()

    X, y = make_classification(
        n_samples=args.rows, n_features=20, n_informative=10, random_state=0
    )
    run = (X, y, args.epochs, args.repeats)
    results = {"1 Dask worker x 1 thread": time_dask(1, 1, *run)}
    results["2 Dask workers x 1 thread"] = time_dask(2, 1, *run)
    if args.threads:
        results["1 Dask worker x 2 threads"] = time_dask(1, 2, *run)
    results["sequential, this process, 1 torch thread"] = time_sequential(*run)

    t1, ref = results["1 Dask worker x 1 thread"]
    n_candidates = len(ParameterGrid(GRID))
    print(
        f"GridSearchCV, {n_candidates} candidates x 2 folds ({2 * n_candidates} "
        f"fits of a 2x64 NeuralClassifier, {args.epochs} epochs on "
        f"{args.rows // 2:,} rows), LocalCluster(processes=True), one torch "
        f"thread per fit, {joblib.cpu_count()} CPUs, median of {args.repeats}\n"
    )
    print(
        "| setting | wall time (s) | speed-up over 1 Dask worker "
        "| mean fit time (s) | same scores |"
    )
    print("|---|---:|---:|---:|---|")
    for name, (seconds, res) in results.items():
        same = all(
            np.array_equal(res[key], ref[key])
            for key in ("split0_test_roc_auc", "split1_test_roc_auc")
        )
        same = "yes" if same else "no"
        fit = res["mean_fit_time"].mean()
        print(f"| {name} | {seconds:.1f} | {t1 / seconds:.2f}x | {fit:.2f} | {same} |")


if __name__ == "__main__":
    main()
