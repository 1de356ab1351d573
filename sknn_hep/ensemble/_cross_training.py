"""Cross-training: one model per event-number fold, applied to unseen events."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from .._versions import VersionedStateMixin
from ..model_selection._split import event_column, event_folds
from ._base import (
    _fit_member,
    check_member_classes,
    check_weight_param,
    check_X,
    copy_input_tags,
    estimator_has,
    final_estimator,
    fit_param_name,
    labels_from_scores,
    mean_output,
    member_checkpoints,
    only_decision_function,
)

# -- helpers of cross-training only (the shared ones are in _base.py) -----------


def slice_fit_params(params: dict, rows: np.ndarray, n_samples: int) -> dict:
    """Fit parameters with the sample-aligned ones (length n_samples) sliced."""
    out = {}
    for key, value in params.items():
        if sparse.issparse(value) or hasattr(value, "shape"):
            aligned = len(getattr(value, "shape", ())) > 0 and (
                value.shape[0] == n_samples
            )
        else:
            aligned = isinstance(value, (list, tuple)) and len(value) == n_samples
        out[key] = _safe_indexing(value, rows) if aligned else value
    return out


def check_regression_y(y):
    """Regression targets as an array (DataFrames and Series kept)."""
    if hasattr(y, "iloc"):
        return y
    return check_array(
        y, ensure_2d=False, dtype=None, ensure_all_finite=False, input_name="y"
    )


# -- the estimators ------------------------------------------------------------


class _BaseCrossTraining(VersionedStateMixin, MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "event_number": [str, Integral, None],
        "keep_event_number": ["boolean"],
        "validation_fold": [StrOptions({"auto"}), "boolean"],
        "prediction": [StrOptions({"fold", "average"})],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        n_splits=5,
        event_number=None,
        keep_event_number=False,
        validation_fold="auto",
        prediction="fold",
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.n_splits = n_splits
        self.event_number = event_number
        self.keep_event_number = keep_event_number
        self.validation_fold = validation_fold
        self.prediction = prediction
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting -------------------------------------------------------------
    def _check_y(self, y):
        return y

    def _after_fit(self, X_inner, folds):
        """Set the out-of-fold attributes (subclasses)."""

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Train one clone of ``estimator`` per fold, each without its fold.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training data; holds the event-number column when
            ``event_number`` is set.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-event weights, passed to each clone's ``fit`` for the rows it
            receives (to the final step of a Pipeline).
        groups : array-like of shape (n_samples,), default=None
            Event numbers, when ``event_number`` is None. Without both, the
            folds are drawn at random (see ``random_state``).
        **fit_params : dict
            Further parameters of the estimator's ``fit`` (for a Pipeline,
            ``<step>__<param>``); arrays with one entry per row are sliced
            to each clone's rows.

        Returns
        -------
        self : object
        """
        name = type(self).__name__
        validation_name = self._validation_param()
        if isinstance(self.event_number, bool):
            raise ValueError(
                f"The 'event_number' parameter of {name} must be a column name "
                f"(str), a column position (int) or None. Got {self.event_number!r} "
                "instead."
            )
        if self.keep_event_number and self.event_number is None:
            raise ValueError(
                f"The 'keep_event_number' parameter of {name} is True, but "
                "event_number is None: there is no event-number column to keep."
            )
        if y is None:
            raise ValueError(
                f"This {name} estimator requires y to be passed, but the target y "
                "is None."
            )
        X = check_X(self, X, reset=True)
        check_consistent_length(X, y)
        y = self._check_y(y)
        n_samples = _num_samples(X)

        weight_name = None
        if sample_weight is not None:
            sample_weight, weight_name = check_weight_param(
                self.estimator,
                sample_weight,
                X,
                name,
                y=y if isinstance(self, ClassifierMixin) else None,
            )
        for key in (weight_name, validation_name):
            if key is not None and key in fit_params:
                raise ValueError(
                    f"{name}.fit sets '{key}' of each clone itself; do not pass it "
                    "in fit_params."
                )

        self._event_position = None
        self._keep_event_number = bool(self.keep_event_number)
        folds = self._training_folds(X, groups, n_samples)
        counts = np.bincount(folds, minlength=self.n_splits)
        if np.any(counts == 0):
            raise ValueError(
                f"{name} needs rows in each of the n_splits={self.n_splits} folds; "
                f"got n_samples={n_samples} with fold sizes {counts.tolist()}."
            )
        X_inner = self._inner_X(X)

        k = self.n_splits
        tasks = []
        for i in range(k):
            rows = np.flatnonzero(folds != i)
            params = slice_fit_params(fit_params, rows, n_samples)
            if weight_name is not None:
                params[weight_name] = sample_weight[rows]
            if validation_name is not None:
                params[validation_name] = folds[rows] == (i + 1) % k
            tasks.append(
                delayed(_fit_member)(
                    clone(self.estimator).set_params(
                        **member_checkpoints(self.estimator, f"fold_{i}")
                    ),
                    _safe_indexing(X_inner, rows),
                    _safe_indexing(y, rows),
                    params,
                )
            )
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(tasks)
        self.fold_ = folds
        self.validation_folds_ = (
            None if validation_name is None else (np.arange(k) + 1) % k
        )
        self._after_fit(X_inner, folds)
        return self

    def _validation_param(self) -> str | None:
        name = type(self).__name__
        param = fit_param_name(self.estimator, "validation_mask")
        if self.validation_fold is False:
            return None
        if self.validation_fold is True:
            if param is None:
                raise ValueError(
                    f"{name} was given validation_fold=True, but the fit method of "
                    f"{type(final_estimator(self.estimator)).__name__} takes no "
                    "validation_mask to hold a fold out for validation. Use "
                    "validation_fold='auto' or False."
                )
            if self.n_splits < 3:
                raise ValueError(
                    f"{name} was given validation_fold=True with n_splits="
                    f"{self.n_splits}; a validation fold needs n_splits >= 3 (one "
                    "fold to test, one to validate, the rest to train)."
                )
            return param
        # "auto": only where the fold is used to stop training
        if param is None or self.n_splits < 3:
            return None
        if not getattr(final_estimator(self.estimator), "early_stopping", True):
            return None
        return param

    def _training_folds(self, X, groups, n_samples) -> np.ndarray:
        name = type(self).__name__
        if self.event_number is not None:
            if groups is not None:
                raise ValueError(
                    f"{name} reads the event numbers from column "
                    f"{self.event_number!r} of X, and groups were passed as well. "
                    "Pass one of them."
                )
            self._event_position = event_column(X, self.event_number, owner=name)
            return event_folds(
                _safe_indexing(X, self._event_position, axis=1),
                self.n_splits,
                source=f"column {self.event_number!r} of X",
                owner=name,
            )
        if groups is not None:
            check_consistent_length(X, groups)
            return event_folds(groups, self.n_splits, source="groups", owner=name)
        rng = check_random_state(self.random_state)
        return (rng.permutation(n_samples) % self.n_splits).astype(np.int64)

    def _inner_X(self, X):
        if self._event_position is None or self._keep_event_number:
            return X
        keep = [j for j in range(self.n_features_in_) if j != self._event_position]
        return _safe_indexing(X, keep, axis=1)

    # -- prediction ----------------------------------------------------------
    def _prediction_input(self, X, groups):
        name = type(self).__name__
        check_is_fitted(self)
        X = check_X(self, X, reset=False)
        n_samples = _num_samples(X)
        k = len(self.estimators_)
        if self.prediction == "average" or (
            self._event_position is None and groups is None
        ):
            if groups is not None:
                raise ValueError(
                    f"{name} with prediction='average' uses no event numbers; "
                    "groups must be None."
                )
            folds = np.full(n_samples, -1, dtype=np.int64)
        elif self._event_position is not None:
            if groups is not None:
                raise ValueError(
                    f"{name} reads the event numbers from column "
                    f"{self.event_number!r} of X; groups must be None."
                )
            folds = event_folds(
                _safe_indexing(X, self._event_position, axis=1),
                k,
                source=f"column {self.event_number!r} of X",
                owner=name,
                missing=True,
            )
        else:
            check_consistent_length(X, groups)
            folds = event_folds(groups, k, source="groups", owner=name, missing=True)
        return self._inner_X(X), folds

    def _routed(self, X_inner, folds, method: str) -> np.ndarray:
        """``method`` of the clone of each row's fold; the mean of all for -1."""
        out = None
        parts = [
            (np.flatnonzero(folds == i), [e]) for i, e in enumerate(self.estimators_)
        ]
        parts.append((np.flatnonzero(folds < 0), self.estimators_))
        for rows, members in parts:
            if rows.size == 0:
                continue
            X_rows = _safe_indexing(X_inner, rows)
            values = mean_output(members, X_rows, method)
            if out is None:
                out = np.empty((len(folds),) + values.shape[1:], dtype=values.dtype)
            out[rows] = values
        if out is None:  # no rows
            out = mean_output(self.estimators_[:1], X_inner, method)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        copy_input_tags(tags, get_tags(self.estimator))
        return tags


_PARAMETERS = """\
    estimator : estimator object
        The model trained on each fold's complement (cloned, never fitted
        itself). A classifier needs ``predict_proba`` or
        ``decision_function``. Pipelines work: ``sample_weight`` and the
        validation mask go to their final step.
    n_splits : int, default=5
        Number of folds k (at least 2; 3 or more for a validation fold).
    event_number : str, int or None, default=None
        Where the event numbers are: a column name of a DataFrame ``X``, or a
        column position (negative counts from the end). The fold of a row is
        ``event_number % n_splits``; the same column is read in ``predict``.
        The column is removed before the estimator sees ``X`` (see
        ``keep_event_number``). With None, event numbers come from ``groups``
        in ``fit``, or, without them, the folds are drawn at random.
    keep_event_number : bool, default=False
        Pass the event-number column on to the estimator (e.g. a Pipeline
        whose ColumnTransformer drops it by name). Needs ``event_number``.
    validation_fold : "auto" or bool, default="auto"
        Whether clone i holds fold ``(i + 1) % n_splits`` out of its training
        rows as validation set (its ``fit`` gets ``validation_mask``; the
        estimators of :mod:`sknn_hep.neural_network` then record
        ``valid_loss`` each epoch and stop early on it when
        ``early_stopping=True``). True: always, and a ValueError if the
        (final) estimator's ``fit`` takes no ``validation_mask`` or
        ``n_splits < 3``. False: never; the clone receives all k - 1 folds and
        may make its own random validation split. "auto": where the
        estimator takes ``validation_mask``, ``n_splits >= 3`` and it does
        not have ``early_stopping=False``.
    prediction : {"fold", "average"}, default="fold"
        "fold": each row goes to the clone that never saw its fold (from its
        event number); rows without one (NaN, or no event numbers at all) get
        the ensemble average. "average": every row gets the ensemble average.
        Read at prediction time: it can be changed with ``set_params`` after
        ``fit``.
    random_state : int, RandomState instance or None, default=None
        Draws the folds when ``fit`` gets no event numbers (no
        ``event_number`` column, no ``groups``): a random permutation of the
        rows modulo ``n_splits``, so the folds differ in size by at most 1.
        Not used otherwise; the clones keep the estimator's own
        ``random_state``.
    n_jobs : int or None, default=None
        Clones trained in parallel by joblib (None: 1, -1: all cores). The
        default joblib backend uses processes, each importing torch anew (a
        few seconds): worth it for long trainings. sknn_hep networks seed
        torch's global generator in ``fit``, so they are reproducible with
        process backends, not with the threading backend.
"""

_ATTRIBUTES = """\
    estimators_ : list of estimators
        The fitted clones; ``estimators_[i]`` never saw the rows of fold i.
    fold_ : ndarray of int of shape (n_samples,)
        Fold of each training row.
    validation_folds_ : ndarray of int of shape (n_splits,) or None
        Fold clone i used for validation, or None without validation folds.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit`` (event-number column included).
    feature_names_in_ : ndarray of str
        Column names of ``X``, when it had string column names.
"""

_NOTES = """\
Clone i trains on the rows with ``event_number % n_splits != i``. Each row of
the training sample is thus predicted by exactly one model that never saw it
(``oof_*`` attributes, and ``predict`` on the training sample), so its
prediction is as unbiased as one on new data, and all events can be used
both to train and to evaluate. Applied to new data with event numbers, the
same rule picks one clone per event, the standard LHC way; the ensemble
average is the alternative for data without event numbers.

The event numbers must be non-negative integers (see
:class:`~sknn_hep.model_selection.EventNumberKFold`); in ``fit`` every row
needs one, in ``predict`` a missing one (NaN) means the average.

Without event numbers in ``fit``, ``predict`` on the same rows returns the
ensemble average, which has seen every row in k - 1 of k models: use the
``oof_*`` attributes for unbiased training-sample predictions, or pass
``groups`` to ``predict`` again.
"""


class CrossTrainingClassifier(ClassifierMixin, _BaseCrossTraining):
    def _check_y(self, y):
        y = column_or_1d(y, warn=True)
        check_array(y, ensure_2d=False, dtype=None, input_name="y")  # NaN, inf
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if not (
            hasattr(self.estimator, "predict_proba")
            or hasattr(self.estimator, "decision_function")
        ):
            raise TypeError(
                f"{type(self).__name__} needs an estimator with predict_proba or "
                f"decision_function; {type(self.estimator).__name__} has neither."
            )
        return y

    def _after_fit(self, X_inner, folds):
        check_member_classes(
            self.estimators_, self.classes_, type(self).__name__, "clone"
        )
        if hasattr(self.estimators_[0], "predict_proba"):
            self.oof_proba_ = self._routed(X_inner, folds, "predict_proba")
            self.oof_predictions_ = labels_from_scores(self.classes_, self.oof_proba_)
        else:
            decision = self._routed(X_inner, folds, "decision_function")
            self.oof_decision_function_ = decision
            self.oof_predictions_ = labels_from_scores(self.classes_, decision=decision)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X, groups=None):
        """Class probabilities, from each row's fold model or the ensemble mean.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        groups : array-like of shape (n_samples,), default=None
            Event numbers of the rows, when ``event_number`` is None (NaN:
            average). Without them every row gets the average.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X_inner, folds = self._prediction_input(X, groups)
        return self._routed(X_inner, folds, "predict_proba")

    @available_if(only_decision_function)
    def decision_function(self, X, groups=None):
        """Decision values of each row's fold model, or their ensemble mean.

        Only for estimators without ``predict_proba`` (the ensemble averages
        probabilities where it can).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        groups : array-like of shape (n_samples,), default=None
            As in :meth:`predict_proba`.

        Returns
        -------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X_inner, folds = self._prediction_input(X, groups)
        return self._routed(X_inner, folds, "decision_function")

    def predict(self, X, groups=None):
        """Class of each row: argmax of :meth:`predict_proba`.

        Estimators without ``predict_proba`` use :meth:`decision_function`.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        groups : array-like of shape (n_samples,), default=None
            As in :meth:`predict_proba`.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        X_inner, folds = self._prediction_input(X, groups)
        if hasattr(self.estimators_[0], "predict_proba"):
            return labels_from_scores(
                self.classes_, proba=self._routed(X_inner, folds, "predict_proba")
            )
        decision = self._routed(X_inner, folds, "decision_function")
        return labels_from_scores(self.classes_, decision=decision)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        if inner.classifier_tags is not None:
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags


class CrossTrainingRegressor(RegressorMixin, _BaseCrossTraining):
    def _check_y(self, y):
        return check_regression_y(y)

    def _after_fit(self, X_inner, folds):
        self.oof_predictions_ = self._routed(X_inner, folds, "predict")

    def predict(self, X, groups=None):
        """Prediction of each row's fold model, or the ensemble mean.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        groups : array-like of shape (n_samples,), default=None
            Event numbers of the rows, when ``event_number`` is None (NaN:
            average). Without them every row gets the average.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        X_inner, folds = self._prediction_input(X, groups)
        return self._routed(X_inner, folds, "predict")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.target_tags.multi_output = inner.target_tags.multi_output
        tags.target_tags.single_output = inner.target_tags.single_output
        return tags


CrossTrainingClassifier.__doc__ = (
    """k-fold cross-training of a classifier by event number.

Trains ``n_splits`` clones of ``estimator``; clone i never sees the events of
fold i (``event_number % n_splits == i``) and, with a validation fold, stops
early on fold ``(i + 1) % n_splits``. ``predict_proba`` hands each event to
the clone that never saw its fold, so predictions on the training sample are
out of fold, and the same call applies the model to new data; events
without an event number get the mean probability of all clones.

Parameters
----------
"""
    + _PARAMETERS
    + """
Attributes
----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
    + _ATTRIBUTES
    + """\
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        Out-of-fold probabilities of the training rows (estimators with
        ``predict_proba``).
    oof_decision_function_ : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Out-of-fold decision values (estimators with ``decision_function``
        and without ``predict_proba``).
    oof_predictions_ : ndarray of shape (n_samples,)
        Out-of-fold class labels.

See Also
--------
CrossTrainingRegressor : The same for regression.
sknn_hep.model_selection.EventNumberKFold : The splitter with the same folds.
SeedEnsemble : Same data, different initial weights.

Notes
-----
"""
    + _NOTES
    + """
Probabilities of several clones are averaged (arithmetic mean), and the
predicted class is the argmax of the (routed or averaged) probabilities. For
an estimator without ``predict_proba``, decision values take their place
(and ``decision_function`` is offered); with ``predict_proba`` it is not, as
the mean of decision values would rank events differently from the mean
probability.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from sklearn.datasets import make_classification
>>> from sknn_hep.ensemble import CrossTrainingClassifier
>>> from sknn_hep.neural_network import NeuralClassifier
>>> X, y = make_classification(n_samples=300, n_features=5, random_state=0)
>>> df = pd.DataFrame(X, columns=list("abcde")).assign(EventNumber=np.arange(300))
>>> net = NeuralClassifier(n_layers=1, n_units=16, max_epochs=10, random_state=0)
>>> ct = CrossTrainingClassifier(net, n_splits=3, event_number="EventNumber")
>>> ct = ct.fit(df, y)
>>> len(ct.estimators_), ct.estimators_[0].n_features_in_
(3, 5)
>>> ct.oof_proba_.shape, bool(np.all(ct.fold_ == np.arange(300) % 3))
((300, 2), True)

On the training sample, each row is predicted by the clone that never saw it:

>>> bool(np.allclose(ct.predict_proba(df), ct.oof_proba_))
True
>>> row = df.iloc[[4]]  # EventNumber 4: fold 1, seen by clones 0 and 2 only
>>> clone_1 = ct.estimators_[1].predict_proba(row.drop(columns="EventNumber"))
>>> bool(np.allclose(ct.predict_proba(row), clone_1))
True
"""
)

CrossTrainingRegressor.__doc__ = (
    """k-fold cross-training of a regressor by event number.

Trains ``n_splits`` clones of ``estimator``; clone i never sees the events of
fold i (``event_number % n_splits == i``) and, with a validation fold, stops
early on fold ``(i + 1) % n_splits``. ``predict`` hands each event to the
clone that never saw its fold; events without an event number get the mean
prediction of all clones.

Parameters
----------
"""
    + _PARAMETERS
    + """
Attributes
----------
"""
    + _ATTRIBUTES
    + """\
    oof_predictions_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Out-of-fold predictions of the training rows.

See Also
--------
CrossTrainingClassifier : The same for classification.
sknn_hep.model_selection.EventNumberKFold : The splitter with the same folds.

Notes
-----
"""
    + _NOTES
    + """
Examples
--------
>>> import numpy as np
>>> from sklearn.datasets import make_regression
>>> from sknn_hep.ensemble import CrossTrainingRegressor
>>> from sknn_hep.neural_network import NeuralRegressor
>>> X, y = make_regression(n_samples=300, n_features=4, noise=1.0, random_state=0)
>>> event_id = np.arange(1000, 1300)
>>> net = NeuralRegressor(n_layers=1, n_units=16, max_epochs=20, random_state=0)
>>> ct = CrossTrainingRegressor(net, n_splits=3).fit(X, y, groups=event_id)
>>> ct.oof_predictions_.shape
(300,)
>>> bool(np.allclose(ct.predict(X, groups=event_id), ct.oof_predictions_))
True

Without event numbers, ``predict`` returns the mean of the three clones:

>>> mean = np.mean([m.predict(X) for m in ct.estimators_], axis=0)
>>> bool(np.allclose(ct.predict(X), mean))
True
"""
)
