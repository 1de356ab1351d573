"""Sphinx configuration of the sknn_hep documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The example gallery runs every script of ``examples/`` in its ``--fast`` mode
(a few minutes on two cores). ``-D plot_gallery=0`` builds the gallery pages
from the sources without running them (code and text, no output or figures).
Nothing here needs the network: there is no intersphinx.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from pathlib import Path

from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

import sknn_hep

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

project = "sknn_hep"
author = "the sknn_hep developers"
copyright = "the sknn_hep developers"
release = sknn_hep.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "sphinxext", "**/*.ipynb"]

# -- API reference -------------------------------------------------------------
# api.rst lists every name of every public ``__all__`` (tests/test_docs.py
# checks it); autosummary writes one page per name into generated/.
autosummary_generate = True
# The numpydoc Parameters sections carry the types; signatures stay short.
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# A method without a docstring shows none, not the docstring of the method it
# overrides in torch or scikit-learn (torch's generic ``Module.forward`` text).
autodoc_inherit_docstrings = False
add_module_names = False
# Methods are documented by the class template (autosummary table + one entry
# each); numpydoc's own member tables would list them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# numpydoc reports a docstring it cannot parse (an unknown section, a bad
# underline) with warnings.warn, which -W does not see, and then drops that
# part of the docstring. Make it stop the build instead.
warnings.filterwarnings("error", category=UserWarning, module="numpydoc")
# Except for the "Shape" section of the torch modules, which
# _shape_into_notes (below) moves into Notes before numpydoc renders it;
# numpydoc still sees it when it reads the raw docstring for signatures and
# summaries.
warnings.filterwarnings(
    "ignore", message="Unknown section Shape", category=UserWarning, module="numpydoc"
)

# Every cross-reference into sknn_hep must resolve (a renamed or removed
# function fails the build). References into other projects cannot resolve
# without intersphinx, which needs the network; they render as plain code.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(builtins|dask|distributed|joblib|matplotlib|numpy|onnx|onnxruntime"
        r"|pandas|scipy|skl2onnx|sklearn|skopt|skorch|torch|uproot)(\..*)?",
    ),
]

# -- Markdown pages (myst-parser) ----------------------------------------------
# ``[text](page.md#a-heading)`` links into the pages resolve to these anchors.
myst_heading_anchors = 3

# -- Example gallery (sphinx-gallery) ------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Run every script, not only plot_*.py.
    "filename_pattern": r"\.py$",
    "within_subsection_order": "ExampleTitleSortKey",
    # The scripts take --fast / --output and save their figures to files.
    "reset_argv": "gallery_hooks.reset_argv",
    "image_scrapers": ("matplotlib", "gallery_hooks.output_file_scraper"),
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_hep {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []


# -- Which methods the class pages list ----------------------------------------
def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out methods that a class inherits from outside sknn_hep.

    The estimators inherit ``get_params``, ``set_params``, ``score``,
    ``set_output``, ``set_*_request`` from scikit-learn and the torch modules
    the whole ``torch.nn.Module`` API. Those are documented by scikit-learn
    and torch, and their docstrings refer to labels of those projects'
    documentation (``:ref:`metadata_routing```), which would be broken links
    here. Methods defined in sknn_hep, also in a base class of sknn_hep,
    stay.
    """
    # autodoc passes the owner's type ("class"), autosummary the member's
    # ("method", "property", ...); module-level names are listed by hand.
    if what == "module" or skip:
        return None
    func = obj.fget if isinstance(obj, property) else obj
    func = getattr(func, "__func__", func)
    module = getattr(func, "__module__", None)
    if callable(func) and not (module or "").startswith("sknn_hep"):
        return True
    return None


# -- "Shape" sections of the torch modules -------------------------------------
def _is_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and lines[i].strip() != ""
        and set(lines[i + 1].strip()) == {"-"}
        and len(lines[i + 1].strip()) == len(lines[i].strip())
    )


def _shape_into_notes(app, what, name, obj, options, lines):
    """Render the ``Shape`` section of the ``sknn_hep.nn`` modules.

    ``Shape`` (input and output tensor shapes, as torch documents its
    modules) is not a numpydoc section, and numpydoc drops unknown sections.
    This moves its text to the top of the Notes section (made if missing),
    before numpydoc parses the docstring.
    """
    starts = [i for i in range(len(lines)) if _is_header(lines, i)]
    shape = [i for i in starts if lines[i].strip() == "Shape"]
    if not shape:
        return
    start = shape[0]
    end = next((i for i in starts if i > start), len(lines))
    body = lines[start + 2 : end]
    while body and not body[-1].strip():
        body.pop()
    del lines[start:end]
    text = ["**Shape:** " + body[0].strip(), *body[1:], ""] if body else []
    notes = next(
        (
            i
            for i in range(len(lines))
            if lines[i].strip() == "Notes" and _is_header(lines, i)
        ),
        None,
    )
    if notes is None:
        lines[start:start] = ["Notes", "-----", *text]
    else:
        lines[notes + 2 : notes + 2] = text


# -- Module-level constants ----------------------------------------------------
def _constant_doc(app, what, name, obj, options, lines):
    """Document a constant by its docstring where it is defined, or its value.

    The public constants are defined in a private module and re-exported, so
    autodoc, which looks for the docstring below an assignment in the module
    that exports the name, finds none and shows the docstring of the value's
    type (``tuple``, ``float``). Use the docstring in the defining module
    (the first submodule of the exporting package that has one, else a
    private module at the package's root, such as ``sknn_hep._higgs``);
    with none, the page shows the name and value only.
    """
    if what != "data":
        return
    if lines and "\n".join(lines).strip() == (type(obj).__doc__ or "").strip():
        del lines[:]
    if lines:
        return
    package, _, attr = name.rpartition(".")
    module = importlib.import_module(package)
    candidates = [package]
    if hasattr(module, "__path__"):
        candidates += [
            f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)
        ]
    # then the bottom layer's private modules (sknn_hep._higgs holds the Higgs
    # challenge's facts that datasets and preprocessing re-export)
    root = importlib.import_module(package.partition(".")[0])
    candidates += [
        f"{root.__name__}.{info.name}"
        for info in pkgutil.iter_modules(root.__path__)
        if info.name.startswith("_") and not info.ispkg
    ]
    for modname in candidates:
        try:
            attr_docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except PycodeError:
            continue
        if ("", attr) in attr_docs:
            lines.extend(attr_docs[("", attr)])
            return


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _constant_doc, priority=400)
    # Priority 400: before numpydoc (500) parses the sections.
    app.connect("autodoc-process-docstring", _shape_into_notes, priority=400)
