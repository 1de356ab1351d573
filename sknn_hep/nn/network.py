"""The feed-forward network the estimators train."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .blocks import MLPBody
from .embedding import CategoricalEmbedding
from .init import initialize_weights, resolve_initializer
from .layers import Dropout, GaussianNoise, OutputScaling, Standardize


class FeedForwardNetwork(nn.Module):
    """Input scaling, embeddings, a fully connected body and a linear head.

    ``forward(x, x_cat)`` computes::

        z      = Standardize(x)                  # non-trainable constants
        h      = [GaussianNoise(z), Embedding(x_cat)]   # concatenated
        logits = Linear(MLPBody(h))
        out    = OutputScaling(logits)           # non-trainable, regression

    Parameters
    ----------
    n_numeric : int
        Number of numeric input columns.
    n_outputs : int
        Width of the head.
    hidden_sizes : sequence of int
        Hidden layer widths.
    activation, block, batch_norm, dropout
        See :class:`~sknn_hep.nn.MLPBody`.
    initializer : str
        Initializer name or ``"auto"`` (see
        :func:`~sknn_hep.nn.resolve_initializer`); applied to every linear
        layer, head included; biases are zero.
    input_mean, input_std : array-like of shape (n_numeric,) or None
        Constants of the input scaling layer (identity when None).
    cardinalities, embedding_dims : sequence of int or None
        Tables of the categorical inputs (see
        :class:`~sknn_hep.nn.CategoricalEmbedding`); None for no categorical
        input.
    noise_std : float
        Gaussian noise added to the scaled numeric inputs in training.
    output_mean, output_scale : array-like of shape (n_outputs,) or None
        Constants of the output scaling layer (identity when None).
    head_sizes : sequence of int or None
        Split the head into one linear layer per task with these widths
        (summing to ``n_outputs``; see :class:`MultiHead`), all reading the
        shared body. None: one linear head.

    Shape
    -----
    ``x``: ``(N, n_numeric)`` float32, ``x_cat``: ``(N, n_categorical)`` int64
    -> ``(N, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> net = FeedForwardNetwork(n_numeric=3, n_outputs=1, hidden_sizes=[8])
    >>> net(torch.zeros(5, 3)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        *,
        n_numeric: int,
        n_outputs: int,
        hidden_sizes: Sequence[int],
        activation: str = "relu",
        block: str = "plain",
        batch_norm: bool = False,
        dropout: float = 0.0,
        initializer: str = "auto",
        input_mean=None,
        input_std=None,
        cardinalities: Sequence[int] | None = None,
        embedding_dims: Sequence[int] | None = None,
        noise_std: float = 0.0,
        output_mean=None,
        output_scale=None,
        head_sizes: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        if n_outputs < 1:
            raise ValueError(f"n_outputs must be >= 1, got {n_outputs}.")
        self.scaler = Standardize(n_features=n_numeric, mean=input_mean, std=input_std)
        self.noise = GaussianNoise(std=noise_std)
        self.embedding = (
            CategoricalEmbedding(cardinalities=cardinalities, dims=embedding_dims)
            if cardinalities
            else None
        )
        n_inputs = n_numeric + (self.embedding.n_outputs if self.embedding else 0)
        if n_inputs < 1:
            raise ValueError("The network needs at least one input column.")
        self.body = MLPBody(
            n_inputs=n_inputs,
            hidden_sizes=hidden_sizes,
            activation=activation,
            block=block,
            batch_norm=batch_norm,
            dropout=dropout,
        )
        if head_sizes is None:
            self.head = nn.Linear(self.body.n_outputs, n_outputs)
        else:
            if sum(head_sizes) != n_outputs:
                raise ValueError(
                    f"head_sizes {list(head_sizes)} must sum to n_outputs={n_outputs}."
                )
            self.head = MultiHead(self.body.n_outputs, head_sizes)
        self.output = OutputScaling(
            n_outputs=n_outputs, mean=output_mean, scale=output_scale
        )
        initialize_weights(self, resolve_initializer(initializer, activation))

    def logits_from_scaled(
        self, z: torch.Tensor, x_cat: torch.Tensor | None = None, *, split=False
    ) -> torch.Tensor | list[torch.Tensor]:
        """Head output (before output scaling) from already scaled inputs.

        With ``split=True`` and a :class:`MultiHead`, a list with each head's
        output instead of their concatenation.
        """
        h = self.noise(z)
        if self.embedding is not None:
            h = torch.cat([h, self.embedding(x_cat)], dim=1)
        h = self.body(h)
        if split and isinstance(self.head, MultiHead):
            return self.head.split(h)
        return self.head(h)

    def logits(
        self, x: torch.Tensor, x_cat: torch.Tensor | None = None, *, split=False
    ) -> torch.Tensor | list[torch.Tensor]:
        """Head output before the output scaling (the training target space)."""
        return self.logits_from_scaled(self.scaler(x), x_cat, split=split)

    def forward(
        self, x: torch.Tensor, x_cat: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.output(self.logits(x, x_cat))

    def set_generator(self, generator: torch.Generator | None) -> None:
        """Draw dropout masks and input noise from ``generator`` (None: torch's)."""
        for module in self.modules():
            if isinstance(module, (Dropout, GaussianNoise)):
                module.generator = generator

    def linear_weights(self) -> list[torch.Tensor]:
        """Weights (not biases) of every linear layer, for L1/L2 penalties."""
        return [m.weight for m in self.modules() if isinstance(m, nn.Linear)]


class MultiHead(nn.Module):
    """One linear layer per task on a shared input; outputs concatenated.

    Each task's head has its own weights, so a task's output does not depend
    on the other heads (with the same seed, the first head is initialised as
    a single-task network's head would be).

    Parameters
    ----------
    n_inputs : int
        Width of the shared input (the body's output).
    head_sizes : sequence of int
        Output width of each head, in order.

    Shape
    -----
    ``(N, n_inputs) -> (N, sum(head_sizes))``.

    Examples
    --------
    >>> import torch
    >>> MultiHead(4, [1, 3])(torch.zeros(2, 4)).shape
    torch.Size([2, 4])
    """

    def __init__(self, n_inputs: int, head_sizes: Sequence[int]) -> None:
        super().__init__()
        if not head_sizes or any(int(k) < 1 for k in head_sizes):
            raise ValueError(
                f"head_sizes must be a non-empty list of positive ints, got "
                f"{list(head_sizes)}."
            )
        # The heads after the first skip torch's default initialisation (the
        # network initialises every layer afterwards anyway), so building them
        # draws no random numbers: with the same seed, the body and the first
        # head start exactly as in a single-head network.
        first, *rest = (int(k) for k in head_sizes)
        self.heads = nn.ModuleList(
            [nn.Linear(n_inputs, first)]
            + [nn.utils.skip_init(nn.Linear, n_inputs, k) for k in rest]
        )

    def split(self, h: torch.Tensor) -> list[torch.Tensor]:
        """Each head's output as its own tensor (for per-task losses).

        Training on these rather than on slices of the concatenation keeps
        every head's gradient contiguous, so a head trains bit-identically to
        a single-head network's.
        """
        return [head(h) for head in self.heads]

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.split(h), dim=1)
