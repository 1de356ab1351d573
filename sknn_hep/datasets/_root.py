"""Readers of ROOT trees (uproot): ``read_root`` and its chunked ``iterate_root``.

Both take what ``uproot.concatenate`` takes (a path, a glob, a list, a
``{path: tree}`` dict, ``"file.root:tree"``, ``tree;cycle``) and share one
code path: the files are resolved and checked (every file, tree and branch
before the first entry is read), entries are read per file with uproot, and
one function turns awkward arrays into columns (jagged branches padded to
``max_length``). ``read_root`` concatenates the arrays of every file and
flattens them once; ``iterate_root`` flattens each chunk. Files, trees and
reading are in ``_root_files.py``; the checks, the flattening and the readers
here.

uproot and awkward are optional (the extra ``root``), imported when a reader
is called.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._readers import _import, _listing
from ._root_files import _entry_ranges, _read, _sources


# --------------------------------------------------------------------------
# checks of the parameters
# --------------------------------------------------------------------------
def _check_int(value, name, owner, low=None, none=True):
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int"
            + (f" >= {low}" if low is not None else "")
            + (" or None" if none else "")
            + f". Got {value!r} instead."
        )
    if low is not None and value < low:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int >= {low}"
            + (" or None" if none else "")
            + f". Got {value!r} instead."
        )
    return int(value)


def _check_max_length(max_length, owner):
    """None, an int >= 1, or a dict from branch name to an int >= 1."""
    if isinstance(max_length, dict):
        for key, value in max_length.items():
            if not isinstance(key, str):
                raise ValueError(
                    f"The 'max_length' parameter of {owner} must map branch names "
                    f"to ints >= 1. Got the key {key!r} instead."
                )
            _check_int(value, f"max_length[{key!r}]", owner, low=1, none=False)
        return dict(max_length)
    if max_length is not None and (
        isinstance(max_length, bool)
        or not isinstance(max_length, numbers.Integral)
        or max_length < 1
    ):
        raise ValueError(
            f"The 'max_length' parameter of {owner} must be an int >= 1, a dict "
            f"from branch name to int >= 1, or None. Got {max_length!r} instead."
        )
    return max_length


def _check_filter(value, name, owner):
    """uproot's filters: None, a str (glob or /regex/), a list of str, callable."""
    if value is None or callable(value) or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(
        f"The {name!r} parameter of {owner} must be a name, a glob such as "
        f"'Muon_*', a '/regex/', a list of those, a callable or None. "
        f"Got {value!r} instead."
    )


def _check_options(owner, *, pad_value, mask, counts, library, cut, aliases):
    if isinstance(pad_value, bool) or not isinstance(pad_value, numbers.Real):
        raise ValueError(
            f"The 'pad_value' parameter of {owner} must be a real number. "
            f"Got {pad_value!r} instead."
        )
    for name, value in (("mask", mask), ("counts", counts)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"The {name!r} parameter of {owner} must be a bool. "
                f"Got {value!r} instead."
            )
    if library not in ("pd", "np"):
        raise ValueError(
            f"The 'library' parameter of {owner} must be one of ['pd', 'np']. "
            f"Got {library!r} instead."
        )
    if cut is not None and not isinstance(cut, str):
        raise ValueError(
            f"The 'cut' parameter of {owner} must be an expression (a str, e.g. "
            f"'nMuon >= 2') or None. Got {cut!r} instead."
        )
    if aliases is not None and not (
        isinstance(aliases, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items())
    ):
        raise ValueError(
            f"The 'aliases' parameter of {owner} must be a dict from name to "
            f"expression (str to str), e.g. {{'pt': 'sqrt(px**2 + py**2)'}}, or "
            f"None. Got {aliases!r} instead."
        )


# --------------------------------------------------------------------------
# flattening: awkward arrays -> columns, one code path for both readers
# --------------------------------------------------------------------------
def _shape(ak, array, name, where, owner):
    """("flat" or "jagged", its dtype) for a branch, else a ValueError naming it."""
    layout = ak.to_layout(array)
    depth, node = 0, layout
    while True:
        if node.is_option or node.is_indexed:
            node = node.content
        elif node.is_list or node.is_regular:
            if node.parameter("__array__") in ("string", "bytestring"):
                break
            depth += 1
            node = node.content
        else:
            break
    if node.is_numpy and depth <= 1:
        return ("jagged" if depth else "flat"), node.dtype
    if node.is_record:
        what = "objects or records (fields " + _listing(ak.fields(array), 5) + ")"
    elif node.is_numpy:
        what = "lists nested deeper than one level"
    else:
        what = "values that are not numbers"
    raise ValueError(
        f"{owner}: branch {name!r} of {where} holds {what} (type "
        f"{str(ak.type(array))!r}), which do not flatten into columns. Leave it "
        "out: name the branches to read with 'branches', or select them with "
        "'filter_name' (e.g. 'Muon_*'), or read the fields of an RNTuple's "
        f"collection or record as branches (e.g. branches=['{name}.<field>']); or "
        "read it with uproot directly."
    )


def _flatten(ak, arrays, names, max_length, pad_value, where, owner, need_length):
    """Columns of ``arrays``: {name: (values, counts or None)}.

    ``values`` is 1-D for a flat branch and (n, length) for a jagged one,
    padded with ``pad_value`` and clipped to its ``max_length`` (an int for
    all jagged branches, or a dict per branch; None or a branch left out of
    the dict: the longest entry, refused when ``need_length``).
    """
    if isinstance(max_length, dict):
        unknown = [k for k in max_length if k not in names]
        if unknown:
            raise ValueError(
                f"The 'max_length' parameter of {owner}: {unknown} are not "
                f"branches read from {where}; those are {_listing(names)}."
            )
    columns = {}
    for name in names:
        array = arrays[name]
        kind, dtype = _shape(ak, array, name, where, owner)
        # the branch's dtype when it holds pad_value exactly, else float64
        if not np.issubdtype(dtype, np.floating):
            with np.errstate(invalid="ignore", over="ignore"):
                fits = float(pad_value).is_integer() and bool(
                    np.array(pad_value).astype(dtype) == pad_value
                )
            if not fits:
                dtype = np.dtype(np.float64)
        if kind == "flat":
            if isinstance(max_length, dict) and name in max_length:
                raise ValueError(
                    f"The 'max_length' parameter of {owner}: branch {name!r} of "
                    f"{where} is not jagged (one value per entry)."
                )
            values = ak.to_numpy(ak.fill_none(array, pad_value))
            columns[name] = (values.astype(dtype, copy=False), None)
            continue
        length = max_length.get(name) if isinstance(max_length, dict) else max_length
        counts = ak.to_numpy(ak.num(array, axis=1)).astype(np.int64)
        if length is None:
            if need_length:
                raise ValueError(
                    f"The 'max_length' parameter of {owner} is needed for the "
                    f"jagged branch {name!r} of {where}: every chunk must have "
                    "the same columns (read_root takes the longest entry)."
                )
            length = max(int(counts.max()) if len(counts) else 0, 1)
        padded = ak.pad_none(array, length, axis=1, clip=True)
        values = ak.to_numpy(ak.fill_none(padded, pad_value)).astype(dtype, copy=False)
        columns[name] = (values.reshape(len(counts), length), counts)
    return columns


def _output(columns, mask, counts, library):
    """The table of ``_flatten``'s columns, with masks and counts as asked."""
    out = {}
    for name, (values, n) in columns.items():
        if n is None:
            out[name] = values
            continue
        length = values.shape[1]
        slots = np.arange(length)[None, :] < n[:, None]
        if library == "np":
            out[name] = values
            if mask:
                out[f"{name}_mask"] = slots
            if counts:
                out[f"{name}_count"] = n
            continue
        if counts:
            out[f"{name}_count"] = n
        for i in range(length):
            out[f"{name}_{i}"] = values[:, i]
        if mask:
            for i in range(length):
                out[f"{name}_mask_{i}"] = slots[:, i]
    return out if library == "np" else pd.DataFrame(out)


# --------------------------------------------------------------------------
# the readers
# --------------------------------------------------------------------------
_PARAMETERS_DOC = """files : str, path-like, list or dict
        What ``uproot.concatenate`` takes: a path, a glob (``"sig_*.root"``,
        expanded in sorted order), ``"file.root:tree"``, a list of those, or
        a dict ``{path: tree}``. The entries of several files follow each
        other in that order. A URL (``root://``, ``https://``) goes to uproot
        as it is (no glob; XRootD needs the package ``fsspec-xrootd``).
    tree : str or None, default=None
        Name of the TTree, TNtuple or RNTuple in every file (a path such as
        ``"dir/events"`` for one in a directory; ``"events;1"`` for a cycle).
        ``None``: the one named in ``files``, else the file's only TTree (or
        its only RNTuple). Naming a tree in both places is an error.
    branches : list of str or None, default=None
        Branches (or names of ``aliases``) to read, in this column order.
        ``None`` reads those that pass ``filter_name`` and
        ``filter_typename`` (all by default), followed by the aliases.
    entry_start, entry_stop : int or None, default=None
        Read only the entries ``entry_start:entry_stop`` of all files
        together (Python slice rules; negative counts from the end), before
        the cut, as ``uproot.concatenate`` does.
    cut : str or None, default=None
        An uproot expression of branches and aliases; only entries where it
        is true are kept (``"(nMuon >= 2) & (MET_pt > 20)"``).
    filter_name, filter_typename : str, list of str, callable or None
        Filters of uproot on the branch names and type names (globs such as
        ``"Muon_*"``, ``"/regex/"``, lists of them); only with
        ``branches=None``.
    aliases : dict of str to str or None, default=None
        New names for uproot expressions, usable in ``branches``, ``cut``
        and other aliases (``{"pt": "sqrt(px**2 + py**2)"}``).
    max_length : int >= 1, dict or None, default=None
        Number of columns per jagged branch: entries with fewer elements are
        padded with ``pad_value``, longer ones are clipped, so ``2`` keeps
        the first two slots (e.g. the two leading jets). A dict gives it per
        branch (``{"Jet_pt": 4, "Muon_pt": 2}``).
    pad_value : float, default=0.0
        Value of the padding slots (e.g. ``0.0`` as in the top-tagging data,
        ``np.nan`` or ``-999.0`` as a sentinel). A branch keeps its dtype
        when that holds ``pad_value`` exactly (a float branch always; an
        int32 branch with ``0`` or ``-999``; a bool one with ``0`` or ``1``)
        and becomes float64 otherwise (an integer branch with ``np.nan``).
    mask : bool, default=False
        Also return, per jagged branch, boolean columns
        ``<name>_mask_0 ... `` that are True where a slot holds a real value,
        so that padding can be told apart from a real ``pad_value``.
    counts : bool, default=False
        Also return, per jagged branch, the column ``<name>_count``: its
        number of elements in each entry, before padding or clipping.
    library : {"pd", "np"}, default="pd"
        ``"pd"`` returns DataFrames; ``"np"`` dicts from branch name to
        ndarray (shape (n_entries,) for a flat branch, (n_entries,
        max_length) for a jagged one, and ``"<name>_mask"`` and
        ``"<name>_count"`` entries with ``mask=True`` and ``counts=True``)."""

_COLUMNS_DOC = """The columns, in the order of the branches: a flat branch (one number
    per entry) is one column of its name; a jagged branch (a list per entry, e.g.
    the pT of every jet) is ``<name>_count`` (with ``counts=True``), then
    ``<name>_0 ... <name>_{L-1}`` (``L`` its ``max_length``), then
    ``<name>_mask_0 ... <name>_mask_{L-1}`` (with ``mask=True``). A TTree
    written by uproot also holds the counter branch ``n<name>`` of each
    jagged branch, read like any other with ``branches=None``. A branch that
    does not flatten into columns (an object such as a TLorentzVector, a
    record, an RNTuple collection of records, a list of lists, strings) is a
    ``ValueError`` that names it: leave it out with ``branches`` or
    ``filter_name``. The fields of an RNTuple's collection or record are
    branches of their own, named with a dot: ``branches=["Muon.pt"]`` gives
    the columns ``Muon.pt_0, Muon.pt_1, ...``."""


def _check_all(owner, files, tree, branches, kw):
    _check_options(
        owner,
        pad_value=kw["pad_value"],
        mask=kw["mask"],
        counts=kw["counts"],
        library=kw["library"],
        cut=kw["cut"],
        aliases=kw["aliases"],
    )
    max_length = _check_max_length(kw["max_length"], owner)
    filter_name = _check_filter(kw["filter_name"], "filter_name", owner)
    filter_typename = _check_filter(kw["filter_typename"], "filter_typename", owner)
    sources = _sources(
        files,
        tree,
        branches,
        filter_name,
        filter_typename,
        kw["aliases"],
        kw["cut"],
        owner,
    )
    entry_start = _check_int(kw["entry_start"], "entry_start", owner)
    entry_stop = _check_int(kw["entry_stop"], "entry_stop", owner)
    ranges = _entry_ranges(sources, entry_start, entry_stop)
    return sources, ranges, max_length


def read_root(
    files,
    tree=None,
    branches=None,
    *,
    entry_start=None,
    entry_stop=None,
    cut=None,
    filter_name=None,
    filter_typename=None,
    aliases=None,
    max_length=None,
    pad_value=0.0,
    mask=False,
    counts=False,
    library="pd",
):
    """Read ROOT trees into one table, padding jagged branches.

    Takes what ``uproot.concatenate`` takes (one or many files, globs,
    ``{file: tree}`` dicts, entry ranges, cuts, filters, aliases) and reads
    TTrees, TNtuples and RNTuples (whose fields are the branches) alike.
    :func:`iterate_root` reads the same columns in chunks of bounded size.

    {columns}

    Parameters
    ----------
    {parameters}

    Returns
    -------
    data : DataFrame or dict of ndarray

    Raises
    ------
    FileNotFoundError
        If a path is not a file or a glob matches none.
    ValueError
        For a tree or branch that is not in a file (the message lists those
        there), files whose trees differ in the branches read, a branch that
        does not flatten (named in the message) or a bad parameter.
    ImportError
        If uproot or awkward is not installed (the extra ``root``).

    See Also
    --------
    iterate_root : The same columns, chunk by chunk.
    read_hdf5 : The same for pandas-HDF5 tables.

    Notes
    -----
    With ``max_length=None`` each jagged branch gets as many columns as its
    longest entry among those read (after the cut). uproot 5.7 ignores
    ``cut`` and ``aliases`` when it reads an RNTuple; for an RNTuple they are
    evaluated here with uproot's expression language, on the fields they
    use, so that they mean the same for both kinds of tree.

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
    >>> read_root(path + ":events", filter_name="jet_*", cut="met > 15",
    ...           max_length=1, counts=True)
       jet_pt_count  jet_pt_0
    0             0       0.0
    1             3      70.0
    """
    owner = "read_root"
    kw = dict(
        entry_start=entry_start,
        entry_stop=entry_stop,
        cut=cut,
        filter_name=filter_name,
        filter_typename=filter_typename,
        aliases=aliases,
        max_length=max_length,
        pad_value=pad_value,
        mask=mask,
        counts=counts,
        library=library,
    )
    sources, ranges, max_length = _check_all(owner, files, tree, branches, kw)
    ak = _import("awkward", "root", owner)
    chunks = [
        chunk
        for source, start, stop in ranges
        for chunk in _read(source, start, stop, None, cut, aliases, owner)
    ]
    if not chunks:  # no entry in the range: the columns of an empty table
        chunks = list(_read(sources[0], 0, 0, None, cut, aliases, owner))
    arrays = chunks[0] if len(chunks) == 1 else ak.concatenate(chunks)
    used = {s.path: s for s, _, _ in ranges} or {sources[0].path: sources[0]}
    where = (
        next(iter(used.values())).where
        if len(used) == 1
        else f"the trees of {len(used)} files ({sources[0].where}, ...)"
    )
    names = sources[0].names
    columns = _flatten(ak, arrays, names, max_length, pad_value, where, owner, False)
    return _output(columns, mask, counts, library)


def iterate_root(
    files,
    tree=None,
    branches=None,
    *,
    entry_start=None,
    entry_stop=None,
    cut=None,
    filter_name=None,
    filter_typename=None,
    aliases=None,
    max_length=None,
    pad_value=0.0,
    mask=False,
    counts=False,
    library="pd",
    step_size="100 MB",
):
    """Read ROOT trees chunk by chunk, with the columns of :func:`read_root`.

    Each chunk is read with uproot's ``iterate`` (of the file's tree), so a
    file larger than the memory is read in pieces of bounded size; every
    chunk has the same columns, those ``read_root`` returns for the same
    arguments. Files, trees and branches are all checked when
    ``iterate_root`` is called, before any entry is read.

    {columns}

    Parameters
    ----------
    {parameters}
    step_size : int >= 1 or str, default="100 MB"
        Size of a chunk before the cut: a number of entries, or a memory
        size as uproot takes it (``"100 MB"``, ``"1 GB"``). A chunk holds
        entries of one file only; chunks the cut leaves empty are skipped.

    Yields
    ------
    chunk : DataFrame or dict of ndarray
        The next entries, in file order. A DataFrame's index counts the
        rows of the chunk from 0.

    Raises
    ------
    FileNotFoundError, ValueError, ImportError
        As :func:`read_root`, when called. Also a ``ValueError`` for a
        jagged branch without ``max_length`` (each chunk must have the same
        columns), raised with the first chunk.

    See Also
    --------
    read_root : All entries at once.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import uproot
    >>> from sknn_hep.datasets import iterate_root
    >>> path = os.path.join(tempfile.mkdtemp(), "events.root")
    >>> with uproot.recreate(path) as f:
    ...     f.mktree("events", {"met": "float64"}).extend({"met": np.arange(5.0)})
    >>> for chunk in iterate_root(path, "events", step_size=2, cut="met != 2"):
    ...     print(chunk["met"].tolist())
    [0.0, 1.0]
    [3.0]
    [4.0]
    """
    owner = "iterate_root"
    kw = dict(
        entry_start=entry_start,
        entry_stop=entry_stop,
        cut=cut,
        filter_name=filter_name,
        filter_typename=filter_typename,
        aliases=aliases,
        max_length=max_length,
        pad_value=pad_value,
        mask=mask,
        counts=counts,
        library=library,
    )
    step_size = _check_step_size(step_size, owner)
    sources, ranges, max_length = _check_all(owner, files, tree, branches, kw)
    return _iterate(ranges, step_size, kw, max_length, owner)


def _check_step_size(step_size, owner):
    if isinstance(step_size, str):
        uproot = _import("uproot", "root", owner)
        try:
            uproot._util.memory_size(step_size)
        except (TypeError, ValueError):
            pass
        else:
            return step_size
    elif not isinstance(step_size, bool) and isinstance(step_size, numbers.Integral):
        if step_size >= 1:
            return int(step_size)
    raise ValueError(
        f"The 'step_size' parameter of {owner} must be a number of entries (an "
        f"int >= 1) or a memory size such as '100 MB'. Got {step_size!r} instead."
    )


def _iterate(ranges, step_size, kw, max_length, owner):
    ak = _import("awkward", "root", owner)
    for source, start, stop in ranges:
        for arrays in _read(
            source, start, stop, step_size, kw["cut"], kw["aliases"], owner
        ):
            if len(arrays) == 0:
                continue
            columns = _flatten(
                ak,
                arrays,
                source.names,
                max_length,
                kw["pad_value"],
                source.where,
                owner,
                True,
            )
            yield _output(columns, kw["mask"], kw["counts"], kw["library"])


for _reader in (read_root, iterate_root):  # one text for the shared parameters
    _reader.__doc__ = _reader.__doc__.replace("{columns}", _COLUMNS_DOC).replace(
        "{parameters}", _PARAMETERS_DOC
    )
