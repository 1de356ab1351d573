"""Recommended estimators ("recipes"), found on the quality benchmark.

- :func:`make_higgs_classifier`: the recipe for the ATLAS Higgs-challenge
  data (``benchmarks/bench_quality.py`` compares it with XGBoost, LightGBM,
  scikit-learn's MLPClassifier and plain skorch; the search that led to it
  is in ``benchmarks/recipe_search.py`` and ``benchmarks/README.md``).
"""

from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import Interval, validate_params

from ._higgs import HIGGS_CATEGORICAL_COLUMNS
from .neural_network import PLAIN_NETWORK

HIGGS_NETWORK = {
    # the network the recipe was tuned with: one plain network per seed (Adam,
    # lr 1e-3, batches of 256, mean/σ scaling of the preprocessed columns),
    # pinned so that the recipe does not change with NeuralClassifier's
    # defaults
    **PLAIN_NETWORK,
    "n_layers": 3,
    "n_units": 256,
    "activation": "elu",
    "dropout": 0.2,
    "l2": 1e-4,
    "class_weight": "balanced",
    "early_stopping": True,
    "patience": 5,
    "max_epochs": 50,
    "lr_schedule": "plateau",
    "lr_patience": 2,
}
"""NeuralClassifier parameters of the Higgs recipe (pinned: Adam, lr 1e-3,
batches of 256, one network per seed, standard input scaling)."""


@validate_params(
    {
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_higgs_classifier(n_members=5, *, random_state=0, **network_params):
    """The recipe for the Higgs-challenge data: features, preprocessing, networks.

    A Pipeline (DataFrame with the challenge's 30 columns in):

    1. :func:`~sknn_hep.preprocessing.make_higgs_preprocessor` with
       ``PRI_jet_num`` passed through: the pair masses and the event aligned
       to the tau (:func:`~sknn_hep.preprocessing.make_higgs_features`),
       ``log(1 + x)`` of the pT, MET and mass columns, missing values 3σ
       below the bulk of the present values plus indicator columns;
    2. a :class:`~sknn_hep.neural_network.NeuralClassifier` with
       :data:`HIGGS_NETWORK`: 3 × 256 ELU units, dropout 0.2, L2 1e-4, Adam
       (lr 1e-3, halved after 2 epochs without improvement), early stopping
       on 10 % of the training events (patience 5, best weights kept), an
       embedding for ``PRI_jet_num``, the event weights balanced between the
       classes (``class_weight="balanced"``);

    averaged over ``n_members`` seeds (:class:`~sknn_hep.ensemble.SeedEnsemble`).
    Fit it with the event weights: ``fit(X, y, sample_weight=KaggleWeight)``.
    Wrap it in :class:`~sknn_hep.ensemble.CrossTrainingClassifier` to
    cross-train it by event number.

    Parameters
    ----------
    n_members : int >= 1, default=5
        Networks averaged (1: a single network, still wrapped, so that
        ``fit`` takes ``sample_weight`` the same way).
    random_state : int, RandomState instance or None, default=0
        Seed of the network (and of the members' seeds).
    **network_params : dict
        NeuralClassifier parameters replacing those of :data:`HIGGS_NETWORK`
        (e.g. ``max_epochs=5`` for a quick check).

    Returns
    -------
    estimator : SeedEnsemble
        Unfitted; ``estimator.estimator`` is the Pipeline of one member.

    Examples
    --------
    >>> from sklearn.metrics import roc_auc_score
    >>> from sknn_hep.datasets import load_higgs_challenge
    >>> from sknn_hep.recipes import make_higgs_classifier
    >>> X, y, w, ids = load_higgs_challenge(n_samples=3000, return_X_y=True)
    >>> model = make_higgs_classifier(n_members=2, max_epochs=3)
    >>> model = model.fit(X[:2000], y[:2000], sample_weight=w[:2000])
    >>> auc = roc_auc_score(y[2000:], model.predict_proba(X[2000:])[:, 1])
    >>> bool(auc > 0.8)
    True
    """
    from sklearn.pipeline import make_pipeline

    from .ensemble import SeedEnsemble
    from .neural_network import NeuralClassifier
    from .preprocessing import make_higgs_preprocessor

    params = {**HIGGS_NETWORK, **network_params}
    network = NeuralClassifier(
        categorical_features=list(HIGGS_CATEGORICAL_COLUMNS),
        random_state=random_state,
        **params,
    )
    pipe = make_pipeline(
        make_higgs_preprocessor(categorical="passthrough"), network
    ).set_output(transform="pandas")
    return SeedEnsemble(pipe, n_estimators=n_members, random_state=random_state)


__all__ = ["HIGGS_NETWORK", "make_higgs_classifier"]
