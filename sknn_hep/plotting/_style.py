"""The experiment styles and labels every plot function takes.

Each plot function of :mod:`sknn_hep.plotting` has the keyword arguments
``style=None, label="Simulation", com=None, lumi=None``: it draws inside
``with plot_style(style, func):`` and ends with
``experiment_label(ax, style, label=label, com=com, lumi=lumi)``. The style
changes matplotlib's rcParams only inside the ``with``; the global settings
are never touched.
"""

from __future__ import annotations

import contextlib
import weakref
from numbers import Real

STYLES = ("ATLAS", "CMS", "LHCb2", None)
"""The accepted values of every ``style`` parameter (None: no HEP style)."""

# figure -> the style it was made in: matplotlib resolves font families
# ("sans-serif" -> TeX Gyre Heros) and lays out at draw time, so that
# save_figure draws a figure inside its style again.
_FIGURE_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remember_style(fig, style):
    """Record that ``fig`` was made in ``style`` (see :func:`figure_style`)."""
    if style is not None:
        _FIGURE_STYLES[fig] = style


def figure_style(fig):
    """The style ``fig`` was made in by a plot function, or None."""
    return _FIGURE_STYLES.get(fig)


def font_scale():
    """How much larger than matplotlib's defaults the current style's text is.

    The multi-panel figures (:func:`plot_history`, :func:`plot_data_report`)
    grow by this factor under a style, so that its large fonts keep the
    panels readable: the tick-label size in points over 10, at least 1.
    """
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    return max(1.0, size / 10.0)


# where experiment_label draws inside the axes' top left corner (ATLAS: two
# lines, LHCb: one); CMS and None draw above the axes
_LABEL_INSIDE = {"ATLAS": 0.84, "LHCb2": 0.9}


def label_bottom(style):
    """Axes fraction below which the experiment label of ``style`` leaves the
    axes free (1.0 for a label above the axes or none): a legend in the top
    right corner goes below it (``bbox_to_anchor=(1, label_bottom(style))``)."""
    return _LABEL_INSIDE.get(style, 1.0)


def legend_fontsize(style):
    """Legend text size for ``style``: "small" without a style, the style's
    own otherwise, but 20 pt for LHCb2 (its 28 pt legend, as large as the
    axis labels, would cover the plot)."""
    if style is None:
        return "small"
    return 20.0 if style == "LHCb2" else None


def check_style(style, func):
    """Return ``style`` if it is one of :data:`STYLES`, else a ValueError."""
    if not (style is None or (isinstance(style, str) and style in STYLES)):
        raise ValueError(
            f"The 'style' parameter of {func} must be one of {list(STYLES)}. "
            f"Got {style!r} instead."
        )
    return style


@contextlib.contextmanager
def plot_style(style, func="plot_style"):
    """Apply an experiment's matplotlib style inside a ``with`` block.

    Parameters
    ----------
    style : {"ATLAS", "CMS", "LHCb2"} or None
        The mplhep style (``mplhep.style.ATLAS``, ...). None applies no
        style: the current rcParams (matplotlib's defaults unless the user
        changed them) stay in force.
    func : str, default="plot_style"
        Name of the calling function, for the error message.

    Yields
    ------
    None
        The rcParams of the style are in force inside the block and restored
        on leaving it (:func:`matplotlib.style.context`), also on an error.

    Raises
    ------
    ValueError
        If ``style`` is not one of :data:`STYLES`.

    Notes
    -----
    Part of a figure's look is fixed when an artist is made (tick
    directions, sizes), part when it is drawn (the font behind a generic
    family such as "sans-serif", the constrained layout). A figure made by
    a plot function of this package remembers its style, and
    :func:`save_figure` (so every ``path=``) draws it inside that style
    again; draw a figure yourself (``fig.savefig``, a notebook) inside
    ``with plot_style(style):`` for the same result. Axes passed in by the
    user keep the ticks they were made with.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from sknn_hep.plotting import plot_style
    >>> before = mpl.rcParams["xtick.direction"]
    >>> with plot_style("ATLAS"):
    ...     mpl.rcParams["xtick.direction"]
    'in'
    >>> mpl.rcParams["xtick.direction"] == before
    True
    >>> with plot_style("ALEPH"):
    ...     pass
    Traceback (most recent call last):
    ...
    ValueError: The 'style' parameter of plot_style must be one of ['ATLAS', \
'CMS', 'LHCb2', None]. Got 'ALEPH' instead.
    """
    import matplotlib as mpl
    import matplotlib.style

    check_style(style, func)
    if style is None:
        with mpl.rc_context():
            yield
        return
    import mplhep

    with matplotlib.style.context(getattr(mplhep.style, style)):
        yield


def _check_text(value, name, func):
    if value is not None and not isinstance(value, str):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a str or None. "
            f"Got {value!r} instead."
        )


def _check_number(value, name, func):
    ok = value is None or isinstance(value, str)
    ok = ok or (isinstance(value, Real) and not isinstance(value, bool) and value > 0)
    if not ok:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a positive number, a str "
            f"or None. Got {value!r} instead."
        )


def check_label_args(label, com, lumi, func):
    """ValueErrors naming ``label``, ``com`` or ``lumi`` of ``func``."""
    _check_text(label, "label", func)
    _check_number(com, "com", func)
    _check_number(lumi, "lumi", func)


def _energy_lumi_text(com, lumi):
    parts = []
    if com is not None:
        com = f"{com:g} TeV" if isinstance(com, Real) else com
        parts.append(rf"$\sqrt{{s}}$ = {com}")
    if lumi is not None:
        lumi = f"{lumi:g}" if isinstance(lumi, Real) else lumi
        parts.append(rf"{lumi} fb$^{{-1}}$")
    return ", ".join(parts)


def experiment_label(
    ax, style, *, label="Simulation", com=None, lumi=None, data=False, func=None
):
    """Draw the experiment's label of ``style`` on ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
        The axes to label.
    style : {"ATLAS", "CMS", "LHCb2"} or None
        The experiment: ``mplhep.atlas.label``, ``mplhep.cms.label``
        or ``mplhep.lhcb.label`` draw its name in its own font and place,
        followed by ``label``, and the centre-of-mass energy and luminosity
        when given. None (no experiment) draws no experiment name: nothing
        at all when ``com`` and ``lumi`` are None (so that the plain figures
        stay as they were), else one plain-text line right-aligned above the
        axes, ``"<label>, √s = 13 TeV, 140 fb⁻¹"``.
    label : str or None, default="Simulation"
        The text after the experiment's name ("Simulation", "Internal",
        "Preliminary", "Simulation Internal", ...).
    com : float or str, default=None
        Centre-of-mass energy √s: a number is in TeV (``13.6`` → "13.6
        TeV"), a string is drawn as given (``"500 GeV"``). None: not drawn.
    lumi : float or str, default=None
        Integrated luminosity in fb⁻¹. None: not drawn.
    data : bool, default=False
        Whether the plot shows recorded data. With False (simulated events)
        "Simulation" is put before ``label`` unless ``label`` already says it
        (``label="Internal"`` gives "Simulation Internal").
    func : str, default=None
        Name of the calling function, for the error messages (default
        ``"experiment_label"``).

    Returns
    -------
    texts : list of matplotlib.text.Text
        The drawn texts (empty when nothing is drawn).

    Raises
    ------
    ValueError
        If ``style`` is not one of :data:`STYLES`, ``label`` not a str or
        None, or ``com``/``lumi`` not a positive number, a str or None.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sknn_hep.plotting import experiment_label, plot_style
    >>> with plot_style("ATLAS"):
    ...     fig, ax = plt.subplots()
    ...     texts = experiment_label(ax, "ATLAS", label="Internal", com=13)
    >>> [t.get_text() for t in texts]
    ['ATLAS', 'Simulation Internal', '$\\\\sqrt{s} = \\\\mathrm{13\\\\ TeV}$']
    >>> fig2, ax2 = plt.subplots()
    >>> experiment_label(ax2, None)
    []
    >>> [t.get_text() for t in experiment_label(ax2, None, com=13, lumi=140)]
    ['Simulation, $\\\\sqrt{s}$ = 13 TeV, 140 fb$^{-1}$']
    >>> plt.close(fig); plt.close(fig2)
    """
    func = func or "experiment_label"
    check_style(style, func)
    check_label_args(label, com, lumi, func)
    text = label or ""
    if not data and "simulation" not in text.lower():
        text = f"Simulation {text}".strip()
    if style is None:
        if com is None and lumi is None:
            return []
        line = ", ".join(p for p in (text, _energy_lumi_text(com, lumi)) if p)
        return [ax.set_title(line, loc="right", fontsize="medium")]
    import mplhep

    module = {"ATLAS": mplhep.atlas, "CMS": mplhep.cms, "LHCb2": mplhep.lhcb}[style]
    # data=True: mplhep would otherwise put its own "Simulation" in front
    drawn = module.label(text=text, data=True, com=com, lumi=lumi, ax=ax)
    return [t for t in drawn if t is not None]
