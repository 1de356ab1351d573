"""MultiTaskNeuralNet: one shared body, one head per task."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import MultiOutputMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
)

from .._validation import weighted_mean_std
from ..nn.losses import REGRESSION_LOSSES, TASK_KINDS, MultiTaskLoss
from ..utils import check_event_weights, validate_inputs
from ._base import BaseNeuralEstimator
from ._docs import (
    ARCHITECTURE,
    ATTRIBUTES,
    INPUTS,
    OPTIMISATION,
    REGULARISATION,
    TRAINING,
    WEIGHTS_NOTES,
)
from ._inputs import check_target_spread

# What the target tensor holds where a regression target is missing. The loss
# replaces masked targets by the prediction, so this value cannot matter
# (tests/test_multitask.py sets it to 1e30 and gets the same model).
_MASKED_FILL = 0.0


def _has_classification(est) -> bool:
    kinds = getattr(est, "tasks_", None)
    if kinds is None:
        return True  # not fitted: let predict_proba raise NotFittedError
    return any(k != "regression" for k in kinds)


class MultiTaskNeuralNet(MultiOutputMixin, BaseNeuralEstimator):
    _parameter_constraints = {
        **BaseNeuralEstimator._parameter_constraints,
        "tasks": [StrOptions({"auto"}), list, tuple],
        "task_weights": [list, tuple, np.ndarray, None],
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }
    _is_classifier_like = False
    _multi_output_y = True

    def __init__(
        self,
        *,
        tasks="auto",
        task_weights=None,
        n_layers=3,
        n_units=128,
        hidden_layer_sizes=None,
        activation="relu",
        block="plain",
        batch_norm=False,
        dropout=0.0,
        input_scaling="robust",
        missing_values=None,
        num_embedding="periodic",
        num_embedding_dim=8,
        initializer="auto",
        optimizer="adamw",
        lr=1e-3,
        momentum=0.9,
        lr_schedule=None,
        lr_decay=0.5,
        lr_step=10,
        lr_patience=5,
        l1=0.0,
        l2=0.0,
        weight_decay=0.01,
        gradient_penalty=0.0,
        noise_std=0.0,
        batch_size=256,
        max_epochs=100,
        early_stopping="auto",
        validation_fraction=0.1,
        patience=6,
        tol=1e-4,
        restore_best_weights=True,
        scoring=None,
        random_state=None,
        device="cpu",
        n_threads="auto",
        verbose=0,
        warm_start=False,
        inference_dtype="float64",
        log_dir=None,
        mlflow_experiment=None,
        callbacks=None,
        diagnostics=False,
        on_divergence="raise",
        checkpoint_dir=None,
        resume=False,
        categorical_features=None,
        embedding_dim="auto",
        loss="mse",
    ):
        self.tasks = tasks
        self.task_weights = task_weights
        self.n_layers = n_layers
        self.n_units = n_units
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.block = block
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.input_scaling = input_scaling
        self.missing_values = missing_values
        self.num_embedding = num_embedding
        self.num_embedding_dim = num_embedding_dim
        self.initializer = initializer
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.lr_schedule = lr_schedule
        self.lr_decay = lr_decay
        self.lr_step = lr_step
        self.lr_patience = lr_patience
        self.l1 = l1
        self.l2 = l2
        self.weight_decay = weight_decay
        self.gradient_penalty = gradient_penalty
        self.noise_std = noise_std
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.restore_best_weights = restore_best_weights
        self.scoring = scoring
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose
        self.warm_start = warm_start
        self.inference_dtype = inference_dtype
        self.log_dir = log_dir
        self.mlflow_experiment = mlflow_experiment
        self.callbacks = callbacks
        self.diagnostics = diagnostics
        self.on_divergence = on_divergence
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.categorical_features = categorical_features
        self.embedding_dim = embedding_dim
        self.loss = loss

    # -- targets -------------------------------------------------------------
    def _validate_Xy(self, X, y, *, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        names = None
        if hasattr(y, "columns"):
            names = [str(c) for c in y.columns]
        elif getattr(y, "name", None) is not None:  # pandas Series
            names = [str(y.name)]
        y_arr = np.asarray(y)
        if y_arr.ndim == 1:
            y_arr = y_arr.reshape(-1, 1)
        if y_arr.ndim != 2 or y_arr.shape[1] == 0:
            raise ValueError(
                f"y of {type(self).__name__} must be 2-D with one column per task; "
                f"got shape {np.shape(y)}."
            )
        X = validate_inputs(self, X, reset=reset, dtype=[np.float64, np.float32])
        check_consistent_length(X, y_arr)
        if y_arr.dtype.kind == "f" and np.isinf(y_arr).any():
            rows, cols = np.nonzero(np.isinf(y_arr))
            j = int(cols[0])
            task = names[j] if names is not None else f"task_{j}"
            raise ValueError(
                f"Task {j} ({task!r}) of {type(self).__name__} has infinite targets "
                f"in {int(np.sum(cols == j))} row(s), the first at row "
                f"{int(rows[0])}; use NaN for rows without a regression target (a "
                "classification task needs a finite label in every row)."
            )
        self._y_names = names
        return X, y_arr

    def _task_kinds(self, y: np.ndarray) -> list[str]:
        n_tasks = y.shape[1]
        name = type(self).__name__
        if isinstance(self.tasks, str):  # "auto"
            kinds = []
            for j in range(n_tasks):
                col = _present(y[:, j])
                kind = type_of_target(col) if col.size else "continuous"
                kinds.append(kind if kind in ("binary", "multiclass") else "regression")
            return kinds
        kinds = list(self.tasks)
        bad = [k for k in kinds if k not in TASK_KINDS]
        if bad or len(kinds) != n_tasks:
            raise ValueError(
                f"The 'tasks' parameter of {name} must be 'auto' or a list with one "
                f"of {list(TASK_KINDS)} per column of y ({n_tasks} columns). Got "
                f"{self.tasks!r} instead."
            )
        return kinds

    def _check_task_weights(self, n_tasks: int) -> np.ndarray:
        if self.task_weights is None:
            return np.ones(n_tasks)
        lam = np.asarray(self.task_weights, dtype=object)
        ok = (
            lam.ndim == 1
            and len(lam) == n_tasks
            and all(
                isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v)
                for v in lam
            )
        )
        if ok:
            lam = lam.astype(np.float64)
            ok = bool(np.all(lam >= 0) and lam.sum() > 0)
        if not ok:
            raise ValueError(
                f"The 'task_weights' parameter of {type(self).__name__} must be None "
                f"or {n_tasks} finite non-negative numbers (one λ per task, not all "
                f"0). Got {self.task_weights!r} instead."
            )
        return lam

    def _prepare_targets(self, y, *, first, classes, sample_weight):
        name = type(self).__name__
        n_tasks = y.shape[1]
        if first:
            kinds = self._task_kinds(y)
            self.n_tasks_ = n_tasks
            self.tasks_ = kinds
            self.task_names_ = (
                self._y_names
                if self._y_names is not None
                else [f"task_{j}" for j in range(n_tasks)]
            )
        elif n_tasks != self.n_tasks_:
            raise ValueError(
                f"y has {n_tasks} columns, but {name} was trained with "
                f"{self.n_tasks_} tasks."
            )
        self._lambdas = self._check_task_weights(n_tasks)
        if sample_weight is not None:
            # the negative-weight policy, per class of each classification task
            for j, kind in enumerate(self.tasks_):
                if kind != "regression":
                    check_event_weights(
                        sample_weight, y, owner=f"{name}.fit", y=y[:, j]
                    )
        y_model = np.empty(y.shape, dtype=np.float64)
        task_classes = []
        for j, kind in enumerate(self.tasks_):
            label = self._task_label(j)
            col = _natural(y[:, j])
            if kind == "regression":
                try:
                    values = col.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"Regression task {label} of {name} needs numeric targets: "
                        f"{exc}"
                    ) from exc
                if np.isinf(values).any():
                    raise ValueError(
                        f"Regression task {label} of {name} has infinite targets; use "
                        "NaN for rows without a target."
                    )
                if np.isnan(values).all():
                    raise ValueError(
                        f"Regression task {label} of {name} has no target in any row "
                        "(all NaN)."
                    )
                y_model[:, j] = values
                task_classes.append(None)
                continue
            if _missing(col).any():
                raise ValueError(
                    f"Classification task {label} of {name} has missing labels (NaN "
                    "or None); every row needs a label for a classification task "
                    "(only regression targets may be NaN)."
                )
            if first:
                labels = np.unique(col)
                if len(labels) < 2:
                    raise ValueError(
                        f"Classification task {label} of {name} needs at least 2 "
                        "classes, but the data contains only one class: "
                        f"{np.asarray(labels[0]).tolist()!r}."
                    )
                if kind == "binary" and len(labels) > 2:
                    raise ValueError(
                        f"Task {label} of {name} is declared 'binary' but has "
                        f"{len(labels)} classes; declare it 'multiclass'."
                    )
            else:
                labels = self.task_classes_[j]
                unseen = np.setdiff1d(col, labels)
                if unseen.size:
                    raise ValueError(
                        f"Task {label} of {name} holds labels {list(unseen)!r} "
                        f"not in its classes {list(labels)!r}."
                    )
            task_classes.append(labels)
            y_model[:, j] = np.searchsorted(labels, col)
        if first:
            self.task_classes_ = task_classes
        widths = [
            len(c) if k == "multiclass" else 1
            for k, c in zip(self.tasks_, self.task_classes_)
        ]
        self._widths = widths
        return y_model, int(sum(widths))

    def _task_label(self, j: int) -> str:
        names = getattr(self, "task_names_", None)
        return f"{j} ({names[j]!r})" if names is not None else str(j)

    def _class_sample_weight(self, y_model, sample_weight):
        return None

    def _stratify_labels(self, y_model):
        for j, kind in enumerate(self.tasks_):
            if kind != "regression":
                return y_model[:, j].astype(np.int64)
        return None

    def _output_scaling(self, y_model, weights):
        # Regression tasks are standardised over the rows that have a target;
        # the task factors make each task's loss its weighted mean over them.
        w = np.ones(len(y_model)) if weights is None else np.asarray(weights)
        mean_w = float(np.mean(w))
        means, scales, factors = [], [], []
        for j, kind in enumerate(self.tasks_):
            has = ~np.isnan(y_model[:, j])
            if kind == "regression":
                if not has.any():
                    raise ValueError(
                        f"Regression task {self._task_label(j)} of "
                        f"{type(self).__name__} has no target in the training rows."
                    )
                check_target_spread(
                    y_model[has, j],
                    owner=type(self).__name__,
                    label=lambda _, j=j: f"task {self._task_label(j)}",
                )
                m, s = weighted_mean_std(y_model[has, j : j + 1], w[has])
                s = np.where(s > 0, s, 1.0)
                means.append(float(m[0]))
                scales.append(float(s[0]))
            else:
                means.extend([0.0] * self._widths[j])
                scales.extend([1.0] * self._widths[j])
            task_mean_w = float(np.mean(w * has))
            if not task_mean_w > 0:
                raise ValueError(
                    f"Task {self._task_label(j)} of {type(self).__name__} has rows "
                    "with targets whose sample weights sum to zero or less in the "
                    "training rows."
                )
            factors.append(float(self._lambdas[j]) * mean_w / task_mean_w)
        self._out_mean = np.asarray(means)
        self._out_scale = np.asarray(scales)
        self._factors = factors
        if "regression" not in self.tasks_:
            return None, None
        return self._out_mean, self._out_scale

    def _make_criterion(self):
        return MultiTaskLoss(
            kinds=self.tasks_,
            widths=self._widths,
            factors=self._factors,
            regression_loss=self.loss,
        )

    def _module_kwargs(self) -> dict:
        return {"head_sizes": list(self._widths)}

    def _training_targets(self, y_rows):
        n_tasks = self.n_tasks_
        out = np.empty((len(y_rows), 2 * n_tasks), dtype=np.float32)
        col = 0
        for j, kind in enumerate(self.tasks_):
            values = y_rows[:, j]
            has = ~np.isnan(values)
            if kind == "regression":
                values = (values - self._out_mean[col]) / self._out_scale[col]
                values = np.where(has, values, _MASKED_FILL)
            out[:, j] = values
            out[:, n_tasks + j] = has
            col += self._widths[j]
        return out

    # -- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_mask=None):
        """Train the shared body and all heads together.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; categorical columns hold integer codes.
        y : array-like or DataFrame of shape (n_samples, n_tasks)
            One column per task. NaN in a regression column means "no target
            for this row": the row still trains the other tasks.
        sample_weight : array-like of shape (n_samples,) or None
            Per-event weights, applied to every task.
        validation_mask : array-like of bool of shape (n_samples,) or None
            Rows to hold out as the validation set instead of a random
            ``validation_fraction`` split.

        Returns
        -------
        self : MultiTaskNeuralNet
        """
        return self._fit(X, y, sample_weight, validation_mask=validation_mask)

    def _outputs(self, X) -> list[np.ndarray]:
        out = self._network_output(X, logits=False)
        parts, start = [], 0
        for width in self._widths:
            parts.append(out[:, start : start + width])
            start += width
        return parts

    def predict(self, X):
        """One column per task: class labels, or values in the units of y.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_tasks)
            float64 when every label is numeric, else object.
        """
        check_is_fitted(self, "net_")
        columns = []
        for kind, classes, out in zip(
            self.tasks_, self.task_classes_, self._outputs(X)
        ):
            if kind == "regression":
                columns.append(out[:, 0])
            elif kind == "binary":
                columns.append(classes[(out[:, 0] > 0).astype(np.intp)])
            else:
                columns.append(classes[np.argmax(out, axis=1)])
        numeric = all(np.asarray(c).dtype.kind in "biuf" for c in columns)
        result = np.empty(
            (len(columns[0]), len(columns)), dtype=np.float64 if numeric else object
        )
        for j, c in enumerate(columns):
            result[:, j] = c
        return result

    @available_if(_has_classification)
    def predict_proba(self, X):
        """Class probabilities of the classification task(s).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of such
            One array when there is one classification task, else a list with
            one array per classification task in the order of ``tasks_``
            (scikit-learn's convention for multi-output classifiers).
        """
        from scipy.special import expit, softmax

        check_is_fitted(self, "net_")
        probas = []
        for kind, out in zip(self.tasks_, self._outputs(X)):
            if kind == "binary":
                p = expit(out[:, 0])
                probas.append(np.column_stack([1.0 - p, p]))
            elif kind == "multiclass":
                probas.append(softmax(out, axis=1))
        return probas[0] if len(probas) == 1 else probas

    def score(self, X, y, sample_weight=None):
        """Mean over the tasks of accuracy (classification) and R² (regression).

        R² of a regression task is computed over the rows with a target
        (non-NaN). For one task's score, or another metric, use
        :func:`sknn_hep.metrics.task_scorer`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "net_")
        y = np.asarray(y)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        pred = self.predict(X)
        w = None if sample_weight is None else np.asarray(sample_weight, float)
        scores = []
        for j, kind in enumerate(self.tasks_):
            if kind == "regression":
                true = y[:, j].astype(np.float64)
                has = ~np.isnan(true)
                scores.append(
                    r2_score(
                        true[has],
                        pred[has, j].astype(np.float64),
                        sample_weight=None if w is None else w[has],
                    )
                )
            else:
                scores.append(
                    accuracy_score(
                        _natural(y[:, j]), _natural(pred[:, j]), sample_weight=w
                    )
                )
        return float(np.mean(scores))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


def _missing(col: np.ndarray) -> np.ndarray:
    if col.dtype.kind == "f":
        return np.isnan(col)
    if col.dtype.kind == "O":
        return np.array(
            [v is None or (isinstance(v, float) and np.isnan(v)) for v in col],
            dtype=bool,
        )
    return np.zeros(len(col), dtype=bool)


def _present(col: np.ndarray) -> np.ndarray:
    return _natural(col[~_missing(col)])


def _natural(col: np.ndarray) -> np.ndarray:
    """An object column of numbers (or of strings) as a numeric (str) array."""
    if col.dtype.kind != "O" or _missing(col).any():
        return col
    natural = np.asarray(col.tolist())
    return natural if natural.dtype.kind in "biufU" else col


MultiTaskNeuralNet.__doc__ = (
    """Multi-task network: one shared body, one head per task.

The lectures' multi-purpose network: the same hidden layers feed a head per
target column, trained together on ``L = Σ_t λ_t L_t``. A task is binary
classification (one logit, binary cross-entropy), multiclass classification
(softmax cross-entropy) or regression (standardised per task inside the
network, so ``predict`` returns the units of ``y``). A NaN regression target
means "no target for this row" (e.g. the true top energy exists only for
signal jets): that row is left out of that task's loss and its gradients,
and still trains the other tasks. Every architecture, optimisation,
regularisation, early-stopping and input parameter is shared with
:class:`NeuralClassifier` and :class:`NeuralRegressor` and means the same.

Parameters
----------
    tasks : "auto" or list of {"binary", "multiclass", "regression"}, \
default="auto"
        Kind of each column of ``y``. ``"auto"`` infers it per column with
        :func:`sklearn.utils.multiclass.type_of_target` on the non-missing
        values: "binary" and "multiclass" stay, anything else is regression.
        Integer-valued regression targets (counts) are inferred as
        multiclass: declare the tasks to be sure. The result is ``tasks_``.
    task_weights : sequence of float or None, default=None
        λ of each task (non-negative, not all 0); None: all 1. ``L_t`` is
        the weighted mean loss over the rows with a target for task t, so λ
        sets the tasks' relative importance independently of how many rows
        have each target.
"""
    + ARCHITECTURE
    + OPTIMISATION
    + REGULARISATION
    + TRAINING.replace("{stratified}", "stratified by the first classification task")
    + INPUTS
    + """\
    loss : {"mse", "mae", "huber"}, default="mse"
        Loss of the regression tasks (Huber δ = 1 in standardised units).

Attributes
----------
    tasks_ : list of str
        Kind of each task.
    n_tasks_ : int
        Number of tasks (columns of y).
    task_names_ : list of str
        Column names of a DataFrame (or Series) y, else ``"task_0"``, ...
    task_classes_ : list of ndarray or None
        Class labels of each classification task; None for regression.
"""
    + ATTRIBUTES
    + """
See Also
--------
NeuralClassifier, NeuralRegressor : The single-task estimators.
sknn_hep.metrics.task_scorer : Score one task in ``cross_val_score`` or a
    search.

Notes
-----
"""
    + WEIGHTS_NOTES
    + """
With ``task_weights=(1, 0)`` (and the same seed) the classification head
and body train exactly as a :class:`NeuralClassifier` on that task alone.

Examples
--------
>>> import numpy as np
>>> from sknn_hep.neural_network import MultiTaskNeuralNet
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(600, 4))
>>> is_signal = (X[:, 0] + X[:, 1] > 0).astype(float)
>>> energy = np.where(is_signal == 1, 100 + 20 * X[:, 2], np.nan)
>>> y = np.column_stack([is_signal, energy])
>>> net = MultiTaskNeuralNet(tasks=["binary", "regression"], task_weights=(1, 0.5),
...                          n_layers=2, n_units=32, batch_size=32, max_epochs=30,
...                          random_state=0).fit(X, y)
>>> net.predict(X[:2]).shape, net.predict_proba(X[:2]).shape
((2, 2), (2, 2))
>>> net.score(X, y) > 0.8
True
"""
)
