"""Packaging facts the users rely on: the Python version and install hints."""

import re
import sys
import tomllib
from pathlib import Path

import pytest

from sknn_hep.utils import install_hint

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _minimum_python() -> tuple[int, int]:
    spec = PYPROJECT["project"]["requires-python"]
    major, minor = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec.strip()).groups()
    return int(major), int(minor)


def test_requires_python_covers_what_the_code_imports():
    # tomllib (the CLI's --config) is in the standard library from 3.11
    sources = "".join(p.read_text() for p in (ROOT / "sknn_hep").rglob("*.py"))
    assert "import tomllib" in sources
    assert _minimum_python() >= (3, 11)
    assert sys.version_info[:2] >= _minimum_python()


@pytest.mark.parametrize(
    "extra", sorted(set(PYPROJECT["project"]["optional-dependencies"]) - {"dev"})
)
def test_install_hint_names_the_extra_as_pyproject_defines_it(extra):
    hint = install_hint(extra)
    packages = PYPROJECT["project"]["optional-dependencies"][extra]
    assert hint.startswith("pip install " + " ".join(f'"{p}"' for p in packages))
    # the package is not on a public index: the checkout's editable install,
    # quoted so that zsh does not expand the brackets
    assert f'pip install -e ".[{extra}]"' in hint


def test_no_message_or_doc_names_an_uninstallable_package():
    # "pip install sknn-hep[...]" needs a public index that does not have it
    pattern = re.compile(r"pip install ['\"]?sknn-hep")
    files = [*(ROOT / "sknn_hep").rglob("*.py"), *(ROOT / "docs").glob("*.md")]
    files += [ROOT / "README.md"]
    offenders = [str(p) for p in files if pattern.search(p.read_text())]
    assert offenders == []


def test_missing_optional_package_prints_a_working_command(monkeypatch):
    import builtins

    import numpy as np

    from sknn_hep.neural_network import NeuralClassifier

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    X = np.random.default_rng(0).normal(size=(20, 2))
    clf = NeuralClassifier(max_epochs=1, log_dir="unused")
    with pytest.raises(ImportError, match=r'pip install -e "\.\[monitor\]"'):
        clf.fit(X, (X[:, 0] > 0).astype(int))
