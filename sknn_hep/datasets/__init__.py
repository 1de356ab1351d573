"""Bundled data sets, simulated physics data sets and file readers."""

from .._higgs import HIGGS_BACKGROUND_TOTAL, HIGGS_FEATURES, HIGGS_SIGNAL_TOTAL
from ._generators import make_four_momenta, make_top_jets, make_zmumu
from ._higgs import load_higgs_challenge
from ._readers import read_hdf5
from ._root import iterate_root, read_root

__all__ = [
    "HIGGS_BACKGROUND_TOTAL",
    "HIGGS_FEATURES",
    "HIGGS_SIGNAL_TOTAL",
    "iterate_root",
    "load_higgs_challenge",
    "make_four_momenta",
    "make_top_jets",
    "make_zmumu",
    "read_hdf5",
    "read_root",
]
