"""The documentation's sources agree with the package.

The Sphinx build itself (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``) runs outside pytest; these are the cheap checks that
catch the usual drift: a public name added to an ``__all__`` but not to the
API reference, a name left in the reference after it was removed, and an
example whose docstring sphinx-gallery cannot title.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import sknn_hep

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


def public_modules() -> list[str]:
    """sknn_hep and each public submodule that declares ``__all__``."""
    names = ["sknn_hep"]
    for info in pkgutil.iter_modules(sknn_hep.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"sknn_hep.{info.name}")
        if hasattr(module, "__all__"):
            names.append(module.__name__)
    return names


def documented_names(api_rst: str) -> set[tuple[str, str]]:
    """(module, name) of every entry of the autosummary tables of api.rst."""
    entries = set()
    module = None
    in_table = False
    for line in api_rst.splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            module = match.group(1)
            in_table = False
            continue
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if not in_table:
            continue
        if line and not line[0].isspace():
            in_table = False
            continue
        entry = line.strip()
        if entry and not entry.startswith(":"):
            assert module is not None, f"{entry!r} before any currentmodule"
            entries.add((module, entry.lstrip("~")))
    return entries


def test_documented_names_parses_autosummary_tables():
    text = """\
.. currentmodule:: pkg.a

.. autosummary::
   :toctree: generated/

   One
   two

Heading
-------

   not_an_entry

.. currentmodule:: pkg.b

.. autosummary::

   three
"""
    assert documented_names(text) == {
        ("pkg.a", "One"),
        ("pkg.a", "two"),
        ("pkg.b", "three"),
    }


def test_public_modules_include_the_subpackages():
    modules = public_modules()
    for name in (
        "sknn_hep.neural_network",
        "sknn_hep.preprocessing",
        "sknn_hep.metrics",
        "sknn_hep.nn",
        "sknn_hep.parallel",
    ):
        assert name in modules


def test_api_reference_lists_every_public_name():
    documented = documented_names((DOCS / "api.rst").read_text(encoding="utf-8"))
    public = {
        (module, name)
        for module in public_modules()
        for name in importlib.import_module(module).__all__
    }
    missing = sorted(public - documented)
    assert not missing, (
        "Public names missing from docs/api.rst (add each to the autosummary "
        f"table of its module): {missing}"
    )
    stale = sorted(documented - public)
    assert not stale, (
        f"docs/api.rst lists names that are not in their module's __all__: {stale}"
    )


def test_every_public_module_has_a_section_in_the_api_reference():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    for module in public_modules():
        assert f".. currentmodule:: {module}\n" in text, module


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_docstring_has_an_underlined_title(path):
    # sphinx-gallery takes the page title from the first section title of the
    # module docstring; without the underline the page has no title.
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    lines = docstring.splitlines()
    assert len(lines) >= 3, path.name
    title, underline, blank = lines[:3]
    assert title.strip(), path.name
    assert set(underline) == {"="} and len(underline) == len(title), (
        f"{path.name}: the first docstring line must be underlined with "
        f"{len(title)} '=' characters"
    )
    assert blank == "", path.name


def test_examples_have_a_gallery_header():
    assert (EXAMPLES / "GALLERY_HEADER.rst").is_file()


def test_every_page_is_in_the_index_toctree():
    # Sphinx fails the -W build on a page outside every toctree; this says
    # which line to add to docs/index.md without a build.
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, re.DOTALL)
    assert toctree
    entries = {line.strip() for line in toctree.group(1).splitlines()}
    pages = {p.stem for p in DOCS.glob("*.md") if p.stem != "index"} | {"api"}
    missing = sorted(pages - entries)
    assert not missing, f"add these pages to the toctree of docs/index.md: {missing}"


# -- The hooks of docs/conf.py and docs/sphinxext/gallery_hooks.py ---------------


@pytest.fixture(scope="module")
def conf():
    pytest.importorskip("sphinx")
    import runpy

    return runpy.run_path(str(DOCS / "conf.py"))


def test_shape_section_moves_into_new_notes(conf):
    lines = [
        "Scale.",
        "",
        "Parameters",
        "----------",
        "n : int",
        "    Width.",
        "",
        "Shape",
        "-----",
        "``(N, n) -> (N, n)``.",
        "",
        "Examples",
        "--------",
        ">>> 1",
    ]
    conf["_shape_into_notes"](None, "class", "x.Scale", None, {}, lines)
    assert "Shape" not in lines
    i = lines.index("Notes")
    assert lines[i + 1] == "-----"
    assert lines[i + 2] == "**Shape:** ``(N, n) -> (N, n)``."
    assert lines.index("Examples") > i
    assert lines[lines.index("Parameters") : lines.index("Parameters") + 4] == [
        "Parameters",
        "----------",
        "n : int",
        "    Width.",
    ]


def test_shape_section_joins_existing_notes(conf):
    lines = [
        "Shape",
        "-----",
        "``(N, *) -> (N, *)``.",
        "",
        "Notes",
        "-----",
        "Noise only in training.",
    ]
    conf["_shape_into_notes"](None, "class", "x.Noise", None, {}, lines)
    assert lines == [
        "Notes",
        "-----",
        "**Shape:** ``(N, *) -> (N, *)``.",
        "",
        "Noise only in training.",
    ]


def test_docstring_without_shape_is_unchanged(conf):
    lines = ["Summary.", "", "Notes", "-----", "Text."]
    conf["_shape_into_notes"](None, "class", "x.Y", None, {}, list(lines))
    copy = list(lines)
    conf["_shape_into_notes"](None, "class", "x.Y", None, {}, copy)
    assert copy == lines


def test_foreign_inherited_methods_are_skipped(conf):
    from sknn_hep.neural_network import NeuralClassifier
    from sknn_hep.nn import Standardize

    skip = conf["_skip_foreign_members"]
    # scikit-learn's and torch's methods: left out
    assert skip(None, "method", "get_params", NeuralClassifier.get_params, False, {})
    assert skip(None, "class", "score", NeuralClassifier.score, False, {})
    assert skip(None, "method", "apply", Standardize.apply, False, {})
    # sknn_hep's own (also inherited from a sknn_hep base): kept
    assert skip(None, "method", "fit", NeuralClassifier.fit, False, {}) is None
    assert skip(None, "method", "forward", Standardize.forward, False, {}) is None
    # module-level names are listed by hand and never skipped here
    assert skip(None, "module", "ams", print, False, {}) is None


def test_constant_docs_come_from_the_defining_module(conf):
    from sknn_hep.datasets import HIGGS_SIGNAL_TOTAL
    from sknn_hep.nn import ACTIVATIONS

    lines = (float.__doc__ or "").splitlines()
    name = "sknn_hep.datasets.HIGGS_SIGNAL_TOTAL"
    conf["_constant_doc"](None, "data", name, HIGGS_SIGNAL_TOTAL, {}, lines)
    assert "KaggleWeight" in " ".join(lines)
    assert "floating point" not in " ".join(lines)
    # a tuple re-exported by a package: its docstring, not tuple's
    lines = (tuple.__doc__ or "").splitlines()
    conf["_constant_doc"](
        None, "data", "sknn_hep.nn.ACTIVATIONS", ACTIVATIONS, {}, lines
    )
    assert lines[0] == "Names accepted by the networks' ``activation`` parameter."
    # no docstring anywhere: the type's docstring is dropped, the value stays
    from sknn_hep.neural_network._net import PREDICT_BATCH_SIZE

    lines = (int.__doc__ or "").splitlines()
    name = "sknn_hep.neural_network._net.PREDICT_BATCH_SIZE"
    conf["_constant_doc"](None, "data", name, PREDICT_BATCH_SIZE, {}, lines)
    assert lines == []


def gallery_hooks():
    pytest.importorskip("sphinx_gallery")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gallery_hooks", DOCS / "sphinxext" / "gallery_hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reset_argv_runs_examples_fast(tmp_path):
    hooks = gallery_hooks()
    hooks._OUTPUT_ROOT = tmp_path
    src = EXAMPLES / "mass_regression.py"
    argv = hooks.reset_argv({}, {"src_file": str(src)})
    assert argv[:2] == ["--fast", "--output"]
    assert Path(argv[2]) == tmp_path / "mass_regression"
    assert Path(argv[2]).is_dir()
    # a script without --output gets only --fast
    src = EXAMPLES / "class_imbalance.py"
    assert hooks.reset_argv({}, {"src_file": str(src)}) == ["--fast"]


def test_output_file_scraper_shows_new_images_once(tmp_path):
    hooks = gallery_hooks()
    hooks._OUTPUT_ROOT = tmp_path / "outputs"
    from sphinx_gallery.scrapers import ImagePathIterator

    src = EXAMPLES / "mass_regression.py"
    out = Path(hooks.reset_argv({}, {"src_file": str(src)})[2])
    (out / "mass_regression.png").write_bytes(b"\x89PNG fake")
    (out / "model.joblib").write_bytes(b"not an image")
    block_vars = {
        "src_file": str(src),
        "image_path_iterator": ImagePathIterator(
            str(tmp_path / "sphx_glr_mass_regression_{0:03}.png")
        ),
    }
    gallery_conf = {"src_dir": str(tmp_path)}
    rst = hooks.output_file_scraper(None, block_vars, gallery_conf)
    copied = tmp_path / "sphx_glr_mass_regression_001.png"
    assert copied.read_bytes() == b"\x89PNG fake"
    assert "sphx_glr_mass_regression_001.png" in rst
    assert not (tmp_path / "sphx_glr_mass_regression_002.png").exists()
    # the next block shows nothing new
    assert hooks.output_file_scraper(None, block_vars, gallery_conf) == ""


def _code_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


def test_search_page_pipeline_keeps_the_missing_marker():
    # docs/search.md's pipeline on data with -999 markers: the log must leave
    # the markers alone so that MissingValueEncoder still finds them
    block = _code_blocks(DOCS / "search.md")[0]
    namespace: dict = {}
    exec(block, namespace)  # builds the pipeline and the (unfitted) searches
    pipe = namespace["pipe"]
    rng = __import__("numpy").random.default_rng(0)
    X = rng.exponential(30.0, size=(200, 4)) + 1.0
    gone = rng.random(200) < 0.2
    X[gone, 0] = -999.0
    out = pipe[:-1].fit_transform(X)
    encoder = pipe[1]
    assert encoder.n_features_in_ == 4
    # the encoder saw the markers of column 0 and filled them, and only them
    assert encoder.missing_features_.tolist() == [0]
    assert (out[gone, 0] == encoder.fill_value_[0]).all()
    assert (out[~gone, 0] > encoder.fill_value_[0]).all()


def test_user_guide_missing_values_with_categorical_features_runs():
    blocks = [
        b for b in _code_blocks(DOCS / "user_guide.md") if "categorical_features" in b
    ]
    assert len(blocks) == 1
    namespace: dict = {}
    exec(blocks[0], namespace)
    pipe, X = namespace["pipe"], namespace["X"]
    out = pipe[0].transform(X)
    np.testing.assert_array_equal(out[:, 3], X[:, 3])  # the codes pass unchanged
    assert pipe[-1].categories_[0].tolist() == [0, 1, 2, 3]
    assert np.isfinite(pipe.predict_proba(X)).all()
