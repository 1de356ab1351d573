"""Preprocessing transformers for physics inputs (numpy/pandas in and out, no torch)."""

from .._higgs import (
    HIGGS_ETA_COLUMNS,
    HIGGS_LOG_COLUMNS,
    HIGGS_MASS_COLUMNS,
    HIGGS_PHI_COLUMNS,
)
from ._align import EventAligner
from ._four_momentum import FourMomentumTransformer
from ._group_scaler import GroupScaler
from ._hep_preprocessor import (
    make_hep_preprocessor,
    make_higgs_features,
    make_higgs_preprocessor,
)
from ._log_shift import LogShiftTransformer
from ._missing import MissingValueEncoder
from ._sampling import augment_azimuthal_rotation, binned_target_weights

__all__ = [
    "EventAligner",
    "FourMomentumTransformer",
    "GroupScaler",
    "HIGGS_ETA_COLUMNS",
    "HIGGS_LOG_COLUMNS",
    "HIGGS_MASS_COLUMNS",
    "HIGGS_PHI_COLUMNS",
    "LogShiftTransformer",
    "MissingValueEncoder",
    "augment_azimuthal_rotation",
    "binned_target_weights",
    "make_hep_preprocessor",
    "make_higgs_features",
    "make_higgs_preprocessor",
]


def __getattr__(name):
    # EmbeddingEncoder trains a network: it moved next to the networks in
    # sknn_hep 0.2 (this layer stays torch-free). Kept for one release.
    if name == "EmbeddingEncoder":
        raise ImportError(
            "EmbeddingEncoder moved to sknn_hep.neural_network (it trains a torch "
            "network; sknn_hep.preprocessing stays torch-free): use "
            "'from sknn_hep.neural_network import EmbeddingEncoder'."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
