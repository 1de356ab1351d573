"""The ``callbacks`` parameter and ``net_`` as a real skorch NeuralNet."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score
from skorch import NeuralNet
from skorch.callbacks import (
    BatchScoring,
    Callback,
    Checkpoint,
    EpochScoring,
    GradientNormClipping,
    LRScheduler,
)

from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor

FAST = dict(n_layers=2, n_units=16, n_ensemble=1, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=4, random_state=0
    )
    return X, y


class Counter(Callback):
    """Counts skorch's events."""

    def initialize(self):
        self.train_batches_ = 0
        self.valid_batches_ = 0
        self.grads_ = 0
        self.epochs_ = 0
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.train_batches_ += 1
        else:
            self.valid_batches_ += 1

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.grads_ += 1

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


class GradNorms(Callback):
    """Records the total gradient norm as the optimizer will see it."""

    def initialize(self):
        self.norms_ = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))
        self.norms_.append(float(norm))


def test_gradient_clipping_and_a_counting_callback_both_act(data):
    X, y = data
    counter, after_clip = Counter(), GradNorms()
    est = NeuralClassifier(
        **FAST,
        max_epochs=3,
        early_stopping=False,
        callbacks=[
            ("clip", GradientNormClipping(gradient_clip_value=0.01)),
            ("counter", counter),
            ("norms", after_clip),
        ],
    ).fit(X, y)
    n_batches = int(np.ceil(len(X) / 64))
    assert counter.train_batches_ == 3 * n_batches == counter.grads_
    assert counter.epochs_ == 3
    assert dict(est.net_.callbacks_)["norms"] is after_clip
    # clipped: every gradient the optimizer used has norm <= 0.01
    assert len(after_clip.norms_) == 3 * n_batches
    assert max(after_clip.norms_) <= 0.01 * (1 + 1e-4)
    # without the clipping the gradients are far larger
    free = GradNorms()
    NeuralClassifier(
        **FAST, max_epochs=3, early_stopping=False, callbacks=[("norms", free)]
    ).fit(X, y)
    assert max(free.norms_) > 0.1
    # and the clipping changes the training
    plain = NeuralClassifier(**FAST, max_epochs=3, early_stopping=False).fit(X, y)
    assert not np.allclose(plain.predict_proba(X), est.predict_proba(X))


def test_epoch_and_batch_scoring_land_in_history(data):
    X, y = data
    mask = np.zeros(len(X), dtype=bool)
    mask[::4] = True
    est = NeuralClassifier(
        **FAST,
        max_epochs=4,
        restore_best_weights=False,
        callbacks=[
            EpochScoring("roc_auc", lower_is_better=False),
            BatchScoring("accuracy", lower_is_better=False, on_train=False),
        ],
    ).fit(X, y, validation_mask=mask)
    assert len(est.history_) == 4
    for row in est.history_:
        assert 0.5 < row["roc_auc"] <= 1.0
        assert 0.0 <= row["accuracy"] <= 1.0
        assert "batches" not in row
    # the last epoch's score is sklearn's ROC AUC of the fitted model on the
    # validation rows
    expected = roc_auc_score(y[mask], est.predict_proba(X[mask])[:, 1])
    assert est.history_[-1]["roc_auc"] == pytest.approx(expected, abs=1e-6)


def test_user_lr_scheduler_and_skorch_checkpoint(data, tmp_path):
    X, y = data
    est = NeuralClassifier(
        **FAST,
        max_epochs=3,
        lr=0.01,
        early_stopping=True,
        callbacks=[
            ("sched", LRScheduler("StepLR", step_size=1, gamma=0.5)),
            ("ckpt", Checkpoint(dirname=str(tmp_path), monitor="valid_loss_best")),
        ],
    ).fit(X, y)
    assert [row["lr"] for row in est.history_] == pytest.approx([0.01, 0.005, 0.0025])
    assert (tmp_path / "params.pt").exists()
    # skorch's own load_params reads what its Checkpoint wrote
    before = est.predict_proba(X)
    est.net_.load_params(f_params=str(tmp_path / "params.pt"))
    best = est.best_epoch_
    assert best in (1, 2, 3)
    if best == 3:
        np.testing.assert_allclose(est.predict_proba(X), before, rtol=1e-6)


def test_net_is_a_working_skorch_classifier(data):
    X, y = data
    est = NeuralClassifier(**FAST, max_epochs=2).fit(X, y)
    net = est.net_
    assert isinstance(net, NeuralNet)
    x32 = X.astype(np.float32)
    # predict_proba gives probabilities (not logits), as the estimator's
    proba = net.predict_proba(x32)
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(net.classes_, [0, 1])
    np.testing.assert_array_equal(est.classes_[net.predict(x32)], est.predict(X))
    assert net.score(x32, y) == pytest.approx(est.score(X, y), abs=1e-9)
    # partial_fit continues the network (max_epochs more epochs, skorch's rule)
    n = len(net.history)
    net.partial_fit(x32, y)
    assert len(net.history) == n + 2
    assert not np.allclose(net.predict_proba(x32), proba)
    # fit starts over
    net.fit(x32, y)
    assert len(net.history) == 2
    # forward gives the module's logits
    logits = net.forward(x32)
    assert logits.shape == (len(X), 1)
    # an uninitialised net says so, as skorch's does
    from skorch.exceptions import NotInitializedError

    fresh = clone(net)
    with pytest.raises(NotInitializedError):
        fresh.predict_proba(x32)


def test_net_of_a_regressor_works_in_the_standardised_space(data):
    X, _ = data
    rng = np.random.default_rng(0)
    y = 1000.0 + 50.0 * X[:, 0] + rng.normal(size=len(X))
    est = NeuralRegressor(
        **FAST,
        max_epochs=5,
        early_stopping=True,
        callbacks=[EpochScoring("r2", lower_is_better=False)],
    ).fit(X, y)
    assert all("r2" in row for row in est.history_)
    out = est.net_.predict(X.astype(np.float32))[:, 0]
    mean, scale = est._y_mean[0], est._y_scale[0]
    np.testing.assert_allclose(out * scale + mean, est.predict(X), rtol=1e-5)
    est.net_.partial_fit(X.astype(np.float32), ((y - mean) / scale)[:, None])


def test_weights_through_the_net_dict_input(data):
    X, y = data
    est = NeuralClassifier(**FAST, max_epochs=1).fit(X, y)
    w = np.where(y == 1, 3.0, 1.0)
    est.net_.partial_fit({"x": X.astype(np.float32), "w": w}, y)
    with pytest.raises(ValueError, match="keys 'x' and optionally"):
        est.net_.predict_proba({"X": X})


@pytest.mark.parametrize(
    "callbacks, match",
    [
        ("clip", "'callbacks' parameter of NeuralClassifier must be"),
        ([object()], "must be None or a list of skorch callbacks"),
        ([("a", "b", "c")], "must be None or a list of skorch callbacks"),
        ([("early_stopping", Counter())], "'early_stopping', a name"),
        ([("checkpoint", Counter())], "'checkpoint', a name"),
    ],
)
def test_bad_callbacks_are_clear_errors(data, callbacks, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        NeuralClassifier(**FAST, max_epochs=1, callbacks=callbacks).fit(X, y)


def test_callbacks_survive_clone_and_cross_validation(data):
    X, y = data
    counter = Counter()
    est = NeuralClassifier(**FAST, max_epochs=2, callbacks=[("counter", counter)])
    copy = clone(est)
    assert copy.callbacks[0][1] is not counter
    scores = cross_val_score(est, X, y, cv=2, scoring="roc_auc")
    assert np.all(scores > 0.7)
    # the folds trained clones: the estimator's own callback was not used
    assert not hasattr(counter, "epochs_")


def test_a_callback_stopping_the_training_is_not_a_ctrl_c(data):
    class StopAfterTwo(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = NeuralClassifier(
            **FAST, max_epochs=5, callbacks=[("stop", StopAfterTwo())]
        ).fit(X, y)
    assert est.n_iter_ == 2
    # skorch's convention: a KeyboardInterrupt ends the training; the
    # estimator says so
    assert any("KeyboardInterrupt" in str(w.message) for w in caught)


def test_fitted_net_keeps_only_lasting_callbacks(data, tmp_path):
    X, y = data
    est = NeuralClassifier(
        **FAST,
        max_epochs=2,
        early_stopping=True,
        lr_schedule="step",
        checkpoint_dir=tmp_path,
        diagnostics=True,
        callbacks=[("counter", Counter())],
    ).fit(X, y)
    names = [name for name, _ in est.net_.callbacks_]
    assert names == ["epoch_timer", "train_loss", "valid_loss", "counter"]
    assert "grad_norm_1" in est.history_[-1]


def test_resume_restores_a_user_callbacks_fitted_state(data, tmp_path, monkeypatch):
    from sknn_hep.neural_network._net import TensorNet

    X, y = data
    kw = dict(**FAST, max_epochs=5, checkpoint_dir=tmp_path)
    original = TensorNet.run_single_epoch
    calls = []

    def crashing(self, iterator, training, *args, **kwargs):
        if training:
            calls.append(1)
            if len(calls) == 4:
                raise RuntimeError("simulated crash")
        return original(self, iterator, training, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "run_single_epoch", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        NeuralClassifier(**kw, callbacks=[("counter", Counter())]).fit(X, y)
    monkeypatch.undo()
    counter = Counter()
    resumed = NeuralClassifier(**kw, resume=True, callbacks=[("counter", counter)]).fit(
        X, y
    )
    # 3 epochs before the crash (restored from the checkpoint) + 2 after
    assert counter.epochs_ == 5
    full = NeuralClassifier(**kw, callbacks=[("counter", Counter())])
    full.set_params(checkpoint_dir=None).fit(X, y)
    np.testing.assert_array_equal(resumed.predict_proba(X), full.predict_proba(X))


def test_loggers_see_the_epoch_early_stopping_stops_in(data):
    X, y = data
    counter = Counter()
    est = NeuralClassifier(
        **FAST,
        max_epochs=200,
        early_stopping=True,
        patience=2,
        diagnostics=True,
        callbacks=[("counter", counter)],
    ).fit(X, y)
    assert est.n_iter_ < 200  # it stopped early
    assert counter.epochs_ == est.n_iter_
    # the diagnostics ran after the last epoch too
    assert all("grad_norm_1" in row for row in est.history_)


def test_scoring_on_a_dataframe_warns_nothing(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = NeuralClassifier(
            **FAST, max_epochs=2, early_stopping=True, scoring="roc_auc"
        ).fit(frame, y)
    assert all("valid_score" in row for row in est.history_)
