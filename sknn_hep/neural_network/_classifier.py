"""NeuralClassifier: binary and multiclass classification."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..nn.losses import BinaryCrossEntropy, CrossEntropy
from ._base import BaseNeuralEstimator
from ._docs import (
    ARCHITECTURE,
    ATTRIBUTES,
    ENSEMBLE,
    INPUTS,
    OPTIMISATION,
    REGULARISATION,
    TRAINING,
    WEIGHTS_NOTES,
)


class NeuralClassifier(ClassifierMixin, BaseNeuralEstimator):
    _parameter_constraints = {
        **BaseNeuralEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "balanced_batches": ["boolean"],
    }
    _is_classifier_like = True
    _multi_output_y = False

    def __init__(
        self,
        *,
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
        n_ensemble=8,
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
        class_weight=None,
        balanced_batches=False,
    ):
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
        self.n_ensemble = n_ensemble
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
        self.class_weight = class_weight
        self.balanced_batches = balanced_batches

    # -- targets -------------------------------------------------------------
    def _prepare_targets(self, y, *, first, classes, sample_weight):
        name = type(self).__name__
        check_classification_targets(y)
        if first:
            labels = np.unique(classes) if classes is not None else np.unique(y)
            if len(labels) < 2:
                raise ValueError(
                    f"{name} needs samples of at least 2 classes in the data, but "
                    f"the data contains only one class: {labels[:1].tolist()[0]!r}."
                )
            self.classes_ = labels
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"`classes={list(classes)!r}` is not the same as on the first call "
                f"to partial_fit ({list(self.classes_)!r})."
            )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels {list(unseen)!r} that are not in the classes "
                f"{list(self.classes_)!r} of {name}."
            )
        y_enc = np.searchsorted(self.classes_, y).astype(np.int64)
        # fit needs two weighted classes in its data; a first partial_fit call
        # declares the classes and (as without weights) may see only one
        if sample_weight is not None and first and classes is None:
            totals = np.bincount(
                y_enc, weights=sample_weight, minlength=len(self.classes_)
            )
            if np.count_nonzero(totals > 0) < 2:
                raise ValueError(
                    f"{name} needs at least 2 classes with positive summed "
                    "sample_weight; got class totals "
                    f"{dict(zip(self.classes_.tolist(), totals.tolist()))}."
                )
        n_outputs = 1 if len(self.classes_) == 2 else len(self.classes_)
        return y_enc, n_outputs

    def _class_sample_weight(self, y_enc, sample_weight):
        cw = self.class_weight
        if cw is None:
            return None
        n_classes = len(self.classes_)
        if cw == "balanced":
            # class c weighted <N>/N_c, N_c counted with the sample weights
            totals = np.bincount(y_enc, weights=sample_weight, minlength=n_classes)
            if np.any(totals <= 0):
                raise ValueError(
                    "class_weight='balanced' needs a positive summed weight in every "
                    f"class; got {dict(zip(self.classes_.tolist(), totals.tolist()))}."
                )
            return (totals.sum() / n_classes / totals)[y_enc]
        unknown = [k for k in cw if k not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(
                f"The 'class_weight' parameter of {type(self).__name__} names classes "
                f"{unknown!r} that are not in the data; the classes are "
                f"{self.classes_.tolist()!r}."
            )
        factors = np.ones(n_classes)
        for k, v in cw.items():
            factors[np.searchsorted(self.classes_, k)] = float(v)
        return factors[y_enc]

    def _stratify_labels(self, y_enc):
        return y_enc

    def _make_criterion(self):
        return BinaryCrossEntropy if len(self.classes_) == 2 else CrossEntropy

    def _output_scaling(self, y_model, weights):
        return None, None

    def _training_targets(self, y_rows):
        return y_rows.astype(np.float32) if len(self.classes_) == 2 else y_rows

    # -- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_mask=None):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; categorical columns hold integer codes.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,) or None
            Per-event weights (see Notes).
        validation_mask : array-like of bool of shape (n_samples,) or None
            Rows to hold out as the validation set instead of a random
            ``validation_fraction`` split (e.g. a fold chosen by event
            number): they are not trained on, their loss is recorded as
            ``valid_loss`` each epoch, and with ``early_stopping`` it decides
            when to stop.

        Returns
        -------
        self : NeuralClassifier
        """
        return self._fit(X, y, sample_weight, validation_mask=validation_mask)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on ``(X, y)``, continuing from the current state.

        No validation split is made and early stopping does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,) or None
            All classes; required on the first call.
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        self : NeuralClassifier
        """
        if not hasattr(self, "net_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to "
                f"{type(self).__name__}.partial_fit."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def decision_function(self, X):
        """Logits: shape (n_samples,) for two classes, else (n_samples, n_classes).

        For two classes, positive values favour ``classes_[1]``.
        """
        out = self._network_output(X, logits=True)
        return out[:, 0] if len(self.classes_) == 2 else out

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes), as ``classes_``."""
        logits = self._network_output(X, logits=True)
        if len(self.classes_) == 2:
            p = expit(logits[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(logits, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class of each row."""
        check_is_fitted(self, "net_")
        logits = self._network_output(X, logits=True)
        if len(self.classes_) == 2:
            return self.classes_[(logits[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


NeuralClassifier.__doc__ = (
    """Feed-forward neural-network classifier (binary and multiclass).

A scikit-learn estimator with flat, tunable parameters; ``fit`` builds a
skorch net (``net_``) around a :class:`sknn_hep.nn.FeedForwardNetwork` and
trains it on tensors sliced in place (no per-sample data loading), with
skorch's history and callbacks (early stopping, learning-rate schedules,
logging). Two classes use one logit and binary cross-entropy; more use
softmax cross-entropy.

Parameters
----------
"""
    + ARCHITECTURE
    + ENSEMBLE.format(n_ensemble=8, ensemble_note="")
    + OPTIMISATION
    + REGULARISATION
    + TRAINING.replace("{stratified}", "stratified by class")
    + INPUTS
    + """\
    class_weight : dict, "balanced" or None, default=None
        Multiplies each row's weight by its class's factor. ``"balanced"``:
        class c gets ⟨N⟩ / N_c, with N_c the summed sample weight of class c
        and ⟨N⟩ the mean over classes. A dict maps labels to factors (absent
        labels: 1); naming an unknown label is a ValueError.
    balanced_batches : bool, default=False
        Draw every training batch with equally many rows of each class (the
        lecture's "collocation"): each batch holds ``batch_size //
        n_classes`` rows per class and rows of smaller classes are repeated
        within an epoch. Weights still apply on top.

Attributes
----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
    + ATTRIBUTES
    + """
See Also
--------
NeuralRegressor : The same network for regression.
sklearn.neural_network.MLPClassifier : scikit-learn's MLP, without dropout,
    batch norm, initializer choice, schedules or GPU.

Notes
-----
"""
    + WEIGHTS_NOTES
    + """
Examples
--------
>>> from sklearn.datasets import make_classification
>>> from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier
>>> X, y = make_classification(n_samples=1500, random_state=0)
>>> clf = NeuralClassifier(max_epochs=20, random_state=0).fit(X, y)
>>> clf.predict_proba(X[:2]).shape
(2, 2)
>>> clf.score(X, y) > 0.85
True
>>> sorted(clf.history_[0])  # from 1,000 rows: early stopping on 10 % of them
... # doctest: +NORMALIZE_WHITESPACE
['dur', 'epoch', 'lr', 'train_batch_count', 'train_loss', 'train_loss_best',
 'valid_batch_count', 'valid_loss', 'valid_loss_best']
>>> clf.best_epoch_ <= clf.n_iter_ <= 20
True

One plain network trained for all its epochs (the defaults of sknn_hep 0.1):

>>> plain = NeuralClassifier(**PLAIN_NETWORK, max_epochs=20, random_state=0)
>>> len(plain.fit(X, y).history_)
20
"""
)
