"""Training history: loss per epoch, learning rate, best epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._common import finish, new_axes

_FUNC = "plot_history"


def _history_and_best(estimator_or_history, func=_FUNC):
    obj = estimator_or_history
    if hasattr(obj, "history_"):
        history = obj.history_
        best = getattr(obj, "best_epoch_", None)
    elif isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        history, best = obj, None
    else:
        raise TypeError(
            f"The 'estimator_or_history' parameter of {func} must be a fitted "
            "sknn_hep estimator (with history_) or a list of dicts. Got "
            f"{type(obj).__name__} instead."
        )
    if len(history) == 0 or not all(isinstance(row, Mapping) for row in history):
        raise ValueError(
            f"The 'estimator_or_history' parameter of {func} must hold a "
            "non-empty list of dicts (one per epoch). Got "
            f"{type(history).__name__} of length {len(history)} instead."
        )
    if any("train_loss" not in row for row in history):
        raise ValueError(
            f"The 'estimator_or_history' parameter of {func} must have a "
            "'train_loss' entry in every epoch's dict. Got keys "
            f"{sorted(history[0])} instead."
        )
    epochs = np.array(
        [row.get("epoch", i + 1) for i, row in enumerate(history)], dtype=int
    )
    if best is None:
        key = "valid_loss" if "valid_loss" in history[-1] else "train_loss"
        losses = [row.get(key, np.inf) for row in history]
        best = int(epochs[int(np.argmin(losses))])
    return history, epochs, int(best)


def plot_history(estimator_or_history, *, ax=None, log_loss=False, path=None):
    """Plot train and validation loss per epoch, the learning rate, the best epoch.

    Parameters
    ----------
    estimator_or_history : fitted estimator or list of dict
        A fitted sknn_hep estimator (its ``history_`` and ``best_epoch_``),
        or a list of per-epoch dicts shaped like ``history_`` (``epoch``,
        ``train_loss``, optional ``valid_loss`` and ``lr``; skorch's
        ``net.history`` works too). For a list the best epoch is the one
        with the lowest ``valid_loss`` (``train_loss`` if there is none).
    ax : matplotlib Axes, default=None
        Axes for the losses; a new figure when None. The learning rate goes
        on a second y axis (``ax.twinx()``, log scale) when the history
        has ``lr``.
    log_loss : bool, default=False
        Log scale for the loss axis.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure. The best epoch is a vertical dashed line labelled
        ``"best epoch (N)"`` on the loss axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_history
    >>> history = [{"epoch": i, "train_loss": 1 / i, "lr": 0.1 * 0.5**i,
    ...             "valid_loss": 1 / i + (i - 3) ** 2 / 5} for i in range(1, 7)]
    >>> fig = plot_history(history)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['train loss', 'validation loss', 'best epoch (3)', 'learning rate']
    >>> plt.close(fig)
    """
    history, epochs, best = _history_and_best(estimator_or_history)
    fig, ax = new_axes(ax, _FUNC, (6.0, 4.0))
    train = np.array([row["train_loss"] for row in history], dtype=float)
    ax.plot(epochs, train, "-", color="tab:blue", label="train loss")
    has_valid = np.array(["valid_loss" in row for row in history])
    if has_valid.any():
        valid = np.array([row["valid_loss"] for row in history if "valid_loss" in row])
        ax.plot(
            epochs[has_valid], valid, "-", color="tab:orange", label="validation loss"
        )
    ax.axvline(best, ls="--", color="k", lw=1, label=f"best epoch ({best})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_loss:
        ax.set_yscale("log")
    handles, texts = ax.get_legend_handles_labels()
    has_lr = np.array(["lr" in row for row in history])
    if has_lr.any():
        lr = np.array([row["lr"] for row in history if "lr" in row], dtype=float)
        ax_lr = ax.twinx()
        (line,) = ax_lr.plot(
            epochs[has_lr], lr, ":", color="tab:green", label="learning rate"
        )
        if np.all(lr > 0):
            ax_lr.set_yscale("log")
        ax_lr.set_ylabel("learning rate")
        handles.append(line)
        texts.append(line.get_label())
    ax.legend(handles, texts, fontsize="small")
    return finish(fig, path, _FUNC)


def plot_diagnostics(estimator_or_history, *, path=None):
    """Plot gradient norms per layer and dead-unit fractions per epoch.

    The lectures' training monitor: with vanishing gradients the norms of the
    first layers fall orders of magnitude below those of the last; a dead
    unit (a ReLU that never fires, a saturated sigmoid) no longer changes
    with the input.

    Parameters
    ----------
    estimator_or_history : fitted estimator or list of dict
        A network fitted with ``diagnostics=True`` (its ``history_``), or a
        list of per-epoch dicts with ``grad_norm_1, grad_norm_2, ...`` and
        ``dead_units_1, ...`` entries (see the ``diagnostics`` parameter of
        the networks).
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes: the gradient norm of each linear layer (log scale; layer 1
        is the first, the last ones are the output heads) and the fraction
        of dead units of each hidden layer and overall, per epoch.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_diagnostics
    >>> history = [{"epoch": i, "train_loss": 1 / i, "grad_norm_1": 1e-3 / i,
    ...             "grad_norm_2": 1e-1 / i, "dead_units_1": 0.1 * i,
    ...             "dead_units": 0.1 * i} for i in range(1, 4)]
    >>> fig = plot_diagnostics(history)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['layer 1', 'layer 2']
    >>> plt.close(fig)
    """
    history, epochs, _ = _history_and_best(estimator_or_history, "plot_diagnostics")
    grad_keys = _numbered_keys(history, "grad_norm_")
    if not grad_keys:
        raise ValueError(
            "The 'estimator_or_history' parameter of plot_diagnostics has no "
            "'grad_norm_<k>' entries: fit the network with diagnostics=True. Got "
            f"keys {sorted(history[-1])} instead."
        )
    import matplotlib.pyplot as plt

    fig, (ax_grad, ax_dead) = plt.subplots(
        1, 2, figsize=(10.0, 4.0), layout="constrained"
    )
    for k, key in grad_keys:
        values = np.array([row.get(key, np.nan) for row in history], dtype=float)
        ax_grad.plot(epochs, values, "-", label=f"layer {k}")
    ax_grad.set_yscale("log")
    ax_grad.set_xlabel("epoch")
    ax_grad.set_ylabel("gradient norm of the layer's weights")
    ax_grad.legend(fontsize="small")
    for k, key in _numbered_keys(history, "dead_units_"):
        values = np.array([row.get(key, np.nan) for row in history], dtype=float)
        ax_dead.plot(epochs, values, "-", label=f"hidden layer {k}")
    if any("dead_units" in row for row in history):
        values = np.array(
            [row.get("dead_units", np.nan) for row in history], dtype=float
        )
        ax_dead.plot(epochs, values, "k--", label="all hidden units")
        ax_dead.legend(fontsize="small")
    ax_dead.set_ylim(-0.02, 1.02)
    ax_dead.set_xlabel("epoch")
    ax_dead.set_ylabel("fraction of dead units")
    return finish(fig, path, "plot_diagnostics")


def _numbered_keys(history, prefix: str) -> list[tuple[int, str]]:
    """``(k, key)`` of the keys ``prefix<k>`` in any epoch, by k."""
    keys = {
        key
        for row in history
        for key in row
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    }
    return sorted((int(key[len(prefix) :]), key) for key in keys)
