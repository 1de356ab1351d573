"""sknn_hep: neural networks for particle physicists as scikit-learn estimators.

Subpackages
-----------
neural_network
    The estimators users see: :class:`~sknn_hep.neural_network.NeuralClassifier`
    and :class:`~sknn_hep.neural_network.NeuralRegressor`.
preprocessing
    Transformers for physics inputs (torch-free).
datasets
    Bundled data and loaders.
nn
    torch building blocks (no scikit-learn).
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
