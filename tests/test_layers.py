"""The layers of sknn_hep (README, "Architecture"): who may import whom.

- ``sknn_hep.nn`` (torch building blocks) knows nothing of scikit-learn;
- ``sknn_hep.preprocessing`` knows nothing of torch, also while fitting;
- no module of sknn_hep imports, directly or through others, itself.

The first two run in a fresh interpreter (``sys.executable -c``), where
nothing else has imported torch or scikit-learn yet. The third reads every
module's source (no import): every ``import`` statement counts, also those
inside functions, because a lazy import is still an edge of the graph.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import sknn_hep

PACKAGE_DIR = Path(sknn_hep.__file__).parent


def _run_fresh(code: str) -> None:
    """Run ``code`` in a new interpreter; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nn_does_not_import_sklearn():
    # build and run the networks of nn/ (plain, categorical embeddings,
    # several heads, an ensemble): scikit-learn stays out. The numeric
    # embeddings come from rtdl_num_embeddings, which imports scikit-learn
    # itself when installed; nn/numeric.py imports it only when one is built.
    _run_fresh(
        """
        import sys
        import sknn_hep.nn as nn
        import torch

        assert "sklearn" not in sys.modules, "import sknn_hep.nn imported sklearn"
        nets = [
            nn.FeedForwardNetwork(n_numeric=4, n_outputs=1, hidden_sizes=(8, 8)),
            nn.FeedForwardNetwork(
                n_numeric=3, n_outputs=2, hidden_sizes=(8,), block="residual",
                cardinalities=[5], embedding_dims=[2], n_ensemble=2,
            ),
        ]
        x = torch.zeros(6, 4)
        with torch.no_grad():
            assert nets[0](x).shape[0] == 6
            assert nets[1](x[:, :3], torch.zeros(6, 1, dtype=torch.long)) is not None
        torch.optim.Adam(nets[0].parameters())
        assert "sklearn" not in sys.modules, "building a network imported sklearn"
        """
    )


def test_preprocessing_does_not_import_torch():
    # fit and transform every public transformer of preprocessing (directly
    # or inside the factories' pipelines) and call its functions; a new
    # transformer not fitted here fails the coverage assertion at the end
    _run_fresh(
        """
        import sys

        import numpy as np
        from sklearn.base import BaseEstimator

        import sknn_hep.preprocessing as p
        from sknn_hep.datasets import load_higgs_challenge

        assert "torch" not in sys.modules, "importing preprocessing imported torch"
        X, y, w, _ = load_higgs_challenge(n_samples=600, return_X_y=True)
        models = [
            p.make_higgs_preprocessor(),
            p.make_higgs_preprocessor(physics_features=False),
            p.make_hep_preprocessor(
                missing_values=-999.0,
                log_columns=["PRI_met", "PRI_tau_pt"],
                groups=[["PRI_tau_pt", "PRI_lep_pt"]],
                categorical_columns=["PRI_jet_num"],
                n_components=4,
            ),
            p.EventAligner(list(p.HIGGS_PHI_COLUMNS), "PRI_tau_phi",
                           missing_values=-999.0),
            p.GroupScaler([["PRI_tau_pt", "PRI_lep_pt"]]),
            p.LogShiftTransformer(columns=["PRI_met"]),
            p.MissingValueEncoder(missing_values=-999.0),
        ]
        fitted = set()

        def collect(est):
            fitted.add(type(est))
            for _, step in getattr(est, "steps", []):
                collect(step)
            for _, part, _ in getattr(est, "transformers_", []):
                if isinstance(part, BaseEstimator):
                    collect(part)

        for model in models:
            model.fit(X, y)
            out = model.transform(X)
            assert len(out) == len(X)
            collect(model)
        p.binned_target_weights(np.asarray(w), bins=5, sample_weight=w)
        p.augment_azimuthal_rotation(
            X.to_numpy(), [15, 18, 20], missing_values=-999.0, random_state=0
        )
        assert "torch" not in sys.modules, "fitting a transformer imported torch"
        public = {
            getattr(p, name) for name in p.__all__
            if isinstance(getattr(p, name), type)
            and issubclass(getattr(p, name), BaseEstimator)
        }
        missed = sorted(c.__name__ for c in public - fitted)
        assert not missed, f"not fitted by this test: {missed}"
        """
    )


# -- no import circle ------------------------------------------------------------


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of sknn_hep (a package is its __init__)."""
    out = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = ("sknn_hep",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of sknn_hep that importing ``name`` runs, at any depth of its code.

    As Python runs them: ``from .x import y`` imports ``x.y`` where that is a
    module, else ``x``; ``from .. import io`` the package ``io`` (its
    ``__init__``, which imports its submodules in turn); and importing a
    module runs the ``__init__`` of each package above it, except those
    above ``name`` itself (already running when ``name`` runs).
    """
    is_package = path.name == "__init__.py"
    package = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [
                f"{module}.{alias.name}"
                if f"{module}.{alias.name}" in modules
                else module
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # "import sknn_hep.a.b" imports the deepest module that exists
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # the module, and the packages above it that are not above name
            while target and not (name == target or name.startswith(target + ".")):
                found.add(target)
                target = target.rpartition(".")[0]
    return found


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest circle through each strongly connected group (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(old_limit)

    circles = []
    for group in groups:
        start = min(group)
        # breadth-first search back to start, inside the group
        paths = {start: [start]}
        queue = [start]
        while queue:
            v = queue.pop(0)
            for w in sorted(graph[v] & group):
                if w == start:
                    circles.append(paths[v] + [start])
                    queue = []
                    break
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
    return circles


def test_circle_finder_reads_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c", "a"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_imports_resolve_relative_and_package_imports(tmp_path):
    modules = dict.fromkeys(
        [
            "sknn_hep",
            "sknn_hep.io",
            "sknn_hep.io._onnx",
            "sknn_hep.x",
            "sknn_hep.x.y",
            "sknn_hep.x.z",
        ]
    )
    source = tmp_path / "y.py"
    # a lazy import of io's submodule runs io/__init__ too
    source.write_text("def f():\n    from ..io import _onnx\n", encoding="utf-8")
    found = _imports("sknn_hep.x.y", source, modules)
    assert found == {"sknn_hep.io", "sknn_hep.io._onnx"}
    # a package import is an import of its __init__
    source.write_text("from .. import io\n", encoding="utf-8")
    assert _imports("sknn_hep.x.y", source, modules) == {"sknn_hep.io"}
    # a sibling: not the package above, which is already running
    source.write_text("from . import z\nfrom .z import f\n", encoding="utf-8")
    assert _imports("sknn_hep.x.y", source, modules) == {"sknn_hep.x.z"}
    # an attribute of a package's __init__ is an import of that __init__
    source.write_text("from .. import __version__\nfrom ..io import save\n")
    assert _imports("sknn_hep.x.y", source, modules) == {"sknn_hep.io"}


def test_no_import_circle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    circles = _circles(graph)
    message = "\n".join(" -> ".join(circle) for circle in circles)
    assert not circles, (
        "Import circles in sknn_hep (imports must point down the layers of the "
        "README's 'Architecture' section; a lazy import counts too):\n" + message
    )
