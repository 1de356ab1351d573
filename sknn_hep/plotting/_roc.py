"""ROC curve in the physics convention: signal efficiency vs background rejection."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..metrics._roc import trapezoid_auc, weighted_roc
from ..utils import check_event_weights
from ._common import as_1d, binary_labels, check_length, finish, new_axes

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
    y_true = as_1d(y_true, "y_true", _FUNC, dtype=None)
    score = as_1d(score, "scores", _FUNC)
    check_length(score, len(y_true), "scores", "y_true", _FUNC)
    _, is_signal = binary_labels(y_true, "y_true", _FUNC)
    if sample_weight is None:
        w = np.ones(len(score))
    else:
        w = as_1d(sample_weight, "sample_weight", _FUNC)
        check_length(w, len(y_true), "sample_weight", "y_true", _FUNC)
        w = check_event_weights(w, score, owner=_FUNC, y=y_true)
    fpr, tpr, _ = weighted_roc(is_signal, score, w, drop_intermediate=True, func=_FUNC)
    roc_auc = trapezoid_auc(fpr, tpr)
    # a log axis: thresholds with no (or net-negative) background are left out
    keep = fpr > 0
    return tpr[keep], 1.0 / fpr[keep], roc_auc


def plot_roc(
    y_true,
    scores,
    *,
    sample_weight=None,
    labels=None,
    ax=None,
    show_auc=True,
    show_random=True,
    path=None,
):
    """Plot ROC curves the physics way: ε_S on x, background rejection 1/ε_B on log y.

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
        Add the weighted ROC AUC to each legend entry.
    show_random : bool, default=True
        Draw the random classifier, 1/ε_B = 1/ε_S, as a dotted line.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix, see
        :func:`save_figure`).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes. Each curve is a ``Line2D`` whose label
        starts with the curve's name; its data are ``(tpr, 1 / fpr)`` at the
        thresholds with ``fpr > 0`` (for non-negative weights the points of
        :func:`sklearn.metrics.roc_curve`), see :func:`roc_points`.

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
    ...                    "weak": 0.3 * y + rng.normal(size=1000)})
    >>> [t.get_text()[:4] for t in fig.axes[0].get_legend().get_texts()][:2]
    ['good', 'weak']
    >>> plt.close(fig)
    """
    fig, ax = new_axes(ax, _FUNC, (5.5, 4.5))
    for name, score in _named_scores(scores, labels):
        eff_s, rejection, roc_auc = roc_points(y_true, score, sample_weight)
        label = f"{name} (AUC = {roc_auc:.3f})" if show_auc else name
        ax.plot(eff_s, rejection, label=label)
    if show_random:
        grid = np.linspace(0.01, 1.0, 200)
        ax.plot(grid, 1.0 / grid, ":", color="grey", label="random")
    ax.set_yscale("log")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
    ax.set_ylabel(r"background rejection $1/\varepsilon_B$")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return finish(fig, path, _FUNC)
