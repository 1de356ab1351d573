"""Versions recorded in the saved state of sknn_hep's estimators (no torch here).

scikit-learn records its version in pickles of its own classes only
(``BaseEstimator.__getstate__`` adds ``_sklearn_version`` for classes defined
in ``sklearn.*``). The mixins below add the versions of sknn_hep,
scikit-learn and, for the neural networks, torch and skorch to the state of
sknn_hep's classes, and warn with :class:`VersionWarning` when an object is
loaded (by ``pickle``/``joblib`` or :func:`sknn_hep.io.load`) under different
versions.
"""

from __future__ import annotations

import importlib.metadata
import pickle
import warnings
import zlib
from functools import cache

VERSIONS_KEY = "_sknn_hep_versions"
"""Key of the recorded versions in an object's pickled state."""


class VersionWarning(UserWarning):
    """An object was saved under other package versions than it is loaded with.

    Raised (as a warning) when an estimator or transformer of sknn_hep is
    unpickled or loaded with :func:`sknn_hep.io.load` while sknn_hep,
    scikit-learn, torch or skorch differ from the versions recorded when it
    was saved. Local build labels (``2.13.0+cpu`` vs ``2.13.0+cu126``) are not
    a difference.

    Parameters
    ----------
    estimator_name : str
        Class name of the loaded object.
    original_versions : dict of str to str, or None
        Versions recorded at saving time (None: nothing recorded, i.e. saved
        before sknn_hep recorded versions).
    current_versions : dict of str to str
        Versions installed now.

    Attributes
    ----------
    estimator_name, original_versions, current_versions
        As given.

    Examples
    --------
    >>> w = VersionWarning("GroupScaler", {"sknn_hep": "0.0.1"},
    ...                    {"sknn_hep": "0.1.0"})
    >>> print(w)  # doctest: +NORMALIZE_WHITESPACE
    GroupScaler was saved with sknn_hep 0.0.1 and is loaded with sknn_hep
    0.1.0. It may give other results or fail; refit it, or save it again
    with the current versions, to silence this warning.
    """

    def __init__(self, estimator_name, original_versions, current_versions):
        self.estimator_name = estimator_name
        self.original_versions = original_versions
        self.current_versions = current_versions

    def __str__(self) -> str:
        if self.original_versions is None:
            return (
                f"{self.estimator_name} was saved without version information "
                "(by an sknn_hep older than the one installed now). It may give "
                "other results or fail; refit it, or save it again, to silence "
                "this warning."
            )
        diffs = _differences(self.original_versions, self.current_versions)
        saved = ", ".join(f"{p} {self.original_versions.get(p)}" for p in diffs)
        now = ", ".join(f"{p} {self.current_versions.get(p)}" for p in diffs)
        return (
            f"{self.estimator_name} was saved with {saved} and is loaded with "
            f"{now}. It may give other results or fail; refit it, or save it "
            "again with the current versions, to silence this warning."
        )


@cache
def _installed_version(package: str) -> str:
    if package == "sknn_hep":
        from . import __version__

        return __version__
    return importlib.metadata.version(package)


def current_versions(packages) -> dict[str, str]:
    """Installed versions of ``packages`` (distribution names).

    Examples
    --------
    >>> import sklearn
    >>> current_versions(["scikit-learn"]) == {"scikit-learn": sklearn.__version__}
    True
    """
    return {p: _installed_version(p) for p in packages}


def _release(version) -> str:
    # "2.13.0+cpu" and "2.13.0+cu126" are the same release
    return str(version).split("+", 1)[0]


def _differences(original: dict, current: dict) -> list[str]:
    return [
        p
        for p in current
        if p in original and _release(original[p]) != _release(current[p])
    ]


def check_versions(name: str, recorded, packages) -> None:
    """Warn with :class:`VersionWarning` if ``recorded`` differs from now.

    Parameters
    ----------
    name : str
        Class name for the message.
    recorded : dict or None
        Versions stored with the object.
    packages : sequence of str
        Packages to compare.
    """
    now = current_versions(packages)
    if recorded is None or not isinstance(recorded, dict):
        warnings.warn(VersionWarning(name, None, now), stacklevel=3)
    elif _differences(recorded, now):
        warnings.warn(VersionWarning(name, dict(recorded), now), stacklevel=3)


class VersionedStateMixin:
    """Record package versions in the pickled state; warn on a mismatch.

    Put it left of ``BaseEstimator`` in the bases. ``_versioned_packages``
    lists the distributions whose versions are stored under
    ``_sknn_hep_versions`` in the state and compared on loading.
    """

    _versioned_packages: tuple[str, ...] = ("sknn_hep", "scikit-learn")

    def __getstate__(self):
        # object.__getstate__ may hand out the instance's own __dict__: copy
        state = dict(super().__getstate__())
        state[VERSIONS_KEY] = current_versions(self._versioned_packages)
        return state

    def __setstate__(self, state):
        state = dict(state)
        recorded = state.pop(VERSIONS_KEY, None)
        check_versions(type(self).__name__, recorded, self._versioned_packages)
        super().__setstate__(state)


class _NetPayload:
    """A fitted network pickled on its own, with a CRC-32 of its bytes.

    Pickled as a call to :func:`_restore_net`, which checks the CRC before
    the bytes reach skorch and torch.
    """

    def __init__(self, net, owner: str, protocol: int):
        self.payload = pickle.dumps(net, protocol=protocol)
        self.owner = owner

    def __reduce__(self):
        return _restore_net, (self.payload, zlib.crc32(self.payload), self.owner)


def _restore_net(payload, crc, owner):
    """The network of a pickled estimator, or a ValueError saying what failed.

    Parameters
    ----------
    payload : bytes
        The network, pickled on its own.
    crc : int
        CRC-32 of ``payload`` at saving time.
    owner : str
        Class name of the estimator, for the message.

    Raises
    ------
    ValueError
        If the bytes changed since saving (a damaged file or transfer), or
        if skorch or torch cannot rebuild the network from them.

    Examples
    --------
    >>> _restore_net(b"damaged", 0, "NeuralClassifier")
    Traceback (most recent call last):
    ...
    ValueError: The saved network (net_) of NeuralClassifier is corrupted: ...
    """
    if not isinstance(payload, bytes) or zlib.crc32(payload) != crc:
        raise ValueError(
            f"The saved network (net_) of {owner} is corrupted: its bytes do not "
            "match the checksum written when it was saved, so the file was "
            "damaged after saving (bytes changed on disk or in transfer). Load "
            "an intact copy or refit the model."
        )
    try:
        return pickle.loads(payload)
    except Exception as exc:
        raise ValueError(
            f"The saved network (net_) of {owner} could not be restored by "
            f"skorch/torch ({type(exc).__name__}: {exc}). The file is intact "
            "(its checksum matches), so the installed torch or skorch cannot read "
            "what the saving one wrote: load it with the versions it was saved "
            "with, or refit the model."
        ) from exc


class NeuralStateMixin(VersionedStateMixin):
    """:class:`VersionedStateMixin` for the skorch-backed estimators.

    Also records torch and skorch, and keeps the estimator's ``device``
    parameter in step with where its network was loaded: a network saved on
    ``"cuda"`` and loaded where torch finds no CUDA device is mapped to the
    CPU by skorch (with a ``skorch.exceptions.DeviceWarning``), and
    ``device`` then reads ``"cpu"``, so that predicting, ``partial_fit``
    and ``warm_start`` keep working there.

    With ``pickle`` and ``joblib`` the fitted network (``net_``) is pickled
    on its own with a CRC-32 of its bytes: a file damaged in the network's
    part (most of the file) raises a ``ValueError`` that says so when
    loaded, instead of an error from inside torch or, for changed weights,
    a model that silently predicts something else. (Damage elsewhere raises
    pickle's own errors; a truncated file raises ``EOFError`` or
    ``pickle.UnpicklingError``. :func:`sknn_hep.io.save` checks the whole
    file.)
    """

    _versioned_packages = ("sknn_hep", "scikit-learn", "torch", "skorch")

    def __reduce_ex__(self, protocol):
        reduced = super().__reduce_ex__(protocol)
        if (
            not isinstance(reduced, tuple)
            or len(reduced) < 3
            or not isinstance(reduced[2], dict)
            or reduced[2].get("net_") is None
        ):
            return reduced
        state = dict(reduced[2])
        state["net_"] = _NetPayload(state["net_"], type(self).__name__, protocol)
        return (*reduced[:2], state, *reduced[3:])

    def __setstate__(self, state):
        super().__setstate__(state)
        net = self.__dict__.get("net_")
        requested = self.__dict__.get("device")
        # skorch leaves a torch.device (not a str) in net.device after mapping
        net_device = str(getattr(net, "device", None))
        if (
            net is not None
            and isinstance(requested, str)
            and requested.startswith("cuda")
            and net_device == "cpu"
        ):
            self.device = "cpu"
