"""skopt's BayesSearchCV with tuple choices and a guard for broken surrogates."""

from __future__ import annotations

import skopt
from sklearn.utils.fixes import parse_version
from skopt.learning import GradientBoostingQuantileRegressor
from skopt.space import Categorical, Dimension, check_dimension

# scikit-optimize 0.10.2 (its last release; the project is archived) with
# scikit-learn >= 1.6 and numpy >= 2.4:
#  - "GBRT": GradientBoostingQuantileRegressor lists BaseEstimator before
#    RegressorMixin, so scikit-learn's tags say it is no regressor and
#    skopt's Optimizer refuses it; past that, its predict calls np.in1d,
#    removed in numpy 2.4.
#  - "DUMMY": the Optimizer asks scikit-learn whether its surrogate None is
#    a regressor, and get_tags(None) raises.
_BROKEN_SURROGATES = {
    "GBRT": (
        "skopt's GradientBoostingQuantileRegressor is not recognised as a "
        "regressor by scikit-learn >= 1.6 (its base classes are in the wrong "
        "order) and its predict calls np.in1d, which numpy 2.4 removed"
    ),
    "DUMMY": (
        "skopt's Optimizer asks scikit-learn whether the missing surrogate "
        "(None) is a regressor, which raises with scikit-learn >= 1.6; for "
        "uniform random sampling use sklearn.model_selection.RandomizedSearchCV"
    ),
}
_GUARDED = parse_version(skopt.__version__) <= parse_version("0.10.2")


def check_surrogate(optimizer_kwargs) -> None:
    """Raise a clear ValueError for a skopt surrogate that cannot work here.

    Parameters
    ----------
    optimizer_kwargs : dict or None
        The ``optimizer_kwargs`` of a :class:`skopt.BayesSearchCV`; its
        ``"base_estimator"`` entry (default ``"GP"``) is checked.

    Raises
    ------
    ValueError
        For ``"GBRT"`` (or a ``GradientBoostingQuantileRegressor`` instance)
        and ``"DUMMY"`` with scikit-optimize <= 0.10.2.

    Examples
    --------
    >>> from sknn_hep.model_selection._bayes import check_surrogate
    >>> check_surrogate({"base_estimator": "ET"})
    >>> check_surrogate({"base_estimator": "gbrt"})
    Traceback (most recent call last):
    ...
    ValueError: The 'base_estimator' entry of optimizer_kwargs of BayesSearchCV ...
    """
    if not _GUARDED:
        return
    surrogate = dict(optimizer_kwargs or {}).get("base_estimator", "GP")
    if isinstance(surrogate, GradientBoostingQuantileRegressor):
        key = "GBRT"
    elif isinstance(surrogate, str) and surrogate.upper() in _BROKEN_SURROGATES:
        key = surrogate.upper()
    else:
        return
    raise ValueError(
        "The 'base_estimator' entry of optimizer_kwargs of BayesSearchCV must be "
        f"'GP' (the default), 'RF', 'ET' or a working regressor with "
        f"scikit-optimize {skopt.__version__}. Got {surrogate!r} instead: "
        f"{_BROKEN_SURROGATES[key]}."
    )


def _is_sequence(value) -> bool:
    return isinstance(value, (tuple, list))


def _encode_space(space: dict) -> tuple[dict, dict]:
    """Tuple-valued choices replaced by string labels, and the way back."""
    encoded, decoders = {}, {}
    for name, value in space.items():
        if isinstance(value, Dimension):
            dim = value
        elif _is_sequence(value) and any(map(_is_sequence, value)):
            dim = check_dimension(value)  # a list of tuples: skopt's Categorical
        else:
            dim = None
        if not (
            isinstance(dim, Categorical) and any(map(_is_sequence, dim.categories))
        ):
            encoded[name] = value
            continue
        labels, back = [], {}
        for choice in dim.categories:
            if not _is_sequence(choice):
                labels.append(choice)
                continue
            label = repr(choice)
            if label in dim.categories or back.get(label, choice) != choice:
                raise ValueError(
                    f"The choices of {name!r} hold {choice!r} and another value "
                    f"written {label!r}; BayesSearchCV labels tuple choices by "
                    "their repr, so these cannot be told apart."
                )
            back[label] = choice
            labels.append(label)
        encoded[name] = Categorical(
            labels, prior=dim.prior, transform=dim.transform_, name=dim.name
        )
        decoders[name] = back
    return encoded, decoders


def _encode(search_spaces):
    """Encode every subspace of a BayesSearchCV ``search_spaces``."""
    if isinstance(search_spaces, dict):
        return _encode_space(search_spaces)
    encoded, decoders = [], {}
    for entry in search_spaces:
        space, n_iter = entry if isinstance(entry, tuple) else (entry, None)
        space, back = _encode_space(space)
        for name, labels in back.items():
            decoders.setdefault(name, {}).update(labels)
        encoded.append(space if n_iter is None else (space, n_iter))
    return encoded, decoders


class BayesSearchCV(skopt.BayesSearchCV):
    """skopt's Bayesian search, fixed for tuple choices and metadata routing.

    The same class and parameters as :class:`skopt.BayesSearchCV` (see its
    documentation), with three differences, all for scikit-optimize 0.10.2
    with scikit-learn >= 1.6 and numpy 2:

    - A ``Categorical`` (or list) of tuples, such as ``hidden_layer_sizes``
      choices ``Categorical([(64,), (128, 64)])``, works. skopt turns every
      proposed value into a scalar (``np.array(v).item()``), which fails for
      a longer tuple and turns ``(64,)`` into ``64``; here the optimizer
      sees each tuple as its ``repr`` label and the estimator gets the
      tuple. ``cv_results_``, ``best_params_`` and ``best_estimator_`` hold
      the tuples; ``optimizer_results_`` the labels.
    - It works with metadata routing on
      (``sklearn.set_config(enable_metadata_routing=True)``), which routes
      ``sample_weight`` to the pipeline steps and the scorer that request
      it, as in the scikit-learn searches. skopt's ``fit`` always hands
      ``groups`` on, also ``None``, and with routing on scikit-learn
      rejects that (``TypeError: BayesSearchCV.fit got unexpected
      argument(s) {'groups'}``) unless the splitter takes groups; here a
      ``groups=None`` is dropped.
    - ``optimizer_kwargs={"base_estimator": "GBRT"}`` or ``"DUMMY"`` raises a
      ValueError at ``fit`` that says why, instead of skopt's misleading
      ``... has to be a regressor`` or an ``AttributeError``. ``"GP"``
      (default), ``"RF"`` and ``"ET"`` work.

    Parameters
    ----------
    estimator, search_spaces, optimizer_kwargs, n_iter, scoring, fit_params, \
n_jobs, n_points, pre_dispatch, cv, refit, verbose, random_state, \
error_score, return_train_score
        As in :class:`skopt.BayesSearchCV`.

    See Also
    --------
    sknn_hep.model_selection.search_space : Ready spaces (``kind="bayes"``).
    skopt.BayesSearchCV : The class extended here.

    Examples
    --------
    >>> from skopt.space import Categorical, Real
    >>> from sklearn.datasets import make_classification
    >>> from sknn_hep.model_selection import BayesSearchCV
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    >>> search = BayesSearchCV(
    ...     NeuralClassifier(max_epochs=3, batch_size=50, random_state=0),
    ...     {"hidden_layer_sizes": Categorical([(8,), (16, 8)]),
    ...      "lr": Real(1e-3, 1e-1, prior="log-uniform")},
    ...     n_iter=3, cv=2, random_state=0,
    ... ).fit(X, y)
    >>> search.best_params_["hidden_layer_sizes"] in [(8,), (16, 8)]
    True
    """

    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        """Run the search; as :meth:`skopt.BayesSearchCV.fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
        groups : array-like of shape (n_samples,) or None
            Group labels for the splitter.
        callback : callable, list of callables or None
            Called with the optimizer result after each step; a True return
            stops the search.
        **fit_params : dict
            Passed to the estimator's ``fit`` (with metadata routing: routed
            to the steps and the scorer that request them).

        Returns
        -------
        self : BayesSearchCV
        """
        check_surrogate(self.optimizer_kwargs)
        return super().fit(X, y, groups=groups, callback=callback, **fit_params)

    def _get_routed_params_for_fit(self, params):
        if "groups" in params and params["groups"] is None:
            params = {k: v for k, v in params.items() if k != "groups"}
        return super()._get_routed_params_for_fit(params)

    def _run_search(self, evaluate_candidates):
        spaces, decoders = _encode(self.search_spaces)
        if not decoders:
            return super()._run_search(evaluate_candidates)

        def evaluate_decoded(candidates):
            decoded = []
            for params in candidates:
                params = dict(params)
                for name, back in decoders.items():
                    if name in params and params[name] in back:
                        params[name] = back[params[name]]
                decoded.append(params)
            return evaluate_candidates(decoded)

        # skopt's _run_search reads the spaces from the attribute; the
        # user's spaces are put back as soon as it returns.
        original = self.search_spaces
        self.search_spaces = spaces
        try:
            return super()._run_search(evaluate_decoded)
        finally:
            self.search_spaces = original
