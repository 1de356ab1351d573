"""NeuralRegressor: single- and multi-output regression."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from .._validation import weighted_mean_std
from ..nn.losses import REGRESSION_LOSSES, RegressionLoss
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
from ._inputs import check_target_spread


class NeuralRegressor(RegressorMixin, BaseNeuralEstimator):
    _parameter_constraints = {
        **BaseNeuralEstimator._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }
    _is_classifier_like = False
    _multi_output_y = True

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
        n_ensemble=1,
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
        self.loss = loss

    # -- targets -------------------------------------------------------------
    def _prepare_targets(self, y, *, first, classes, sample_weight):
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(len(y), -1)
        if first:
            self._y_1d = y.ndim == 1
            self.n_outputs_ = y2.shape[1]
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, but {type(self).__name__} was trained "
                f"with {self.n_outputs_}."
            )
        return y2, y2.shape[1]

    def _class_sample_weight(self, y_model, sample_weight):
        return None

    def _stratify_labels(self, y_model):
        return None

    def _make_criterion(self):
        return RegressionLoss(kind=self.loss)

    def _output_scaling(self, y_model, weights):
        # y' = (y - mean) / scale in training; the network's last,
        # non-trainable layer computes y = y' * scale + mean.
        check_target_spread(
            y_model, owner=type(self).__name__, label=lambda j: f"column {j}"
        )
        mean, scale = weighted_mean_std(y_model, weights)
        scale = np.where(scale > 0, scale, 1.0)
        self._y_mean, self._y_scale = mean, scale
        return mean, scale

    def _training_targets(self, y_rows):
        return ((y_rows - self._y_mean) / self._y_scale).astype(np.float32)

    # -- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_mask=None):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; categorical columns hold integer codes.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, in any scale (standardised internally).
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
        self : NeuralRegressor
        """
        return self._fit(X, y, sample_weight, validation_mask=validation_mask)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on ``(X, y)``, continuing from the current state.

        No validation split is made and early stopping does not apply. The
        target scaling is fixed on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        self : NeuralRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predictions in the units of y: (n_samples,) or (n_samples, n_outputs)."""
        out = self._network_output(X, logits=False)
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


NeuralRegressor.__doc__ = (
    """Feed-forward neural-network regressor (single and multi-output).

The targets are standardised internally, t' = (t − μ) / σ (weighted by the
positive part of ``sample_weight``), and the network's last, non-trainable
layer computes t = t'σ + μ, so ``predict`` returns the units of ``y`` and
the scaling travels with the model. Training uses the same skorch net and
fast tensor loop as :class:`NeuralClassifier`.

Parameters
----------
"""
    + ARCHITECTURE
    + ENSEMBLE.format(
        n_ensemble=1,
        ensemble_note="""
        A single network by default for regression: on the regression set
        of the defaults benchmark (CMS dimuon masses, a smooth formula) 8
        members trained more slowly within ``max_epochs`` and scored lower
        (2 folds, batches of 512: R² 0.973 against 0.989 for one network,
        at 4 times the cost; see ``benchmarks/README.md``), unlike on the
        classification sets.""",
    )
    + OPTIMISATION
    + REGULARISATION
    + TRAINING.replace("{stratified}", "not stratified")
    + INPUTS
    + """\
    loss : {"mse", "mae", "huber"}, default="mse"
        Squared error, absolute error or Huber loss (δ = 1 in standardised
        target units), averaged over the outputs.

Attributes
----------
    n_outputs_ : int
        Number of targets.
"""
    + ATTRIBUTES
    + """
See Also
--------
NeuralClassifier : The same network for classification.

Notes
-----
"""
    + WEIGHTS_NOTES
    + """
Examples
--------
>>> import numpy as np
>>> from sknn_hep.neural_network import NeuralRegressor
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(500, 3))
>>> y = 1e4 * (X[:, 0] + 0.5 * X[:, 1] ** 2)
>>> reg = NeuralRegressor(n_layers=2, n_units=32, batch_size=32, max_epochs=40,
...                       random_state=0).fit(X, y)
>>> reg.score(X, y) > 0.9
True
"""
)
