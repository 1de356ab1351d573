"""TMVA-style overtraining check: classifier output on train vs test, per class."""

from __future__ import annotations

import numpy as np

from ._common import (
    finish,
    labelled_scores,
    log_limits,
    new_axes,
    scaled,
    score_edges,
    weighted_hist,
)
from ._stats import weighted_ks_test
from ._style import (
    check_label_args,
    check_style,
    experiment_label,
    legend_fontsize,
    plot_style,
)

_FUNC = "plot_overtraining"
_COLORS = {"Signal": "tab:blue", "Background": "tab:red"}


def _format_p(p):
    return f"{p:.3f}" if p >= 1e-3 else f"{p:.1e}"


def _density(values, weights, edges):
    """Weighted histogram (``hist``, Weight storage) divided by the class's
    total weight and the bin widths: 1/N dN/dx, Σw² errors scaled alike.

    The total is positive (the negative-weight policy is checked in
    ``_split``); a bin may be negative."""
    h = weighted_hist(values, weights, edges)
    return scaled(h, 1.0 / (weights.sum() * np.diff(edges)))


def _split(y, score, w, yname, sname, wname):
    y, classes, _, score, w = labelled_scores(
        y, score, w, _FUNC, names=(yname, sname, wname), owner=f"{_FUNC} as '{wname}'"
    )
    for c in classes:
        if not w[y == c].sum() > 0:  # non-negative weights, all zero
            label = np.asarray(c).tolist()
            raise ValueError(
                f"The '{wname}' parameter of {_FUNC} must give each class a "
                f"positive total weight. Got 0 for class {label!r} instead."
            )
    return classes, {
        "Signal": (score[y == classes[1]], w[y == classes[1]]),
        "Background": (score[y == classes[0]], w[y == classes[0]]),
    }


def plot_overtraining(
    y_train,
    score_train,
    y_test,
    score_test,
    *,
    sample_weight_train=None,
    sample_weight_test=None,
    bins=30,
    log_y=True,
    ax=None,
    style=None,
    label="Simulation",
    com=None,
    lumi=None,
    path=None,
):
    """Compare the classifier output on training and test events, per class.

    The TMVA overtraining check: weighted score histograms
    (``hist.Hist`` with Weight storage) normalised to unit area, the
    training sample as filled histograms (background hatched) and the test
    sample as points with statistical error bars (``sqrt(sum w^2)`` per bin),
    for signal and background, drawn with ``mplhep.histplot``. Each
    class's test entry in the legend carries the p-value of the weighted
    two-sample Kolmogorov-Smirnov test of its train against its test scores
    (:func:`weighted_ks_test`). A small p-value (say below 0.01) says the
    output differs between the samples: the network learned features of
    the training events.

    Parameters
    ----------
    y_train, y_test : array-like of shape (n_train,) and (n_test,)
        Two classes, the same in both; the larger label is signal.
    score_train, score_test : array-like of the same shapes
        Classifier output (e.g. ``predict_proba(X)[:, 1]``, or a decision
        function).
    sample_weight_train, sample_weight_test : array-like, default=None
        Per-event weights of the two samples; None means unit weights.
        Negative weights (NLO samples) are allowed if each class's weights
        sum to a positive number in each sample
        (``sknn_hep.utils.check_event_weights``): a bin may then be
        negative; it is drawn so on a linear axis and left out (not drawn,
        not setting the limits) on a log axis.
    bins : int or array-like, default=30
        Number of equal bins, or the bin edges. The int bins span [0, 1]
        when every score lies in [0, 1] (probabilities: the axis then runs
        from 0 to 1), else the range of all scores (a decision function).
        Each histogram is divided by its class's total weight N and the bin
        width: the y axis is ``1/N dN/d(classifier output)``, the area is 1
        with int bins, and the fraction of the weight inside the edges with
        explicit edges that leave events out.
    log_y : bool, default=True
        Log scale for the y axis (the background's tail under the signal
        peak stays visible); False for a linear axis from 0 (or the most
        negative bin).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        Experiment style (see :func:`plot_style`) and label.
    label, com, lumi : default="Simulation", None, None
        Experiment label text, √s in TeV and luminosity in fb⁻¹ (see
        :func:`experiment_label`).
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes. The axes hold two filled ``StepPatch``
        (``"Signal (train)"``, ``"Background (train)"``) and two
        ``ErrorbarContainer`` (``"Signal (test), KS p = ..."``,
        ``"Background (test), KS p = ..."``).

    See Also
    --------
    weighted_ks_test : the test in the legend.
    plot_score_distribution : the scores as expected events per process.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_overtraining
    >>> rng = np.random.default_rng(0)
    >>> y_tr, y_te = rng.integers(0, 2, 600), rng.integers(0, 2, 400)
    >>> s_tr = rng.beta(2 + 3 * y_tr, 5 - 3 * y_tr)
    >>> s_te = rng.beta(2 + 3 * y_te, 5 - 3 * y_te)
    >>> fig = plot_overtraining(y_tr, s_tr, y_te, s_te, bins=20)
    >>> ax = fig.axes[0]
    >>> ax.get_yscale(), [float(x) for x in ax.get_xlim()]
    ('log', [0.0, 1.0])
    >>> [t.get_text() for t in ax.get_legend().get_texts()][2][:24]
    'Signal (test), KS p = 0.'
    >>> plt.close(fig)
    """
    check_style(style, _FUNC)
    check_label_args(label, com, lumi, _FUNC)
    classes_tr, train = _split(
        y_train, score_train, sample_weight_train, "y_train", "score_train",
        "sample_weight_train",
    )  # fmt: skip
    classes_te, test = _split(
        y_test, score_test, sample_weight_test, "y_test", "score_test",
        "sample_weight_test",
    )  # fmt: skip
    if classes_tr.tolist() != classes_te.tolist():
        raise ValueError(
            "The 'y_test' parameter of plot_overtraining must hold the classes of "
            f"'y_train' {classes_tr.tolist()}. Got {classes_te.tolist()} instead."
        )
    edges, _ = score_edges(
        [s for s, _ in (*train.values(), *test.values())], bins, _FUNC
    )
    import mplhep

    with plot_style(style, _FUNC):
        fig, ax = new_axes(ax, _FUNC, (6.0, 4.5), style)
        drawn = []
        for name, color in _COLORS.items():
            h = _density(*train[name], edges)
            drawn.append(h.values())
            mplhep.histplot(
                h, ax=ax, histtype="fill", flow="none", alpha=0.35, color=color,
                hatch="//" if name == "Background" else None,
                label=f"{name} (train)",
            )  # fmt: skip
        for name, color in _COLORS.items():
            h = _density(*test[name], edges)
            drawn.append(h.values() + np.sqrt(h.variances()))
            (s_tr, w_tr), (s_te, w_te) = train[name], test[name]
            ks = weighted_ks_test(s_tr, s_te, w_tr, w_te)
            mplhep.histplot(
                h, ax=ax, histtype="errorbar", yerr=True, flow="none",
                color=color, marker="o", markersize=3.5,
                label=f"{name} (test), KS p = {_format_p(ks.pvalue)}",
            )  # fmt: skip
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel("classifier output")
        ax.set_ylabel("1/N dN/d(classifier output)")
        if log_y:
            ax.set_yscale("log")
            ax.set_ylim(*log_limits(drawn, 300.0))
        else:
            lo = min(0.0, min(float(np.min(d)) for d in drawn))
            ax.set_ylim(lo, 1.6 * max(float(np.max(d)) for d in drawn))
        ax.legend(loc="upper right", fontsize=legend_fontsize(style))
        experiment_label(ax, style, label=label, com=com, lumi=lumi, func=_FUNC)
    return finish(fig, path, _FUNC)
