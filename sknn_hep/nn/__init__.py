"""torch building blocks of sknn_hep (no scikit-learn here).

The estimators in :mod:`sknn_hep.neural_network` turn their flat
hyperparameters into the modules, initializers, optimizers and schedules
defined here.
"""

from .blocks import ACTIVATIONS, BLOCKS, MLPBody, make_activation
from .embedding import CategoricalEmbedding, auto_embedding_dim
from .init import INITIALIZERS, initialize_weights, resolve_initializer
from .layers import Dropout, GaussianNoise, OutputScaling, Standardize
from .network import FeedForwardNetwork, MultiHead
from .optim import OPTIMIZERS, make_optimizer_spec
from .schedules import LR_SCHEDULES, make_lr_scheduler_spec

__all__ = [
    "ACTIVATIONS",
    "BLOCKS",
    "INITIALIZERS",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "CategoricalEmbedding",
    "FeedForwardNetwork",
    "Dropout",
    "GaussianNoise",
    "MLPBody",
    "MultiHead",
    "OutputScaling",
    "Standardize",
    "auto_embedding_dim",
    "initialize_weights",
    "make_activation",
    "make_lr_scheduler_spec",
    "make_optimizer_spec",
    "resolve_initializer",
]
