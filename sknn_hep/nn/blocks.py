"""Fully connected bodies: plain, residual (ResNet) and dense (DenseNet)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .layers import Dropout

ACTIVATIONS = ("relu", "elu", "selu", "tanh", "sigmoid", "leaky_relu", "gelu")
"""Names accepted by the networks' ``activation`` parameter."""
BLOCKS = ("plain", "residual", "dense")
"""Names accepted by the networks' ``block`` parameter (plain, ResNet, DenseNet)."""

_ACTIVATION_CLASSES = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
}


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module by name.

    Examples
    --------
    >>> make_activation("selu")
    SELU()
    """
    try:
        return _ACTIVATION_CLASSES[name]()
    except KeyError:
        raise ValueError(
            f"activation must be one of {ACTIVATIONS}, got {name!r}."
        ) from None


def _layer(
    n_in: int, n_out: int, activation: str, batch_norm: bool, dropout: float
) -> nn.Sequential:
    """Linear -> [BatchNorm1d] -> activation -> [(Alpha)Dropout]."""
    parts: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if batch_norm:
        parts.append(nn.BatchNorm1d(n_out))
    parts.append(make_activation(activation))
    if dropout > 0:
        # SELU's self-normalisation needs AlphaDropout (keeps mean and variance).
        parts.append(Dropout(dropout, alpha=activation == "selu"))
    return nn.Sequential(*parts)


class _Residual(nn.Module):
    """``f(x) = x + δ(x)``; a bias-free linear projection when widths differ."""

    def __init__(self, layer: nn.Module, n_in: int, n_out: int) -> None:
        super().__init__()
        self.layer = layer
        self.shortcut = (
            nn.Identity() if n_in == n_out else nn.Linear(n_in, n_out, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.layer(x)


class _DenseStack(nn.Module):
    """DenseNet-style stack: layer k sees the concatenation of the input and
    the outputs of all earlier layers; the stack returns that concatenation."""

    def __init__(self, layers: Sequence[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = x
        for layer in self.layers:
            features = torch.cat([features, layer(features)], dim=1)
        return features


class MLPBody(nn.Module):
    """Fully connected body.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    hidden_sizes : sequence of int
        Width of each hidden layer (at least one).
    activation : str
        One of :data:`ACTIVATIONS`.
    block : {"plain", "residual", "dense"}
        ``plain``: a stack of layers. ``residual``: each layer computes
        ``x + δ(x)`` (ResNet; a linear projection of ``x`` where the width
        changes). ``dense``: each layer sees the input and all earlier
        outputs concatenated (DenseNet), and the body returns that
        concatenation.
    batch_norm : bool
        Batch normalisation after each linear map, before the activation.
    dropout : float
        Dropout rate after each activation (AlphaDropout with selu).

    Attributes
    ----------
    n_outputs : int
        Width of the body's output.

    Shape
    -----
    ``(N, n_inputs) -> (N, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> body = MLPBody(n_inputs=4, hidden_sizes=[8, 8], block="dense")
    >>> body.n_outputs, body(torch.zeros(2, 4)).shape
    (20, torch.Size([2, 20]))
    """

    def __init__(
        self,
        *,
        n_inputs: int,
        hidden_sizes: Sequence[int],
        activation: str = "relu",
        block: str = "plain",
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        sizes = [int(s) for s in hidden_sizes]
        if n_inputs < 1:
            raise ValueError(f"n_inputs must be >= 1, got {n_inputs}.")
        if not sizes or min(sizes) < 1:
            raise ValueError(
                f"hidden_sizes must hold at least one positive width, got {sizes}."
            )
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {block!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        make_activation(activation)  # validates the name

        layers: list[nn.Module] = []
        width = n_inputs
        for size in sizes:
            layer = _layer(width, size, activation, batch_norm, dropout)
            if block == "residual":
                layer = _Residual(layer, width, size)
            layers.append(layer)
            width = width + size if block == "dense" else size
        self.net: nn.Module = (
            _DenseStack(layers) if block == "dense" else nn.Sequential(*layers)
        )
        self.n_outputs = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
