"""sknn_hep: neural networks for particle physicists as scikit-learn estimators.

Subpackages
-----------
neural_network
    The estimators users see: :class:`~sknn_hep.neural_network.NeuralClassifier`,
    :class:`~sknn_hep.neural_network.NeuralRegressor` and
    :class:`~sknn_hep.neural_network.MultiTaskNeuralNet`.
preprocessing
    Transformers for physics inputs (torch-free).
ensemble
    Cross-training by event number and seed ensembles.
model_selection
    Event-number folds, ready search spaces and a fixed ``BayesSearchCV``.
metrics
    AMS, significance, background rejection and per-task scorers.
io
    Safe save/load without pickle, ONNX export.
parallel
    Torch threads in parallel searches.
datasets
    Bundled data and loaders.
nn
    torch building blocks (no scikit-learn).
"""

__version__ = "0.2.0.dev0"

__all__ = ["__version__"]
