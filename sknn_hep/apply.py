"""Apply a saved model to data files, chunk by chunk: :func:`apply_model`.

The ``sknn-hep apply`` command (``docs/cli.md``) is this function on the
command line. The choices, and why:

- **Chunks, never the whole file.** Each input is read ``chunk_size``
  events at a time (ROOT: :func:`sknn_hep.datasets.iterate_root`, on
  ``uproot.iterate``; Parquet: ``ParquetFile.iter_batches``; HDF5:
  row ranges of the pandas table, ``format="table"`` and ``"fixed"`` alike,
  or of the h5py datasets; CSV: ``pandas.read_csv(chunksize=)``). Each
  chunk is predicted and written before the next is read, so the memory
  is set by ``chunk_size`` (and the number of columns), not by the file:
  nothing concatenates the chunks.
- **One output per input, in the input's event order**, holding the id
  columns (when given) and the scores, so that it joins row by row with
  its input: a Parquet file (the default; one row group per chunk), or a
  ROOT file whose tree has the input tree's name and its number of
  entries, to use as a friend tree (``tree.AddFriend``). The output is
  ``<output_dir>/<input name without suffix>.parquet`` (or ``.root``);
  two inputs that would share an output, or an output that would be an
  input, are refused before anything is written.
- **Atomic outputs, resumable runs.** An output is written to a hidden
  temporary file in ``output_dir`` (``.<name>.<random>.tmp``), synced and
  renamed to its name when complete; a failure or Ctrl-C removes the
  temporary file. So a file under an output's name is always complete,
  and a rerun skips the inputs whose output exists (``overwrite=True``
  rewrites them). The rerun does not check that an existing output came
  from the same model: delete the outputs (or pass ``overwrite``) after
  changing the model. A process killed outright (``SIGKILL``, a node
  failure) cannot clean up: its temporary file stays, under the hidden
  name, never under the output's.
- **Checked first.** The parameters, the model (fitted; its input
  columns), every input (it exists, its format, the tree or table, the
  columns asked for) and the output folder are checked before the first
  event is predicted: a mistake costs seconds, not a half-finished job.
- **Which scores.** A classifier with ``predict_proba`` gives the
  probability of ``classes_[1]`` for two classes (one column,
  ``score``) or one column per class otherwise (``score_<class>``), in
  the order of ``classes_``; a classifier without ``predict_proba``
  gives ``decision_function`` the same way (one with neither, its
  predicted label). A regressor gives ``predict``: ``score``, or
  ``score_0, score_1, ...`` for several outputs. Why: for two classes
  the signal probability is the one number an analysis cuts on (the
  other is one minus it); with more classes no single column says it
  all, so each gets one, named so that it reads without the model. A
  :class:`~sknn_hep.neural_network.MultiTaskNeuralNet`
  gives one column per task, named by ``task_names_``:
  ``score_<task>`` (the probability of the task's second class for a
  binary task, the prediction for a regression task) and
  ``score_<task>_<class>`` per class of a multiclass task. The model
  may be a Pipeline or a cross-trained ensemble (see ``event_number``).
  ``score`` is ``score_name``. The scores keep the model's dtype.
- **Loading by content.** A model given as a path is read with
  :func:`load_model`: a safetensors file of :func:`sknn_hep.io.save`
  (no pickle) or, otherwise, a joblib file (which unpickles: only for
  files you trust), whatever its name.
"""

from __future__ import annotations

import contextlib
import inspect
import numbers
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets._readers import _listing
from .utils import output_folder_problem

__all__ = ["apply_model", "load_model"]

_OWNER = "apply_model"
_INPUT_FORMATS = ("csv", "hdf5", "parquet", "root")
_OUTPUT_SUFFIXES = {"parquet": ".parquet", "root": ".root"}
# with the config reader's suffixes (sknn_hep._config, which imports torch)
_PARQUET_SUFFIXES = {".parquet": "parquet", ".pq": "parquet"}
_DEFAULT_TREE = "events"


def load_model(path):
    """Load a model file of either format, told apart by its first bytes.

    A safetensors file (written by :func:`sknn_hep.io.save`) starts with
    the 8-byte length of its JSON header, then ``{``: it is read with
    :func:`sknn_hep.io.load`, which runs no pickle. Anything else is read
    with :func:`joblib.load`, which unpickles, and so runs code named in
    the file: only for files you trust.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    model : estimator

    Examples
    --------
    >>> import os, tempfile
    >>> import joblib
    >>> from sklearn.dummy import DummyClassifier
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = joblib.dump(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> type(load_model(path)).__name__
    'DummyClassifier'
    """
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) == 9 and head[8:9] == b"{":
        from .io import load

        return load(path)
    import joblib

    return joblib.load(path)


# -- scores -------------------------------------------------------------------
def _innermost(model):
    """The estimator at the end of Pipelines and inside sknn_hep ensembles."""
    from sklearn.pipeline import Pipeline

    while True:
        if isinstance(model, Pipeline):
            model = model.steps[-1][1]
        elif type(model).__module__.startswith("sknn_hep.ensemble") and getattr(
            model, "estimators_", None
        ):
            model = model.estimators_[0]
        else:
            return model


class _Scorer:
    """The score columns of a fitted model for a chunk of rows."""

    def __init__(self, model, score_name, event_number):
        from sklearn.base import is_classifier

        inner = _innermost(model)
        self.model = model
        self.prefix = score_name
        self.tasks = getattr(inner, "tasks_", None)
        if self.tasks is not None:
            self.kind = "multitask"
            self.method = None
            names = []
            for task, kind, classes in zip(
                inner.task_names_, self.tasks, inner.task_classes_
            ):
                if kind == "multiclass":
                    names += [f"{score_name}_{task}_{c}" for c in classes]
                else:
                    names.append(f"{score_name}_{task}")
            self.names = names
        elif is_classifier(model):
            self.kind = "classifier"
            self.method = next(
                m
                for m in ("predict_proba", "decision_function", "predict")
                if hasattr(model, m)
            )
            classes = list(model.classes_)
            self.names = (
                [score_name]  # two classes, or labels from predict
                if len(classes) == 2 or self.method == "predict"
                else [f"{score_name}_{c}" for c in classes]
            )
        else:
            self.kind = "regressor"
            self.method = "predict"
            self.names = None  # one or several outputs: known from the first chunk
        self.groups = event_number is not None
        if self.groups:
            own = getattr(model, "event_number", None)
            if own is not None or getattr(model, "prediction", None) == "average":
                why = (
                    f"reads them from its own column {own!r}"
                    if own is not None
                    else "has prediction='average'"
                )
                raise ValueError(
                    f"The 'event_number' parameter of {_OWNER} gives a "
                    f"cross-trained model its event numbers, but this "
                    f"{type(model).__name__} {why}. Got {event_number!r} "
                    "instead; leave it None."
                )
            methods = ["predict", "predict_proba"] if self.tasks else [self.method]
            for name in methods:
                method = getattr(model, name, None)
                if method is not None and (
                    "groups" not in inspect.signature(method).parameters
                ):
                    raise ValueError(
                        f"The 'event_number' parameter of {_OWNER} is for "
                        "cross-trained models, whose predictions take the event "
                        f"numbers (groups); {type(model).__name__}.{name} takes "
                        f"none. Got {event_number!r} instead; leave it None."
                    )

    def _call(self, name, X, groups):
        method = getattr(self.model, name)
        return method(X, groups=groups) if self.groups else method(X)

    def __call__(self, X, groups=None) -> dict:
        if self.kind == "multitask":
            return self._multitask(X, groups)
        out = np.asarray(self._call(self.method, X, groups))
        if self.kind == "classifier":
            if out.ndim == 2 and len(self.names) == 1:
                out = out[:, 1]  # predict_proba of two classes
            columns = [out] if out.ndim == 1 else list(out.T)
            return dict(zip(self.names, columns))
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.ndim == 1:
            names = [self.prefix]
            columns = [out]
        else:
            names = [f"{self.prefix}_{j}" for j in range(out.shape[1])]
            columns = list(out.T)
        if self.names is None:
            self.names = names
        return dict(zip(names, columns))

    def _multitask(self, X, groups) -> dict:
        probas = []
        if any(kind != "regression" for kind in self.tasks):
            probas = self._call("predict_proba", X, groups)
            probas = list(probas) if isinstance(probas, list) else [probas]
        values = None
        if "regression" in self.tasks:
            values = self._call("predict", X, groups)
        columns = []
        for j, kind in enumerate(self.tasks):
            if kind == "regression":
                columns.append(np.asarray(values[:, j], dtype=np.float64))
            elif kind == "binary":
                columns.append(probas.pop(0)[:, 1])
            else:
                columns += list(probas.pop(0).T)
        return dict(zip(self.names, columns))


# -- inputs -------------------------------------------------------------------
class _Source:
    """An input: ``columns``, ``n_rows`` (None: unknown), ``tree``, ``chunks``."""

    def missing(self, needed):
        return [c for c in needed if c not in self.columns]

    def jagged(self, needed) -> bool:
        return False

    def check(self, needed) -> None:
        """Errors that show only on reading, raised before any output."""

    def available(self) -> str:
        return _listing(self.columns)


class _CsvSource(_Source):
    def __init__(self, path, **_):
        self.path = path
        self.columns = list(pd.read_csv(path, nrows=0).columns)
        self.n_rows = None
        self.tree = None

    def chunks(self, columns, chunk_size):
        reader = pd.read_csv(self.path, usecols=columns, chunksize=chunk_size)
        empty = True
        with reader:
            for chunk in reader:
                empty = False
                yield chunk[columns]
        if empty:
            yield pd.read_csv(self.path, usecols=columns, nrows=0)[columns]


class _ParquetSource(_Source):
    def __init__(self, path, **_):
        import pyarrow.parquet as pq

        self.path = path
        with pq.ParquetFile(path) as file:  # not held open until its turn
            self.schema = file.schema_arrow
            self.n_rows = file.metadata.num_rows
        self.columns = list(self.schema.names)
        self.tree = None

    def chunks(self, columns, chunk_size):
        import pyarrow.parquet as pq

        empty = True
        with pq.ParquetFile(self.path) as file:
            for batch in file.iter_batches(batch_size=chunk_size, columns=columns):
                empty = False
                yield batch.to_pandas()[columns]
        if empty:
            yield self.schema.empty_table().select(columns).to_pandas()[columns]


class _Hdf5Source(_Source):
    """A pandas table (``format="table"`` or ``"fixed"``) or h5py datasets.

    Read in row ranges: PyTables reads only those rows of a numeric node,
    of either format. The checks (and the refusal of pickles) are those of
    :func:`~sknn_hep.datasets.read_hdf5`, made once per file.
    """

    def __init__(self, path, key=None, allow_pickle=False, **_):
        from .datasets._readers import _import, _pandas_keys, _read_h5py, _read_pandas

        h5py = _import("h5py", "hdf5", _OWNER)
        self.path, self.tree = path, None
        with h5py.File(path, "r") as handle:
            keys = _pandas_keys(handle)
            if not keys:
                self.pandas = False
                empty = _read_h5py(h5py, path, key, 0, 0, _OWNER)
                node = handle if key is None else handle[key]
                if isinstance(node, h5py.Dataset):
                    self.n_rows = len(node)
                else:
                    first = next(
                        n
                        for n in node.values()
                        if isinstance(n, h5py.Dataset) and n.ndim == 1
                    )
                    self.n_rows = len(first)
                self.key = key
                self.columns = list(empty.columns)
                self._read = lambda start, stop: _read_h5py(
                    h5py, path, key, start, stop, _OWNER
                )
                return
        self.pandas = True
        _import("tables", "hdf5", _OWNER)
        # resolves the key and refuses pickles as read_hdf5 does
        empty = _read_pandas(h5py, path, key, keys, 0, 0, _OWNER, allow_pickle)
        self.key = keys[0] if key is None else key
        with pd.HDFStore(path, "r") as store:
            storer = store.get_storer(self.key)
            if not isinstance(empty, pd.DataFrame):
                raise ValueError(
                    f"{_OWNER}: {self.key!r} in {path!r} is a pandas "
                    f"{type(empty).__name__}, not a DataFrame."
                )
            self.n_rows = storer.nrows if storer.is_table else _fixed_rows(storer)
        self.columns = list(empty.columns)

    def chunks(self, columns, chunk_size):
        if self.n_rows == 0:
            yield self._rows(None, 0, 0)[columns]
            return
        store = pd.HDFStore(self.path, "r") if self.pandas else None
        try:
            for start in range(0, self.n_rows, chunk_size):
                yield self._rows(store, start, start + chunk_size)[columns]
        finally:
            if store is not None:
                store.close()

    def _rows(self, store, start, stop):
        if not self.pandas:
            return self._read(start, stop)
        if store is None:
            return pd.read_hdf(self.path, key=self.key, start=start, stop=stop)
        return store.select(self.key, start=start, stop=stop)


# the columns read_root makes of a jagged branch, tried in this order
_SLOTS = (
    ("mask", re.compile(r"^(.+)_mask_(\d+)$")),
    ("slot", re.compile(r"^(.+)_(\d+)$")),
    ("count", re.compile(r"^(.+)_count$")),
)


class _RootSource(_Source):
    """A TTree or RNTuple, read with :func:`~sknn_hep.datasets.iterate_root`.

    A column is a top-level branch, or a column :func:`read_root` makes of a
    jagged branch ``b``: ``b_<i>``, ``b_mask_<i>``, ``b_count``. A jagged
    branch is read with ``max_length`` one more than the highest slot
    asked for, which gives the columns of any larger ``max_length`` it was
    trained with, and ``pad_value``.
    """

    def __init__(self, path, tree=None, pad_value=None, **_):
        from .datasets._readers import _import
        from .datasets._root_files import _find_tree

        uproot = _import("uproot", "root", _OWNER)
        self.path = path
        self.pad_value = pad_value
        with uproot.open(path) as file:
            obj = _find_tree(file, tree, str(path), _OWNER)
            self.tree = obj.object_path.lstrip("/").rsplit(";", 1)[0]
            self.n_rows = int(obj.num_entries)
            self.columns = list(obj.keys(recursive=False))

    def _branch(self, column):
        """(branch, slot or None, kind) of a column; None if it is not there."""
        if column in self.columns:
            return column, None, "flat"
        for kind, pattern in _SLOTS:
            match = pattern.match(column)
            if match is not None and match[1] in self.columns:
                slot = int(match[2]) if kind != "count" else None
                return match[1], slot, kind
        return None

    def missing(self, needed):
        return [c for c in needed if self._branch(c) is None]

    def jagged(self, needed) -> bool:
        return any(self._branch(c)[2] != "flat" for c in needed)

    def available(self) -> str:
        return (
            f"{_listing(self.columns)} (a jagged branch b also gives b_0, b_1, "
            "..., b_mask_0, ..., b_count)"
        )

    def check(self, needed):
        """Read one entry, so that a branch that cannot give its columns (a
        flat one named as a jagged one's slot, a jagged one named whole, one
        nested deeper) is an error before any output is written."""
        if self.n_rows:
            with contextlib.closing(self.chunks(needed, 1, entry_stop=1)) as chunks:
                next(chunks)

    def chunks(self, columns, chunk_size, entry_stop=None):
        from .datasets import iterate_root

        branches, max_length, kinds = [], {}, set()
        for column in columns:
            branch, slot, kind = self._branch(column)
            if branch not in branches:
                branches.append(branch)
            kinds.add(kind)
            if kind != "flat":
                max_length[branch] = max(max_length.get(branch, 1), (slot or 0) + 1)
        options = {}
        if max_length:
            options = {
                "max_length": max_length,
                "mask": "mask" in kinds,
                "counts": "count" in kinds,
            }
            if self.pad_value is not None:
                options["pad_value"] = self.pad_value
        if entry_stop is not None:
            options["entry_stop"] = entry_stop
        chunks = iterate_root(
            self.path, self.tree, branches, step_size=chunk_size, **options
        )
        empty = True
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except ValueError as exc:
                raise ValueError(f"{_OWNER}: {exc}") from None
            empty = False
            lost = [c for c in columns if c not in chunk.columns]
            if lost:
                raise ValueError(
                    f"{_OWNER}: the column(s) {lost} are not among those "
                    f"read_root makes of the tree {self.tree!r} of "
                    f"{str(self.path)!r}: {_listing(chunk.columns)}."
                )
            yield chunk[columns]
        if empty:
            yield pd.DataFrame({c: np.empty(0) for c in columns})


def _fixed_rows(storer) -> int:
    """The rows of a ``format="fixed"`` DataFrame: the length of its index."""
    group = storer.group
    # axis1 is the index; a MultiIndex is stored as levels and labels
    node = group.axis1 if "axis1" in group else group.axis1_label0
    return int(node.shape[0])


_SOURCES = {
    "csv": _CsvSource,
    "parquet": _ParquetSource,
    "hdf5": _Hdf5Source,
    "root": _RootSource,
}


# -- outputs ------------------------------------------------------------------
class _ParquetSink:
    def __init__(self, path, tree=None):
        self.path = path
        self.writer = None
        self.schema = None

    def write(self, columns: dict):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(columns)
        if self.writer is None:
            self.schema = table.schema
            self.writer = pq.ParquetWriter(self.path, self.schema)
        elif table.schema != self.schema:
            try:
                table = table.cast(self.schema)
            except (pa.ArrowInvalid, ValueError) as exc:
                first = ", ".join(f"{f.name}: {f.type}" for f in self.schema)
                raise ValueError(
                    f"{_OWNER}: a column changed type between chunks (e.g. "
                    "integers, then a missing value in a CSV file) and cannot be "
                    f"converted back ({exc}); the first chunk's types: {first}."
                ) from None
        self.writer.write_table(table)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class _RootSink:
    def __init__(self, path, tree):
        import uproot

        self.tree = tree
        self.file = uproot.recreate(path)
        self.branches = None

    def write(self, columns: dict):
        if self.branches is None:
            types = {}
            for name, values in columns.items():
                dtype = np.asarray(values).dtype
                if dtype.kind not in "biuf":
                    if len(values):
                        raise ValueError(
                            f"{_OWNER}: the column {name!r} holds {dtype} values, "
                            "which a ROOT branch cannot hold; use "
                            "output_format='parquet'."
                        )
                    dtype = np.dtype(np.float64)
                types[name] = dtype
            self.file.mktree(self.tree, types)
            self.branches = types
        arrays = {}
        for name, values in columns.items():
            values = np.asarray(values)
            dtype = self.branches[name]
            if len(values) and not np.can_cast(values.dtype, dtype, "safe"):
                raise ValueError(
                    f"{_OWNER}: the column {name!r} changed type between chunks, "
                    f"from {dtype} to {values.dtype} (e.g. integers, then a missing "
                    "value in a CSV file), which its ROOT branch cannot hold."
                )
            arrays[name] = np.ascontiguousarray(values, dtype=dtype)
        self.file[self.tree].extend(arrays)

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


_SINKS = {"parquet": _ParquetSink, "root": _RootSink}


def _publish(tmp: str, path: Path) -> None:
    """Sync the finished temporary file and rename it to ``path`` (atomic)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if os.name == "posix":  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- checks -------------------------------------------------------------------
def _check_params(**params):
    chunk_size = params["chunk_size"]
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, numbers.Integral)
        or chunk_size < 1
    ):
        raise ValueError(
            f"The 'chunk_size' parameter of {_OWNER} must be an int >= 1. "
            f"Got {chunk_size!r} instead."
        )
    for name, options in (
        ("output_format", tuple(_OUTPUT_SUFFIXES)),
        ("input_format", (*_INPUT_FORMATS, None)),
    ):
        if params[name] not in options:
            raise ValueError(
                f"The '{name}' parameter of {_OWNER} must be one of "
                f"{list(options)}. Got {params[name]!r} instead."
            )
    for name in ("score_name", "tree", "key", "event_number"):
        value = params[name]
        if name == "score_name" or value is not None:
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"The '{name}' parameter of {_OWNER} must be a non-empty str"
                    f"{'' if name == 'score_name' else ' or None'}. "
                    f"Got {value!r} instead."
                )
    pad_value = params["pad_value"]
    if pad_value is not None and (
        isinstance(pad_value, bool) or not isinstance(pad_value, numbers.Real)
    ):
        raise ValueError(
            f"The 'pad_value' parameter of {_OWNER} must be a real number or None. "
            f"Got {pad_value!r} instead."
        )
    for name in ("overwrite", "progress", "allow_pickle"):
        if not isinstance(params[name], (bool, np.bool_)):
            raise ValueError(
                f"The '{name}' parameter of {_OWNER} must be a bool. "
                f"Got {params[name]!r} instead."
            )


def _column_list(value, name):
    """A list of column names from a str (one column) or a list of str."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    try:
        values = list(values)
    except TypeError:
        values = None
    if values is None or not all(isinstance(v, str) and v for v in values):
        raise ValueError(
            f"The '{name}' parameter of {_OWNER} must be a column name or a list "
            f"of column names. Got {value!r} instead."
        )
    if len(set(values)) != len(values):
        raise ValueError(
            f"The '{name}' parameter of {_OWNER} names a column twice. "
            f"Got {value!r} instead."
        )
    return values


def _input_list(inputs):
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    try:
        paths = list(inputs)
    except TypeError:
        paths = None
    if not paths or not all(isinstance(p, (str, os.PathLike)) for p in paths):
        raise ValueError(
            f"The 'inputs' parameter of {_OWNER} must be a path or a non-empty list "
            f"of paths. Got {inputs!r} instead."
        )
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{_OWNER}: no such input file: {str(path)!r}")
    return paths


def _input_format(path: Path, input_format):
    if input_format is not None:
        return input_format
    from ._config import _SUFFIXES

    known = {**_SUFFIXES, **_PARQUET_SUFFIXES}
    suffix = path.suffix.lower()
    if suffix not in known:
        raise ValueError(
            f"{_OWNER}: cannot tell the format of {str(path)!r} from its suffix "
            f"(known: {', '.join(sorted(known))}); pass input_format, "
            f"one of {list(_INPUT_FORMATS)}."
        )
    return known[suffix]


def _output_name(path: Path, output_format: str) -> str:
    """The output's file name for the input ``path``: its name, new suffix."""
    name = path.name
    stem = name[: -len(path.suffix)] if path.suffix else name
    if path.suffix.lower() == ".gz" and stem.lower().endswith(".csv"):
        stem = stem[:-4]
    return stem + _OUTPUT_SUFFIXES[output_format]


def _check_output_dir(output_dir) -> Path:
    if not isinstance(output_dir, (str, os.PathLike)):
        raise ValueError(
            f"The 'output_dir' parameter of {_OWNER} must be a path. "
            f"Got {output_dir!r} instead."
        )
    out = Path(output_dir)
    problem = output_folder_problem(out)
    if problem is not None:
        verb, reason = problem
        error = ValueError if verb == "made" else PermissionError
        raise error(
            f"The 'output_dir' parameter of {_OWNER}: {str(out)!r} cannot be "
            f"{verb}: {reason}."
        )
    return out


def _plan(inputs, output_dir, output_format):
    """The output of each input; refuses shared outputs and outputs over inputs."""
    outputs = [output_dir / _output_name(p, output_format) for p in inputs]
    seen = {}
    for path, out in zip(inputs, outputs):
        if out in seen:
            raise ValueError(
                f"{_OWNER}: the inputs {str(seen[out])!r} and {str(path)!r} would "
                f"both be written to {str(out)!r}; apply them into separate "
                "output folders."
            )
        seen[out] = path
        if out.is_dir():
            raise ValueError(
                f"{_OWNER}: the output {str(out)!r} of {str(path)!r} is a folder."
            )
    resolved = {p.resolve() for p in inputs}
    for path, out in zip(inputs, outputs):
        if out.resolve() in resolved:
            raise ValueError(
                f"{_OWNER}: the output of {str(path)!r} would be {str(out)!r}, an "
                "input; choose another output_dir or output_format."
            )
    return outputs


# -- the function ---------------------------------------------------------------
def apply_model(
    model,
    inputs,
    output_dir,
    *,
    columns=None,
    id_columns=None,
    event_number=None,
    score_name="score",
    output_format="parquet",
    input_format=None,
    chunk_size=100_000,
    tree=None,
    pad_value=None,
    key=None,
    allow_pickle=False,
    overwrite=False,
    progress=True,
):
    """Score the events of data files with a fitted model, chunk by chunk.

    Each input file is read ``chunk_size`` events at a time, the model
    predicts each chunk, and the scores (with the id columns) are written
    to one output file per input, in the input's event order. Memory use
    is set by ``chunk_size``, not by the size of the files. Each output is
    written to a temporary file and renamed when complete, so an
    interrupted run leaves no partial output, and a rerun skips the inputs
    whose output exists.

    Parameters
    ----------
    model : estimator, str or path-like
        A fitted model (a Pipeline, a network, a cross-trained ensemble), or
        a file of one: a safetensors file of :func:`sknn_hep.io.save` or a
        joblib file, told apart by content (:func:`load_model`; joblib
        unpickles: only files you trust).
    inputs : str, path-like or list of them
        The data files: ROOT (``.root``), Parquet (``.parquet``, ``.pq``),
        HDF5 (``.h5``, ``.hdf5``, ``.hdf``) or CSV (``.csv``, ``.csv.gz``),
        the format from the suffix unless ``input_format`` is given. The
        columns of a ROOT tree are those of
        :func:`~sknn_hep.datasets.read_root`: a flat branch, or ``b_<i>``,
        ``b_mask_<i>`` and ``b_count`` of a jagged branch ``b`` (read with
        ``max_length`` one more than the highest ``i`` asked for).
    output_dir : str or path-like
        The folder of the outputs (made if needed). The output of
        ``dir/name.root`` is ``output_dir/name.parquet`` (or ``.root``).
    columns : list of str or None, default=None
        The input columns the model reads, one per feature, in the model's
        order. ``None``: the model's ``feature_names_in_`` (set when it was
        fitted on a DataFrame). Columns named otherwise than the model's
        features are given to it under the features' names (for files whose
        branches are named differently); their number must be the model's
        ``n_features_in_``.
    id_columns : str, list of str or None, default=None
        Columns copied from each input to its output, in front of the scores
        (e.g. run and event numbers), to join the two by value. ``None``:
        none; the outputs still follow the inputs' event order.
    event_number : str or None, default=None
        For a cross-trained model that takes the event numbers as ``groups``
        (:class:`~sknn_hep.ensemble.CrossTrainingClassifier` fitted without
        an ``event_number`` column): the column holding them, so that each
        event is scored by the clone that never saw its fold. Without it
        such a model gives every event the average of its clones. A model
        that takes no ``groups`` refuses it.
    score_name : str, default="score"
        The name of the score column, the prefix of several (see Notes).
    output_format : {"parquet", "root"}, default="parquet"
        Parquet (one row group per chunk), or ROOT (a TTree named as the
        input's tree, ``tree`` or ``"events"`` for other inputs, with the
        input's number of entries: a friend tree of an input TTree; for an
        input RNTuple, which takes no friends, a TTree all the same).
    input_format : {"csv", "hdf5", "parquet", "root"} or None, default=None
        The format of every input; ``None`` tells it from each suffix.
    chunk_size : int, default=100_000
        Events read, predicted and written at a time (Parquet inputs may
        give fewer, at their row-group boundaries).
    tree : str or None, default=None
        The tree (TTree or RNTuple) of the ROOT inputs; ``None`` takes the
        file's only tree. Also names the tree of ROOT outputs. Refused when
        no input is ROOT and the output is Parquet.
    pad_value : float or None, default=None
        For ROOT inputs, the padding of jagged branches, as in
        :func:`~sknn_hep.datasets.read_root` (``None``: its default,
        ``0.0``); use the value the model was trained with. Refused when no
        column of a jagged branch is read.
    key : str or None, default=None
        The table of the HDF5 inputs, as in
        :func:`~sknn_hep.datasets.read_hdf5` (``None``: the file's only
        one). Refused when no input is HDF5.
    allow_pickle : bool, default=False
        Read HDF5 tables holding pickled objects, as in
        :func:`~sknn_hep.datasets.read_hdf5` (unpickling runs code named in
        the file). Refused when no input is HDF5.
    overwrite : bool, default=False
        Rewrite outputs that exist; by default they are skipped.
    progress : bool, default=True
        Show tqdm progress bars (over the files, and over the events of the
        file being scored).

    Returns
    -------
    outputs : list of Path
        The output of each input, in the order of ``inputs``: written now,
        or skipped because it existed.

    Raises
    ------
    ValueError
        For a bad parameter, an unfitted model, a model without
        ``feature_names_in_`` and no ``columns``, an input lacking a column,
        tree or table, inputs sharing an output, an output that would be an
        input, an HDF5 table with pickles (``allow_pickle=False``), a score
        column named as an id column.
    FileNotFoundError
        For an input that does not exist.

    See Also
    --------
    load_model : Read a model file of either format.
    sknn_hep.datasets.iterate_root : The chunked ROOT reader used here.

    Notes
    -----
    The score columns: a classifier with ``predict_proba`` gives the
    probability of ``classes_[1]`` for two classes (``score``), else one
    column per class (``score_<class>``, in the order of ``classes_``);
    one without ``predict_proba`` gives ``decision_function`` the same way
    (one with neither, its predicted label, ``score``); a regressor gives
    ``predict`` (``score``, or ``score_0, score_1, ...`` for several
    outputs); a
    :class:`~sknn_hep.neural_network.MultiTaskNeuralNet` one column per
    binary or regression task (``score_<task>``, from ``task_names_``) and
    one per class of a multiclass task (``score_<task>_<class>``).

    A rerun does not check that an existing output came from the same
    model: after changing it, pass ``overwrite=True`` or use another
    ``output_dir``.

    Memory: each chunk is read, predicted and written before the next, so
    the memory is set by ``chunk_size`` times the columns read. One
    exception: a ``format="fixed"`` HDF5 table with text columns (read with
    ``allow_pickle=True``) keeps them in one pickled node, which PyTables
    reads whole for every chunk; rewrite such a file with
    ``format="table"``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> from sknn_hep.apply import apply_model
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["x0", "x1"])
    >>> y = (X["x0"] > 0).astype(int)
    >>> model = NeuralClassifier(n_layers=1, n_units=8, max_epochs=2,
    ...                          verbose=0, random_state=0).fit(X, y)
    >>> folder = tempfile.mkdtemp()
    >>> data = os.path.join(folder, "events.csv")
    >>> X.assign(event=np.arange(200)).to_csv(data, index=False)
    >>> [out] = apply_model(model, data, os.path.join(folder, "scores"),
    ...                     id_columns="event", chunk_size=64, progress=False)
    >>> out.name
    'events.parquet'
    >>> scores = pd.read_parquet(out)
    >>> scores.columns.tolist(), len(scores)
    (['event', 'score'], 200)
    >>> bool(np.allclose(scores["score"], model.predict_proba(X)[:, 1]))
    True
    """
    _check_params(
        chunk_size=chunk_size,
        output_format=output_format,
        input_format=input_format,
        score_name=score_name,
        tree=tree,
        pad_value=pad_value,
        key=key,
        event_number=event_number,
        overwrite=overwrite,
        progress=progress,
        allow_pickle=allow_pickle,
    )
    plan = _prepare(
        model,
        inputs,
        output_dir,
        columns=columns,
        id_columns=id_columns,
        event_number=event_number,
        score_name=score_name,
        output_format=output_format,
        input_format=input_format,
        chunk_size=int(chunk_size),
        tree=tree,
        pad_value=pad_value,
        key=key,
        allow_pickle=bool(allow_pickle),
        overwrite=bool(overwrite),
        progress=bool(progress),
    )
    return _run(plan)


def _prepare(model, inputs, output_dir, **options) -> dict:
    """Every check of :func:`apply_model` but those of the parameters' types.

    Loads the model, opens the inputs still to be written (format, tree or
    table, columns) and checks the output folder; writes nothing. Returns
    the plan that :func:`_run` carries out.
    """
    from sklearn.utils.validation import check_is_fitted

    o = options
    paths = _input_list(inputs)
    formats = [_input_format(p, o["input_format"]) for p in paths]
    for name, owner, value in (
        ("key", "hdf5", o["key"]),
        ("allow_pickle", "hdf5", o["allow_pickle"] or None),
        ("tree", "root", o["tree"]),
    ):
        used = owner in formats or (name == "tree" and o["output_format"] == "root")
        if value is not None and not used:
            raise ValueError(
                f"The '{name}' parameter of {_OWNER} is for {owner} inputs; none of "
                f"the inputs is one. Got {value!r} instead."
            )
    out_dir = _check_output_dir(output_dir)
    outputs = _plan(paths, out_dir, o["output_format"])

    if isinstance(model, (str, os.PathLike)):
        if not Path(model).is_file():
            raise FileNotFoundError(f"{_OWNER}: no such model file: {str(model)!r}")
        model = load_model(model)
    if not hasattr(model, "predict"):
        raise ValueError(
            f"The 'model' parameter of {_OWNER} must be a fitted estimator or a "
            f"model file. Got {type(model).__name__} instead."
        )
    check_is_fitted(model)
    columns = _column_list(o["columns"], "columns")
    names = getattr(model, "feature_names_in_", None)
    features = None if names is None else [str(c) for c in names]
    if columns is None:
        if features is None:
            raise ValueError(
                f"{_OWNER}: {type(model).__name__} was fitted without column names "
                "(no feature_names_in_); pass columns, the names of its input "
                "columns in order."
            )
        columns = features
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and len(columns) != n_features:
        raise ValueError(
            f"The 'columns' parameter of {_OWNER} must name the model's "
            f"{n_features} input columns, in order"
            + (f" ({features})" if features is not None else "")
            + f". Got {len(columns)}: {columns!r} instead."
        )
    ids = _column_list(o["id_columns"], "id_columns") or []
    scorer = _Scorer(model, o["score_name"], o["event_number"])
    clash = [n for n in scorer.names or [] if n in ids]
    if clash:
        raise ValueError(
            f"{_OWNER}: the score column(s) {clash} would be named as id columns; "
            "pass another score_name."
        )
    extra = [o["event_number"]] if o["event_number"] is not None else []
    needed = list(dict.fromkeys([*columns, *ids, *extra]))

    # open every input still to be written: its format, tree or table, columns
    todo = []
    for path, fmt, out in zip(paths, formats, outputs):
        if out.exists() and not o["overwrite"]:
            todo.append((path, out, None))
            continue
        source = _open_source(path, fmt, o)
        missing = source.missing(needed)
        if missing:
            raise ValueError(
                f"{_OWNER}: column(s) {missing} not in {str(path)!r}; its columns: "
                f"{source.available()}."
            )
        source.check(needed)
        todo.append((path, out, source))
    if o["pad_value"] is not None and not any(
        source.jagged(needed) for _, _, source in todo if source is not None
    ):
        raise ValueError(
            f"The 'pad_value' parameter of {_OWNER} is for columns of jagged ROOT "
            f"branches; none is read. Got {o['pad_value']!r} instead."
        )
    return {
        "todo": todo,
        "outputs": outputs,
        "output_dir": out_dir,
        "scorer": scorer,
        "columns": columns,
        # the model's names for the columns read (renamed when they differ)
        "features": features if features != columns else None,
        "needed": needed,
        "ids": ids,
        "options": o,
    }


def _run(plan: dict, report=None) -> list:
    """Write the outputs of a plan of :func:`_prepare`; return all outputs.

    ``report(input, output, written)`` is called as each input is done.
    """
    from tqdm.auto import tqdm

    o = plan["options"]
    plan["output_dir"].mkdir(parents=True, exist_ok=True)
    with tqdm(
        total=len(plan["todo"]), unit="file", disable=not o["progress"], desc="apply"
    ) as files:
        for path, out, source in plan["todo"]:
            if source is not None:
                try:
                    _write_one(source, out, plan, tqdm)
                except Exception as exc:
                    exc.add_note(f"{_OWNER}: while scoring {str(path)!r}")
                    plan["failed"] = path
                    raise
            files.update(1)
            if report is not None:
                report(path, out, source is not None)
    return plan["outputs"]


def _open_source(path: Path, fmt: str, o: dict):
    try:
        return _SOURCES[fmt](
            path,
            tree=o["tree"],
            key=o["key"],
            allow_pickle=o["allow_pickle"],
            pad_value=o["pad_value"],
        )
    except (ValueError, OSError, KeyError) as exc:
        if str(path) in str(exc):
            raise  # our checks, which name the file
        raise ValueError(
            f"{_OWNER}: cannot read {str(path)!r} as {fmt}: {type(exc).__name__}: {exc}"
        ) from exc


def _write_one(source, out: Path, plan: dict, tqdm):
    """Score one input into a temporary file; rename it to ``out`` when done."""
    o, scorer, columns, ids = (
        plan["options"],
        plan["scorer"],
        plan["columns"],
        plan["ids"],
    )
    fmt = o["output_format"]
    tree = source.tree or o["tree"] or _DEFAULT_TREE
    needed = plan["needed"]
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    sink = None
    try:
        sink = _SINKS[fmt](tmp, tree)
        n_rows = 0
        with (
            tqdm(
                total=source.n_rows,
                unit="event",
                unit_scale=True,
                leave=False,
                disable=not o["progress"],
                desc=source.path.name,
            ) as bar,
            contextlib.closing(source.chunks(needed, o["chunk_size"])) as chunks,
        ):
            for chunk in chunks:
                result = {c: chunk[c].to_numpy() for c in ids}
                if len(chunk):
                    groups = (
                        chunk[o["event_number"]].to_numpy()
                        if o["event_number"] is not None
                        else None
                    )
                    X = chunk[columns]
                    if plan["features"] is not None:
                        X.columns = plan["features"]
                    scores = scorer(X, groups)
                else:
                    scores = {n: np.empty(0) for n in scorer.names or [o["score_name"]]}
                clash = [n for n in scores if n in result]
                if clash:
                    raise ValueError(
                        f"{_OWNER}: the score column(s) {clash} would be named as id "
                        "columns; pass another score_name."
                    )
                result.update(scores)
                sink.write(result)
                n_rows += len(chunk)
                bar.update(len(chunk))
                del chunk, result, scores
        sink.close()
        if source.n_rows is not None and n_rows != source.n_rows:
            raise RuntimeError(
                f"{_OWNER}: read {n_rows} events of {str(source.path)!r}, which "
                f"holds {source.n_rows}; no output written."
            )
        _publish(tmp, out)
    except BaseException:
        if sink is not None:
            try:
                sink.close()
            except Exception:  # noqa: BLE001, S110 - the first error matters
                pass
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
