"""Weight initializers (Glorot, He, LeCun), biases zero."""

from __future__ import annotations

import math

import torch
from torch import nn

INITIALIZERS = (
    "auto",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
)
"""Names accepted by the networks' ``initializer`` parameter."""

_AUTO = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "elu": "he_normal",
    "gelu": "he_normal",
    "selu": "lecun_normal",
    "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
}


def resolve_initializer(initializer: str, activation: str) -> str:
    """Name of the initializer ``"auto"`` stands for with ``activation``.

    He for the ReLU family (relu, leaky_relu, elu, gelu), LeCun normal for
    selu, Glorot uniform for tanh and sigmoid.

    Examples
    --------
    >>> resolve_initializer("auto", "selu")
    'lecun_normal'
    >>> resolve_initializer("glorot_normal", "relu")
    'glorot_normal'
    """
    if initializer not in INITIALIZERS:
        raise ValueError(
            f"initializer must be one of {INITIALIZERS}, got {initializer!r}."
        )
    if initializer != "auto":
        return initializer
    if activation not in _AUTO:
        raise ValueError(f"Unknown activation {activation!r}.")
    return _AUTO[activation]


def init_weight_(weight: torch.Tensor, initializer: str) -> torch.Tensor:
    """Fill a ``(fan_out, fan_in)`` weight in place.

    The standard deviations are Glorot ``sqrt(2 / (fan_in + fan_out))``, He
    ``sqrt(2 / fan_in)`` and LeCun ``sqrt(1 / fan_in)``; the uniform variants
    draw from ``[-sqrt(3) σ, sqrt(3) σ]`` with the same σ.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> w = init_weight_(torch.empty(400, 500), "he_normal")
    >>> round(float(w.std()), 3), round((2 / 500) ** 0.5, 3)
    (0.063, 0.063)
    """
    fan_out, fan_in = weight.shape
    if initializer in ("glorot_uniform", "glorot_normal"):
        std = math.sqrt(2.0 / (fan_in + fan_out))
    elif initializer in ("he_uniform", "he_normal"):
        std = math.sqrt(2.0 / fan_in)
    elif initializer == "lecun_normal":
        std = math.sqrt(1.0 / fan_in)
    else:
        raise ValueError(f"Unknown initializer {initializer!r}.")
    with torch.no_grad():
        if initializer.endswith("uniform"):
            bound = math.sqrt(3.0) * std
            return weight.uniform_(-bound, bound)
        return weight.normal_(0.0, std)


def initialize_weights(module: nn.Module, initializer: str) -> None:
    """Initialise every ``nn.Linear`` in ``module``: weights by name, biases 0.

    Parameters
    ----------
    module : nn.Module
        Module whose linear layers are initialised in place.
    initializer : str
        One of :data:`INITIALIZERS` except ``"auto"`` (resolve it first with
        :func:`resolve_initializer`).
    """
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            init_weight_(sub.weight, initializer)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
