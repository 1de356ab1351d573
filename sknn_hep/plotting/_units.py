"""Units of physics columns from their names: the one rule the plots share."""

from __future__ import annotations

import re

# Checked in this order on the name's "_"-separated, lower-cased parts: a
# ratio or centrality of momenta has no unit although it names one
# ("DER_pt_ratio_lep_tau", "DER_met_phi_centrality"), an angle of the missing
# momentum is an angle ("PRI_met_phi"), a pseudorapidity or count has none.
_DIMENSIONLESS_MODIFIERS = frozenset(
    {"ratio", "centrality", "frac", "fraction", "significance", "asymmetry"}
)
_ANGLES = frozenset({"phi", "theta", "dphi", "deltaphi", "alpha"})
_DIMENSIONLESS = frozenset(
    {
        "eta", "deta", "deltaeta", "prodeta", "y", "rapidity", "dr", "deltar",
        "charge", "q", "num", "n", "njet", "njets", "count", "multiplicity",
    }
)  # fmt: skip
_ENERGIES = frozenset(
    {
        "pt", "et", "met", "sumet", "ht", "mt", "mass", "m", "mmc", "e",
        "energy", "p", "px", "py", "pz",
    }
)  # fmt: skip


def column_unit(name) -> str | None:
    """The unit of a column named in the usual HEP way, or None.

    The rule: the name's parts (split at ``_`` and other non-alphanumeric
    characters, lower-cased) are checked in turn for

    1. a ratio-like part (``ratio``, ``centrality``, ``frac``...): no unit;
    2. an angle (``phi``, ``theta``, ``dphi``...): ``"rad"``;
    3. a dimensionless quantity (``eta``, ``y``, ``deltar``, ``charge``,
       ``num``, ``n``...): no unit;
    4. an energy, momentum or mass (``pt``, ``met``, ``sumet``, ``mass``,
       ``m``, ``E``, ``px``...): ``"GeV"``.

    It covers the Higgs challenge's ``DER_*``/``PRI_*`` columns, NanoAOD-style
    ``Muon_pt`` and the generators of :mod:`sknn_hep.datasets`.

    Parameters
    ----------
    name : str
        The column name.

    Returns
    -------
    unit : {"GeV", "rad"} or None
        None for a dimensionless or unknown quantity.

    Examples
    --------
    >>> from sknn_hep.plotting._units import column_unit
    >>> [column_unit(c) for c in ("DER_mass_MMC", "PRI_tau_phi", "PRI_tau_eta",
    ...                           "DER_pt_ratio_lep_tau", "PRI_met", "mu1_E")]
    ['GeV', 'rad', None, None, 'GeV', 'GeV']
    """
    parts = [p for p in re.split(r"[^0-9a-z]+", str(name).lower()) if p]
    for vocabulary, unit in (
        (_DIMENSIONLESS_MODIFIERS, None),
        (_ANGLES, "rad"),
        (_DIMENSIONLESS, None),
        (_ENERGIES, "GeV"),
    ):
        if any(p in vocabulary for p in parts):
            return unit
    return None


def axis_label(name, unit=None) -> str:
    """``"name [unit]"``, or the name alone without a unit.

    Examples
    --------
    >>> from sknn_hep.plotting._units import axis_label
    >>> axis_label("PRI_tau_pt", "GeV"), axis_label("PRI_tau_eta")
    ('PRI_tau_pt [GeV]', 'PRI_tau_eta')
    """
    return f"{name} [{unit}]" if unit else str(name)
