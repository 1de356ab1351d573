"""Per-sample losses; the training loop applies the event weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

REGRESSION_LOSSES = ("mse", "mae", "huber")


class BinaryCrossEntropy(nn.Module):
    """Per-sample binary cross-entropy on one logit.

    Shape
    -----
    ``logits (N, 1)``, ``target (N,)`` of 0./1. -> ``(N,)``.

    Examples
    --------
    >>> import torch
    >>> BinaryCrossEntropy()(torch.zeros(2, 1), torch.tensor([0.0, 1.0]))
    tensor([0.6931, 0.6931])
    """

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            logits.squeeze(1), target, reduction="none"
        )


class CrossEntropy(nn.Module):
    """Per-sample categorical cross-entropy.

    Shape
    -----
    ``logits (N, K)``, ``target (N,)`` of int64 class indices -> ``(N,)``.
    """

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, target, reduction="none")


class RegressionLoss(nn.Module):
    """Per-sample regression loss, averaged over the outputs.

    Parameters
    ----------
    kind : {"mse", "mae", "huber"}
        Squared error, absolute error, or Huber loss with ``delta=1`` (in the
        standardised target units the network trains in).

    Shape
    -----
    ``pred (N, K)``, ``target (N, K)`` -> ``(N,)``.

    Examples
    --------
    >>> import torch
    >>> RegressionLoss(kind="mae")(torch.zeros(1, 2), torch.tensor([[1.0, -3.0]]))
    tensor([2.])
    """

    def __init__(self, *, kind: str = "mse") -> None:
        super().__init__()
        if kind not in REGRESSION_LOSSES:
            raise ValueError(f"kind must be one of {REGRESSION_LOSSES}, got {kind!r}.")
        self.kind = kind

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.kind == "mse":
            loss = F.mse_loss(pred, target, reduction="none")
        elif self.kind == "mae":
            loss = F.l1_loss(pred, target, reduction="none")
        else:
            loss = F.huber_loss(pred, target, reduction="none", delta=1.0)
        return loss.mean(dim=1)


TASK_KINDS = ("binary", "multiclass", "regression")


class MultiTaskLoss(nn.Module):
    """Per-sample weighted sum of task losses, ``Σ_t c_t m_t ℓ_t``.

    The target tensor holds one column per task (class index as a float for
    classification, the standardised value for regression) followed by one
    mask column per task (1 where the row has a target for that task, 0
    where not). A masked regression entry contributes exactly 0 to the loss
    and to every gradient, whatever the target tensor holds there: its
    target is replaced by the (detached) prediction before the loss.

    Parameters
    ----------
    kinds : sequence of {"binary", "multiclass", "regression"}
        Kind of each task.
    widths : sequence of int
        Output columns of each task (1 for binary and regression, the number
        of classes for multiclass), in the order of the network's heads.
    factors : sequence of float
        ``c_t`` of each task (the estimator passes λ_t times the ratio of the
        mean weight to the mean weight of the rows with a target for t, so
        each task's term is its weighted mean over the rows that have it).
    regression_loss : {"mse", "mae", "huber"}
        Loss of the regression tasks (see :class:`RegressionLoss`).

    Shape
    -----
    ``logits (N, sum(widths))`` or a list of ``(N, width_t)`` (one per head),
    ``target (N, 2 * n_tasks)`` -> ``(N,)``.

    Examples
    --------
    >>> import torch
    >>> loss = MultiTaskLoss(kinds=["binary", "regression"], widths=[1, 1],
    ...                      factors=[1.0, 0.5])
    >>> target = torch.tensor([[1.0, 2.0, 1.0, 1.0], [0.0, 99.0, 1.0, 0.0]])
    >>> loss(torch.zeros(2, 2), target)   # row 2 has no regression target
    tensor([2.6931, 0.6931])
    """

    def __init__(
        self,
        *,
        kinds,
        widths,
        factors,
        regression_loss: str = "mse",
    ) -> None:
        super().__init__()
        if not (len(kinds) == len(widths) == len(factors)) or not kinds:
            raise ValueError("kinds, widths and factors must have one entry per task.")
        unknown = [k for k in kinds if k not in TASK_KINDS]
        if unknown:
            raise ValueError(f"Unknown task kinds {unknown}; use {TASK_KINDS}.")
        self.kinds = list(kinds)
        self.widths = [int(k) for k in widths]
        self.factors = [float(f) for f in factors]
        self.regression = RegressionLoss(kind=regression_loss)

    def forward(self, logits, target: torch.Tensor) -> torch.Tensor:
        n_tasks = len(self.kinds)
        if torch.is_tensor(logits):
            logits = torch.split(logits, self.widths, dim=1)
        total = None
        for t, (kind, out, factor) in enumerate(zip(self.kinds, logits, self.factors)):
            y = target[:, t]
            if kind == "binary":
                loss = F.binary_cross_entropy_with_logits(
                    out.squeeze(1), y, reduction="none"
                )
            elif kind == "multiclass":
                loss = F.cross_entropy(out, y.long(), reduction="none")
            else:
                has = target[:, n_tasks + t] > 0
                pred = out.squeeze(1)
                y = torch.where(has, y, pred.detach())
                loss = self.regression(pred[:, None], y[:, None])
            term = loss * factor
            total = term if total is None else total + term
        return total
