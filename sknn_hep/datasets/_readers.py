"""Readers for ROOT trees (uproot) and HDF5 tables (pandas/PyTables, h5py).

uproot/awkward and PyTables/h5py are optional: install ``sknn-hep[root]`` or
``sknn-hep[hdf5]``. They are imported only when a reader is called.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
import pandas as pd


def _import(module, extra, owner):
    try:
        return __import__(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{owner} needs the optional package {module!r}; install it with "
            f"`pip install sknn-hep[{extra}]`."
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
# ROOT
# --------------------------------------------------------------------------
def read_root(
    path,
    tree,
    branches=None,
    *,
    max_length=None,
    pad_value=0.0,
    mask=False,
    library="pd",
):
    """Read branches of a ROOT TTree into a table, padding jagged branches.

    A TTree or an RNTuple (uproot 5.7 writes RNTuples by default when a dict
    is assigned to a file) is read the same way; its fields are the branches.

    Flat branches (one number per entry) become one column each. A jagged
    branch (a variable-length list per entry, e.g. the pT of every jet) becomes
    ``max_length`` columns ``<name>_0 ... <name>_{max_length-1}``: entries
    with fewer elements are padded with ``pad_value``, longer ones are clipped
    (awkward's ``pad_none(..., clip=True)`` then ``fill_none``).

    Parameters
    ----------
    path : str or path-like
        The ROOT file.
    tree : str
        Name of the TTree or RNTuple in the file (a path such as ``"dir/events"`` for a
        tree in a directory).
    branches : list of str or None, default=None
        Branches to read, in this column order; ``None`` reads them all.
    max_length : int >= 1 or None, default=None
        Number of columns per jagged branch. ``None`` takes, per branch, the
        longest entry in the file (no clipping).
    pad_value : float, default=0.0
        Value of the padding slots (e.g. ``0.0`` as in the top-tagging data,
        ``np.nan`` or ``-999.0`` as a sentinel). An integer branch keeps an
        integer dtype when ``pad_value`` is a whole number and becomes float64
        otherwise.
    mask : bool, default=False
        Also return, per jagged branch, boolean columns
        ``<name>_mask_0 ... `` that are True where a slot holds a real value,
        so that padding can be told apart from a real ``pad_value``.
    library : {"pd", "np"}, default="pd"
        ``"pd"`` returns a DataFrame; ``"np"`` a dict from branch name to
        ndarray (shape (n_entries,) for a flat branch, (n_entries,
        max_length) for a jagged one, and ``"<name>_mask"`` entries with
        ``mask=True``).

    Returns
    -------
    data : DataFrame or dict of ndarray

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        For a tree or branch that is not in the file (the message lists those
        there), a branch nested deeper than one list, or a bad parameter.
    ImportError
        If uproot or awkward is not installed (``pip install sknn-hep[root]``).

    See Also
    --------
    read_hdf5 : The same for pandas-HDF5 tables.

    Examples
    --------
    >>> import os, tempfile
    >>> import awkward as ak
    >>> import numpy as np
    >>> import uproot
    >>> from sknn_hep.datasets import read_root
    >>> path = os.path.join(tempfile.mkdtemp(), "events.root")
    >>> with uproot.recreate(path) as f:
    ...     tree = f.mktree("events", {"met": "float64", "jet_pt": "var * float64"})
    ...     tree.extend({"met": np.array([10.0, 20.0, 30.0]),
    ...                  "jet_pt": ak.Array([[50.0, 40.0], [], [70.0, 30.0, 20.0]])})
    >>> read_root(path, "events", ["met", "jet_pt"], max_length=2)
        met  jet_pt_0  jet_pt_1
    0  10.0      50.0      40.0
    1  20.0       0.0       0.0
    2  30.0      70.0      30.0
    >>> read_root(path, "events", max_length=2, mask=True).columns.tolist()
    ['met', 'njet_pt', 'jet_pt_0', 'jet_pt_1', 'jet_pt_mask_0', 'jet_pt_mask_1']
    """
    owner = "read_root"
    path = _check_path(path, owner)
    if not isinstance(tree, str):
        raise TypeError(
            f"The 'tree' parameter of {owner} must be a str. Got {tree!r} instead."
        )
    if max_length is not None and (
        isinstance(max_length, bool)
        or not isinstance(max_length, numbers.Integral)
        or max_length < 1
    ):
        raise ValueError(
            f"The 'max_length' parameter of {owner} must be an int >= 1 or None. "
            f"Got {max_length!r} instead."
        )
    if isinstance(pad_value, bool) or not isinstance(pad_value, numbers.Real):
        raise ValueError(
            f"The 'pad_value' parameter of {owner} must be a real number. "
            f"Got {pad_value!r} instead."
        )
    if not isinstance(mask, (bool, np.bool_)):
        raise ValueError(
            f"The 'mask' parameter of {owner} must be a bool. Got {mask!r} instead."
        )
    if library not in ("pd", "np"):
        raise ValueError(
            f"The 'library' parameter of {owner} must be one of ['pd', 'np']. "
            f"Got {library!r} instead."
        )
    uproot = _import("uproot", "root", owner)
    ak = _import("awkward", "root", owner)

    with uproot.open(path) as file:
        trees = [
            k
            for k, c in file.classnames(cycle=False).items()
            if c.startswith(("TTree", "ROOT::RNTuple"))
        ]
        if tree not in trees:
            raise ValueError(
                f"The 'tree' parameter of {owner}: no TTree or RNTuple {tree!r} in "
                f"{path!r}; the file holds {_listing(trees)}."
            )
        ttree = file[tree]
        available = list(ttree.keys())
        if branches is None:
            branches = available
        elif isinstance(branches, str):
            branches = [branches]
        branches = list(branches)
        missing = [b for b in branches if b not in available]
        if missing:
            raise ValueError(
                f"The 'branches' parameter of {owner}: {missing} not in tree "
                f"{tree!r}; its branches are {_listing(available)}."
            )
        arrays = ttree.arrays(branches, library="ak")

    columns, masks = {}, {}
    for name in branches:
        array = arrays[name]
        if array.ndim == 1:
            columns[name] = ak.to_numpy(array)
            continue
        if array.ndim > 2:
            raise ValueError(
                f"{owner}: branch {name!r} is nested deeper than one list "
                f"({array.type}); read it with uproot directly."
            )
        if not float(pad_value).is_integer():  # NaN or a fraction: float columns
            array = ak.values_astype(array, np.float64)
        counts = ak.to_numpy(ak.num(array, axis=1))
        length = max_length
        if length is None:
            length = max(int(counts.max()) if len(counts) else 0, 1)
        padded = ak.pad_none(array, length, axis=1, clip=True)
        columns[name] = ak.to_numpy(ak.fill_none(padded, pad_value))
        if mask:
            masks[name] = np.arange(length)[None, :] < counts[:, None]

    if library == "np":
        return {**columns, **{f"{name}_mask": m for name, m in masks.items()}}
    frames = {}
    for name, values in columns.items():
        if values.ndim == 1:
            frames[name] = values
            continue
        for i in range(values.shape[1]):
            frames[f"{name}_{i}"] = values[:, i]
        if name in masks:
            for i in range(values.shape[1]):
                frames[f"{name}_mask_{i}"] = masks[name][:, i]
    return pd.DataFrame(frames)


# --------------------------------------------------------------------------
# HDF5
# --------------------------------------------------------------------------
def read_hdf5(path, key=None, *, columns=None, target=None, start=None, stop=None):
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
        there) or a bad parameter.
    ImportError
        If PyTables or h5py is not installed (``pip install sknn-hep[hdf5]``).

    See Also
    --------
    read_root : The same for ROOT trees.
    make_top_jets : Simulated jets with the same columns.

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

    h5py = _import("h5py", "hdf5", owner)
    with h5py.File(path, "r") as handle:
        is_pandas = _pandas_keys(handle)
    if is_pandas:
        _import("tables", "hdf5", owner)
        frame = _read_pandas(path, key, is_pandas, start, stop, owner)
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
    return keys


def _read_pandas(path, key, keys, start, stop, owner):
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
    return pd.read_hdf(path, key=key, start=start, stop=stop)


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
