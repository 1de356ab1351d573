"""TMVA-style overtraining check: classifier output on train vs test, per class."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ..utils import check_event_weights
from ._common import as_1d, binary_labels, check_length, finish, new_axes
from ._stats import weighted_ks_test

_FUNC = "plot_overtraining"
_COLORS = {"Signal": "tab:blue", "Background": "tab:red"}


def _format_p(p):
    return f"{p:.3f}" if p >= 1e-3 else f"{p:.1e}"


def _weighted_density(values, weights, edges):
    """Weighted histogram over the total weight (unit area when the bins hold
    every value) and its per-bin statistical error sqrt(sum w^2).

    The total is positive (the negative-weight policy is checked in
    ``_split``); a bin may be negative."""
    counts, _ = np.histogram(values, bins=edges, weights=weights)
    sumw2, _ = np.histogram(values, bins=edges, weights=weights**2)
    norm = weights.sum() * np.diff(edges)
    return counts / norm, np.sqrt(sumw2) / norm


def _split(y, score, w, yname, sname, wname):
    y = as_1d(y, yname, _FUNC, dtype=None)
    score = as_1d(score, sname, _FUNC)
    check_length(score, len(y), sname, yname, _FUNC)
    if w is None:
        w = np.ones_like(score)
    else:
        w = as_1d(w, wname, _FUNC)
        check_length(w, len(y), wname, yname, _FUNC)
    classes, _ = binary_labels(y, yname, _FUNC)
    w = check_event_weights(w, score, owner=f"{_FUNC} as '{wname}'", y=y)
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
    ax=None,
    path=None,
):
    """Compare the classifier output on training and test events, per class.

    The TMVA overtraining check: weighted score histograms normalised to
    unit area, the training sample as filled histograms and the test sample
    as points with statistical error bars (``sqrt(sum w^2)`` per bin), for
    signal and background. Each class's test entry in the legend carries
    the p-value of the weighted two-sample Kolmogorov-Smirnov test of its
    train against its test scores (:func:`weighted_ks_test`). A small
    p-value (say below 0.01) says the output differs between the samples:
    the network learned features of the training events.

    Parameters
    ----------
    y_train, y_test : array-like of shape (n_train,) and (n_test,)
        Two classes, the same in both; the larger label is signal.
    score_train, score_test : array-like of the same shapes
        Classifier output (e.g. ``predict_proba(X)[:, 1]``).
    sample_weight_train, sample_weight_test : array-like, default=None
        Per-event weights of the two samples; None means unit weights.
        Negative weights (NLO samples) are allowed if each class's weights
        sum to a positive number in each sample: a bin may then be
        negative, and is drawn so.
    bins : int or array-like, default=30
        Number of equal bins over the range of all scores, or the bin edges.
        Each histogram is divided by its class's total weight (and the bin
        width): its area is 1 with the default bins, and the fraction of the
        weight inside the edges with explicit edges that leave events out.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes.

    See Also
    --------
    weighted_ks_test : the test in the legend.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_overtraining
    >>> rng = np.random.default_rng(0)
    >>> y_tr, y_te = rng.integers(0, 2, 600), rng.integers(0, 2, 400)
    >>> s_tr = rng.normal(y_tr.astype(float), 1.0)
    >>> s_te = rng.normal(y_te.astype(float), 1.0)
    >>> fig = plot_overtraining(y_tr, s_tr, y_te, s_te, bins=20)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][2][:24]
    'Signal (test), KS p = 0.'
    >>> plt.close(fig)
    """
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
    if isinstance(bins, Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(
                "The 'bins' parameter of plot_overtraining must be an int >= 1 or "
                f"an increasing array of edges. Got {bins!r} instead."
            )
        lo = min(float(np.min(s)) for s, _ in (*train.values(), *test.values()))
        hi = max(float(np.max(s)) for s, _ in (*train.values(), *test.values()))
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=float)
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(
                "The 'bins' parameter of plot_overtraining must be an int >= 1 or "
                f"an increasing array of edges. Got {bins!r} instead."
            )
    centers = 0.5 * (edges[1:] + edges[:-1])

    fig, ax = new_axes(ax, _FUNC, (6.0, 4.5))
    for name, color in _COLORS.items():
        s_tr, w_tr = train[name]
        dens, _ = _weighted_density(s_tr, w_tr, edges)
        ax.stairs(
            dens, edges, fill=True, alpha=0.35, color=color,
            hatch="//" if name == "Background" else None, label=f"{name} (train)",
        )  # fmt: skip
    for name, color in _COLORS.items():
        s_tr, w_tr = train[name]
        s_te, w_te = test[name]
        dens, err = _weighted_density(s_te, w_te, edges)
        ks = weighted_ks_test(s_tr, s_te, w_tr, w_te)
        ax.errorbar(
            centers, dens, yerr=err, fmt="o", ms=3.5, color=color,
            label=f"{name} (test), KS p = {_format_p(ks.pvalue)}",
        )  # fmt: skip
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("classifier output")
    ax.set_ylabel("normalised (weighted) events / unit")
    ax.legend(fontsize="small")
    return finish(fig, path, _FUNC)
