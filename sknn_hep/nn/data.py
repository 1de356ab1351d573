"""The fast batch order: one index tensor per epoch, batches are slices."""

from __future__ import annotations

import math

import torch


def epoch_order(
    n_samples: int,
    batch_size: int,
    *,
    generator: torch.Generator,
    labels: torch.Tensor | None = None,
    n_classes: int = 0,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, int]:
    """Row order of one training epoch and the batch length.

    The caller gathers its tensors in the returned order (all at once, or
    a chunk of whole batches at a time to bound the memory) and slices
    consecutive batches of the returned length: no per-sample
    ``Dataset.__getitem__`` and no collate.

    Parameters
    ----------
    n_samples : int
        Rows in the training set.
    batch_size : int
        Requested batch size.
    generator : torch.Generator
        Source of randomness (CPU generator).
    labels : tensor of int64 of shape (n_samples,) or None
        Class index of each row. When given, batches are balanced (the
        lecture's "collocation"): each holds ``batch_size // n_classes`` rows
        of every class; an epoch has ``ceil(n_samples / batch_size)`` batches
        and rows of the smaller classes are repeated, each pass over a class
        in a new random order.
    n_classes : int
        Number of classes (with ``labels``).
    device : torch.device or str
        Device of the returned index tensor.

    Returns
    -------
    order : tensor of int64
        Row indices in epoch order.
    step : int
        Batch length.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> labels = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1])
    >>> order, step = epoch_order(8, 4, generator=g, labels=labels, n_classes=2)
    >>> step, [int(labels[order[i:i + step]].sum()) for i in range(0, 8, step)]
    (4, [2, 2])
    """
    if labels is None:
        order = torch.randperm(n_samples, generator=generator)
        return order.to(device), batch_size
    per_class = max(1, batch_size // n_classes)
    n_batches = math.ceil(n_samples / batch_size)
    need = n_batches * per_class
    labels_cpu = labels.cpu()
    columns = []
    for c in range(n_classes):
        members = torch.nonzero(labels_cpu == c, as_tuple=True)[0]
        if members.numel() == 0:
            continue
        passes = math.ceil(need / members.numel())
        drawn = torch.cat(
            [
                members[torch.randperm(members.numel(), generator=generator)]
                for _ in range(passes)
            ]
        )[:need]
        columns.append(drawn.view(n_batches, per_class))
    order = torch.cat(columns, dim=1).reshape(-1)
    return order.to(device), per_class * len(columns)
