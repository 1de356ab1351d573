"""Preprocessing transformers for physics inputs (numpy/pandas in and out, no torch)."""

from ._four_momentum import FourMomentumTransformer
from ._group_scaler import GroupScaler
from ._log_shift import LogShiftTransformer
from ._missing import MissingValueEncoder

__all__ = [
    "FourMomentumTransformer",
    "GroupScaler",
    "LogShiftTransformer",
    "MissingValueEncoder",
]
