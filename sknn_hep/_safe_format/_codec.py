"""Objects <-> (JSON tree, named numeric arrays), without pickle.

Every JSON object in the tree is a node with exactly one tag key:

=================  =====================================================
``__float__``      non-finite float: ``"nan"``, ``"inf"``, ``"-inf"``
``__tuple__``      tuple (list of items); ``__set__``: set
``__dict__``       dict with string keys; ``__items__``: other keys
``__ndarray__``    numeric/bool array stored as a safetensors tensor
``__tensor__``     torch tensor stored as a safetensors tensor
``__strarray__``   array of strings or objects: dtype, shape, items
``__npscalar__``   numpy scalar: [dtype name, value]
``__dtype__``      numpy dtype; ``__slice__``: slice
``__path__``       ``pathlib`` path (its string; read back as ``Path``)
``__random__``     ``numpy.random.RandomState`` (its ``get_state()``)
``__ref__``        a trusted class or function, by name
``__object__``     instance of a trusted class: class name and state dict
                   (``__getstate__``/``__setstate__``)
``__module__``     instance of a trusted ``torch.nn.Module`` class
``__net__``        skorch net: constructor parameters, history, and the
                   ``state_dict`` of each module, criterion and optimizer
``__metareq__``    scikit-learn metadata-routing requests of an estimator
                   (``set_fit_request`` ...): method -> {parameter: alias}
=================  =====================================================

Decoding creates only numbers, strings, containers, arrays, tensors and
instances of the trusted classes; it never unpickles, imports or evaluates
anything named in a file.
"""

from __future__ import annotations

import inspect
import math
import pathlib
import warnings
from collections import OrderedDict

import numpy as np
import torch
from sklearn.utils._metadata_requests import (
    SIMPLE_METHODS,
    MetadataRequest,
    MethodMetadataRequest,
)
from skorch import NeuralNet
from skorch.exceptions import DeviceWarning
from skorch.history import History

# dtypes safetensors stores for numpy arrays
_ARRAY_KINDS = "biuf"
_TAGS = (
    "__float__",
    "__tuple__",
    "__set__",
    "__dict__",
    "__items__",
    "__ndarray__",
    "__tensor__",
    "__strarray__",
    "__npscalar__",
    "__dtype__",
    "__slice__",
    "__path__",
    "__random__",
    "__ref__",
    "__object__",
    "__module__",
    "__net__",
    "__metareq__",
)


# Links scikit-learn's callback machinery sets on an estimator while a
# (meta-)estimator fits it and removes afterwards: not part of a model.
_FIT_TIME_ATTRIBUTES = frozenset({"_parent_callback_ctx", "_callback_fit_ctx"})


class UntrustedTypeError(TypeError):
    """A file names a type or function that :func:`sknn_hep.io.load` does not trust.

    Also raised by :func:`sknn_hep.io.save` for an object it could not load
    back. Pass the class itself in ``trusted=[...]`` (to both functions) if
    you trust it and its state is plain data.
    """


class Encoder:
    """Turn an object into a JSON-able tree plus a dict of arrays."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()

    # -- helpers ---------------------------------------------------------
    def _store(self, array: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.ascontiguousarray(array).astype(
            array.dtype.newbyteorder("="), copy=False
        )
        return key

    def _name(self, obj, where: str, *, ref: bool = False) -> str:
        """Trusted name of a class (``ref``: of a class or function value)."""
        name = self.names.get(id(obj))
        if name is None:
            label = getattr(obj, "__qualname__", type(obj).__qualname__)
            label = f"{getattr(obj, '__module__', None)}.{label}"
            if not ref:
                what = f"of type {label!r}"
            elif inspect.isclass(obj):
                what = f"(the class {label!r})"
            else:
                what = f"(the function {label!r})"
            raise UntrustedTypeError(
                f"sknn_hep.io.save cannot store {where} {what}: it is not among "
                "the types and functions sknn_hep.io trusts (sknn_hep's "
                "estimators and transformers, and common scikit-learn "
                "preprocessing). If you trust it and its state is plain data, "
                "pass trusted=[<it>] to save and to load; otherwise use joblib."
            )
        return name

    def encode(self, value, where: str = "model"):
        if value is None or isinstance(value, (bool, str)):
            return value if not isinstance(value, str) else str(value)
        if isinstance(value, np.generic):
            if value.dtype.kind not in _ARRAY_KINDS:
                raise TypeError(
                    f"sknn_hep.io.save cannot store {where}: numpy scalar of "
                    f"dtype {value.dtype}."
                )
            return {"__npscalar__": [value.dtype.name, self.encode(value.item())]}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return {"__float__": "nan" if math.isnan(value) else str(value)}
        if isinstance(value, np.ndarray):
            return self._encode_array(value, where)
        if isinstance(value, torch.Tensor):
            return {"__tensor__": self._tensor_key(value, where)}
        if isinstance(value, slice):
            return {
                "__slice__": [
                    self.encode(value.start, where),
                    self.encode(value.stop, where),
                    self.encode(value.step, where),
                ]
            }
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if isinstance(value, pathlib.PurePath):
            return {"__path__": str(value)}
        if inspect.isclass(value) or inspect.isfunction(value):
            return {"__ref__": self._name(value, where, ref=True)}
        if type(value) is np.random.RandomState:
            return {"__random__": self.encode(value.get_state(legacy=True), where)}
        if id(value) in self._active:
            raise TypeError(
                f"sknn_hep.io.save cannot store {where}: it contains itself."
            )
        self._active.add(id(value))
        try:
            return self._encode_container(value, where)
        finally:
            self._active.discard(id(value))

    def _encode_array(self, value: np.ndarray, where: str):
        if type(value) is not np.ndarray:
            raise TypeError(
                f"sknn_hep.io.save cannot store {where}: arrays of type "
                f"{type(value).__name__} are not supported (plain ndarrays are)."
            )
        if value.dtype.kind in _ARRAY_KINDS:
            return {"__ndarray__": self._store(value)}
        if value.dtype.kind in "UO":
            items = [self.encode(v, f"{where}[...]") for v in value.ravel().tolist()]
            return {
                "__strarray__": {
                    "dtype": value.dtype.str,
                    "shape": list(value.shape),
                    "items": items,
                }
            }
        raise TypeError(
            f"sknn_hep.io.save cannot store {where}: arrays of dtype {value.dtype} "
            "are not supported."
        )

    def _tensor_key(self, tensor: torch.Tensor, where: str) -> str:
        tensor = tensor.detach().cpu()
        if tensor.dtype not in (torch.float32, torch.float64, torch.float16) and (
            tensor.dtype.is_floating_point or tensor.dtype.is_complex
        ):
            raise TypeError(
                f"sknn_hep.io.save cannot store {where}: tensors of dtype "
                f"{tensor.dtype} are not supported."
            )
        return self._store(tensor.numpy())

    def _encode_container(self, value, where: str):
        if type(value) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if type(value) is tuple:
            return {
                "__tuple__": [
                    self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)
                ]
            }
        if type(value) in (set, frozenset):
            return {"__set__": [self.encode(v, f"{where}{{}}") for v in value]}
        if type(value) in (dict, OrderedDict):
            if all(type(k) is str for k in value):
                return {
                    "__dict__": {
                        k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()
                    }
                }
            return {
                "__items__": [
                    [self.encode(k, where), self.encode(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        if type(value) is MetadataRequest:
            # its owner (the estimator holding it) is set again on loading
            return {
                "__metareq__": {
                    method: self.encode(dict(mmr.requests), f"{where}.{method}")
                    for method, mmr in vars(value).items()
                    if isinstance(mmr, MethodMetadataRequest)
                }
            }
        name = self._name(type(value), where)
        if isinstance(value, NeuralNet):
            return {"__net__": self._encode_net(value, name, where)}
        if isinstance(value, torch.nn.Module):
            return {"__module__": self._encode_module(value, name, where)}
        state = value.__getstate__()
        if not isinstance(state, dict):
            raise TypeError(
                f"sknn_hep.io.save cannot store {where} ({name}): its state is not "
                "a dict."
            )
        if not all(type(k) is str for k in state):
            raise TypeError(
                f"sknn_hep.io.save cannot store {where} ({name}): its state has "
                "keys that are not strings."
            )
        body = {
            k: self.encode(v, f"{where}.{k}")
            for k, v in state.items()
            if k not in _FIT_TIME_ATTRIBUTES
        }
        return {"__object__": {"class": name, "state": {"__dict__": body}}}

    def _encode_module(self, module: torch.nn.Module, name: str, where: str):
        attrs = {
            k: v
            for k, v in vars(module).items()
            if not k.startswith("_") and k != "training"
        }
        return {
            "class": name,
            "training": bool(module.training),
            "attrs": self.encode(attrs, where),
            "modules": self.encode(dict(module._modules), where),
            "parameters": {
                k: None if p is None else [self._tensor_key(p, where), p.requires_grad]
                for k, p in module._parameters.items()
            },
            "buffers": {
                k: None if b is None else self._tensor_key(b, where)
                for k, b in module._buffers.items()
            },
            "non_persistent": sorted(module._non_persistent_buffers_set),
        }

    def _encode_net(self, net: NeuralNet, name: str, where: str):
        # Callbacks are training configuration: the estimators set them anew
        # on every fit, so they are not stored.
        params = {
            k: v
            for k, v in net.get_params(deep=False).items()
            if k != "callbacks" and not k.startswith("_")
        }
        out = {
            "class": name,
            "params": self.encode(params, f"{where}.params"),
            "initialized": bool(getattr(net, "initialized_", False)),
        }
        if out["initialized"]:
            out["history"] = self.encode(list(net.history_), f"{where}.history")
            out["modules"] = {
                attr: self.encode(
                    dict(getattr(net, attr + "_").state_dict()), f"{where}.{attr}_"
                )
                for attr in net._modules + net._criteria
                if isinstance(getattr(net, attr + "_"), torch.nn.Module)
            }
            out["optimizers"] = {
                attr: self.encode(
                    dict(getattr(net, attr + "_").state_dict()), f"{where}.{attr}_"
                )
                for attr in net._optimizers
            }
        return out


LOCAL_PATH_PARAMS = ("checkpoint_dir", "log_dir")
"""Estimator parameters naming local directories a fit writes to."""


class Decoder:
    """Rebuild objects from a tree made by :class:`Encoder`."""

    def __init__(self, registry: dict[str, object], arrays: dict[str, np.ndarray]):
        self.registry = registry
        self.arrays = arrays
        # (class name, parameter, value) of the local paths reset on loading
        self.reset_paths: list[tuple[str, str, object]] = []

    def _lookup(self, name) -> object:
        if not isinstance(name, str):
            raise ValueError(f"a type name must be a string, got {name!r}")
        try:
            return self.registry[name]
        except KeyError:
            raise UntrustedTypeError(
                f"the file refers to {name!r}, which sknn_hep.io does not trust; "
                "loading refuses it. If you trust the file's author and the type, "
                "pass trusted=[<that class>] to load."
            ) from None

    def _class(self, name, base: type | tuple) -> type:
        cls = self._lookup(name)
        if not (inspect.isclass(cls) and issubclass(cls, base)):
            raise ValueError(f"{name!r} cannot be instantiated here")
        return cls

    def _array(self, key) -> np.ndarray:
        return np.array(self.arrays[key], copy=True)

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not (isinstance(node, dict) and len(node) == 1):
            raise ValueError(f"unexpected node {str(node)[:80]!r}")
        ((tag, body),) = node.items()
        if tag not in _TAGS:
            raise ValueError(f"unknown node tag {tag!r}")
        return getattr(self, "_" + tag.strip("_"))(body)

    # -- one method per tag ------------------------------------------------
    def _float(self, body):
        if body not in ("nan", "inf", "-inf"):
            raise ValueError(f"bad float {body!r}")
        return float(body)

    def _tuple(self, body):
        return tuple(self.decode(v) for v in body)

    def _path(self, body):
        if not isinstance(body, str):
            raise ValueError(f"bad path {str(body)[:80]!r}")
        return pathlib.Path(body)

    def _set(self, body):
        return {self.decode(v) for v in body}

    def _dict(self, body):
        if not isinstance(body, dict):
            raise ValueError("a __dict__ node must hold an object")
        return {str(k): self.decode(v) for k, v in body.items()}

    def _items(self, body):
        return {self.decode(k): self.decode(v) for k, v in body}

    def _ndarray(self, body):
        return self._array(body)

    def _tensor(self, body):
        return torch.from_numpy(self._array(body))

    def _strarray(self, body):
        dtype = np.dtype(body["dtype"])
        if dtype.kind not in "UO":
            raise ValueError(f"bad string-array dtype {dtype}")
        items = [self.decode(v) for v in body["items"]]
        out = np.empty(len(items), dtype=dtype)
        for i, v in enumerate(items):
            out[i] = v
        return out.reshape([int(s) for s in body["shape"]])

    def _npscalar(self, body):
        dtype_name, value = body
        dtype = np.dtype(str(dtype_name))
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"bad scalar dtype {dtype}")
        return dtype.type(self.decode(value))

    def _dtype(self, body):
        dtype = np.dtype(str(body))
        if dtype.kind not in _ARRAY_KINDS + "UO":
            raise ValueError(f"bad dtype {dtype}")
        return dtype

    def _slice(self, body):
        start, stop, step = (self.decode(v) for v in body)
        return slice(start, stop, step)

    def _random(self, body):
        rs = np.random.RandomState()
        rs.set_state(self.decode(body))
        return rs

    def _ref(self, body):
        obj = self._lookup(body)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise ValueError(f"{body!r} is not a class or function")
        return obj

    @staticmethod
    def _check_names(cls, names) -> None:
        # instance attributes must not shadow methods or dunder attributes
        for key in names:
            if not isinstance(key, str) or key.startswith("__"):
                raise ValueError(f"bad attribute name {key!r} for {cls.__name__}")
            if callable(getattr(cls, key, None)):
                raise ValueError(
                    f"attribute {key!r} would shadow the method {cls.__name__}.{key}"
                )

    def _object(self, body):
        cls = self._class(body["class"], object)
        if issubclass(cls, (torch.nn.Module, NeuralNet)):
            raise ValueError(f"{body['class']!r} must be stored as its own node")
        state = self.decode(body["state"])
        if not isinstance(state, dict):
            raise ValueError("an object's state must be a dict")
        self._check_names(cls, state)
        self._reset_local_paths(cls, state)
        obj = cls.__new__(cls)
        for value in state.values():
            if type(value) is MetadataRequest:
                value.owner = obj
                for mmr in vars(value).values():
                    if isinstance(mmr, MethodMetadataRequest):
                        mmr.owner = obj
        setstate = getattr(obj, "__setstate__", None)
        if setstate is not None:
            setstate(state)
        else:
            obj.__dict__.update(state)
        return obj

    def _reset_local_paths(self, cls, state: dict) -> None:
        # A file's author must not choose where a later fit of the loaded
        # model writes: the directory-valued parameters are loaded as None
        # (and resume as False, which needs a checkpoint_dir).
        names = getattr(cls, "_get_param_names", None)
        if names is None:
            return
        names = names()
        reset = False
        for key in LOCAL_PATH_PARAMS:
            if key in names and state.get(key) is not None:
                self.reset_paths.append((cls.__name__, key, state[key]))
                state[key] = None
                reset = True
        if reset and state.get("resume"):
            state["resume"] = False

    def _module(self, body):
        cls = self._class(body["class"], torch.nn.Module)
        attrs = self.decode(body["attrs"])
        modules = self.decode(body["modules"])
        self._check_names(cls, list(attrs) + list(modules))
        obj = cls.__new__(cls)
        torch.nn.Module.__init__(obj)
        for key, child in modules.items():
            if child is not None and not isinstance(child, torch.nn.Module):
                raise ValueError(f"submodule {key!r} is not a module")
            obj.add_module(key, child)
        for key, entry in body["parameters"].items():
            param = None
            if entry is not None:
                tensor_key, requires_grad = entry
                param = torch.nn.Parameter(
                    torch.from_numpy(self._array(tensor_key)),
                    requires_grad=bool(requires_grad),
                )
            obj.register_parameter(key, param)
        non_persistent = set(body["non_persistent"])
        for key, tensor_key in body["buffers"].items():
            tensor = (
                None
                if tensor_key is None
                else torch.from_numpy(self._array(tensor_key))
            )
            obj.register_buffer(key, tensor, persistent=key not in non_persistent)
        for key, value in attrs.items():
            setattr(obj, key, value)
        obj.train(bool(body["training"]))
        return obj

    def _metareq(self, body):
        requests = MetadataRequest(owner=None)
        for method, params in body.items():
            if method not in SIMPLE_METHODS:
                raise ValueError(f"unknown metadata-routing method {method!r}")
            mmr = MethodMetadataRequest(owner=None, method=method)
            for param, alias in self.decode(params).items():
                mmr.add_request(param=param, alias=alias)  # validates the alias
            setattr(requests, method, mmr)
        return requests

    def _net(self, body):
        cls = self._class(body["class"], NeuralNet)
        params = self.decode(body["params"])
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and k.isidentifier() and not k.startswith("_")
            for k in params
        ):
            raise ValueError("bad net parameters")
        self._check_names(cls, [k for k in params if "__" not in k])
        device = params.get("device")
        if (
            isinstance(device, str)
            and device.startswith("cuda")
            and not torch.cuda.is_available()
        ):
            warnings.warn(
                f"The network was saved on device={device!r}, but torch finds no "
                "CUDA device here: it is loaded on the CPU (device='cpu').",
                DeviceWarning,
                stacklevel=2,
            )
            params["device"] = "cpu"
        net = cls(**params)
        if not body["initialized"]:
            return net
        # building the modules draws initial weights: keep the global RNG as is
        with torch.random.fork_rng(devices=[]):
            net.initialize()
        for attr, state in body["modules"].items():
            module = getattr(net, f"{attr}_", None)
            if attr not in net._modules + net._criteria or not isinstance(
                module, torch.nn.Module
            ):
                raise ValueError(f"the net has no module {attr!r}")
            module.load_state_dict(self.decode(state), strict=True)
        for attr, state in body["optimizers"].items():
            if attr not in net._optimizers:
                raise ValueError(f"the net has no optimizer {attr!r}")
            getattr(net, f"{attr}_").load_state_dict(self.decode(state))
        net.history_ = History(self.decode(body["history"]))
        return net
