"""The same ``random_state`` gives bit-identical models on the CPU, also in
another process (a new interpreter, with its own torch and NumPy state)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

# dropout, input noise, batch norm, a categorical embedding and early
# stopping (a random validation split): every random draw of a fit
COMMON = dict(
    n_layers=2,
    n_units=16,
    dropout=0.2,
    noise_std=0.1,
    batch_norm=True,
    early_stopping=True,
    patience=3,
    batch_size=32,
    max_epochs=6,
    lr=1e-2,
)

# Runs in the test process and, as a script, in fresh interpreters: fits the
# three networks and returns their outputs on the training data.
FIT_CODE = """
import numpy as np
import torch
from sklearn.datasets import make_classification

from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)


def fit_all(common, seed):
    torch.set_num_threads(1)
    X, labels = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    X[:, 0] = np.arange(300) % 4  # integer codes of a categorical feature
    target = X[:, 1] * 2.0 + X[:, 2]
    kw = dict(common, random_state=seed)
    clf = NeuralClassifier(**kw, categorical_features=[0]).fit(X, labels)
    reg = NeuralRegressor(**kw).fit(X, target)
    y2 = np.column_stack([labels, target])
    y2[::7, 1] = np.nan
    multi = MultiTaskNeuralNet(**kw).fit(X, y2)
    proba, value = multi.predict_proba(X), multi.predict(X)[:, 1]
    return {
        "classifier": clf.predict_proba(X),
        "regressor": reg.predict(X),
        "multitask": np.column_stack([proba, value]),
    }
"""


def _script(common, seed):
    return (
        FIT_CODE
        + "\nimport sys\n"
        + f"np.savez(sys.argv[1], **fit_all({common!r}, {seed}))\n"
    )


namespace = {}
exec(compile(FIT_CODE, "<fit_all>", "exec"), namespace)
fit_all = namespace["fit_all"]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """Outputs of two interpreters started at the same time, seed 0."""
    tmp = tmp_path_factory.mktemp("determinism")
    script = tmp / "fit.py"
    script.write_text(_script(COMMON, 0))
    outputs = [tmp / f"run{i}.npz" for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in outputs
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    return [dict(np.load(path)) for path in outputs]


@pytest.mark.parametrize("kind", ["classifier", "regressor", "multitask"])
def test_same_random_state_is_bit_identical_across_processes(two_processes, kind):
    first, second = (run[kind] for run in two_processes)
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, second)


def test_in_process_fit_equals_other_processes(two_processes):
    # and the test process, with other modules imported and torch's global
    # generator in another state, trains the same models
    torch.manual_seed(12345)
    np.random.seed(12345)  # noqa: NPY002 - the legacy global state
    here = fit_all(COMMON, 0)
    for kind, values in here.items():
        np.testing.assert_array_equal(values, two_processes[0][kind])


def test_other_random_state_gives_other_models(two_processes):
    other = fit_all(COMMON, 1)
    for kind, values in other.items():
        assert not np.array_equal(values, two_processes[0][kind]), kind


def test_fits_in_parallel_threads_are_reproducible():
    """Fits running at once in threads equal the same fits run in sequence."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.datasets import make_classification

    from sknn_hep.neural_network import NeuralClassifier

    X, y = make_classification(n_samples=300, n_features=6, random_state=1)
    params = dict(
        n_layers=2,
        n_units=16,
        dropout=0.3,
        noise_std=0.2,
        batch_norm=True,
        early_stopping=True,
        max_epochs=6,
        batch_size=16,
    )

    def fit(seed):
        return NeuralClassifier(random_state=seed, **params).fit(X, y).predict_proba(X)

    seeds = [0, 1, 2, 3]
    sequential = [fit(seed) for seed in seeds]
    for _ in range(2):
        with ThreadPoolExecutor(max_workers=4) as pool:
            threaded = list(pool.map(fit, seeds))
        for a, b in zip(sequential, threaded):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(sequential[0], sequential[1])
