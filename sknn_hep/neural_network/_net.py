"""The skorch net behind the estimators, with a tensor-slicing fit loop.

skorch's default data path builds a ``Dataset`` and calls ``__getitem__`` and
``default_collate`` for every sample. Here the estimator hands over tensors
built once per fit; each epoch gathers them in a random order, a chunk of
batches at a time, and the batches are slices. Epoch-level machinery
(history, callbacks such as :class:`skorch.callbacks.EarlyStopping` and
:class:`skorch.callbacks.LRScheduler`, ``PrintLog``, pickling, device
handling) stays skorch's.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, LRScheduler
from skorch.history import History

from ..nn.data import epoch_order
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
    ``y`` the targets; ``w`` float32 (N,) weights or None (all equal);
    ``labels`` int64 class indices for balanced batches, or None.
    """

    x: torch.Tensor
    x_cat: torch.Tensor | None
    y: torch.Tensor
    w: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    n_classes: int = 0

    def __len__(self) -> int:
        return self.x.shape[0]


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


class TensorNet(NeuralNet):
    """skorch ``NeuralNet`` trained on pre-built tensors (private).

    Parameters beyond skorch's
    --------------------------
    l1, l2 : float
        λ of the penalties ``λ Σ|w|`` and ``λ Σ w²`` over the weights (not the
        biases) of the module's linear layers.
    gradient_penalty : float
        λ of ``λ ||∇_z Σ_k out_k||²``, z being the scaled numeric inputs.
    seed : int
        Seeds the epoch orders.
    """

    def __init__(self, *args, l1=0.0, l2=0.0, gradient_penalty=0.0, seed=0, **kwargs):
        self.l1 = l1
        self.l2 = l2
        self.gradient_penalty = gradient_penalty
        self.seed = seed
        super().__init__(*args, **kwargs)

    @property
    def _default_callbacks(self):
        return [("epoch_timer", EpochTimer())]

    # -- training ---------------------------------------------------------
    def fit_tensors(
        self,
        train: TensorData,
        valid: TensorData | None,
        epochs: int,
        *,
        on_divergence: str = "raise",
        checkpointer=None,
        resume: dict | None = None,
    ):
        """Train for ``epochs`` epochs, continuing from the current state.

        ``on_divergence``: ``"raise"`` (:class:`TrainingDivergedError`) or
        ``"restore"`` (the weights and optimizer state of the last finite
        epoch, a warning, and the end of training) when a loss is not finite.
        ``checkpointer`` (a ``_checkpoint.Checkpointer``) writes the state at
        each epoch end; ``resume``, a checkpoint read by
        :func:`read_checkpoint`, is loaded first and training goes on to the
        epoch count it was headed for (``epochs`` is then not used).
        """
        if not self.initialized_:
            self.initialize()
        # The fit's own random streams: the batch order, and the dropout masks
        # and input noise (given to the module for the fit). Nothing draws from
        # torch's global generator, so fits in parallel threads reproduce.
        device = next(self.module_.parameters()).device
        generators = {
            "order": torch.Generator().manual_seed(int(self.seed)),
            "noise": torch.Generator(device=device).manual_seed(int(self.seed) + 1),
        }
        set_generator = getattr(self.module_, "set_generator", None)
        if set_generator is not None:
            set_generator(generators["noise"])
        try:
            return self._fit_epochs(
                train, valid, epochs, generators, on_divergence, checkpointer, resume
            )
        finally:
            if set_generator is not None:
                set_generator(None)

    def _fit_epochs(
        self, train, valid, epochs, generators, on_divergence, checkpointer, resume
    ):
        generator = generators["order"]
        weight_mean = float(train.w.mean()) if train.w is not None else 1.0
        if resume is not None:
            self._load_module_state(resume)
            remaining = int(resume["target_epochs"]) - len(self.history)
            epochs = 0 if resume["finished"] else max(remaining, 0)
        if checkpointer is not None:
            checkpointer.target_epochs = len(self.history) + epochs
        self.notify("on_train_begin", X=None, y=None)
        if resume is not None:
            self._load_loop_state(resume, generators, checkpointer)
        reference = self._reference_loss(train)
        finite = None
        if on_divergence == "restore" and len(self.history):
            finite = self._snapshot()
        try:
            for _ in range(epochs):
                self.notify("on_epoch_begin", dataset_train=None, dataset_valid=None)
                epoch = self.history[-1, "epoch"]
                self.history.record("lr", self.optimizer_.param_groups[0]["lr"])
                train_loss = self._train_epoch(train, generator, weight_mean)
                self.history.record("train_loss", train_loss)
                if valid is not None:
                    self.history.record("valid_loss", self.evaluate_loss(valid))
                problem = self._divergence(reference)
                if problem is not None and on_divergence == "restore":
                    self._restore_healthy(finite, epoch, problem)
                    if checkpointer is not None:
                        checkpointer.save(self, generators, finished=True)
                    break
                if problem is not None:
                    raise self._diverged_error(epoch, problem)
                try:
                    self.notify("on_epoch_end", dataset_train=None, dataset_valid=None)
                except KeyboardInterrupt:
                    # early stopping stops by raising KeyboardInterrupt
                    if checkpointer is not None and self._early_stopped():
                        checkpointer.save(self, generators, finished=True)
                    raise
                if checkpointer is not None:
                    last = len(self.history) == checkpointer.target_epochs
                    checkpointer.save(self, generators, finished=last)
                if on_divergence == "restore":
                    finite = self._snapshot()
        except KeyboardInterrupt:
            if not self._early_stopped():
                warnings.warn(
                    f"Training interrupted by the user in epoch "
                    f"{len(self.history)}; the model keeps "
                    + (
                        "the best weights so far."
                        if self._restores_best()
                        else "the weights of the last finished step."
                    ),
                    UserWarning,
                    stacklevel=3,
                )
                self.notify("on_train_end", X=None, y=None)
                self._drop_unfinished_epoch(valid is not None)
                return self
        self.notify("on_train_end", X=None, y=None)
        return self

    def _drop_unfinished_epoch(self, has_valid: bool) -> None:
        # An epoch interrupted before its losses were recorded leaves an
        # incomplete history row (dropped after on_train_end, where early
        # stopping compares the best epoch with the last row's).
        row = self.history[-1] if len(self.history) else {}
        if row and ("train_loss" not in row or (has_valid and "valid_loss" not in row)):
            del self.history[-1]

    def _reference_loss(self, train: TensorData) -> float:
        """The scale a train loss is compared with to detect an explosion.

        The unweighted loss of the network as it starts this training, on
        the first :data:`REFERENCE_ROWS` training rows, or the first epoch's
        train loss of a continued network when larger, and at least 1.
        """
        n = min(len(train), REFERENCE_ROWS)
        sub = TensorData(
            x=train.x[:n],
            x_cat=train.x_cat[:n] if train.x_cat is not None else None,
            y=train.y[:n],
        )
        values = [1.0]
        start = self._mean_loss(sub) if n else float("nan")
        if math.isfinite(start):
            values.append(abs(start))
        if len(self.history) and "train_loss" in self.history[0]:
            first = self.history[0, "train_loss"]
            if math.isfinite(first):
                values.append(abs(first))
        return max(values)

    def _divergence(self, reference: float) -> str | None:
        """What is wrong with the last epoch's losses, or None."""
        row = self.history[-1]
        for key in ("train_loss", "valid_loss"):
            if key in row and not math.isfinite(row[key]):
                return f"the {key.replace('_', ' ')} is {row[key]}"
        loss = row["train_loss"]
        if loss > EXPLOSION_FACTOR * reference:
            return (
                f"the train loss is {loss:.4g}, more than {EXPLOSION_FACTOR:g} times "
                f"its value at the start of training ({reference:.4g})"
            )
        return None

    def _diverged_error(self, epoch: int, problem: str) -> TrainingDivergedError:
        return TrainingDivergedError(
            f"Training diverged in epoch {epoch}: {problem}. Lower the learning "
            f"rate 'lr' (currently {self.optimizer_.param_groups[0]['lr']:g}) or "
            "check the inputs for extreme or non-finite values."
        )

    def _snapshot(self) -> dict:
        return {
            "module": copy.deepcopy(self.module_.state_dict()),
            "optimizer": copy.deepcopy(self.optimizer_.state_dict()),
            "epoch": int(self.history[-1, "epoch"]),
        }

    def _restore_healthy(self, finite: dict | None, epoch: int, problem: str) -> None:
        if finite is None:
            raise TrainingDivergedError(
                f"{self._diverged_error(epoch, problem)} With on_divergence="
                "'restore' there was no earlier epoch with healthy losses to "
                "restore."
            )
        self.module_.load_state_dict(finite["module"])
        self.optimizer_.load_state_dict(finite["optimizer"])
        del self.history[-1]
        warnings.warn(
            f"Training diverged in epoch {epoch} ({problem}); training stopped and "
            f"the weights of epoch {finite['epoch']}, the last with healthy "
            "(finite, not exploding) losses, were restored (on_divergence="
            "'restore'). Lower the learning rate 'lr' (currently "
            f"{self.optimizer_.param_groups[0]['lr']:g}) or check the inputs for "
            "extreme or non-finite values.",
            UserWarning,
            stacklevel=3,
        )

    # -- checkpoints ------------------------------------------------------
    def _load_module_state(self, state: dict) -> None:
        self.module_.load_state_dict(state["module"])
        self.optimizer_.load_state_dict(state["optimizer"])
        self.history = History(json.loads(state["history"]))

    def _load_loop_state(self, state: dict, generators, checkpointer) -> None:
        callbacks = dict(self.callbacks_)
        for name, cb_state in state["callbacks"].items():
            cb = callbacks.get(name)
            if isinstance(cb, EarlyStopping):
                cb.misses_ = int(cb_state["misses"])
                cb.dynamic_threshold_ = float(cb_state["dynamic_threshold"])
                cb.best_epoch_ = int(cb_state["best_epoch"])
                cb.best_model_weights_ = cb_state["best_model_weights"]
            elif isinstance(cb, LRScheduler):
                cb.lr_scheduler_.load_state_dict(cb_state["scheduler"])
                cb.batch_idx_ = int(cb_state["batch_idx"])
        # generator states are CPU byte tensors (map_location may have moved them)
        generators["order"].set_state(state["generator"].cpu())
        generators["noise"].set_state(state["noise_generator"].cpu())
        if checkpointer is not None:
            checkpointer.best_loss = float(state["best_loss"])

    def _early_stopped(self) -> bool:
        for _, cb in self.callbacks_:
            if isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience:
                return True
        return False

    def _restores_best(self) -> bool:
        return any(
            isinstance(cb, EarlyStopping) and cb.load_best for _, cb in self.callbacks_
        )

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

    def _train_epoch(self, data: TensorData, generator, weight_mean: float) -> float:
        module, optimizer, criterion = self.module_, self.optimizer_, self.criterion_
        module.train()
        n = len(data)
        order, step = epoch_order(
            n,
            self.batch_size,
            generator=generator,
            labels=data.labels,
            n_classes=data.n_classes,
            device=data.x.device,
        )
        # The tensors are gathered in the epoch's order a chunk of whole
        # batches at a time (about GATHER_ROWS rows): the same batches as one
        # gather of the whole epoch, without a second copy of the data. A
        # chunk is a multiple of 64 rows, so that each batch keeps the memory
        # alignment it had in the whole gather (float32 kernels may round
        # differently with another alignment).
        unit = math.lcm(step, 64)
        chunk = unit * max(1, GATHER_ROWS // unit)
        gp = self.gradient_penalty
        penalize = bool(self.l1 or self.l2)
        total = torch.zeros((), device=data.x.device)
        n_seen = 0
        # batch norm cannot train on one row: a last batch of one is skipped
        # (it falls elsewhere in the next epoch's order)
        skip_single = any(
            isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            for m in module.modules()
        )
        for start in range(0, order.numel(), step):
            stop = start + step
            if skip_single and order.numel() - start == 1:
                break
            if start % chunk == 0:
                rows = order[start : start + chunk]
                x = data.x.index_select(0, rows)
                x_cat = (
                    data.x_cat.index_select(0, rows) if data.x_cat is not None else None
                )
                y = data.y.index_select(0, rows)
                w = data.w.index_select(0, rows) if data.w is not None else None
                offset = start
            batch = slice(start - offset, stop - offset)
            xb = x[batch]
            cb = x_cat[batch] if x_cat is not None else None
            if gp:
                z = module.scaler(xb).detach().requires_grad_(True)
                out = module.logits_from_scaled(z, cb, split=True)
            else:
                out = module.logits(xb, cb, split=True)
            yb = y[batch]
            if torch.is_tensor(out) and out.dim() == 3:
                # an ensemble's members (N, k, n_out): each member's loss,
                # averaged over the members
                n_rows, k = out.shape[:2]
                losses = criterion(
                    out.reshape(n_rows * k, -1), yb.repeat_interleave(k, dim=0)
                )
                losses = losses.reshape(n_rows, k).mean(dim=1)
            else:
                losses = criterion(out, yb)
            if w is not None:
                losses = losses * w[batch]
            data_sum = losses.sum()
            loss = data_sum / (losses.shape[0] * weight_mean)
            if gp:
                out_sum = (
                    out.sum() if torch.is_tensor(out) else sum(o.sum() for o in out)
                )
                (grad,) = torch.autograd.grad(out_sum, z, create_graph=True)
                sq = grad.square().sum(dim=1)
                if w is not None:
                    sq = sq * w[batch]
                loss = loss + gp * sq.sum() / (sq.shape[0] * weight_mean)
            if penalize:
                loss = loss + self._penalty()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += data_sum.detach()
            n_seen += losses.shape[0]
        return float(total) / (n_seen * weight_mean)

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
        # an ensemble's k members see k copies of each row: chunks of
        # PREDICT_BATCH_SIZE / k rows keep the activations (and the memory of
        # a chunk) as for one network; a divisor, so that splits at
        # multiples of PREDICT_BATCH_SIZE stay bit-identical
        members = max(1, int(getattr(self.module_, "n_ensemble", 1)))
        size = max(1, PREDICT_BATCH_SIZE // members)
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
        return self._mean_loss(data)

    def _mean_loss(self, data: TensorData) -> float:
        out = self.forward_tensors(data.x, data.x_cat, logits=True)
        with torch.inference_mode():
            losses = self.criterion_(out, data.y)
            if data.w is None:
                return float(losses.mean())
            return float((losses * data.w).sum() / data.w.sum())
