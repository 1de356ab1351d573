"""torch building blocks of sknn_hep (no scikit-learn here).

The estimators in :mod:`sknn_hep.neural_network` turn their flat
hyperparameters into the modules, initializers, optimizers and schedules
defined here.
"""

from .blocks import ACTIVATIONS, BLOCKS, MLPBody, make_activation
from .embedding import CategoricalEmbedding, auto_embedding_dim
from .init import INITIALIZERS, initialize_weights, resolve_initializer
from .layers import Dropout, GaussianNoise, InputScaling, OutputScaling, Standardize
from .network import EnsembleHead, FeedForwardNetwork, MultiHead
from .numeric import NUM_EMBEDDINGS, NumericEmbedding, quantile_bins
from .optim import OPTIMIZERS, make_optimizer_spec
from .schedules import LR_SCHEDULES, make_lr_scheduler_spec

__all__ = [
    "ACTIVATIONS",
    "BLOCKS",
    "INITIALIZERS",
    "LR_SCHEDULES",
    "NUM_EMBEDDINGS",
    "OPTIMIZERS",
    "CategoricalEmbedding",
    "FeedForwardNetwork",
    "Dropout",
    "EnsembleHead",
    "GaussianNoise",
    "InputScaling",
    "MLPBody",
    "MultiHead",
    "NumericEmbedding",
    "OutputScaling",
    "Standardize",
    "auto_embedding_dim",
    "initialize_weights",
    "make_activation",
    "make_lr_scheduler_spec",
    "make_optimizer_spec",
    "quantile_bins",
    "resolve_initializer",
]
