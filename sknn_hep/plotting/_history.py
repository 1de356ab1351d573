"""Training history: loss per epoch, learning rate, best epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._common import finish, new_axes

_FUNC = "plot_history"


def _history_and_best(estimator_or_history):
    obj = estimator_or_history
    if hasattr(obj, "history_"):
        history = obj.history_
        best = getattr(obj, "best_epoch_", None)
    elif isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        history, best = obj, None
    else:
        raise TypeError(
            "The 'estimator_or_history' parameter of plot_history must be a fitted "
            "sknn_hep estimator (with history_) or a list of dicts. Got "
            f"{type(obj).__name__} instead."
        )
    if len(history) == 0 or not all(isinstance(row, Mapping) for row in history):
        raise ValueError(
            "The 'estimator_or_history' parameter of plot_history must hold a "
            "non-empty list of dicts (one per epoch). Got "
            f"{type(history).__name__} of length {len(history)} instead."
        )
    if any("train_loss" not in row for row in history):
        raise ValueError(
            "The 'estimator_or_history' parameter of plot_history must have a "
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
