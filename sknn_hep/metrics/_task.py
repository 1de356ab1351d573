"""Scorers for one task of a multi-task estimator."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer


class _TaskView(BaseEstimator):
    """One task of a fitted multi-task estimator (or Pipeline ending in one),
    seen as a single-output classifier or regressor by scikit-learn scorers."""

    def __init__(self, estimator, task_index, proba_index):
        self.estimator = estimator
        self.task_index = task_index
        self.proba_index = proba_index

    def predict(self, X):
        return self.estimator.predict(X)[:, self.task_index]

    def __sklearn_is_fitted__(self):
        return True


class _ClassifierTaskView(ClassifierMixin, _TaskView):
    def __init__(self, estimator, task_index, proba_index, classes):
        super().__init__(estimator, task_index, proba_index)
        self.classes_ = classes

    def predict(self, X):
        # labels back in the task's own dtype (predict returns one array for
        # all tasks)
        pred = super().predict(X)
        return np.asarray(pred, dtype=self.classes_.dtype)

    def predict_proba(self, X):
        proba = self.estimator.predict_proba(X)
        return proba[self.proba_index] if isinstance(proba, list) else proba


class _RegressorTaskView(RegressorMixin, _TaskView):
    pass


class TaskScorer:
    """Score one task of a multi-task estimator with any scikit-learn scorer.

    Created by :func:`task_scorer`; see there.
    """

    def __init__(self, task, scoring):
        self.task = task
        self.scoring = scoring
        self._requests = {}
        # fail now, not in the middle of a search, on an unknown name
        if scoring is not None:
            get_scorer(scoring)

    def _scorer(self, kind):
        scoring = self.scoring
        if scoring is None:
            scoring = "r2" if kind == "regression" else "accuracy"
        scorer = get_scorer(scoring)
        if self._requests:
            scorer = scorer.set_score_request(**self._requests)
        return scorer

    def _resolve(self, estimator):
        final = getattr(estimator, "_final_estimator", estimator)
        kinds = getattr(final, "tasks_", None)
        if kinds is None:
            raise TypeError(
                "task_scorer scores a fitted multi-task estimator (or a Pipeline "
                f"ending in one) with a 'tasks_' attribute; got {type(final).__name__}."
            )
        names = list(final.task_names_)
        if isinstance(self.task, str):
            if self.task not in names:
                raise ValueError(
                    f"task_scorer was given task={self.task!r}, which is not one of "
                    f"the tasks {names}."
                )
            index = names.index(self.task)
        else:
            index = int(self.task)
            if not -len(names) <= index < len(names):
                raise ValueError(
                    f"task_scorer was given task={self.task!r}, but the estimator has "
                    f"{len(names)} tasks."
                )
            index %= len(names)
        kind = kinds[index]
        if kind == "regression":
            return _RegressorTaskView(estimator, index, None), index, kind
        proba_index = sum(1 for k in kinds[:index] if k != "regression")
        view = _ClassifierTaskView(
            estimator, index, proba_index, final.task_classes_[index]
        )
        return view, index, kind

    def __call__(self, estimator, X, y, sample_weight=None, **kwargs):
        view, index, kind = self._resolve(estimator)
        if hasattr(y, "iloc"):
            y_task = np.asarray(y.iloc[:, index])
        else:
            y_arr = np.asarray(y)
            y_task = y_arr[:, index] if y_arr.ndim == 2 else y_arr
        rows = slice(None)
        if kind == "regression":
            y_task = y_task.astype(np.float64)
            rows = ~np.isnan(y_task)
            if not rows.any():
                raise ValueError(
                    f"task_scorer: task {self.task!r} has no target (all NaN) in the "
                    "rows being scored."
                )
            if hasattr(X, "iloc"):
                X = X.iloc[np.flatnonzero(rows)]
            else:
                X = np.asarray(X)[rows]
            y_task = y_task[rows]
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight)[rows]
        return self._scorer(kind)(view, X, y_task, **kwargs)

    def set_score_request(self, **kwargs):
        """Request metadata (e.g. ``sample_weight``) for metadata routing.

        Applied to the wrapped scikit-learn scorer; returns self.
        """
        self._requests.update(kwargs)
        self._scorer("classification")  # validates the request now
        return self

    def get_metadata_routing(self):
        """The wrapped scorer's metadata routing."""
        return self._scorer("classification").get_metadata_routing()

    def __repr__(self) -> str:
        return f"task_scorer(task={self.task!r}, scoring={self.scoring!r})"


def task_scorer(task, scoring=None):
    """Scorer of one task of a :class:`~sknn_hep.neural_network.MultiTaskNeuralNet`.

    Use it as ``scoring=`` of ``cross_val_score`` or a search, e.g. to tune
    ``task_weights`` for the tagging AUC. Works on the estimator or on a
    Pipeline ending in it. For a regression task only the rows with a target
    (non-NaN) are scored.

    Parameters
    ----------
    task : int or str
        Position of the task (column of y) or its name (``task_names_``,
        from a DataFrame y).
    scoring : str, callable or None, default=None
        Any scikit-learn scoring name or scorer (``"roc_auc"``,
        ``"neg_mean_squared_error"``, a ``make_scorer`` object); None:
        accuracy for a classification task, R² for a regression task.

    Returns
    -------
    scorer : TaskScorer
        Callable ``scorer(estimator, X, y, sample_weight=None)``; supports
        ``set_score_request`` for metadata routing of weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from sknn_hep.metrics import task_scorer
    >>> from sknn_hep.neural_network import MultiTaskNeuralNet
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> is_signal = (X[:, 0] > 0).astype(float)
    >>> energy = np.where(is_signal == 1, 50 + 10 * X[:, 1], np.nan)
    >>> net = MultiTaskNeuralNet(tasks=["binary", "regression"], n_layers=1,
    ...                          n_units=16, batch_size=32, lr=1e-2,
    ...                          max_epochs=20, random_state=0)
    >>> y = np.column_stack([is_signal, energy])
    >>> auc = cross_val_score(net, X, y, cv=2, scoring=task_scorer(0, "roc_auc"))
    >>> bool(auc.min() > 0.9)
    True
    """
    return TaskScorer(task, scoring)
