"""Shared helpers of the plotting functions: figure creation, saving, input checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


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
    fig.savefig(path, format=fmt, **kwargs)
    return path


def new_axes(ax, func, figsize, style=None):
    """Return ``(fig, ax)``: a new figure when ``ax`` is None, else ``ax``'s.

    A new figure is ``figsize`` inches with no ``style``, and the style's
    own size (``figure.figsize`` of the rcParams in force, see
    :func:`plot_style`) with one: the styles' fonts are sized for it.
    """
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        if style is not None:
            figsize = None
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
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


def binary_labels(y, name, func):
    """Two classes: return ``(classes, is_signal)``; signal = the larger label."""
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(
            f"The '{name}' parameter of {func} must hold exactly two classes "
            f"(background, signal). Got classes {classes.tolist()} instead."
        )
    return classes, y == classes[1]
