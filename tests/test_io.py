"""sknn_hep.io.save / load: round trips, trust, corruption, versions."""

import json
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from safetensors.numpy import save as st_save
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.exceptions import DeviceWarning

import sknn_hep._versions as versions
from sknn_hep._safe_format._save import _checksum
from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.ensemble import CrossTrainingClassifier, SeedEnsemble
from sknn_hep.io import UntrustedTypeError, VersionWarning, load, save
from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.preprocessing import (
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
    make_higgs_preprocessor,
)

FAST = dict(n_layers=2, n_units=8, batch_size=32, max_epochs=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 5))
    X[:, 0] = rng.integers(0, 3, 240)  # categorical codes
    X[:, 1] = np.abs(X[:, 1]) * 40 + 25  # a steep positive spectrum
    X[rng.random(240) < 0.2, 2] = -999.0  # missing marker
    y = (X[:, 3] + 0.5 * X[:, 0] > 0.5).astype(int)
    return X, y


def _roundtrip(model, tmp_path, name="model.safetensors", **kwargs):
    path = tmp_path / name
    save(model, path, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionWarning)
        return load(path, **kwargs)


def _same_fitted_state(a, b):
    """Every fitted attribute (not net_) is equal."""
    va, vb = vars(a), vars(b)
    assert sorted(va) == sorted(vb)
    for key, value in va.items():
        if key == "net_":
            continue
        np.testing.assert_equal(vb[key], value, err_msg=key)


def test_classifier_with_categories_roundtrip_identical(data, tmp_path):
    X, y = data
    clf = NeuralClassifier(
        categorical_features=[0],
        batch_norm=True,
        dropout=0.1,
        early_stopping=True,
        lr_schedule="step",
        class_weight={0: 1.0, 1: 2.0},
        **FAST,
    ).fit(X[:, [0, 3, 4]], y)
    back = _roundtrip(clf, tmp_path)
    assert type(back) is NeuralClassifier
    assert back.get_params() == clf.get_params()
    _same_fitted_state(clf, back)
    Xp = X[:, [0, 3, 4]]
    assert np.array_equal(back.predict_proba(Xp), clf.predict_proba(Xp))
    assert np.array_equal(back.decision_function(Xp), clf.decision_function(Xp))
    assert list(back.net_.history) == list(clf.net_.history)
    # the restored net is usable as a skorch net
    assert back.net_.initialized_ and not back.net_.module_.training


def test_multiclass_string_labels_and_regressor_roundtrip(data, tmp_path):
    X, y = data
    labels = np.array(["bkg", "sig", "ttbar"])[(X[:, 3] > 0) + (X[:, 4] > 0.5) * 1]
    clf = NeuralClassifier(**FAST).fit(X[:, 3:], labels)
    back = _roundtrip(clf, tmp_path, "clf.safetensors")
    assert back.classes_.dtype == clf.classes_.dtype
    assert np.array_equal(back.predict(X[:, 3:]), clf.predict(X[:, 3:]))
    assert np.array_equal(back.predict_proba(X[:, 3:]), clf.predict_proba(X[:, 3:]))

    Y = np.c_[1e3 * X[:, 3], X[:, 4] ** 2]
    reg = NeuralRegressor(loss="huber", block="residual", **FAST).fit(X[:, 3:], Y)
    back = _roundtrip(reg, tmp_path, "reg.safetensors")
    assert back.net_.criterion_.kind == "huber"
    assert np.array_equal(back.predict(X[:, 3:]), reg.predict(X[:, 3:]))
    reg1 = NeuralRegressor(**FAST).fit(X[:, 3:], Y[:, 0])
    back1 = _roundtrip(reg1, tmp_path, "reg1.safetensors")
    assert back1.predict(X[:, 3:]).shape == (len(X),)
    assert np.array_equal(back1.predict(X[:, 3:]), reg1.predict(X[:, 3:]))


def test_pipeline_of_our_and_sklearn_transformers_roundtrip(data, tmp_path):
    X, y = data
    pipe = make_pipeline(
        LogShiftTransformer(columns=[1], missing_values=-999.0),
        MissingValueEncoder(missing_values=-999.0, add_indicator=True),
        GroupScaler([[3, 4]]),
        StandardScaler(),
        PCA(n_components=4, whiten=True, random_state=np.random.RandomState(3)),
        NeuralClassifier(**FAST),
    ).fit(X, y)
    back = _roundtrip(pipe, tmp_path)
    assert [type(s) for _, s in back.steps] == [type(s) for _, s in pipe.steps]
    assert np.array_equal(back.predict_proba(X), pipe.predict_proba(X))
    assert np.array_equal(back[:-1].transform(X), pipe[:-1].transform(X))
    # the RandomState parameter comes back with its state
    assert np.array_equal(
        back[4].random_state.get_state()[1], pipe[4].random_state.get_state()[1]
    )
    # NaN parameter values survive
    nan_pipe = make_pipeline(MissingValueEncoder(), NeuralRegressor(**FAST))
    Xn = X[:, 3:].copy()
    Xn[::7, 0] = np.nan
    nan_pipe.fit(Xn, X[:, 3])
    back = _roundtrip(nan_pipe, tmp_path, "nan.safetensors")
    assert np.isnan(back[0].missing_values)
    assert np.array_equal(back.predict(Xn), nan_pipe.predict(Xn))


def test_higgs_preprocessor_columntransformer_roundtrip(tmp_path):
    X, y, w, _ = load_higgs_challenge(return_X_y=True)
    X, y = X.iloc[:400], y[:400]
    pipe = make_pipeline(make_higgs_preprocessor(), NeuralClassifier(**FAST))
    pipe.fit(X, y)
    back = _roundtrip(pipe, tmp_path)
    assert np.array_equal(back.predict_proba(X), pipe.predict_proba(X))
    assert list(back.feature_names_in_) == list(X.columns)


def test_routing_requests_and_output_config_survive(data, tmp_path):
    X, y = data
    df = pd.DataFrame(X[:, 3:], columns=["a", "b"])
    w = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=True),
            NeuralClassifier(**FAST)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight="w_score"),
        ).set_output(transform="pandas")
        pipe.fit(df, y, sample_weight=w)
        back = _roundtrip(pipe, tmp_path)
        assert back[-1]._metadata_request.fit.owner is back[-1]
        routing = back.get_metadata_routing()
        assert routing.consumes("score", ["w_score"]) == {"w_score"}
        assert isinstance(back[0].transform(df), pd.DataFrame)
        back.fit(df, y, sample_weight=w)  # weights still routed
        assert np.array_equal(back.predict_proba(df), pipe.predict_proba(df))


def test_multitask_roundtrip(data, tmp_path):
    X, _ = data
    Y = np.c_[(X[:, 3] > 0).astype(float), 5 * X[:, 4] + 1]
    est = MultiTaskNeuralNet(**FAST).fit(X[:, 3:], Y)
    back = _roundtrip(est, tmp_path)
    assert np.array_equal(back.predict(X[:, 3:]), est.predict(X[:, 3:]))


def test_ensembles_roundtrip(data, tmp_path):
    X, y = data
    Xn, events = X[:, 3:], np.arange(len(y))
    ct = CrossTrainingClassifier(NeuralClassifier(**FAST), n_splits=3)
    ct.fit(Xn, y, groups=events)
    back = _roundtrip(ct, tmp_path, "ct.safetensors")
    assert np.array_equal(
        back.predict_proba(Xn, groups=events), ct.predict_proba(Xn, groups=events)
    )
    se = SeedEnsemble(NeuralRegressor(**FAST), n_estimators=2, random_state=0)
    se.fit(Xn, X[:, 1])
    back = _roundtrip(se, tmp_path, "se.safetensors")
    assert np.array_equal(back.predict(Xn), se.predict(Xn))


def test_training_continues_identically_after_load(data, tmp_path):
    """Optimizer state, history and seeds are restored: a warm-started fit
    after loading gives exactly what it gives on the original."""
    X, y = data
    clf = NeuralClassifier(warm_start=True, optimizer="adam", **FAST).fit(X[:, 3:], y)
    back = _roundtrip(clf, tmp_path)
    clf.fit(X[:, 3:], y)
    back.fit(X[:, 3:], y)
    assert len(back.history_) == len(clf.history_) == 6
    assert np.array_equal(back.predict_proba(X[:, 3:]), clf.predict_proba(X[:, 3:]))


def test_load_leaves_global_torch_rng_alone(data, tmp_path):
    X, y = data
    path = tmp_path / "m.safetensors"
    save(NeuralClassifier(**FAST).fit(X[:, 3:], y), path)
    before = torch.get_rng_state()
    load(path)
    assert torch.equal(torch.get_rng_state(), before)


def test_unfitted_and_cloned_models_roundtrip(tmp_path):
    est = NeuralRegressor(hidden_layer_sizes=(16, 8), random_state=0)
    back = _roundtrip(est, tmp_path)
    assert back.get_params() == est.get_params()
    assert isinstance(back.hidden_layer_sizes, tuple)
    assert clone(back).get_params() == est.get_params()


class _MyScaler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.center_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) - self.center_


def test_untrusted_type_refused_on_save_and_load(data, tmp_path):
    X, y = data
    pipe = make_pipeline(_MyScaler(), NeuralClassifier(**FAST)).fit(X[:, 3:], y)
    path = tmp_path / "m.safetensors"
    with pytest.raises(
        UntrustedTypeError,
        match=r"Pipeline\.steps\[0\]\[1\] of type .test_io\._MyScaler",
    ):
        save(pipe, path)
    assert not path.exists()
    save(pipe, path, trusted=[_MyScaler])
    with pytest.raises(UntrustedTypeError, match=r"test_io\._MyScaler.*trusted="):
        load(path)
    back = load(path, trusted=[_MyScaler])
    assert np.array_equal(back.predict_proba(X[:, 3:]), pipe.predict_proba(X[:, 3:]))
    with pytest.raises(TypeError, match="'trusted' parameter of sknn_hep.io.load"):
        load(path, trusted="_MyScaler")


def test_functions_outside_the_trusted_set_are_refused(tmp_path):
    ft = FunctionTransformer(np.log1p).fit(np.ones((3, 2)))
    with pytest.raises(
        UntrustedTypeError, match=r"FunctionTransformer\.func of type 'numpy\.ufunc'"
    ):
        save(ft, tmp_path / "f.safetensors")
    lam = FunctionTransformer(lambda x: x).fit(np.ones((3, 2)))
    with pytest.raises(
        UntrustedTypeError, match=r"\.func \(the function 'test_io\.test_"
    ):
        save(lam, tmp_path / "f.safetensors")
    assert not (tmp_path / "f.safetensors").exists()


def _forge(path, tree, arrays=None):
    """Write a file in the format with a valid checksum (a hostile author)."""
    arrays = arrays or {}
    text = json.dumps(tree)
    meta = {
        "format": "sknn_hep.io",
        "format_version": "1",
        "model": text,
        "sha256": _checksum(text, arrays),
    }
    path.write_bytes(st_save(arrays, metadata=meta))
    return path


@pytest.mark.parametrize(
    "tree",
    [
        {"__ref__": "posix.system"},
        {"__ref__": "builtins.eval"},
        {"__object__": {"class": "subprocess.Popen", "state": {"__dict__": {}}}},
        {
            "__net__": {
                "class": "os.system",
                "params": {"__dict__": {}},
                "initialized": False,
            }
        },
    ],
)
def test_forged_file_cannot_name_arbitrary_callables(tmp_path, tree):
    path = _forge(tmp_path / "evil.safetensors", tree)
    with pytest.raises(UntrustedTypeError, match="does not trust"):
        load(path)


def test_forged_state_cannot_shadow_methods(tmp_path):
    tree = {
        "__object__": {
            "class": "sklearn.preprocessing.StandardScaler",
            "state": {"__dict__": {"transform": {"__ref__": "numpy.float64"}}},
        }
    }
    path = _forge(tmp_path / "evil.safetensors", tree)
    with pytest.raises(ValueError, match="malformed.*shadow the method"):
        load(path)


class _Boom:
    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_pickle_file_is_refused_without_running_it(tmp_path):
    target = tmp_path / "created-by-pickle"
    boom = _Boom()
    boom.target = str(target)
    path = tmp_path / "model.joblib"
    path.write_bytes(pickle.dumps(boom))
    with pytest.raises(ValueError, match="model.joblib.*not a complete safetensors"):
        load(path)
    assert not target.exists()


@pytest.fixture
def saved(data, tmp_path):
    X, y = data
    path = tmp_path / "model.safetensors"
    save(NeuralClassifier(**FAST).fit(X[:, 3:], y), path)
    return path


def test_truncated_file_is_a_clear_error(saved):
    blob = saved.read_bytes()
    for cut in (len(blob) - 10, len(blob) // 2, 5, 0):
        saved.write_bytes(blob[:cut])
        with pytest.raises(ValueError, match=r"model\.safetensors.*truncated"):
            load(saved)


def test_flipped_bytes_are_detected(saved):
    blob = bytearray(saved.read_bytes())
    data_byte = len(blob) - 3  # inside the last tensor
    blob[data_byte] ^= 0xFF
    saved.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"model\.safetensors.*corrupted.*checksum"):
        load(saved)


def test_edited_header_is_detected(saved):
    blob = saved.read_bytes()
    # the JSON tree sits, escaped, in the safetensors header
    edited = blob.replace(b'\\"lr\\":0.001', b'\\"lr\\":0.002', 1)
    assert edited != blob
    saved.write_bytes(edited)
    with pytest.raises(ValueError, match="corrupted"):
        load(saved)


def test_other_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.safetensors")
    plain = tmp_path / "weights.safetensors"
    plain.write_bytes(st_save({"w": np.ones(3, dtype=np.float32)}))
    with pytest.raises(ValueError, match="weights.safetensors.*not a model saved"):
        load(plain)
    newer = tmp_path / "newer.safetensors"
    meta = {"format": "sknn_hep.io", "format_version": "99", "model": "null"}
    newer.write_bytes(st_save({}, metadata=meta))
    with pytest.raises(ValueError, match="format version '99'.*Upgrade"):
        load(newer)
    bad = _forge(tmp_path / "bad.safetensors", {"__nonsense__": 1})
    with pytest.raises(ValueError, match=r"bad\.safetensors.*malformed.*__nonsense__"):
        load(bad)


def test_version_mismatch_warns_on_load(data, tmp_path, monkeypatch):
    X, y = data
    est = make_pipeline(
        LogShiftTransformer(columns=[0], shift=-10.0), NeuralClassifier(**FAST)
    ).fit(X[:, 3:], y)
    real = versions.current_versions

    def older(packages):
        out = real(packages)
        out.update({k: "0.0.1" for k in ("sknn_hep", "torch") if k in out})
        return out

    path = tmp_path / "old.safetensors"
    monkeypatch.setattr(versions, "current_versions", older)
    save(est, path)
    monkeypatch.undo()
    with pytest.warns(VersionWarning) as record:
        back = load(path)
    messages = [str(r.message) for r in record if r.category is VersionWarning]
    assert any(
        m.startswith("NeuralClassifier was saved with sknn_hep 0.0.1, torch 0.0.1")
        for m in messages
    )
    assert any(
        m.startswith("LogShiftTransformer was saved with sknn_hep") for m in messages
    )
    assert np.array_equal(back.predict_proba(X[:, 3:]), est.predict_proba(X[:, 3:]))


def test_cuda_network_loads_on_cpu(data, tmp_path, monkeypatch):
    X, y = data
    clf = NeuralClassifier(**FAST).fit(X[:, 3:], y)
    expected = clf.predict_proba(X[:, 3:])
    # a network trained on a GPU: its net and the estimator say "cuda"
    clf.device = "cuda"
    clf.net_.device = "cuda"
    path = tmp_path / "gpu.safetensors"
    save(clf, path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="no CUDA device here"):
        back = load(path)
    assert back.device == "cpu" and back.net_.device == "cpu"
    assert next(back.net_.module_.parameters()).device.type == "cpu"
    assert np.array_equal(back.predict_proba(X[:, 3:]), expected)
    back.partial_fit(X[:, 3:], y)  # training continues on the CPU


def test_loaded_model_never_writes_where_the_file_says(data, tmp_path):
    # a colleague's (or an attacker's) file names directories: a later fit
    # of the loaded model must not write there
    X, y = data
    ckpt, logs = tmp_path / "their_ckpt", tmp_path / "their_logs"
    clf = NeuralClassifier(max_epochs=1, checkpoint_dir=ckpt).fit(X, y)
    clf.set_params(log_dir=logs, resume=True)
    inner = make_pipeline(StandardScaler(), clone(clf).set_params(resume=False))
    for model in (clf, inner):
        save(model, tmp_path / "m.sknn")
        with pytest.warns(UserWarning, match=r"checkpoint_dir=.*their_ckpt.*get None"):
            loaded = load(tmp_path / "m.sknn")
        net = loaded[-1] if hasattr(loaded, "steps") else loaded
        assert net.checkpoint_dir is None and net.log_dir is None
        assert net.resume is False
    np.testing.assert_array_equal(
        load_quiet(tmp_path, clf).predict_proba(X), clf.predict_proba(X)
    )
    before = sorted(p.name for p in ckpt.iterdir())
    loaded = load_quiet(tmp_path, clf)
    loaded.fit(X, y)  # writes nothing to their directories
    assert sorted(p.name for p in ckpt.iterdir()) == before
    assert not logs.exists()
    # the user can point the loaded model to a directory of their own
    mine = tmp_path / "mine"
    loaded.set_params(checkpoint_dir=mine).fit(X, y)
    assert (mine / "checkpoint.pt").exists()


def load_quiet(tmp_path, model):
    save(model, tmp_path / "q.sknn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load(tmp_path / "q.sknn")
