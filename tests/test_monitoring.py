"""TensorBoard logging of the networks' training (``log_dir``)."""

import pickle
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
    TrainingDivergedError,
)

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

FAST = dict(n_layers=1, n_units=8, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=4, random_state=0)


def _scalars(log_dir, tag):
    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor, MultiTaskNeuralNet])
def test_log_dir_writes_the_history_per_epoch(data, tmp_path, cls):
    X, y = data
    y = y.reshape(-1, 1) if cls is MultiTaskNeuralNet else y
    est = cls(max_epochs=3, early_stopping=True, log_dir=tmp_path, **FAST).fit(X, y)
    for key, tag in [
        ("train_loss", "Loss/train_loss"),
        ("valid_loss", "Loss/valid_loss"),
    ]:
        logged = _scalars(tmp_path, tag)
        assert [step for step, _ in logged] == [1, 2, 3]
        np.testing.assert_allclose(
            [value for _, value in logged],
            [row[key] for row in est.history_],
            rtol=1e-6,
        )
    np.testing.assert_allclose([v for _, v in _scalars(tmp_path, "lr")], [1e-3] * 3)
    # the writer is closed and not kept: the fitted model pickles
    assert "tensorboard" not in dict(est.net_.callbacks_)
    pickle.loads(pickle.dumps(est)).predict(X)


def test_warm_start_continues_the_steps(data, tmp_path):
    X, y = data
    clf = NeuralClassifier(max_epochs=2, warm_start=True, log_dir=str(tmp_path), **FAST)
    clf.fit(X, y).fit(X, y)
    assert [s for s, _ in _scalars(tmp_path, "Loss/train_loss")] == [1, 2, 3, 4]


def test_writer_is_closed_when_training_fails(data, tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    opened, closed = [], set()
    real_init, real_close = SummaryWriter.__init__, SummaryWriter.close

    def init(self, *args, **kwargs):
        opened.append(self)
        real_init(self, *args, **kwargs)

    def close(self):
        closed.add(id(self))
        real_close(self)

    monkeypatch.setattr(SummaryWriter, "__init__", init)
    monkeypatch.setattr(SummaryWriter, "close", close)
    X, y = data
    clf = NeuralClassifier(lr=1e12, optimizer="sgd", max_epochs=5, log_dir=tmp_path)
    with pytest.raises(TrainingDivergedError):
        clf.fit(X * 1e6, y)
    assert len(opened) == 1 and closed == {id(w) for w in opened}
    assert not hasattr(clf, "net_")  # a failed first fit leaves nothing behind
    # a failed continuation: the writer is closed, the previous network
    # carries no logger
    clf = NeuralClassifier(max_epochs=2, warm_start=True, log_dir=tmp_path)
    clf.fit(X, y)
    clf.set_params(lr=1e12, optimizer="sgd")
    with pytest.raises(TrainingDivergedError):
        clf.fit(X * 1e6, y)
    assert len(opened) == 3 and closed == {id(w) for w in opened}
    assert "tensorboard" not in dict(clf.net_.callbacks_)


def test_missing_tensorboard_is_a_clear_import_error(data, tmp_path, monkeypatch):
    X, y = data
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r'log_dir=.*pip install -e "\.\[monitor\]"'):
        NeuralClassifier(max_epochs=1, log_dir=tmp_path).fit(X, y)


def test_log_dir_type_is_validated(data):
    X, y = data
    with pytest.raises(ValueError, match="'log_dir' parameter"):
        NeuralClassifier(max_epochs=1, log_dir=3).fit(X, y)
