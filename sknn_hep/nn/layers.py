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


class InputScaling(nn.Module):
    """Non-trainable input encoding: missing values, scaling, smooth clipping.

    ``forward`` computes, column by column::

        missing = isnan(x) if missing_value is NaN else (x == missing_value)
        x       = where(missing, center, x)       # a missing value sits at the centre
        z       = (x - center) / scale
        z       = z / sqrt(1 + (z / clip)^2)      # if clip is not None
        out     = [z, missing[:, flag_columns]]   # indicators appended as 0/1

    The smooth clipping (RealMLP's, Holzmüller et al. 2024) is the identity
    near 0 and bends outliers towards ``±clip`` without a kink, so one
    extreme event cannot dominate the first layer, while the order of all
    values is kept.

    Parameters
    ----------
    n_features : int
        Number of input columns.
    center, scale : array-like of shape (n_features,) or None
        Constants (``None``: 0 and 1). A ``scale`` of 0 is replaced by 1.
    clip : float or None, default=None
        Bound of the smooth clipping; None for none.
    missing_value : float or None, default=None
        The marker of a missing value (NaN allowed); None: nothing is missing.
        Matched as a float32 value (a marker like -999.1 matches the
        float32 data that hold it).
    flag_columns : sequence of int or None, default=None
        Columns whose missing-value indicator is appended (needs
        ``missing_value``).

    Attributes
    ----------
    n_outputs : int
        ``n_features + len(flag_columns)``.

    Shape
    -----
    ``(N, n_features) -> (N, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> layer = InputScaling(n_features=2, center=[0.0, 1.0], scale=[1.0, 2.0],
    ...                      clip=3.0, missing_value=-999.0, flag_columns=[1])
    >>> layer(torch.tensor([[0.0, -999.0], [300.0, 5.0]]))
    tensor([[0.0000, 0.0000, 1.0000],
            [2.9999, 1.6641, 0.0000]])
    """

    def __init__(
        self,
        *,
        n_features: int,
        center=None,
        scale=None,
        clip: float | None = None,
        missing_value: float | None = None,
        flag_columns=None,
    ) -> None:
        super().__init__()
        if n_features < 0:
            raise ValueError(f"n_features must be >= 0, got {n_features}.")
        if clip is not None and not clip > 0:
            raise ValueError(f"clip must be None or > 0, got {clip}.")
        flags = [] if flag_columns is None else [int(j) for j in flag_columns]
        if flags and missing_value is None:
            raise ValueError("flag_columns needs a missing_value.")
        if any(not 0 <= j < n_features for j in flags):
            raise ValueError(
                f"flag_columns must index the {n_features} columns, got {flags}."
            )
        scale_t = _as_buffer(scale, n_features, "scale", 1.0)
        scale_t = torch.where(scale_t > 0, scale_t, torch.ones_like(scale_t))
        self.register_buffer("center", _as_buffer(center, n_features, "center", 0.0))
        self.register_buffer("inv_scale", 1.0 / scale_t)
        self.register_buffer("flag_columns", torch.tensor(flags, dtype=torch.int64))
        self.clip = None if clip is None else float(clip)
        # the float32 value of the marker: matches the float32 inputs in
        # training and their exact float64 copies in float64 inference
        self.missing_value = (
            None
            if missing_value is None
            else torch.tensor(float(missing_value), dtype=torch.float32).item()
        )
        self.n_flags = len(flags)
        self.n_outputs = n_features + len(flags)

    def missing_mask(self, x: torch.Tensor) -> torch.Tensor | None:
        """Boolean mask of the missing entries of ``x`` (None: no marker)."""
        if self.missing_value is None:
            return None
        if self.missing_value != self.missing_value:  # NaN
            return torch.isnan(x)
        return x == self.missing_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        missing = self.missing_mask(x)
        if missing is not None:
            x = torch.where(missing, self.center.to(x.dtype), x)
        z = (x - self.center) * self.inv_scale
        if self.clip is not None:
            z = z * torch.rsqrt(1.0 + (z * (1.0 / self.clip)).square())
        if missing is not None and self.n_flags:
            flags = missing.index_select(1, self.flag_columns).to(z.dtype)
            z = torch.cat([z, flags], dim=1)
        return z

    def extra_repr(self) -> str:
        return (
            f"n_features={self.center.numel()}, clip={self.clip}, "
            f"missing_value={self.missing_value}, "
            f"n_flags={self.n_flags}"
        )
