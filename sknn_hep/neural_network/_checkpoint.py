"""Checkpoints of a training (``checkpoint_dir``, ``resume``): atomic, safe to load.

The state of a fit at an epoch end (module, optimizer, LR scheduler, early
stopping, history, the generators of the batch order and of the dropout
masks and input noise) is
written whole to a temporary file in the checkpoint directory, flushed to
disk and renamed over the previous file, so a kill at any moment leaves a
complete checkpoint. Each file starts with a header holding the SHA-256
checksum of the torch payload that follows; a file whose payload does not
match (a flipped bit on disk or in a copy) is refused on resume. The
payload is read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, LRScheduler

from ..utils import atomic_write

CHECKPOINT_FILE = "checkpoint.pt"
"""Name of the latest checkpoint in ``checkpoint_dir``."""
BEST_FILE = "best.pt"
"""Name of the checkpoint of the epoch with the lowest monitored loss."""
CHECKPOINT_FORMAT = 1
# header of a checkpoint file: magic line, then the payload's SHA-256 (hex)
_MAGIC = b"sknn_hep checkpoint sha256\n"
_DIGEST_LEN = 64


@dataclass
class Checkpointer:
    """Writes the training state at each epoch end (private).

    ``meta``: JSON-able description of the fit (parameters, data
    fingerprint, seed) that a resumed fit must match. The latest state goes
    to ``checkpoint.pt``, and also to ``best.pt`` when the monitored figure
    (the validation score of ``scoring`` if recorded, else the validation
    loss if recorded, else the training loss) is the best so far.
    Each file is written whole to a temporary file in the same directory,
    flushed to disk and renamed over the old one, so a kill at any moment
    leaves the previous complete file.
    """

    directory: Path
    meta: dict
    target_epochs: int = 0
    best_loss: float = math.inf

    def save(self, net: NeuralNet, generators: dict, *, finished: bool):
        row = net.history[-1]
        if "valid_score" in row:  # a scoring metric: higher is better
            loss = -float(row["valid_score"])
        else:
            loss = float(
                row["valid_loss"] if "valid_loss" in row else row["train_loss"]
            )
        improved = loss < self.best_loss
        state = {
            "format": CHECKPOINT_FORMAT,
            "meta": json.dumps(self.meta),
            "module": net.module_.state_dict(),
            "optimizer": net.optimizer_.state_dict(),
            "history": json.dumps(net.history.to_list(), default=_json_scalar),
            "callbacks": _callback_states(net),
            "generator": generators["order"].get_state(),
            "noise_generator": generators["noise"].get_state(),
            "finished": bool(finished),
            "target_epochs": int(self.target_epochs),
            "best_loss": loss if improved else float(self.best_loss),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        data = _seal(buffer.getvalue())
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.directory / CHECKPOINT_FILE, data)
        if improved:
            self.best_loss = loss
            atomic_write(self.directory / BEST_FILE, data)


def _seal(payload: bytes) -> bytes:
    """The file contents: header with the payload's checksum, then the payload."""
    digest = hashlib.sha256(payload).hexdigest().encode("ascii")
    return _MAGIC + digest + b"\n" + payload


def _unseal(raw: bytes, path: Path) -> bytes:
    """The payload of a checkpoint file, its checksum verified."""
    if not raw.startswith(_MAGIC):
        raise ValueError(
            f"The file {os.fspath(path)} is not a checkpoint of sknn_hep (no "
            "checksum header; checkpoints of sknn_hep before 0.2 carry none and "
            "cannot be resumed). Delete it or use another checkpoint_dir."
        )
    start = len(_MAGIC)
    digest = raw[start : start + _DIGEST_LEN]
    payload = raw[start + _DIGEST_LEN + 1 :]
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        raise ValueError(
            f"The checkpoint {os.fspath(path)} cannot be read; it is truncated or "
            "corrupted (the checksum of its contents does not match the one "
            "written with it). Delete it to start a new training, or copy "
            f"{BEST_FILE} of the same directory over it to resume from the best "
            "epoch."
        )
    return payload


def _json_scalar(value):
    # numpy and torch scalars that callbacks may record in the history
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"history value {value!r} cannot be written to a checkpoint")


def _callback_states(net: NeuralNet) -> dict:
    states = {}
    for name, cb in net.callbacks_:
        if isinstance(cb, EarlyStopping):
            states[name] = {
                "misses": int(cb.misses_),
                "dynamic_threshold": float(cb.dynamic_threshold_),
                "best_epoch": int(cb.best_epoch_),
                "best_model_weights": cb.best_model_weights_,
            }
        elif isinstance(cb, LRScheduler) and cb.lr_scheduler_ is not None:
            states[name] = {
                "scheduler": cb.lr_scheduler_.state_dict(),
                "batch_idx": int(cb.batch_idx_),
            }
    return states


def read_checkpoint(directory, *, device="cpu") -> dict | None:
    """The checkpoint in ``directory``, or None when there is none.

    Loaded with ``torch.load(weights_only=True)``: tensors and plain Python
    containers only, no arbitrary pickled code. A file that cannot be read
    (truncated, corrupted, not a checkpoint) is a ValueError naming it.

    Parameters
    ----------
    directory : str or path
        A ``checkpoint_dir`` of an estimator.
    device : str
        Where to put the tensors.

    Returns
    -------
    dict or None
        ``module`` and ``optimizer`` state dicts, ``meta`` (the fit's
        parameters, data fingerprint and seed), ``history`` (JSON), the
        callbacks', generators' and bookkeeping state.

    Examples
    --------
    >>> import tempfile
    >>> read_checkpoint(tempfile.mkdtemp()) is None
    True
    """
    path = Path(directory) / CHECKPOINT_FILE
    if not path.exists():
        return None
    return read_checkpoint_file(path, device=device)


def read_checkpoint_file(path, *, device="cpu") -> dict:
    """One checkpoint file (``checkpoint.pt`` or ``best.pt``), checksum verified.

    Parameters
    ----------
    path : str or path
        The file.
    device : str
        Where to put the tensors.

    Returns
    -------
    dict
        As :func:`read_checkpoint`.
    """
    path = Path(path)
    payload = _unseal(path.read_bytes(), path)
    try:
        state = torch.load(io.BytesIO(payload), map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds here
        raise ValueError(
            f"The checkpoint {os.fspath(path)} cannot be read; it is truncated or "
            f"corrupted ({type(exc).__name__}: {str(exc).splitlines()[0]}). Delete "
            f"it to start a new training, or copy {BEST_FILE} of the same directory "
            "over it to resume from the best epoch."
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"The file {os.fspath(path)} is not a checkpoint of sknn_hep (format "
            f"{CHECKPOINT_FORMAT}). Delete it or use another checkpoint_dir."
        )
    state["meta"] = json.loads(state["meta"])
    return state
