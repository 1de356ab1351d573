"""What the ensembles share: fit parameters, input checks, averaging, tags.

:class:`~sknn_hep.ensemble.CrossTrainingClassifier`,
:class:`~sknn_hep.ensemble.CrossTrainingRegressor` and
:class:`~sknn_hep.ensemble.SeedEnsemble` train clones of one estimator (also
a Pipeline) and average them; the helpers they all use live here, those of
one of them in its own module.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import validate_data

from ..model_selection._split import event_column
from ..utils import check_event_weights, check_finite_columns, check_numeric_columns


def fit_param_name(estimator, param: str) -> str | None:
    """Name under which ``estimator.fit`` takes ``param``, or None.

    ``param`` itself when the estimator's ``fit`` has that argument;
    ``"<last step>__<param>"`` for a Pipeline whose final estimator takes it
    (nested Pipelines are followed).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> fit_param_name(make_pipeline(StandardScaler(), LogisticRegression()),
    ...                "sample_weight")
    'logisticregression__sample_weight'
    >>> fit_param_name(LogisticRegression(), "validation_mask") is None
    True
    """
    if isinstance(estimator, Pipeline):
        step, last = estimator.steps[-1]
        if last is None or isinstance(last, str):
            return None
        inner = fit_param_name(last, param)
        return None if inner is None else f"{step}__{inner}"
    try:
        parameters = inspect.signature(estimator.fit).parameters
    except (AttributeError, TypeError, ValueError):
        return None
    return param if param in parameters else None


def member_checkpoints(estimator, member: str) -> dict:
    """Parameters giving one ensemble member its own checkpoint directory.

    Every ``checkpoint_dir`` set in ``estimator`` (also inside Pipelines)
    becomes ``<checkpoint_dir>/<member>``, so that the members of an
    ensemble neither overwrite nor resume each other's checkpoints.

    Examples
    --------
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> member_checkpoints(NeuralClassifier(checkpoint_dir="ckpt"), "fold_2")
    {'checkpoint_dir': PosixPath('ckpt/fold_2')}
    >>> member_checkpoints(NeuralClassifier(), "fold_2")
    {}
    """
    return {
        key: Path(value) / member
        for key, value in estimator.get_params(deep=True).items()
        if (key == "checkpoint_dir" or key.endswith("__checkpoint_dir"))
        and value is not None
    }


def final_estimator(estimator):
    """The estimator at the end of (nested) Pipelines."""
    while isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator


def check_weight_param(estimator, sample_weight, X, owner: str, y=None):
    """Validated weights and the fit-parameter name they go to in ``estimator``.

    ``y``: the class labels of a classifier (each class's weights must sum
    to a positive number), else None.
    """
    sample_weight = check_event_weights(sample_weight, X, owner=f"{owner}.fit", y=y)
    weight_name = fit_param_name(estimator, "sample_weight")
    if weight_name is None:
        raise ValueError(
            f"sample_weight was passed to {owner}.fit, but the fit method of "
            f"{type(final_estimator(estimator)).__name__} takes no sample_weight."
        )
    return sample_weight, weight_name


def estimator_has(attr: str):
    """For ``available_if``: the fitted members, or else the template, have ``attr``."""

    def check(self):
        if hasattr(self, "estimators_"):
            return hasattr(self.estimators_[0], attr)
        return hasattr(self.estimator, attr)

    return check


def only_decision_function(self) -> bool:
    """For ``available_if``: decision values, for members without probabilities.

    Ensembles average probabilities where the members have them; the mean of
    decision values would rank and classify events differently, so it is
    offered only for members without ``predict_proba``.
    """
    return estimator_has("decision_function")(self) and not estimator_has(
        "predict_proba"
    )(self)


def _first_input_step(estimator):
    """The estimator whose input tags describe what ``estimator`` accepts.

    A plain estimator, or the first step of a Pipeline; None for a
    ColumnTransformer or meta-estimator, whose tags say nothing about the
    strings or NaN its parts accept.
    """
    while isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s not in (None, "passthrough")]
        if not steps:
            return None
        estimator = steps[0]
    composite = ("steps", "transformers", "transformer_list", "estimator")
    if any(hasattr(estimator, attr) for attr in composite):
        return None
    return estimator


def check_X(estimator, X, *, reset: bool):
    """Count features and names of X; DataFrames stay DataFrames for the members.

    Non-numeric columns and NaN or infinite values are refused here, with a
    message naming the column and the row of the whole X, unless the
    estimator inside accepts them (the ``string`` and ``allow_nan`` input
    tags of it or of its Pipeline's first step; a ColumnTransformer or a
    meta-estimator checks its input itself).
    """
    owner = type(estimator).__name__
    first = _first_input_step(estimator.estimator)
    first_tags = None if first is None else get_tags(first).input_tags
    if first_tags is not None and not first_tags.string:
        check_numeric_columns(X, owner=owner)
    X = validate_data(
        estimator,
        X,
        reset=reset,
        skip_check_array=hasattr(X, "iloc"),
        accept_sparse=get_tags(estimator.estimator).input_tags.sparse,
        dtype=None,
        ensure_all_finite=False,
    )
    if first_tags is not None and not first_tags.allow_nan:
        # NaN in the event-number column means "unknown event number" (the
        # folds' check handles that column)
        event_number = getattr(estimator, "event_number", None)
        ignore = (
            ()
            if event_number is None or isinstance(event_number, bool)
            else (event_column(X, event_number, owner=owner),)
        )
        check_finite_columns(
            X,
            owner=owner,
            feature_names_in=getattr(estimator, "feature_names_in_", None),
            ignore_columns=ignore,
        )
    return X


def mean_output(members, X, method: str) -> np.ndarray:
    """The members' mean ``method`` output on ``X``.

    Averaging is right for probabilities, decision values and regression
    predictions, not for class labels: for members predicting several tasks
    at once (:class:`~sknn_hep.neural_network.MultiTaskNeuralNet`, also at
    the end of a Pipeline), ``predict`` is, per classification task, the
    class of the mean probability, and per regression task the mean value.
    """
    tasks = getattr(final_estimator(members[0]), "tasks_", None)
    if method == "predict" and tasks is not None:
        return _mean_multitask_predict(members, X, list(tasks))
    return np.mean(
        [np.asarray(getattr(m, method)(X), dtype=np.float64) for m in members],
        axis=0,
    )


def _mean_multitask_predict(members, X, tasks: list) -> np.ndarray:
    finals = [final_estimator(m) for m in members]
    n_classified = sum(kind != "regression" for kind in tasks)
    probas = []
    if n_classified:
        for m in members:
            p = m.predict_proba(X)
            probas.append(p if isinstance(p, list) else [p])
    values = (
        [np.asarray(m.predict(X)) for m in members] if len(tasks) > n_classified else []
    )
    columns, k = [], 0
    for j, kind in enumerate(tasks):
        if kind == "regression":
            columns.append(
                np.mean([v[:, j].astype(np.float64) for v in values], axis=0)
            )
            continue
        classes = finals[0].task_classes_[j]
        for i, final in enumerate(finals[1:], start=1):
            if not np.array_equal(final.task_classes_[j], classes):
                raise ValueError(
                    f"The ensemble's members disagree on the classes of task {j}: "
                    f"member 0 knows {list(classes)!r}, member {i} "
                    f"{list(final.task_classes_[j])!r}; every class must be "
                    "present in the rows each member trains on."
                )
        mean = np.mean([p[k] for p in probas], axis=0)
        columns.append(np.asarray(classes)[np.argmax(mean, axis=1)])
        k += 1
    numeric = all(c.dtype.kind in "biuf" for c in columns)
    out = np.empty(
        (len(columns[0]), len(columns)), dtype=np.float64 if numeric else object
    )
    for j, c in enumerate(columns):
        out[:, j] = c
    return out


def labels_from_scores(classes, proba=None, decision=None) -> np.ndarray:
    """Class labels from probabilities (argmax) or decision values."""
    if proba is not None:
        return classes[np.argmax(proba, axis=1)]
    if decision.ndim == 1:
        return classes[(decision > 0).astype(np.intp)]
    return classes[np.argmax(decision, axis=1)]


def check_member_classes(members, classes, owner: str, what: str) -> None:
    """Every fitted member must know the same classes as the ensemble."""
    for i, member in enumerate(members):
        seen = getattr(member, "classes_", None)
        if seen is not None and not np.array_equal(seen, classes):
            raise ValueError(
                f"{owner}: the {what} {i} was trained on the classes "
                f"{list(seen)!r}, not on all classes {list(classes)!r} of y; every "
                "class must be present in the rows each member trains on."
            )


def copy_input_tags(tags, inner) -> None:
    """Take the member's input tags (NaN, sparse, categorical, strings)."""
    tags.input_tags.allow_nan = inner.input_tags.allow_nan
    tags.input_tags.sparse = inner.input_tags.sparse
    tags.input_tags.categorical = inner.input_tags.categorical
    tags.input_tags.string = inner.input_tags.string
    tags.input_tags.positive_only = inner.input_tags.positive_only


def _fit_member(estimator, X, y, params):
    return estimator.fit(X, y, **params)
