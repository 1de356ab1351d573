"""``sknn_hep.parallel.ParallelPostFit``: predictions on Dask arrays and
DataFrames, computed block by block on a ``distributed.LocalCluster`` with two
worker processes, equal the in-memory ones; the model reaches each worker
once; scikit-learn semantics of the wrapper (clone, tags, fitted state,
in-memory input passed straight through)."""

import os
import signal

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.parallel import ParallelPostFit
from sknn_hep.preprocessing import MissingValueEncoder

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FAST = dict(n_layers=1, n_units=8, batch_size=32, max_epochs=2, random_state=0)
COLUMNS = ["a", "b", "c", "d", "e"]
N_ROWS, CHUNK = 300, 50  # six blocks: more blocks than workers
# The variables the Dask nanny writes into this process's environment.


@pytest.fixture(autouse=True)
def _deadline():
    """Fail a test that runs past 120 s instead of hanging the suite (the
    whole file takes ~20 s; pytest-timeout is not a dependency)."""

    def expire(signum, frame):
        raise TimeoutError("test_dask_postfit: a test ran past 120 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS, len(COLUMNS)))
    X[rng.random(X.shape) < 0.1] = -999.0  # missing values for the encoder
    frame = pd.DataFrame(X, columns=COLUMNS, index=np.arange(N_ROWS) + 1000)
    label = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return X, frame, np.array(["bkg", "sig"])[(X[:, 0] > 0).astype(int)], label


@pytest.fixture(scope="module")
def models(data):
    X, frame, y_str, label = data
    encoder = MissingValueEncoder(missing_values=-999.0, add_indicator=True)
    return {
        # binary, string labels, fitted on a DataFrame (feature names)
        "binary": make_pipeline(clone(encoder), NeuralClassifier(**FAST)).fit(
            frame, y_str
        ),
        "multiclass": make_pipeline(clone(encoder), NeuralClassifier(**FAST)).fit(
            frame, label
        ),
        "regressor": make_pipeline(clone(encoder), NeuralRegressor(**FAST)).fit(
            frame, np.column_stack([X[:, 2], X[:, 3] * 2])
        ),
        "encoder": clone(encoder).set_output(transform="pandas").fit(frame),
    }


def _dask_array(X):
    return da.from_array(X, chunks=(CHUNK, 2))  # chunked along features too


def _dask_frame(frame):
    return dd.from_pandas(frame, npartitions=N_ROWS // CHUNK, sort=True)


def _blockwise_reference(model, method, X):
    """The in-memory result computed on the same blocks. torch's float64
    matrix product rounds a row differently depending on where it sits in the
    batch (in the last bit), so only the same blocks give equal bits."""
    parts = [getattr(model, method)(X[i : i + CHUNK]) for i in range(0, len(X), CHUNK)]
    return np.concatenate(parts)


CASES = [
    ("binary", "predict"),
    ("binary", "predict_proba"),
    ("binary", "predict_log_proba"),
    ("binary", "decision_function"),
    ("multiclass", "predict"),
    ("multiclass", "predict_proba"),
    ("multiclass", "decision_function"),
    ("regressor", "predict"),
    ("encoder", "transform"),
]


# The models were fitted on a DataFrame; the blocks of a Dask array have no
# column names.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("name, method", CASES)
def test_dask_array_equals_in_memory(dask_client, data, models, name, method):
    X, frame, _, _ = data
    model = models[name]
    wrapper = ParallelPostFit(model)
    result = getattr(wrapper, method)(_dask_array(X))
    assert isinstance(result, da.Array)  # lazy until computed
    in_memory = getattr(model, method)(frame)
    expected = np.asarray(in_memory)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    assert result.chunks[0] == (CHUNK,) * (N_ROWS // CHUNK)
    computed = result.compute()
    assert isinstance(computed, np.ndarray)
    np.testing.assert_array_equal(
        computed, np.asarray(_blockwise_reference(model, method, frame))
    )
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(computed, expected)


@pytest.mark.parametrize("name, method", CASES)
def test_dask_frame_equals_in_memory(dask_client, data, models, name, method):
    _, frame, _, _ = data
    model = models[name]
    ddf = _dask_frame(frame)
    result = getattr(ParallelPostFit(model), method)(ddf)
    expected = getattr(model, method)(frame)
    assert isinstance(result, dd.Series if np.ndim(expected) == 1 else dd.DataFrame)
    assert result.npartitions == ddf.npartitions
    assert result.divisions == ddf.divisions
    computed = result.compute()
    # each partition was indexed like the input's
    pd.testing.assert_index_equal(computed.index, frame.index)
    np.testing.assert_array_equal(
        computed.to_numpy(), np.asarray(_blockwise_reference(model, method, frame))
    )
    if np.ndim(expected) == 1:
        assert computed.name == method
    elif name == "encoder":
        assert list(computed.columns) == list(expected.columns)
    elif method != "predict":
        assert list(computed.columns) == [str(c) for c in model.classes_]
    # the meta promised the dtypes the partitions have
    assert (
        list(result.dtypes) == list(computed.dtypes)
        if computed.ndim == 2
        else result.dtype == computed.dtype
    )


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_string_labels_keep_their_dtype(dask_client, data, models):
    X, frame, y_str, _ = data
    model = ParallelPostFit(models["binary"])
    labels = model.predict(_dask_array(X))
    assert labels.dtype == model.classes_.dtype
    assert set(np.unique(labels.compute())) <= {"bkg", "sig"}
    series = model.predict(_dask_frame(frame)).compute()
    assert series.map(type).eq(str).all()


def test_result_joins_the_frame_and_writes_parquet(dask_client, data, models, tmp_path):
    pytest.importorskip("pyarrow")
    _, frame, _, _ = data
    ddf = _dask_frame(frame)
    scored = ddf.assign(
        score=ParallelPostFit(models["binary"]).predict_proba(ddf)["sig"]
    )
    scored[["score"]].to_parquet(tmp_path / "scores")
    back = pd.read_parquet(tmp_path / "scores")
    np.testing.assert_allclose(
        back["score"].to_numpy(),
        models["binary"].predict_proba(frame)[:, 1],
        rtol=1e-12,
    )
    pd.testing.assert_index_equal(back.index, frame.index, check_names=False)


def test_the_model_reaches_each_worker_once(dask_client, data, models, tmp_path):
    X, _, _, _ = data
    log = tmp_path / "unpickled.txt"

    # Defined here, so cloudpickle sends the class by value to the workers.
    class CountingPassthrough(MissingValueEncoder):
        """Identity step that appends its process id to ``log`` whenever it
        is unpickled."""

        def __setstate__(self, state):
            super().__setstate__(state)
            with open(self.log_, "a") as f:
                f.write(f"{os.getpid()}\n")

    step = CountingPassthrough(missing_values=-999.0).fit(X)
    step.log_ = str(log)
    model = make_pipeline(step, clone(models["binary"][-1]).fit(X, X[:, 0] > 0))
    result = ParallelPostFit(model).predict_proba(_dask_array(X))
    # one key holds the model; the six block tasks depend on it
    graph = dict(result.__dask_graph__())
    holders = [k for k, v in graph.items() if type(v).__name__ == "DataNode"]
    assert len(holders) == 1
    log.unlink(missing_ok=True)  # building the graph unpickled nothing remote
    computed = result.compute()
    np.testing.assert_array_equal(
        computed, _blockwise_reference(model, "predict_proba", X)
    )
    workers = set(dask_client.run(os.getpid).values())
    pids = log.read_text().split()
    on_workers = [int(p) for p in pids if int(p) in workers]
    # each worker that scored blocks unpickled the model once, not per block
    assert len(on_workers) == len(set(on_workers)) <= len(workers)
    assert len(on_workers) >= 1


def test_list_outputs_of_a_multitask_net(dask_client):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N_ROWS, 4))
    y = np.column_stack([X[:, 0] > 0, (X[:, 1] > 0).astype(int) + (X[:, 2] > 0)])
    net = MultiTaskNeuralNet(tasks=["binary", "multiclass"], **FAST).fit(X, y)
    wrapper = ParallelPostFit(net)
    parts = wrapper.predict_proba(da.from_array(X, chunks=CHUNK))
    assert [p.shape for p in parts] == [(N_ROWS, 2), (N_ROWS, 3)]
    import dask

    computed = dask.compute(*parts)
    for got, want in zip(computed, _blockwise_reference_list(net, X)):
        np.testing.assert_array_equal(got, want)
    frames = wrapper.predict_proba(dd.from_array(X, chunksize=CHUNK))
    assert [list(f.columns) for f in frames] == [["0", "1"], ["0", "1", "2"]]
    for got, want in zip(dask.compute(*frames), _blockwise_reference_list(net, X)):
        np.testing.assert_array_equal(got.to_numpy(), want)
    labels = wrapper.predict(da.from_array(X, chunks=CHUNK))
    np.testing.assert_array_equal(
        labels.compute(), _blockwise_reference(net, "predict", X)
    )


def _blockwise_reference_list(net, X):
    blocks = [net.predict_proba(X[i : i + CHUNK]) for i in range(0, len(X), CHUNK)]
    return [np.concatenate(task) for task in zip(*blocks)]


# -- without a cluster ------------------------------------------------------------


def test_blocks_of_whole_prediction_batches_are_bit_identical():
    # The networks predict in batches of PREDICT_BATCH_SIZE rows; Dask blocks
    # of a multiple of it line up with those batches (other blocks can change
    # a row's float64 output in the last bit).
    from sknn_hep.neural_network._net import PREDICT_BATCH_SIZE

    rng = np.random.default_rng(2)
    X = rng.normal(size=(2 * PREDICT_BATCH_SIZE + 1000, 3))
    net = NeuralClassifier(**FAST).fit(X[:200], X[:200, 0] > 0)
    wrapper = ParallelPostFit(net)
    for rows in (PREDICT_BATCH_SIZE, 2 * PREDICT_BATCH_SIZE):
        blocks = da.from_array(X, chunks=(rows, 3))
        np.testing.assert_array_equal(
            wrapper.decision_function(blocks).compute(scheduler="sync"),
            net.decision_function(X),
        )


def test_object_labels_keep_object_dtype(data):
    _, frame, y_str, _ = data
    model = ParallelPostFit(NeuralClassifier(**FAST)).fit(frame, y_str.astype(object))
    assert model.classes_.dtype == object
    labels = model.predict(_dask_frame(frame))
    computed = labels.compute(scheduler="sync")
    assert labels.dtype == computed.dtype == object
    np.testing.assert_array_equal(computed, model.predict(frame))


def test_empty_partitions_give_empty_results(data, models):
    _, frame, _, _ = data
    ddf = _dask_frame(frame)
    selected = ddf[ddf["a"] > 1.5]  # some partitions are empty
    proba = ParallelPostFit(models["binary"]).predict_proba(selected)
    computed = proba.compute(scheduler="sync")
    expected = models["binary"].predict_proba(frame[frame["a"] > 1.5])
    np.testing.assert_allclose(computed.to_numpy(), expected, rtol=1e-12)
    nothing = ParallelPostFit(models["binary"]).predict(ddf[ddf["a"] > 1e9])
    assert len(nothing.compute(scheduler="sync")) == 0


def test_in_memory_input_goes_straight_to_the_estimator(data, models):
    X, frame, _, _ = data
    model = models["multiclass"]
    wrapper = ParallelPostFit(model)
    for method in ("predict", "predict_proba", "decision_function"):
        np.testing.assert_array_equal(
            getattr(wrapper, method)(frame), getattr(model, method)(frame)
        )
    assert isinstance(ParallelPostFit(models["encoder"]).transform(frame), pd.DataFrame)


def test_fit_clone_and_tags(data):
    X, frame, y_str, _ = data
    wrapper = ParallelPostFit(NeuralClassifier(**FAST))
    assert is_classifier(wrapper) and not is_regressor(wrapper)
    assert is_regressor(ParallelPostFit(NeuralRegressor(**FAST)))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        wrapper.predict(frame)
    assert not hasattr(wrapper, "classes_")
    # fit trains a clone in memory (Dask input is computed first)
    wrapper.fit(_dask_frame(frame), y_str)
    assert not hasattr(wrapper.estimator, "net_")
    np.testing.assert_array_equal(wrapper.classes_, ["bkg", "sig"])
    assert wrapper.n_features_in_ == len(COLUMNS)
    np.testing.assert_array_equal(wrapper.feature_names_in_, COLUMNS)
    np.testing.assert_array_equal(
        wrapper.predict_proba(frame), wrapper.estimator_.predict_proba(frame)
    )
    assert wrapper.score(frame, y_str) == wrapper.estimator_.score(frame, y_str)
    unfitted = clone(wrapper)
    assert not hasattr(unfitted, "estimator_")
    assert unfitted.get_params()["estimator__n_units"] == FAST["n_units"]
    # methods follow the estimator
    assert not hasattr(ParallelPostFit(NeuralRegressor()), "predict_proba")
    assert not hasattr(ParallelPostFit(NeuralClassifier()), "transform")
    assert hasattr(ParallelPostFit(MissingValueEncoder()), "transform")


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros((4, 2, 2)), ValueError, "2-d Dask array"),
        ("series", TypeError, "takes a Dask Array or DataFrame"),
    ],
)
def test_bad_dask_input(data, models, bad, error, match):
    _, frame, _, _ = data
    if isinstance(bad, str):
        bad = _dask_frame(frame)["a"]
    else:
        bad = da.from_array(bad)
    with pytest.raises(error, match=match):
        ParallelPostFit(models["binary"]).predict(bad)


# scikit-learn's conformance checks, on wrapped estimators that fit in
# milliseconds (the networks' own checks are in test_common.py).
@parametrize_with_checks(
    [
        ParallelPostFit(LogisticRegression()),
        ParallelPostFit(Ridge()),
        ParallelPostFit(MissingValueEncoder()),
    ]
)
def test_sklearn_conformance(estimator, check):
    check(estimator)
