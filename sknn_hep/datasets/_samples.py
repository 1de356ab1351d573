"""One training table from several ROOT samples (signal and backgrounds).

Each sample is read with :func:`~sknn_hep.datasets.read_root` and gets a
label and an event weight: its weight expression (evaluated by uproot, as an
alias), times ``cross_section * luminosity / n_generated`` when the sample
gives a cross-section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._root import read_root

# the alias under which a sample's weight expression is read
_WEIGHT_ALIAS = "__sknn_hep_weight__"


def sample_scale(cross_section=None, n_generated=None, luminosity=None):
    """The normalisation of a sample: ``cross_section * luminosity / n_generated``.

    Each simulated event then stands for its share of the events expected in
    data: ``sum(weight) = cross_section * luminosity`` when the weight
    expression averages 1 over the ``n_generated`` generated events.
    ``cross_section`` and ``luminosity`` must be in matching units (pb and
    pb⁻¹, or fb and fb⁻¹). Without a cross-section the scale is 1.

    Examples
    --------
    >>> sample_scale(831.8, 1e6, 139e3)  # ttbar, 139 fb^-1 written in pb^-1
    115.6202
    >>> sample_scale()
    1.0
    """
    if cross_section is None:
        return 1.0
    return float(cross_section) * float(luminosity) / float(n_generated)


def read_samples(samples, *, label_column="label", weight_column="weight", **kwargs):
    """Read several samples into one table with a label and a weight column.

    Parameters
    ----------
    samples : list of dict
        One dict per sample with ``name``, ``files``, ``label`` and optionally
        ``tree``, ``cut`` (combined with ``kwargs["cut"]`` by ``&``),
        ``weight`` (an uproot expression of the sample's branches, e.g.
        ``"genWeight * puWeight"``), ``cross_section``, ``n_generated`` and
        ``luminosity`` (see :func:`sample_scale`).
    label_column, weight_column : str
        Names of the columns added.
    **kwargs
        Passed to :func:`~sknn_hep.datasets.read_root` for every sample,
        without ``branches`` (the weight is read as an alias, which
        ``read_root`` adds to the columns of the branches it selects).

    Returns
    -------
    frame : DataFrame
        The samples one after the other. ``weight_column`` is
        ``weight * sample_scale(...)`` (a missing weight counts as 1); it is
        present when some sample has a weight or a cross-section.

    Raises
    ------
    ValueError
        As :func:`read_root` (the message names the sample), or when the
        samples give different columns, or a branch is named like a column
        added.
    """
    frames = []
    weighted = any(
        s.get("weight") is not None or s.get("cross_section") is not None
        for s in samples
    )
    for sample in samples:
        options = dict(kwargs)
        if sample.get("tree") is not None:
            options["tree"] = sample["tree"]
        cuts = [c for c in (options.get("cut"), sample.get("cut")) if c]
        options["cut"] = " & ".join(f"({c})" for c in cuts) if cuts else None
        if sample.get("weight") is not None:
            options["aliases"] = {
                **(options.get("aliases") or {}),
                _WEIGHT_ALIAS: sample["weight"],
            }
        try:
            frame = read_root(sample["files"], **options)
        except (ValueError, KeyError, OSError) as exc:
            kind = (
                FileNotFoundError if isinstance(exc, FileNotFoundError) else ValueError
            )
            message = str(exc).replace(
                f"The 'aliases' parameter of read_root: aliases[{_WEIGHT_ALIAS!r}]",
                "the 'weight'",
            )
            raise kind(f"sample {sample['name']!r}: {message}") from None
        clash = [c for c in (label_column, weight_column) if c in frame.columns]
        if clash:
            raise ValueError(
                f"sample {sample['name']!r}: the branch or alias {clash[0]!r} has "
                "the name of a column that the samples add; rename it with an "
                "alias or leave it out."
            )
        weight = np.ones(len(frame))
        if _WEIGHT_ALIAS in frame.columns:
            weight = frame.pop(_WEIGHT_ALIAS).to_numpy(np.float64)
        scale = sample_scale(
            sample.get("cross_section"),
            sample.get("n_generated"),
            sample.get("luminosity"),
        )
        frame[label_column] = sample["label"]
        if weighted:
            frame[weight_column] = weight * scale
        if frames and list(frame.columns) != list(frames[0][1].columns):
            first = frames[0]
            raise ValueError(
                f"The samples {first[0]!r} and {sample['name']!r} give different "
                f"columns: {list(first[1].columns)} and {list(frame.columns)}."
            )
        frames.append((sample["name"], frame))
    return pd.concat([f for _, f in frames], ignore_index=True)
