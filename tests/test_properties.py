"""Property-based tests: random finite arrays through every transformer and a
tiny network either work (finite output of the right shape) or raise one of
the documented errors (ValueError or TypeError with a message); no other
exception type escapes.

The arrays have 1-50 rows, 1-6 columns, dtype float32, float64, int32 or
int64, and finite values in [-1e6, 1e6] (ints as drawn, floats also tiny and
subnormal ones). Each transformer is configured so that it applies to any
number of columns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sknn_hep.neural_network import (
    EmbeddingEncoder,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.preprocessing import (
    FourMomentumTransformer,
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
)

DTYPES = [np.float32, np.float64, np.int32, np.int64]
BOUND = 1e6
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples in every run: no flaky CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def finite_arrays(draw, min_rows=1):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = (draw(st.integers(min_rows, 50)), draw(st.integers(1, 6)))
    if dtype.kind == "f":
        elements = st.floats(
            -BOUND,
            BOUND,
            allow_nan=False,
            allow_infinity=False,
            width=8 * dtype.itemsize,
        )
    else:
        elements = st.integers(-int(BOUND), int(BOUND))
    return draw(arrays(dtype, shape, elements=elements))


def _four_momentum(n_features):
    # one particle read from columns 0..3 (mod n_features): any width fits;
    # the signed mass keeps space-like vectors finite
    return FourMomentumTransformer(
        particles=[[j % n_features for j in range(4)]],
        input_format="e_px_py_pz",
        output_format="pt_eta_phi_m",
        negative_mass="signed",
    )


TRANSFORMERS = {
    "LogShiftTransformer": lambda n: LogShiftTransformer(),
    "LogShiftTransformer_offset": lambda n: LogShiftTransformer(offset=0.5),
    "MissingValueEncoder": lambda n: MissingValueEncoder(),
    "MissingValueEncoder_sentinel": lambda n: MissingValueEncoder(
        missing_values=-999.0, add_indicator=True
    ),
    "GroupScaler": lambda n: GroupScaler(groups=[[0, -1]]),
    "GroupScaler_passthrough": lambda n: GroupScaler(
        groups=[[-1]], with_mean=False, remainder="passthrough"
    ),
    "FourMomentumTransformer": _four_momentum,
}


def _documented(exc: BaseException) -> None:
    """A documented error: ValueError or TypeError with a message."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    assert str(exc).strip(), f"{type(exc).__name__} without a message"


def _attempt(fn):
    """``fn()``'s result, or None after checking the error is a documented one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the property is about the type
            _documented(exc)
            return None


def _defined_rows(name, X):
    """Rows whose output must be finite (FourMomentum: NaN is documented for
    a particle with pT = 0, i.e. padding or along the beam axis)."""
    if name != "FourMomentumTransformer":
        return np.ones(len(X), dtype=bool)
    n = X.shape[1]
    px, py = X[:, 1 % n].astype(np.float64), X[:, 2 % n].astype(np.float64)
    return np.hypot(px, py) > 0


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
@SETTINGS
@given(X=finite_arrays())
def test_transformer_works_or_raises_a_documented_error(name, X):
    transformer = TRANSFORMERS[name](X.shape[1])
    out = _attempt(lambda: transformer.fit_transform(X))
    if out is None:
        return
    out = np.asarray(out)
    assert out.ndim == 2 and out.shape[0] == X.shape[0]
    assert out.shape[1] == len(transformer.get_feature_names_out())
    rows = _defined_rows(name, X)
    assert np.isfinite(out[rows]).all(), (X[rows], out[rows])
    # transform of the training data repeats fit_transform
    again = _attempt(lambda: transformer.transform(X))
    assert again is not None
    np.testing.assert_array_equal(np.isfinite(again), np.isfinite(out))


@pytest.mark.parametrize(
    "name", ["GroupScaler", "MissingValueEncoder", "LogShiftTransformer"]
)
@SETTINGS
@given(X=finite_arrays().filter(lambda a: a.dtype.kind == "f"))
def test_inverse_transform_round_trip(name, X):
    transformer = TRANSFORMERS[name](X.shape[1])
    out = _attempt(lambda: transformer.fit_transform(X))
    if out is None:
        return
    back = _attempt(lambda: transformer.inverse_transform(out))
    assert back is not None
    assert back.shape == X.shape
    # log/exp, divisions: a relative error of a few float eps of the data's
    # dtype, measured against the column's range
    eps = np.finfo(X.dtype).eps
    scale = np.abs(X).max(axis=0) + np.ptp(X, axis=0) + 1.0
    assert np.all(np.abs(back - X) <= 64 * eps * scale), (X, back)


@st.composite
def labelled(draw, *, classes):
    X = draw(finite_arrays())
    if classes:
        y = draw(arrays(np.int64, len(X), elements=st.integers(0, 2)))
    else:
        y = draw(
            arrays(np.float64, len(X), elements=st.floats(-BOUND, BOUND, width=32))
        )
    return X, y


TINY = dict(n_layers=1, n_units=4, batch_size=16, max_epochs=1, random_state=0)


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor])
@SETTINGS
@given(data=st.data())
def test_tiny_network_works_or_raises_a_documented_error(cls, data):
    X, y = data.draw(labelled(classes=cls is NeuralClassifier))
    net = cls(**TINY)
    fitted = _attempt(lambda: net.fit(X, y))
    if fitted is None:
        return
    pred = _attempt(lambda: net.predict(X))
    assert pred is not None and pred.shape == (len(X),)
    if cls is NeuralClassifier:
        proba = net.predict_proba(X)
        assert proba.shape == (len(X), len(net.classes_))
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        assert set(np.unique(pred)) <= set(net.classes_)
    else:
        assert np.isfinite(pred).all()


@SETTINGS
@given(data=st.data())
def test_embedding_encoder_works_or_raises_a_documented_error(data):
    X, y = data.draw(labelled(classes=True))
    encoder = EmbeddingEncoder(columns=[0], embedding_dim=2, max_epochs=1)
    out = _attempt(lambda: encoder.fit_transform(X, y))
    if out is None:
        return
    assert out.shape == (len(X), X.shape[1] - 1 + 2)
    assert np.isfinite(out).all()


# -- examples hypothesis found (fixed): kept as plain regression tests --------
def test_network_trains_on_a_column_whose_spread_is_subnormal():
    # std 9e-45: its inverse overflowed float32 and the loss became NaN
    X = np.array([[0.0], [1.8e-44]], dtype=np.float32)
    for net, y in [
        (NeuralClassifier(**TINY), np.array([0, 1])),
        (NeuralRegressor(**TINY), np.array([0.0, 1.0])),
    ]:
        out = net.fit(X, y).predict(X)
        assert np.isfinite(np.asarray(out, dtype=float)).all()


def test_four_momentum_eta_finite_for_a_subnormal_pt():
    # pz / pT overflowed to inf, so eta was inf
    X = np.array([[1.0, 2.2e-311, 2.2e-311, 1.0]])
    out = _four_momentum(4).fit_transform(X)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0, 1], np.log(2.0) - np.log(np.hypot(*X[0, 1:3])))
