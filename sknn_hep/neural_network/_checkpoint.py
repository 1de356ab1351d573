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
import numbers
import os
from pathlib import Path

import torch
from skorch.callbacks import Callback

from ..utils import atomic_write
from ._net import training_stopped

CHECKPOINT_FILE = "checkpoint.pt"
"""Name of the latest checkpoint in ``checkpoint_dir``."""
BEST_FILE = "best.pt"
"""Name of the checkpoint of the epoch with the lowest monitored loss."""
# 2: the callbacks' states are their fitted attributes (format 1: early
# stopping and LR scheduler only, still read)
CHECKPOINT_FORMAT = 2
_READABLE_FORMATS = (1, 2)
# header of a checkpoint file: magic line, then the payload's SHA-256 (hex)
_MAGIC = b"sknn_hep checkpoint sha256\n"
_DIGEST_LEN = 64


class TrainingCheckpoint(Callback):
    """Checkpoint and resume a training: one skorch callback owning its state.

    At each epoch end the training state is written to ``checkpoint.pt`` in
    ``directory`` (and to ``best.pt`` when the monitored figure — the
    validation score of ``scoring`` if recorded, else the validation loss
    if recorded, else the training loss — is the best so far): the module
    and optimizer state, the history (epoch-level), the fitted state of
    every callback (their public attributes ending in ``_``: numbers,
    strings, tensors, dicts of tensors such as early stopping's best
    weights, and anything with ``state_dict``/``load_state_dict`` such as
    an LR scheduler), the generators of the batch order and of the dropout
    masks and noise, and the bookkeeping (``finished``, ``target_epochs``,
    the best figure). A training stopped by a callback (early stopping,
    divergence with ``on_divergence="restore"``) is saved once more at its
    end as finished; an interrupted one (Ctrl-C) keeps the last epoch's
    checkpoint. Each file is written whole to a temporary file in the same
    directory, flushed to disk and renamed over the old one, so a kill at
    any moment leaves the previous complete file: a resumed training loses
    at most the epoch that was running.

    Placed after the callbacks whose state it saves (it loads theirs in
    its ``on_train_begin``, after they have initialised).

    Parameters
    ----------
    directory : path
        The ``checkpoint_dir``.
    meta : dict
        JSON-able description of the fit (parameters, data fingerprint,
        seed) that a resumed fit must match.
    target_epochs : int
        The number of epochs in the history when the training is complete.
    resume_from : dict or None
        A checkpoint read by :func:`read_checkpoint`: loaded at the start of
        the training, which then goes on to the checkpoint's
        ``target_epochs``.
    """

    def __init__(self, directory, meta, target_epochs=0, resume_from=None) -> None:
        self.directory = directory
        self.meta = meta
        self.target_epochs = target_epochs
        self.resume_from = resume_from

    def initialize(self):
        self.best_loss_ = math.inf
        self.target_ = int(self.target_epochs)
        return self

    def on_train_begin(self, net, **kwargs):
        state = self.resume_from
        if state is None:
            return
        net.module_.load_state_dict(state["module"])
        net.optimizer_.load_state_dict(state["optimizer"])
        net.history = _history_from_json(state["history"])
        callbacks = dict(net.callbacks_)
        for name, cb_state in state["callbacks"].items():
            if name in callbacks:
                _load_callback_state(callbacks[name], cb_state)
        # generator states are CPU byte tensors (map_location may have moved them)
        net.order_generator_.set_state(state["generator"].cpu())
        net.noise_generator_.set_state(state["noise_generator"].cpu())
        self.best_loss_ = float(state["best_loss"])
        self.target_ = int(state["target_epochs"])
        # loaded once: a later training of the same net starts from its own state
        self.resume_from = None

    def on_epoch_end(self, net, **kwargs):
        self.save(net, finished=len(net.history) >= self.target_)

    def on_train_end(self, net, **kwargs):
        if training_stopped(net) and len(net.history):
            self.save(net, finished=True)

    def save(self, net, *, finished: bool) -> None:
        """Write the state of ``net`` now (atomically)."""
        row = net.history[-1]
        if "valid_score" in row:  # a scoring metric: higher is better
            loss = -float(row["valid_score"])
        else:
            loss = float(
                row["valid_loss"] if "valid_loss" in row else row["train_loss"]
            )
        improved = loss < self.best_loss_
        state = {
            "format": CHECKPOINT_FORMAT,
            "meta": json.dumps(self.meta),
            "module": net.module_.state_dict(),
            "optimizer": net.optimizer_.state_dict(),
            "history": _history_to_json(net.history),
            "callbacks": {
                name: _callback_state(cb)
                for name, cb in net.callbacks_
                if cb is not self
            },
            "generator": net.order_generator_.get_state(),
            "noise_generator": net.noise_generator_.get_state(),
            "finished": bool(finished),
            "target_epochs": int(self.target_),
            "best_loss": loss if improved else float(self.best_loss_),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        data = _seal(buffer.getvalue())
        directory = Path(self.directory)
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(directory / CHECKPOINT_FILE, data)
        if improved:
            self.best_loss_ = loss
            atomic_write(directory / BEST_FILE, data)


def _history_to_json(history) -> str:
    # epoch-level records only (the batch-level ones are the current epoch's)
    rows = [{**row, "batches": []} for row in history.to_list()]
    return json.dumps(rows, default=_json_scalar)


def _history_from_json(text: str):
    from skorch.history import History

    return History(json.loads(text))


def _storable(value) -> bool:
    """Whether ``torch.load(weights_only=True)`` can read ``value`` back."""
    if value is None or isinstance(value, (bool, numbers.Number, str, torch.Tensor)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _storable(v) for k, v in value.items())
    return False


def _callback_state(cb) -> dict:
    """The fitted state of a callback: public ``*_`` attributes that can be stored."""
    attributes, state_dicts = {}, {}
    for key, value in vars(cb).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, type):
            continue
        if hasattr(value, "state_dict") and hasattr(value, "load_state_dict"):
            state_dicts[key] = value.state_dict()
        elif _storable(value):
            if isinstance(value, numbers.Number) and not isinstance(value, bool):
                value = value.item() if hasattr(value, "item") else value
            attributes[key] = value
    return {"attributes": attributes, "state_dicts": state_dicts}


def _load_callback_state(cb, state: dict) -> None:
    if "attributes" not in state:  # format 1
        state = _format1_callback_state(state)
    for key, value in state["attributes"].items():
        setattr(cb, key, value)
    for key, value in state["state_dicts"].items():
        target = getattr(cb, key, None)
        if target is not None:
            target.load_state_dict(value)


def _format1_callback_state(state: dict) -> dict:
    if "scheduler" in state:
        return {
            "attributes": {"batch_idx_": int(state["batch_idx"])},
            "state_dicts": {"lr_scheduler_": state["scheduler"]},
        }
    return {
        "attributes": {
            "misses_": int(state["misses"]),
            "dynamic_threshold_": float(state["dynamic_threshold"]),
            "best_epoch_": int(state["best_epoch"]),
            "best_model_weights_": state["best_model_weights"],
        },
        "state_dicts": {},
    }


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
    if not isinstance(state, dict) or state.get("format") not in _READABLE_FORMATS:
        raise ValueError(
            f"The file {os.fspath(path)} is not a checkpoint of sknn_hep (format "
            f"{CHECKPOINT_FORMAT}). Delete it or use another checkpoint_dir."
        )
    state["meta"] = json.loads(state["meta"])
    return state
