"""scikit-learn estimators backed by skorch and torch."""

from ._classifier import NeuralClassifier
from ._net import TrainingDivergedError
from ._regressor import NeuralRegressor

__all__ = ["NeuralClassifier", "NeuralRegressor", "TrainingDivergedError"]
