"""Scorer objects for the physics metrics."""

from __future__ import annotations

from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import make_scorer

from ._physics import ams, background_rejection

_RESPONSE = ("decision_function", "predict_proba")


def _scorers():
    return {
        "ams": make_scorer(ams, response_method=_RESPONSE, threshold="max"),
        "background_rejection": make_scorer(
            background_rejection, response_method=_RESPONSE, signal_efficiency=0.3
        ),
    }


def get_scorer(scoring):
    """A scorer by name: sknn_hep's physics scorers, else scikit-learn's.

    ``"ams"``: AMS maximised over the threshold (b_reg = 10);
    ``"background_rejection"``: 1/ε_B at ε_S = 0.3; both on the classifier's
    signal score
    (``decision_function``, else the probability of class 1; ``y`` must hold
    0 and 1). Any other name goes to :func:`sklearn.metrics.get_scorer`. For
    other settings (another ε_S, AMS rescaled to the full luminosity with
    ``signal_total``/``background_total``) build one with
    :func:`sklearn.metrics.make_scorer`, e.g. ``make_scorer(ams,
    response_method="predict_proba", threshold="max", signal_total=691.99,
    background_total=410999.85)``.

    scikit-learn checks ``scoring=`` strings against the names it knew when
    it was imported, so these names cannot be added to its own list: pass
    the scorer object (``scoring=get_scorer("ams")``, or in a dict for several
    metrics). Each call returns a new scorer; like scikit-learn's, it accepts
    ``sample_weight`` when called and ``set_score_request(sample_weight=True)``
    for metadata routing.

    Parameters
    ----------
    scoring : str or callable
        A name, or a scorer (returned as is).

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sknn_hep.metrics import get_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2))
    >>> y = (X[:, 0] + 0.5 * rng.normal(size=400) > 1).astype(int)
    >>> scores = cross_val_score(LogisticRegression(), X, y, cv=2,
    ...                          scoring=get_scorer("background_rejection"))
    >>> bool((scores > 10).all())
    True
    """
    if isinstance(scoring, str):
        scorers = _scorers()
        if scoring in scorers:
            return scorers[scoring]
    return _sklearn_get_scorer(scoring)


def get_scorer_names():
    """Names :func:`get_scorer` knows: sknn_hep's and scikit-learn's.

    Examples
    --------
    >>> names = get_scorer_names()
    >>> "ams" in names and "roc_auc" in names
    True
    """
    from sklearn.metrics import get_scorer_names as sklearn_names

    return sorted(set(_scorers()) | set(sklearn_names()))
