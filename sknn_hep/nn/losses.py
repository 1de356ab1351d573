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
