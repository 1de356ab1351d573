"""Test configuration: one torch thread and one BLAS/OpenMP thread per pytest
worker (the suite runs with ``pytest -n 2`` on 2 cores), and no display for
matplotlib."""

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
