"""The classifier score as expected events: stacked backgrounds per process,
signal overlaid, data points; what an analysis shows before cutting on it."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ._common import (
    as_1d,
    check_length,
    finish,
    labelled_scores,
    log_limits,
    new_axes,
    score_edges,
    weighted_hist,
)
from ._style import (
    check_label_args,
    check_style,
    experiment_label,
    legend_fontsize,
    plot_style,
)

_FUNC = "plot_score_distribution"
# pastel fills for the stacked backgrounds, strong lines for the signals
_BACKGROUND_COLORS = (
    "#8dd3c7", "#fdb462", "#bebada", "#80b1d3", "#fb8072", "#b3de69",
    "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip
_SIGNAL_COLORS = ("tab:red", "tab:blue", "tab:purple", "tab:brown", "tab:olive")


def _groups(names, mask):
    """Process names of the events in ``mask``, in order of first appearance."""
    values = names[mask]
    _, first = np.unique(values, return_index=True)
    return [values[i] for i in np.sort(first)]


def plot_score_distribution(
    y,
    score,
    *,
    sample_weight=None,
    process=None,
    signal_scale=1.0,
    data_score=None,
    data_weight=None,
    bins=30,
    log_y=True,
    ax=None,
    style=None,
    label=None,
    com=None,
    lumi=None,
    path=None,
):
    """Plot the classifier score per class and process, as an analysis shows it.

    The simulated backgrounds are stacked, one filled histogram per process
    (smallest yield at the bottom, so that the largest is on top); each
    signal process is overlaid as a line (optionally scaled up); recorded
    data, when given, are points with statistical error bars. The
    histograms are weighted (``hist.Hist``, Weight storage) and drawn
    with ``mplhep.histplot``; with weights normalised to cross section
    × luminosity the y axis is the expected number of events per bin.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Two classes of the simulated events; the larger label (1 for 0/1
        labels) is signal.
    score : array-like of shape (n_samples,)
        Classifier output of the simulated events.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights (e.g. cross section × luminosity / generated events);
        None means unit weights. Negative weights (NLO samples) are allowed
        if each class's weights sum to a positive number
        (``sknn_hep.utils.check_event_weights``); a bin, or a process,
        may then be negative: drawn so on a linear axis, left out of the
        limits on a log axis.
    process : array-like of shape (n_samples,), default=None
        Name of each event's process ("ttbar", "Z+jets", "ggF", ...): the
        background is stacked by process and each signal process is a line
        of its own. A name must belong to one class only. None: one
        "Background" and one "Signal".
    signal_scale : float, default=1.0
        Factor on the signal histograms (a small signal made visible on a
        linear axis); the legend says it (``"Signal × 50"``).
    data_score : array-like of shape (n_data,), default=None
        Classifier output of the recorded events, drawn as black points
        with statistical error bars, as ``mplhep.histplot`` draws them:
        for unit weights the 68% Poisson (Garwood) interval of the count N
        (about ``sqrt(N)`` for large N, and a bar up to 1.84 over an empty
        bin, which ``sqrt(N)`` would leave without one); for other weights
        ``sqrt(sum w^2)``. The experiment label then drops "Simulation".
    data_weight : array-like of shape (n_data,), default=None
        Weights of the data events (None: 1 each).
    bins : int or array-like, default=30
        Number of equal bins, over [0, 1] when every score (simulation and
        data) lies in [0, 1], else over the scores' range; or the edges.
    log_y : bool, default=True
        Log scale for the y axis (the signal region at high score, where the
        background falls by orders of magnitude, stays visible).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        Experiment style (see :func:`plot_style`) and label.
    label : str, default=None
        Experiment label text after the experiment's name (see
        :func:`experiment_label`); None: "Simulation" without data, nothing
        with data.
    com, lumi : float or str, default=None
        √s in TeV and luminosity in fb⁻¹ for the label.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes: one filled ``StepPatch`` per background
        process (stacked), one unfilled ``StepPatch`` per signal process,
        and, with data, one ``ErrorbarContainer`` labelled ``"Data"``. The
        legend lists the data, the backgrounds from the top of the stack
        down, then the signals.

    Raises
    ------
    ValueError
        For inputs of the wrong shape or length, a process name in both
        classes, a class whose weights do not sum to a positive number, or
        a ``signal_scale`` that is not a positive number.

    See Also
    --------
    plot_overtraining : the shapes (unit area) of train and test scores.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_score_distribution
    >>> rng = np.random.default_rng(0)
    >>> process = rng.choice(["ttbar", "Z+jets", "ggF H"], 3000, p=[0.6, 0.35, 0.05])
    >>> y = (process == "ggF H").astype(int)
    >>> score = rng.beta(1 + 4 * y, 5 - 3 * y)
    >>> w = np.where(y == 1, 0.05, 1.0)
    >>> data = rng.beta(1, 5, 2900)
    >>> fig = plot_score_distribution(y, score, sample_weight=w, process=process,
    ...                               signal_scale=100, data_score=data)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['Data', 'ttbar', 'Z+jets', 'ggF H × 100']
    >>> fig.axes[0].get_yscale(), fig.axes[0].get_ylabel()
    ('log', 'Events / bin')
    >>> plt.close(fig)
    """
    check_style(style, _FUNC)
    check_label_args(label, com, lumi, _FUNC)
    y, classes, is_signal, score, w = labelled_scores(
        y, score, sample_weight, _FUNC, names=("y", "score", "sample_weight")
    )
    if process is None:
        names = np.where(is_signal, "Signal", "Background").astype(object)
    else:
        names = as_1d(process, "process", _FUNC, dtype=None)
        check_length(names, len(y), "process", "y", _FUNC)
        names = np.array([str(p) for p in names], dtype=object)
    backgrounds = _groups(names, ~is_signal)
    signals = _groups(names, is_signal)
    both = sorted(set(backgrounds) & set(signals))
    if both:
        raise ValueError(
            f"The 'process' parameter of {_FUNC} must give each process events "
            f"of one class. Got signal and background events in {both} instead."
        )
    ok = isinstance(signal_scale, Real) and not isinstance(signal_scale, bool)
    if not (ok and np.isfinite(signal_scale) and signal_scale > 0):
        raise ValueError(
            f"The 'signal_scale' parameter of {_FUNC} must be a positive number. "
            f"Got {signal_scale!r} instead."
        )
    all_scores = [score]
    if data_score is not None:
        data_score = as_1d(data_score, "data_score", _FUNC)
        all_scores.append(data_score)
        if data_weight is None:
            data_w = np.ones(len(data_score))
        else:
            data_w = as_1d(data_weight, "data_weight", _FUNC)
            check_length(data_w, len(data_score), "data_weight", "data_score", _FUNC)
    elif data_weight is not None:
        raise ValueError(
            f"The 'data_weight' parameter of {_FUNC} must be None when "
            "'data_score' is None. Got an array instead."
        )
    edges, _ = score_edges(all_scores, bins, _FUNC)

    def hist_of(name):
        sel = names == name
        return weighted_hist(score[sel], w[sel], edges)

    import mplhep

    with plot_style(style, _FUNC):
        fig, ax = new_axes(ax, _FUNC, (6.0, 4.5), style)
        drawn, handles = [], {}
        if backgrounds:
            stack = sorted(
                ((hist_of(n), n) for n in backgrounds), key=lambda t: t[0].sum().value
            )
            colors = [
                _BACKGROUND_COLORS[backgrounds.index(n) % len(_BACKGROUND_COLORS)]
                for _, n in stack
            ]
            artists = mplhep.histplot(
                [h for h, _ in stack], ax=ax, stack=True, histtype="fill",
                flow="none", color=colors, edgecolor="black", linewidth=0.5,
                label=[n for _, n in stack],
            )  # fmt: skip
            for art in artists:  # mplhep returns a stack top first
                handles[art.stairs.get_label()] = art.stairs
            drawn.append(np.sum([h.values() for h, _ in stack], axis=0))
        suffix = "" if signal_scale == 1 else f" × {signal_scale:g}"
        for i, name in enumerate(signals):
            h = hist_of(name) * signal_scale
            (art,) = mplhep.histplot(
                h, ax=ax, histtype="step", flow="none", yerr=False,
                color=_SIGNAL_COLORS[i % len(_SIGNAL_COLORS)], linewidth=2,
                linestyle="-" if i < len(_SIGNAL_COLORS) else "--",
                label=f"{name}{suffix}",
            )  # fmt: skip
            handles[f"{name}{suffix}"] = art.stairs
            drawn.append(h.values())
        if data_score is not None:
            h = weighted_hist(data_score, data_w, edges)
            (art,) = mplhep.histplot(
                h, ax=ax, histtype="errorbar", yerr=True, flow="none",
                color="black", marker="o", markersize=4, label="Data",
            )  # fmt: skip
            handles = {"Data": art.errorbar, **handles}
            drawn.append(h.values() + np.sqrt(h.variances()))
        order = ["Data"] * (data_score is not None)
        order += [n for _, n in stack[::-1]] if backgrounds else []
        order += [f"{n}{suffix}" for n in signals]
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel("classifier output")
        ax.set_ylabel("Events / bin")
        if log_y:
            ax.set_yscale("log")
            ax.set_ylim(*log_limits(drawn, 10.0 ** (1.0 + 0.5 * len(order))))
        else:
            lo = min(0.0, min(float(np.min(d)) for d in drawn))
            ax.set_ylim(lo, (1.3 + 0.1 * len(order)) * max(np.max(d) for d in drawn))
        ax.legend(
            [handles[n] for n in order], order, loc="upper right",
            fontsize=legend_fontsize(style),
        )  # fmt: skip
        experiment_label(
            ax, style, label=label, com=com, lumi=lumi,
            data=data_score is not None, func=_FUNC,
        )  # fmt: skip
    return finish(fig, path, _FUNC)
