"""The feed-forward network the estimators train."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .blocks import MLPBody
from .embedding import CategoricalEmbedding
from .init import init_weight_, initialize_weights, resolve_initializer
from .layers import Dropout, GaussianNoise, InputScaling, OutputScaling
from .numeric import NumericEmbedding


class FeedForwardNetwork(nn.Module):
    """Input scaling, embeddings, a fully connected body and a linear head.

    ``forward(x, x_cat)`` computes::

        z      = InputScaling(x)                 # non-trainable constants:
                                                 # missing values, scaling,
                                                 # smooth clipping, indicators
        h      = GaussianNoise(z)
        h      = [NumericEmbedding(h_numeric), h_indicators,
                  Embedding(x_cat)]              # concatenated
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
        Centre and scale of the input scaling layer (identity when None).
    input_clip : float or None
        Bound of the smooth clipping of the scaled inputs (see
        :class:`~sknn_hep.nn.InputScaling`); None for none.
    missing_value : float or None
        Marker of a missing numeric value (NaN allowed): it is replaced by
        the centre, and ``missing_flags`` get indicators. None: none.
    missing_flags : sequence of int or None
        Numeric columns whose missing-value indicator is an extra input.
    num_embedding : {"periodic", "piecewise"} or None
        Embedding of each numeric column (see
        :class:`~sknn_hep.nn.NumericEmbedding`); None feeds the scaled
        values directly.
    num_embedding_dim : int
        Width of each numeric column's embedding.
    num_embedding_options : dict or None
        Further arguments of :class:`~sknn_hep.nn.NumericEmbedding`
        (``n_frequencies``, ``sigma``, ``bins``).
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
    n_ensemble : int, default=1
        k > 1 makes the network a parameter-efficient ensemble of k members
        (TabM-mini, Gorishniy et al. 2025; see :class:`EnsembleHead`): every
        member multiplies the body's input by its own trainable vector
        (initialised to random signs), shares the body, and has its own
        linear head. In training, ``logits`` returns the members' outputs
        ``(N, k, n_outputs)`` (each member gets its own loss); in
        evaluation, their mean ``(N, n_outputs)``. Costs about k times the
        body's arithmetic; not combinable with ``head_sizes``.

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
        input_clip: float | None = None,
        missing_value: float | None = None,
        missing_flags: Sequence[int] | None = None,
        num_embedding: str | None = None,
        num_embedding_dim: int = 16,
        num_embedding_options: dict | None = None,
        cardinalities: Sequence[int] | None = None,
        embedding_dims: Sequence[int] | None = None,
        noise_std: float = 0.0,
        output_mean=None,
        output_scale=None,
        head_sizes: Sequence[int] | None = None,
        n_ensemble: int = 1,
    ) -> None:
        super().__init__()
        if n_ensemble < 1:
            raise ValueError(f"n_ensemble must be >= 1, got {n_ensemble}.")
        if n_ensemble > 1 and head_sizes is not None:
            raise ValueError("n_ensemble > 1 cannot be combined with head_sizes.")
        if n_outputs < 1:
            raise ValueError(f"n_outputs must be >= 1, got {n_outputs}.")
        self.scaler = InputScaling(
            n_features=n_numeric,
            center=input_mean,
            scale=input_std,
            clip=input_clip,
            missing_value=missing_value,
            flag_columns=missing_flags,
        )
        self.n_numeric = int(n_numeric)
        self.noise = GaussianNoise(std=noise_std)
        self.num_embedding = (
            NumericEmbedding(
                n_features=n_numeric,
                kind=num_embedding,
                dim=int(num_embedding_dim),
                **(num_embedding_options or {}),
            )
            if num_embedding is not None and n_numeric
            else None
        )
        n_scaled = self.scaler.n_outputs
        if self.num_embedding is not None:
            n_scaled += self.num_embedding.n_outputs - n_numeric
        self.embedding = (
            CategoricalEmbedding(cardinalities=cardinalities, dims=embedding_dims)
            if cardinalities
            else None
        )
        n_inputs = n_scaled + (self.embedding.n_outputs if self.embedding else 0)
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
        self.n_ensemble = int(n_ensemble)
        if n_ensemble > 1:
            self.ensemble_scale = nn.Parameter(torch.empty(n_ensemble, n_inputs))
            self.head = EnsembleHead(self.body.n_outputs, n_outputs, n_ensemble)
        elif head_sizes is None:
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
        init = resolve_initializer(initializer, activation)
        initialize_weights(self, init)
        if n_ensemble > 1:
            # random signs: the members start as k different views of the input
            with torch.no_grad():
                self.ensemble_scale.copy_(
                    torch.randint(0, 2, self.ensemble_scale.shape) * 2.0 - 1.0
                )
            self.head.reset_parameters(init)

    def __setstate__(self, state):
        super().__setstate__(state)
        # a network pickled by sknn_hep 0.1: no numeric embedding, no ensemble
        if not hasattr(self, "num_embedding"):
            self.num_embedding = None
        if not hasattr(self, "n_ensemble"):
            self.n_ensemble = 1
        if not hasattr(self, "n_numeric"):
            center = getattr(self.scaler, "center", None)  # 0.1: Standardize
            self.n_numeric = int(
                (self.scaler.mean if center is None else center).numel()
            )

    def logits_from_scaled(
        self, z: torch.Tensor, x_cat: torch.Tensor | None = None, *, split=False
    ) -> torch.Tensor | list[torch.Tensor]:
        """Head output (before output scaling) from already scaled inputs.

        With ``split=True`` and a :class:`MultiHead`, a list with each head's
        output instead of their concatenation.
        """
        h = self.noise(z)
        if self.num_embedding is not None:
            n = self.n_numeric
            h = torch.cat([self.num_embedding(h[:, :n]), h[:, n:]], dim=1)
        if self.embedding is not None:
            h = torch.cat([h, self.embedding(x_cat)], dim=1)
        if self.n_ensemble > 1:
            k, (n, width) = self.n_ensemble, h.shape
            h = (h.unsqueeze(1) * self.ensemble_scale).reshape(n * k, width)
            out = self.head(self.body(h).reshape(n, k, -1))
            return out if self.training else out.mean(dim=1)
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
        return [
            m.weight for m in self.modules() if isinstance(m, (nn.Linear, EnsembleHead))
        ]


class EnsembleHead(nn.Module):
    """k linear heads, one per ensemble member, applied member by member.

    Parameters
    ----------
    n_inputs : int
        Width of each member's body output.
    n_outputs : int
        Width of each member's output.
    n_members : int
        Number of members k.

    Shape
    -----
    ``(N, k, n_inputs) -> (N, k, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> EnsembleHead(8, 1, 4)(torch.zeros(3, 4, 8)).shape
    torch.Size([3, 4, 1])
    """

    def __init__(self, n_inputs: int, n_outputs: int, n_members: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, n_outputs, n_inputs))
        self.bias = nn.Parameter(torch.zeros(n_members, n_outputs))
        self.reset_parameters("glorot_uniform")

    def reset_parameters(self, initializer: str) -> None:
        """Fill each member's weight as the linear layers are (``initializer``)."""
        with torch.no_grad():
            for member in self.weight:
                init_weight_(member, initializer)
            self.bias.zero_()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nki,koi->nko", h, self.weight) + self.bias


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
