"""scikit-learn API of the neural-network estimators: reproducibility, warm
start, partial_fit, regularisation parameters, verbosity, persistence,
pipelines and prediction methods."""

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor

FAST = dict(n_layers=2, n_units=16, batch_size=32, max_epochs=5, lr=1e-2)


@pytest.fixture(scope="module")
def binary():
    return make_classification(n_samples=200, n_features=5, random_state=0)


@pytest.fixture(scope="module")
def multiclass():
    return make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _state(est):
    return {k: v.clone() for k, v in est.net_.module_.state_dict().items()}


def _linear_weights(est):
    return [w.detach() for w in est.net_.module_.linear_weights()]


# -- reproducibility ------------------------------------------------------------

RANDOM_PARTS = dict(
    dropout=0.2, noise_std=0.1, early_stopping=True, validation_fraction=0.2
)


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_same_random_state_gives_identical_models(binary, cls):
    X, y = binary
    a = cls(**FAST, **RANDOM_PARTS, random_state=0).fit(X, y)
    b = cls(**FAST, **RANDOM_PARTS, random_state=0).fit(X, y)
    c = cls(**FAST, **RANDOM_PARTS, random_state=1).fit(X, y)
    pa, pb, pc = a.predict(X), b.predict(X), c.predict(X)
    if cls is NeuralClassifier:
        pa, pb, pc = a.predict_proba(X), b.predict_proba(X), c.predict_proba(X)
    np.testing.assert_array_equal(pa, pb)
    assert [r["train_loss"] for r in a.history_] == [
        r["train_loss"] for r in b.history_
    ]
    assert not np.allclose(pa, pc)


def test_random_state_instance_accepted(binary):
    X, y = binary
    a = NeuralClassifier(**FAST, random_state=np.random.RandomState(3)).fit(X, y)
    b = NeuralClassifier(**FAST, random_state=np.random.RandomState(3)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_torch_global_rng_unchanged(binary, random_state):
    X, y = binary
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    NeuralClassifier(**FAST, **RANDOM_PARTS, random_state=random_state).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)


# -- warm start and partial_fit ---------------------------------------------------


def test_warm_start_continues_training(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    module = est.net_.module_
    first = [r["train_loss"] for r in est.history_]
    est.fit(X, y)
    assert est.n_iter_ == 2 * FAST["max_epochs"] == len(est.history_)
    assert [r["epoch"] for r in est.history_] == list(range(1, 11))
    assert est.net_.module_ is module  # the same network, trained further
    second = [r["train_loss"] for r in est.history_][5:]
    assert second[0] < first[0]
    assert abs(second[0] - first[-1]) < abs(first[0] - first[-1])
    # a new max_epochs applies to the next call
    est.set_params(max_epochs=2).fit(X, y)
    assert est.n_iter_ == 12
    # without warm_start, fit starts afresh
    est.set_params(warm_start=False).fit(X, y)
    assert est.n_iter_ == 2
    assert est.net_.module_ is not module


@pytest.mark.parametrize(
    "param, value",
    [("n_units", 32), ("n_layers", 3), ("dropout", 0.1), ("activation", "tanh")],
)
def test_warm_start_refuses_architecture_change(binary, param, value):
    X, y = binary
    est = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    est.set_params(**{param: value})
    with pytest.raises(ValueError, match=rf"'{param}' parameter changed"):
        est.fit(X, y)


def test_partial_fit_classifier(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0)
    with pytest.raises(ValueError, match=r"classes must be passed on the first"):
        est.partial_fit(X, y)
    est.partial_fit(X[:100], y[:100], classes=[0, 1])
    assert est.n_iter_ == 1
    for k in range(2, 5):
        est.partial_fit(X, y)
        assert est.n_iter_ == k == len(est.history_)
    assert est.score(X, y) > 0.75
    with pytest.raises(ValueError, match=r"not the same as on the first call"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    # all classes declared on the first call, only one present in its batch
    one = NeuralClassifier(**FAST, random_state=0)
    one.partial_fit(X[y == 0], y[y == 0], classes=np.array([0, 1]))
    np.testing.assert_array_equal(one.classes_, [0, 1])
    # ... the same with sample weights
    weighted = NeuralClassifier(**FAST, random_state=0)
    w0 = np.ones(int((y == 0).sum()))
    weighted.partial_fit(X[y == 0], y[y == 0], classes=[0, 1], sample_weight=w0)
    np.testing.assert_allclose(
        weighted.predict_proba(X), one.predict_proba(X), rtol=1e-6
    )
    # fit, which infers the classes, needs two classes with positive weight
    w = np.where(y == 0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"at least 2 classes with positive summed"):
        NeuralClassifier(**FAST).fit(X, y, sample_weight=w)


def test_partial_fit_regressor(binary):
    X, _ = binary
    y = 100 * X[:, 0]
    est = NeuralRegressor(**FAST, random_state=0)
    for k in range(1, 4):
        est.partial_fit(X, y)
        assert est.n_iter_ == k
    losses = est.loss_curve_
    assert losses[-1] < losses[0]


# -- refits honour the parameters set since the network was built ---------------


def _lrs(est):
    return [row["lr"] for row in est.history_]


def test_warm_start_uses_new_lr_optimizer_and_penalty(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    # fine-tuning at a lower rate
    est.set_params(lr=1e-4, max_epochs=2).fit(X, y)
    assert _lrs(est)[5:] == [1e-4, 1e-4]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 1e-4
    # another optimizer starts fresh, with its own rate
    est.set_params(optimizer="sgd", lr=0.05).fit(X, y)
    assert type(est.net_.optimizer_) is torch.optim.SGD
    assert _lrs(est)[7:] == [0.05, 0.05]
    # "momentum" is SGD too, but with momentum: it must not stay plain SGD
    est.set_params(optimizer="momentum", momentum=0.5).fit(X, y)
    assert est.net_.optimizer_.param_groups[0]["momentum"] == 0.5


def test_warm_start_penalty_change_changes_the_training(binary):
    X, y = binary
    a = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    b = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    a.fit(X, y)
    b.set_params(l2=0.5).fit(X, y)  # a strong penalty shrinks the weights
    norm = [sum(float(w.square().sum()) for w in _linear_weights(e)) for e in (a, b)]
    assert norm[1] < 0.9 * norm[0]


def test_adding_a_schedule_on_warm_start(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    # used to raise torch's KeyError 'initial_lr'
    est.set_params(lr_schedule="step", lr_decay=0.5, lr_step=1, lr=0.01)
    est.fit(X, y)
    # the schedule counts the network's epochs (5 done): 0.01 * 0.5**t
    np.testing.assert_allclose(_lrs(est)[5:], [0.01 * 0.5**t for t in range(5, 10)])


def test_partial_fit_uses_new_lr(binary):
    X, y = binary
    est = NeuralRegressor(**FAST, random_state=0)
    est.partial_fit(X, X[:, 0])
    est.set_params(lr=3e-4)
    est.partial_fit(X, X[:, 0])
    assert _lrs(est) == [FAST["lr"], 3e-4]


def test_warm_start_refuses_initializer_change(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, warm_start=True, random_state=0).fit(X, y)
    est.set_params(initializer="he_normal")
    with pytest.raises(ValueError, match=r"'initializer' parameter changed"):
        est.fit(X, y)


# -- a failed fit leaves no garbage ------------------------------------------------


def _explode(monkeypatch, epoch):
    from sknn_hep.neural_network._net import TensorNet

    original = TensorNet.run_single_epoch
    calls = []

    def failing(self, iterator, training, *args, **kwargs):
        if training:
            calls.append(1)
            if len(calls) == epoch:
                raise RuntimeError("simulated failure")
        return original(self, iterator, training, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "run_single_epoch", failing)


def test_failed_refit_keeps_the_previous_model(binary, monkeypatch):
    from sknn_hep.neural_network import TrainingDivergedError

    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0).fit(X, y)
    proba, history = est.predict_proba(X), est.history_
    # a diverging refit (SGD at a huge rate)
    est.set_params(optimizer="sgd", lr=1e4)
    with pytest.raises(TrainingDivergedError) as info:
        est.fit(X, y)
    assert "keeps the model of its previous fit" in str(info.value.__notes__)
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert est.history_ == history and est.lr == 1e4  # parameters stay as set
    # any other exception in the middle of the training
    est.set_params(optimizer="adamw", lr=1e-2)
    _explode(monkeypatch, 2)
    with pytest.raises(RuntimeError, match="simulated failure"):
        est.fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), proba)


def test_failed_first_fit_leaves_the_estimator_not_fitted(binary, monkeypatch):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0)
    _explode(monkeypatch, 3)
    with pytest.raises(RuntimeError) as info:
        est.fit(X, y)
    assert "it is not fitted" in str(info.value.__notes__)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert not hasattr(est, "classes_") and not hasattr(est, "n_features_in_")


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_failed_continuation_restores_weights_optimizer_and_history(
    binary, monkeypatch, how
):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0, warm_start=how == "warm_start")
    est.fit(X, y)
    state, proba = _state(est), est.predict_proba(X)
    moments = {
        k: v.clone()
        for k, v in est.net_.optimizer_.state_dict()["state"][0].items()
        if torch.is_tensor(v)
    }
    n_iter, history = est.n_iter_, list(est.net_.history)
    _explode(monkeypatch, 2 if how == "warm_start" else 1)
    with pytest.raises(RuntimeError, match="simulated failure"):
        est.fit(X, y) if how == "warm_start" else est.partial_fit(X, y)
    after = _state(est)
    assert all(torch.equal(state[k], after[k]) for k in state)
    saved = est.net_.optimizer_.state_dict()["state"][0]
    assert all(torch.equal(moments[k], saved[k]) for k in moments)
    assert est.n_iter_ == n_iter and list(est.net_.history) == history
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    # and it continues as if the failed call had not happened
    monkeypatch.undo()
    again = NeuralClassifier(**FAST, random_state=0, warm_start=how == "warm_start")
    again.fit(X, y)
    for model in (est, again):
        model.fit(X, y) if how == "warm_start" else model.partial_fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), again.predict_proba(X))


# -- devices ----------------------------------------------------------------------


@pytest.mark.parametrize("device", ["cpu:0", "cuda:7", "mps"])
def test_device_accepts_torch_device_strings(binary, device):
    X, y = binary
    est = NeuralClassifier(**FAST, device=device)
    usable = {
        "cpu:0": True,
        "cuda:7": torch.cuda.device_count() > 7,
        "mps": torch.backends.mps.is_available(),
    }[device]
    if usable:
        est.fit(X, y)
        where = next(est.net_.module_.parameters()).device
        assert where.type == torch.device(device).type
    else:
        with pytest.raises(ValueError, match=rf"device='{device}', but torch finds"):
            est.fit(X, y)


def test_fitted_model_moves_device_without_refit(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0).fit(X, y)
    proba = est.predict_proba(X)
    target = "cuda" if torch.cuda.is_available() else "cpu:0"
    est.set_params(device=target)
    np.testing.assert_allclose(est.predict_proba(X), proba, rtol=1e-5)
    assert next(est.net_.module_.parameters()).device == torch.device(
        "cuda:0" if target == "cuda" else "cpu"
    )
    est.set_params(device="tpu")
    with pytest.raises(ValueError, match=r"'device' parameter .* Got 'tpu'"):
        est.predict(X)


# -- regularisation parameters -------------------------------------------------------


@pytest.fixture(scope="module")
def reference(binary):
    X, y = binary
    return NeuralClassifier(**FAST, random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "param, value",
    [("gradient_penalty", 1.0), ("noise_std", 0.5), ("l1", 1e-3), ("l2", 1e-2)],
)
def test_regularisation_changes_trained_weights(binary, reference, param, value):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0, **{param: value}).fit(X, y)
    # same initial weights (same seed, same shapes), different training
    ref, new = _state(reference), _state(est)
    assert any(not torch.allclose(ref[k], new[k]) for k in ref)


def test_l2_and_l1_shrink_weights(binary, reference):
    X, y = binary
    l2 = NeuralClassifier(**FAST, random_state=0, l2=1e-2).fit(X, y)
    l1 = NeuralClassifier(**FAST, random_state=0, l1=1e-2).fit(X, y)

    def norm(est, p):
        return sum(float(w.abs().pow(p).sum()) for w in _linear_weights(est))

    assert norm(l2, 2) < 0.8 * norm(reference, 2)
    assert norm(l1, 1) < 0.8 * norm(reference, 1)


def test_gradient_penalty_flattens_the_input_gradient(binary, reference):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0, gradient_penalty=1.0).fit(X, y)

    def input_gradient(model):
        module = model.net_.module_.eval()
        z = module.scaler(torch.as_tensor(X, dtype=torch.float32))
        z.requires_grad_(True)
        (grad,) = torch.autograd.grad(module.logits_from_scaled(z).sum(), z)
        return float(grad.square().sum(dim=1).mean())

    assert input_gradient(est) < 0.5 * input_gradient(reference)


# -- verbosity --------------------------------------------------------------------


def test_verbose_0_is_silent(binary, capsys):
    X, y = binary
    est = NeuralClassifier(
        **{**FAST, "max_epochs": 100},
        early_stopping=True,
        patience=2,
        random_state=0,
    ).fit(X, y)
    assert est.n_iter_ < 100  # early stopping's message is silenced too
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_verbose_1_shows_progress_bar_on_stderr(binary, capsys):
    X, y = binary
    NeuralClassifier(**FAST, verbose=1, random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert "5/5" in err and "epoch" in err and "train_loss" in err
    assert out == ""


def test_verbose_2_prints_one_line_per_epoch(binary, capsys):
    X, y = binary
    NeuralClassifier(**FAST, verbose=2, early_stopping=True, random_state=0).fit(X, y)
    out, _ = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    assert "train_loss" in lines[0] and "valid_loss" in lines[0]
    rows = [line.split() for line in lines if line.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]


# -- persistence, pipelines, pandas ----------------------------------------------------


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_joblib_round_trip(binary, cls, tmp_path):
    X, y = binary
    est = cls(**FAST, categorical_features=None, random_state=0).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if cls is NeuralClassifier:
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert loaded.history_ == est.history_
    # a loaded model can keep training
    loaded.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert loaded.n_iter_ == est.n_iter_ + 1


def test_pipeline_and_cross_val_score(binary):
    X, y = binary
    X = X * np.array([1e3, 1e-3, 1.0, 50.0, 1.0]) + 100.0
    pipe = make_pipeline(
        StandardScaler(),
        NeuralClassifier(**FAST, input_scaling=False, random_state=0),
    )
    scores = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,)
    assert scores.min() > 0.85


def test_cross_val_score_routes_sample_weight(binary):
    import sklearn

    X, y = binary
    w = np.ones(len(y))
    est = NeuralClassifier(**FAST, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        scores = cross_val_score(est, X, y, cv=3, params={"sample_weight": w})
    assert scores.min() > 0.7


def test_dataframe_input_sets_feature_names(binary):
    X, y = binary
    names = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    est = NeuralClassifier(**FAST, random_state=0).fit(df, pd.Series(y))
    assert list(est.feature_names_in_) == names
    assert est.n_features_in_ == 5
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[names[::-1]])
    numpy_fit = NeuralClassifier(**FAST, random_state=0).fit(X, y)
    assert not hasattr(numpy_fit, "feature_names_in_")


# -- prediction methods ------------------------------------------------------------


def test_binary_decision_function_and_proba_agree(binary):
    X, y = binary
    labels = np.array(["bkg", "sig"])[y]
    est = NeuralClassifier(**FAST, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(est.classes_, ["bkg", "sig"])
    d = est.decision_function(X)
    p = est.predict_proba(X)
    assert d.shape == (200,) and p.shape == (200, 2)
    np.testing.assert_allclose(p[:, 1], expit(d), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), est.classes_[(d > 0).astype(int)])
    np.testing.assert_allclose(
        est.predict_log_proba(X), np.log(p), rtol=1e-12, atol=1e-300
    )
    assert est.score(X, labels) > 0.85


def test_multiclass_predict_proba(multiclass):
    X, y = multiclass
    est = NeuralClassifier(**{**FAST, "max_epochs": 20}, random_state=0).fit(X, y)
    p = est.predict_proba(X)
    assert p.shape == (300, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(p >= 0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[p.argmax(axis=1)])
    d = est.decision_function(X)
    assert d.shape == (300, 3)
    np.testing.assert_array_equal(d.argmax(axis=1), p.argmax(axis=1))
    assert est.score(X, y) > 0.8


def test_predictions_independent_of_batch(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0).fit(X, y)
    full = est.predict_proba(X)
    single = np.vstack([est.predict_proba(X[i : i + 1]) for i in range(10)])
    # float64 inference: equal up to float64 rounding, whatever the batch
    np.testing.assert_allclose(full[:10], single, rtol=1e-12)


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
def test_unfitted_estimator_raises(binary, cls):
    X, _ = binary
    with pytest.raises(NotFittedError):
        cls().predict(X)


def test_history_attributes(binary):
    X, y = binary
    est = NeuralClassifier(**FAST, random_state=0).fit(X, y)
    assert est.n_iter_ == 5
    assert est.loss_curve_ == [r["train_loss"] for r in est.history_]
    # skorch's records (the batch-level ones left out)
    assert sorted(est.history_[0]) == [
        "dur",
        "epoch",
        "lr",
        "train_batch_count",
        "train_loss",
        "train_loss_best",
    ]
    assert est.best_epoch_ == int(np.argmin(est.loss_curve_)) + 1


def test_inference_dtype_float32_agrees_with_float64():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, random_state=0)
    clf = NeuralClassifier(
        n_layers=2, n_units=16, max_epochs=3, batch_size=64, random_state=0
    ).fit(X, y)
    p64 = clf.predict_proba(X)
    p32 = clf.set_params(inference_dtype="float32").predict_proba(X)
    np.testing.assert_allclose(p32, p64, rtol=1e-5, atol=1e-6)
    # float32 results carry float32 rounding; float64 ones do not
    d32 = clf.decision_function(X)
    d64 = clf.set_params(inference_dtype="float64").decision_function(X)
    assert np.array_equal(d32, d32.astype(np.float32).astype(np.float64))
    assert not np.array_equal(d64, d64.astype(np.float32).astype(np.float64))
    with pytest.raises(ValueError, match="'inference_dtype' parameter"):
        clf.set_params(inference_dtype="float16").fit(X, y)
