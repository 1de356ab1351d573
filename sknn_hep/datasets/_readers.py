"""Readers for HDF5 tables (pandas/PyTables, h5py), and the helpers of all readers.

The ROOT readers (uproot) are in ``_root.py``. uproot/awkward and
PyTables/h5py are optional: the extras ``root`` and ``hdf5`` (in the
sknn_hep checkout: ``pip install -e ".[root,hdf5]"``). They are imported
only when a reader is called.
"""

from __future__ import annotations

import io
import numbers
import os
import pickle

import numpy as np
import pandas as pd

from ..utils import install_hint


def _import(module, extra, owner):
    try:
        return __import__(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{owner} needs the optional package {module!r}; install it with "
            f"{install_hint(extra)}."
        ) from exc


def _check_path(path, owner):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"The 'path' parameter of {owner} must be a str or path-like. "
            f"Got {path!r} instead."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{owner}: no such file: {os.fspath(path)!r}")
    return os.fspath(path)


def _listing(names, limit=20):
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        shown += f", ... ({len(names)} in total)"
    return f"[{shown}]"


# --------------------------------------------------------------------------
# HDF5
# --------------------------------------------------------------------------
def read_hdf5(
    path,
    key=None,
    *,
    columns=None,
    target=None,
    start=None,
    stop=None,
    allow_pickle=False,
):
    """Read a pandas-HDF5 table (or plain HDF5 datasets) into a DataFrame.

    Made for files like the public top-tagging data set (a pandas table with
    columns ``E_0, PX_0, PY_0, PZ_0, ..., PZ_199, truthE, truthPX, truthPY,
    truthPZ, ttv, is_signal_new``), in ``format="table"`` or ``"fixed"``. A
    file written with h5py instead (no pandas metadata) is read too: ``key``
    then names a group whose members are 1-D datasets of equal length (one
    column each), or a 2-D dataset (columns ``<name>_0, <name>_1, ...``).

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    key : str or None, default=None
        The table (pandas key, e.g. ``"table"``) or h5py group/dataset.
        ``None`` works when the file holds exactly one pandas table, or, for
        a plain HDF5 file, reads the 1-D datasets of the root group.
    columns : list of str or None, default=None
        Columns to return, in this order; ``None`` returns all (but
        ``target`` when it is given).
    target : str or None, default=None
        A column to return separately as ``y``, e.g. ``"is_signal_new"``.
    start, stop : int or None, default=None
        Read only rows ``start:stop``.
    allow_pickle : bool, default=False
        Read pandas tables that hold pickled Python objects. Unpickling runs
        code named in the file, so a crafted file runs whatever its author
        chose; leave it False for files from others (as for
        :func:`numpy.load`). See Notes.

    Returns
    -------
    frame : DataFrame
        If ``target`` is None.
    (X, y) : (DataFrame, ndarray)
        If ``target`` is given.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        For a key or column that is not in the file (the message lists those
        there) or a bad parameter; with ``allow_pickle=False``, for a pandas
        table that holds pickled objects (the message names the file, the
        node and, for an attribute, the Python object it would call).
    ImportError
        If PyTables or h5py is not installed (the extra ``hdf5``).

    See Also
    --------
    read_root : The same for ROOT trees.
    make_top_jets : Simulated jets with the same columns.

    Notes
    -----
    pandas reads its HDF5 files through PyTables, which unpickles two kinds
    of content: the columns of ``object`` dtype of a ``format="fixed"``
    table (strings too: they are written as a pickled array, in a
    variable-length node with an ``object`` pseudo-atom), and node
    attributes that are pickles (pandas keeps its table metadata, lists of
    column names, as pickles of plain data). Before pandas opens the file,
    ``read_hdf5`` inspects it with h5py, which never unpickles. With
    ``allow_pickle=False`` it refuses a table with an ``object`` node and
    any attribute whose pickle would import a Python object (a class or a
    function: the only way a pickle runs code); pickles of plain data
    (lists, dicts, strings, numbers) are read as before. Numeric, boolean,
    categorical and ``format="table"`` string columns hold no pickle, so
    the usual files read with the default. To read a ``format="fixed"``
    file with text columns that you trust, pass ``allow_pickle=True``, or
    write it with ``format="table"``. Plain HDF5 files (h5py, no pandas
    metadata) hold no pickles.

    Examples
    --------
    >>> import os, tempfile
    >>> from sknn_hep.datasets import make_top_jets, read_hdf5
    >>> X, y, truth = make_top_jets(50, n_constituents=20, as_frame=True,
    ...                             random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "jets.h5")
    >>> X.join(truth).assign(is_signal_new=y).to_hdf(path, key="table",
    ...                                             format="table")
    >>> X2, y2 = read_hdf5(path, target="is_signal_new",
    ...                    columns=["E_0", "PX_0", "PY_0", "PZ_0"])
    >>> X2.shape, int(y2.sum()) == int(y.sum())
    ((50, 4), True)
    """
    owner = "read_hdf5"
    path = _check_path(path, owner)
    for name, value in (("start", start), ("stop", stop)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Integral)
        ):
            raise ValueError(
                f"The '{name}' parameter of {owner} must be an int or None. "
                f"Got {value!r} instead."
            )
    if isinstance(columns, str):
        columns = [columns]
    if columns is not None:
        columns = list(columns)
    if target is not None and not isinstance(target, str):
        raise ValueError(
            f"The 'target' parameter of {owner} must be a str or None. "
            f"Got {target!r} instead."
        )
    if not isinstance(allow_pickle, (bool, np.bool_)):
        raise ValueError(
            f"The 'allow_pickle' parameter of {owner} must be a bool. "
            f"Got {allow_pickle!r} instead."
        )

    h5py = _import("h5py", "hdf5", owner)
    with h5py.File(path, "r") as handle:
        is_pandas = _pandas_keys(handle)
    if is_pandas:
        _import("tables", "hdf5", owner)
        frame = _read_pandas(
            h5py, path, key, is_pandas, start, stop, owner, allow_pickle
        )
    else:
        frame = _read_h5py(h5py, path, key, start, stop, owner)

    wanted = list(columns) if columns is not None else None
    for name, needed in (("columns", wanted or []), ("target", [target])):
        missing = [c for c in needed if c is not None and c not in frame.columns]
        if missing:
            raise ValueError(
                f"The '{name}' parameter of {owner}: {missing} not in {path!r}; "
                f"its columns are {_listing(frame.columns)}."
            )
    if target is None:
        return frame[wanted] if wanted is not None else frame
    y = frame[target].to_numpy()
    X = frame[wanted] if wanted is not None else frame.drop(columns=[target])
    return X, y


def _pandas_keys(handle):
    """Keys of the pandas objects in an open h5py file (groups with pandas_type)."""
    keys = []

    def visit(name, obj):
        if "pandas_type" in obj.attrs:
            keys.append("/" + name)

    handle.visititems(visit)
    # a categorical column of a format="table" table keeps its categories in
    # a pandas table of its own below it ("<key>/meta/..."): not a table to read
    return [k for k in keys if not any(k.startswith(o + "/") for o in keys)]


def _read_pandas(h5py, path, key, keys, start, stop, owner, allow_pickle):
    if key is None:
        if len(keys) != 1:
            raise ValueError(
                f"The 'key' parameter of {owner} is needed: {path!r} holds "
                f"{len(keys)} tables {_listing(keys)}."
            )
        key = keys[0]
    elif "/" + key.lstrip("/") not in keys:
        raise ValueError(
            f"The 'key' parameter of {owner}: no table {key!r} in {path!r}; the "
            f"file holds {_listing(keys)}."
        )
    if not allow_pickle:
        _refuse_pickles(h5py, path, "/" + key.lstrip("/"), owner)
    return pd.read_hdf(path, key=key, start=start, stop=stop)


class PickledDataError(ValueError):
    """A pandas-HDF5 file holds pickles, refused with ``allow_pickle=False``."""


class _ImportsObject(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class _NoImports(pickle.Unpickler):
    """Unpickles plain data only: any class or function named stops it."""

    def find_class(self, module, name):
        raise _ImportsObject(f"{module}.{name}")


def _imported_object(value: bytes):
    """The object a pickle in ``value`` would import (and call), or None.

    Runs the pickle with every import refused: without an imported callable
    a pickle builds plain data only, so the names found here are exactly
    the code the real ``pickle.loads`` could run. ``latin1`` decodes every
    byte string, as PyTables's fallback does, so the whole pickle is seen.
    A value that is not a pickle fails here as it fails in ``pickle.loads``,
    before anything is imported.
    """
    try:
        _NoImports(io.BytesIO(value), encoding="latin1").load()
    except _ImportsObject as exc:
        return exc.name
    except Exception:  # noqa: BLE001 - not a (complete) pickle: nothing to run
        return None
    return None


def _attribute_strings(value):
    """The byte strings in an attribute value that PyTables may unpickle."""
    items = value.ravel().tolist() if isinstance(value, np.ndarray) else [value]
    for item in items:
        if isinstance(item, str):
            item = item.encode("utf-8", "surrogateescape")
        if isinstance(item, (bytes, np.bytes_)):
            item = bytes(item).rstrip(b"\x00")
            # PyTables tries pickle.loads on every string that ends in "."
            if item.endswith(b".") and item not in (b"0", b"0."):
                yield item


def _refuse_pickles(h5py, path, key, owner):
    """Raise if reading ``key`` of ``path`` with pandas would unpickle code.

    Attributes are checked on every node of the file (PyTables reads all
    attributes of each node it opens, and opens the parents of ``key``);
    ``object`` nodes (pickled arrays) below ``key``, which pandas reads.
    """
    hint = (
        "Unpickling runs code named in the file. Pass allow_pickle=True only "
        "if you trust the file"
    )
    with h5py.File(path, "r") as handle:
        nodes = [("/", handle)]
        handle.visititems(lambda name, obj: nodes.append(("/" + name, obj)))
        for name, node in nodes:
            for attr in node.attrs:
                try:
                    value = node.attrs[attr]
                except Exception as exc:  # noqa: BLE001 - h5py cannot decode it
                    raise PickledDataError(
                        f"{owner}: cannot check the attribute {attr!r} of "
                        f"{name!r} in {path!r} for pickled code ({exc}). {hint}."
                    ) from None
                for text in _attribute_strings(value):
                    imported = _imported_object(text)
                    if imported is not None:
                        raise PickledDataError(
                            f"{owner}: the attribute {attr!r} of {name!r} in "
                            f"{path!r} is a pickle that calls {imported}: "
                            f"reading the file would run it. {hint}."
                        )
            inside = name == key or name.startswith(key.rstrip("/") + "/")
            if inside and isinstance(node, h5py.Dataset) and _is_object_node(node):
                raise PickledDataError(
                    f"{owner}: the table {key!r} in {path!r} holds pickled "
                    f"Python objects in node {name!r} (a column of object "
                    "dtype, e.g. text, written with format='fixed'). "
                    f"{hint}, or write the table with format='table'."
                )


def _is_object_node(node) -> bool:
    """Whether PyTables reads this dataset as pickled objects (ObjectAtom)."""

    def text(attr):
        value = node.attrs.get(attr)
        if isinstance(value, (bytes, np.bytes_)):
            return bytes(value).decode("latin1")
        return value if isinstance(value, str) else None

    if text("CLASS") != "VLARRAY":
        return False
    # PSEUDOATOM since PyTables 1.3; FLAVOR in files of format 1.x
    return text("PSEUDOATOM") == "object" or text("FLAVOR") == "Object"


def _read_h5py(h5py, path, key, start, stop, owner):
    rows = slice(start, stop)
    with h5py.File(path, "r") as handle:
        if key is None:
            node = handle
        elif key in handle:
            node = handle[key]
        else:
            raise ValueError(
                f"The 'key' parameter of {owner}: no group or dataset {key!r} in "
                f"{path!r}; the file holds {_listing(handle.keys())}."
            )
        if isinstance(node, h5py.Dataset):
            if node.ndim == 1:
                return pd.DataFrame({node.name.rsplit("/", 1)[-1]: node[rows]})
            if node.ndim == 2:
                base = node.name.rsplit("/", 1)[-1]
                data = node[rows]
                return pd.DataFrame(
                    data, columns=[f"{base}_{i}" for i in range(data.shape[1])]
                )
            raise ValueError(
                f"{owner}: dataset {key!r} in {path!r} has {node.ndim} dimensions; "
                "only 1-D and 2-D datasets become tables."
            )
        data = {
            name: item[rows]
            for name, item in node.items()
            if isinstance(item, h5py.Dataset) and item.ndim == 1
        }
        if not data:
            raise ValueError(
                f"{owner}: group {key or '/'!r} in {path!r} has no 1-D datasets to "
                f"read; it holds {_listing(node.keys())}."
            )
        lengths = {name: len(values) for name, values in data.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f"{owner}: the 1-D datasets of group {key or '/'!r} in {path!r} "
                f"differ in length: {lengths}."
            )
        return pd.DataFrame(data)
