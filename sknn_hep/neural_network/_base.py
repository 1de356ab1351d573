"""Shared machinery of the neural-network estimators."""

from __future__ import annotations

import copy
import hashlib
import json
import numbers
import os
import threading
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_regressor
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
)
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    LRScheduler,
    PrintLog,
    TensorBoard,
)
from skorch.helper import predefined_split

from .._validation import FLOAT32_MAX, encode_categories, missing_mask
from .._versions import NeuralStateMixin
from ..metrics import get_scorer
from ..nn import (
    ACTIVATIONS,
    BLOCKS,
    INITIALIZERS,
    OPTIMIZERS,
    FeedForwardNetwork,
    InputScaling,
    auto_embedding_dim,
    make_lr_scheduler_spec,
    make_optimizer_spec,
    quantile_bins,
)
from ..utils import (
    check_event_weights,
    check_float32_range,
    install_hint,
    resolve_columns,
    validate_inputs,
)
from ._checkpoint import TrainingCheckpoint, read_checkpoint
from ._diagnostics import TrainingDiagnostics, diagnostic_rows
from ._inputs import (
    CHUNK_ROWS,
    N_BINS,
    PERIODIC_OPTIONS,
    SMOOTH_CLIP,
    as_tensor,
    blockwise_input_constants,
    check_codes,
    gather_rows,
)
from ._mlflow import MlflowRun
from ._net import (
    DivergenceGuard,
    ProgressBar,
    TensorData,
    TensorNet,
    TensorNetClassifier,
    TensorNetRegressor,
    ValidationScoring,
    normalized_weights,
)
from ._threads import N_THREADS_CONSTRAINT, estimator_threads

# early_stopping="auto" holds out a validation split from this many rows on
AUTO_EARLY_STOPPING_ROWS = 1000

PLAIN_NETWORK = {
    "input_scaling": "standard",
    "num_embedding": None,
    "n_ensemble": 1,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "batch_size": 256,
    "early_stopping": False,
}
"""Parameters that undo the defaults' pieces: one plain network (the defaults
of sknn_hep 0.1): mean/σ input scaling, no numeric embedding, no ensemble,
Adam without weight decay, batches of 256, all ``max_epochs`` epochs. For
:class:`NeuralClassifier` and :class:`NeuralRegressor`:
``NeuralClassifier(**PLAIN_NETWORK)``."""

# Parameters added in sknn_hep 0.2, with the values that reproduce the network
# of a model saved with 0.1 (which lacks them)
_ADDED_IN_0_2 = {
    "missing_values": None,
    "num_embedding": None,
    "num_embedding_dim": 16,
    "n_ensemble": 1,
    "weight_decay": 0.0,
    "scoring": None,
    "n_threads": "auto",
    "callbacks": None,
}

# Serialises the seeded draws from torch's global generator (initial weights).
_GLOBAL_RNG_LOCK = threading.Lock()

# Parameters a resumed fit may change: they do not alter the training.
_NOT_COMPARED_ON_RESUME = frozenset(
    {
        "verbose",
        "device",
        "warm_start",
        "inference_dtype",
        "log_dir",
        "mlflow_experiment",
        "diagnostics",
        "checkpoint_dir",
        "resume",
        "on_divergence",
        "n_threads",
        "callbacks",
    }
)

# Parameters that fix the network's shape: warm_start cannot change them.
_ARCHITECTURE = (
    "n_layers",
    "n_units",
    "hidden_layer_sizes",
    "activation",
    "block",
    "batch_norm",
    "dropout",
    "input_scaling",
    "missing_values",
    "num_embedding",
    "num_embedding_dim",
    "n_ensemble",
    "categorical_features",
    "embedding_dim",
    "initializer",
)


# Names of the callbacks the estimators add; a user's callbacks take others.
_OWN_CALLBACKS = (
    "epoch_timer",
    "train_loss",
    "valid_loss",
    "divergence",
    "valid_score",
    "lr_scheduler",
    "early_stopping",
    "diagnostics",
    "tensorboard",
    "mlflow",
    "progress_bar",
    "print_log",
    "checkpoint",
)
# Of them, those of one fit (all but skorch's loss records and timer): they
# hold the estimator, its validation rows, weight snapshots, writers, or
# watch a validation set only that fit has; the fitted net keeps skorch's
# defaults and the user's callbacks, so ``net_.partial_fit`` works alone.
_FIT_ONLY_CALLBACKS = _OWN_CALLBACKS[3:]


@dataclass
class _FitPlan:
    """What one fit trains on and how: the result of ``_prepare_fit``."""

    first: bool  # a new network (else the fitted one continues)
    hidden: list
    n_outputs: int
    x_num: np.ndarray  # all rows, numeric columns
    x_cat: np.ndarray | None  # all rows, category indices
    y_model: np.ndarray  # targets as the estimator models them
    weights: np.ndarray | None  # event weights times class weights
    train_rows: np.ndarray
    valid_rows: np.ndarray | None
    stop_early: bool
    scorer: ValidationScoring | None
    user_callbacks: list
    torch_seed: int
    split_seed: int
    epochs: int
    n_done: int  # epochs trained before this fit
    checkpoint: dict | None  # the checkpoint resumed from
    checkpoint_meta: dict | None  # what a checkpoint of this fit records
    device: str


class BaseNeuralEstimator(NeuralStateMixin, BaseEstimator):
    """Base class of the skorch-backed estimators (not public).

    Subclasses store their parameters in ``__init__`` and implement the
    target handling (``_prepare_targets``, ``_make_criterion``,
    ``_class_sample_weight``, ``_stratify_labels``).
    """

    _parameter_constraints: dict = {
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_units": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [tuple, list, None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "block": [StrOptions(set(BLOCKS))],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0.0, 1.0, closed="left")],
        "input_scaling": ["boolean", StrOptions({"robust", "standard"})],
        "missing_values": [Real, None],
        "num_embedding": [StrOptions({"periodic", "piecewise"}), None],
        "num_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0.0, None, closed="left")],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "scoring": [str, callable, None],
        "initializer": [StrOptions(set(INITIALIZERS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0.0, None, closed="neither")],
        "momentum": [Interval(Real, 0.0, 1.0, closed="both")],
        "lr_schedule": [
            StrOptions({"time", "step", "exponential", "plateau", "cosine"}),
            None,
        ],
        "lr_decay": [Interval(Real, 0.0, None, closed="neither")],
        "lr_step": [Interval(Real, 0.0, None, closed="neither")],
        "lr_patience": [Interval(Integral, 0, None, closed="left")],
        "l1": [Interval(Real, 0.0, None, closed="left")],
        "l2": [Interval(Real, 0.0, None, closed="left")],
        "gradient_penalty": [Interval(Real, 0.0, None, closed="left")],
        "noise_std": [Interval(Real, 0.0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0.0, 1.0, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "warm_start": ["boolean"],
        "inference_dtype": [StrOptions({"float64", "float32"})],
        "log_dir": [str, os.PathLike, None],
        "on_divergence": [StrOptions({"raise", "restore"})],
        "checkpoint_dir": [str, os.PathLike, None],
        "resume": ["boolean"],
        "mlflow_experiment": [str, None],
        "callbacks": [list, tuple, None],
        "diagnostics": ["boolean"],
        "categorical_features": ["array-like", str, Integral, None],
        "embedding_dim": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_threads": N_THREADS_CONSTRAINT,
    }

    def __setstate__(self, state):
        # a model saved with sknn_hep 0.1 predicts as it did (after the
        # VersionWarning): the parameters added since get their 0.1 behaviour
        if "net_" in state:
            names = self._get_param_names()
            for key, value in _ADDED_IN_0_2.items():
                if key in names:
                    state.setdefault(key, value)
        super().__setstate__(state)

    # -- parameter checks beyond the constraints ----------------------------
    def _hidden_sizes(self) -> list[int]:
        if self.hidden_layer_sizes is None:
            return [int(self.n_units)] * int(self.n_layers)
        sizes = list(self.hidden_layer_sizes)
        if not sizes or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
            for s in sizes
        ):
            raise ValueError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must "
                "be None or a non-empty tuple of positive ints. Got "
                f"{self.hidden_layer_sizes!r} instead."
            )
        return [int(s) for s in sizes]

    def _check_schedule_params(self) -> None:
        if self.lr_schedule in ("step", "plateau") and not self.lr_decay < 1:
            raise ValueError(
                f"The 'lr_decay' parameter of {type(self).__name__} must be < 1 with "
                f"lr_schedule={self.lr_schedule!r} (it multiplies the rate). Got "
                f"{self.lr_decay!r} instead."
            )

    def _stops_early(self, n_samples: int) -> bool:
        """Whether a fit on ``n_samples`` rows stops early (resolves "auto")."""
        if self.early_stopping == "auto":
            return n_samples >= AUTO_EARLY_STOPPING_ROWS
        return bool(self.early_stopping)

    def _batch_size(self, n_train: int) -> int:
        """The batch size of a fit on ``n_train`` training rows."""
        if self.batch_size == "auto":
            return auto_batch_size(n_train)
        return int(self.batch_size)

    def _device(self) -> str:
        """The torch device string of ``device`` ("auto" resolved), checked."""
        name = type(self).__name__
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        try:
            device = torch.device(self.device)
        except (RuntimeError, ValueError, TypeError):
            raise ValueError(
                f"The 'device' parameter of {name} must be 'auto' or a torch device "
                "string such as 'cpu', 'cuda', 'cuda:1' or 'mps'. Got "
                f"{self.device!r} instead."
            ) from None
        if device.type == "cuda":
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            if count == 0:
                raise ValueError(
                    f"{name} was given device={self.device!r}, but torch finds no "
                    "CUDA device here. Use device='cpu' or device='auto'."
                )
            if device.index is not None and device.index >= count:
                raise ValueError(
                    f"{name} was given device={self.device!r}, but torch finds "
                    f"{count} CUDA device(s) here (cuda:0 to cuda:{count - 1})."
                )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError(
                f"{name} was given device={self.device!r}, but torch finds no MPS "
                "(Apple GPU) device here. Use device='cpu' or device='auto'."
            )
        return self.device

    def _finite_check(self):
        """``ensure_all_finite`` of the input checks: NaN may mark missing values."""
        marker = self.missing_values
        return "allow-nan" if marker is not None and marker != marker else True

    def _missing_mask(self, x: np.ndarray) -> np.ndarray | None:
        """Where ``x`` holds the ``missing_values`` marker (None: no marker).

        Compared in float32, as the network sees them: a marker like -999.1
        matches float32 data and their float64 copies.
        """
        marker = self.missing_values
        if marker is None:
            return None
        return missing_mask(x, marker)

    def _check_float32(self, X) -> None:
        """Refuse values (and a marker) that float32 cannot hold."""
        name = type(self).__name__
        marker = self.missing_values
        if marker is not None and marker == marker and abs(marker) > FLOAT32_MAX:
            raise ValueError(
                f"The 'missing_values' parameter of {name} must be NaN, None or a "
                f"number float32 can hold (|x| <= {FLOAT32_MAX:.3g}); the network "
                f"computes in float32. Got {marker!r} instead."
            )
        check_float32_range(
            X, owner=name, feature_names_in=getattr(self, "feature_names_in_", None)
        )

    # -- fitting -------------------------------------------------------------
    def _validate_Xy(self, X, y, *, reset):
        """Validated ``(X, y)``; subclasses with special targets override it."""
        return validate_inputs(
            self,
            X,
            y,
            reset=reset,
            ensure_all_finite=self._finite_check(),
            dtype=[np.float64, np.float32],
            multi_output=self._multi_output_y,
            y_numeric=not self._is_classifier_like,
        )

    def _fit(self, *args, **kwargs):
        """Train; a fit that fails leaves the estimator as it was before.

        On any exception (a :class:`TrainingDivergedError`, a bad input found
        late, an error in a callback, a ``KeyboardInterrupt`` outside the
        epochs), the estimator's attributes are put back: a first fit leaves
        it not fitted, a refit keeps the previous model, and a continued
        network (``warm_start``, ``partial_fit``) gets back its weights,
        optimizer state and history. The exception carries a note saying so.
        """
        previous = dict(self.__dict__)
        net = previous.get("net_")
        continued = (
            net is not None
            and (kwargs.get("incremental") or self.warm_start)
            and not self.resume
        )
        saved = _net_state(net) if continued else None
        try:
            with estimator_threads(self, args[0] if args else kwargs.get("X")):
                return self._fit_run(*args, **kwargs)
        except BaseException as exc:
            self.__dict__.clear()
            self.__dict__.update(previous)
            if saved is not None:
                _restore_net_state(net, saved)
            name = type(self).__name__
            exc.add_note(
                f"{name} is unchanged by this failed fit: "
                + (
                    "it keeps the model of its previous fit."
                    if net is not None
                    else "it is not fitted."
                )
            )
            raise

    def _fit_run(self, *args, **kwargs):
        self.__dict__.pop("mlflow_run_id_", None)
        if self.mlflow_experiment is None:
            return self._fit_network(*args, **kwargs)
        run = MlflowRun(self)
        try:
            self._fit_network(*args, mlflow_run=run, **kwargs)
        except BaseException:
            run.fail()
            raise
        run.finish(self)
        return self

    def _fit_network(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        validation_mask=None,
        mlflow_run=None,
    ):
        """One fit in three steps: prepare the data, set up the net, train it."""
        plan = self._prepare_fit(
            X,
            y,
            sample_weight,
            incremental=incremental,
            classes=classes,
            validation_mask=validation_mask,
        )
        self._set_up_net(plan)
        self._train(plan, mlflow_run)
        return self

    def _prepare_fit(
        self, X, y, sample_weight, *, incremental, classes, validation_mask
    ) -> _FitPlan:
        """Validate the inputs and parameters; targets, weights, split, seeds."""
        name = type(self).__name__
        checkpoint = None if incremental else self._checkpoint_to_resume()
        first = (
            checkpoint is not None
            or not hasattr(self, "net_")
            or not (incremental or self.warm_start)
        )
        hidden = self._hidden_sizes()
        self._check_schedule_params()
        user_callbacks = self._user_callbacks()
        if not first:
            self._check_architecture_unchanged()
        X_given = X
        X, y = self._validate_Xy(X, y, reset=first)
        self._check_float32(X)
        check_float32_range(y, owner=name, input_name="y")
        if not incremental and X.shape[0] < 2:
            raise ValueError(
                f"{name}.fit needs at least 2 samples to train a network; got "
                f"{X.shape[0]} sample."
            )
        if validation_mask is not None:
            validation_mask = _check_validation_mask(validation_mask, X.shape[0], name)
        if sample_weight is not None:
            sample_weight = check_event_weights(
                sample_weight,
                X,
                owner=f"{name}.fit",
                y=y if self._is_classifier_like else None,
            )
        y_model, n_outputs = self._prepare_targets(
            y, first=first, classes=classes, sample_weight=sample_weight
        )
        weights = sample_weight
        class_factor = self._class_sample_weight(y_model, sample_weight)
        if class_factor is not None:
            weights = class_factor if weights is None else weights * class_factor

        x_num, x_cat = self._split_columns(X, first=first)
        if self.gradient_penalty > 0 and x_num.shape[1] == 0:
            raise ValueError(
                f"The 'gradient_penalty' parameter of {name} needs numeric inputs, "
                "but every feature is categorical."
            )

        if first:
            base = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self._seed = int(base)
        n_done = len(self.net_.history) if not first else 0
        if checkpoint is not None:  # the seeds of the interrupted fit
            self._seed = int(checkpoint["meta"]["seed"])
            n_done = int(checkpoint["meta"]["start_epoch"])
        meta = None
        if self.checkpoint_dir is not None and not incremental:
            meta = self._checkpoint_meta(X, y_model, weights, validation_mask, n_done)
            if checkpoint is not None:
                self._check_checkpoint_matches(checkpoint["meta"], meta)
        torch_seed, split_seed = np.random.SeedSequence(
            [self._seed, n_done]
        ).generate_state(2)

        train_rows, valid_rows = np.arange(X.shape[0]), None
        stops_early = self._stops_early(X.shape[0])
        if validation_mask is not None:
            train_rows = np.flatnonzero(~validation_mask)
            valid_rows = np.flatnonzero(validation_mask)
        elif stops_early and not incremental:
            train_rows, valid_rows = self._split(y_model, int(split_seed))
        use_validation = valid_rows is not None
        stop_early = use_validation and (
            stops_early
            or (validation_mask is not None and self.early_stopping == "auto")
        )
        if self.scoring is not None and not use_validation and not incremental:
            raise ValueError(
                f"The 'scoring' parameter of {name} is {self.scoring!r}, but the fit "
                "has no validation set to score: set early_stopping=True (with "
                f"early_stopping='auto', fit needs at least {AUTO_EARLY_STOPPING_ROWS} "
                "rows) or pass a validation_mask."
            )
        scorer = None
        if self.scoring is not None and use_validation:
            # the caller's rows (a DataFrame keeps its column names)
            scorer = ValidationScoring(
                self,
                _scorer(self.scoring),
                _safe_indexing(X_given, valid_rows),
                y[valid_rows],
                None if sample_weight is None else sample_weight[valid_rows],
            )
        if self.batch_norm and len(train_rows) < 2:
            raise ValueError(
                f"{name} with batch_norm=True needs at least 2 training samples; "
                f"got {len(train_rows)} sample."
            )
        if weights is not None and not float(weights[train_rows].sum()) > 0:
            raise ValueError(
                f"The training rows of {name} have weights summing to "
                f"{float(weights[train_rows].sum()):g} after the validation split; "
                "the loss needs a positive sum."
            )
        if (
            weights is not None
            and valid_rows is not None
            and not float(weights[valid_rows].sum()) > 0
        ):
            raise ValueError(
                f"The validation split of {name} (validation_fraction="
                f"{self.validation_fraction}) has weights summing to "
                f"{float(weights[valid_rows].sum()):g}; the early-stopping loss needs "
                "a positive sum. Use a larger validation_fraction or other weights."
            )
        if checkpoint is not None:
            remaining = int(checkpoint["target_epochs"]) - len(
                json.loads(checkpoint["history"])
            )
            epochs = 0 if checkpoint["finished"] else max(remaining, 0)
        else:
            epochs = 1 if incremental else int(self.max_epochs)
        return _FitPlan(
            first=first,
            hidden=hidden,
            n_outputs=n_outputs,
            x_num=x_num,
            x_cat=x_cat,
            y_model=y_model,
            weights=weights,
            train_rows=train_rows,
            valid_rows=valid_rows,
            stop_early=stop_early,
            scorer=scorer,
            user_callbacks=user_callbacks,
            torch_seed=int(torch_seed),
            split_seed=int(split_seed),
            epochs=epochs,
            n_done=n_done,
            checkpoint=checkpoint,
            checkpoint_meta=meta,
            device=self._device(),
        )

    def _split_columns(self, X, *, first: bool):
        """The numeric columns and the category indices of ``X``."""
        if first:
            self.categorical_indices_ = resolve_columns(
                self.categorical_features,
                n_features=X.shape[1],
                feature_names_in=getattr(self, "feature_names_in_", None),
                param="categorical_features",
                owner=type(self).__name__,
            )
            self._numeric_indices = np.setdiff1d(
                np.arange(X.shape[1]), self.categorical_indices_
            )
        cat_idx, num_idx = self.categorical_indices_, self._numeric_indices
        check_codes(self, X, cat_idx)
        if first:
            self.categories_ = [np.unique(X[:, j]) for j in cat_idx]
        x_num = X[:, num_idx] if len(cat_idx) else X
        x_cat = (
            encode_categories(X, cat_idx, self.categories_) if len(cat_idx) else None
        )
        return x_num, x_cat

    def _set_up_net(self, plan: _FitPlan) -> None:
        """Build a new net (a first fit) or refresh the continued one."""
        if plan.first:
            self.net_ = self._build_net(
                plan.x_num,
                plan.y_model[plan.train_rows],
                plan.weights,
                plan.train_rows,
                hidden=plan.hidden,
                n_outputs=plan.n_outputs,
                device=plan.device,
                seed=plan.torch_seed,
            )
            self._architecture = {
                k: getattr(self, k) for k in _ARCHITECTURE if k in self.get_params()
            }
            self._optimizer_built = self.optimizer
        else:
            self.net_.seed = plan.torch_seed
            self._refresh_training_params(plan.device)
        self.net_.batch_size = self._batch_size(len(plan.train_rows))

    def _train(self, plan: _FitPlan, mlflow_run=None) -> None:
        """Train the net through skorch's ``partial_fit`` with this fit's callbacks."""
        net, device = self.net_, plan.device
        train = self._tensor_data(plan, plan.train_rows)
        valid = (
            self._tensor_data(plan, plan.valid_rows)
            if plan.valid_rows is not None
            else None
        )
        net.train_split = predefined_split(valid) if valid is not None else None
        net.callbacks = self._callbacks(plan, mlflow_run)
        try:
            if net.initialized_:
                net.initialize_callbacks()
            else:
                # The initial weights are the one draw from torch's global
                # generator: seeded, under a lock so that fits in parallel
                # threads cannot interleave, and the caller's generator state
                # is restored.
                where = torch.device(device)
                cuda = [where.index or 0] if where.type == "cuda" else []
                with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda):
                    torch.manual_seed(plan.torch_seed)
                    net.initialize()
            net.partial_fit(train, None, epochs=plan.epochs)
            if net.module_.embedding is not None:
                net.module_.embedding.set_unknown_to_mean()
            self._record_history()
        finally:
            self._detach_fit_callbacks()

    # -- checkpoints ----------------------------------------------------------
    def _checkpoint_to_resume(self) -> dict | None:
        """The checkpoint ``fit`` continues from (resume=True), or None."""
        if not self.resume:
            return None
        name = type(self).__name__
        if self.checkpoint_dir is None:
            raise ValueError(
                f"The 'resume' parameter of {name} is True, but 'checkpoint_dir' is "
                "None: set checkpoint_dir to the directory of the checkpoints to "
                "resume from."
            )
        if self.warm_start:
            raise ValueError(
                f"{name} cannot combine resume=True with warm_start=True: resume "
                "restores the whole training state from the checkpoint, warm_start "
                "continues the network in memory. Set one of them to False."
            )
        return read_checkpoint(self.checkpoint_dir, device=self._device())

    def _checkpoint_meta(self, X, y_model, weights, validation_mask, n_done) -> dict:
        """What a resumed fit must match: parameters, data, seed."""
        digest = hashlib.blake2b(digest_size=16)
        for arr in (X, y_model, weights, validation_mask):
            if arr is not None:
                arr = np.asarray(arr)
                digest.update(f"{arr.dtype.str}{arr.shape}".encode())
                # the bytes of the C-ordered array, a chunk of rows at a time
                # (no contiguous copy of a Fortran-ordered X)
                for start in range(0, max(len(arr), 1), CHUNK_ROWS):
                    chunk = np.ascontiguousarray(arr[start : start + CHUNK_ROWS])
                    digest.update(chunk.data)
        params = {
            key: "<RandomState>"
            if isinstance(value, np.random.RandomState)
            else repr(value)
            for key, value in self.get_params(deep=False).items()
            if key not in _NOT_COMPARED_ON_RESUME
        }
        return {
            "estimator": type(self).__name__,
            "params": params,
            "data": {
                "n_samples": int(X.shape[0]),
                "n_features": int(X.shape[1]),
                "fingerprint": digest.hexdigest(),
            },
            "seed": int(self._seed),
            "start_epoch": int(n_done),
        }

    def _check_checkpoint_matches(self, saved: dict, now: dict) -> None:
        name = type(self).__name__
        where = os.fspath(Path(self.checkpoint_dir))
        advice = (
            " Fit with the settings and data of the checkpoint, or delete it (or use "
            "another checkpoint_dir) to start a new training."
        )
        if saved.get("estimator") != now["estimator"]:
            raise ValueError(
                f"The checkpoint in {where} was written by "
                f"{saved.get('estimator')}, not {name}.{advice}"
            )
        if saved.get("start_epoch"):
            raise ValueError(
                f"The checkpoint in {where} was written by a fit that continued a "
                f"network after {saved['start_epoch']} epochs (warm_start); resume "
                f"only continues fits that start a new network.{advice}"
            )
        old_params = saved.get("params", {})
        for key, value in now["params"].items():
            if old_params.get(key) != value:
                raise ValueError(
                    f"{name} cannot resume from the checkpoint in {where}: the "
                    f"'{key}' parameter is {old_params.get(key, '(not set)')} in the "
                    f"checkpoint and {value} now.{advice}"
                )
        old, new = saved.get("data", {}), now["data"]
        if old != new:
            if (old.get("n_samples"), old.get("n_features")) != (
                new["n_samples"],
                new["n_features"],
            ):
                detail = (
                    f"X has shape ({new['n_samples']}, {new['n_features']}), the "
                    f"checkpoint's data ({old.get('n_samples')}, "
                    f"{old.get('n_features')})"
                )
            else:
                detail = (
                    "the data (X, y, sample_weight or validation_mask) differ from "
                    "the checkpoint's"
                )
            raise ValueError(
                f"{name} cannot resume from the checkpoint in {where}: {detail}."
                f"{advice}"
            )

    def _check_architecture_unchanged(self) -> None:
        for key, old in self._architecture.items():
            new = getattr(self, key)
            if not _same(new, old):
                raise ValueError(
                    f"{type(self).__name__} cannot continue training (warm_start or "
                    f"partial_fit): the '{key}' parameter changed from {old!r} to "
                    f"{new!r} since the network was built. Set warm_start=False (or "
                    "call fit) to train a new network."
                )

    def _refresh_training_params(self, device: str) -> None:
        """Give a continued network (warm_start, partial_fit) today's parameters.

        The optimizer's hyperparameters (``lr``, ``momentum``,
        ``weight_decay``), the penalties (``l1``, ``l2``,
        ``gradient_penalty``), ``noise_std`` and the loss are set to the
        estimator's current values; the optimizer keeps its state (moments)
        unless ``optimizer`` names another one, which then starts fresh.
        ``lr`` is also the rate a learning-rate schedule starts from.
        """
        net = self.net_
        self._move_to(device)
        opt_cls, opt_kwargs = make_optimizer_spec(
            self.optimizer,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=float(self.weight_decay),
            device=device,
        )
        built_with = getattr(self, "_optimizer_built", None)
        for key in [k for k in vars(net) if k.startswith("optimizer__")]:
            delattr(net, key)
        for key, value in opt_kwargs.items():
            setattr(net, f"optimizer__{key}", value)
        net.lr = float(self.lr)
        if net.optimizer is not opt_cls or (
            built_with is not None and built_with != self.optimizer
        ):
            net.optimizer = opt_cls
            net.initialize_optimizer()
        else:
            for group in net.optimizer_.param_groups:
                for key, value in opt_kwargs.items():
                    if key in group and key != "fused":
                        group[key] = value
        for group in net.optimizer_.param_groups:
            # the rate a schedule (added or kept) starts from
            group["initial_lr"] = float(self.lr)
        self._optimizer_built = self.optimizer
        net.l1, net.l2 = float(self.l1), float(self.l2)
        net.gradient_penalty = float(self.gradient_penalty)
        noise = getattr(net.module_, "noise", None)
        if noise is not None:
            noise.std = float(self.noise_std)
        net.criterion = self._make_criterion()
        net.initialize_criterion()

    def _move_to(self, device: str) -> None:
        """Move the fitted network to ``device`` (a torch device string)."""
        net = self.net_
        if _same_device(net.device, device):
            return
        net.device = device
        net.module_.to(device)
        net.criterion_.to(device)
        # loading its own state moves the optimizer's moments next to the
        # parameters (torch keeps "step" where the optimizer needs it)
        net.optimizer_.load_state_dict(net.optimizer_.state_dict())

    def _split(self, y_model, seed):
        rows = np.arange(len(y_model))
        stratify = self._stratify_labels(y_model)
        try:
            return train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"{type(self).__name__} cannot hold out validation_fraction="
                f"{self.validation_fraction} of {len(rows)} samples for early "
                f"stopping: {exc}"
            ) from exc

    def _build_net(
        self, x_num, y_model, weights, rows, *, hidden, n_outputs, device, seed
    ):
        # x_num: all rows; the statistics are those of x_num[rows], computed
        # without copying them (a float64 copy of the data would be twice
        # its size)
        w = weights[rows] if weights is not None else None
        mean, std, flags = blockwise_input_constants(
            x_num,
            rows,
            w,
            self.input_scaling,
            None if self.missing_values is None else self._missing_mask,
        )
        robust = self.input_scaling == "robust"
        scaling = {
            "input_mean": mean,
            "input_std": std,
            "input_clip": SMOOTH_CLIP if robust else None,
            "missing_value": None
            if self.missing_values is None
            else float(self.missing_values),
            "missing_flags": flags,
        }
        emb_options = {}
        if self.num_embedding == "piecewise" and x_num.shape[1]:
            n_num = x_num.shape[1]
            scaler = InputScaling(n_features=n_num, **_scaler_args(scaling))
            z = torch.empty(len(rows), n_num)
            for start in range(0, len(rows), CHUNK_ROWS):
                chunk = as_tensor(
                    x_num[rows[start : start + CHUNK_ROWS]], torch.float32
                )
                z[start : start + CHUNK_ROWS] = scaler(chunk)[:, :n_num]
            emb_options["bins"] = quantile_bins(z, N_BINS)
        elif self.num_embedding == "periodic":
            emb_options.update(PERIODIC_OPTIONS)
        out_mean, out_scale = self._output_scaling(y_model, w)
        if self.categorical_indices_.size:
            cards = [len(c) + 1 for c in self.categories_]
            dims = [
                auto_embedding_dim(len(c))
                if self.embedding_dim == "auto"
                else int(self.embedding_dim)
                for c in self.categories_
            ]
        else:
            cards = dims = None
        opt_cls, opt_kwargs = make_optimizer_spec(
            self.optimizer,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=float(self.weight_decay),
            device=device,
        )
        return self._net_class()(
            module=FeedForwardNetwork,
            module__n_numeric=int(x_num.shape[1]),
            module__n_outputs=int(n_outputs),
            module__hidden_sizes=hidden,
            module__activation=self.activation,
            module__block=self.block,
            module__batch_norm=bool(self.batch_norm),
            module__dropout=float(self.dropout),
            module__initializer=self.initializer,
            **{f"module__{k}": v for k, v in scaling.items()},
            module__num_embedding=self.num_embedding,
            module__num_embedding_dim=int(self.num_embedding_dim),
            module__num_embedding_options=emb_options,
            module__cardinalities=cards,
            module__embedding_dims=dims,
            module__noise_std=float(self.noise_std),
            module__output_mean=out_mean,
            module__output_scale=out_scale,
            criterion=self._make_criterion(),
            optimizer=opt_cls,
            **{f"optimizer__{k}": v for k, v in opt_kwargs.items()},
            lr=float(self.lr),
            batch_size=self._batch_size(len(rows)),
            max_epochs=int(self.max_epochs),
            train_split=None,
            device=device,
            verbose=int(self.verbose == 2),
            l1=float(self.l1),
            l2=float(self.l2),
            gradient_penalty=float(self.gradient_penalty),
            seed=seed,
            **{f"module__{k}": v for k, v in self._module_kwargs().items()},
        )

    def _module_kwargs(self) -> dict:
        """Extra keyword arguments of the network module (subclass hook)."""
        return {"n_ensemble": int(self.n_ensemble)}

    def _net_class(self) -> type:
        """The skorch net class: a classifier's, a regressor's, or the plain one."""
        if self._is_classifier_like:
            return TensorNetClassifier
        if is_regressor(self):
            return TensorNetRegressor
        return TensorNet

    def _user_callbacks(self) -> list:
        """The ``callbacks`` parameter as (name, callback) items, checked."""
        name = type(self).__name__
        given = self.callbacks
        if given is None:
            return []
        problem = (
            f"The 'callbacks' parameter of {name} must be None or a list of skorch "
            "callbacks (instances or classes of skorch.callbacks.Callback) or "
            f"(name, callback) pairs. Got {given!r} instead."
        )
        if not isinstance(given, (list, tuple)):
            raise ValueError(problem)
        items = []
        for item in given:
            if isinstance(item, (tuple, list)):
                if len(item) != 2 or not isinstance(item[0], str):
                    raise ValueError(problem)
                cb_name, cb = item
            else:
                cb = item
                cb_name = cb.__name__ if isinstance(cb, type) else type(cb).__name__
            is_callback = isinstance(cb, Callback) or (
                isinstance(cb, type) and issubclass(cb, Callback)
            )
            if not is_callback:
                raise ValueError(problem)
            if cb_name in _OWN_CALLBACKS:
                raise ValueError(
                    f"The 'callbacks' parameter of {name} names a callback "
                    f"{cb_name!r}, a name {name} uses for its own callbacks "
                    f"({', '.join(_OWN_CALLBACKS)}). Give it another name: "
                    f"callbacks=[('my_{cb_name}', ...)]."
                )
            items.append(item)
        return items

    def _callbacks(self, plan: _FitPlan, mlflow_run=None) -> list:
        """The callbacks of one fit, in the order skorch notifies them.

        The divergence check first (right after skorch's loss records), then
        the validation score, the user's callbacks, the learning-rate
        schedule, the diagnostics, the loggers (TensorBoard, MLflow: they see
        every figure recorded before them), the progress display, early
        stopping (it stops the training by raising in ``on_epoch_end``: the
        callbacks before it have seen the last epoch), and the checkpoint
        last (it saves the others' state; at a stop, in ``on_train_end``).
        """
        use_validation = plan.valid_rows is not None
        monitor = "valid_loss" if use_validation else "train_loss"
        callbacks = [("divergence", DivergenceGuard(self.on_divergence))]
        if plan.scorer is not None:
            callbacks.append(("valid_score", plan.scorer))
        callbacks.extend(plan.user_callbacks)
        spec = make_lr_scheduler_spec(
            self.lr_schedule,
            lr_decay=float(self.lr_decay),
            lr_step=self.lr_step,
            lr_patience=int(self.lr_patience),
            max_epochs=int(self.max_epochs),
        )
        if spec is not None:
            policy, kwargs = spec
            callbacks.append(
                (
                    "lr_scheduler",
                    LRScheduler(
                        policy=policy, monitor=monitor, event_name=None, **kwargs
                    ),
                )
            )
        if self.diagnostics:
            rows = diagnostic_rows(len(plan.train_rows), plan.split_seed)
            probe = self._tensor_data(plan, plan.train_rows[rows])
            callbacks.append(("diagnostics", TrainingDiagnostics(probe)))
        if self.log_dir is not None:
            callbacks.append(("tensorboard", TensorBoard(self._summary_writer())))
        if mlflow_run is not None:
            callbacks.append(("mlflow", mlflow_run.start(self).callback))
        if self.verbose == 2:
            callbacks.append(("print_log", PrintLog(keys_ignored=["batches"])))
        elif self.verbose:
            callbacks.append(("progress_bar", ProgressBar(total=plan.epochs)))
        if plan.stop_early:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss" if plan.scorer is None else "valid_score",
                        lower_is_better=plan.scorer is None,
                        patience=int(self.patience),
                        threshold=float(self.tol),
                        threshold_mode="abs",
                        load_best=bool(self.restore_best_weights),
                        sink=print,
                    ),
                )
            )
        if plan.checkpoint_meta is not None:
            callbacks.append(
                (
                    "checkpoint",
                    TrainingCheckpoint(
                        Path(self.checkpoint_dir),
                        plan.checkpoint_meta,
                        target_epochs=plan.n_done + plan.epochs,
                        resume_from=plan.checkpoint,
                    ),
                )
            )
        return callbacks

    def _summary_writer(self):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ImportError(
                f"{type(self).__name__}(log_dir={self.log_dir!r}) writes TensorBoard "
                f"logs and needs the 'tensorboard' package: {install_hint('monitor')}"
            ) from exc
        return SummaryWriter(log_dir=os.fspath(self.log_dir))

    def _detach_fit_callbacks(self) -> None:
        """Remove this fit's own callbacks from the net (and close the writer).

        They hold the estimator, validation rows, weight snapshots, a
        TensorBoard writer (files and a thread), an MLflow run, or watch the
        validation set of this fit: the fitted net keeps skorch's loss
        records and the user's callbacks, stays picklable and small, and
        ``net_.partial_fit`` trains on its own.
        """
        net = self.net_
        net.train_split = None
        for name, cb in list(getattr(net, "callbacks_", [])):
            if name in _FIT_ONLY_CALLBACKS:
                if name == "tensorboard":
                    cb.writer.close()
                net.callbacks_.remove((name, cb))
        if isinstance(net.callbacks, list):
            net.callbacks = [
                item
                for item in net.callbacks
                if not (isinstance(item, tuple) and item[0] in _FIT_ONLY_CALLBACKS)
            ]

    def _tensor_data(self, plan: _FitPlan, rows) -> TensorData:
        """Tensors of ``rows`` on the fit's device (weights divided by their mean)."""
        device = plan.device
        weights, y_model = plan.weights, plan.y_model
        w = None
        if weights is not None:
            w = normalized_weights(as_tensor(weights[rows], torch.float32))
            w = None if w is None else w.to(device)
        y_rows = self._training_targets(y_model[rows])
        y_dtype = torch.int64 if y_rows.dtype.kind in "iu" else torch.float32
        labels = None
        if getattr(self, "balanced_batches", False):
            labels = as_tensor(y_model[rows], torch.int64).to(device)
        return TensorData(
            x=gather_rows(plan.x_num, rows, torch.float32).to(device),
            x_cat=gather_rows(plan.x_cat, rows, torch.int64).to(device)
            if plan.x_cat is not None
            else None,
            y=as_tensor(y_rows, y_dtype).to(device),
            w=w,
            labels=labels,
            n_classes=len(getattr(self, "classes_", ())),
        )

    def _record_history(self) -> None:
        rows = [
            {k: v for k, v in row.items() if k != "batches"}
            for row in self.net_.history
        ]
        self.history_ = rows
        self.n_iter_ = len(rows)
        self.loss_curve_ = [row["train_loss"] for row in rows]
        stopper = dict(self.net_.callbacks_).get("early_stopping")
        if stopper is not None and stopper.best_epoch_:
            self.best_epoch_ = int(stopper.best_epoch_)
        elif "valid_score" in rows[-1]:
            scores = [row.get("valid_score", -np.inf) for row in rows]
            self.best_epoch_ = int(rows[int(np.argmax(scores))]["epoch"])
        else:
            key = "valid_loss" if "valid_loss" in rows[-1] else "train_loss"
            losses = [row.get(key, np.inf) for row in rows]
            self.best_epoch_ = int(rows[int(np.argmin(losses))]["epoch"])

    # -- prediction ----------------------------------------------------------
    def _network_output(self, X, *, logits: bool) -> np.ndarray:
        check_is_fitted(self, "net_")
        self._move_to(self._device())
        X = validate_inputs(
            self,
            X,
            reset=False,
            ensure_all_finite=self._finite_check(),
            dtype=[np.float32, np.float64],
        )
        self._check_float32(X)
        cat_idx = self.categorical_indices_
        columns = None
        if len(cat_idx):
            check_codes(self, X, cat_idx)
            columns = self._numeric_indices
            x_cat = as_tensor(
                encode_categories(X, cat_idx, self.categories_), torch.int64
            )
        else:
            x_cat = None
        # X itself: forward_tensors converts it to float32 a chunk at a time
        with estimator_threads(self, X, predict=True):
            out = self.net_.forward_tensors(
                X,
                x_cat,
                columns=columns,
                logits=logits,
                float64=self.inference_dtype == "float64",
            )
        return out.cpu().numpy().astype(np.float64, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # With categorical features the inputs must hold integer codes.
        tags.input_tags.categorical = self.categorical_features is not None
        return tags


def _same_device(a, b) -> bool:
    """Whether two torch device specs name the same device ("cuda" = "cuda:0")."""
    a, b = torch.device(a), torch.device(b)
    return a.type == b.type and (a.index or 0) == (b.index or 0)


def _net_state(net) -> dict:
    """What a continued fit changes in ``net``, to put back if it fails."""
    return {
        "attributes": dict(net.__dict__),
        "module": copy.deepcopy(net.module_.state_dict()),
        "optimizer": copy.deepcopy(net.optimizer_.state_dict()),
        "history": copy.deepcopy(net.history),
    }


def _restore_net_state(net, saved: dict) -> None:
    net.__dict__.clear()
    net.__dict__.update(saved["attributes"])
    net.module_.load_state_dict(saved["module"])
    net.optimizer_.load_state_dict(saved["optimizer"])
    net.history = saved["history"]


def _scorer(scoring):
    """The scorer of the ``scoring`` parameter: sknn_hep's names, then sklearn's."""
    return scoring if callable(scoring) else get_scorer(scoring)


def auto_batch_size(n_train: int) -> int:
    """``batch_size="auto"``: 256, or n / 64 rounded down to a power of 2, ≤ 1024.

    Small and medium sets (up to 32,767 training rows) train with batches
    of 256; larger ones with batches that grow with the data, so that an
    epoch stays about 64 steps long until 1024 rows per batch (65,536
    training rows and more).

    Examples
    --------
    >>> [auto_batch_size(n) for n in (1_000, 20_000, 40_000, 100_000, 10**7)]
    [256, 256, 512, 1024, 1024]
    """
    power = 1 << max(0, int(n_train // 64).bit_length() - 1)
    return int(min(1024, max(256, power)))


def _scaler_args(scaling: dict) -> dict:
    """:class:`InputScaling` arguments from the module's ``input_*`` arguments."""
    return {
        "center": scaling["input_mean"],
        "scale": scaling["input_std"],
        "clip": scaling["input_clip"],
        "missing_value": scaling["missing_value"],
        "flag_columns": scaling["missing_flags"],
    }


def _check_validation_mask(mask, n_samples: int, owner: str) -> np.ndarray:
    """``validation_mask`` as a boolean array with rows on both sides."""
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(
            f"The validation_mask passed to {owner}.fit must be a boolean array "
            f"(True for the validation rows). Got dtype {arr.dtype} instead."
        )
    if arr.shape != (n_samples,):
        raise ValueError(
            f"The validation_mask passed to {owner}.fit must have shape "
            f"({n_samples},), one entry per row of X. Got shape {arr.shape}."
        )
    n_valid = int(arr.sum())
    if n_valid == 0 or n_valid == n_samples:
        raise ValueError(
            f"The validation_mask passed to {owner}.fit must mark some but not all "
            f"rows for validation; it marks {n_valid} of {n_samples}."
        )
    return arr


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(
        b, (list, tuple, np.ndarray)
    ):
        try:
            return np.array_equal(
                np.asarray(a, dtype=object), np.asarray(b, dtype=object)
            )
        except Exception:  # noqa: BLE001 - unequal shapes
            return False
    return a == b
