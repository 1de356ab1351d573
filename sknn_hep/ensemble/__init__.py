"""Ensembles of networks: k-fold cross-training by event number, seed ensembles.

:class:`CrossTrainingClassifier` / :class:`CrossTrainingRegressor` train one
model per event-number fold and apply to each event the model that never saw
it; :class:`SeedEnsemble` averages models trained on the same data from
different random initialisations.
"""

from ._cross_training import CrossTrainingClassifier, CrossTrainingRegressor
from ._seed import SeedEnsemble

__all__ = ["CrossTrainingClassifier", "CrossTrainingRegressor", "SeedEnsemble"]
