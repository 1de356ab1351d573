"""Embeddings of numeric inputs (Gorishniy et al., NeurIPS 2022).

A thin, shape-checked front to the maintained ``rtdl_num_embeddings``
package: each numeric column becomes a small vector (periodic: sin/cos of
learned frequencies then a per-column linear map and ReLU, "PLR";
piecewise: a piecewise-linear encoding on quantile bins then a per-column
linear map), and the vectors are concatenated for the network's body. Only
the flattening and the choice by name are written here.

``rtdl_num_embeddings`` imports scikit-learn when it is installed (for its
tree-based bins), so it is imported only where a numeric embedding is built:
``import sknn_hep.nn`` and the networks without one stay free of
scikit-learn (``tests/test_layers.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

NUM_EMBEDDINGS = (None, "periodic", "piecewise")
"""Values accepted by the networks' ``num_embedding`` parameter (None: raw)."""


def quantile_bins(z: torch.Tensor, n_bins: int) -> list[torch.Tensor]:
    """Bin edges for the piecewise-linear embedding, from training inputs.

    Quantile edges of each column (``rtdl_num_embeddings.compute_bins``);
    a column with fewer distinct values than ``n_bins + 1`` gets its own
    distinct values, and a constant column two edges around its value.

    Examples
    --------
    >>> import torch
    >>> z = torch.stack([torch.linspace(0, 1, 101), torch.ones(101)], dim=1)
    >>> [len(b) for b in quantile_bins(z, 4)]
    [5, 2]
    """
    from rtdl_num_embeddings import compute_bins

    edges = []
    for j in range(z.shape[1]):
        col = z[:, j : j + 1]
        distinct = torch.unique(col)
        if distinct.numel() == 1:
            v = float(distinct[0])
            edges.append(torch.tensor([v - 1.0, v + 1.0]))
        elif distinct.numel() <= n_bins + 1:
            edges.append(distinct.to(torch.float32))
        else:
            edges.append(compute_bins(col, n_bins=n_bins)[0])
    return edges


class NumericEmbedding(nn.Module):
    """Per-column embeddings of numeric inputs, flattened.

    Parameters
    ----------
    n_features : int
        Number of numeric columns.
    kind : {"periodic", "piecewise"}
        ``periodic``: ``PeriodicEmbeddings(lite=False)`` (PLR) with
        ``n_frequencies`` frequencies drawn with scale ``sigma``;
        ``piecewise``: ``PiecewiseLinearEmbeddings(version="B")`` on
        ``bins``.
    dim : int
        Width of each column's embedding.
    n_frequencies : int, default=16
        Frequencies per column (periodic).
    sigma : float, default=0.1
        Initial scale of the frequencies (periodic), in units of the scaled
        input.
    bins : sequence of 1-d tensors or None
        Bin edges per column (piecewise; see :func:`quantile_bins`).

    Attributes
    ----------
    n_outputs : int
        ``n_features * dim``.

    Shape
    -----
    ``(N, n_features) -> (N, n_features * dim)``.

    Examples
    --------
    >>> import torch
    >>> emb = NumericEmbedding(n_features=3, kind="periodic", dim=4)
    >>> emb(torch.zeros(5, 3)).shape
    torch.Size([5, 12])
    """

    def __init__(
        self,
        *,
        n_features: int,
        kind: str,
        dim: int,
        n_frequencies: int = 16,
        sigma: float = 0.1,
        bins: Sequence[torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}.")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}.")
        # here, not at the top: the package imports scikit-learn (see above)
        from rtdl_num_embeddings import PeriodicEmbeddings, PiecewiseLinearEmbeddings

        if kind == "periodic":
            self.embedding = PeriodicEmbeddings(
                n_features,
                dim,
                n_frequencies=int(n_frequencies),
                frequency_init_scale=float(sigma),
                lite=False,
            )
        elif kind == "piecewise":
            if bins is None or len(bins) != n_features:
                raise ValueError(
                    f"kind='piecewise' needs bins for each of the {n_features} columns."
                )
            self.embedding = PiecewiseLinearEmbeddings(
                [torch.as_tensor(b, dtype=torch.float32) for b in bins],
                dim,
                activation=False,
                version="B",
            )
        else:
            raise ValueError(f"kind must be 'periodic' or 'piecewise', got {kind!r}.")
        self.kind = kind
        self.n_outputs = int(n_features) * int(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedding(x).flatten(1)
