"""Export a fitted network (and its preprocessing) to ONNX."""

from __future__ import annotations

import copy
import inspect
import io
import json
import os
import warnings

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..neural_network import NeuralClassifier, NeuralRegressor
from ..preprocessing import GroupScaler, LogShiftTransformer, MissingValueEncoder
from ..preprocessing._log_shift import CLIP_EPSILON, marker_substitute
from ..utils import install_hint

INPUT_NAME = "X"
"""Name of the ONNX graph's input."""

_EXPORTABLE_STEPS = (
    "GroupScaler",
    "LogShiftTransformer",
    "MinMaxScaler",
    "MissingValueEncoder",
    "PCA",
    "StandardScaler",
)


def _f32(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=torch.float32)


def _missing(x: torch.Tensor, missing_values: float) -> torch.Tensor:
    if np.isnan(missing_values):
        return torch.isnan(x)
    return x == float(missing_values)


def _full(n: int, columns, values, default: float) -> torch.Tensor:
    out = np.full(n, default, dtype=np.float64)
    out[np.asarray(columns, dtype=np.intp)] = values
    return _f32(out)


class _Affine(nn.Module):
    """``(x - sub) / div * mul + add``, each part optional; optional clip."""

    def __init__(self, *, sub=None, div=None, mul=None, add=None, clip=None):
        super().__init__()
        for name, value in dict(sub=sub, div=div, mul=mul, add=add).items():
            self.register_buffer(name, None if value is None else _f32(value))
        self.clip = None if clip is None else (float(clip[0]), float(clip[1]))

    def forward(self, x):
        if self.sub is not None:
            x = x - self.sub
        if self.div is not None:
            x = x / self.div
        if self.mul is not None:
            x = x * self.mul
        if self.add is not None:
            x = x + self.add
        if self.clip is not None:
            x = torch.clamp(x, self.clip[0], self.clip[1])
        return x


class _LogShift(nn.Module):
    """:class:`~sknn_hep.preprocessing.LogShiftTransformer` as torch ops.

    As ``transform``: a value at or below the training minimum ``min_``
    (``shift="auto"``) gives the edge value ``log(min_ - shift_)``, computed
    in float64 as there; a result equal to the marker (in float32) becomes
    ``sknn_hep.preprocessing._log_shift.marker_substitute``.
    """

    def __init__(self, step: LogShiftTransformer):
        super().__init__()
        n = int(step.n_features_in_)
        selected = np.zeros(n, dtype=bool)
        selected[step.columns_] = True
        floor = np.asarray(step._floor(), dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            edge = np.where(np.isfinite(floor), np.log(floor - step.shift_), 0.0)
        self.register_buffer("selected", torch.as_tensor(selected))
        self.register_buffer("shift", _full(n, step.columns_, step.shift_, 0.0))
        self.register_buffer("floor", _full(n, step.columns_, floor, -np.inf))
        self.register_buffer("edge", _full(n, step.columns_, edge, 0.0))
        self.missing_values = float(step.missing_values)
        self.clip = bool(step.clip)
        above = marker_substitute(step.missing_values)
        with np.errstate(over="ignore"):
            marker = float(np.float32(self.missing_values))
        self.marker = None if above is None else marker
        self.register_buffer("above", None if above is None else _f32(above))

    def forward(self, x):
        diff = x - self.shift
        if self.clip:
            diff = torch.clamp(diff, min=CLIP_EPSILON)
        out = torch.where(x <= self.floor, self.edge, torch.log(diff))
        if self.marker is not None:
            out = torch.where(out == self.marker, self.above, out)
        use = self.selected & ~_missing(x, self.missing_values)
        return torch.where(use, out, x)


class _MissingEncode(nn.Module):
    """:class:`~sknn_hep.preprocessing.MissingValueEncoder` as torch ops."""

    def __init__(self, step: MissingValueEncoder):
        super().__init__()
        n = int(step.n_features_in_)
        cols = step.columns_
        selected = np.zeros(n, dtype=bool)
        selected[cols] = True
        self.register_buffer("selected", torch.as_tensor(selected))
        self.register_buffer("mean", _full(n, cols, step.mean_, 0.0))
        self.register_buffer("scale", _full(n, cols, step.scale_, 1.0))
        self.register_buffer("fill", _full(n, cols, step.fill_value_, 0.0))
        self.standardize = bool(step.standardize)
        self.missing_values = float(step.missing_values)
        indicators = cols[np.isin(cols, step.missing_features_)]
        self.register_buffer(
            "indicators",
            torch.as_tensor(indicators, dtype=torch.int64)
            if step.add_indicator and indicators.size
            else None,
        )

    def forward(self, x):
        missing = _missing(x, self.missing_values)
        present = (x - self.mean) / self.scale if self.standardize else x
        out = torch.where(
            self.selected & missing,
            self.fill,
            torch.where(self.selected, present, x),
        )
        if self.indicators is None:
            return out
        flags = missing.index_select(1, self.indicators).to(out.dtype)
        return torch.cat([out, flags], dim=1)


def _step_module(step, name: str) -> nn.Module | None:
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return None
    if isinstance(step, Pipeline):
        mods = [_step_module(s, f"{name}/{n}") for n, s in step.steps]
        return nn.Sequential(*[m for m in mods if m is not None])
    check_is_fitted(step)
    kind = type(step)
    if kind is StandardScaler:
        # mean_ is fitted (but not applied) with with_mean=False
        return _Affine(sub=step.mean_ if step.with_mean else None, div=step.scale_)
    if kind is GroupScaler:
        return _Affine(sub=step.mean_, div=step.scale_)
    if kind is MinMaxScaler:
        return _Affine(
            mul=step.scale_,
            add=step.min_,
            clip=step.feature_range if step.clip else None,
        )
    if kind is PCA:
        weight = np.asarray(step.components_, dtype=np.float64)
        bias = -(np.asarray(step.mean_, dtype=np.float64) @ weight.T)
        if step.whiten:
            scale = np.sqrt(step.explained_variance_)
            scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
            weight, bias = weight / scale[:, None], bias / scale
        layer = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(_f32(weight))
            layer.bias.copy_(_f32(bias))
        return layer
    if kind is LogShiftTransformer:
        return _LogShift(step)
    if kind is MissingValueEncoder:
        return _MissingEncode(step)
    raise TypeError(
        f"export_onnx cannot export the Pipeline step {name!r} "
        f"({kind.__name__}): there is no ONNX translation for it. Exportable "
        f"steps: {', '.join(_EXPORTABLE_STEPS)} (and 'passthrough'). Apply that "
        "step to the data before the exported model, or replace it."
    )


class _Network(nn.Module):
    """The estimator's module with its column split and category lookup."""

    def __init__(self, est):
        super().__init__()
        self.module = copy.deepcopy(est.net_.module_).float().cpu().eval()
        cat = np.asarray(est.categorical_indices_, dtype=np.intp)
        num = np.setdiff1d(np.arange(est.n_features_in_), cat)
        self.has_cat = bool(cat.size)
        self.register_buffer("numeric", torch.as_tensor(num, dtype=torch.int64))
        self.categories = nn.ParameterList()
        self.columns = [int(j) for j in cat]
        for cats in est.categories_ if self.has_cat else ():
            self.categories.append(nn.Parameter(_f32(cats), requires_grad=False))
        self.classifier = isinstance(est, NeuralClassifier)
        self.binary = self.classifier and len(est.classes_) == 2

    def _codes(self, x):
        # table row of each code: k + 1 for categories_[k], 0 when unseen
        rows = []
        for j, cats in zip(self.columns, self.categories):
            hits = x[:, j : j + 1] == cats
            index = torch.arange(1, cats.shape[0] + 1, dtype=torch.int64)
            rows.append((hits.to(torch.int64) * index).sum(dim=1, keepdim=True))
        return torch.cat(rows, dim=1)

    def forward(self, x):
        x_cat = self._codes(x) if self.has_cat else None
        x_num = x.index_select(1, self.numeric) if self.has_cat else x
        if not self.classifier:
            return self.module(x_num, x_cat)
        logits = self.module.logits(x_num, x_cat)
        if self.binary:
            p = torch.sigmoid(logits)
            return torch.cat([1.0 - p, p], dim=1), logits
        return torch.softmax(logits, dim=1), logits


class _Graph(nn.Module):
    def __init__(self, steps: list[nn.Module], network: _Network):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.network = network

    def forward(self, x):
        for step in self.steps:
            x = step(x)
        return self.network(x)


def _split_model(model):
    """(preprocessing modules, final estimator, input width, feature names)."""
    if isinstance(model, Pipeline):
        steps = []
        for name, step in model.steps[:-1]:
            module = _step_module(step, name)
            if module is not None:
                steps.append(module)
        final_name, est = model.steps[-1]
        first = next(
            (s for _, s in model.steps if s is not None and s != "passthrough"),
            est,
        )
    else:
        steps, final_name, est, first = [], None, model, model
    if not isinstance(est, (NeuralClassifier, NeuralRegressor)):
        where = f"the final Pipeline step {final_name!r}" if final_name else "model"
        raise TypeError(
            f"export_onnx exports NeuralClassifier and NeuralRegressor (alone or "
            f"as the last step of a Pipeline); {where} is a "
            f"{type(est).__name__}."
        )
    check_is_fitted(est, "net_")
    names = getattr(first, "feature_names_in_", None)
    return steps, est, int(first.n_features_in_), names


def _import_onnx(dynamo: bool):
    try:
        import onnx

        if dynamo:
            import onnxscript  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"sknn_hep.io.export_onnx needs the optional package {exc.name!r}: "
            f"{install_hint('onnx')}"
        ) from exc
    return onnx


def export_onnx(model, path, *, opset_version=None, dynamo=False) -> None:
    """Write a fitted network, with its preprocessing, as an ONNX model.

    The graph contains the network with its built-in input scaling, the
    lookup of categorical codes into the embedding tables, and, for a
    Pipeline, its preprocessing steps as tensor operations. It computes in
    float32 and agrees with ``predict_proba``/``predict`` to about 1e-6.

    Parameters
    ----------
    model : NeuralClassifier, NeuralRegressor or Pipeline
        Fitted. A Pipeline must end in one of the two estimators; its other
        steps must be ``StandardScaler``, ``MinMaxScaler``, ``PCA``,
        ``GroupScaler``, ``LogShiftTransformer``, ``MissingValueEncoder``,
        Pipelines of them, or ``"passthrough"``.
    path : str or os.PathLike
        Output file (``.onnx``).
    opset_version : int or None, default=None
        ONNX opset of the graph; None takes torch's default. Choose what
        the ONNX Runtime of the target (e.g. an experiment's software
        release) supports.
    dynamo : bool, default=False
        ``False`` uses torch's TorchScript-based exporter (fast, about 0.2 s;
        deprecated by torch since 2.9 but present in torch 2.13); ``True``
        uses the ``torch.export``-based exporter (torch >= 2.5, needs
        onnxscript; several seconds). Both give the same inputs and outputs.

    Raises
    ------
    TypeError
        Naming the step, for a Pipeline step without an ONNX translation, or
        for a model that is not one of the two estimators.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ImportError
        If ``onnx`` (or, with ``dynamo=True``, ``onnxscript``) is missing:
        install the extra ``onnx``.

    Notes
    -----
    The graph has one input, ``X``: float32 of shape ``(batch, n_features)``,
    the columns the model was fitted on, in order (categorical columns hold
    their integer codes as floats; a code not seen in fit uses the
    embedding's "unknown" row, as ``predict`` does). ``batch`` is a dynamic
    axis. Outputs, float32, batch first:

    - classifier: ``probabilities`` ``(batch, n_classes)`` in the order of
      ``classes_``, and ``logits``: ``(batch, 1)`` for two classes (the
      ``decision_function``, positive favours ``classes_[1]``), else
      ``(batch, n_classes)``;
    - regressor: ``predictions`` ``(batch, n_outputs)`` in the units of
      ``y`` (also for a 1-d ``y``).

    The model's metadata (``metadata_props``) holds ``classes`` (JSON),
    ``feature_names`` (JSON, when fitted on a DataFrame), ``inputs`` and
    ``outputs`` (descriptions) and the versions of sknn_hep and torch.

    The graph does not validate its input: values that ``transform`` or
    ``predict`` reject (a value at or below a fixed ``LogShiftTransformer``
    shift without ``clip``, negative or fractional category codes, NaN
    where it is not the missing marker) give NaN or the unknown-category
    row instead of an error.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sknn_hep.io import export_onnx
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> clf = NeuralClassifier(n_layers=1, n_units=8, max_epochs=3,
    ...                        random_state=0).fit(X, y)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.onnx")
    >>> export_onnx(clf, path)
    >>> sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> proba, logits = sess.run(None, {"X": X.astype(np.float32)})
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    if dynamo and "dynamo" not in inspect.signature(torch.onnx.export).parameters:
        raise ValueError(
            "The 'dynamo' parameter of export_onnx must be False with torch "
            f"{torch.__version__}: its torch.onnx.export has no dynamo exporter "
            "(torch >= 2.5 has). Got True instead."
        )
    onnx = _import_onnx(dynamo)
    steps, est, n_features, names = _split_model(model)
    graph = _Graph(steps, _Network(est)).eval()
    is_clf = isinstance(est, NeuralClassifier)
    outputs = ["probabilities", "logits"] if is_clf else ["predictions"]
    example = (torch.zeros(2, n_features, dtype=torch.float32),)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX")
        warnings.filterwarnings("ignore", message=".*feature will be removed")
        # shape checks inside rtdl_num_embeddings, constant for the traced net
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        # torch.export's own internals (torch 2.13), not the user's concern
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec")
        if dynamo:
            program = torch.onnx.export(
                graph,
                example,
                input_names=[INPUT_NAME],
                output_names=outputs,
                opset_version=opset_version,
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                dynamo=True,
                verbose=False,
            )
            proto = program.model_proto
        else:
            buffer = io.BytesIO()
            # torch < 2.5 has no 'dynamo' argument (and only this exporter)
            legacy = (
                {"dynamo": False}
                if "dynamo" in inspect.signature(torch.onnx.export).parameters
                else {}
            )
            torch.onnx.export(
                graph,
                example,
                buffer,
                input_names=[INPUT_NAME],
                output_names=outputs,
                opset_version=opset_version,
                dynamic_axes={k: {0: "batch"} for k in [INPUT_NAME, *outputs]},
                **legacy,
            )
            proto = onnx.load_from_string(buffer.getvalue())
    from .. import __version__

    meta = {
        "producer": "sknn_hep",
        "sknn_hep_version": __version__,
        "torch_version": torch.__version__,
        "estimator": type(est).__name__,
        "inputs": f"{INPUT_NAME}: float32 (batch, {n_features})",
        "outputs": (
            f"probabilities: float32 (batch, {len(est.classes_)}); logits: "
            f"float32 (batch, {1 if len(est.classes_) == 2 else len(est.classes_)})"
            if is_clf
            else f"predictions: float32 (batch, {est.n_outputs_})"
        ),
    }
    if is_clf:
        meta["classes"] = json.dumps(np.asarray(est.classes_).tolist())
    if names is not None:
        meta["feature_names"] = json.dumps([str(n) for n in names])
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, os.fspath(path))
