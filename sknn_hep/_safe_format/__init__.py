"""The safe model format (private; the public entry is :mod:`sknn_hep.io`).

:func:`save`/:func:`load` write and read a model as one safetensors file
(tensors, plus JSON for everything else) without pickle. This layer sits
below the estimators: it names the classes it trusts by their import path
(:mod:`._trusted`), so the networks can write their model (MLflow's model
artifact) without importing :mod:`sknn_hep.io`, which sits above them (its
ONNX export knows the estimators).
"""

from ._codec import LOCAL_PATH_PARAMS, UntrustedTypeError
from ._save import load, save

__all__ = ["LOCAL_PATH_PARAMS", "UntrustedTypeError", "load", "save"]
