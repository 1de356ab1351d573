"""``save``/``load``: models in one safetensors file, without pickle.

The file is a plain `safetensors <https://github.com/huggingface/safetensors>`_
file. Its tensors hold every numeric array of the model (network weights,
optimizer state, fitted statistics); its header metadata holds

- ``format``: ``"sknn_hep.io"`` and ``format_version``,
- ``versions``: JSON, the package versions at saving time,
- ``model``: JSON, the object tree (see :mod:`sknn_hep._safe_format._codec`),
- ``sha256``: a checksum of the tree and the tensors (detects corruption,
  not deliberate tampering).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings

import numpy as np

from .._versions import current_versions
from ._codec import Decoder, Encoder, UntrustedTypeError
from ._trusted import build_registry

FORMAT = "sknn_hep.io"
FORMAT_VERSION = 1
_VERSIONED = ("sknn_hep", "scikit-learn", "torch", "skorch", "numpy", "safetensors")


def _checksum(tree: str, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(tree.encode("utf-8"))
    for key in sorted(arrays):
        arr = arrays[key]
        digest.update(f"|{key}|{arr.dtype.str}|{arr.shape}|".encode())
        digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def save(model, path, *, trusted=None) -> None:
    """Write a fitted (or unfitted) model to ``path`` without pickle.

    The file is a safetensors file: the network weights and every numeric
    array are tensors, the rest (parameters, fitted attributes, class names)
    is JSON in its header. :func:`load` rebuilds the model from it without
    running pickle, so a file from someone else cannot run code on loading.

    Parameters
    ----------
    model : estimator, transformer or Pipeline
        sknn_hep's estimators (``NeuralClassifier``, ``NeuralRegressor``,
        ``MultiTaskNeuralNet``, ...) and transformers, scikit-learn's
        ``Pipeline``, ``ColumnTransformer`` and common preprocessing
        (``StandardScaler``, ``PCA``, ``OneHotEncoder``, ...; see
        ``sknn_hep._safe_format._trusted.SKLEARN_TYPES``), nested in any way.
    path : str or os.PathLike
        File to write (replaced atomically if it exists). The suffix is up
        to you; ``.safetensors`` tells other tools what the file is.
    trusted : list of classes or functions, default=None
        Further types to store (their state must be plain data). :func:`load`
        needs the same list.

    Raises
    ------
    UntrustedTypeError
        (a ``TypeError``) for an object of a type outside the trusted set,
        naming where in the model it sits.
    TypeError
        For a value that has no representation (e.g. a lambda, a sparse
        matrix).

    Notes
    -----
    Training callbacks of the skorch net (early stopping, schedulers,
    logging) are not stored: the estimators build them anew on every
    ``fit``/``partial_fit``. The optimizer state is stored, so ``warm_start``
    and ``partial_fit`` continue where the saved model stopped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_hep.io import load, save
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> pipe = make_pipeline(StandardScaler(), NeuralClassifier(
    ...     n_layers=1, n_units=8, max_epochs=3, random_state=0)).fit(X, y)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save(pipe, path)
    >>> bool(np.array_equal(load(path).predict_proba(X), pipe.predict_proba(X)))
    True
    """
    _, names = build_registry(trusted, "sknn_hep.io.save")
    encoder = Encoder(names)
    tree = json.dumps(
        encoder.encode(model, type(model).__name__),
        allow_nan=False,
        separators=(",", ":"),
    )
    arrays = encoder.arrays
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "versions": json.dumps(current_versions(_VERSIONED)),
        "model": tree,
        "sha256": _checksum(tree, arrays),
    }
    from safetensors.numpy import save as st_save

    blob = st_save(arrays, metadata=metadata)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sknn_hep-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path: str):
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
            arrays = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise ValueError(
            f"Cannot read {path!r} as a model saved by sknn_hep.io.save: it is "
            f"not a complete safetensors file ({exc}). The file is truncated, "
            "corrupted or of another format (a joblib/pickle file is loaded "
            "with joblib.load, which runs code: only for files you trust)."
        ) from exc
    return metadata, arrays


def load(path, *, trusted=None):
    """Read a model written by :func:`save`, without pickle.

    Only the types sknn_hep trusts (its estimators and transformers, the
    scikit-learn types listed in :func:`save`, torch optimizers and
    sknn_hep's network modules) are created, from plain data: no code named
    in the file is imported or run. A network saved on ``"cuda"`` loads on
    the CPU where torch finds no CUDA device (with a
    ``skorch.exceptions.DeviceWarning``). Objects saved under other versions
    of sknn_hep, scikit-learn, torch or skorch load with a
    :class:`~sknn_hep.io.VersionWarning` (scikit-learn's own classes: its
    ``InconsistentVersionWarning``).

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save`.
    trusted : list of classes or functions, default=None
        Further types to accept, as passed to :func:`save`. Trust only types
        whose ``__setstate__`` does nothing unsafe with plain data.

    Returns
    -------
    model : object
        The model as saved, ready to predict. Parameters naming local
        directories a fit writes to (``checkpoint_dir``, ``log_dir``) are
        loaded as None (and ``resume`` as False), with a warning naming
        them: a file's author never chooses where your later ``fit``
        writes.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, if it is truncated, corrupted (checksum mismatch),
        not a file written by :func:`save`, written by a newer format
        version, or malformed.
    UntrustedTypeError
        (a ``TypeError``) naming the type, if the file refers to a type or
        function outside the trusted set.

    Examples
    --------
    >>> import os, tempfile
    >>> from sknn_hep.io import load
    >>> path = os.path.join(tempfile.mkdtemp(), "broken.safetensors")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"not a model")
    >>> load(path)
    Traceback (most recent call last):
    ...
    ValueError: Cannot read '...broken.safetensors' as a model saved by ...
    """
    registry, _ = build_registry(trusted, "sknn_hep.io.load")
    path = os.fspath(path)
    metadata, arrays = _read(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{path!r} is a safetensors file, but not a model saved by "
            "sknn_hep.io.save (its header has no 'format': 'sknn_hep.io' entry)."
        )
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        version = None
    if version is None or version > FORMAT_VERSION:
        raise ValueError(
            f"{path!r} was written in sknn_hep.io format version "
            f"{metadata.get('format_version')!r}; this sknn_hep reads versions up "
            f"to {FORMAT_VERSION}. Upgrade sknn_hep to load it."
        )
    tree = metadata.get("model", "")
    if metadata.get("sha256") != _checksum(tree, arrays):
        raise ValueError(
            f"{path!r} is corrupted: the checksum of its contents does not match "
            "the one recorded when it was saved."
        )
    decoder = Decoder(registry, arrays)
    try:
        model = decoder.decode(json.loads(tree))
    except UntrustedTypeError as exc:
        raise UntrustedTypeError(f"Cannot load {path!r}: {exc}") from None
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RuntimeError,
    ) as exc:
        raise ValueError(
            f"{path!r} holds a malformed model ({type(exc).__name__}: {exc})."
        ) from exc
    if decoder.reset_paths:
        settings = ", ".join(
            f"{owner}.{key}={os.fspath(value)!r}"
            for owner, key, value in decoder.reset_paths
        )
        warnings.warn(
            f"{path!r} was saved with {settings}; loaded models get None there, "
            "so that a later fit writes nowhere the file's author chose. Set the "
            "directory again with set_params(...) to write checkpoints or logs.",
            UserWarning,
            stacklevel=2,
        )
    return model
