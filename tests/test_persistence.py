"""joblib/pickle persistence: new-process reproducibility, recorded versions,
and networks saved on CUDA loading on a CPU-only machine."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import torch
import torch.serialization
from sklearn.decomposition import PCA
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.exceptions import DeviceWarning

import sknn_hep
import sknn_hep._versions as versions
from sknn_hep.io import VersionWarning
from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor
from sknn_hep.preprocessing import (
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
)

FAST = dict(n_layers=2, n_units=8, batch_size=32, max_epochs=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    X[:, 0] = rng.integers(0, 4, 200)
    X[:, 1] = np.abs(X[:, 1]) * 30 + 20
    X[rng.random(200) < 0.25, 2] = -999.0
    y = (X[:, 3] - 0.3 * X[:, 0] > 0).astype(int)
    return X, y


def _run_python(code: str, tmp_path, env_extra=None) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line."""
    env = dict(os.environ, **(env_extra or {}))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOAD_AND_PREDICT = """
    import json, sys, warnings
    import joblib, numpy as np, torch
    torch.set_num_threads(1)
    from sklearn.exceptions import InconsistentVersionWarning
    from skorch.exceptions import DeviceWarning
    from sknn_hep.io import VersionWarning
    warnings.simplefilter("error", VersionWarning)
    warnings.simplefilter("error", InconsistentVersionWarning)
    out = {{"cuda": torch.cuda.is_available()}}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DeviceWarning)
        models = {{name: joblib.load(name + ".joblib") for name in {names!r}}}
    out["device_warnings"] = [
        str(r.message) for r in record if r.category is DeviceWarning
    ]
    for name, model in models.items():
        final = model[-1] if hasattr(model, "steps") else model
        method = "predict_proba" if hasattr(final, "classes_") else "predict"
        X = np.load(name + "_X.npy")
        np.save(name + "_new.npy", getattr(model, method)(X))
        out[name] = {{"device": final.device, "net_device": str(final.net_.device)}}
    print(json.dumps(out))
"""


def _as_if_trained_on_cuda(est, path, monkeypatch):
    """Dump ``est`` as a CUDA-trained model: net and estimator say "cuda" and
    every tensor storage in the file is tagged "cuda:0", as torch writes
    tensors that live on a GPU."""
    est.device = "cuda"
    est.net_.device = "cuda"
    monkeypatch.setattr(torch.serialization, "location_tag", lambda s: "cuda:0")
    joblib.dump(est, path)
    monkeypatch.undo()
    assert path.read_bytes().count(b"cuda:0") > 0


@pytest.fixture(scope="module")
def new_process(data, tmp_path_factory):
    """Fit and dump three models, then load and predict them all in ONE new
    interpreter (starting one costs seconds) on a CPU-only machine
    (``CUDA_VISIBLE_DEVICES=""`` hides any GPU). Returns the directory, the
    subprocess report and the in-process predictions."""
    X, y = data
    tmp = tmp_path_factory.mktemp("new_process")
    clf = make_pipeline(
        LogShiftTransformer(columns=[1], missing_values=-999.0),
        MissingValueEncoder(
            missing_values=-999.0, add_indicator=True, columns=[1, 2, 3, 4]
        ),
        NeuralClassifier(
            categorical_features=[0], batch_norm=True, early_stopping=True, **FAST
        ),
    ).fit(X, y)
    reg = make_pipeline(
        GroupScaler([[2, 3]]),
        StandardScaler(),
        PCA(n_components=3),
        NeuralRegressor(block="dense", **FAST),
    ).fit(X[:, 1:], np.c_[X[:, 3] * 100, X[:, 4]])
    gpu = NeuralClassifier(categorical_features=[0], **FAST).fit(X[:, [0, 3, 4]], y)
    inputs = {"clf": X, "reg": X[:, 1:], "gpu": X[:, [0, 3, 4]]}
    expected = {
        "clf": clf.predict_proba(X),
        "reg": reg.predict(X[:, 1:]),
        "gpu": gpu.predict_proba(inputs["gpu"]),
    }
    joblib.dump(clf, tmp / "clf.joblib")
    joblib.dump(reg, tmp / "reg.joblib")
    with pytest.MonkeyPatch.context() as mp:
        _as_if_trained_on_cuda(gpu, tmp / "gpu.joblib", mp)
    for name, X_in in inputs.items():
        np.save(tmp / f"{name}_X.npy", X_in)
    names = ["clf", "reg", "gpu"]
    out = _run_python(
        LOAD_AND_PREDICT.format(names=names),
        tmp,
        env_extra={"CUDA_VISIBLE_DEVICES": ""},
    )
    return tmp, out, expected


def test_joblib_pipelines_predict_bit_identically_in_a_new_process(new_process):
    tmp, out, expected = new_process
    for name in ("clf", "reg"):
        assert np.array_equal(np.load(tmp / f"{name}_new.npy"), expected[name])
        assert out[name] == {"device": "cpu", "net_device": "cpu"}


def test_cuda_pickle_loads_and_predicts_on_cpu_only_machine(new_process):
    tmp, out, expected = new_process
    assert out["cuda"] is False
    assert any("no CUDA devices are available" in m for m in out["device_warnings"])
    assert out["gpu"] == {"device": "cpu", "net_device": "cpu"}
    assert np.array_equal(np.load(tmp / "gpu_new.npy"), expected["gpu"])


def test_pickled_state_records_versions(data):
    X, y = data
    clf = NeuralClassifier(**FAST).fit(X[:, 3:], y)
    state = clf.__getstate__()
    assert state["_sknn_hep_versions"] == {
        "sknn_hep": sknn_hep.__version__,
        "scikit-learn": __import__("sklearn").__version__,
        "torch": torch.__version__,
        "skorch": __import__("skorch").__version__,
    }
    assert "_sknn_hep_versions" not in vars(clf)  # the estimator is untouched
    tr = MissingValueEncoder().fit(X[:, 3:])
    assert set(tr.__getstate__()["_sknn_hep_versions"]) == {"sknn_hep", "scikit-learn"}
    back = pickle.loads(pickle.dumps(tr))
    assert "_sknn_hep_versions" not in vars(back)
    assert np.array_equal(back.transform(X[:, 3:]), tr.transform(X[:, 3:]))


@pytest.mark.parametrize(
    "package, recorded",
    [("sknn_hep", "0.0.1"), ("torch", "2.0.0"), ("scikit-learn", "1.5.0")],
)
def test_version_mismatch_warns_on_unpickling(data, monkeypatch, package, recorded):
    X, y = data
    clf = NeuralClassifier(**FAST).fit(X[:, 3:], y)
    real = versions.current_versions

    def tampered(packages):
        out = real(packages)
        if package in out:
            out[package] = recorded
        return out

    monkeypatch.setattr(versions, "current_versions", tampered)
    blob = pickle.dumps(clf)
    monkeypatch.undo()
    with pytest.warns(VersionWarning, match=f"{package} {recorded}") as record:
        back = pickle.loads(blob)
    (w,) = [r.message for r in record if r.category is VersionWarning]
    assert w.estimator_name == "NeuralClassifier"
    assert w.original_versions[package] == recorded
    assert w.current_versions[package] == real([package])[package]
    assert np.array_equal(back.predict_proba(X[:, 3:]), clf.predict_proba(X[:, 3:]))


def test_same_release_other_build_and_missing_record(data, monkeypatch):
    X, y = data
    tr = LogShiftTransformer(shift=-10.0).fit(X[:, 3:])
    clf = NeuralClassifier(**FAST).fit(X[:, 3:], y)
    state = clf.__getstate__()
    # a CUDA build of the same torch release is not a version difference
    state["_sknn_hep_versions"]["torch"] = torch.__version__.split("+")[0] + "+cu126"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NeuralClassifier.__new__(NeuralClassifier).__setstate__(state)
    # a pickle from before versions were recorded
    old = tr.__getstate__()
    del old["_sknn_hep_versions"]
    with pytest.warns(VersionWarning, match="without version information"):
        LogShiftTransformer.__new__(LogShiftTransformer).__setstate__(old)


def test_pipeline_records_sklearn_version_for_its_own_classes(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), NeuralClassifier(**FAST)).fit(X[:, 3:], y)
    state = pipe.__getstate__()
    state["_sklearn_version"] = "0.1"
    with pytest.warns(InconsistentVersionWarning):
        type(pipe).__new__(type(pipe)).__setstate__(state)


def test_cuda_pickle_keeps_training_on_cpu(data, tmp_path, monkeypatch):
    X, y = data
    clf = NeuralClassifier(warm_start=True, **FAST).fit(X[:, 3:], y)
    _as_if_trained_on_cuda(clf, tmp_path / "gpu.joblib", monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning):
        back = joblib.load(tmp_path / "gpu.joblib")
    assert back.device == "cpu"
    back.fit(X[:, 3:], y)  # warm start continues on the CPU
    assert back.n_iter_ == 6
    assert next(back.net_.module_.parameters()).device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_real_cuda_model_loads_on_cpu(data, tmp_path):
    X, y = data
    clf = NeuralClassifier(device="cuda", **FAST).fit(X[:, 3:], y)
    joblib.dump(clf, tmp_path / "gpu.joblib")
    np.save(tmp_path / "gpu_X.npy", X[:, 3:])
    out = _run_python(
        LOAD_AND_PREDICT.format(names=["gpu"]),
        tmp_path,
        env_extra={"CUDA_VISIBLE_DEVICES": ""},
    )
    assert out["gpu"] == {"device": "cpu", "net_device": "cpu"}
    np.testing.assert_allclose(
        np.load(tmp_path / "gpu_new.npy"), clf.predict_proba(X[:, 3:]), atol=1e-6
    )


@pytest.mark.parametrize("kind", ["seed", "cross"])
def test_ensembles_record_and_check_versions(data, monkeypatch, kind):
    from sknn_hep.ensemble import CrossTrainingClassifier, SeedEnsemble

    X, y = data
    inner = NeuralClassifier(**FAST)
    model = (
        SeedEnsemble(inner, n_estimators=2, random_state=0)
        if kind == "seed"
        else CrossTrainingClassifier(inner, n_splits=2, random_state=0)
    ).fit(X[:, 3:], y)
    assert model.__getstate__()["_sknn_hep_versions"]["sknn_hep"] == (
        sknn_hep.__version__
    )
    real = versions.current_versions
    monkeypatch.setattr(
        versions,
        "current_versions",
        lambda packages: {**real(packages), "sknn_hep": "0.0.1"},
    )
    blob = pickle.dumps(model)
    monkeypatch.undo()
    with pytest.warns(VersionWarning) as record:
        back = pickle.loads(blob)
    names = {r.message.estimator_name for r in record if r.category is VersionWarning}
    assert type(model).__name__ in names
    assert np.array_equal(back.predict_proba(X[:, 3:]), model.predict_proba(X[:, 3:]))


def test_model_saved_with_0_1_still_predicts():
    """A 0.1 model (without the parameters and layers added in 0.2) loads,
    warns, and predicts as it did."""
    import pickle
    import warnings

    from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier
    from sknn_hep.neural_network._base import _ADDED_IN_0_2

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    est = NeuralClassifier(**PLAIN_NETWORK, max_epochs=2, random_state=0).fit(X, y)
    expected = est.predict_proba(X)
    # what 0.1 saved: neither the new parameters nor the new module attributes
    for key in _ADDED_IN_0_2:
        delattr(est, key)
    module = est.net_.module_
    for name in ("num_embedding", "n_ensemble", "n_numeric"):
        delattr(module, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded.get_params()["num_embedding"] is None
    assert loaded.get_params()["n_ensemble"] == 1
