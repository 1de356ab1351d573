"""ROC curves: ε_S vs background rejection 1/ε_B (physics) or TPR vs FPR (ML),
with a bootstrap band and the range cut where the background runs out."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np

from ..metrics._roc import trapezoid_auc, weighted_roc
from ._common import finish, labelled_scores, new_axes
from ._style import (
    check_label_args,
    check_style,
    experiment_label,
    label_bottom,
    legend_fontsize,
    plot_style,
)

_FUNC = "plot_roc"


def _named_scores(scores, labels):
    if isinstance(scores, Mapping):
        if labels is not None:
            raise ValueError(
                "The 'labels' parameter of plot_roc must be None when 'scores' is a "
                f"dict (its keys name the curves). Got {labels!r} instead."
            )
        if not scores:
            raise ValueError(
                "The 'scores' parameter of plot_roc must not be an empty dict."
            )
        return [(str(k), v) for k, v in scores.items()]
    if isinstance(scores, (list, tuple)) and len(scores) and np.ndim(scores[0]) == 1:
        curves = list(scores)  # a list of score arrays
    else:
        curves = [scores]
    if labels is None:
        names = (
            ["classifier"]
            if len(curves) == 1
            else [f"classifier {i}" for i in range(len(curves))]
        )
    else:
        names = [labels] if isinstance(labels, str) else list(labels)
        if len(names) != len(curves):
            raise ValueError(
                f"The 'labels' parameter of plot_roc must name each of the "
                f"{len(curves)} score array(s). Got {labels!r} instead."
            )
    return list(zip([str(n) for n in names], curves, strict=True))


def _validated(y_true, score, sample_weight):
    """``(is_signal, score, weight)`` checked as plot_roc documents."""
    _, _, is_signal, score, w = labelled_scores(
        y_true, score, sample_weight, _FUNC, names=("y_true", "scores", "sample_weight")
    )
    return is_signal, score, w


def roc_points(y_true, score, sample_weight=None):
    """Signal efficiency and background rejection along the ROC curve.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Two classes; the larger label is signal.
    score : array-like of shape (n_samples,)
        Classifier output, larger = more signal-like.
    sample_weight : array-like of shape (n_samples,), default=None
        Per-event weights. Negative weights are allowed if each class's
        weights sum to a positive number; the curve is then not monotonic.

    Returns
    -------
    eff_s : ndarray
        Signal efficiency ε_S (true-positive rate) at each threshold with
        ε_B > 0, thresholds decreasing.
    rejection : ndarray
        Background rejection 1/ε_B at the same thresholds.
    roc_auc : float
        Area under the (ε_B, ε_S) ROC curve, weighted: the trapezoid rule
        over the points in threshold order (with non-negative weights,
        :func:`sklearn.metrics.roc_auc_score`; with negative weights, the
        pairwise definition, see :func:`sknn_hep.metrics.physics_figures`).

    Raises
    ------
    ValueError
        If the weights of a class sum to zero or less.

    Examples
    --------
    >>> from sknn_hep.plotting import roc_points
    >>> eff_s, rej, roc_auc = roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> eff_s.tolist(), rej.tolist(), roc_auc
    ([0.5, 1.0, 1.0], [2.0, 2.0, 1.0], 0.75)
    """
    is_signal, score, w = _validated(y_true, score, sample_weight)
    fpr, tpr, _ = weighted_roc(is_signal, score, w, drop_intermediate=True, func=_FUNC)
    roc_auc = trapezoid_auc(fpr, tpr)
    # a log axis: thresholds with no (or net-negative) background are left out
    keep = fpr > 0
    return tpr[keep], 1.0 / fpr[keep], roc_auc


_CONVENTIONS = ("physics", "ml")


def _check_int(value, name, low):
    if not (isinstance(value, Integral) and not isinstance(value, bool)) or value < low:
        raise ValueError(
            f"The '{name}' parameter of {_FUNC} must be an int >= {low}. "
            f"Got {value!r} instead."
        )


def _background_passing(is_signal, score, w, thresholds):
    """Number of background events (of non-zero weight) with score >= t."""
    b = np.sort(score[~is_signal & (w != 0)])
    return len(b) - np.searchsorted(b, thresholds, side="left")


def _envelope_interp(grid, x, y):
    """``y`` at ``grid`` along a curve in threshold order; the running
    maxima make it monotonic (they change nothing for non-negative weights)."""
    return np.interp(grid, np.maximum.accumulate(x), np.maximum.accumulate(y))


def _bootstrap(is_signal, score, w, n_bootstrap, rng, grid, convention):
    """Bootstrap replicas, resampling the events of each class with
    replacement (weights kept): AUCs and the curve's y on ``grid``.

    A replica is the events times how often each was drawn (a multinomial
    count): the events are sorted by score once, so that the stable sort in
    ``weighted_roc`` meets sorted input."""
    order = np.argsort(-score, kind="stable")
    is_signal, score, w = is_signal[order], score[order], w[order]
    sig, bkg = np.flatnonzero(is_signal), np.flatnonzero(~is_signal)
    aucs, curves = [], []
    counts = np.empty(len(score))
    for _ in range(n_bootstrap):
        counts[sig] = np.bincount(
            rng.randint(0, len(sig), len(sig)), minlength=len(sig)
        )
        counts[bkg] = np.bincount(
            rng.randint(0, len(bkg), len(bkg)), minlength=len(bkg)
        )
        try:
            fpr, tpr, _ = weighted_roc(is_signal, score, w * counts)
        except ValueError:  # a replica whose class weight sums to <= 0
            continue
        aucs.append(trapezoid_auc(fpr, tpr))
        if convention == "physics":
            eff_b = _envelope_interp(grid, tpr, fpr)
            with np.errstate(divide="ignore"):
                curves.append(np.where(eff_b > 0, 1.0 / eff_b, np.nan))
        else:
            curves.append(_envelope_interp(grid, fpr, tpr))
    return np.array(aucs), np.array(curves).reshape(len(curves), len(grid))


def plot_roc(
    y_true,
    scores,
    *,
    sample_weight=None,
    labels=None,
    ax=None,
    show_auc=True,
    show_random=True,
    convention="physics",
    n_bootstrap=100,
    random_state=0,
    min_background_events=10,
    style=None,
    label="Simulation",
    com=None,
    lumi=None,
    path=None,
):
    """Plot ROC curves with a bootstrap band, physics or ML convention.

    The physics convention draws the signal efficiency ε_S on x and the
    background rejection 1/ε_B on a log y axis; the ML convention the true
    positive rate against the false positive rate, both linear. The curves
    come from the package's one weighted ROC
    (:mod:`sknn_hep.metrics`, negative weights included). Where the
    selected background is a handful of events 1/ε_B is noise (a single
    event gives 1/ε_B in the hundred thousands): the points with fewer
    than ``min_background_events`` background events passing the cut are
    not drawn, so that the curve starts at the ε_S where the background
    statistics allow it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Two classes; the larger label (1 for 0/1 labels) is signal.
    scores : array-like of shape (n_samples,), list of such arrays, or dict
        Classifier outputs (larger = more signal-like). A dict maps a name to
        each classifier's scores; all are drawn on the same axes.
    sample_weight : array-like of shape (n_samples,), default=None
        Per-event weights. Negative weights (NLO samples) are allowed if each
        class's weights sum to a positive number: the curve is then drawn in
        threshold order and may turn back.
    labels : str or list of str, default=None
        Names of the curves when ``scores`` is an array or a list of arrays
        (default ``"classifier"``, ``"classifier i"``). Must be None with a
        dict.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    show_auc : bool, default=True
        Add the area under the whole ROC curve to each legend entry, named
        as what it is: ``"weighted ROC AUC = 0.929 ± 0.004"`` with
        ``sample_weight``, ``"ROC AUC = 0.883 ± 0.004"`` without (the ± is
        the standard deviation over the bootstrap replicas, left out with
        ``n_bootstrap=0``). It is computed from every event, whatever
        ``min_background_events`` leaves out of the drawing.
    show_random : bool, default=True
        Draw the random classifier as a dotted line: 1/ε_B = 1/ε_S
        (physics), TPR = FPR (ML).
    convention : {"physics", "ml"}, default="physics"
        ``"physics"``: ε_S on x from 0 to 1, 1/ε_B on a log y axis.
        ``"ml"``: FPR on x, TPR on y, both from 0 to 1.
    n_bootstrap : int, default=100
        Number of bootstrap replicas for the uncertainty band (the central
        68% of the replicas' curves, a shaded band around each curve) and
        the AUC's ±. Each replica resamples the events of each class with
        replacement, weights kept (a replica whose class weights sum to
        zero or less, possible with negative weights, is skipped). 0: no
        band and no ±.
    random_state : int, RandomState instance or None, default=0
        Seed of the bootstrap: the same figure on every call by default.
    min_background_events : int, default=10
        Points are drawn only where at least this many background events
        (of non-zero weight, whatever their weight) have a score at or
        above the threshold: with N events the relative statistical
        uncertainty of ε_B is about 1/√N (30% at 10). 0 draws every point
        (in the physics convention those with ε_B > 0).
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        Experiment style (see :func:`plot_style`) and label.
    label, com, lumi : default="Simulation", None, None
        Experiment label text, √s in TeV and luminosity in fb⁻¹ (see
        :func:`experiment_label`).
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix, see
        :func:`save_figure`).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes. Each curve is a ``Line2D`` whose label
        starts with the curve's name; its data are ``(tpr, 1 / fpr)``
        (physics) or ``(fpr, tpr)`` (ML) at the thresholds kept by
        ``min_background_events`` (for non-negative weights and
        ``min_background_events=0`` the points of
        :func:`sklearn.metrics.roc_curve`, see :func:`roc_points`). Each
        band is a ``PolyCollection`` (from ``fill_between``) of the curve's
        colour, over the drawn range.

    Warns
    -----
    UserWarning
        When no point of a curve has ``min_background_events`` background
        events (the curve is then empty).

    See Also
    --------
    roc_points : the plotted numbers.
    sknn_hep.metrics.background_rejection : 1/ε_B at one working point.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_roc
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 1000)
    >>> fig = plot_roc(y, {"good": y + rng.normal(size=1000),
    ...                    "weak": 0.3 * y + rng.normal(size=1000)},
    ...                n_bootstrap=20)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['good (ROC AUC = 0.790 ± 0.011)', 'weak (ROC AUC = 0.609 ± 0.019)', 'random']
    >>> fig = plot_roc(y, y + rng.normal(size=1000), convention="ml",
    ...                sample_weight=rng.uniform(0.5, 2, 1000), n_bootstrap=0)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_legend().get_texts()[0].get_text()
    ('false positive rate', 'classifier (weighted ROC AUC = 0.733)')
    >>> plt.close("all")
    """
    check_style(style, _FUNC)
    check_label_args(label, com, lumi, _FUNC)
    if not (isinstance(convention, str) and convention in _CONVENTIONS):
        raise ValueError(
            f"The 'convention' parameter of {_FUNC} must be one of "
            f"{list(_CONVENTIONS)}. Got {convention!r} instead."
        )
    _check_int(n_bootstrap, "n_bootstrap", 0)
    _check_int(min_background_events, "min_background_events", 0)
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    curves = [
        (name, *_validated(y_true, score, sample_weight))
        for name, score in _named_scores(scores, labels)
    ]
    metric = "ROC AUC" if sample_weight is None else "weighted ROC AUC"
    physics = convention == "physics"
    with plot_style(style, _FUNC):
        fig, ax = new_axes(ax, _FUNC, (5.5, 4.5), style)
        handles, texts, y_max = [], [], 1.0
        for name, is_signal, score, w in curves:
            fpr, tpr, thresholds = weighted_roc(
                is_signal, score, w, drop_intermediate=True, func=_FUNC
            )
            roc_auc = trapezoid_auc(fpr, tpr)
            passing = _background_passing(is_signal, score, w, thresholds)
            keep = passing >= min_background_events
            if physics:
                keep &= fpr > 0
                with np.errstate(divide="ignore"):
                    x, y = tpr[keep], 1.0 / fpr[keep]
            else:
                x, y = fpr[keep], tpr[keep]
            if not keep.any():
                warnings.warn(
                    f"No point of the ROC curve {name!r} has "
                    f"min_background_events={min_background_events} background "
                    f"events passing (the background has {passing[-1]}): "
                    "nothing drawn.",
                    UserWarning,
                    stacklevel=2,
                )
            (line,) = ax.plot(x, y, "-", label=name)
            text, handle = name, line
            aucs = np.array([])
            if n_bootstrap and keep.any():
                grid = np.linspace(x.min(), x.max(), 100)
                aucs, reps = _bootstrap(
                    is_signal, score, w, n_bootstrap, rng, grid, convention
                )
                if len(reps):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        band = np.nanpercentile(reps, [16.0, 84.0], axis=0)
                    handle = (
                        ax.fill_between(
                            grid, band[0], band[1], color=line.get_color(),
                            alpha=0.25, lw=0, label="_nolegend_",
                        ),
                        line,
                    )  # fmt: skip
                    y_max = max(y_max, float(np.nanmax(band[1], initial=1.0)))
            if show_auc:
                err = f" ± {np.std(aucs):.3f}" if len(aucs) > 1 else ""
                text = f"{name} ({metric} = {roc_auc:.3f}{err})"
            line.set_label(text)
            handles.append(handle)
            texts.append(text)
            if len(y):
                y_max = max(y_max, float(np.max(y)))
        if show_random:
            grid = np.linspace(0.01 if physics else 0.0, 1.0, 200)
            (rand,) = ax.plot(
                grid, 1.0 / grid if physics else grid, ":", color="grey",
                label="random",
            )  # fmt: skip
            handles.append(rand)
            texts.append("random")
        ax.set_xlim(0.0, 1.0)
        if physics:
            ax.set_yscale("log")
            # room above the curves for the legend (and the label)
            room = 3.0 if style is None else 30.0 if label_bottom(style) == 1 else 300.0
            ax.set_ylim(1.0, y_max * room)
            ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
            ax.set_ylabel(r"background rejection $1/\varepsilon_B$")
        else:
            # room for the labels drawn inside the axes' top left corner
            ax.set_ylim(0.0, 1.3 if style in ("ATLAS", "LHCb2") else 1.05)
            ax.set_yticks(np.linspace(0.0, 1.0, 6))
            ax.set_xlabel("false positive rate")
            ax.set_ylabel("true positive rate")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(
            handles, texts, loc="upper right" if physics else "lower right",
            bbox_to_anchor=(1.0, label_bottom(style) if physics else 0.0),
            fontsize=legend_fontsize(style),
        )  # fmt: skip
        experiment_label(ax, style, label=label, com=com, lumi=lumi, func=_FUNC)
    return finish(fig, path, _FUNC)
