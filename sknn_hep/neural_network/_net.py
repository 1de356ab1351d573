"""The skorch nets behind the estimators: skorch's loop, a tensor data path.

:class:`TensorNet` is a :class:`skorch.NeuralNet`: ``fit``, ``partial_fit``,
``fit_loop``, ``run_single_epoch``, ``train_step`` and every callback event
(``on_train_begin`` … ``on_batch_end``, ``on_grad_computed``) are skorch's,
so skorch callbacks (``GradientNormClipping``, ``EpochScoring``,
``BatchScoring``, ``LRScheduler``, ``Checkpoint``, a user's own) work as
skorch documents them. What is ours are skorch's extension points:

- ``get_dataset``: a :class:`TensorData` (float32 numeric inputs, int64
  category indices, targets and weights as tensors on the net's device,
  built once per fit) from arrays, a dict or a :class:`TensorData`;
- ``get_iterator``: a training epoch gathers the rows in its random order a
  chunk of whole batches at a time and the batches are slices of that
  chunk; skorch's default ``Dataset.__getitem__`` and ``default_collate``
  per sample are several times slower for tabular data;
- ``infer``, ``get_loss``, ``train_step_single``: the module's logits, the
  per-event weighted loss, the L1/L2 and gradient penalties;
- ``on_train_begin``/``on_epoch_begin``: the fit's own random streams
  (batch order, dropout and noise: nothing draws from torch's global
  generator), the learning rate recorded per epoch, and the batch-level
  history kept while its epoch runs (``BatchScoring`` and
  ``PassthroughScoring`` read it at the epoch's end; the epoch-level
  records stay), so the memory does not grow with epochs x batches.

A batch is ``(Xi, yi)`` with ``Xi`` a dict: ``"x"`` (N, n_numeric) float32,
``"x_cat"`` (N, n_categorical) int64 when there are categorical inputs,
``"w"`` (N,) float32 event weights divided by their mean when weighted.
``y_pred`` is the module's output before the output nonlinearity (logits;
with ``n_ensemble`` > 1 in training, the members' ``(N, k, n_out)``);
``predict_proba`` applies the nonlinearity (probabilities for the
classifier's net).

The net works in the network's own spaces: numeric input columns (the
module scales them), category indices, class indices as targets,
standardised regression targets. The estimators translate.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import is_dataset

from ..nn.data import epoch_order
from ..nn.losses import CrossEntropy
from ._inputs import as_tensor

# Inference runs in cache-sized chunks (faster than one large batch).
PREDICT_BATCH_SIZE = 4096
# Training gathers the rows of an epoch, in its random order, this many at a
# time (rounded up to whole batches).
GATHER_ROWS = 65_536

# A train loss more than this many times its reference (the loss at the start
# of training, at least 1) counts as diverged: the weights exploded although
# the loss stayed finite (e.g. Adam at lr 1e3: losses of 1e10, saturated
# outputs). Losses are in the network's own units (standardised regression
# targets, cross-entropies), where a fresh network starts near 1.
EXPLOSION_FACTOR = 100.0
# rows of the training data the reference loss is measured on
REFERENCE_ROWS = 2048


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite, or exploded.

    Exploded: more than 100 times its value at the start of training (see
    ``docs/reliability.md``).
    """


@dataclass
class TensorData:
    """Tensors of one data set, on the net's device.

    ``x`` float32 (N, n_numeric); ``x_cat`` int64 (N, n_categorical) or None;
    ``y`` the targets (or None for prediction); ``w`` float32 (N,) weights
    divided by their mean, or None (all equal); ``labels`` int64 class
    indices for balanced batches, or None.
    """

    x: torch.Tensor
    x_cat: torch.Tensor | None
    y: torch.Tensor | None
    w: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    n_classes: int = 0

    def __len__(self) -> int:
        return self.x.shape[0]

    def rows(self, start: int, stop: int) -> tuple[dict, torch.Tensor | None]:
        """The batch ``(Xi, yi)`` of rows ``start:stop``."""
        xi = {"x": self.x[start:stop]}
        if self.x_cat is not None:
            xi["x_cat"] = self.x_cat[start:stop]
        if self.w is not None:
            xi["w"] = self.w[start:stop]
        return xi, None if self.y is None else self.y[start:stop]


def normalized_weights(w: torch.Tensor | None) -> torch.Tensor | None:
    """Weights divided by their mean; None when all are equal (or None)."""
    if w is None or not bool(torch.any(w != w[0])):
        return None
    return w / w.mean()


class _TrainBatches:
    """The batches of one training epoch; each pass draws a new order.

    The tensors are gathered in the epoch's order a chunk of whole batches
    at a time (about :data:`GATHER_ROWS` rows): the same batches as one
    gather of the whole epoch, without a second copy of the data. A chunk
    is a multiple of 64 rows, so that each batch keeps the memory alignment
    it had in the whole gather (float32 kernels may round differently with
    another alignment).
    """

    def __init__(self, net: TensorNet, data: TensorData, batch_size: int) -> None:
        self.net = net
        self.data = data
        self.batch_size = int(batch_size)

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        data = self.data
        order, step = epoch_order(
            len(data),
            self.batch_size,
            generator=self.net.order_generator(),
            labels=data.labels,
            n_classes=data.n_classes,
            device=data.x.device,
        )
        unit = math.lcm(step, 64)
        chunk_rows = unit * max(1, GATHER_ROWS // unit)
        # batch norm cannot train on one row: a last batch of one is skipped
        # (it falls elsewhere in the next epoch's order)
        skip_single = any(
            isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            for m in self.net.module_.modules()
        )
        n = order.numel()
        for start in range(0, n, chunk_rows):
            rows = order[start : start + chunk_rows]
            chunk = TensorData(
                x=data.x.index_select(0, rows),
                x_cat=None if data.x_cat is None else data.x_cat.index_select(0, rows),
                y=data.y.index_select(0, rows),
                w=None if data.w is None else data.w.index_select(0, rows),
            )
            for offset in range(0, len(chunk), step):
                if skip_single and n - (start + offset) == 1:
                    return
                yield chunk.rows(offset, offset + step)


class _EvalBatches:
    """Consecutive chunks of a data set (validation, prediction)."""

    def __init__(self, data: TensorData, size: int) -> None:
        self.data = data
        self.size = int(size)

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.size)

    def __iter__(self):
        for start in range(0, len(self.data), self.size):
            yield self.data.rows(start, start + self.size)


def eval_chunk_rows(module) -> int:
    """Rows per inference chunk: an ensemble's k members see k copies of each
    row, so chunks of :data:`PREDICT_BATCH_SIZE` / k keep the activations
    (and the memory of a chunk) as for one network; a divisor, so that
    splits at multiples of :data:`PREDICT_BATCH_SIZE` stay bit-identical."""
    members = max(1, int(getattr(module, "n_ensemble", 1)))
    return max(1, PREDICT_BATCH_SIZE // members)


def training_stopped(net) -> bool:
    """Whether a callback stopped the training (early stopping, divergence).

    skorch callbacks stop a training by raising ``KeyboardInterrupt``, as a
    Ctrl-C does; this tells the two apart.
    """
    for _, cb in getattr(net, "callbacks_", []):
        if isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience:
            return True
        if getattr(cb, "stopped_training_", False):
            return True
    return False


class TensorNet(NeuralNet):
    """skorch ``NeuralNet`` on tensors built once per fit (private).

    Parameters beyond skorch's
    --------------------------
    l1, l2 : float
        λ of the penalties ``λ Σ|w|`` and ``λ Σ w²`` over the weights (not the
        biases) of the module's linear layers.
    gradient_penalty : float
        λ of ``λ ||∇_z Σ_k out_k||²``, z being the scaled numeric inputs.
    seed : int
        Seeds the fit's random streams (batch order, dropout, noise),
        together with the number of epochs already trained.
    """

    def __init__(self, *args, l1=0.0, l2=0.0, gradient_penalty=0.0, seed=0, **kwargs):
        self.l1 = l1
        self.l2 = l2
        self.gradient_penalty = gradient_penalty
        self.seed = seed
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("predict_nonlinearity", None)
        super().__init__(*args, **kwargs)

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
        ]

    # -- data ---------------------------------------------------------------
    def _target_tensor(self, y) -> torch.Tensor:
        """Targets as the criterion needs them (float32 here)."""
        return as_tensor(np.asarray(y), torch.float32)

    def get_dataset(self, X, y=None):
        """A :class:`TensorData` on the net's device.

        ``X``: a :class:`TensorData`, an array of the numeric inputs, or a
        dict with ``"x"`` (numeric inputs), optionally ``"x_cat"`` (category
        indices) and ``"w"`` (event weights); ``y``: targets in the net's
        space (class indices, standardised regression targets) or None.
        """
        if isinstance(X, TensorData):
            return X
        if is_dataset(X):
            raise TypeError(
                f"{type(self).__name__} trains on tensors, not on a torch Dataset: "
                "pass the numeric inputs as an array, or a dict with 'x', "
                "'x_cat' and 'w'."
            )
        parts = dict(X) if isinstance(X, Mapping) else {"x": X}
        unknown = set(parts) - {"x", "x_cat", "w"}
        if unknown or "x" not in parts:
            raise ValueError(
                f"{type(self).__name__} takes X as an array of the numeric inputs "
                "or a dict with the keys 'x' and optionally 'x_cat', 'w'. Got keys "
                f"{sorted(parts)!r}."
            )
        device = self.device

        def tensor(value, dtype):
            if value is None:
                return None
            if torch.is_tensor(value):
                return value.to(device, dtype)
            return as_tensor(np.asarray(value), dtype).to(device)

        w = tensor(parts.get("w"), torch.float32)
        return TensorData(
            x=tensor(parts["x"], torch.float32),
            x_cat=tensor(parts.get("x_cat"), torch.int64),
            y=None if y is None else self._target_tensor(y).to(device),
            w=normalized_weights(w),
        )

    def get_iterator(self, dataset, training=False):
        """Training: the epoch's shuffled batches; else consecutive chunks."""
        if training:
            return _TrainBatches(self, dataset, self.batch_size)
        return _EvalBatches(dataset, eval_chunk_rows(self.module_))

    # -- steps ----------------------------------------------------------------
    def _set_training(self, training=True):
        """skorch's mode switch, skipped when the module is in that mode already.

        skorch calls it for every batch; ``Module.train`` walks every
        submodule (a tenth of the time of a small network's training step).
        A callback that changes the mode (``model.eval()``) flips the
        module's own flag, so the next batch switches back.
        """
        if self.module_.training is bool(training) and (
            not isinstance(self.criterion_, torch.nn.Module)
            or self.criterion_.training is bool(training)
        ):
            return
        super()._set_training(training)

    def infer(self, x, **fit_params):
        """The module's logits on a batch (``split``: a list per multi-task head)."""
        if fit_params:
            raise TypeError(
                f"{type(self).__name__} takes no extra fit parameters; got "
                f"{sorted(fit_params)!r}."
            )
        if isinstance(x, Mapping):
            xb, cb = x["x"], x.get("x_cat")
        else:
            xb, cb = x, None
        return self.module_.logits(xb, cb, split=True)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Mean over the batch of the event-weighted per-row loss.

        With ``n_ensemble`` > 1 in training, each member's loss, averaged
        over the members. Weights (``X["w"]``) are divided by their mean over
        the data set, so the loss of the whole set is ``Σ w ℓ / Σ w``.
        """
        y_true = y_true.to(self.device) if torch.is_tensor(y_true) else y_true
        criterion = self.criterion_
        if torch.is_tensor(y_pred) and y_pred.dim() == 3:
            n_rows, k = y_pred.shape[:2]
            losses = criterion(
                y_pred.reshape(n_rows * k, -1), y_true.repeat_interleave(k, dim=0)
            ).reshape(n_rows, k)
            losses = losses.mean(dim=1)
        else:
            losses = criterion(y_pred, y_true)
        w = X.get("w") if isinstance(X, Mapping) else None
        if w is not None:
            losses = losses * w
        return losses.mean()

    def train_step_single(self, batch, **fit_params):
        """Forward, loss and backward of one batch (skorch's step, with penalties).

        The returned ``loss`` (recorded as the batch's ``train_loss``) is the
        data term; the gradients also include the L1/L2 and gradient
        penalties.
        """
        self._set_training(True)
        xi, yi = unpack_data(batch)
        z = None
        if self.gradient_penalty:
            if fit_params:
                self.infer(xi, **fit_params)  # raises the TypeError
            z = self.module_.scaler(xi["x"]).detach().requires_grad_(True)
            y_pred = self.module_.logits_from_scaled(z, xi.get("x_cat"), split=True)
        else:
            y_pred = self.infer(xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=xi, training=True)
        total = loss
        if z is not None:
            out_sum = (
                y_pred.sum()
                if torch.is_tensor(y_pred)
                else sum(o.sum() for o in y_pred)
            )
            (grad,) = torch.autograd.grad(out_sum, z, create_graph=True)
            sq = grad.square().sum(dim=1)
            if "w" in xi:
                sq = sq * xi["w"]
            total = total + self.gradient_penalty * sq.mean()
        penalty = self._penalty()
        if penalty is not None:
            total = total + penalty
        total.backward()
        return {"loss": loss, "y_pred": y_pred}

    def _penalty(self) -> torch.Tensor | None:
        if not (self.l1 or self.l2):
            return None
        weights = self.module_.linear_weights()
        total = None
        if self.l2:
            total = self.l2 * sum(w.square().sum() for w in weights)
        if self.l1:
            l1 = self.l1 * sum(w.abs().sum() for w in weights)
            total = l1 if total is None else total + l1
        return total

    # -- the fit's random streams and bookkeeping ------------------------------
    def order_generator(self) -> torch.Generator:
        """The generator of the batch order (created by ``on_train_begin``)."""
        generator = getattr(self, "order_generator_", None)
        if generator is None:  # an iterator used outside a fit
            generator = torch.Generator().manual_seed(self._stream_seed())
        return generator

    def _stream_seed(self) -> int:
        # a continued training (another partial_fit) gets new streams
        state = np.random.SeedSequence([int(self.seed), len(self.history)])
        return int(state.generate_state(1)[0])

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        device = next(self.module_.parameters()).device
        seed = self._stream_seed()
        self.order_generator_ = torch.Generator().manual_seed(seed)
        self.noise_generator_ = torch.Generator(device=device).manual_seed(seed + 1)
        set_generator = getattr(self.module_, "set_generator", None)
        if set_generator is not None:
            set_generator(self.noise_generator_)

    def _drop_batch_records(self) -> None:
        # the batch-level records of the finished epoch: its epoch-level
        # figures are in the history; keeping every batch of a long training
        # would grow the memory with epochs x batches
        if len(self.history) and self.history[-1].get("batches"):
            self.history[-1]["batches"] = []

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self._drop_batch_records()
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        self.history.record("lr", self.optimizer_.param_groups[0]["lr"])

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            if not training_stopped(self):
                warnings.warn(
                    "Training interrupted by the user (Ctrl-C), or by a callback "
                    f"raising KeyboardInterrupt, in epoch {len(self.history)}; the "
                    "model keeps "
                    + (
                        "the best weights so far."
                        if self._restores_best()
                        else "the weights of the last finished step."
                    ),
                    UserWarning,
                    stacklevel=2,
                )
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``; then drops an epoch interrupted midway."""
        try:
            super().partial_fit(X, y, classes=classes, **fit_params)
        finally:
            set_generator = getattr(self.module_, "set_generator", None)
            if set_generator is not None:
                set_generator(None)
            self.__dict__.pop("order_generator_", None)
            self.__dict__.pop("noise_generator_", None)
        self._drop_unfinished_epoch()
        self._drop_batch_records()
        return self

    def _drop_unfinished_epoch(self) -> None:
        # An epoch interrupted before its losses were recorded leaves an
        # incomplete history row (dropped after on_train_end, where early
        # stopping compares the best epoch with the last row's).
        row = self.history[-1] if len(self.history) else {}
        has_valid = self.train_split is not None
        if row and ("train_loss" not in row or (has_valid and "valid_loss" not in row)):
            del self.history[-1]

    def _restores_best(self) -> bool:
        return any(
            isinstance(cb, EarlyStopping) and cb.load_best for _, cb in self.callbacks_
        )

    # -- evaluation -------------------------------------------------------
    def forward_tensors(
        self,
        x: torch.Tensor | np.ndarray,
        x_cat: torch.Tensor | None,
        *,
        columns: np.ndarray | None = None,
        logits: bool = False,
        float64: bool = False,
    ) -> torch.Tensor:
        """Module output on ``x`` in evaluation mode, in chunks.

        ``x`` is a float32 tensor or a numpy array, converted to float32 a
        chunk at a time (of it, only the numeric ``columns`` when given):
        the memory needed beyond the output does not grow with the rows.

        With ``float64`` the float32-trained weights are applied in double
        precision: float32 matrix kernels round differently depending on a
        row's memory alignment and the batch shape, so a row's float32 output
        can change in the last bit with the other rows predicted alongside
        it; in float64 such differences are ~1e-16 and invisible in float64
        results.
        """
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        if float64:
            module = copy.deepcopy(module).double()
        fn = module.logits if logits else module
        dtype = torch.float64 if float64 else torch.float32
        size = eval_chunk_rows(self.module_)
        n = x.shape[0]
        result = None
        with torch.inference_mode():
            for start in range(0, n, size):
                stop = start + size
                if torch.is_tensor(x):
                    xb = x[start:stop]
                else:
                    rows = x[start:stop] if columns is None else x[start:stop, columns]
                    xb = as_tensor(rows, torch.float32)
                xb = xb.to(device, dtype, non_blocking=True)
                cb = x_cat[start:stop].to(device) if x_cat is not None else None
                out = fn(xb, cb)
                if n <= size:
                    return out
                if result is None:
                    # filled in place: per-chunk outputs kept in a list leave
                    # small blocks between the freed temporaries of the chunks,
                    # and the process's memory grows with the rows
                    result = out.new_empty((n,) + tuple(out.shape[1:]))
                result[start:stop] = out
        return result

    def evaluate_loss(self, data: TensorData) -> float:
        """Weighted mean loss ``Σ w ℓ / Σ w`` on ``data`` in evaluation mode."""
        out = self.forward_tensors(data.x, data.x_cat, logits=True)
        with torch.inference_mode():
            losses = self.criterion_(out, data.y)
            if data.w is None:
                return float(losses.mean())
            return float((losses * data.w).sum() / data.w.sum())

    def _output_nonlinearity(self, y_pred):
        """The module's output from its logits (a multi-task list concatenated)."""
        if not torch.is_tensor(y_pred):
            y_pred = torch.cat(list(y_pred), dim=1)
        return self.module_.output(y_pred)

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity is None:
            self.check_is_fitted()  # skorch's NotInitializedError, as skorch's
            return self._output_nonlinearity
        return super()._get_predict_nonlinearity()


class TensorNetRegressor(RegressorMixin, TensorNet):
    """:class:`TensorNet` of :class:`NeuralRegressor` (private).

    ``predict`` returns the output in the training target space (the
    standardised targets; the estimator's ``predict`` undoes the scaling).
    """

    def _output_nonlinearity(self, y_pred):
        if not torch.is_tensor(y_pred):
            y_pred = torch.cat(list(y_pred), dim=1)
        return y_pred


class TensorNetClassifier(ClassifierMixin, TensorNet):
    """:class:`TensorNet` of :class:`NeuralClassifier` (private).

    The classes are the class indices ``0 … n_classes − 1``;
    ``predict_proba`` returns probabilities of shape (N, n_classes) from the
    logits (a sigmoid for two classes, whose module has one output, a
    softmax otherwise); ``predict`` the most probable class index.
    """

    @property
    def classes_(self) -> np.ndarray:
        n_out = int(self.module__n_outputs)
        return np.arange(2 if n_out == 1 else n_out)

    def _target_tensor(self, y) -> torch.Tensor:
        dtype = torch.int64 if isinstance(self.criterion_, CrossEntropy) else None
        y = np.asarray(y)
        if dtype is None:
            return as_tensor(y, torch.float32)
        return as_tensor(y, dtype)

    def _output_nonlinearity(self, y_pred):
        if y_pred.shape[1] == 1:
            p = torch.sigmoid(y_pred[:, 0])
            return torch.stack([1.0 - p, p], dim=1)
        return torch.softmax(y_pred, dim=1)

    def predict(self, X):
        """The most probable class index of each row."""
        return self.predict_proba(X).argmax(axis=1)


class DivergenceGuard(Callback):
    """Stop a diverging training: NaN or infinite losses, or an explosion.

    At each epoch end (placed right after the loss records), the epoch's
    losses are checked: not finite, or a train loss more than
    :data:`EXPLOSION_FACTOR` times its reference (the loss of the network
    as the training starts, on the first :data:`REFERENCE_ROWS` training
    rows, or the first epoch's train loss of a continued network when
    larger, and at least 1). ``on_divergence="raise"`` raises
    :class:`TrainingDivergedError`; ``"restore"`` puts back the weights and
    optimizer state of the last healthy epoch, warns, drops the diverged
    epoch from the history and stops the training.
    """

    def __init__(self, on_divergence: str = "raise") -> None:
        self.on_divergence = on_divergence

    def initialize(self):
        self.reference_ = None
        self.healthy_ = None
        self.stopped_training_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        self.initialize()

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.reference_ is not None:
            return
        # the first epoch of this training: after every on_train_begin (a
        # resumed checkpoint is loaded by then)
        self.reference_ = self._reference_loss(net, dataset_train)
        if self.on_divergence == "restore" and len(net.history) > 1:
            self.healthy_ = self._snapshot(net, int(net.history[-2, "epoch"]))

    def on_epoch_end(self, net, **kwargs):
        problem = self._problem(net)
        epoch = int(net.history[-1, "epoch"])
        if problem is None:
            if self.on_divergence == "restore":
                self.healthy_ = self._snapshot(net, epoch)
            return
        if self.on_divergence != "restore":
            raise _diverged_error(net, epoch, problem)
        if self.healthy_ is None:
            raise TrainingDivergedError(
                f"{_diverged_error(net, epoch, problem)} With on_divergence="
                "'restore' there was no earlier epoch with healthy losses to "
                "restore."
            )
        net.module_.load_state_dict(self.healthy_["module"])
        net.optimizer_.load_state_dict(self.healthy_["optimizer"])
        del net.history[-1]
        warnings.warn(
            f"Training diverged in epoch {epoch} ({problem}); training stopped and "
            f"the weights of epoch {self.healthy_['epoch']}, the last with healthy "
            "(finite, not exploding) losses, were restored (on_divergence="
            "'restore'). Lower the learning rate 'lr' (currently "
            f"{net.optimizer_.param_groups[0]['lr']:g}) or check the inputs for "
            "extreme or non-finite values.",
            UserWarning,
            stacklevel=2,
        )
        self.stopped_training_ = True
        raise KeyboardInterrupt  # skorch's way to stop a training

    @staticmethod
    def _snapshot(net, epoch: int) -> dict:
        return {
            "module": copy.deepcopy(net.module_.state_dict()),
            "optimizer": copy.deepcopy(net.optimizer_.state_dict()),
            "epoch": epoch,
        }

    @staticmethod
    def _reference_loss(net, train: TensorData | None) -> float:
        values = [1.0]
        if train is not None and len(train):
            n = min(len(train), REFERENCE_ROWS)
            sub = TensorData(
                x=train.x[:n],
                x_cat=train.x_cat[:n] if train.x_cat is not None else None,
                y=train.y[:n],
            )
            start = net.evaluate_loss(sub)
            if math.isfinite(start):
                values.append(abs(start))
        if len(net.history) > 1 and "train_loss" in net.history[0]:
            first = net.history[0, "train_loss"]
            if math.isfinite(first):
                values.append(abs(first))
        return max(values)

    def _problem(self, net) -> str | None:
        """What is wrong with the last epoch's losses, or None."""
        row = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            if key in row and not math.isfinite(row[key]):
                return f"the {key.replace('_', ' ')} is {row[key]}"
        loss = row["train_loss"]
        if self.reference_ is not None and loss > EXPLOSION_FACTOR * self.reference_:
            return (
                f"the train loss is {loss:.4g}, more than {EXPLOSION_FACTOR:g} times "
                f"its value at the start of training ({self.reference_:.4g})"
            )
        return None


def _diverged_error(net, epoch: int, problem: str) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"Training diverged in epoch {epoch}: {problem}. Lower the learning "
        f"rate 'lr' (currently {net.optimizer_.param_groups[0]['lr']:g}) or "
        "check the inputs for extreme or non-finite values."
    )


class ProgressBar(Callback):
    """tqdm bar over the epochs showing the latest train/valid loss."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.total, unit="epoch", leave=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {"train_loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            postfix["valid_loss"] = f"{row['valid_loss']:.4g}"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
        self.bar_ = None


class ValidationScoring(Callback):
    """Record ``valid_score``: a scikit-learn scorer on the validation rows.

    At each epoch end the estimator (whose ``net_`` is the training net)
    is scored on the validation rows as :func:`sklearn.metrics.check_scoring`
    scores it, with their sample weights when given. Runs before early
    stopping, which can then watch ``valid_score``.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted.
    scorer : callable
        ``scorer(estimator, X, y[, sample_weight]) -> float``.
    X, y, sample_weight
        The validation rows (``sample_weight`` None: unweighted).
    """

    def __init__(self, estimator, scorer, X, y, sample_weight=None) -> None:
        self.estimator = estimator
        self.scorer = scorer
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def on_epoch_end(self, net, **kwargs):
        kw = {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        score = float(self.scorer(self.estimator, self.X, self.y, **kw))
        net.history.record("valid_score", score)
