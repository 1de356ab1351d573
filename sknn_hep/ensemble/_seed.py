"""SeedEnsemble: the same model trained from several random initialisations."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    check_random_state,
    column_or_1d,
)

from .._versions import VersionedStateMixin
from ._base import (
    _fit_member,
    check_member_classes,
    check_weight_param,
    check_X,
    copy_input_tags,
    estimator_has,
    labels_from_scores,
    mean_output,
    member_checkpoints,
    only_decision_function,
)


def _is_classifier(self) -> bool:
    return get_tags(self.estimator).estimator_type == "classifier"


def _classifier_has(attr: str):
    has = estimator_has(attr)

    def check(self):
        return _is_classifier(self) and has(self)

    return check


def _classifier_only_decision(self) -> bool:
    return _is_classifier(self) and only_decision_function(self)


def member_seeds(random_state, n_members: int, n_params: int) -> np.ndarray:
    """Seeds in [0, 2**31) of shape (n_members, n_params), from a SeedSequence.

    An int ``random_state`` is the SeedSequence's entropy, so the same int
    gives the same seeds; a RandomState instance draws the entropy; None
    takes fresh entropy from the operating system.

    Examples
    --------
    >>> member_seeds(0, 3, 1).ravel().tolist() == member_seeds(0, 3, 1).ravel().tolist()
    True
    >>> member_seeds(0, 3, 2).shape
    (3, 2)
    """
    if random_state is None:
        sequence = np.random.SeedSequence()
    elif isinstance(random_state, Integral):
        sequence = np.random.SeedSequence(int(random_state))
    else:
        entropy = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        sequence = np.random.SeedSequence(int(entropy))
    state = sequence.generate_state(n_members * n_params, dtype=np.uint32) >> 1
    return state.astype(np.int64).reshape(n_members, n_params)


class SeedEnsemble(VersionedStateMixin, MetaEstimatorMixin, BaseEstimator):
    """Average of ``n_estimators`` copies of a model trained from different seeds.

    Every member trains on the same data; they differ only in their random
    initialisation (and batch order, dropout masks, validation split): each
    gets its own ``random_state``, derived from this ensemble's
    ``random_state`` through :class:`numpy.random.SeedSequence`. Averaging
    them reduces the variance that comes from the initial weights, as the
    lectures recommend for small networks or samples.

    The ensemble is a classifier when ``estimator`` is one (mean of the
    members' probabilities) and a regressor when it is one (mean of their
    predictions): its estimator type, ``score`` and tags follow the
    estimator, as for a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    estimator : estimator object
        A classifier or regressor with a ``random_state`` parameter (or a
        Pipeline with at least one ``<step>__random_state``); a classifier
        needs ``predict_proba`` or ``decision_function``.
    n_estimators : int, default=5
        Number of members.
    random_state : int, RandomState instance or None, default=None
        Source of the members' seeds. Every ``random_state`` and
        ``*__random_state`` parameter of each member is set to its own seed,
        replacing the estimator's value. None gives different seeds on each
        ``fit``.
    n_jobs : int or None, default=None
        Members trained in parallel by joblib (None: 1, -1: all cores); see
        :class:`CrossTrainingClassifier` on backends.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    random_states_ : list of dict
        The ``random_state`` parameters set on each member.
    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X``, when it had string column names.

    See Also
    --------
    sklearn.ensemble.BaggingClassifier : Members trained on bootstrap samples
        (the data-subset variant); works with ``NeuralClassifier`` as
        ``estimator``.
    CrossTrainingClassifier : Members trained on different event-number folds.

    Notes
    -----
    A classifier's ensemble probability is the arithmetic mean of the
    members' probabilities, and its class the argmax of that mean. With an
    estimator that has ``decision_function`` but no ``predict_proba``, the
    mean decision values decide, and ``decision_function`` returns them; it
    is not offered for estimators with ``predict_proba``, since the mean of
    decision values (for :class:`~sknn_hep.neural_network.NeuralClassifier`,
    the mean logit) ranks events differently from the mean probability. A
    regressor returns the mean prediction. ``score`` is accuracy for a classifier and
    R² for a regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sknn_hep.ensemble import SeedEnsemble
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    >>> net = NeuralClassifier(n_layers=1, n_units=16, batch_size=32, lr=1e-2,
    ...                        max_epochs=10)
    >>> ens = SeedEnsemble(net, n_estimators=3, random_state=0).fit(X, y)
    >>> [m.random_state for m in ens.estimators_] == [
    ...     s["random_state"] for s in ens.random_states_]
    True
    >>> proba = np.mean([m.predict_proba(X) for m in ens.estimators_], axis=0)
    >>> bool(np.allclose(ens.predict_proba(X), proba))
    True
    >>> ens.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator, *, n_estimators=5, random_state=None, n_jobs=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Train ``n_estimators`` members on ``(X, y)``, each with its own seed.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Per-event weights, passed to every member's ``fit`` (to the final
            step of a Pipeline).
        **fit_params : dict
            Further parameters of the estimator's ``fit``, passed to every
            member.

        Returns
        -------
        self : SeedEnsemble
        """
        name = type(self).__name__
        seed_params = sorted(
            key
            for key in self.estimator.get_params(deep=True)
            if key == "random_state" or key.endswith("__random_state")
        )
        if not seed_params:
            raise ValueError(
                f"{name} varies the members' random_state, but "
                f"{type(self.estimator).__name__} has no random_state parameter."
            )
        if y is None:
            raise ValueError(
                f"This {name} estimator requires y to be passed, but the target y "
                "is None."
            )
        X = check_X(self, X, reset=True)
        check_consistent_length(X, y)
        classifier = _is_classifier(self)
        if classifier:
            y = column_or_1d(y, warn=True)
            check_array(y, ensure_2d=False, dtype=None, input_name="y")  # NaN, inf
            check_classification_targets(y)
            if not (
                hasattr(self.estimator, "predict_proba")
                or hasattr(self.estimator, "decision_function")
            ):
                raise TypeError(
                    f"{name} needs a classifier with predict_proba or "
                    f"decision_function; {type(self.estimator).__name__} has neither."
                )
        params = dict(fit_params)
        if sample_weight is not None:
            sample_weight, weight_name = check_weight_param(
                self.estimator, sample_weight, X, name, y=y if classifier else None
            )
            params[weight_name] = sample_weight

        seeds = member_seeds(self.random_state, self.n_estimators, len(seed_params))
        self.random_states_ = [
            {key: int(seed) for key, seed in zip(seed_params, row)} for row in seeds
        ]
        members = [
            clone(self.estimator).set_params(
                **states, **member_checkpoints(self.estimator, f"member_{i}")
            )
            for i, states in enumerate(self.random_states_)
        ]
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(member, X, y, params) for member in members
        )
        if classifier:
            self.classes_ = np.unique(y)
            check_member_classes(self.estimators_, self.classes_, name, "member")
        return self

    def _mean(self, method: str, X) -> np.ndarray:
        check_is_fitted(self)
        X = check_X(self, X, reset=False)
        return mean_output(self.estimators_, X, method)

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Mean of the members' class probabilities.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._mean("predict_proba", X)

    @available_if(_classifier_only_decision)
    def decision_function(self, X):
        """Mean of the members' decision values (members without ``predict_proba``).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._mean("decision_function", X)

    def predict(self, X):
        """Class of the mean probability (classifier) or mean prediction.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        if not _is_classifier(self):
            return self._mean("predict", X)
        check_is_fitted(self)
        if hasattr(self.estimators_[0], "predict_proba"):
            return labels_from_scores(self.classes_, proba=self.predict_proba(X))
        return labels_from_scores(
            self.classes_, decision=self._mean("decision_function", X)
        )

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R² (regressor) of :meth:`predict`.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        metric = accuracy_score if _is_classifier(self) else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags.multi_output = inner.target_tags.multi_output
        tags.target_tags.single_output = inner.target_tags.single_output
        copy_input_tags(tags, inner)
        return tags
