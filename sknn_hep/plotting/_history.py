"""Training history: loss, learning rate, watched metric and diagnostics per epoch."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np

from ._common import finish, new_axes
from ._style import (
    check_label_args,
    experiment_label,
    font_scale,
    legend_fontsize,
    plot_style,
    remember_style,
)

_FUNC = "plot_history"
# per-epoch entries that are not a watched metric (they have panels of their
# own, or are bookkeeping)
_NOT_METRICS = frozenset(
    {
        "epoch", "train_loss", "valid_loss", "lr", "dur", "dead_units",
        "train_batch_count", "valid_batch_count",
    }
)  # fmt: skip
_BEST = {"color": "k", "ls": "--", "lw": 1.0}


def _unwrap(obj):
    """A pipeline's last step (the network), else ``obj``."""
    steps = getattr(obj, "steps", None)
    return steps[-1][1] if isinstance(steps, list) and steps else obj


def _history_and_best(estimator_or_history, func=_FUNC):
    obj = _unwrap(estimator_or_history)
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


def _series(history, epochs, key):
    """``(epochs, values)`` of the epochs that recorded ``key``."""
    rows = [(e, row[key]) for e, row in zip(epochs, history) if key in row]
    if not rows:
        return np.array([], dtype=int), np.array([], dtype=float)
    e, v = zip(*rows)
    return np.array(e, dtype=int), np.array(v, dtype=float)


def _metric_keys(history) -> dict[str, list[str]]:
    """Watched metrics by name: ``{"score": ["train_score", "valid_score"]}``.

    Every numeric per-epoch entry that is not a loss, the learning rate, a
    duration, a batch count, a diagnostic or skorch's ``*_best`` flag; ``train_x`` and
    ``valid_x`` share the panel ``x``.
    """
    metrics: dict[str, list[str]] = {}
    for row in history:
        for key, value in row.items():
            if (
                key in _NOT_METRICS
                or key.endswith("_best")
                or key.startswith(("grad_norm_", "dead_units_", "event_"))
                or isinstance(value, bool)
                or not isinstance(value, Real)
            ):
                continue
            name = key.removeprefix("train_").removeprefix("valid_")
            keys = metrics.setdefault(name, [])
            if key not in keys:
                keys.append(key)
    for keys in metrics.values():
        keys.sort(key=lambda k: (not k.startswith("train_"), k))
    return metrics


def _numbered_keys(history, prefix: str) -> list[tuple[int, str]]:
    """``(k, key)`` of the keys ``prefix<k>`` in any epoch, by k."""
    keys = {
        key
        for row in history
        for key in row
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    }
    return sorted((int(key[len(prefix) :]), key) for key in keys)


def _mark_best(ax, best, legend=False):
    label = f"best epoch ({best})" if legend else f"_best epoch ({best})"
    return ax.axvline(best, label=label, **_BEST)


def _train_valid_colors():
    import matplotlib.pyplot as plt

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return colors[0], colors[1 % len(colors)]


def _draw_loss(ax, history, epochs, log_loss):
    c_train, c_valid = _train_valid_colors()
    e, v = _series(history, epochs, "train_loss")
    ax.plot(e, v, "-", color=c_train, label="train loss")
    e, v = _series(history, epochs, "valid_loss")
    if len(e):
        ax.plot(e, v, "-", color=c_valid, label="validation loss")
    ax.set_ylabel("loss")
    if log_loss:
        ax.set_yscale("log")


def _draw_lr(ax, history, epochs, color="tab:green", style="-"):
    e, lr = _series(history, epochs, "lr")
    (line,) = ax.plot(e, lr, style, color=color, label="learning rate")
    if np.all(lr > 0):
        ax.set_yscale("log")
    ax.set_ylabel("learning rate")
    return line


def _draw_metric(ax, history, epochs, name, keys, ylabel):
    c_train, c_valid = _train_valid_colors()
    for key in keys:
        e, v = _series(history, epochs, key)
        color = c_train if key.startswith("train_") else c_valid
        what = "train" if key.startswith("train_") else "validation"
        ax.plot(e, v, "-", color=color, label=f"{what} {name}")
    ax.set_ylabel(ylabel)


def _legend_above(ax, style, handles=None, labels=None, ncols=None):
    """A compact legend above ``ax``, off its curves, one row up to 4 entries."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01),
        ncols=ncols or min(len(handles), 4), borderaxespad=0.0, frameon=False,
        fontsize=legend_fontsize(style), handlelength=1.2, columnspacing=0.8,
        handletextpad=0.4,
    )  # fmt: skip


def _draw_grad_norms(ax, history, epochs, grad_keys, style):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    for i, (k, key) in enumerate(grad_keys):
        e, v = _series(history, epochs, key)
        color = cmap(i / max(1, len(grad_keys) - 1) * 0.9)
        ax.plot(e, v, "-", color=color, label=f"layer {k}")
    ax.set_yscale("log")
    ax.set_ylabel("gradient norm")
    _legend_above(ax, style)


def _draw_dead_units(ax, history, epochs, style):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    layers = _numbered_keys(history, "dead_units_")
    for i, (k, key) in enumerate(layers):
        e, v = _series(history, epochs, key)
        color = cmap(i / max(1, len(layers) - 1) * 0.9)
        ax.plot(e, v, "-", color=color, label=f"layer {k}")
    e, v = _series(history, epochs, "dead_units")
    if len(e):
        ax.plot(e, v, "k--", label="all layers")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("fraction of dead units")
    if ax.get_lines():
        _legend_above(ax, style)


def _headroom(ax, fraction=0.3):
    """Raise the top of the y range: the curves stay in the lower part,
    under an experiment label drawn inside the axes."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        lo_log, hi_log = np.log10(lo), np.log10(hi)
        ax.set_ylim(lo, 10 ** (lo_log + (hi_log - lo_log) / (1.0 - fraction)))
    else:
        ax.set_ylim(lo, lo + (hi - lo) / (1.0 - fraction))


def _panels(history, metrics):
    """The grid's panels in order: ``(name, draw)``, by what was recorded."""
    panels = ["loss"]
    if any("lr" in row for row in history):
        panels.append("learning rate")
    panels += [f"metric: {name}" for name in metrics]
    if _numbered_keys(history, "grad_norm_"):
        panels.append("gradient norm")
    if _numbered_keys(history, "dead_units_") or any(
        "dead_units" in row for row in history
    ):
        panels.append("dead units")
    return panels


def plot_history(
    estimator_or_history,
    *,
    ax=None,
    log_loss=False,
    style=None,
    label="Simulation",
    com=None,
    lumi=None,
    path=None,
):
    """Plot a training's history per epoch: losses, learning rate, metrics.

    Parameters
    ----------
    estimator_or_history : fitted estimator or list of dict
        A fitted sknn_hep estimator (its ``history_`` and ``best_epoch_``;
        a pipeline's last step), or a list of per-epoch dicts shaped like
        ``history_`` (``epoch``, ``train_loss``, optional ``valid_loss``,
        ``lr``, a watched metric such as ``valid_score``, and the
        diagnostics ``grad_norm_<k>``, ``dead_units_<k>``, ``dead_units``;
        skorch's ``net.history`` works too). For a list the best epoch is
        the one with the lowest ``valid_loss`` (``train_loss`` if there is
        none).
    ax : matplotlib Axes, default=None
        None: a new figure with a grid of panels (see Returns). An Axes:
        only the losses on it, and the learning rate on a second y axis
        (``ax.twinx()``, log scale) when the history has ``lr``, with the
        legend above the axes (e.g. one axes per member of an ensemble).
    log_loss : bool, default=False
        Log scale for the loss axis.
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        The experiment's style (:func:`~sknn_hep.plotting.plot_style`) and
        label on the loss panel. A new figure grows with the style's fonts.
    label : str or None, default="Simulation"
        The text after the experiment's name
        (:func:`~sknn_hep.plotting.experiment_label`).
    com : float or str, default=None
        Centre-of-mass energy in TeV for the label; None leaves it out.
    lumi : float or str, default=None
        Integrated luminosity in fb⁻¹ for the label; None leaves it out.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        Without ``ax``: one panel per recorded quantity, two or three per
        row, each panel's axes label naming it:

        - ``"loss"``: train and validation loss;
        - ``"learning rate"`` (log scale), when recorded;
        - ``"metric: <name>"`` for each other numeric entry (the watched
          metric, e.g. ``valid_score``, y label ``"validation score"``, or
          ``"validation score (roc_auc)"`` for an estimator fitted with
          ``scoring="roc_auc"``); ``train_<name>`` and ``valid_<name>``
          share a panel;
        - ``"gradient norm"`` (log scale, one curve per layer) and
          ``"dead units"`` (fraction per hidden layer and overall), for a
          network fitted with ``diagnostics=True``.

        Every panel marks the best epoch with a vertical dashed line
        (``axvline`` at ``best_epoch_``). The train/validation/best-epoch
        legend is one figure legend above the panels; the per-layer
        legends of the diagnostics sit above their panels.

    See Also
    --------
    plot_diagnostics : The two diagnostics panels alone.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_history
    >>> history = [{"epoch": i, "train_loss": 1 / i, "lr": 0.1 * 0.5**i,
    ...             "valid_loss": 1 / i + (i - 3) ** 2 / 5,
    ...             "valid_score": 0.8 - (i - 3) ** 2 / 50} for i in range(1, 7)]
    >>> fig = plot_history(history)
    >>> [ax.get_label() for ax in fig.axes]
    ['loss', 'learning rate', 'metric: score']
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['train', 'validation', 'best epoch (3)']
    >>> fig.axes[1].get_yscale()
    'log'
    >>> plt.close(fig)

    One axes, as for the members of an ensemble:

    >>> fig, ax = plt.subplots()
    >>> _ = plot_history(history, ax=ax)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['train loss', 'validation loss', 'best epoch (3)', 'learning rate']
    >>> plt.close(fig)
    """
    history, epochs, best = _history_and_best(estimator_or_history)
    check_label_args(label, com, lumi, _FUNC)
    with plot_style(style, _FUNC):
        if ax is not None:
            fig, ax = new_axes(ax, _FUNC, None, style)
            _single_axes(ax, history, epochs, best, log_loss, style)
            texts = experiment_label(
                ax, style, label=label, com=com, lumi=lumi, func=_FUNC
            )
            if texts and style is not None:
                _headroom(ax)
            return finish(fig, path, _FUNC)
        fig = _grid(
            estimator_or_history, history, epochs, best, log_loss, style,
            {"label": label, "com": com, "lumi": lumi},
        )  # fmt: skip
    return finish(fig, path, _FUNC)


def _single_axes(ax, history, epochs, best, log_loss, style):
    _draw_loss(ax, history, epochs, log_loss)
    _mark_best(ax, best, legend=True)
    ax.set_xlabel("epoch")
    handles, texts = ax.get_legend_handles_labels()
    if any("lr" in row for row in history):
        line = _draw_lr(ax.twinx(), history, epochs, style=":")
        handles.append(line)
        texts.append(line.get_label())
    _legend_above(ax, style, handles, texts, ncols=2)


def _grid(estimator, history, epochs, best, log_loss, style, label_args):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    metrics = _metric_keys(history)
    panels = _panels(history, metrics)
    n = len(panels)
    n_cols = 1 if n == 1 else 2 if n <= 4 else 3
    n_rows = math.ceil(n / n_cols)
    scale = font_scale()
    fig = plt.figure(
        figsize=(4.2 * n_cols * scale, (2.8 * n_rows + 0.4) * scale),
        layout="constrained",
    )
    remember_style(fig, style)
    scoring = getattr(_unwrap(estimator), "scoring", None)
    axes = {}
    for i, name in enumerate(panels):
        ax = fig.add_subplot(n_rows, n_cols, i + 1, label=name, sharex=axes.get("loss"))
        axes[name] = ax
        if name == "loss":
            _draw_loss(ax, history, epochs, log_loss)
        elif name == "learning rate":
            _draw_lr(ax, history, epochs)
        elif name == "gradient norm":
            _draw_grad_norms(
                ax, history, epochs, _numbered_keys(history, "grad_norm_"), style
            )
        elif name == "dead units":
            _draw_dead_units(ax, history, epochs, style)
        else:
            metric = name.removeprefix("metric: ")
            keys = metrics[metric]
            what = "validation" if keys[-1].startswith("valid_") else "train"
            ylabel = f"{what} {metric}" if len(keys) == 1 else metric
            if metric == "score" and isinstance(scoring, str):
                ylabel += f" ({scoring})"
            _draw_metric(ax, history, epochs, metric, keys, ylabel)
        _mark_best(ax, best, legend=name == "loss")
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelbottom=True)
    c_train, c_valid = _train_valid_colors()
    handles = [Line2D([], [], color=c_train, label="train")]
    if any(k.startswith("valid_") for row in history for k in row):
        handles.append(Line2D([], [], color=c_valid, label="validation"))
    handles.append(Line2D([], [], label=f"best epoch ({best})", **_BEST))
    fig.legend(
        handles=handles, loc="outside upper center", ncols=len(handles),
        frameon=False, fontsize=legend_fontsize(style),
    )  # fmt: skip
    texts = experiment_label(axes["loss"], style, **label_args, func=_FUNC)
    if texts and style is not None:
        _headroom(axes["loss"])
    return fig


def plot_diagnostics(
    estimator_or_history,
    *,
    style=None,
    label="Simulation",
    com=None,
    lumi=None,
    path=None,
):
    """Plot gradient norms per layer and dead-unit fractions per epoch.

    The lectures' training monitor: with vanishing gradients the norms of the
    first layers fall orders of magnitude below those of the last; a dead
    unit (a ReLU that never fires, a saturated sigmoid) no longer changes
    with the input. :func:`plot_history` shows the same two panels next to
    the losses.

    Parameters
    ----------
    estimator_or_history : fitted estimator or list of dict
        A network fitted with ``diagnostics=True`` (its ``history_``), or a
        list of per-epoch dicts with ``grad_norm_1, grad_norm_2, ...`` and
        ``dead_units_1, ...`` entries (see the ``diagnostics`` parameter of
        the networks).
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        The experiment's style and label (see :func:`plot_history`).
    label : str or None, default="Simulation"
        The text after the experiment's name.
    com : float or str, default=None
        Centre-of-mass energy in TeV for the label; None leaves it out.
    lumi : float or str, default=None
        Integrated luminosity in fb⁻¹ for the label; None leaves it out.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes, labelled ``"gradient norm"`` and ``"dead units"``: the
        gradient norm of each linear layer (log scale; layer 1 is the
        first, the last ones are the output heads) and the fraction of dead
        units of each hidden layer and overall, per epoch; each with its
        legend above it, and the best epoch marked (dashed line).

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
    func = "plot_diagnostics"
    history, epochs, best = _history_and_best(estimator_or_history, func)
    check_label_args(label, com, lumi, func)
    grad_keys = _numbered_keys(history, "grad_norm_")
    if not grad_keys:
        raise ValueError(
            "The 'estimator_or_history' parameter of plot_diagnostics has no "
            "'grad_norm_<k>' entries: fit the network with diagnostics=True. Got "
            f"keys {sorted(history[-1])} instead."
        )
    import matplotlib.pyplot as plt

    with plot_style(style, func):
        scale = font_scale()
        fig = plt.figure(figsize=(10.0 * scale, 3.6 * scale), layout="constrained")
        remember_style(fig, style)
        ax_grad = fig.add_subplot(1, 2, 1, label="gradient norm")
        ax_dead = fig.add_subplot(1, 2, 2, label="dead units")
        _draw_grad_norms(ax_grad, history, epochs, grad_keys, style)
        _draw_dead_units(ax_dead, history, epochs, style)
        for ax in (ax_grad, ax_dead):
            _mark_best(ax, best)
            ax.set_xlabel("epoch")
            ax.xaxis.get_major_locator().set_params(integer=True)
        texts = experiment_label(
            ax_grad, style, label=label, com=com, lumi=lumi, func=func
        )
        if texts and style is not None:
            _headroom(ax_grad)
    return finish(fig, path, func)
