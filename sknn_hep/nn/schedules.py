"""Learning-rate schedules of the lecture as torch schedulers."""

from __future__ import annotations

import math
from functools import partial

from torch.optim import lr_scheduler

LR_SCHEDULES = (None, "time", "step", "exponential", "plateau", "cosine")
"""Values accepted by the networks' ``lr_schedule`` parameter (None: constant)."""


def _time_factor(epoch: int, decay: float) -> float:
    return 1.0 / (1.0 + decay * epoch)


def _step_factor(epoch: int, decay: float, step: int) -> float:
    return decay ** (epoch // step)


def _exponential_factor(epoch: int, step: float) -> float:
    return math.exp(-epoch / step)


def make_lr_scheduler_spec(
    name: str | None,
    *,
    lr_decay: float,
    lr_step: int,
    lr_patience: int,
    max_epochs: int,
) -> tuple[type, dict] | None:
    """Return ``(scheduler class, keyword arguments)`` for a schedule name.

    With the initial rate ``lr`` and the epoch ``t`` counted from 0:

    - ``time``: ``lr / (1 + lr_decay * t)``
    - ``step``: ``lr * lr_decay ** floor(t / lr_step)``
    - ``exponential``: ``lr * exp(-t / lr_step)``
    - ``plateau``: multiply by ``lr_decay`` once the monitored loss has not
      improved for more than ``lr_patience`` epochs (torch's
      ``ReduceLROnPlateau``)
    - ``cosine``: cosine annealing from ``lr`` to 0 over ``max_epochs``
    - ``None``: constant.

    The factors are module-level functions bound with ``functools.partial``,
    so fitted estimators stay picklable.

    Examples
    --------
    >>> cls, kwargs = make_lr_scheduler_spec("step", lr_decay=0.5, lr_step=2,
    ...                                      lr_patience=3, max_epochs=10)
    >>> [kwargs["lr_lambda"](t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    if name is None:
        return None
    if name == "time":
        return lr_scheduler.LambdaLR, {
            "lr_lambda": partial(_time_factor, decay=lr_decay)
        }
    if name == "step":
        return lr_scheduler.LambdaLR, {
            "lr_lambda": partial(_step_factor, decay=lr_decay, step=lr_step)
        }
    if name == "exponential":
        return lr_scheduler.LambdaLR, {
            "lr_lambda": partial(_exponential_factor, step=lr_step)
        }
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau, {
            "mode": "min",
            "factor": lr_decay,
            "patience": lr_patience,
            "threshold": 0.0,
        }
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR, {"T_max": max_epochs, "eta_min": 0.0}
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {name!r}.")
