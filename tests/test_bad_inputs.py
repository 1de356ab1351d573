"""The catalogue of bad inputs, tried on every public estimator and transformer.

``CASES`` is the one list: each case says how to spoil a good small dataset,
which estimators it applies to, and the exception type and the message (a
regex naming the problem and, where relevant, the column or parameter) it
must give. Where an input is valid for an estimator (NaN for a transformer
that encodes missing values, one sample for a scaler), the case lists that
estimator as supporting it, and the test checks that it works (finite output
of the right shape) instead. Add a case here, not in another file.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from sknn_hep.ensemble import (
    CrossTrainingClassifier,
    CrossTrainingRegressor,
    SeedEnsemble,
)
from sknn_hep.neural_network import (
    EmbeddingEncoder,
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.preprocessing import (
    EventAligner,
    FourMomentumTransformer,
    GroupScaler,
    LogShiftTransformer,
    MissingValueEncoder,
)

TINY = dict(n_layers=1, n_units=4, batch_size=16, max_epochs=2, random_state=0)
N, COLUMNS = 40, ["pt", "eta", "phi", "njet"]
CAT = 3  # column 3 holds category codes 0, 1, 2


# -- the estimators ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Spec:
    """One public estimator or transformer, as the catalogue sees it."""

    name: str
    make: Callable[..., object]  # kwargs: parameters of the (inner) network
    target: str | None  # None (unsupervised), "class", "regression", "multitask"
    weights: bool = True  # fit takes sample_weight
    nan_ok: bool = False  # NaN in a numeric column is a missing value it handles
    class_weight: str | None = None  # the class_weight parameter's path
    categorical: str | None = None  # the categorical_features parameter's path


def _ensemble(cls, inner, **kw):
    return lambda **params: cls(inner(**TINY, **params), random_state=0, **kw)


SPECS = [
    Spec(
        "NeuralClassifier",
        lambda **kw: NeuralClassifier(**TINY, **kw),
        "class",
        class_weight="class_weight",
        categorical="categorical_features",
    ),
    Spec(
        "NeuralRegressor",
        lambda **kw: NeuralRegressor(**TINY, **kw),
        "regression",
        categorical="categorical_features",
    ),
    Spec(
        "MultiTaskNeuralNet",
        lambda **kw: MultiTaskNeuralNet(**TINY, tasks=["binary", "regression"], **kw),
        "multitask",
        categorical="categorical_features",
    ),
    Spec(
        "CrossTrainingClassifier",
        _ensemble(CrossTrainingClassifier, NeuralClassifier, n_splits=2),
        "class",
        class_weight="class_weight",
        categorical="categorical_features",
    ),
    Spec(
        "CrossTrainingRegressor",
        _ensemble(CrossTrainingRegressor, NeuralRegressor, n_splits=2),
        "regression",
        categorical="categorical_features",
    ),
    Spec(
        "SeedEnsemble_of_NeuralClassifier",
        _ensemble(SeedEnsemble, NeuralClassifier, n_estimators=2),
        "class",
        class_weight="class_weight",
        categorical="categorical_features",
    ),
    Spec(
        "SeedEnsemble_of_NeuralRegressor",
        _ensemble(SeedEnsemble, NeuralRegressor, n_estimators=2),
        "regression",
        categorical="categorical_features",
    ),
    Spec("LogShiftTransformer", lambda: LogShiftTransformer(), None, nan_ok=True),
    Spec(
        "LogShiftTransformer_sentinel",
        lambda **kw: LogShiftTransformer(**{"missing_values": -999.0, **kw}),
        None,
    ),
    Spec("MissingValueEncoder", lambda: MissingValueEncoder(), None, nan_ok=True),
    Spec(
        "MissingValueEncoder_sentinel",
        lambda **kw: MissingValueEncoder(**{"missing_values": -999.0, **kw}),
        None,
    ),
    Spec("GroupScaler", lambda: GroupScaler(groups=[[0, 1]]), None),
    Spec(
        "FourMomentumTransformer",
        lambda **kw: FourMomentumTransformer(
            particles=[[0, 1, 2, 3]], input_format="pt_eta_phi_m", **kw
        ),
        None,
        weights=False,
        nan_ok=True,  # a missing particle: NaN passes to its outputs
    ),
    Spec(
        # categorical by construction (columns=[3]); NaN passes in other columns
        "EmbeddingEncoder",
        lambda: EmbeddingEncoder(
            columns=[CAT], embedding_dim=2, max_epochs=2, random_state=0
        ),
        "class",
        nan_ok=True,
    ),
    Spec(
        # reference φ: column 2 (NaN there: every φ of the event is NaN)
        "EventAligner",
        lambda **kw: EventAligner(
            phi_columns=[0, 2], reference=2, eta_columns=[1], reflect_eta=1, **kw
        ),
        None,
        weights=False,
        nan_ok=True,
    ),
]


# -- the good data and its spoiled versions ----------------------------------
@dataclasses.dataclass
class Inputs:
    X: object
    y: object
    sample_weight: object = None
    params: dict = dataclasses.field(default_factory=dict)  # estimator params
    predict_X: object = None  # set: fit on X, then predict/transform this


def good_inputs(spec: Spec, frame: bool = False) -> Inputs:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 4))
    X[:, 0] = np.abs(X[:, 0]) + 1.0  # pt > 0
    X[:, CAT] = np.arange(N) % 3  # codes (a mass of 0, 1, 2 for FourMomentum)
    y_class = np.arange(N) % 2
    y_reg = rng.normal(size=N)
    y = {
        None: None,
        "class": y_class,
        "regression": y_reg,
        "multitask": np.c_[y_class, y_reg],
    }[spec.target]
    if frame:
        X = pd.DataFrame(X, columns=COLUMNS)
    return Inputs(X=X, y=y)


def _with(X, row, col, value):
    X = X.copy()
    if isinstance(X, pd.DataFrame):
        X.iloc[row, col] = value
    else:
        X[row, col] = value
    return X


def _class_y(spec: Spec, y, values):
    """y with its class labels (column 0 of a multitask y) replaced."""
    y = np.array(y, dtype=float)
    if y.ndim == 2:
        y[:, 0] = values
    else:
        y[:] = values
    return y


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input.

    ``build(spec, good) -> Inputs`` spoils the good inputs; ``applies(spec)``
    says which estimators the case concerns; ``supported(spec)`` those for
    which the input is valid and must work; the others must raise ``error``
    with a message matching ``match``.
    """

    name: str
    build: Callable[[Spec, Inputs], Inputs]
    applies: Callable[[Spec], bool]
    error: type
    match: str
    frame: bool = False
    supported: Callable[[Spec], bool] = lambda spec: False
    # for a supported input, more than a finite output: check(spec, out)
    check: Callable[[Spec, np.ndarray], None] | None = None


def every(spec):
    return True


def supervised(spec):
    return spec.target is not None


def classifier(spec):
    return spec.target in ("class", "multitask")


def weighted(spec):
    return spec.weights


def categorical(spec):
    return spec.categorical is not None or spec.name == "EmbeddingEncoder"


def _cat_params(spec: Spec) -> dict:
    if spec.categorical is None:
        return {}
    return {spec.categorical: [CAT]}


def _bad_code(value, *, at_predict=False):
    def build(spec, d):
        bad = _with(d.X, 4, CAT, value)
        if at_predict:
            return dataclasses.replace(d, params=_cat_params(spec), predict_X=bad)
        return dataclasses.replace(d, X=bad, params=_cat_params(spec))

    return build


def _y_change(fn):
    def build(spec, d):
        return dataclasses.replace(d, y=fn(spec, d.y))

    return build


def _regression(spec):
    return spec.target in ("regression", "multitask")


def _in_target(fn):
    """y with its regression target (column 1 of a multitask y) replaced."""

    def change(spec, y):
        y = np.array(y, dtype=float)
        if y.ndim == 2:
            y[:, 1] = fn(y[:, 1])
        else:
            y[:] = fn(y)
        return y

    return change


def _at_row3(value):
    def fn(spec, y):
        y = np.array(y, dtype=float)
        if y.ndim == 2:  # multitask: the classification column
            y[3, 0] = value
        else:
            y[3] = value
        return y

    return fn


# the networks and EmbeddingEncoder (sknn_hep._validation.check_category_codes):
# "The categorical column 3 of NeuralClassifier must ..."
_CODES = (
    r"categorical column 3 (of \w+ )?must hold "
    r"non-negative integer codes; got "
)
_NEG_CODE = _CODES + "-1"
_FRAC_CODE = _CODES + r"1\.5"
_W_SUM = (
    r"sample_weight passed to \w+\.fit sums to {total}; the weights must sum to "
    r"a positive number|Negative values in data passed to `sample_weight`"
)


def transformer(spec):
    return spec.target is None or spec.name == "EmbeddingEncoder"


# a marker that float32 cannot hold: float32(-999.1) != -999.1
_MARKER = -999.1


def _marker_inputs(spec: Spec, dtype) -> Inputs:
    d = good_inputs(spec)
    X = d.X.copy()
    X[[2, 9, 17], 2] = _MARKER  # missing phi: three events
    return dataclasses.replace(d, X=X.astype(dtype), params={"missing_values": _MARKER})


def _same_as_float64(spec: Spec, out):
    """The float32 data give the float64 data's output: the marker matched."""
    d = _marker_inputs(spec, np.float32)
    X = d.X.astype(np.float64)
    X[d.X == np.float32(_MARKER)] = _MARKER
    ref = _output(_fit(spec.make(**d.params), dataclasses.replace(d, X=X)), X)
    np.testing.assert_allclose(out, np.asarray(ref, dtype=np.float32), rtol=1e-5)


def _float32_overflow(spec, d):
    """Fit on float32 data; a new event at 3e38 in pt (finite in float32)."""
    X = d.X.astype(np.float32)
    return dataclasses.replace(d, X=X, predict_X=_with(X, 4, 0, np.float32(3e38)))


CASES = [
    # -- NaN / inf in X -------------------------------------------------------
    Case(
        "nan_in_X_array",
        lambda s, d: dataclasses.replace(d, X=_with(d.X, 5, 2, np.nan)),
        every,
        ValueError,
        r"Input X contains NaN in column 2: 1 row\(s\), the first at row 5\. \w+",
        supported=lambda s: s.nan_ok,
    ),
    Case(
        "nan_in_X_frame",
        lambda s, d: dataclasses.replace(d, X=_with(d.X, 5, 2, np.nan)),
        every,
        ValueError,
        r"Input X contains NaN in column 'phi' \(index 2\): 1 row\(s\)",
        frame=True,
        supported=lambda s: s.nan_ok,
    ),
    Case(
        "nan_in_X_at_predict",
        lambda s, d: dataclasses.replace(d, predict_X=_with(d.X, 7, 1, np.nan)),
        every,
        ValueError,
        r"Input X contains NaN in column 'eta' \(index 1\): 1 row\(s\), the first "
        r"at row 7",
        frame=True,
        supported=lambda s: s.nan_ok,
    ),
    Case(
        "nan_in_categorical_column",
        lambda s, d: dataclasses.replace(
            d, X=_with(d.X, 4, CAT, np.nan), params=_cat_params(s)
        ),
        categorical,
        ValueError,
        r"Input X contains NaN in column 3|categorical column 3 of "
        r"EmbeddingEncoder holds NaN",
    ),
    Case(
        "inf_in_X_array",
        lambda s, d: dataclasses.replace(d, X=_with(d.X, 5, 2, np.inf)),
        every,
        ValueError,
        r"Input X contains infinity in column 2: 1 row\(s\), the first at row 5\. "
        r"\w+ needs finite values",
    ),
    Case(
        "inf_in_X_frame",
        lambda s, d: dataclasses.replace(d, X=_with(d.X, 6, 1, -np.inf)),
        every,
        ValueError,
        r"Input X contains infinity in column 'eta' \(index 1\)",
        frame=True,
    ),
    Case(
        "inf_in_X_at_predict",
        lambda s, d: dataclasses.replace(d, predict_X=_with(d.X, 2, 0, np.inf)),
        every,
        ValueError,
        r"Input X contains infinity in column 0: 1 row\(s\), the first at row 2",
    ),
    # -- shape and type of X --------------------------------------------------
    Case(
        "wrong_n_features_at_predict",
        lambda s, d: dataclasses.replace(d, predict_X=d.X[:, :3]),
        every,
        ValueError,
        r"X has 3 features, but \w+ is expecting 4 features as input",
    ),
    Case(
        "other_column_names_at_predict",
        lambda s, d: dataclasses.replace(
            d, predict_X=d.X.rename(columns={"phi": "phi_rad"})
        ),
        every,
        ValueError,
        r"The feature names should match those that were passed during fit"
        r"(.|\n)*phi_rad",
        frame=True,
    ),
    Case(
        "string_column_in_frame",
        lambda s, d: dataclasses.replace(
            d, X=d.X.assign(eta=np.where(np.arange(N) % 2, "b-jet", "c-jet"))
        ),
        every,
        ValueError,
        r"\w+ needs numeric inputs, but X column 'eta' \(index 1\) of dtype \w+ "
        r"holds a value that is not a number \(could not convert string to float",
        frame=True,
    ),
    Case(
        "string_in_object_array",
        lambda s, d: dataclasses.replace(d, X=_with(d.X.astype(object), 0, 1, "x")),
        every,
        ValueError,
        r"\w+ needs numeric inputs, but X column 1 of dtype object holds a value "
        r"that is not a number",
    ),
    Case(
        "object_in_object_array",
        lambda s, d: dataclasses.replace(
            d, X=_with(d.X.astype(object), 0, 2, {"pt": 1.0})
        ),
        every,
        TypeError,
        r"\w+ needs numeric inputs, but X column 2 of dtype object .*argument must "
        r"be a string or a real number",
    ),
    Case(
        "empty_X",
        lambda s, d: dataclasses.replace(
            d, X=d.X[:0], y=None if d.y is None else d.y[:0]
        ),
        every,
        ValueError,
        r"Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1",
    ),
    Case(
        "one_sample",
        lambda s, d: dataclasses.replace(
            d, X=d.X[:1], y=None if d.y is None else d.y[:1]
        ),
        every,
        ValueError,
        r"needs at least 2 samples to train a network; got 1 sample|"
        r"n_samples=1 with fold sizes",
        supported=lambda s: not supervised(s),
    ),
    Case(
        "three_dimensional_X",
        lambda s, d: dataclasses.replace(d, X=d.X.reshape(N, 2, 2)),
        every,
        ValueError,
        r"Found array with dim 3, while dim <= 2 is required by \w+",
    ),
    Case(
        "sparse_X",
        lambda s, d: dataclasses.replace(d, X=sp.csr_matrix(d.X)),
        every,
        TypeError,
        r"Sparse data was passed for X, but dense data is required",
    ),
    Case(
        "X_and_y_lengths_differ",
        lambda s, d: dataclasses.replace(d, y=d.y[:30]),
        supervised,
        ValueError,
        r"inconsistent numbers of samples: \[40, 30\]",
    ),
    # -- y --------------------------------------------------------------------
    Case(
        "one_class",
        _y_change(lambda s, y: _class_y(s, y, 1)),
        classifier,
        ValueError,
        r"needs (samples of )?at least 2 classes(.|\n)*only one class: "
        r"1(\.0)?\.",
    ),
    Case(
        "continuous_y_for_classifier",
        _y_change(lambda s, y: _class_y(s, y, np.linspace(0.1, 0.9, N))),
        lambda s: classifier(s) and s.name != "EmbeddingEncoder",
        ValueError,
        r"Unknown label type: continuous|declared 'binary' but has 40 classes",
    ),
    Case(
        "nan_in_y",
        _y_change(_at_row3(np.nan)),
        supervised,
        ValueError,
        r"Input y contains NaN|Classification task 0 \('task_0'\) of "
        r"MultiTaskNeuralNet has missing labels \(NaN",
    ),
    Case(
        "inf_in_y",
        _y_change(_at_row3(np.inf)),
        supervised,
        ValueError,
        r"Input y contains infinity|Task 0 \('task_0'\) of MultiTaskNeuralNet has "
        r"infinite targets in 1 row\(s\), the first at row 3",
    ),
    Case(
        "inf_in_multitask_regression_target",
        _y_change(lambda s, y: np.where(np.arange(N)[:, None] == 9, [0, np.inf], y)),
        lambda s: s.target == "multitask",
        ValueError,
        r"Task 1 \('task_1'\) of MultiTaskNeuralNet has infinite targets in 1 "
        r"row\(s\), the first at row 9",
    ),
    # -- beyond float32 (the networks compute in float32) --------------------
    Case(
        "X_beyond_float32",
        lambda s, d: dataclasses.replace(d, X=_with(d.X, 5, 1, 1e39)),
        every,
        ValueError,
        # (cross-training: the row within a fold's training rows)
        r"Input X contains values beyond the float32 range \(\|x\| > 3\.4e\+38\) in "
        r"column 1: 1 row\(s\), the first at row \d+\. \w+ computes in float32",
        supported=lambda s: s.target is None or s.name == "EmbeddingEncoder",
    ),
    Case(
        "X_beyond_float32_at_predict",
        lambda s, d: dataclasses.replace(d, predict_X=_with(d.X, 7, 1, -1e39)),
        every,
        ValueError,
        r"Input X contains values beyond the float32 range \(\|x\| > 3\.4e\+38\) in "
        r"column 'eta' \(index 1\): 1 row\(s\), the first at row 7",
        frame=True,
        supported=lambda s: s.target is None or s.name == "EmbeddingEncoder",
    ),
    Case(
        "y_beyond_float32",
        _y_change(_in_target(lambda t: np.where(np.arange(N) == 3, 1e39, t))),
        _regression,
        ValueError,
        r"Input y contains values beyond the float32 range .* the first at row \d+\.",
    ),
    Case(
        # cross-sections in cm² (~1e-39): all equal in float32
        "y_spread_below_float32",
        _y_change(_in_target(lambda t: 1e-40 * t)),
        _regression,
        ValueError,
        r"The regression targets of \w+ in (column 0|task 1 \('task_1'\)) vary by "
        r"only [0-9.]+e-40, below the smallest normal float32",
    ),
    # -- sample_weight ----------------------------------------------------------
    Case(
        "sample_weight_wrong_length",
        lambda s, d: dataclasses.replace(d, sample_weight=np.ones(30)),
        weighted,
        ValueError,
        r"sample_weight\.shape == \(30,\), expected \(40,\)",
    ),
    Case(
        "sample_weight_nan",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) == 3, np.nan, 1.0)
        ),
        weighted,
        ValueError,
        r"Input sample_weight contains NaN",
    ),
    Case(
        "sample_weight_inf",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) == 3, np.inf, 1.0)
        ),
        weighted,
        ValueError,
        r"Input sample_weight contains infinity",
    ),
    Case(
        "sample_weight_all_zero",
        lambda s, d: dataclasses.replace(d, sample_weight=np.zeros(N)),
        weighted,
        ValueError,
        r"Sample weights must contain at least one non-zero number",
    ),
    Case(
        "sample_weight_summing_to_zero",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) % 4 < 2, 1.0, -1.0)
        ),
        weighted,
        ValueError,
        _W_SUM.format(total="0"),
    ),
    Case(
        "sample_weight_net_negative",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) % 4 < 2, 1.0, -2.0)
        ),
        weighted,
        ValueError,
        _W_SUM.format(total="-20"),
    ),
    Case(
        # NLO generators: negative-weight events, every class total positive
        "sample_weight_negative_summing_positive",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) % 5 == 0, -0.5, 1.0)
        ),
        weighted,
        ValueError,
        "",
        supported=weighted,
    ),
    Case(
        "sample_weight_class_net_negative",
        lambda s, d: dataclasses.replace(
            d, sample_weight=np.where(np.arange(N) % 4 == 0, -2.0, 1.0)
        ),
        lambda s: weighted(s) and classifier(s),
        ValueError,
        r"The sample_weight passed to \w+\.fit sums to -10 over the "
        r"events of class 0(\.0)?; negative weights are allowed",
    ),
    # -- new events outside the training range --------------------------------
    Case(
        "value_below_training_min_at_predict",
        lambda s, d: dataclasses.replace(d, predict_X=_with(d.X, 3, 1, -40.0)),
        every,
        ValueError,
        "",
        supported=every,
    ),
    Case(
        "missing_marker_not_representable_in_float32",
        lambda s, d: _marker_inputs(s, np.float32),
        lambda s: (
            s.name
            in (
                "LogShiftTransformer_sentinel",
                "MissingValueEncoder_sentinel",
                "FourMomentumTransformer",
                "EventAligner",
            )
        ),
        ValueError,
        "",
        supported=every,
        check=_same_as_float64,
    ),
    Case(
        "float32_output_overflow_at_predict",
        _float32_overflow,
        lambda s: (
            s.name
            in (
                "LogShiftTransformer",
                "MissingValueEncoder",
                "MissingValueEncoder_sentinel",
                "GroupScaler",
            )
        ),
        ValueError,
        r"\w+\.transform gives a value beyond the float32 range \(\|x\| > "
        r"3\.4e\+38\) in column 0: 1 row\(s\), the first at row 4\. The "
        r"output keeps the input's dtype, float32",
        supported=lambda s: s.name == "LogShiftTransformer",
    ),
    # -- parameters that name classes or columns ------------------------------
    Case(
        "class_weight_unknown_class",
        lambda s, d: dataclasses.replace(d, params={s.class_weight: {0: 1.0, 5: 2.0}}),
        lambda s: s.class_weight is not None,
        ValueError,
        r"The 'class_weight' parameter of NeuralClassifier names classes \[5\] "
        r"that are not in the data; the classes are \[0, 1\]",
    ),
    Case(
        "categorical_code_negative",
        _bad_code(-1.0),
        categorical,
        ValueError,
        _NEG_CODE,
    ),
    Case(
        "categorical_code_fractional",
        _bad_code(1.5),
        categorical,
        ValueError,
        _FRAC_CODE,
    ),
    Case(
        "categorical_code_negative_at_predict",
        _bad_code(-1.0, at_predict=True),
        categorical,
        ValueError,
        _NEG_CODE,
    ),
    Case(
        "categorical_code_fractional_at_predict",
        _bad_code(1.5, at_predict=True),
        categorical,
        ValueError,
        _FRAC_CODE,
    ),
]


def _pairs():
    pairs = []
    for case in CASES:
        for spec in SPECS:
            if case.applies(spec):
                pairs.append(pytest.param(case, spec, id=f"{case.name}-{spec.name}"))
    return pairs


PAIRS = _pairs()
N_ERROR_PAIRS = sum(not p.values[0].supported(p.values[1]) for p in PAIRS)
N_SUPPORTED_PAIRS = len(PAIRS) - N_ERROR_PAIRS


# -- running a case ----------------------------------------------------------
def _fit(est, d: Inputs):
    kwargs = {} if d.sample_weight is None else {"sample_weight": d.sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny trainings: convergence etc.
        return est.fit(d.X, d.y, **kwargs)


def _output(est, X):
    method = est.predict if hasattr(est, "predict") else est.transform
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return method(X)


_FITTED: dict = {}


def _fitted(spec: Spec, frame: bool, params: dict):
    """A fitted estimator on the good data, shared by the predict-time cases."""
    key = (spec.name, frame, repr(sorted(params.items())))
    if key not in _FITTED:
        _FITTED[key] = _fit(spec.make(**params), good_inputs(spec, frame))
    return _FITTED[key]


def _run(case: Case, spec: Spec):
    d = case.build(spec, good_inputs(spec, case.frame))
    if d.predict_X is not None:
        est = _fitted(spec, case.frame, d.params)
        return _output(est, d.predict_X), d.predict_X
    est = _fit(spec.make(**d.params), d)
    return _output(est, d.X), d.X


@pytest.mark.parametrize(("case", "spec"), PAIRS)
def test_bad_input(case, spec):
    if case.supported(spec):
        out, X = _run(case, spec)
        out = np.asarray(out, dtype=float)
        assert out.shape[0] == X.shape[0]
        # a valid NaN is a missing value: it may pass to the output, but the
        # output of every fully finite row is finite
        rows = np.isfinite(np.asarray(X, dtype=float)).all(axis=1)
        assert np.isfinite(out[rows]).all()
        if case.check is not None:
            case.check(spec, out)
        return
    with pytest.raises(case.error, match=case.match):
        _run(case, spec)


def test_catalogue_size():
    """The number of (case, estimator) pairs; the report quotes it."""
    print(
        f"\n{len(CASES)} cases x {len(SPECS)} estimators: {len(PAIRS)} pairs "
        f"({N_ERROR_PAIRS} must raise, {N_SUPPORTED_PAIRS} must work)"
    )
    assert {p.values[1].name for p in PAIRS} == {s.name for s in SPECS}
    assert {p.values[0].name for p in PAIRS} == {c.name for c in CASES}
    # every case names the estimators it covers, and every estimator meets
    # at least the cases that apply to all
    assert len(PAIRS) >= len(CASES) + len(SPECS)
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_every_public_estimator_is_in_the_catalogue():
    import sknn_hep.ensemble
    import sknn_hep.neural_network
    import sknn_hep.preprocessing

    public = {
        name
        for module in (
            sknn_hep.ensemble,
            sknn_hep.neural_network,
            sknn_hep.preprocessing,
        )
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), BaseEstimator)
    }
    covered = {type(s.make()).__name__ for s in SPECS}
    assert public == covered


def test_ensemble_refuses_nan_only_where_its_member_does():
    """A Pipeline member that encodes NaN gets NaN through the ensemble."""
    from sklearn.pipeline import make_pipeline

    d = good_inputs(SPECS[0])
    X = _with(d.X, 5, 2, np.nan)
    pipe = make_pipeline(MissingValueEncoder(), NeuralClassifier(**TINY))
    ens = CrossTrainingClassifier(pipe, n_splits=2, random_state=0)
    proba = _fit(ens, dataclasses.replace(d, X=X)).predict_proba(X)
    assert np.isfinite(proba).all()


def test_cross_training_event_number_column_may_be_nan_at_predict():
    """NaN in the event-number column means "unknown": the ensemble average.
    NaN elsewhere is refused, naming the column."""
    d = good_inputs(SPECS[3], frame=True)
    X = d.X.assign(event=np.arange(N) // 2)  # both classes in each fold
    ct = _fit(
        CrossTrainingClassifier(
            NeuralClassifier(**TINY), n_splits=2, event_number="event"
        ),
        dataclasses.replace(d, X=X),
    )
    new = X.assign(event=np.where(np.arange(N) == 3, np.nan, X["event"]))
    assert np.isfinite(ct.predict_proba(new)).all()
    with pytest.raises(ValueError, match=r"NaN in column 'phi' \(index 2\)"):
        ct.predict_proba(_with(new, 5, 2, np.nan))


# -- damaged model files (pickle / joblib) -----------------------------------
# sknn_hep.io's own files: tests/test_io.py (truncated, flipped bytes, edited
# header, other files); the version warning: tests/test_persistence.py and
# tests/test_io.py.
@pytest.fixture(scope="module")
def fitted_net():
    d = good_inputs(SPECS[0])
    return _fit(NeuralClassifier(**TINY), d), d.X


def _dumps(model, how: str) -> bytes:
    import io

    import joblib

    if how == "pickle":
        return pickle.dumps(model)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def _loads(raw: bytes, how: str):
    import io

    import joblib

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either: an error or nothing
        return pickle.loads(raw) if how == "pickle" else joblib.load(io.BytesIO(raw))


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_truncated_model_file_raises_pickles_error(fitted_net, how):
    """Cut anywhere: an error of the unpickler itself, never one from torch.

    pickle's C unpickler always says 'truncated'; joblib's pure-Python
    unpickler mostly says 'exhausted before end of frame' and, for a cut
    inside an opcode's argument, raises EOFError, IndexError or struct.error
    from pickle.py (before any sknn_hep, skorch or torch code runs; joblib.load
    is not sknn_hep's to wrap: sknn_hep.io.load reports every cut clearly).
    """
    import struct
    import traceback

    raw = _dumps(fitted_net[0], how)
    for cut in np.linspace(0, len(raw) - 1, 40).astype(int):
        with pytest.raises(
            (EOFError, pickle.UnpicklingError, IndexError, struct.error)
        ) as info:
            _loads(raw[:cut], how)
        if how == "pickle":
            assert isinstance(info.value, (EOFError, pickle.UnpicklingError))
            assert re.search(r"^$|Ran out of input|truncated", str(info.value))
        frames = traceback.extract_tb(info.value.__traceback__)
        assert not any(
            part in frame.filename
            for frame in frames
            for part in ("torch", "skorch", "sknn_hep")
        ), frames[-1]


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_damaged_network_bytes_raise_a_clear_value_error(fitted_net, how, monkeypatch):
    """A changed byte in the network's part: a ValueError naming net_.

    Without the checksum, such a file failed inside skorch/torch
    (UnicodeDecodeError, 'storage has wrong byte size', 'Invalid magic
    number') or, for a changed weight, loaded and predicted other values.
    """
    model, X = fitted_net
    raw, payloads = _dumps_recording_payloads(model, how, monkeypatch)
    (payload,) = payloads
    start = raw.find(payload)
    assert start > 0 and len(payload) > len(raw) // 2  # most of the file
    positions = np.random.default_rng(0).integers(0, len(payload), 60)
    for pos in [0, len(payload) - 1, *positions]:
        damaged = bytearray(raw)
        damaged[start + pos] ^= 0x5A
        with pytest.raises(
            ValueError,
            match=r"The saved network \(net_\) of NeuralClassifier is corrupted: its "
            r"bytes do not match the checksum",
        ):
            _loads(bytes(damaged), how)
    # the intact file predicts exactly as the model
    np.testing.assert_array_equal(
        _loads(raw, how).predict_proba(X), model.predict_proba(X)
    )


def _dumps_recording_payloads(model, how, monkeypatch):
    """The file, and the network payloads written into it."""
    from sknn_hep import _versions

    payloads = []
    init = _versions._NetPayload.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        payloads.append(self.payload)

    monkeypatch.setattr(_versions._NetPayload, "__init__", recording_init)
    return _dumps(model, how), payloads


def test_damaged_member_of_an_ensemble_is_named(monkeypatch):
    d = good_inputs(SPECS[0])
    ens = _fit(SeedEnsemble(NeuralClassifier(**TINY), n_estimators=2), d)
    raw, payloads = _dumps_recording_payloads(ens, "joblib", monkeypatch)
    assert len(payloads) == 2
    start = raw.find(payloads[1])
    assert start > 0
    damaged = bytearray(raw)
    damaged[start + len(payloads[1]) // 2] ^= 0x01  # one bit
    with pytest.raises(ValueError, match=r"net_\) of NeuralClassifier is corrupted"):
        _loads(bytes(damaged), "joblib")


def test_intact_but_unreadable_network_names_skorch_and_torch():
    import zlib

    from sknn_hep._versions import _restore_net

    junk = b"\x80\x05not a pickled network"
    with pytest.raises(
        ValueError,
        match=r"net_\) of NeuralRegressor could not be restored by skorch/torch "
        r"\(UnpicklingError: .*\)\. The file is intact",
    ):
        _restore_net(junk, zlib.crc32(junk), "NeuralRegressor")
