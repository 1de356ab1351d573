"""Files, trees and entries of the ROOT readers (``_root.py``).

Resolves what ``uproot.concatenate`` takes into (file, tree) pairs, checks
every tree, branch and expression before an entry is read, maps a global
entry range onto the files, and reads awkward arrays per file (in chunks
for ``iterate_root``). uproot 5.7 ignores ``cut`` and ``aliases`` when it
reads an RNTuple: they are evaluated here with uproot's own expression
language, so they mean the same for both kinds of tree.
"""

from __future__ import annotations

import glob
import os
import re

from ._readers import _import, _listing

# a URL (root://, https://, s3://): opened by uproot, not looked for on disk
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: The classes read as trees (TNtupleD starts with "TNtuple").
_TREE_CLASSES = ("TTree", "TNtuple", "ROOT::RNTuple")


# --------------------------------------------------------------------------
# files and trees
# --------------------------------------------------------------------------
def _split_object_path(spec):
    """``"file.root:tree"`` -> (path, tree); a path that exists is not split."""
    if os.path.exists(spec) or ":" not in spec:
        return spec, None
    uproot = _import("uproot", "root", "read_root")
    return uproot._util.file_object_path_split(spec)


def _resolve_files(files, tree, owner):
    """``files`` and ``tree`` as a list of (path, tree name or None)."""
    if tree is not None and not isinstance(tree, str):
        raise TypeError(
            f"The 'tree' parameter of {owner} must be a str or None. "
            f"Got {tree!r} instead."
        )
    what = "a path, a glob, 'file.root:tree', a list of those or a dict {path: tree}"
    if isinstance(files, (str, os.PathLike)):
        specs = [(files, None)]
    elif isinstance(files, dict):
        specs = list(files.items())
        for path, name in specs:
            if name is not None and not isinstance(name, str):
                raise TypeError(
                    f"The 'files' parameter of {owner}: the tree of {path!r} must "
                    f"be a str. Got {name!r} instead."
                )
    elif isinstance(files, (list, tuple)):
        specs = [(f, None) for f in files]
    else:
        raise TypeError(
            f"The 'files' parameter of {owner} must be {what}. Got {files!r} instead."
        )
    if not specs:
        raise ValueError(f"The 'files' parameter of {owner} names no file.")
    resolved = []
    for spec, name in specs:
        if not isinstance(spec, (str, os.PathLike)):
            raise TypeError(
                f"The 'files' parameter of {owner} must be {what}. "
                f"Got the item {spec!r} instead."
            )
        spec = os.fspath(spec)
        path, inline = _split_object_path(spec)
        given = [n for n in (name, inline, tree) if n is not None]
        if len(set(given)) > 1:
            raise ValueError(
                f"The 'tree' parameter of {owner}: {spec!r} names the tree "
                f"{given[0]!r} and also {given[1]!r}; name it once."
            )
        name = given[0] if given else None
        if _URL.match(path) and not path.startswith("file://"):
            resolved.append((path, name))  # remote: uproot opens it (no glob)
            continue
        if path.startswith("file://"):
            path = path[len("file://") :]
        if glob.has_magic(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise FileNotFoundError(f"{owner}: no file matches {path!r}")
            resolved.extend((m, name) for m in matches if os.path.isfile(m))
        elif not os.path.isfile(path):
            raise FileNotFoundError(f"{owner}: no such file: {path!r}")
        else:
            resolved.append((path, name))
    return resolved


def _trees_in(file):
    """{name (no cycle): classname} and the same with cycles."""
    with_cycle = {
        k: c
        for k, c in file.classnames(cycle=True).items()
        if c.startswith(_TREE_CLASSES)
    }
    plain = {k.rsplit(";", 1)[0]: c for k, c in with_cycle.items()}
    return plain, with_cycle


def _find_tree(file, name, path, owner):
    """The tree object named ``name`` (None: the file's only tree)."""
    plain, with_cycle = _trees_in(file)
    if name is None:
        ttrees = [k for k, c in plain.items() if not c.startswith("ROOT::RNTuple")]
        candidates = ttrees or list(plain)
        if len(candidates) != 1:
            raise ValueError(
                f"The 'tree' parameter of {owner} is needed: {path!r} holds "
                f"{len(plain)} trees {_listing(plain)}."
            )
        name = candidates[0]
    elif name.lstrip("/") not in (with_cycle if ";" in name else plain):
        raise ValueError(
            f"The 'tree' parameter of {owner}: no TTree, TNtuple or RNTuple "
            f"{name!r} in {path!r}; the file holds {_listing(plain)}."
        )
    return file[name]


def _is_rntuple(obj):
    return type(obj).__name__.startswith("Model_ROOT_3a3a_RNTuple")


def _top_keys(obj, filter_name, filter_typename):
    kwargs = {}
    if filter_name is not None:
        kwargs["filter_name"] = filter_name
    if filter_typename is not None:
        kwargs["filter_typename"] = filter_typename
    return list(obj.keys(recursive=False, **kwargs))


def _branch_names(obj, branches, filter_name, filter_typename, aliases, where, owner):
    """The columns to read from ``obj``: branches and aliases, checked."""
    available = _top_keys(obj, None, None)
    aliases = aliases or {}
    if branches is None:
        names = _top_keys(obj, filter_name, filter_typename)
        if _is_rntuple(obj) and (filter_name or filter_typename) is not None:
            # subfields the filters name ("Muon.pt"), if their field is not read
            kwargs = {"filter_name": filter_name, "filter_typename": filter_typename}
            names += [
                k
                for k in obj.keys(**{n: v for n, v in kwargs.items() if v is not None})
                if "." in k and k.split(".", 1)[0] not in names
            ]
        if not names and (filter_name is not None or filter_typename is not None):
            raise ValueError(
                f"The 'filter_name'/'filter_typename' parameters of {owner} "
                f"({filter_name!r}, {filter_typename!r}) select no branch of "
                f"{where}; its branches are {_listing(available)}."
            )
        return names + [a for a in aliases if a not in names]
    nested = set(obj.keys())  # also an RNTuple's subfields ("Muon.pt")
    missing = [
        b
        for b in branches
        if b not in available and b not in nested and b not in aliases
    ]
    if missing:
        raise ValueError(
            f"The 'branches' parameter of {owner}: {missing} not in {where}; its "
            f"branches are {_listing(available)}"
            + (f" and its aliases {_listing(aliases)}." if aliases else ".")
        )
    return list(branches)


def _check_expressions(obj, cut, aliases, where, owner):
    """Every name in ``cut`` and ``aliases`` is a branch, alias or function."""
    from uproot.language.python import python_language

    aliases = aliases or {}
    keys = set(obj.keys()) | set(aliases)
    checks = [(f"aliases[{k!r}]", "aliases", v) for k, v in aliases.items()]
    if cut is not None:
        checks.append(("cut", "cut", cut))
    for shown, parameter, expression in checks:
        try:
            python_language.free_symbols(expression, keys, list(aliases), "", where)
        except (KeyError, SyntaxError) as exc:
            name = getattr(exc, "key", None)
            why = (
                f"uses {name!r}, which is not a branch of {where}, an alias or a "
                "function of uproot's expressions"
                if name is not None
                else f"is not a valid expression ({str(exc).splitlines()[0]})"
            )
            raise ValueError(
                f"The {parameter!r} parameter of {owner}: {shown} = "
                f"{expression!r} {why}; the branches are "
                f"{_listing(_top_keys(obj, None, None))}."
            ) from None


class _Source:
    """One tree of one file: where it is, its entries, the names to read."""

    def __init__(self, path, tree, obj, names):
        self.path, self.tree, self.names = path, tree, names
        self.where = f"tree {tree.lstrip('/')!r} of {path!r}"
        self.num_entries = int(obj.num_entries)
        self.rntuple = _is_rntuple(obj)


def _sources(files, tree, branches, filter_name, filter_typename, aliases, cut, owner):
    """Resolve and open every file once: its tree, entries and branch names."""
    uproot = _import("uproot", "root", owner)
    _import("awkward", "root", owner)
    if branches is not None:
        if isinstance(branches, str):
            branches = [branches]
        if not isinstance(branches, (list, tuple)) or not all(
            isinstance(b, str) for b in branches
        ):
            raise ValueError(
                f"The 'branches' parameter of {owner} must be a list of branch "
                f"names or None. Got {branches!r} instead."
            )
        if filter_name is not None or filter_typename is not None:
            raise ValueError(
                f"Pass either 'branches' or 'filter_name'/'filter_typename' to "
                f"{owner}, not both (uproot ignores the filters when branches are "
                f"named). Got branches={branches!r}, filter_name={filter_name!r}, "
                f"filter_typename={filter_typename!r}."
            )
    sources = []
    for path, name in _resolve_files(files, tree, owner):
        with uproot.open(path) as file:
            obj = _find_tree(file, name, path, owner)
            shown = name or obj.object_path.lstrip("/").rsplit(";", 1)[0]
            where = f"tree {shown!r} of {path!r}"
            names = _branch_names(
                obj, branches, filter_name, filter_typename, aliases, where, owner
            )
            _check_expressions(obj, cut, aliases, where, owner)
            source = _Source(path, name or obj.object_path.lstrip("/"), obj, names)
            source.where = where
        if sources and source.names != sources[0].names:
            first = sources[0]
            lost = [n for n in first.names if n not in source.names]
            extra = [n for n in source.names if n not in first.names]
            diff = " and ".join(
                f"{verb} {names}"
                for verb, names in (("lacks", lost), ("has", extra))
                if names
            )
            raise ValueError(
                f"{owner}: the files differ in their branches: {source.where} "
                f"{diff or 'orders them differently'} compared with "
                f"{first.where}; choose common ones with 'branches' or "
                "'filter_name'."
            )
        sources.append(source)
    if not sources:
        raise FileNotFoundError(f"{owner}: the 'files' parameter names no file.")
    return sources


def _entry_ranges(sources, entry_start, entry_stop):
    """Global ``entry_start:entry_stop`` over all files as per-file ranges."""
    total = sum(s.num_entries for s in sources)
    start, stop, _ = slice(entry_start, entry_stop).indices(total)
    ranges, offset = [], 0
    for source in sources:
        lo = min(max(start - offset, 0), source.num_entries)
        hi = min(max(stop - offset, 0), source.num_entries)
        offset += source.num_entries
        if hi > lo:
            ranges.append((source, lo, hi))
    return ranges


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def _read(source, start, stop, step_size, cut, aliases, owner):
    """Yield awkward arrays of ``source``'s names, entries ``start:stop``.

    ``step_size=None`` reads the range at once. A TTree evaluates ``cut`` and
    ``aliases`` in uproot; an RNTuple (whose reader in uproot 5.7 ignores
    both) reads the fields they use and evaluates them with uproot's own
    expression language.
    """
    uproot = _import("uproot", "root", owner)
    ak = _import("awkward", "root", owner)
    aliases = aliases or {}
    with uproot.open(source.path) as file:
        obj = file[source.tree]
        if not source.rntuple:
            kwargs = dict(
                cut=cut, aliases=aliases or None, entry_start=start, entry_stop=stop
            )
            if step_size is None:
                yield obj.arrays(source.names, library="ak", **kwargs)
            else:
                yield from obj.iterate(
                    source.names, step_size=step_size, library="ak", **kwargs
                )
            return
        fields = list(obj.keys())  # with the subfields ("Muon.pt")
        needed = _rntuple_fields(source, fields, cut, aliases)
        kwargs = dict(filter_name=needed, entry_start=start, entry_stop=stop)
        if step_size is None:
            chunks = [obj.arrays(library="ak", **kwargs)]
        else:
            chunks = obj.iterate(step_size=step_size, library="ak", **kwargs)
        for chunk in chunks:
            yield _rntuple_evaluate(uproot, ak, chunk, source, fields, cut, aliases)


def _rntuple_fields(source, fields, cut, aliases):
    """The fields an RNTuple chunk needs: the names read, and those of the
    ``cut`` and alias expressions (found by uproot's expression parser)."""
    from uproot.language.python import python_language

    needed, todo, seen = [], [*source.names, *([cut] if cut else [])], set()
    while todo:
        expr = todo.pop()
        if expr in seen:
            continue
        seen.add(expr)
        if expr in aliases:
            todo.append(aliases[expr])
            continue
        if expr in fields:
            needed.append(expr)
            continue
        for symbol in python_language.free_symbols(
            expr, set(fields) | set(aliases), list(aliases), source.path, source.tree
        ):
            todo.append(symbol)
    return sorted(set(needed), key=fields.index)


def _rntuple_evaluate(uproot, ak, chunk, source, fields, cut, aliases):
    """The names of ``source`` (fields or aliases) of ``chunk``, cut applied."""
    if not cut and all(n in ak.fields(chunk) for n in source.names):
        return chunk
    from uproot.language.python import _expression_to_function, python_language

    values = {f: chunk[f] for f in ak.fields(chunk)}
    for name in fields:  # a subfield: uproot reads it inside its parent record
        if "." in name and name.split(".", 1)[0] in values:
            value = chunk
            for part in name.split("."):
                value = value[part] if part in ak.fields(value) else None
                if value is None:
                    break
            if value is not None:
                values[name] = value
    keys = set(fields) | set(aliases)

    def compute(expression):
        return _expression_to_function(
            expression,
            keys,
            aliases,
            python_language.functions,
            python_language.getter,
            scope,
            source.path,
            source.tree,
        )()

    def getter(name):
        if name not in values:
            values[name] = compute(aliases[name])
        return values[name]

    scope = {python_language.getter: getter, "function": python_language.functions}
    out = {name: getter(name) for name in source.names}
    if cut:
        selected = compute(cut) != 0
        out = {name: value[selected] for name, value in out.items()}
    return ak.zip(out, depth_limit=1)
