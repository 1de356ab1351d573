""" "Know your data" report: distributions, correlations, missing values, weights."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd

from ..utils import check_event_weights
from ._common import as_1d, check_length, finish

_FUNC = "plot_data_report"


def _missing_mask(X, missing_values):
    mask = np.isnan(X)
    if not (isinstance(missing_values, Real) and np.isnan(missing_values)):
        mask |= X == missing_values
    return mask


def _class_names(classes):
    if [str(c) for c in classes] == ["0", "1"]:
        return ["background (0)", "signal (1)"]
    return [str(c) for c in classes]


def _check_inputs(X, y, sample_weight, feature_names, missing_values, bins, n_cols):
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        X = X.to_numpy()
    else:
        names = None
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The 'X' parameter of {_FUNC} must be numeric. Got {exc} instead."
        ) from exc
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"The 'X' parameter of {_FUNC} must be a non-empty 2d array. "
            f"Got shape {X.shape} instead."
        )
    if np.any(np.isinf(X)):
        raise ValueError(
            f"The 'X' parameter of {_FUNC} must not hold infinite values. "
            f"Got {int(np.isinf(X).sum())} instead."
        )
    if not isinstance(missing_values, Real) or isinstance(missing_values, bool):
        raise TypeError(
            f"The 'missing_values' parameter of {_FUNC} must be a number or "
            f"np.nan. Got {missing_values!r} instead."
        )
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if len(names) != X.shape[1]:
            raise ValueError(
                f"The 'feature_names' parameter of {_FUNC} must have one name per "
                f"column of X ({X.shape[1]}). Got {len(names)} instead."
            )
    if names is None:
        names = [f"x{i}" for i in range(X.shape[1])]
    n = X.shape[0]
    if y is not None:
        y = as_1d(y, "y", _FUNC, dtype=None)
        check_length(y, n, "y", "X", _FUNC)
    if sample_weight is None:
        w = np.ones(n)
    else:
        w = as_1d(sample_weight, "sample_weight", _FUNC)
        check_length(w, n, "sample_weight", "X", _FUNC)
        w = check_event_weights(w, X, owner=_FUNC, y=y)
    if isinstance(bins, bool) or not isinstance(bins, Integral) or bins < 1:
        raise ValueError(
            f"The 'bins' parameter of {_FUNC} must be an int >= 1. "
            f"Got {bins!r} instead."
        )
    if isinstance(n_cols, bool) or not isinstance(n_cols, Integral) or n_cols < 1:
        raise ValueError(
            f"The 'n_cols' parameter of {_FUNC} must be an int >= 1. "
            f"Got {n_cols!r} instead."
        )
    return X, y, w, names


def _class_table(y, w):
    groups = []
    if y is not None:
        classes = np.unique(y)
        groups = [(name, y == c) for name, c in zip(_class_names(classes), classes)]
    groups.append(("all", np.ones(len(w), dtype=bool)))
    rows = []
    for name, sel in groups:
        ws = w[sel]
        rows.append(
            [
                name,
                f"{int(sel.sum())}",
                f"{ws.sum():.6g}",
                f"{np.mean(ws < 0):.3f}" if len(ws) else "-",
            ]
        )
    return ["class", "events", "sum of weights", "neg.-weight fraction"], rows


def plot_data_report(
    X,
    y=None,
    *,
    sample_weight=None,
    feature_names=None,
    missing_values=np.nan,
    bins=30,
    n_cols=4,
    path=None,
):
    """Know your data: distributions, correlations, missing values, weights.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        The features. A DataFrame's column names name the panels.
    y : array-like of shape (n_samples,), default=None
        Class labels; the distributions are then drawn per class. None
        draws all events together.
    sample_weight : array-like of shape (n_samples,), default=None
        Per-event weights for the histograms and the class statistics.
        Negative weights (NLO samples) are allowed if the weights of all
        events, and of each class, sum to a positive number.
    feature_names : list of str, default=None
        Names of the columns (over a DataFrame's); default ``x0``, ``x1``...
    missing_values : float, default=np.nan
        The marker of a missing value (e.g. ``-999.0`` for the Higgs
        challenge). NaN always counts as missing as well.
    bins : int, default=30
        Number of bins of each feature's histogram, over the range of its
        present values.
    n_cols : int, default=4
        Feature panels per row.
    path : str or os.PathLike, default=None
        Also save the figure there (format from the suffix).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One figure: one panel per feature (title: the feature name; axes
        label ``"feature: <name>"``), followed by three summary panels with
        axes labels ``"correlation"`` (with its colorbar), ``"missing"`` and
        ``"statistics"``.

        - Feature panel: weighted histogram of the present values,
          normalised to unit area per class; missing values are left out of
          the histogram and counted in the panel's text
          (``missing: k (p %)``). With negative weights a bin may be
          negative; a class whose present values of the feature sum to a
          weight of zero or less is left out of that panel.
        - ``"correlation"``: Pearson correlation of every pair of features
          over the events where both are present (unweighted: negative
          event weights make a weighted correlation ill-defined).
        - ``"missing"``: the fraction of events (unweighted) in which each
          feature is missing, one horizontal bar per feature.
        - ``"statistics"``: a table per class and in total of the number of
          events, the sum of weights and the fraction of events with a
          negative weight.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_data_report
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> X[:50, 2] = -999.0
    >>> y = rng.integers(0, 2, 200)
    >>> fig = plot_data_report(X, y, missing_values=-999.0,
    ...                        feature_names=["a", "b", "c"])
    >>> panels = {ax.get_label(): ax for ax in fig.axes}
    >>> [label for label in panels if label.startswith("feature")]
    ['feature: a', 'feature: b', 'feature: c']
    >>> [float(p.get_width()) for p in panels["missing"].patches]
    [0.0, 0.0, 0.25]
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    X, y, w, names = _check_inputs(
        X, y, sample_weight, feature_names, missing_values, bins, n_cols
    )
    n_samples, n_features = X.shape
    missing = _missing_mask(X, missing_values)
    if y is None:
        groups = [("all events", np.ones(n_samples, dtype=bool))]
    else:
        classes = np.unique(y)
        groups = [(nm, y == c) for nm, c in zip(_class_names(classes), classes)]

    n_cols = min(n_cols, n_features)
    n_rows = math.ceil(n_features / n_cols)
    fig = plt.figure(
        figsize=(max(3.0 * n_cols, 12.0), 2.4 * n_rows + 4.5), layout="constrained"
    )
    grid = fig.add_gridspec(n_rows + 1, n_cols, height_ratios=[1] * n_rows + [2.2])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, name in enumerate(names):
        ax = fig.add_subplot(grid[j // n_cols, j % n_cols], label=f"feature: {name}")
        ax.set_title(name, fontsize="small")
        present = ~missing[:, j]
        n_missing = int(missing[:, j].sum())
        if present.any():
            edges = np.histogram_bin_edges(X[present, j], bins=bins)
            for k, (group, sel) in enumerate(groups):
                keep = sel & present
                if not keep.any():
                    continue
                counts, _ = np.histogram(X[keep, j], bins=edges, weights=w[keep])
                total = counts.sum()  # the edges span every present value
                if not total > 0:
                    continue  # net-negative (or zero) weight: no unit area
                dens = counts / (total * np.diff(edges))
                ax.stairs(dens, edges, color=colors[k % len(colors)], label=group)
        if n_missing:
            text = f"missing: {n_missing} ({100 * n_missing / n_samples:.1f} %)"
            ax.text(
                0.98, 0.95, text, transform=ax.transAxes, ha="right", va="top",
                fontsize="x-small",
            )  # fmt: skip
        ax.tick_params(labelsize="x-small")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(3))
        if j == 0:
            ax.legend(fontsize="x-small", loc="upper left")

    bottom = grid[n_rows, :].subgridspec(1, 3, width_ratios=[1.2, 1.0, 1.0])
    ax_corr = fig.add_subplot(bottom[0], label="correlation")
    frame = pd.DataFrame(np.where(missing, np.nan, X), columns=names)
    corr = frame.corr(min_periods=2).to_numpy()
    image = ax_corr.imshow(corr, cmap="RdBu_r", vmin=-1.0, vmax=1.0)
    fig.colorbar(image, ax=ax_corr, shrink=0.8)
    ticks = np.arange(n_features)
    fontsize = "xx-small" if n_features > 12 else "small"
    ax_corr.set_xticks(ticks, names, rotation=90, fontsize=fontsize)
    ax_corr.set_yticks(ticks, names, fontsize=fontsize)
    ax_corr.set_title("correlation (present values)", fontsize="small")

    ax_miss = fig.add_subplot(bottom[1], label="missing")
    fractions = missing.mean(axis=0)
    ax_miss.barh(ticks, fractions, color="tab:grey")
    ax_miss.set_yticks(ticks, names, fontsize=fontsize)
    ax_miss.invert_yaxis()
    ax_miss.set_xlim(0.0, 1.0)
    ax_miss.set_xlabel("fraction of events missing")
    ax_miss.set_title("missing values", fontsize="small")

    ax_stats = fig.add_subplot(bottom[2], label="statistics")
    header, rows = _class_table(y, w)
    ax_stats.axis("off")
    table = ax_stats.table(cellText=rows, colLabels=header, loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(header))))
    ax_stats.set_title("classes and weights", fontsize="small")
    return finish(fig, path, _FUNC)
