"""sphinx-gallery hooks that run the examples in their fast mode.

The examples are command-line scripts: ``main(argv)`` parses ``--fast`` and
``--output DIR``, writes its figures as files into ``DIR`` and closes them.
sphinx-gallery runs each script once, top to bottom, as ``__main__``. The
hooks here

- give each script the command line ``--fast [--output DIR]``
  (:func:`reset_argv`), with one temporary ``DIR`` per example;
- show the PNG/SVG files a script wrote into its ``DIR`` in the gallery page
  (:func:`output_file_scraper`), next to the matplotlib scraper, which finds
  nothing because the scripts close their figures.

sphinx-gallery imports these by name (``"gallery_hooks.reset_argv"``), which
keeps ``sphinx_gallery_conf`` picklable; ``conf.py`` puts this directory on
``sys.path``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

_IMAGE_SUFFIXES = (".png", ".svg")
_OUTPUT_ROOT: Path | None = None
# Files already shown, by path, so that each block shows only new figures.
_SHOWN: set[Path] = set()


def _output_dir(src_file: str) -> Path:
    """The ``--output`` folder of one example: ``<tmp>/<script name>``."""
    global _OUTPUT_ROOT
    if _OUTPUT_ROOT is None:
        _OUTPUT_ROOT = Path(tempfile.mkdtemp(prefix="sknn_hep_gallery_"))
    return _OUTPUT_ROOT / Path(src_file).stem


def reset_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    """Command line of an example: ``--fast``, and ``--output DIR`` if it has one."""
    src_file = script_vars["src_file"]
    source = Path(src_file).read_text(encoding="utf-8")
    argv = ["--fast"]
    # The scripts declare their options with argparse (ruff-formatted).
    if 'add_argument("--output"' in source:
        out = _output_dir(src_file)
        shutil.rmtree(out, ignore_errors=True)
        _SHOWN.difference_update({p for p in _SHOWN if out in p.parents})
        out.mkdir(parents=True)
        argv += ["--output", str(out)]
    return argv


def output_file_scraper(block, block_vars: dict, gallery_conf: dict) -> str:
    """Show the image files the example wrote into its ``--output`` folder."""
    out = _output_dir(block_vars["src_file"])
    if not out.is_dir():
        return ""
    new = sorted(
        p
        for p in out.rglob("*")
        if p.suffix.lower() in _IMAGE_SUFFIXES and p not in _SHOWN
    )
    image_paths = []
    iterator = block_vars["image_path_iterator"]
    for path in new:
        _SHOWN.add(path)
        target = Path(next(iterator)).with_suffix(path.suffix.lower())
        shutil.copyfile(path, target)
        image_paths.append(target)
    if not image_paths:
        return ""
    return figure_rst(image_paths, gallery_conf["src_dir"])
