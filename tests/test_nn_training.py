"""Training machinery of the neural-network estimators: initializers,
optimizers, learning-rate schedules, early stopping and divergence."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from torch import nn

from sknn_hep.neural_network import (
    PLAIN_NETWORK,
    NeuralClassifier,
    NeuralRegressor,
    TrainingDivergedError,
)
from sknn_hep.neural_network._net import TensorNet
from sknn_hep.nn import FeedForwardNetwork, resolve_initializer


@pytest.fixture(scope="module")
def binary():
    return make_classification(n_samples=200, n_features=5, random_state=0)


def _linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


# -- initializers -------------------------------------------------------------

# A (128, 512) weight: fan_in=512, fan_out=128, 65 536 draws, so the sample
# std is within ~0.3 % of σ, and the three formulas differ by > 10 %.
FAN_IN, FAN_OUT = 512, 128
SIGMA = {
    "glorot": math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
    "he": math.sqrt(2.0 / FAN_IN),
    "lecun": math.sqrt(1.0 / FAN_IN),
}


def _check_weight(weight, family, uniform):
    w = weight.detach().double()
    sigma = SIGMA[family]
    assert float(w.std()) == pytest.approx(sigma, rel=0.02)
    assert abs(float(w.mean())) < 0.02 * sigma
    bound = math.sqrt(3.0) * sigma
    if uniform:
        assert float(w.abs().max()) <= bound * (1 + 1e-6)
        # uniform on [-bound, bound]: half the draws lie beyond bound / 2
        assert float((w.abs() > bound / 2).double().mean()) == pytest.approx(
            0.5, abs=0.02
        )
    else:
        # a normal draws beyond √3 σ in 8.3 % of the cases
        assert float((w.abs() > bound).double().mean()) == pytest.approx(
            0.083, abs=0.01
        )


@pytest.mark.parametrize(
    "initializer, family, uniform",
    [
        ("glorot_uniform", "glorot", True),
        ("glorot_normal", "glorot", False),
        ("he_uniform", "he", True),
        ("he_normal", "he", False),
        ("lecun_normal", "lecun", False),
    ],
)
def test_initializer_std_matches_formula(initializer, family, uniform):
    torch.manual_seed(0)
    net = FeedForwardNetwork(
        n_numeric=8,
        n_outputs=1,
        hidden_sizes=[FAN_IN, FAN_OUT],
        initializer=initializer,
    )
    linears = _linears(net)
    assert linears[1].weight.shape == (FAN_OUT, FAN_IN)
    _check_weight(linears[1].weight, family, uniform)
    for layer in linears:  # head included
        assert torch.count_nonzero(layer.bias) == 0


@pytest.mark.parametrize(
    "activation, family, uniform, name",
    [
        ("relu", "he", False, "he_normal"),
        ("selu", "lecun", False, "lecun_normal"),
        ("tanh", "glorot", True, "glorot_uniform"),
    ],
)
def test_auto_initializer_follows_activation(activation, family, uniform, name):
    assert resolve_initializer("auto", activation) == name
    torch.manual_seed(0)
    net = FeedForwardNetwork(
        n_numeric=8,
        n_outputs=1,
        hidden_sizes=[FAN_IN, FAN_OUT],
        activation=activation,
        initializer="auto",
    )
    _check_weight(_linears(net)[1].weight, family, uniform)


@pytest.mark.parametrize(
    "initializer, family, uniform",
    [("glorot_normal", "glorot", False), ("he_uniform", "he", True)],
)
def test_estimator_passes_initializer_to_network(binary, initializer, family, uniform):
    X, y = binary
    # lr so small that one epoch of SGD leaves the initial weights unchanged
    est = NeuralClassifier(
        hidden_layer_sizes=(FAN_IN, FAN_OUT),
        initializer=initializer,
        optimizer="sgd",
        lr=1e-12,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    _check_weight(_linears(est.net_.module_)[1].weight, family, uniform)


# -- optimizers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, cls, expected",
    [
        ("sgd", torch.optim.SGD, {"momentum": 0, "nesterov": False}),
        ("momentum", torch.optim.SGD, {"momentum": 0.7, "nesterov": False}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.7, "nesterov": True}),
        ("adagrad", torch.optim.Adagrad, {}),
        ("rmsprop", torch.optim.RMSprop, {"alpha": 0.9, "momentum": 0}),
        ("adadelta", torch.optim.Adadelta, {}),
        ("adam", torch.optim.Adam, {"amsgrad": False}),
        ("amsgrad", torch.optim.Adam, {"amsgrad": True}),
        ("adamw", torch.optim.AdamW, {"amsgrad": False}),
    ],
)
def test_optimizer_builds_named_torch_optimizer(binary, name, cls, expected):
    X, y = binary
    est = NeuralClassifier(
        n_layers=1,
        n_units=8,
        optimizer=name,
        lr=0.037,
        momentum=0.7,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    opt = est.net_.optimizer_
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == pytest.approx(0.037)
    for key, value in expected.items():
        assert group[key] == value, key
    # the optimizer holds every trainable parameter of the module
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    assert held == {id(p) for p in est.net_.module_.parameters() if p.requires_grad}


# -- learning-rate schedules ----------------------------------------------------

SCHEDULE_KW = dict(
    n_layers=1, n_units=8, batch_size=200, optimizer="sgd", lr=0.1, random_state=0
)


def _lrs(est):
    return [row["lr"] for row in est.history_]


@pytest.mark.parametrize(
    "schedule, params, formula",
    [
        ("time", {"lr_decay": 0.5}, lambda t: 0.1 / (1 + 0.5 * t)),
        (
            "step",
            {"lr_decay": 0.3, "lr_step": 3},
            lambda t: 0.1 * 0.3 ** math.floor(t / 3),
        ),
        ("exponential", {"lr_step": 4.0}, lambda t: 0.1 * math.exp(-t / 4.0)),
        (None, {}, lambda t: 0.1),
    ],
)
def test_lr_schedule_follows_formula(binary, schedule, params, formula):
    X, y = binary
    est = NeuralClassifier(
        lr_schedule=schedule, max_epochs=10, **params, **SCHEDULE_KW
    ).fit(X, y)
    expected = [formula(t) for t in range(10)]
    np.testing.assert_allclose(_lrs(est), expected, rtol=1e-9)


@pytest.mark.parametrize("max_epochs", [8, 13])
def test_cosine_schedule_anneals_to_zero_over_max_epochs(binary, max_epochs):
    X, y = binary
    est = NeuralClassifier(
        lr_schedule="cosine", max_epochs=max_epochs, **SCHEDULE_KW
    ).fit(X, y)
    T = max_epochs
    expected = [0.1 * (1 + math.cos(math.pi * t / T)) / 2 for t in range(T)]
    np.testing.assert_allclose(_lrs(est), expected, rtol=1e-9, atol=1e-15)


def _plateau_reference(losses, lr, factor, patience):
    """torch's ReduceLROnPlateau (mode min, threshold 0, cooldown 0): the rate
    is multiplied by ``factor`` once num_bad_epochs > patience."""
    best, bad, out = math.inf, 0, []
    for loss in losses:
        out.append(lr)
        if loss < best:
            best, bad = loss, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
    return out


def _check_drops(lrs, lr0, factor):
    ratios = np.array(lrs[1:]) / np.array(lrs[:-1])
    assert lrs[0] == lr0
    assert np.all(np.isclose(ratios, 1.0) | np.isclose(ratios, factor))
    assert np.isclose(ratios, factor).sum() >= 2  # the schedule did act


def test_plateau_schedule_monitors_valid_loss_with_early_stopping():
    # Random labels: the validation loss stops improving after a few epochs
    # while the training loss keeps falling.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
    est = NeuralClassifier(
        n_layers=2,
        n_units=64,
        batch_size=32,
        lr=1e-2,
        lr_schedule="plateau",
        lr_decay=0.5,
        lr_patience=2,
        max_epochs=20,
        early_stopping=True,
        validation_fraction=0.3,
        patience=100,
        random_state=0,
    ).fit(X, y)
    lrs = _lrs(est)
    valid = [row["valid_loss"] for row in est.history_]
    train = [row["train_loss"] for row in est.history_]
    assert lrs == pytest.approx(_plateau_reference(valid, 1e-2, 0.5, 2), rel=1e-12)
    assert lrs != pytest.approx(_plateau_reference(train, 1e-2, 0.5, 2), rel=1e-12)
    _check_drops(lrs, 1e-2, 0.5)


def test_plateau_schedule_monitors_train_loss_without_validation(binary):
    # Input noise makes the training loss fluctuate around a plateau.
    X, y = binary
    est = NeuralClassifier(
        n_layers=2,
        n_units=16,
        batch_size=32,
        lr=1e-3,
        noise_std=1.0,
        lr_schedule="plateau",
        lr_decay=0.25,
        lr_patience=1,
        max_epochs=30,  # the schedule acts 3-7 times for seeds 0-4
        random_state=0,
    ).fit(X, y)
    lrs = _lrs(est)
    train = [row["train_loss"] for row in est.history_]
    assert lrs == pytest.approx(_plateau_reference(train, 1e-3, 0.25, 1), rel=1e-12)
    _check_drops(lrs, 1e-3, 0.25)


def test_plateau_keeps_rate_while_loss_improves(binary):
    X, y = binary
    est = NeuralClassifier(
        lr_schedule="plateau", lr_patience=0, max_epochs=10, **SCHEDULE_KW
    ).fit(X, y)
    losses = [row["train_loss"] for row in est.history_]
    assert np.all(np.diff(losses) < 0)  # full-batch SGD: strictly improving
    assert _lrs(est) == [0.1] * 10


# -- early stopping -------------------------------------------------------------


@pytest.fixture
def snapshots(monkeypatch):
    """Record the module's state each time the validation loss is computed
    (once per epoch, after the epoch's training)."""
    states = []
    original = TensorNet.run_single_epoch

    def recording(self, iterator, training, *args, **kwargs):
        if not training and iterator is not None:  # the validation pass
            states.append(
                (
                    {
                        k: v.detach().clone()
                        for k, v in self.module_.state_dict().items()
                    },
                    iterator.data,
                )
            )
        return original(self, iterator, training, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "run_single_epoch", recording)
    return states


def _overfitting_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 10))
    y = (X[:, 0] + 1.5 * rng.normal(size=150) > 0).astype(int)
    return X, y


OVERFIT_KW = dict(
    n_layers=2,
    n_units=256,
    batch_size=32,
    lr=1e-2,
    max_epochs=200,
    early_stopping=True,
    validation_fraction=0.3,
    patience=5,
    tol=0.0,
    random_state=0,
)


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_early_stopping_restores_best_weights(snapshots):
    X, y = _overfitting_data()
    est = NeuralClassifier(**OVERFIT_KW).fit(X, y)
    valid = [row["valid_loss"] for row in est.history_]
    assert len(valid) < OVERFIT_KW["max_epochs"]
    assert est.n_iter_ == len(valid) == len(snapshots)
    best = int(np.argmin(valid)) + 1
    assert est.best_epoch_ == best
    assert best < len(valid)  # the test is only meaningful if it overfits
    assert len(valid) == best + OVERFIT_KW["patience"]
    # the final module is the one of the best epoch, not the last
    final = est.net_.module_.state_dict()
    assert _same_state(final, snapshots[best - 1][0])
    assert not _same_state(final, snapshots[-1][0])
    # and its recomputed validation loss is the minimum of the history
    valid_data = snapshots[-1][1]
    assert est.net_.evaluate_loss(valid_data) == pytest.approx(min(valid), rel=1e-6)


def test_early_stopping_without_restore_keeps_last_weights(snapshots):
    X, y = _overfitting_data()
    est = NeuralClassifier(**OVERFIT_KW, restore_best_weights=False).fit(X, y)
    valid = [row["valid_loss"] for row in est.history_]
    assert len(valid) < OVERFIT_KW["max_epochs"]
    final = est.net_.module_.state_dict()
    assert _same_state(final, snapshots[-1][0])
    assert not _same_state(final, snapshots[est.best_epoch_ - 1][0])
    assert est.net_.evaluate_loss(snapshots[-1][1]) == pytest.approx(
        valid[-1], rel=1e-6
    )
    # predictions differ from the restored model
    restored = NeuralClassifier(**OVERFIT_KW).fit(X, y)
    assert not np.allclose(restored.predict_proba(X), est.predict_proba(X))


def test_best_weights_restored_when_max_epochs_reached(snapshots):
    X, y = _overfitting_data()
    est = NeuralClassifier(**{**OVERFIT_KW, "max_epochs": 12, "patience": 100})
    est.fit(X, y)
    valid = [row["valid_loss"] for row in est.history_]
    assert len(valid) == 12
    assert est.best_epoch_ == int(np.argmin(valid)) + 1 < 12
    best_state = snapshots[est.best_epoch_ - 1][0]
    assert _same_state(est.net_.module_.state_dict(), best_state)


def test_early_stopping_regressor_stops_and_restores(snapshots):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 10))
    y = X[:, 0] + 2.0 * rng.normal(size=150)
    est = NeuralRegressor(**OVERFIT_KW).fit(X, y)
    valid = [row["valid_loss"] for row in est.history_]
    assert len(valid) < OVERFIT_KW["max_epochs"]
    assert est.best_epoch_ == int(np.argmin(valid)) + 1
    best_state = snapshots[est.best_epoch_ - 1][0]
    assert _same_state(est.net_.module_.state_dict(), best_state)


# -- divergence -----------------------------------------------------------------


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_absurd_learning_rate_raises_training_diverged(cls):
    rng = np.random.default_rng(0)
    X = 1e3 * rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int) if cls is NeuralClassifier else 1e3 * X[:, 0]
    est = cls(
        n_layers=2,
        n_units=16,
        optimizer="sgd",
        lr=1e6,
        input_scaling=False,
        max_epochs=20,
        random_state=0,
    )
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+.*'lr'"):
        est.fit(X, y)


def test_non_finite_loss_from_extreme_inputs_raises():
    # Inputs near float32's maximum overflow the first layer to inf (without
    # scaling and without the periodic embedding, which is bounded).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    X[:, 0] *= 1e38
    y = (X[:, 1] > 0).astype(int)
    est = NeuralClassifier(
        **{**PLAIN_NETWORK, "input_scaling": False},
        n_layers=1,
        n_units=8,
        max_epochs=3,
        random_state=0,
    )
    with pytest.raises(TrainingDivergedError, match=r"epoch 1\b.*'lr'"):
        est.fit(X, y)


# -- validation_mask -------------------------------------------------------------


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_validation_mask_rows_are_held_out_of_training(binary, cls):
    X, y = binary
    mask = np.zeros(len(X), dtype=bool)
    mask[::4] = True
    kw = dict(n_layers=1, n_units=8, batch_size=32, max_epochs=4, random_state=0)
    held_out = cls(**kw).fit(X, y, validation_mask=mask)
    reference = cls(**kw).fit(X[~mask], y[~mask])
    np.testing.assert_array_equal(held_out.predict(X), reference.predict(X))
    assert [r["train_loss"] for r in held_out.history_] == reference.loss_curve_
    # the held-out rows' loss is recorded every epoch
    assert all(np.isfinite(r["valid_loss"]) for r in held_out.history_)
    assert "valid_loss" not in reference.history_[0]


def test_validation_mask_drives_early_stopping(binary):
    X, y = binary
    mask = np.zeros(len(X), dtype=bool)
    mask[:50] = True
    clf = NeuralClassifier(
        n_layers=2,
        n_units=64,
        batch_size=16,
        lr=1e-2,
        max_epochs=300,
        early_stopping=True,
        patience=3,
        random_state=0,
    ).fit(X, y, validation_mask=mask)
    valid = [r["valid_loss"] for r in clf.history_]
    assert clf.n_iter_ < 300
    assert clf.best_epoch_ == 1 + int(np.argmin(valid))


@pytest.mark.parametrize(
    ("mask", "error", "match"),
    [
        (np.zeros(200, dtype=int), TypeError, "boolean array.*int64"),
        (np.zeros(10, dtype=bool), ValueError, r"shape \(200,\).*\(10,\)"),
        (np.zeros(200, dtype=bool), ValueError, "marks 0 of 200"),
        (np.ones(200, dtype=bool), ValueError, "marks 200 of 200"),
    ],
)
def test_validation_mask_errors(binary, mask, error, match):
    X, y = binary
    with pytest.raises(error, match=match):
        NeuralClassifier(max_epochs=1).fit(X, y, validation_mask=mask)
