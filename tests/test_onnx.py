"""sknn_hep.io.export_onnx checked against predict/predict_proba with
onnxruntime."""

import json
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_hep.io import export_onnx
from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor
from sknn_hep.preprocessing import (
    FourMomentumTransformer,
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FAST = dict(n_layers=2, n_units=16, batch_size=32, max_epochs=5, random_state=0)
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 6))
    X[:, 0] = rng.integers(0, 4, 300)  # categorical codes
    X[:, 1] = rng.exponential(40.0, 300) + 20.0  # steep spectrum above 20
    X[rng.random(300) < 0.2, 2] = -999.0  # missing marker
    X[rng.random(300) < 0.1, 5] = np.nan  # NaN-missing column
    y = (X[:, 3] + 0.4 * X[:, 0] + 0.01 * X[:, 1] > 1.0).astype(int)
    return X, y


def _session(model, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    export_onnx(model, path, **kwargs)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]), path


def _run(sess, X):
    return sess.run(None, {"X": np.asarray(X, dtype=np.float32)})


def test_binary_classifier_matches_predict_proba(data, tmp_path):
    X, y = data
    clf = NeuralClassifier(block="residual", batch_norm=True, dropout=0.2, **FAST).fit(
        X[:, [1, 3, 4]], y
    )
    sess, path = _session(clf, tmp_path)
    [inp] = sess.get_inputs()
    assert (inp.name, inp.type, inp.shape) == ("X", "tensor(float)", ["batch", 3])
    assert [(o.name, o.shape) for o in sess.get_outputs()] == [
        ("probabilities", ["batch", 2]),
        ("logits", ["batch", 1]),
    ]
    Xt = X[:, [1, 3, 4]]
    for rows in (slice(0, 1), slice(0, 37), slice(None)):  # dynamic batch axis
        proba, logits = _run(sess, Xt[rows])
        np.testing.assert_allclose(proba, clf.predict_proba(Xt[rows]), **TOL)
        np.testing.assert_allclose(logits[:, 0], clf.decision_function(Xt[rows]), **TOL)
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert json.loads(meta["classes"]) == [0, 1]
    assert meta["estimator"] == "NeuralClassifier"


def test_multiclass_with_string_labels(data, tmp_path):
    X, _ = data
    labels = np.array(["b", "s", "t"])[(X[:, 3] > 0) + (X[:, 4] > 0.5) * 1]
    clf = NeuralClassifier(activation="selu", **FAST).fit(X[:, 3:5], labels)
    sess, path = _session(clf, tmp_path)
    proba, logits = _run(sess, X[:, 3:5])
    assert proba.shape == (len(X), 3) and logits.shape == (len(X), 3)
    np.testing.assert_allclose(proba, clf.predict_proba(X[:, 3:5]), **TOL)
    np.testing.assert_allclose(logits, clf.decision_function(X[:, 3:5]), **TOL)
    assert (
        clf.classes_[proba.argmax(axis=1)].tolist() == clf.predict(X[:, 3:5]).tolist()
    )
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert json.loads(meta["classes"]) == ["b", "s", "t"]


def test_regressor_single_and_multi_output(data, tmp_path):
    X, _ = data
    Xr = X[:, [1, 3, 4]]
    Y = np.c_[1e3 * X[:, 3] + 5e3, X[:, 4] ** 2]
    reg = NeuralRegressor(block="dense", **FAST).fit(Xr, Y)
    sess, _ = _session(reg, tmp_path)
    [pred] = _run(sess, Xr)
    assert [(o.name, o.shape) for o in sess.get_outputs()] == [
        ("predictions", ["batch", 2])
    ]
    np.testing.assert_allclose(pred, reg.predict(Xr), **TOL)
    reg1 = NeuralRegressor(**FAST).fit(Xr, Y[:, 0])
    sess1, _ = _session(reg1, tmp_path)
    [pred1] = _run(sess1, Xr)
    assert pred1.shape == (len(X), 1)
    np.testing.assert_allclose(pred1[:, 0], reg1.predict(Xr), **TOL)


def test_categorical_inputs_use_the_embeddings(data, tmp_path):
    X, y = data
    Xc = X[:, [3, 0, 4]]  # the categorical column in the middle
    clf = NeuralClassifier(categorical_features=[1], embedding_dim=3, **FAST).fit(Xc, y)
    sess, _ = _session(clf, tmp_path)
    Xq = Xc.copy()
    Xq[:5, 1] = 7.0  # a code not seen in fit: the "unknown" row
    proba, _ = _run(sess, Xq)
    np.testing.assert_allclose(proba, clf.predict_proba(Xq), **TOL)
    # the category matters: changing only the codes changes the output
    Xs = Xq.copy()
    Xs[:, 1] = (Xs[:, 1] + 1) % 4
    assert np.abs(_run(sess, Xs)[0] - proba).max() > 1e-3


def test_pipeline_with_preprocessing_steps(data, tmp_path):
    X, y = data
    pipe = make_pipeline(
        MissingValueEncoder(add_indicator=True, columns=[5], standardize=False),
        LogShiftTransformer(columns=[1], missing_values=-999.0),
        MissingValueEncoder(missing_values=-999.0, add_indicator=True, columns=[2]),
        GroupScaler([[3, 4]]),
        "passthrough",
        make_pipeline(StandardScaler(), MinMaxScaler(clip=True)),
        PCA(n_components=6, whiten=True),
        NeuralClassifier(**FAST),
    ).fit(X, y)
    sess, _ = _session(pipe, tmp_path)
    assert sess.get_inputs()[0].shape == ["batch", 6]
    proba, logits = _run(sess, X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), **TOL)
    np.testing.assert_allclose(logits[:, 0], pipe.decision_function(X), **TOL)
    # clipped log and standardised missing values, as in the transformers
    pipe2 = make_pipeline(
        LogShiftTransformer(columns=[0, 1], shift=25.0, clip=True),
        StandardScaler(with_mean=False),
        NeuralRegressor(**FAST),
    ).fit(X[:, [1, 3]], X[:, 4])
    sess2, _ = _session(pipe2, tmp_path)
    Xq = X[:, [1, 3]].copy()
    Xq[:3, 0] = 10.0  # below the shift: clipped
    np.testing.assert_allclose(_run(sess2, Xq)[0][:, 0], pipe2.predict(Xq), **TOL)


def test_feature_names_are_recorded(data, tmp_path):
    X, y = data
    df = pd.DataFrame(X[:, 3:5], columns=["pt", "eta"])
    clf = NeuralClassifier(**FAST).fit(df, y)
    _, path = _session(make_pipeline(StandardScaler(), clf).fit(df, y), tmp_path)
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert json.loads(meta["feature_names"]) == ["pt", "eta"]


def test_unsupported_step_is_named(data, tmp_path):
    X, y = data
    fm = FourMomentumTransformer(particles=[[0, 1, 2, 3]])
    pipe = make_pipeline(fm, NeuralClassifier(**FAST))
    E = np.abs(X[:, 1:5]).sum(axis=1) + 1.0
    P = np.c_[E, X[:, 2:5]]
    P[:, 1][P[:, 1] == -999.0] = 0.0
    pipe.fit(P, y)
    with pytest.raises(TypeError, match="step 'fourmomentumtransformer'.*Exportable"):
        export_onnx(pipe, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_other_models_and_unfitted_are_refused(data, tmp_path):
    X, y = data
    with pytest.raises(TypeError, match="step 'logisticregression' is a Logistic"):
        export_onnx(
            make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:, 3:5], y),
            tmp_path / "m.onnx",
        )
    with pytest.raises(NotFittedError):
        export_onnx(NeuralClassifier(), tmp_path / "m.onnx")


def test_missing_onnx_package_names_the_extra(data, tmp_path, monkeypatch):
    X, y = data
    clf = NeuralClassifier(**FAST).fit(X[:, 3:5], y)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"'onnx'.*pip install -e \"\.\[onnx\]\""):
        export_onnx(clf, tmp_path / "m.onnx")


def test_opset_version(data, tmp_path):
    X, y = data
    clf = NeuralClassifier(**FAST).fit(X[:, 3:5], y)
    _, path = _session(clf, tmp_path, opset_version=17)
    opsets = {o.domain: o.version for o in onnx.load(path).opset_import}
    assert opsets[""] == 17


def test_dynamo_exporter_gives_the_same_graph_interface(data, tmp_path):
    pytest.importorskip("onnxscript")
    X, y = data
    clf = NeuralClassifier(categorical_features=[0], **FAST).fit(X[:, [0, 3, 4]], y)
    sess, _ = _session(clf, tmp_path, dynamo=True)
    assert sess.get_inputs()[0].name == "X"
    assert [o.name for o in sess.get_outputs()] == ["probabilities", "logits"]
    proba, _ = _run(sess, X[:, [0, 3, 4]])
    np.testing.assert_allclose(proba, clf.predict_proba(X[:, [0, 3, 4]]), **TOL)


# -- LogShiftTransformer on new events ----------------------------------------
def _log_shift_graph(tr, tmp_path):
    """The LogShift step alone as an ONNX graph (its module from the exporter)."""
    import torch

    from sknn_hep.io._onnx import _step_module

    path = tmp_path / "log_shift.onnx"
    example = torch.zeros(2, tr.n_features_in_, dtype=torch.float32)
    torch.onnx.export(
        _step_module(tr, "log").eval(),
        (example,),
        str(path),
        input_names=["X"],
        output_names=["out"],
        dynamic_axes={"X": {0: "batch"}, "out": {0: "batch"}},
        dynamo=False,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda X: sess.run(None, {"X": np.asarray(X, dtype=np.float32)})[0]


def test_log_shift_below_training_min_matches_transform(data, tmp_path):
    X = data[0][:, :5]  # column 5 holds NaN as its missing marker
    tr = LogShiftTransformer(columns=[1, 2], missing_values=-999.0).fit(X)
    new = X[:40].copy()
    new[:5, 1] = [19.0, 0.0, -0.5, -1e4, tr.min_[0]]  # at and below the minimum
    new[5:8, 2] = [-998.0, -1e3, X[X[:, 2] != -999.0, 2].min() - 3.0]
    expected = tr.transform(new.astype(np.float32))
    assert np.isfinite(expected).all()
    run = _log_shift_graph(tr, tmp_path)
    got = run(new)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, **TOL)
    assert np.all(got[:5, 1] == got[4, 1])  # clipped to the training edge
    np.testing.assert_array_equal(got[new[:, 2] == -999.0, 2], -999.0)


@pytest.mark.parametrize("shift", ["auto", 0.0])
def test_log_shift_never_gives_the_marker_in_onnx(tmp_path, shift):
    X = np.array([[1.0], [0.0], [2.0], [5.0], [1.0], [0.0], [3.0]])
    tr = LogShiftTransformer(shift=shift, missing_values=0.0).fit(X)
    new = np.r_[X, [[0.5]]] if shift == "auto" else X
    got = _log_shift_graph(tr, tmp_path)(new)
    expected = tr.transform(new.astype(np.float32))
    np.testing.assert_array_equal(got, expected)
    present = new[:, 0] != 0.0
    assert np.all(got[present, 0] != 0.0)
    assert np.all(got[~present, 0] == 0.0)


def test_marker_not_representable_in_float32_matches_in_onnx(tmp_path):
    marker = -999.1
    rng = np.random.default_rng(5)
    X = np.c_[rng.exponential(30.0, 200) + 20.0, rng.normal(size=200)]
    X[rng.random(200) < 0.2, 0] = marker
    y = X[:, 1] + (X[:, 0] == marker)
    pipe = make_pipeline(
        LogShiftTransformer(columns=[0], missing_values=marker),
        MissingValueEncoder(missing_values=marker, add_indicator=True),
        NeuralRegressor(**FAST),
    ).fit(X.astype(np.float32), y)
    assert pipe[0].shift_[0] > 0  # the marker was not taken for a value
    sess, _ = _session(pipe, tmp_path)
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(_run(sess, X32)[0][:, 0], pipe.predict(X32), **TOL)
