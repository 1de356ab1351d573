"""The types and functions :func:`sknn_hep.io.load` may create or refer to.

A file names its objects by qualified names; loading looks each name up in
this table and never imports a module or resolves an attribute from a name
read out of a file. Everything else is refused.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from functools import cache

import numpy as np

# Subpackages whose public classes (their ``__all__``) are trusted.
_SKNN_HEP_PACKAGES = (
    "sknn_hep.neural_network",
    "sknn_hep.preprocessing",
    "sknn_hep.ensemble",
    "sknn_hep.model_selection",
)

# Modules of torch building blocks: every nn.Module subclass defined there.
_SKNN_HEP_MODULE_FILES = (
    "sknn_hep.nn.blocks",
    "sknn_hep.nn.embedding",
    "sknn_hep.nn.layers",
    "sknn_hep.nn.losses",
    "sknn_hep.nn.network",
    "sknn_hep.nn.numeric",
)

# Third-party modules of torch building blocks the networks hold (the numeric
# embeddings): every nn.Module subclass they define.
_THIRD_PARTY_MODULE_FILES = ("rtdl_num_embeddings",)

# Internal objects that fitted estimators hold, by public path.
_INTERNAL = (
    "sknn_hep.neural_network._net.TensorNet",
    "sknn_hep.neural_network._net.TensorNetClassifier",
    "sknn_hep.neural_network._net.TensorNetRegressor",
    "sknn_hep.preprocessing._hep_preprocessor._reject_missing",
    "torch.utils.data.DataLoader",
    "skorch.dataset.Dataset",
    "skorch.dataset.ValidSplit",
)

# scikit-learn types whose fitted state is plain data (arrays, numbers,
# strings, and further trusted objects).
SKLEARN_TYPES = (
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.compose.ColumnTransformer",
    "sklearn.compose.TransformedTargetRegressor",
    "sklearn.compose.make_column_selector",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.Normalizer",
    "sklearn.preprocessing.PowerTransformer",
    "sklearn.preprocessing.QuantileTransformer",
    "sklearn.preprocessing.OneHotEncoder",
    "sklearn.preprocessing.OrdinalEncoder",
    "sklearn.preprocessing.FunctionTransformer",
    "sklearn.preprocessing.PolynomialFeatures",
    "sklearn.decomposition.PCA",
    "sklearn.impute.SimpleImputer",
    "sklearn.impute.MissingIndicator",
    "sklearn.feature_selection.VarianceThreshold",
)

_NUMPY_SCALARS = (
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _public_classes(package: str):
    if importlib.util.find_spec(package) is None:
        return
    mod = importlib.import_module(package)
    for name in getattr(mod, "__all__", ()):
        obj = getattr(mod, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            yield f"{package}.{name}", obj


@cache
def default_registry() -> dict[str, object]:
    """Trusted name -> object (class or function), built from fixed lists.

    Examples
    --------
    >>> reg = default_registry()
    >>> reg["sknn_hep.neural_network.NeuralClassifier"].__name__
    'NeuralClassifier'
    >>> "builtins.eval" in reg, "os.system" in reg
    (False, False)
    """
    import torch

    registry: dict[str, object] = {}
    for package in _SKNN_HEP_PACKAGES:
        registry.update(_public_classes(package))
    for module_name in _SKNN_HEP_MODULE_FILES + _THIRD_PARTY_MODULE_FILES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, torch.nn.Module)
                and obj.__module__ == module_name
            ):
                registry[f"{module_name}.{name}"] = obj
    for path in _INTERNAL + SKLEARN_TYPES:
        registry[path] = _resolve(path)
    for name in dir(torch.optim):
        obj = getattr(torch.optim, name)
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer):
            registry[f"torch.optim.{name}"] = obj
    for name in _NUMPY_SCALARS:
        registry[f"numpy.{name}"] = getattr(np, name)
    return registry


def build_registry(trusted, owner: str) -> tuple[dict, dict]:
    """``(name -> object, id(object) -> name)`` with the user's extra types."""
    if trusted is None:
        trusted = ()
    if isinstance(trusted, (str, bytes)) or not isinstance(trusted, (list, tuple)):
        raise TypeError(
            f"The 'trusted' parameter of {owner} must be a list of classes or "
            f"functions (the objects themselves, not their names). Got "
            f"{trusted!r} instead."
        )
    registry = dict(default_registry())
    for obj in trusted:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise TypeError(
                f"The 'trusted' parameter of {owner} must hold classes or "
                f"functions. Got {obj!r} instead."
            )
        registry[f"{obj.__module__}.{obj.__qualname__}"] = obj
    names = {}
    for name, obj in registry.items():
        # the first (public) name of an object is the one written to files
        names.setdefault(id(obj), name)
    return registry, names
