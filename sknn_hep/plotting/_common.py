"""Shared helpers of the plotting functions: figure creation, saving, input checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._validation import two_class_signal_mask
from ..utils import check_event_weights
from ._style import figure_style, plot_style, remember_style


def save_figure(fig, path, **kwargs):
    """Save a figure, the format taken from the file suffix.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : str or os.PathLike
        Target file; the suffix picks the format (``.png``, ``.pdf``,
        ``.svg`` or any other format the figure's canvas supports). Missing
        parent directories are created.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``dpi``).
        ``bbox_inches`` defaults to ``"tight"`` for a figure without a layout
        engine (the figures made here use constrained layout instead).
        A figure made by a plot function with ``style=...`` is drawn inside
        that style (see :func:`plot_style`).

    Returns
    -------
    path : pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import save_figure
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_figure(fig, pathlib.Path(tmp) / "line.pdf")
    ...     out.read_bytes()[:4]
    b'%PDF'
    >>> plt.close(fig)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "The 'path' parameter of save_figure must be a str or os.PathLike. "
            f"Got {path!r} instead."
        )
    path = Path(path)
    fmt = path.suffix[1:].lower()
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            "The 'path' parameter of save_figure must end in one of "
            f"{sorted('.' + k for k in supported)}. Got {str(path)!r} instead."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fig.get_layout_engine() is None:
        kwargs.setdefault("bbox_inches", "tight")
    # fonts and layout are resolved at draw time: in the figure's style
    with plot_style(figure_style(fig), "save_figure"):
        fig.savefig(path, format=fmt, **kwargs)
    return path


def new_axes(ax, func, figsize, style=None):
    """Return ``(fig, ax)``: a new figure when ``ax`` is None, else ``ax``'s.

    A new figure is ``figsize`` inches with no ``style``, and the style's
    own size (``figure.figsize`` of the rcParams in force, see
    :func:`plot_style`) with one: the styles' fonts are sized for it. The
    figure remembers ``style`` for :func:`save_figure`.
    """
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        if style is not None:
            figsize = None
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        remember_style(fig, style)
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(
            f"The 'ax' parameter of {func} must be a matplotlib Axes or None. "
            f"Got {type(ax).__name__} instead."
        )
    try:
        fig = ax.get_figure(root=True)  # matplotlib >= 3.10
    except TypeError:
        fig = ax.figure
    remember_style(fig, style)
    return fig, ax


def finish(fig, path, func):
    """Save ``fig`` to ``path`` when given, and return it."""
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"The 'path' parameter of {func} must be a str, os.PathLike or "
                f"None. Got {path!r} instead."
            )
        save_figure(fig, path)
    return fig


def as_1d(values, name, func, *, dtype=np.float64):
    """A finite 1d float array, or a ValueError naming the parameter."""
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a non-empty 1d array. "
            f"Got shape {arr.shape} instead."
        )
    if dtype is not None:
        try:
            arr = arr.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"The '{name}' parameter of {func} must be numeric. "
                f"Got dtype {arr.dtype} instead."
            ) from exc
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"The '{name}' parameter of {func} must hold finite values. "
                f"Got {int(np.sum(~np.isfinite(arr)))} non-finite value(s) instead."
            )
    return arr


def check_length(arr, n, name, ref, func):
    if len(arr) != n:
        raise ValueError(
            f"The '{name}' parameter of {func} must have the length of '{ref}' "
            f"({n}). Got length {len(arr)} instead."
        )


def labelled_scores(y, score, sample_weight, func, *, names, owner=None):
    """Two-class labels, scores and event weights, checked together.

    ``names``: the parameter names of ``(y, score, sample_weight)`` in the
    messages; ``owner``: who the weight errors name (default ``func``).
    Returns ``(y, classes, is_signal, score, w)``: ``w`` ones without
    weights, else the weights under the negative-weight policy
    (:func:`sknn_hep.utils.check_event_weights`).
    """
    yname, sname, wname = names
    y = as_1d(y, yname, func, dtype=None)
    score = as_1d(score, sname, func)
    check_length(score, len(y), sname, yname, func)
    classes, is_signal = two_class_signal_mask(y, param=yname, owner=func)
    if sample_weight is None:
        w = np.ones(len(score))
    else:
        w = as_1d(sample_weight, wname, func)
        check_length(w, len(y), wname, yname, func)
        w = check_event_weights(w, score, owner=owner or func, y=y)
    return y, classes, is_signal, score, w


def score_edges(scores, bins, func, *, name="bins"):
    """Bin edges for classifier scores.

    ``bins`` is an int (equal bins over [0, 1] when every score lies in
    [0, 1], a probability; else over the scores' range, a decision function)
    or an increasing array of edges. Returns ``(edges, unit)``, ``unit``
    telling whether the int bins span [0, 1].
    """
    from numbers import Integral

    if isinstance(bins, Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(
                f"The '{name}' parameter of {func} must be an int >= 1 or an "
                f"increasing array of edges. Got {bins!r} instead."
            )
        lo = min(float(np.min(s)) for s in scores)
        hi = max(float(np.max(s)) for s in scores)
        unit = lo >= 0.0 and hi <= 1.0
        if unit:
            lo, hi = 0.0, 1.0
        elif hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        return np.linspace(lo, hi, int(bins) + 1), unit
    try:
        edges = np.asarray(bins, dtype=float)
    except (TypeError, ValueError):
        edges = np.array([])
    if edges.ndim != 1 or len(edges) < 2 or np.any(~(np.diff(edges) > 0)):
        raise ValueError(
            f"The '{name}' parameter of {func} must be an int >= 1 or an "
            f"increasing array of edges. Got {bins!r} instead."
        )
    return edges, False


def weighted_hist(values, weights, edges):
    """A ``hist.Hist`` with Weight storage: Σw and Σw² per bin.

    A value on the last edge goes into the last bin (as in
    :func:`numpy.histogram`; boost-histogram would count it as overflow):
    a probability of exactly 1 is not lost.
    """
    import hist

    values = np.asarray(values, dtype=float)
    values = np.where(values == edges[-1], np.nextafter(edges[-1], -np.inf), values)
    h = hist.Hist(hist.axis.Variable(edges), storage=hist.storage.Weight())
    h.fill(values, weight=np.asarray(weights, dtype=float))
    return h


def scaled(h, factor):
    """``h`` with values times ``factor`` and variances times ``factor**2``
    (``factor`` a number or an array with one entry per bin)."""
    out = h.copy()
    view = out.view()
    view.value = view.value * factor
    view.variance = view.variance * np.square(factor)
    return out


def log_limits(arrays, headroom):
    """y limits of a log axis from the positive entries of ``arrays``:
    ``(min / 2, max * headroom)``; (0.1, 1) when nothing is positive.
    Bins with zero or negative content (negative weights) are not drawn on
    a log axis and do not set the limits."""
    positive = np.concatenate([np.ravel(a)[np.ravel(a) > 0] for a in arrays])
    if positive.size == 0:
        return 0.1, 1.0
    return positive.min() / 2.0, positive.max() * headroom
