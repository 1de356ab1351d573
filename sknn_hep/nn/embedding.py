"""Embeddings of categorical inputs."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def auto_embedding_dim(n_categories: int) -> int:
    """Embedding width used for ``embedding_dim="auto"``: ``min(50, (n + 1) // 2)``.

    ``n_categories`` counts the categories seen in fit (not the unknown row);
    the width is at least 1.

    Examples
    --------
    >>> auto_embedding_dim(4), auto_embedding_dim(1), auto_embedding_dim(1000)
    (2, 1, 50)
    """
    return max(1, min(50, (int(n_categories) + 1) // 2))


class CategoricalEmbedding(nn.Module):
    """One trainable ``(n_rows, dim)`` table per categorical column.

    Each column's integer index picks a row; the rows of all columns are
    concatenated (the lecture's "flatten the N_f x N_w rows into the input
    vector"). Row 0 of every table is reserved for categories not seen in fit.

    Parameters
    ----------
    cardinalities : sequence of int
        Number of rows of each table, the unknown row included (>= 2).
    dims : sequence of int
        Width of each table.

    Attributes
    ----------
    embeddings : nn.ModuleList of nn.Embedding
        The tables, in column order.
    n_outputs : int
        ``sum(dims)``.

    Shape
    -----
    ``(N, n_columns)`` of int64 -> ``(N, sum(dims))``.

    Examples
    --------
    >>> import torch
    >>> emb = CategoricalEmbedding(cardinalities=[5, 3], dims=[2, 4])
    >>> emb(torch.tensor([[1, 2], [0, 0]])).shape
    torch.Size([2, 6])
    """

    def __init__(self, *, cardinalities: Sequence[int], dims: Sequence[int]) -> None:
        super().__init__()
        if len(cardinalities) != len(dims):
            raise ValueError(
                f"cardinalities ({len(cardinalities)}) and dims ({len(dims)}) "
                "must have the same length."
            )
        if any(int(c) < 2 for c in cardinalities) or any(int(d) < 1 for d in dims):
            raise ValueError(
                "Every table needs >= 2 rows (unknown + one category) and "
                f"width >= 1; got cardinalities={list(cardinalities)}, "
                f"dims={list(dims)}."
            )
        self.embeddings = nn.ModuleList(
            nn.Embedding(int(c), int(d)) for c, d in zip(cardinalities, dims)
        )
        self.n_outputs = int(sum(int(d) for d in dims))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [emb(codes[:, i]) for i, emb in enumerate(self.embeddings)], dim=1
        )

    @torch.no_grad()
    def set_unknown_to_mean(self) -> None:
        """Set each table's unknown row (0) to the mean of its learnt rows."""
        for emb in self.embeddings:
            emb.weight[0] = emb.weight[1:].mean(dim=0)
