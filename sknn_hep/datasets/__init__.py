"""Bundled data sets and loaders."""

from ._higgs import HIGGS_FEATURES, load_higgs_challenge

__all__ = ["HIGGS_FEATURES", "load_higgs_challenge"]
