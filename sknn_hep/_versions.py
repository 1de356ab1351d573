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
import warnings
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


class NeuralStateMixin(VersionedStateMixin):
    """:class:`VersionedStateMixin` for the skorch-backed estimators.

    Also records torch and skorch, and keeps the estimator's ``device``
    parameter in step with where its network was loaded: a network saved on
    ``"cuda"`` and loaded where torch finds no CUDA device is mapped to the
    CPU by skorch (with a ``skorch.exceptions.DeviceWarning``), and
    ``device`` then reads ``"cpu"``, so that predicting, ``partial_fit``
    and ``warm_start`` keep working there.
    """

    _versioned_packages = ("sknn_hep", "scikit-learn", "torch", "skorch")

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
