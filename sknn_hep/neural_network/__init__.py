"""scikit-learn estimators backed by skorch and torch."""

from ._base import PLAIN_NETWORK
from ._classifier import NeuralClassifier
from ._embedding_encoder import EmbeddingEncoder
from ._multitask import MultiTaskNeuralNet
from ._net import TrainingDivergedError
from ._regressor import NeuralRegressor

__all__ = [
    "PLAIN_NETWORK",
    "EmbeddingEncoder",
    "MultiTaskNeuralNet",
    "NeuralClassifier",
    "NeuralRegressor",
    "TrainingDivergedError",
]
