"""Test configuration: one torch thread and one BLAS/OpenMP thread per pytest
worker (the suite runs with ``pytest -n 2`` on 2 cores), and no display for
matplotlib."""

import logging
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


# torch/BLAS thread variables that a Dask nanny copies into this process
DASK_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@pytest.fixture(scope="module")
def dask_client():
    """A ``distributed`` client on a LocalCluster of 2 one-thread processes.

    The nanny copies its pre-spawn variables (OMP_NUM_THREADS=1, ...) into
    this process's environment; the environment is put back afterwards so
    the loky tests in this process still see the defaults.
    """
    distributed = pytest.importorskip("distributed")
    saved = dict(os.environ)
    for var in DASK_THREAD_VARS:
        os.environ.pop(var, None)
    try:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                timeout=60,
            ) as cluster,
            distributed.Client(cluster, timeout=60) as client,
        ):
            yield client
    finally:
        for var in set(os.environ) - set(saved):
            del os.environ[var]
        os.environ.update(saved)
