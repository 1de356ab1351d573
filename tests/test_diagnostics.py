"""Training diagnostics (``diagnostics=True``) and ``plot_diagnostics``."""

import pickle

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.neural_network._diagnostics import TrainingDiagnostics
from sknn_hep.neural_network._net import TensorData
from sknn_hep.plotting import plot_diagnostics


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=6, random_state=0)


def test_training_is_unchanged_and_history_has_the_diagnostics(data):
    X, y = data
    params = dict(
        n_layers=3,
        n_units=16,
        dropout=0.2,
        noise_std=0.1,
        batch_norm=True,
        early_stopping=True,
        max_epochs=4,
        batch_size=32,
        random_state=0,
    )
    plain = NeuralClassifier(**params).fit(X, y)
    watched = NeuralClassifier(diagnostics=True, **params).fit(X, y)
    np.testing.assert_array_equal(plain.predict_proba(X), watched.predict_proba(X))
    for row in watched.history_:
        # 3 hidden layers + the output layer; 3 hidden activations
        assert sorted(k for k in row if k.startswith("grad_norm_")) == [
            f"grad_norm_{k}" for k in range(1, 5)
        ]
        assert all(row[f"grad_norm_{k}"] > 0 for k in range(1, 5))
        assert all(0 <= row[f"dead_units_{k}"] <= 1 for k in range(1, 4))
        assert 0 <= row["dead_units"] <= 1
    assert "grad_norm_1" not in plain.history_[0]
    # the callback and its tensors are not kept
    assert "diagnostics" not in dict(watched.net_.callbacks_)
    pickle.loads(pickle.dumps(watched)).predict(X)


def test_vanishing_gradients_show_in_deep_sigmoid_networks(data):
    X, y = data
    common = dict(n_layers=8, n_units=32, max_epochs=1, diagnostics=True)
    sigmoid = NeuralClassifier(activation="sigmoid", random_state=0, **common)
    relu = NeuralClassifier(activation="relu", random_state=0, **common)
    ratio = {}
    for name, est in (("sigmoid", sigmoid), ("relu", relu)):
        row = est.fit(X, y).history_[-1]
        ratio[name] = row["grad_norm_1"] / row["grad_norm_9"]
    # each sigmoid layer scales the gradient by at most 1/4
    assert ratio["sigmoid"] < 1e-3
    assert ratio["relu"] > 1e-2


def test_dead_units_are_counted(data):
    X, y = data
    est = NeuralClassifier(n_layers=2, n_units=8, max_epochs=1, random_state=0)
    est.fit(X, y)
    net = est.net_
    first = next(m for m in net.module_.modules() if isinstance(m, torch.nn.Linear))
    with torch.no_grad():
        first.bias[:4] = -1e4  # 4 of the 8 ReLUs never fire
    probe = TensorData(
        x=torch.as_tensor(X, dtype=torch.float32),
        x_cat=None,
        y=torch.as_tensor(
            est._training_targets(np.searchsorted(est.classes_, y)),
            dtype=torch.float32,
        ),
    )
    grad_before = first.weight.grad.clone()
    net.module_.train()
    TrainingDiagnostics(probe).on_epoch_end(net)
    assert net.module_.training  # the mode is restored
    row = net.history[-1]
    assert row["dead_units_1"] == 0.5
    assert row["dead_units"] == pytest.approx((4 + 8 * row["dead_units_2"]) / 16)
    assert row["grad_norm_1"] > 0
    # the parameters' .grad (the optimizer's) is not touched
    assert torch.equal(first.weight.grad, grad_before)


@pytest.mark.parametrize("cls", [NeuralRegressor, MultiTaskNeuralNet])
def test_regressor_and_multitask(data, cls):
    X, y = data
    target = np.c_[y, X[:, 0]] if cls is MultiTaskNeuralNet else X[:, 0]
    kwargs = {"tasks": ("binary", "regression")} if cls is MultiTaskNeuralNet else {}
    est = cls(n_layers=2, n_units=8, max_epochs=2, diagnostics=True, **kwargs)
    row = est.fit(X, target).history_[-1]
    # two hidden layers, then one head (two for the two tasks)
    n_linear = 4 if cls is MultiTaskNeuralNet else 3
    assert max(int(k[10:]) for k in row if k.startswith("grad_norm_")) == n_linear


def test_plot_diagnostics(data, tmp_path):
    X, y = data
    est = NeuralClassifier(n_layers=2, n_units=8, max_epochs=3, diagnostics=True)
    fig = plot_diagnostics(est.fit(X, y), path=tmp_path / "diag.png")
    assert (tmp_path / "diag.png").stat().st_size > 0
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["layer 1", "layer 2", "layer 3"]
    curves = [line.get_label() for line in fig.axes[1].lines]
    # two hidden layers and the total, and the best epoch marked
    assert curves == [
        "layer 1",
        "layer 2",
        "all layers",
        f"_best epoch ({est.best_epoch_})",
    ]
    plt.close(fig)
    plain = NeuralClassifier(n_layers=1, n_units=4, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="fit the network with diagnostics=True"):
        plot_diagnostics(plain)


def test_tensorboard_logs_the_diagnostics(data, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    X, y = data
    est = NeuralClassifier(
        n_layers=1, n_units=8, max_epochs=2, diagnostics=True, log_dir=tmp_path
    ).fit(X, y)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    logged = [e.value for e in acc.Scalars("grad_norm_1")]
    np.testing.assert_allclose(
        logged, [row["grad_norm_1"] for row in est.history_], rtol=1e-6
    )
    assert "dead_units" in acc.Tags()["scalars"]
