"""Non-trainable scaling layers and input noise."""

from __future__ import annotations

import torch
from torch import nn


def _as_buffer(values, size: int, name: str, default: float) -> torch.Tensor:
    if values is None:
        return torch.full((size,), default, dtype=torch.float32)
    tensor = torch.as_tensor(values, dtype=torch.float32).reshape(-1).clone()
    if tensor.numel() != size:
        raise ValueError(f"{name} has {tensor.numel()} entries, expected {size}.")
    return tensor


class Standardize(nn.Module):
    """Non-trainable input scaling ``x' = (x - mean) / std``.

    The constants are buffers: they travel with ``state_dict``, pickles and
    ONNX exports, but the optimizer never sees them, so the same
    transformation is applied at evaluation without a separate scaler.

    Parameters
    ----------
    n_features : int
        Number of input columns.
    mean, std : array-like of shape (n_features,) or None
        Constants; ``None`` gives 0 and 1. A ``std`` of 0 is replaced by 1.

    Shape
    -----
    ``(N, n_features) -> (N, n_features)``.

    Examples
    --------
    >>> import torch
    >>> layer = Standardize(n_features=2, mean=[1.0, 10.0], std=[2.0, 5.0])
    >>> layer(torch.tensor([[3.0, 0.0]]))
    tensor([[ 1., -2.]])
    """

    def __init__(self, *, n_features: int, mean=None, std=None) -> None:
        super().__init__()
        if n_features < 0:
            raise ValueError(f"n_features must be >= 0, got {n_features}.")
        std_t = _as_buffer(std, n_features, "std", 1.0)
        std_t = torch.where(std_t > 0, std_t, torch.ones_like(std_t))
        self.register_buffer("mean", _as_buffer(mean, n_features, "mean", 0.0))
        self.register_buffer("inv_std", 1.0 / std_t)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) * self.inv_std


class OutputScaling(nn.Module):
    """Non-trainable output layer ``t = t' * scale + mean``.

    Inverts a target standardisation inside the network, so the module itself
    predicts in the target's physical units.

    Parameters
    ----------
    n_outputs : int
        Number of outputs.
    mean, scale : array-like of shape (n_outputs,) or None
        Constants; ``None`` gives 0 and 1.

    Shape
    -----
    ``(N, n_outputs) -> (N, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> OutputScaling(n_outputs=1, mean=[100.0], scale=[10.0])(torch.tensor([[0.5]]))
    tensor([[105.]])
    """

    def __init__(self, *, n_outputs: int, mean=None, scale=None) -> None:
        super().__init__()
        self.register_buffer("mean", _as_buffer(mean, n_outputs, "mean", 0.0))
        self.register_buffer("scale", _as_buffer(scale, n_outputs, "scale", 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.mean, x, self.scale)


class GaussianNoise(nn.Module):
    """Add ``N(0, std^2)`` noise to the input in training mode only.

    Parameters
    ----------
    std : float
        Standard deviation of the noise (in the units of the input it sees;
        behind :class:`Standardize`, in units of the feature's σ).

    Shape
    -----
    ``(N, *) -> (N, *)``.

    Examples
    --------
    >>> import torch
    >>> layer = GaussianNoise(std=0.1).eval()
    >>> bool((layer(torch.ones(3, 2)) == 1).all())
    True
    """

    def __init__(self, *, std: float) -> None:
        super().__init__()
        if std < 0:
            raise ValueError(f"std must be >= 0, got {std}.")
        self.std = float(std)
        self.generator = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            noise = torch.randn(
                x.shape, generator=self.generator, device=x.device, dtype=x.dtype
            )
            return x + noise * self.std
        return x


# SELU's λα: AlphaDropout sets dropped units to its negative saturation value
_ALPHA = 1.7580993408473766


class Dropout(nn.Module):
    """Dropout, or AlphaDropout for SELU, with masks from a settable generator.

    In training mode each unit is kept with probability ``1 - p``. Plain
    dropout scales the kept units by ``1 / (1 - p)``; ``alpha=True`` sets
    the dropped units to SELU's saturation value −λα and applies the affine
    correction ``a x + b`` that keeps the mean and variance of
    self-normalised inputs (Klambauer et al. 2017; the same arithmetic as
    :func:`torch.nn.functional.alpha_dropout`). In evaluation mode it is the
    identity.

    The masks come from ``self.generator`` (a :class:`torch.Generator`, or
    None for torch's global one): the estimators give each fit its own, so
    fits running in parallel threads stay reproducible.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping a unit.
    alpha : bool, default=False
        AlphaDropout (for SELU) instead of plain dropout.

    Examples
    --------
    >>> import torch
    >>> layer = Dropout(0.5)
    >>> layer.generator = torch.Generator().manual_seed(0)
    >>> out = layer(torch.ones(1, 8))
    >>> sorted(set(out.flatten().tolist()))
    [0.0, 2.0]
    >>> bool((layer.eval()(torch.ones(2, 3)) == 1).all())
    True
    """

    def __init__(self, p: float, *, alpha: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}.")
        self.p = float(p)
        self.alpha = bool(alpha)
        self.generator = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        if not self.alpha:
            return x * mask / keep
        a = 1.0 / ((_ALPHA**2 * self.p + 1.0) * keep) ** 0.5
        b = (mask - 1.0) * (_ALPHA * a) + _ALPHA * a * self.p
        return x * (mask * a) + b

    def extra_repr(self) -> str:
        return f"p={self.p}, alpha={self.alpha}"
