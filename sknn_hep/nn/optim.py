"""Optimizer registry: lecture names to torch optimizers."""

from __future__ import annotations

import torch

OPTIMIZERS = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "amsgrad",
    "adamw",
)
"""Names accepted by the networks' ``optimizer`` parameter."""

# Optimizers with a fused CPU/CUDA kernel in torch >= 2.4: one kernel for all
# parameters instead of a Python loop, the main saving on small networks.
_FUSED = {torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad}


def make_optimizer_spec(
    name: str,
    *,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    device: str = "cpu",
) -> tuple[type[torch.optim.Optimizer], dict]:
    """Return ``(optimizer class, keyword arguments)`` for a lecture name.

    ``sgd`` is plain SGD; ``momentum`` and ``nesterov`` are SGD with
    ``momentum`` (Nesterov's variant for the latter); ``rmsprop`` uses the
    lecture's decay β = 0.9 (torch's ``alpha``); ``amsgrad`` is Adam with
    ``amsgrad=True``. Where torch has a fused kernel for the optimizer on the
    device (SGD family, Adagrad, Adam, AMSGrad, AdamW), it is used.

    Parameters
    ----------
    name : str
        One of :data:`OPTIMIZERS`.
    lr : float
        Learning rate.
    momentum : float
        Momentum of the ``momentum`` and ``nesterov`` optimizers.
    weight_decay : float
        torch's ``weight_decay`` of the optimizer: decoupled from the
        gradient for ``adamw`` (w ← w − lr·λ·w each step, Loshchilov &
        Hutter), an L2 term added to the gradient for the others. Applied
        to every trainable parameter.
    device : str
        torch device the parameters live on (``"cpu"``, ``"cuda:1"``, ...).

    Examples
    --------
    >>> cls, kwargs = make_optimizer_spec("nesterov", lr=0.1, momentum=0.8)
    >>> cls.__name__, kwargs["momentum"], kwargs["nesterov"]
    ('SGD', 0.8, True)
    """
    optim = torch.optim
    specs: dict[str, tuple[type[torch.optim.Optimizer], dict]] = {
        "sgd": (optim.SGD, {}),
        "momentum": (optim.SGD, {"momentum": momentum}),
        "nesterov": (optim.SGD, {"momentum": momentum, "nesterov": True}),
        "adagrad": (optim.Adagrad, {}),
        "rmsprop": (optim.RMSprop, {"alpha": 0.9}),
        "adadelta": (optim.Adadelta, {}),
        "adam": (optim.Adam, {}),
        "amsgrad": (optim.Adam, {"amsgrad": True}),
        "adamw": (optim.AdamW, {}),
    }
    if name not in specs:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}.")
    cls, kwargs = specs[name]
    kwargs = {"lr": float(lr), "weight_decay": float(weight_decay), **kwargs}
    if cls in _FUSED and torch.device(device).type in ("cpu", "cuda"):
        kwargs["fused"] = True
    return cls, kwargs
