"""Parallel and distributed searches: torch threads per fit under joblib's loky
and threading backends and on Dask workers, ``sknn_hep.parallel.torch_threads``,
and a GridSearchCV on a ``distributed.LocalCluster`` that reproduces the
sequential search."""

import os

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sknn_hep.neural_network import NeuralClassifier
from sknn_hep.parallel import torch_threads
from sknn_hep.preprocessing import MissingValueEncoder

FAST = dict(n_layers=1, n_units=8, batch_size=32, max_epochs=2, random_state=0)

# The variables joblib's loky backend and the Dask nanny set in workers.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class ThreadProbe(NeuralClassifier):
    """NeuralClassifier that records, in fit, where it ran and with how many
    torch threads."""

    def fit(self, X, y, **fit_params):
        super().fit(X, y, **fit_params)
        self.fit_pid_ = os.getpid()
        self.fit_threads_ = torch.get_num_threads()
        return self


def _probe(est):
    return est[-1] if hasattr(est, "steps") else est


def _threads(est, X, y):
    return _probe(est).fit_threads_


def _pid(est, X, y):
    return _probe(est).fit_pid_


SCORING = {"threads": _threads, "pid": _pid}


def _recorded(search, key, n_splits=2):
    """The values a scorer recorded over every candidate and split."""
    res = search.cv_results_
    return np.concatenate([res[f"split{i}_test_{key}"] for i in range(n_splits)])


def _probe_search(estimator=None, n_jobs=2, **kwargs):
    return GridSearchCV(
        estimator or ThreadProbe(**FAST),
        {"lr": [1e-3, 1e-2]},
        cv=2,
        n_jobs=n_jobs,
        scoring=SCORING,
        refit=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=4, random_state=0)


@pytest.fixture
def clean_thread_env(monkeypatch):
    """No thread variables inherited from the shell: workers get the defaults."""
    for var in THREAD_VARS:
        monkeypatch.delenv(var, raising=False)


# -- joblib loky (the default of n_jobs) ---------------------------------------


def test_loky_workers_use_their_share_of_threads(data, clean_thread_env):
    # joblib sets OMP_NUM_THREADS=cpu_count()//n_jobs in its worker processes
    # and torch reads it at import: one thread each on 2 cores, where torch's
    # own default would be 2.
    X, y = data
    with joblib.parallel_config(backend="loky"):
        search = _probe_search().fit(X, y)
    pids = _recorded(search, "pid")
    assert os.getpid() not in pids
    assert len(set(pids)) == 2
    np.testing.assert_array_equal(
        _recorded(search, "threads"), max(joblib.cpu_count() // 2, 1)
    )


# -- joblib threading -----------------------------------------------------------


@pytest.mark.parametrize("n_threads", [1, 2])
def test_threading_fits_share_the_process_setting(data, n_threads):
    # In threads, every fit uses the process's torch setting: n_jobs x that
    # many threads in all, hence torch_threads(cpu_count() // n_jobs).
    X, y = data
    with (
        torch_threads(n_threads),
        joblib.parallel_config(backend="threading"),
    ):
        search = _probe_search().fit(X, y)
    np.testing.assert_array_equal(_recorded(search, "pid"), os.getpid())
    np.testing.assert_array_equal(_recorded(search, "threads"), n_threads)


# -- torch_threads ----------------------------------------------------------------


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1
    with torch_threads(other) as previous:
        assert previous == before
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="inside"):
        with torch_threads(other):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None])
def test_torch_threads_rejects_bad_counts(bad):
    msg = (
        r"The 'n_threads' parameter of torch_threads must be an int in the range "
        rf"\[1, inf\)\. Got {bad!r} instead\."
    )
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match=msg):
        with torch_threads(bad):
            pass  # pragma: no cover - never entered
    assert torch.get_num_threads() == before


# -- Dask -----------------------------------------------------------------------


def _missing_data():
    X, y = make_classification(
        n_samples=200, n_features=5, n_informative=3, random_state=1
    )
    X[np.random.default_rng(0).random(X.shape) < 0.15] = -999.0
    return X, y


def test_dask_search_reproduces_the_sequential_search(dask_client):
    X, y = _missing_data()
    # Dropout draws from torch's global generator during training, so the
    # match below also covers the random draws made inside the workers.
    pipe = make_pipeline(
        MissingValueEncoder(missing_values=-999.0),
        ThreadProbe(**FAST, dropout=0.2),
    )
    grid = {
        "threadprobe__n_units": [4, 16],
        "threadprobe__lr": [1e-3, 3e-2],
    }

    def search():
        return GridSearchCV(
            pipe,
            grid,
            cv=2,
            scoring={"neg_log_loss": "neg_log_loss", **SCORING},
            refit="neg_log_loss",
            n_jobs=2,
        )

    # The reference runs here with one torch thread, as the Dask workers do.
    with torch_threads(1):
        sequential = search().set_params(n_jobs=None).fit(X, y)
    # torch_threads(1) here only pins the refit, which runs in this process.
    with torch_threads(1), joblib.parallel_backend("dask"):
        on_dask = search().fit(X, y)

    worker_pids = set(dask_client.run(os.getpid).values())
    pids = set(_recorded(on_dask, "pid"))
    assert pids == worker_pids and os.getpid() not in pids
    np.testing.assert_array_equal(_recorded(on_dask, "threads"), 1)

    assert on_dask.best_params_ == sequential.best_params_
    for key in ("split0_test_neg_log_loss", "split1_test_neg_log_loss"):
        np.testing.assert_array_equal(
            on_dask.cv_results_[key], sequential.cv_results_[key]
        )
    # The scores tell the candidates apart, so the match above is not vacuous.
    assert len(set(sequential.cv_results_["mean_test_neg_log_loss"])) == 4
    np.testing.assert_array_equal(on_dask.predict_proba(X), sequential.predict_proba(X))
