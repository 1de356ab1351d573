""" "Know your data" report: distributions, correlations, missing values, weights."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd

from .._validation import missing_mask
from ..utils import check_event_weights
from ._common import as_1d, check_length, finish
from ._style import (
    check_label_args,
    experiment_label,
    font_scale,
    plot_style,
    remember_style,
)
from ._units import axis_label, column_unit

_FUNC = "plot_data_report"
_MAX_DISCRETE = 25
"""At most this many distinct integer values (over a range of at most twice
as many) make a column discrete: one bin per integer."""
_LOG_DYNAMIC_RANGE = 10.0
"""A positive GeV column whose largest present value is at least this many
times its smallest gets a log x axis (and log-spaced bins)."""


def _missing_mask(X, missing_values):
    # NaN always counts as missing in a report; the marker as the package
    # matches it everywhere (compared in float32)
    mask = np.isnan(X)
    if missing_values is not None:
        mask |= missing_mask(X, missing_values)
    return mask


def _class_names(classes):
    if [str(c) for c in classes] == ["0", "1"]:
        return ["background (0)", "signal (1)"]
    return [str(c) for c in classes]


def _check_inputs(
    X, y, sample_weight, feature_names, missing_values, bins, n_cols, units
):
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
    if units is not None:
        if not isinstance(units, dict):
            raise TypeError(
                f"The 'units' parameter of {_FUNC} must be a dict (column name "
                f"to unit, None for none) or None. Got {units!r} instead."
            )
        unknown = sorted(str(k) for k in set(units) - set(names))
        if unknown:
            raise ValueError(
                f"The 'units' parameter of {_FUNC} names columns that X does not "
                f"have. Got {unknown} instead."
            )
    return X, y, w, names


def _binning(values, unit, bins):
    """``(edges, kind)`` for a feature's present values.

    ``kind`` is ``"discrete"`` (one bin per integer, edges at k ± 0.5),
    ``"log"`` (log-spaced bins over the positive values of a non-negative
    GeV column with a wide range; its zeros are left out) or ``"linear"``.
    The largest value is inside the last bin.
    """
    lo, hi = float(values.min()), float(values.max())
    distinct = np.unique(values)
    if (
        np.all(distinct == np.round(distinct))
        and len(distinct) <= _MAX_DISCRETE
        and hi - lo <= 2 * _MAX_DISCRETE
    ):
        return np.arange(lo - 0.5, hi + 1.0), "discrete"
    positive = values[values > 0]
    if unit == "GeV" and lo >= 0 and len(positive):
        lo_pos = float(positive.min())
        if hi / lo_pos >= _LOG_DYNAMIC_RANGE:
            edges = np.geomspace(lo_pos, hi, bins + 1)
            edges[0], edges[-1] = lo_pos, np.nextafter(hi, np.inf)
            return edges, "log"
    edges = np.histogram_bin_edges(values, bins=bins)
    if hi > lo:
        edges[0], edges[-1] = lo, np.nextafter(hi, np.inf)
    return edges, "linear"


def _percent(k, n):
    """``"15.2 %"``; ``"< 0.1 %"`` for a few events of many."""
    p = 100.0 * k / n
    return "< 0.1 %" if 0 < p < 0.05 else f"{p:.1f} %"


def _log_ticks(ax, lo, hi):
    """Plain-number ticks (``20, 50, 100``) on a log x axis from lo to hi."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    subs = (1.0, 2.0, 5.0) if np.log10(hi / lo) <= 2.5 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


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
    units=None,
    style=None,
    label="Simulation",
    com=None,
    lumi=None,
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
        Number of bins of each continuous feature's histogram, over the
        range of its present values (a discrete feature has one bin per
        integer).
    n_cols : int, default=4
        Feature panels per row.
    units : dict, default=None
        Units of columns by name (``{"mjj": "GeV", "flag": None}``), over
        the rule that reads them from the names (see Notes).
    style : {"ATLAS", "CMS", "LHCb2"} or None, default=None
        The experiment's style (:func:`~sknn_hep.plotting.plot_style`) and
        label on the first panel. The figure grows with the style's fonts.
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
        One figure: one panel per feature (axes label
        ``"feature: <name>"``, x label the name and unit,
        ``"DER_mass_MMC [GeV]"``), followed by the summary panels with axes
        labels ``"correlation"`` (with its colorbar), ``"missing"`` (only
        when a value is missing) and ``"statistics"``; one legend of the
        classes above the panels.

        - Feature panel: a weighted histogram (``hist``, ``Weight``
          storage) of the present values per class, each normalised to a
          sum of 1 (y label ``"fraction / bin"``), drawn with
          ``mplhep.histplot`` with error bars √(Σw²) / Σw; missing values
          are left out of the histogram and counted in the panel's text
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

    See Also
    --------
    sknn_hep.datasets.load_higgs_challenge : The Higgs-challenge columns.

    Notes
    -----
    The binning and axes of a feature follow from its present values and
    its unit:

    - The unit comes from the name (``units`` overrides it): a ratio or
      centrality (``DER_pt_ratio_lep_tau``) has none, an angle (``*_phi``)
      is in rad, a pseudorapidity, rapidity, ΔR, charge or count
      (``*_eta``, ``PRI_jet_num``) has none, an energy, momentum or mass
      (``*_pt``, ``*_met``, ``*_sumet``, ``*mass*``, ``E``, ``px``...) is in
      GeV; other names have no unit.
    - Discrete: integer values only, at most 25 distinct ones over a range
      of at most 50 (a ±1 charge, a jet count): one bin per integer, edges
      at k ± 0.5.
    - Log x: a GeV column whose present values are all non-negative and
      whose positive ones span a factor 10 or more (momenta, masses,
      energies): log-spaced bins on a log axis, so that the bulk and the
      tail are both visible. Its values of exactly 0 (the scalar sum of no
      jets) cannot be drawn there: they are counted in the panel's text
      (``zero: k (p %)``) and the histogram is normalised over the positive
      values.
    - Else ``bins`` equal bins from the smallest to the largest value.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import plot_data_report
    >>> rng = np.random.default_rng(0)
    >>> X = np.c_[rng.exponential(40.0, 200) + 1.0, rng.normal(size=200),
    ...           rng.integers(0, 4, 200)]
    >>> X[:50, 1] = -999.0
    >>> y = rng.integers(0, 2, 200)
    >>> fig = plot_data_report(X, y, missing_values=-999.0,
    ...                        feature_names=["lep_pt", "lep_eta", "n_jets"])
    >>> panels = {ax.get_label(): ax for ax in fig.axes}
    >>> [panels[f"feature: {n}"].get_xlabel() for n in ("lep_pt", "lep_eta")]
    ['lep_pt [GeV]', 'lep_eta']
    >>> panels["feature: lep_pt"].get_xscale()
    'log'
    >>> panels["feature: n_jets"].get_xticks().tolist()
    [0.0, 1.0, 2.0, 3.0]
    >>> [float(p.get_width()) for p in panels["missing"].patches]
    [0.0, 0.25, 0.0]
    >>> plt.close(fig)
    """
    import hist
    import matplotlib.pyplot as plt
    import mplhep
    from matplotlib.ticker import MaxNLocator

    X, y, w, names = _check_inputs(
        X, y, sample_weight, feature_names, missing_values, bins, n_cols, units
    )
    check_label_args(label, com, lumi, _FUNC)
    units = {} if units is None else {str(k): v for k, v in units.items()}
    n_samples, n_features = X.shape
    missing = _missing_mask(X, missing_values)
    if y is None:
        groups = [("all events", np.ones(n_samples, dtype=bool))]
    else:
        classes = np.unique(y)
        groups = [(nm, y == c) for nm, c in zip(_class_names(classes), classes)]

    with plot_style(style, _FUNC):
        scale = font_scale()
        n_cols = min(n_cols, n_features)
        n_rows = math.ceil(n_features / n_cols)
        figsize = (max(3.2 * n_cols, 12.0) * scale, (2.6 * n_rows + 4.5) * scale)
        fig = plt.figure(figsize=figsize, layout="constrained")
        remember_style(fig, style)
        grid = fig.add_gridspec(n_rows + 1, n_cols, height_ratios=[1] * n_rows + [2.2])
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        legend = {}
        first = None
        for j, name in enumerate(names):
            ax = fig.add_subplot(
                grid[j // n_cols, j % n_cols], label=f"feature: {name}"
            )
            first = first or ax
            unit = units[name] if name in units else column_unit(name)
            present = ~missing[:, j]
            notes = []
            if present.any():
                edges, kind = _binning(X[present, j], unit, bins)
                if kind == "log":
                    n_zero = int(np.sum(present & (X[:, j] <= 0)))
                    present &= X[:, j] > 0
                    if n_zero:
                        notes.append(f"zero: {n_zero} ({_percent(n_zero, n_samples)})")
                axis = hist.axis.Variable(edges)
                for k, (group, sel) in enumerate(groups):
                    keep = sel & present
                    if not keep.any():
                        continue
                    h = hist.Hist(axis, storage=hist.storage.Weight())
                    h.fill(X[keep, j], weight=w[keep])
                    total = h.sum().value  # the edges span every present value
                    if not total > 0:
                        continue  # net-negative (or zero) weight: no unit sum
                    (drawn,) = mplhep.histplot(
                        h * (1.0 / total),
                        ax=ax,
                        yerr=True,
                        histtype="step",
                        flow="none",
                        color=colors[k % len(colors)],
                        label=group,
                    )
                    legend.setdefault(group, drawn.legend_artist)
                ax.set_xlim(edges[0], edges[-1])
                if kind == "log":
                    ax.set_xscale("log")
                    _log_ticks(ax, edges[0], edges[-1])
                elif kind == "discrete" and len(edges) <= 12:
                    ax.set_xticks(edges[:-1] + 0.5)
                    ax.minorticks_off()
                else:
                    ax.xaxis.set_major_locator(
                        MaxNLocator(4, integer=kind == "discrete")
                    )
            n_missing = int(missing[:, j].sum())
            if n_missing:
                notes.insert(
                    0, f"missing: {n_missing} ({_percent(n_missing, n_samples)})"
                )
            bottom, top = ax.get_ylim()
            if top > 0:  # room for the notes above the curves
                ax.set_ylim(bottom, top * (1.25 if notes else 1.08))
            if notes:
                ax.text(
                    0.98, 0.95, "\n".join(notes), transform=ax.transAxes,
                    ha="right", va="top", fontsize=6.5 * scale,
                )  # fmt: skip
            ax.set_xlabel(axis_label(name, unit), fontsize=8.5 * scale)
            if j % n_cols == 0:
                ax.set_ylabel("fraction / bin", fontsize=8.5 * scale)
            ax.tick_params(labelsize=7 * scale)
            ax.yaxis.set_major_locator(MaxNLocator(3))
        if legend:
            fig.legend(
                list(legend.values()), list(legend), loc="outside upper center",
                ncols=len(legend), fontsize=10 * scale,
            )  # fmt: skip
        experiment_label(first, style, label=label, com=com, lumi=lumi, func=_FUNC)

        fractions = missing.mean(axis=0)
        summaries = ["correlation", "missing", "statistics"]
        if not fractions.any():
            summaries.remove("missing")
        bottom = grid[n_rows, :].subgridspec(
            1, len(summaries), width_ratios=[1.2] + [1.0] * (len(summaries) - 1)
        )
        ax_corr = fig.add_subplot(bottom[0], label="correlation")
        frame = pd.DataFrame(np.where(missing, np.nan, X), columns=names)
        corr = frame.corr(min_periods=2).to_numpy()
        image = ax_corr.imshow(corr, cmap="RdBu_r", vmin=-1.0, vmax=1.0)
        colorbar = fig.colorbar(image, ax=ax_corr, shrink=0.8)
        ticks = np.arange(n_features)
        fontsize = (5.0 if n_features > 12 else 8.0) * scale
        ax_corr.set_xticks(ticks, names, rotation=90, fontsize=fontsize)
        ax_corr.set_yticks(ticks, names, fontsize=fontsize)
        ax_corr.minorticks_off()
        ax_corr.set_title("correlation (present values)", fontsize=9 * scale)
        colorbar.ax.tick_params(labelsize=7 * scale)

        if "missing" in summaries:
            ax_miss = fig.add_subplot(bottom[1], label="missing")
            ax_miss.barh(ticks, fractions, color="tab:grey")
            ax_miss.set_yticks(ticks, names, fontsize=fontsize)
            ax_miss.minorticks_off()
            ax_miss.invert_yaxis()
            ax_miss.set_xlim(0.0, 1.0)
            ax_miss.set_xlabel("fraction of events missing", fontsize=8.5 * scale)
            ax_miss.tick_params(axis="x", labelsize=7 * scale)
            ax_miss.set_title("missing values", fontsize=9 * scale)

        ax_stats = fig.add_subplot(bottom[-1], label="statistics")
        header, rows = _class_table(y, w)
        ax_stats.axis("off")
        table = ax_stats.table(cellText=rows, colLabels=header, loc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(9 * scale)
        table.auto_set_column_width(list(range(len(header))))
        table.scale(1.0, 1.6)
        ax_stats.set_title("classes and weights", fontsize=9 * scale)
    return finish(fig, path, _FUNC)
