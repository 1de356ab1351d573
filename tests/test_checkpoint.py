"""Recovery from failures: divergence (``on_divergence``), Ctrl-C, and
checkpoints with ``resume`` after a crash or a SIGKILL."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError

from sknn_hep.neural_network import (
    PLAIN_NETWORK,
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
    TrainingDivergedError,
    _net,
)
from sknn_hep.neural_network._checkpoint import (
    BEST_FILE,
    CHECKPOINT_FILE,
    _seal,
    read_checkpoint,
    read_checkpoint_file,
)
from sknn_hep.neural_network._net import TensorNet

# dropout, input noise, a plateau schedule and early stopping: every piece of
# training state (RNGs, the schedule's and early stopping's counters, the best
# weights) must be restored for a resumed fit to equal an uninterrupted one
STATEFUL = dict(
    # the scaling and optimiser these trajectories (CRASH_EPOCH) were chosen
    # with; test_resume_with_the_default_pieces covers the defaults
    input_scaling="standard",
    num_embedding=None,
    optimizer="adam",
    weight_decay=0.0,
    n_layers=2,
    n_units=16,
    dropout=0.2,
    noise_std=0.1,
    lr=0.1,
    lr_schedule="plateau",
    lr_patience=1,
    early_stopping=True,
    patience=4,
    batch_size=32,
    max_epochs=12,
    random_state=0,
)


def _data(kind, n=240):
    X, labels = make_classification(
        n_samples=n, n_features=5, n_informative=3, random_state=0
    )
    if kind == "classifier":
        return X, labels
    target = X[:, 0] * 2.0 + X[:, 1]
    if kind == "regressor":
        return X, target
    target[::5] = np.nan  # missing regression targets
    return X, np.column_stack([labels, target])


ESTIMATORS = {
    "classifier": NeuralClassifier,
    "regressor": NeuralRegressor,
    "multitask": MultiTaskNeuralNet,
}


def _predict(est, X):
    if isinstance(est, NeuralRegressor):
        return est.predict(X)
    if isinstance(est, MultiTaskNeuralNet):
        return np.column_stack([est.predict_proba(X), est.predict(X)[:, 1]])
    return est.predict_proba(X)


def _losses(est):
    return [(r["train_loss"], r.get("valid_loss"), r["lr"]) for r in est.history_]


def _crash_at_epoch(monkeypatch, epoch):
    """Make the ``epoch``-th training epoch raise (a crash inside fit)."""
    original = TensorNet.run_single_epoch
    calls = []

    def crashing(self, iterator, training, *args, **kwargs):
        if training:
            calls.append(1)
            if len(calls) == epoch:
                raise RuntimeError("simulated crash")
        return original(self, iterator, training, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "run_single_epoch", crashing)


# -- divergence -------------------------------------------------------------------

# Full-batch SGD with lr=2 on this problem: the loss grows every epoch and
# overflows float32 in epoch 5.
DIVERGING = {
    **PLAIN_NETWORK,  # no smooth clipping of the inputs, no ensemble
    "optimizer": "sgd",
}
DIVERGING.update(
    n_layers=2,
    n_units=16,
    lr=2.0,
    batch_size=200,
    max_epochs=20,
    random_state=0,
)


@pytest.fixture(scope="module")
def diverging_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return X, 3.0 * X[:, 0] + rng.normal(size=200)


@pytest.fixture
def only_non_finite(monkeypatch):
    """Turn off the explosion check: only NaN/inf losses count as divergence."""
    monkeypatch.setattr(_net, "EXPLOSION_FACTOR", float("inf"))


def test_divergence_raises_by_default(diverging_data, only_non_finite):
    X, y = diverging_data
    with pytest.raises(TrainingDivergedError, match=r"epoch 5: the train loss is inf"):
        NeuralRegressor(**DIVERGING).fit(X, y)


def test_on_divergence_restore_keeps_last_finite_epoch(diverging_data, only_non_finite):
    X, y = diverging_data
    est = NeuralRegressor(**DIVERGING, on_divergence="restore")
    with pytest.warns(UserWarning, match=r"diverged in epoch 5 .*weights of epoch 4"):
        est.fit(X, y)
    assert est.n_iter_ == 4 and len(est.history_) == 4
    assert all(np.isfinite(r["train_loss"]) for r in est.history_)
    pred = est.predict(X)
    assert np.all(np.isfinite(pred))
    # the model is exactly the one of a fit stopped after epoch 4
    four = NeuralRegressor(**{**DIVERGING, "max_epochs": 4}).fit(X, y)
    np.testing.assert_array_equal(pred, four.predict(X))
    assert _losses(est) == _losses(four)


def test_exploding_finite_loss_is_divergence(diverging_data):
    # the same training explodes (loss 698 against 2.6 at the start) three
    # epochs before it overflows: caught in epoch 2
    X, y = diverging_data
    with pytest.raises(
        TrainingDivergedError,
        match=r"epoch 2: the train loss is 698\.1, more than 100 times its value at "
        r"the start of training \(2\.63\)\. Lower the learning rate 'lr'",
    ):
        NeuralRegressor(**DIVERGING).fit(X, y)
    est = NeuralRegressor(**DIVERGING, on_divergence="restore")
    with pytest.warns(UserWarning, match=r"diverged in epoch 2 .*weights of epoch 1"):
        est.fit(X, y)
    one = NeuralRegressor(**{**DIVERGING, "max_epochs": 1}).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), one.predict(X))


def test_adam_at_huge_lr_is_caught_although_losses_stay_finite():
    # Adam at lr 1e3: the logits saturate, losses of ~1e3-1e10 that never
    # overflow; without the explosion check the fit "succeeds" with 0/1
    # probabilities
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = NeuralClassifier(**PLAIN_NETWORK, lr=1e3, max_epochs=5, random_state=0)
    with pytest.raises(TrainingDivergedError, match="more than 100 times"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)


def test_on_divergence_restore_with_nothing_to_restore_raises(diverging_data):
    X, y = diverging_data
    kw = {**DIVERGING, "lr": 1e6, "batch_size": 32}  # NaN within epoch 1
    est = NeuralRegressor(**kw, on_divergence="restore")
    with pytest.raises(TrainingDivergedError, match="epoch 1: .*no earlier epoch"):
        est.fit(X, y)


def test_on_divergence_rejects_unknown_value(diverging_data):
    X, y = diverging_data
    with pytest.raises(ValueError, match="'on_divergence' parameter.*Got 'skip'"):
        NeuralRegressor(on_divergence="skip").fit(X, y)


# -- Ctrl-C -----------------------------------------------------------------------


def _interrupt_at_step(monkeypatch, step):
    """Raise KeyboardInterrupt in the ``step``-th optimizer step (mid-epoch)."""
    original = torch.optim.Adam.step
    calls = []

    def step_or_interrupt(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == step:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step_or_interrupt)


def test_ctrl_c_keeps_best_weights_and_warns(monkeypatch):
    X, y = _data("classifier")
    # 216 training rows, batches of 32: 7 steps per epoch; step 26 is in epoch 4
    reference = NeuralClassifier(**{**STATEFUL, "max_epochs": 3}).fit(X, y)
    _interrupt_at_step(monkeypatch, 26)
    est = NeuralClassifier(**STATEFUL)
    with pytest.warns(UserWarning, match="interrupted.*epoch 4.*best weights"):
        est.fit(X, y)
    # the unfinished epoch 4 is not in the history; the weights are the best
    # of epochs 1-3, as after an uninterrupted 3-epoch fit
    assert est.n_iter_ == 3
    assert _losses(est) == _losses(reference)
    assert est.best_epoch_ == reference.best_epoch_
    np.testing.assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


def test_ctrl_c_without_early_stopping_leaves_usable_model(monkeypatch):
    X, y = _data("classifier")
    kw = {
        **PLAIN_NETWORK,
        "n_layers": 2,
        "n_units": 16,
        "batch_size": 32,
        "max_epochs": 10,
        "random_state": 0,
    }
    _interrupt_at_step(monkeypatch, 20)  # 8 steps per epoch: in epoch 3
    est = NeuralClassifier(**kw)
    with pytest.warns(UserWarning, match="interrupted.*last finished step"):
        est.fit(X, y)
    assert est.n_iter_ == 2
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba))
    # 3 of epoch 3's steps were taken: not the model after 2 epochs
    two = NeuralClassifier(**{**kw, "max_epochs": 2}).fit(X, y)
    assert not np.array_equal(proba, two.predict_proba(X))


# -- checkpoints and resume, in process -------------------------------------------


# the crash comes after the validation loss got worse at least once (the
# schedule and early stopping count bad epochs) and, for the classifier and
# the multi-task net, after the epoch whose weights the model ends with
CRASH_EPOCH = {"classifier": 8, "regressor": 6, "multitask": 6}


@pytest.mark.parametrize("kind", list(ESTIMATORS))
def test_resume_after_crash_equals_uninterrupted(kind, tmp_path, monkeypatch):
    X, y = _data(kind)
    cls = ESTIMATORS[kind]
    crash = CRASH_EPOCH[kind]
    reference = cls(**STATEFUL).fit(X, y)
    assert reference.n_iter_ > crash  # the crash happens before the end
    with monkeypatch.context() as patch:
        _crash_at_epoch(patch, crash)
        with pytest.raises(RuntimeError, match="simulated crash"):
            cls(**STATEFUL, checkpoint_dir=tmp_path).fit(X, y)
    saved = read_checkpoint(tmp_path)
    assert _epochs(tmp_path) == crash - 1 and not saved["finished"]
    assert saved["target_epochs"] == STATEFUL["max_epochs"]
    resumed = cls(**STATEFUL, checkpoint_dir=tmp_path, resume=True).fit(X, y)
    assert resumed.n_iter_ == reference.n_iter_
    assert _losses(resumed) == _losses(reference)
    assert resumed.best_epoch_ == reference.best_epoch_
    np.testing.assert_array_equal(_predict(resumed, X), _predict(reference, X))
    assert read_checkpoint(tmp_path)["finished"]


def test_resume_with_the_default_pieces(tmp_path, monkeypatch):
    # robust scaling, periodic embeddings, an ensemble, AdamW with weight
    # decay and early stopping on a scorer: all of it resumes bit for bit
    X, y = _data("classifier", n=400)
    kw = dict(
        n_units=16,
        n_ensemble=3,
        num_embedding_dim=4,
        dropout=0.2,
        lr=0.05,
        early_stopping=True,
        scoring="roc_auc",
        patience=4,
        max_epochs=12,
        random_state=0,
    )
    reference = NeuralClassifier(**kw).fit(X, y)
    crash = reference.n_iter_ - 1
    assert crash >= 3
    with monkeypatch.context() as patch:
        _crash_at_epoch(patch, crash)
        with pytest.raises(RuntimeError, match="simulated crash"):
            NeuralClassifier(**kw, checkpoint_dir=tmp_path).fit(X, y)
    resumed = NeuralClassifier(**kw, checkpoint_dir=tmp_path, resume=True).fit(X, y)
    assert resumed.history_ == [
        {**row, "dur": new["dur"]}
        for row, new in zip(reference.history_, resumed.history_)
    ]
    assert resumed.best_epoch_ == reference.best_epoch_
    np.testing.assert_array_equal(resumed.predict_proba(X), reference.predict_proba(X))


def test_resume_of_finished_training_reloads_it(tmp_path):
    X, y = _data("classifier")
    first = NeuralClassifier(**STATEFUL, checkpoint_dir=tmp_path).fit(X, y)
    again = NeuralClassifier(**STATEFUL, checkpoint_dir=tmp_path, resume=True)
    again.fit(X, y)
    assert again.history_ == first.history_  # the same epochs (same durations)
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    X, y = _data("regressor")
    target = tmp_path / "new"
    est = NeuralRegressor(**STATEFUL, checkpoint_dir=target, resume=True).fit(X, y)
    plain = NeuralRegressor(**STATEFUL).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), plain.predict(X))
    assert sorted(os.listdir(target)) == [BEST_FILE, CHECKPOINT_FILE]


def test_best_checkpoint_holds_lowest_validation_loss(tmp_path):
    X, y = _data("classifier")
    est = NeuralClassifier(**{**STATEFUL, "patience": 2}, checkpoint_dir=tmp_path)
    est.fit(X, y)
    best = read_checkpoint_file(tmp_path / BEST_FILE)
    valid = [r["valid_loss"] for r in est.history_]
    assert len(json.loads(best["history"])) == int(np.argmin(valid)) + 1
    assert best["best_loss"] == min(valid)
    # with restore_best_weights the final model holds these weights
    for key, value in est.net_.module_.state_dict().items():
        torch.testing.assert_close(value, best["module"][key], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"lr": 0.05}, r"'lr' parameter is 0\.1 in the checkpoint and 0\.05 now"),
        ({"dropout": 0.0}, r"'dropout' parameter is 0\.2"),
    ],
)
def test_resume_refuses_other_parameters(tmp_path, change, match):
    X, y = _data("classifier")
    NeuralClassifier(**{**STATEFUL, "max_epochs": 2}, checkpoint_dir=tmp_path).fit(X, y)
    est = NeuralClassifier(
        **{**STATEFUL, "max_epochs": 2, **change}, checkpoint_dir=tmp_path, resume=True
    )
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_resume_refuses_other_data_or_estimator(tmp_path):
    X, y = _data("classifier")
    kw = {**STATEFUL, "max_epochs": 2}
    NeuralClassifier(**kw, checkpoint_dir=tmp_path).fit(X, y)
    resuming = NeuralClassifier(**kw, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"X has shape \(200, 5\).*\(240, 5\)"):
        resuming.fit(X[:200], y[:200])
    y_other = y.copy()
    y_other[:10] = 1 - y_other[:10]
    with pytest.raises(ValueError, match="data .* differ from the checkpoint's"):
        resuming.fit(X, y_other)
    with pytest.raises(ValueError, match="written by NeuralClassifier, not Neural"):
        NeuralRegressor(**kw, checkpoint_dir=tmp_path, resume=True).fit(X, y)


def test_resume_ignores_verbose_and_on_divergence_changes(tmp_path, monkeypatch):
    X, y = _data("classifier")
    reference = NeuralClassifier(**STATEFUL).fit(X, y)
    with monkeypatch.context() as patch:
        _crash_at_epoch(patch, 4)
        with pytest.raises(RuntimeError):
            NeuralClassifier(**STATEFUL, checkpoint_dir=tmp_path).fit(X, y)
    resumed = NeuralClassifier(
        **STATEFUL,
        checkpoint_dir=tmp_path,
        resume=True,
        verbose=2,
        on_divergence="restore",
    )
    resumed.fit(X, y)
    np.testing.assert_array_equal(resumed.predict_proba(X), reference.predict_proba(X))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"resume": True}, "'resume' parameter .* True, but 'checkpoint_dir' is None"),
        ({"resume": True, "checkpoint_dir": "x", "warm_start": True}, "warm_start"),
    ],
)
def test_resume_parameter_errors(params, match):
    X, y = _data("classifier")
    with pytest.raises(ValueError, match=match):
        NeuralClassifier(max_epochs=1, **params).fit(X, y)


def test_checkpoint_of_warm_start_continuation_is_not_resumed(tmp_path):
    X, y = _data("classifier")
    kw = dict(n_layers=1, n_units=4, max_epochs=2, random_state=0)
    est = NeuralClassifier(**kw, warm_start=True, checkpoint_dir=tmp_path)
    est.fit(X, y).fit(X, y)  # the second fit continues after 2 epochs
    assert _epochs(tmp_path) == 4
    resuming = NeuralClassifier(**kw, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="continued a network after 2 epochs"):
        resuming.fit(X, y)


def test_partial_fit_writes_no_checkpoint(tmp_path):
    X, y = _data("classifier")
    est = NeuralClassifier(n_layers=1, n_units=4, checkpoint_dir=tmp_path / "c")
    est.partial_fit(X, y, classes=[0, 1])
    assert not (tmp_path / "c").exists()


def test_cloned_estimator_keeps_checkpoint_parameters(tmp_path):
    est = NeuralClassifier(checkpoint_dir=tmp_path, resume=True)
    params = clone(est).get_params()
    assert params["checkpoint_dir"] == tmp_path and params["resume"] is True


# -- damaged checkpoints ----------------------------------------------------------


class _HalfWriter:
    """A file whose write stops half-way with a full disk."""

    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, data):
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        raise OSError(28, "No space left on device")


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    X, y = _data("classifier")
    real_mkstemp, real_fdopen = tempfile.mkstemp, os.fdopen
    temp_fds, before = [], {}

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        if os.path.basename(name).startswith(f".{CHECKPOINT_FILE}."):
            temp_fds.append(fd)
        return fd, name

    def fdopen(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)
        if len(temp_fds) == 3 and fd == temp_fds[-1]:  # epoch 3's checkpoint
            before["bytes"] = (tmp_path / CHECKPOINT_FILE).read_bytes()
            return _HalfWriter(fh)
        return fh

    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", mkstemp)
        patch.setattr(os, "fdopen", fdopen)
        with pytest.raises(OSError, match="No space left"):
            NeuralClassifier(**STATEFUL, checkpoint_dir=tmp_path).fit(X, y)
    # epoch 2's checkpoint is intact and the half-written file is removed
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before["bytes"]
    assert sorted(os.listdir(tmp_path)) == [BEST_FILE, CHECKPOINT_FILE]
    assert _epochs(tmp_path) == 2
    # ... and resuming from it gives the uninterrupted model
    resumed = NeuralClassifier(**STATEFUL, checkpoint_dir=tmp_path, resume=True)
    reference = NeuralClassifier(**STATEFUL).fit(X, y)
    np.testing.assert_array_equal(
        resumed.fit(X, y).predict_proba(X), reference.predict_proba(X)
    )


def _epochs(directory):
    state = read_checkpoint(directory)
    return len(json.loads(state["history"])) if state is not None else 0


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    X, y = _data("classifier")
    kw = {**STATEFUL, "max_epochs": 2}
    NeuralClassifier(**kw, checkpoint_dir=tmp_path).fit(X, y)
    path = tmp_path / CHECKPOINT_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    est = NeuralClassifier(**kw, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"checkpoint.pt cannot be read; .*truncated"):
        est.fit(X, y)
    # a temporary file left by a kill during a write is never read
    path.write_bytes(data)
    (tmp_path / f".{CHECKPOINT_FILE}.abc123.tmp").write_bytes(data[:100])
    est.fit(X, y)
    assert est.n_iter_ == 2


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_checkpoint_loading_runs_no_pickled_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buffer = io.BytesIO()
    torch.save({"format": 1, "payload": _Exploit()}, buffer)
    # a crafted file with a valid checksum header: torch refuses the pickle
    (tmp_path / CHECKPOINT_FILE).write_bytes(_seal(buffer.getvalue()))
    est = NeuralClassifier(max_epochs=1, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="cannot be read"):
        est.fit(*_data("classifier"))
    assert not (tmp_path / "pwned").exists()
    # and without the header it is not even opened
    (tmp_path / CHECKPOINT_FILE).write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="not a checkpoint of sknn_hep"):
        est.fit(*_data("classifier"))
    assert not (tmp_path / "pwned").exists()


def test_flipped_bit_in_checkpoint_is_refused(tmp_path):
    X, y = _data("classifier")
    kw = {**STATEFUL, "max_epochs": 2}
    NeuralClassifier(**kw, checkpoint_dir=tmp_path).fit(X, y)
    path = tmp_path / CHECKPOINT_FILE
    data = bytearray(path.read_bytes())
    # a bit in the middle of the payload (tensor data: torch alone reads it)
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    est = NeuralClassifier(**kw, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"checkpoint.pt cannot be read; .*checksum"):
        est.fit(X, y)


def test_file_that_is_no_checkpoint_is_a_clear_error(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / CHECKPOINT_FILE)
    est = NeuralClassifier(max_epochs=1, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="not a checkpoint of sknn_hep"):
        est.fit(*_data("classifier"))


# -- SIGKILL in a subprocess, then resume -----------------------------------------

# 1200 rows in batches of 32: each epoch takes long enough (> 0.02 s) that the
# poll below sees the checkpoint well before the 12 epochs are over
KILL_ROWS = 1200

SCRIPT = """\
import sys
import torch
torch.set_num_threads(1)
from sklearn.datasets import make_classification
from sknn_hep.neural_network import NeuralClassifier
X, y = make_classification(n_samples={rows}, n_features=5, n_informative=3,
                           random_state=0)
NeuralClassifier(**{kw!r}, checkpoint_dir=sys.argv[1], verbose=2).fit(X, y)
"""


def _kill_after_epochs(proc, directory, n_epochs, timeout):
    """Watch ``directory`` in a thread; SIGKILL ``proc`` once its checkpoint
    holds ``n_epochs`` epochs."""

    def watch():
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if _epochs(directory) >= n_epochs:
                proc.send_signal(signal.SIGKILL)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    return watcher


def test_sigkill_then_resume_loses_at_most_one_epoch(tmp_path):
    kw = {**STATEFUL, "patience": 6}
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.format(rows=KILL_ROWS, kw=kw))
    ckpt = tmp_path / "ckpt"
    proc = subprocess.Popen(
        [sys.executable, "-u", str(script), str(ckpt)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        watcher = _kill_after_epochs(proc, ckpt, 3, timeout=90)
        # the uninterrupted reference trains while the subprocess starts
        X, y = make_classification(
            n_samples=KILL_ROWS, n_features=5, n_informative=3, random_state=0
        )
        reference = NeuralClassifier(**kw).fit(X, y)
        watcher.join()
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, out
    # verbose=2 prints one table line per finished epoch, before its checkpoint
    finished = [int(m) for m in re.findall(r"^\s+(\d+)\s+\S", out, re.MULTILINE)]
    saved = _epochs(ckpt)
    assert saved >= 3 and max(finished) - saved <= 1
    assert saved < reference.n_iter_
    killed_history = json.loads(read_checkpoint(ckpt)["history"])

    resumed = NeuralClassifier(**kw, checkpoint_dir=ckpt, resume=True).fit(X, y)
    # the first epochs come from the killed process (their durations are its)
    assert resumed.history_[0]["dur"] == killed_history[0]["dur"]
    assert resumed.n_iter_ == reference.n_iter_
    assert _losses(resumed) == _losses(reference)
    np.testing.assert_array_equal(resumed.predict_proba(X), reference.predict_proba(X))


def test_ensemble_members_get_their_own_checkpoint_directories(tmp_path):
    from sklearn.datasets import make_classification
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn_hep.ensemble import CrossTrainingClassifier, SeedEnsemble

    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    net = NeuralClassifier(
        n_layers=1, n_units=8, max_epochs=3, random_state=0, checkpoint_dir=tmp_path
    )
    crossed = CrossTrainingClassifier(
        make_pipeline(StandardScaler(), net), n_splits=3, random_state=0
    ).fit(X, y)
    for i, member in enumerate(crossed.estimators_):
        assert member[-1].checkpoint_dir == tmp_path / f"fold_{i}"
        assert read_checkpoint(tmp_path / f"fold_{i}") is not None
    assert not (tmp_path / CHECKPOINT_FILE).exists()
    # resuming the finished trainings reloads each member's own state
    again = clone(crossed).set_params(estimator__neuralclassifier__resume=True)
    again.fit(X, y)
    np.testing.assert_array_equal(again.oof_proba_, crossed.oof_proba_)
    for new, old_member in zip(again.estimators_, crossed.estimators_):
        # the epoch durations are the first fit's: read back, not trained again
        assert [r["dur"] for r in new[-1].history_] == [
            r["dur"] for r in old_member[-1].history_
        ]

    seeds = SeedEnsemble(net, n_estimators=2, random_state=0).fit(X, y)
    assert [m.checkpoint_dir for m in seeds.estimators_] == [
        tmp_path / "member_0",
        tmp_path / "member_1",
    ]
    assert seeds.estimator.checkpoint_dir == tmp_path  # the template is unchanged
