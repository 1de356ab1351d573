"""Saving, loading and exporting fitted models.

- :func:`save` / :func:`load`: a model (estimator, transformer, Pipeline)
  in one safetensors file, weights as tensors and everything else as JSON;
  loading runs no pickle, so files from others are safe to open.
- :func:`export_onnx`: the network with its input scaling, embeddings and
  supported preprocessing as an ONNX graph, for ONNX Runtime (Python, C++).
- :class:`VersionWarning`: warned when a model saved (pickled, joblib-dumped
  or saved with :func:`save`) under other versions of sknn_hep,
  scikit-learn, torch or skorch is loaded.

``joblib.dump``/``joblib.load`` of fitted models works as for any
scikit-learn estimator; see ``docs/persistence.md`` for when to use which.
The ONNX export needs the optional extra ``onnx`` (in the checkout:
``pip install -e ".[onnx]"``).
"""

from .._safe_format import UntrustedTypeError, load, save
from .._versions import VersionWarning
from ._onnx import export_onnx

__all__ = ["UntrustedTypeError", "VersionWarning", "export_onnx", "load", "save"]
