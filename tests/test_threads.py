"""torch threads of a fit or prediction: ``n_threads`` and its "auto" rule
(``sknn_hep/neural_network/_threads.py``)."""

import os
import pickle
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sknn_hep.ensemble import SeedEnsemble
from sknn_hep.neural_network import (
    PLAIN_NETWORK,
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
    _threads,
)
from sknn_hep.neural_network._threads import (
    available_cpus,
    busy_cpus,
    resolve_n_threads,
    step_work,
    use_threads,
)

# one plain network of 8 units: too little work for a second thread
TINY = dict(
    **{**PLAIN_NETWORK, "batch_size": 32},
    n_layers=1,
    n_units=8,
    max_epochs=2,
    random_state=0,
)
# enough work per batch for 2 threads under the rule (3x64 on 30 inputs)
WIDE = dict(
    **{**PLAIN_NETWORK, "batch_size": 256},
    hidden_layer_sizes=(64, 64, 64),
    max_epochs=1,
    random_state=0,
)


def bad_message(owner, value):
    """scikit-learn's message for a bad ``n_threads``, as a pattern."""
    shown = repr(value) if isinstance(value, str) else str(value)
    return re.escape(
        f"The 'n_threads' parameter of {owner} must be an int in the range "
        f"[1, inf) or a str among {{'auto'}}. Got {shown} instead."
    )


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=30, random_state=0)


@pytest.fixture
def caller_threads():
    """The test's torch setting is 2 (conftest's is 1); restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


@pytest.fixture
def seen_threads(monkeypatch):
    """torch's thread count at every Linear layer call, with the label the
    calling thread carries (``seen_threads.label.value``)."""
    seen = []
    label = threading.local()
    forward = torch.nn.Linear.forward

    def recording(self, x):
        seen.append((getattr(label, "value", None), torch.get_num_threads()))
        return forward(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", recording)
    return SimpleNamespace(records=seen, label=label)


@pytest.fixture
def two_cpus(monkeypatch):
    """The rule sees 2 CPUs, whatever the machine has."""
    monkeypatch.setattr(_threads, "available_cpus", lambda: 2)
    monkeypatch.setattr(_threads, "_watched_cpus", lambda: 2)


def _counts(seen, label=None):
    return {n for lab, n in seen.records if lab == label}


# -- the rule --------------------------------------------------------------------


def test_available_cpus_is_joblibs_count():
    assert available_cpus() == max(1, joblib.cpu_count())


def test_busy_cpus_is_a_load_within_the_cpus():
    for _ in range(2):  # a fresh window, then the cached or short one
        assert 0.0 <= busy_cpus() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("hidden", [[8], [64] * 3, [256] * 3])
@pytest.mark.parametrize("batch_size", [32, 256, 1024])
def test_auto_is_within_one_and_the_available_cpus(hidden, batch_size):
    n = resolve_n_threads(
        "auto", hidden_sizes=hidden, batch_size=batch_size, n_inputs=30
    )
    assert 1 <= n <= available_cpus()
    assert isinstance(n, int)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_an_int_is_returned_as_given(n):
    assert resolve_n_threads(n, hidden_sizes=[8], batch_size=1, n_inputs=1) == n


def test_tiny_network_on_a_busy_machine_gets_one_thread():
    tiny = dict(hidden_sizes=[8], batch_size=32, n_inputs=4)
    assert resolve_n_threads("auto", **tiny, cpus=2, busy=1.0) == 1
    # too little work to share even on an idle machine with many CPUs
    assert resolve_n_threads("auto", **tiny, cpus=64, busy=0.0) == 1


def test_the_load_decides_for_a_wide_network():
    wide = dict(hidden_sizes=[256] * 3, batch_size=1024, n_inputs=30, cpus=2)
    assert resolve_n_threads("auto", **wide, busy=0.0) == 2
    assert resolve_n_threads("auto", **wide, busy=_threads.IDLE_TOLERANCE) == 2
    assert resolve_n_threads("auto", **wide, busy=0.3) == 1
    assert resolve_n_threads("auto", **wide, busy=1.0) == 1
    assert resolve_n_threads("auto", **wide, busy=2.0) == 1
    # other fits of this process hold CPUs too
    assert resolve_n_threads("auto", **wide, busy=0.0, in_process=1) == 1
    # never more than the caller allows, nor than the CPUs
    assert resolve_n_threads("auto", **wide, busy=0.0, limit=1) == 1
    eight = {**wide, "cpus": 8}
    assert resolve_n_threads("auto", **eight, busy=0.0, limit=4) == 4
    assert resolve_n_threads("auto", **eight, busy=2.0) == 6


def test_the_load_is_not_measured_when_one_thread_is_the_answer(monkeypatch):
    def fail():
        raise AssertionError("measured")

    monkeypatch.setattr(_threads, "busy_cpus", fail)
    assert resolve_n_threads("auto", hidden_sizes=[8], batch_size=32, n_inputs=4) == 1
    assert (
        resolve_n_threads(
            "auto", hidden_sizes=[256] * 3, batch_size=1024, n_inputs=30, limit=1
        )
        == 1
    )


def test_step_work_counts_multiply_adds():
    # 30 -> 64 -> 64 -> 64 -> 1: 1920 + 4096 + 4096 + 64 per row and member
    per_row = 30 * 64 + 64 * 64 * 2 + 64
    kwargs = dict(hidden_sizes=[64] * 3, n_inputs=30, batch_size=256)
    assert step_work(**kwargs, training=False) == 256 * per_row
    assert step_work(**kwargs) == 3 * 256 * per_row
    assert step_work(**kwargs, n_ensemble=8) == 8 * 3 * 256 * per_row


# -- the estimators ----------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [NeuralClassifier, NeuralRegressor])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_an_int_is_used_in_fit_and_predict(
    data, caller_threads, seen_threads, Estimator, n
):
    X, y = data
    est = Estimator(**TINY, n_threads=n).fit(X, y)
    assert _counts(seen_threads) == {n}
    assert torch.get_num_threads() == caller_threads
    seen_threads.records.clear()
    est.predict(X)
    assert _counts(seen_threads) == {n}
    assert torch.get_num_threads() == caller_threads


def test_multitask_network_takes_n_threads(data, caller_threads, seen_threads):
    X, y = data
    Y = np.column_stack([y, X[:, 0]])
    tiny = {k: v for k, v in TINY.items() if k != "n_ensemble"}
    MultiTaskNeuralNet(**tiny, n_threads=1).fit(X, Y).predict(X)
    assert _counts(seen_threads) == {1}
    assert torch.get_num_threads() == caller_threads


def test_auto_follows_the_load(
    data, caller_threads, seen_threads, two_cpus, monkeypatch
):
    X, y = data
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 0.0)
    NeuralClassifier(**WIDE).fit(X, y)
    assert _counts(seen_threads) == {2}
    seen_threads.records.clear()
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 1.0)  # a busy neighbour
    NeuralClassifier(**WIDE).fit(X, y)
    assert _counts(seen_threads) == {1}
    seen_threads.records.clear()
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 0.0)
    NeuralClassifier(**TINY).fit(X, y)  # a tiny network on an idle machine
    assert _counts(seen_threads) == {1}
    assert torch.get_num_threads() == caller_threads


def test_auto_never_exceeds_the_callers_setting(data, seen_threads, two_cpus):
    # conftest sets torch to 1 thread, as joblib does in its worker processes
    X, y = data
    assert torch.get_num_threads() == 1
    NeuralClassifier(**WIDE).fit(X, y).predict(X)
    assert _counts(seen_threads) == {1}


def test_caller_setting_restored_after_a_failed_fit(data, caller_threads):
    X, y = data
    with pytest.raises(ValueError, match="only one class"):
        NeuralClassifier(**TINY, n_threads=1).fit(X, np.zeros_like(y))
    assert torch.get_num_threads() == caller_threads
    with pytest.raises(ValueError):
        NeuralClassifier(**TINY, n_threads=3).fit(X[:, :2], y[:-1])
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, "many", None])
def test_bad_values_name_the_parameter(data, bad):
    X, y = data
    before = torch.get_num_threads()
    for Estimator in (NeuralClassifier, NeuralRegressor):
        match = bad_message(Estimator.__name__, bad)
        with pytest.raises(ValueError, match=match):
            Estimator(**TINY, n_threads=bad).fit(X, y)
    # set after fit: predict refuses it too
    est = NeuralClassifier(**TINY).fit(X, y).set_params(n_threads=bad)
    with pytest.raises(ValueError, match=bad_message("NeuralClassifier", bad)):
        est.predict(X)
    with pytest.raises(ValueError, match=bad_message("use_threads", bad)):
        with use_threads(bad):
            pass
    assert torch.get_num_threads() == before


def test_n_threads_does_not_block_resume(tmp_path, data):
    # n_threads does not change the training: a resumed fit may change it
    X, y = data
    kwargs = dict(**TINY, checkpoint_dir=tmp_path)
    first = NeuralClassifier(**kwargs, n_threads=1).fit(X, y)
    resumed = NeuralClassifier(**kwargs, n_threads=2, resume=True).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), resumed.predict_proba(X))


def test_model_saved_without_n_threads_still_predicts(data):
    X, y = data
    est = NeuralClassifier(**TINY).fit(X, y)
    expected = est.predict_proba(X)
    old = pickle.loads(pickle.dumps(est))
    del old.__dict__["n_threads"]  # as saved before the parameter existed
    np.testing.assert_array_equal(old.predict_proba(X), expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(**{**PLAIN_NETWORK, "batch_size": 256}, hidden_layer_sizes=(64,) * 3),
        dict(**{**PLAIN_NETWORK, "batch_size": 1024}, hidden_layer_sizes=(256,) * 3),
        dict(),  # the defaults: periodic embeddings, 8 members, early stopping
    ],
    ids=["3x64-256", "3x256-1024", "defaults"],
)
def test_one_and_two_threads_give_identical_models(kwargs):
    # what makes a load-dependent count safe for reproducibility
    X, y = make_classification(n_samples=2000, n_features=30, random_state=1)
    fits = [
        NeuralClassifier(**kwargs, max_epochs=3, random_state=0, n_threads=n).fit(X, y)
        for n in (1, 2)
    ]
    one, two = (f.net_.module_.state_dict() for f in fits)
    assert one.keys() == two.keys()
    for key in one:
        assert torch.equal(one[key], two[key]), key
    assert fits[0].history_[-1]["train_loss"] == fits[1].history_[-1]["train_loss"]
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


# -- fits at the same time in threads of one process --------------------------------


def test_parallel_fits_in_threads_restore_the_setting(
    data, caller_threads, seen_threads
):
    X, y = data

    def fit(i, n):
        seen_threads.label.value = i
        try:
            return NeuralClassifier(**TINY, n_threads=n).fit(X, y).predict(X)
        finally:
            seen_threads.label.value = None

    counts = [1, 3, 2, 1, 3, 2]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(fit, range(len(counts)), counts))
    for i, n in enumerate(counts):
        assert _counts(seen_threads, i) == {n}
    assert torch.get_num_threads() == caller_threads
    # and the process-wide count that new threads start from
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(torch.get_num_threads).result() == caller_threads


def test_overlapping_blocks_in_threads_restore_the_callers_setting(caller_threads):
    # A enters, B enters, A leaves, B leaves: neither leaves its count behind
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with use_threads(1):
            a_in.set()
            b_in.wait()
            seen["a"] = torch.get_num_threads()
        a_out.set()

    def b():
        a_in.wait()
        with use_threads(3):
            b_in.set()
            a_out.wait()
            seen["b"] = torch.get_num_threads()
        seen["b after"] = torch.get_num_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": 1, "b": 3, "b after": caller_threads}
    assert torch.get_num_threads() == caller_threads
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(torch.get_num_threads).result() == caller_threads


def test_auto_counts_the_threads_of_other_fits_in_the_process(
    caller_threads, two_cpus, monkeypatch
):
    monkeypatch.setattr(_threads, "busy_cpus", lambda: 0.0)
    wide = dict(hidden_sizes=[256] * 3, batch_size=1024, n_inputs=30)
    inside, release, result = threading.Event(), threading.Event(), {}

    def other():
        with use_threads(1):
            inside.set()
            release.wait()

    t = threading.Thread(target=other)
    t.start()
    inside.wait()
    with use_threads("auto", **wide) as n:
        result["while another runs"] = n
    release.set()
    t.join()
    with use_threads("auto", **wide) as n:
        result["alone"] = n
    assert result == {"while another runs": 1, "alone": 2}
    assert torch.get_num_threads() == caller_threads


def test_a_block_inside_a_block_keeps_the_outer_count(caller_threads):
    with use_threads(1):
        with use_threads("auto", hidden_sizes=[256] * 3, batch_size=1024, n_inputs=30):
            assert torch.get_num_threads() == 1
        with use_threads(3):
            assert torch.get_num_threads() == 3
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == caller_threads


def test_seed_ensemble_with_threading_backend(data, caller_threads, seen_threads):
    # the ensemble clones the estimator: n_threads passes through get_params
    X, y = data
    ens = SeedEnsemble(NeuralClassifier(**TINY, n_threads=1), n_estimators=3, n_jobs=2)
    with joblib.parallel_config(backend="threading"):
        ens.fit(X, y)
    assert {m.n_threads for m in ens.estimators_} == {1}
    assert _counts(seen_threads) == {1}
    assert torch.get_num_threads() == caller_threads
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(torch.get_num_threads).result() == caller_threads
