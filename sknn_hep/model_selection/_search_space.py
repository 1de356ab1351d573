"""Ready hyperparameter search spaces for the neural-network estimators."""

from __future__ import annotations

from scipy.stats import loguniform, randint, uniform
from sklearn.utils._param_validation import HasMethods, StrOptions, validate_params
from skopt.space import Categorical, Integer
from skopt.space import Real as RealDim

KINDS = ("grid", "random", "bayes")

GRID_DEFAULT = ("lr", "n_layers", "n_units", "dropout")
"""Parameters in the default ``kind="grid"`` space (2 values each: 16 candidates)."""

SEARCH_DEFAULT = (
    "lr",
    "n_layers",
    "n_units",
    "dropout",
    "activation",
    "block",
    "initializer",
    "optimizer",
    "lr_schedule",
    "batch_size",
    "l2",
    "batch_norm",
)
"""Parameters in the default ``kind="random"`` and ``kind="bayes"`` spaces."""

_ACTIVATIONS = ["relu", "elu", "selu", "tanh", "sigmoid", "leaky_relu", "gelu"]
_BLOCKS = ["plain", "residual", "dense"]
_INITIALIZERS = [
    "auto",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
]
# adadelta is left out: its rate is a multiplier conventionally near 1, far
# outside the lr range searched here.
_OPTIMIZERS = [
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "amsgrad",
    "adamw",
]
_NUM_EMBEDDINGS = [None, "periodic", "piecewise"]
_SCHEDULES = [None, "time", "step", "exponential", "plateau", "cosine"]
_BATCH_SIZES = [32, 64, 128, 256, 512]
_WIDTHS = [16, 32, 64, 128, 256]
_LAYER_SIZES = [(64,), (64, 64), (128, 64), (128, 128), (256, 128, 64)]


def _table() -> dict:
    """Every known entry as ``name: (grid list, random, bayes)``, built fresh.

    Fresh objects on every call: skopt names the dimensions it is given, and
    a frozen scipy distribution may carry a random state, so two spaces must
    never share them.
    """
    return {
        "lr": (
            [1e-3, 1e-2],
            loguniform(1e-4, 1e-1),
            RealDim(1e-4, 1e-1, prior="log-uniform"),
        ),
        "n_layers": ([2, 3], randint(1, 6), Integer(1, 5)),
        "n_units": (
            [64, 128],
            list(_WIDTHS),
            Integer(16, 256, prior="log-uniform", base=2),
        ),
        "hidden_layer_sizes": (
            [(64, 64), (128, 64)],
            list(_LAYER_SIZES),
            Categorical(list(_LAYER_SIZES)),
        ),
        "dropout": ([0.0, 0.2], uniform(0.0, 0.5), RealDim(0.0, 0.5)),
        "activation": (
            ["relu", "selu"],
            list(_ACTIVATIONS),
            Categorical(list(_ACTIVATIONS)),
        ),
        "block": (["plain", "residual"], list(_BLOCKS), Categorical(list(_BLOCKS))),
        "batch_norm": ([False, True], [False, True], Categorical([False, True])),
        "initializer": (
            ["auto", "glorot_uniform"],
            list(_INITIALIZERS),
            Categorical(list(_INITIALIZERS)),
        ),
        "optimizer": (
            ["adam", "nesterov"],
            list(_OPTIMIZERS),
            Categorical(list(_OPTIMIZERS)),
        ),
        "momentum": ([0.9, 0.99], uniform(0.8, 0.19), RealDim(0.8, 0.99)),
        "lr_schedule": (
            [None, "cosine"],
            list(_SCHEDULES),
            Categorical(list(_SCHEDULES)),
        ),
        "lr_decay": ([0.5, 0.9], uniform(0.1, 0.8), RealDim(0.1, 0.9)),
        "batch_size": (
            [128, 256],
            list(_BATCH_SIZES),
            Integer(32, 512, prior="log-uniform", base=2),
        ),
        "l1": (
            [0.0, 1e-4],
            loguniform(1e-6, 1e-2),
            RealDim(1e-6, 1e-2, prior="log-uniform"),
        ),
        "l2": (
            [0.0, 1e-4],
            loguniform(1e-6, 1e-2),
            RealDim(1e-6, 1e-2, prior="log-uniform"),
        ),
        "noise_std": ([0.0, 0.1], uniform(0.0, 0.3), RealDim(0.0, 0.3)),
        "weight_decay": (
            [0.0, 0.01],
            loguniform(1e-4, 1e-1),
            RealDim(1e-4, 1e-1, prior="log-uniform"),
        ),
        "input_scaling": (
            ["robust", "standard"],
            ["robust", "standard"],
            Categorical(["robust", "standard"]),
        ),
        "num_embedding": (
            ["periodic", None],
            list(_NUM_EMBEDDINGS),
            Categorical(list(_NUM_EMBEDDINGS)),
        ),
        "num_embedding_dim": (
            [8, 16],
            [4, 8, 16, 32],
            Integer(4, 32, prior="log-uniform", base=2),
        ),
        "n_ensemble": ([1, 8], [1, 2, 4, 8, 16], Integer(1, 16)),
        "validation_fraction": (
            [0.1, 0.2],
            uniform(0.1, 0.2),
            RealDim(0.1, 0.3),
        ),
        "class_weight": (
            [None, "balanced"],
            [None, "balanced"],
            Categorical([None, "balanced"]),
        ),
        "loss": (
            ["mse", "huber"],
            ["mse", "mae", "huber"],
            Categorical(["mse", "mae", "huber"]),
        ),
    }


ENTRIES = tuple(_table())
"""Names that have a ready entry (``class_weight`` is the classifier's, ``loss``
the regressors')."""


def _neural_paths(estimator) -> list[tuple[str, object]]:
    """``(parameter path, estimator)`` of each neural network in ``estimator``."""
    from ..neural_network._base import BaseNeuralEstimator

    if isinstance(estimator, BaseNeuralEstimator):
        return [("", estimator)]
    return [
        (key, value)
        for key, value in estimator.get_params(deep=True).items()
        if isinstance(value, BaseNeuralEstimator)
    ]


def _locate(estimator, prefix):
    """The neural estimator whose space is built, and its parameter prefix."""
    found = _neural_paths(estimator)
    if prefix is not None:
        prefix = prefix.removesuffix("__")
    if len(found) == 1 and found[0][0] == "":
        # a bare network: the prefix names where it will sit
        return found[0][1], prefix or ""
    paths = [path for path, _ in found]
    if not found:
        raise TypeError(
            "search_space needs a network of sknn_hep.neural_network "
            "(NeuralClassifier, NeuralRegressor, MultiTaskNeuralNet), or a "
            "pipeline or meta-estimator holding one. Got "
            f"{type(estimator).__name__} instead, which holds none."
        )
    if prefix is None:
        if len(found) > 1:
            raise ValueError(
                f"{type(estimator).__name__} holds {len(found)} neural networks, "
                f"at {paths!r}; pass prefix= to choose one."
            )
        return found[0][1], found[0][0]
    for path, net in found:
        if path == prefix:
            return net, prefix
    raise ValueError(
        f"The 'prefix' parameter of search_space must name a neural network in "
        f"{type(estimator).__name__}: one of {paths!r}. Got {prefix!r} instead."
    )


def _check_names(names, param, available):
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"The {param!r} parameter of search_space names {unknown!r}, which "
            f"have no ready entry for this estimator; known: {sorted(available)!r}."
        )
    return names


@validate_params(
    {
        "estimator": [HasMethods(["fit", "get_params"])],
        "kind": [StrOptions(set(KINDS))],
        "prefix": [str, None],
        "include": ["array-like", str, None],
        "exclude": ["array-like", str, None],
        "overrides": [dict, None],
    },
    prefer_skip_nested_validation=True,
)
def search_space(
    estimator, kind="grid", *, prefix=None, include=None, exclude=None, overrides=None
):
    """Ready hyperparameter space of a network, for a scikit-learn or skopt search.

    Returns a plain dict, keyed by the parameter names the search sets (with
    the pipeline prefix, e.g. ``"neuralclassifier__lr"``), to pass as
    ``param_grid`` to :class:`~sklearn.model_selection.GridSearchCV`,
    ``param_distributions`` to
    :class:`~sklearn.model_selection.RandomizedSearchCV` (or the halving
    searches), or ``search_spaces`` to :class:`skopt.BayesSearchCV`. Edit it
    like any dict, or use ``include``, ``exclude`` and ``overrides``.

    Parameters
    ----------
    estimator : estimator
        A :class:`~sknn_hep.neural_network.NeuralClassifier`,
        :class:`~sknn_hep.neural_network.NeuralRegressor` or
        :class:`~sknn_hep.neural_network.MultiTaskNeuralNet`, or a Pipeline
        (or any meta-estimator: ``TransformedTargetRegressor``, the
        ensembles of :mod:`sknn_hep.ensemble`, ...) holding exactly one; its
        parameter path becomes the prefix.
    kind : {"grid", "random", "bayes"}, default="grid"
        ``"grid"``: a list of values per parameter (2 each; the default
        selection is a 16-candidate grid). ``"random"``: scipy.stats
        distributions for continuous and integer parameters, lists for
        choices. ``"bayes"``: skopt dimensions (``Real``, ``Integer``,
        ``Categorical``).
    prefix : str or None, default=None
        Parameter path of the network, without the trailing ``"__"``. None:
        found in ``estimator``; ``""``: no prefix. With a bare network,
        the name it will have in the pipeline you build.
    include : list of str or None, default=None
        The parameters to search, replacing the default selection
        (``GRID_DEFAULT`` for grids, ``SEARCH_DEFAULT`` otherwise); any name
        in the table below.
    exclude : list of str or None, default=None
        Parameters removed from the selection.
    overrides : dict or None, default=None
        ``{parameter: values}`` by bare parameter name: replaces a ready
        entry or adds any other parameter of the network, in the form the
        search expects for ``kind``.

    Returns
    -------
    space : dict
        ``{prefixed parameter name: values}``, new objects on every call.

    Raises
    ------
    TypeError
        If ``estimator`` holds no neural network.
    ValueError
        If it holds several and ``prefix`` is None, if ``prefix`` names
        none of them, if ``include``/``exclude`` name an unknown entry or
        ``overrides`` an unknown parameter, or if the selection has both
        ``hidden_layer_sizes`` and ``n_layers``/``n_units`` (the network
        ignores the latter when the former is set).

    See Also
    --------
    sknn_hep.model_selection.BayesSearchCV : skopt's search, with tuple
        choices (``hidden_layer_sizes``) and a clear error for the
        surrogates that fail.

    Notes
    -----
    The ready entries, per kind. The default selections: ``GRID_DEFAULT`` =
    lr, n_layers, n_units, dropout; ``SEARCH_DEFAULT`` (random, bayes) adds
    activation, block, initializer, optimizer, lr_schedule, batch_size, l2
    and batch_norm. Other entries come in through ``include``.

    ===================  ===============  ======================  =====================
    parameter            grid             random                  bayes
    ===================  ===============  ======================  =====================
    lr                   1e-3, 1e-2       loguniform(1e-4, 1e-1)  Real, same, log
    n_layers             2, 3             randint(1, 6): 1 to 5   Integer(1, 5)
    n_units              64, 128          16, 32, ..., 256        Integer(16, 256), log
    hidden_layer_sizes   (64, 64),        (64,), (64, 64),        Categorical, same
                         (128, 64)        (128, 64), (128, 128),
                                          (256, 128, 64)
    dropout              0.0, 0.2         uniform on [0, 0.5]     Real(0.0, 0.5)
    activation           relu, selu       all 7                   Categorical, all 7
    block                plain, residual  all 3                   Categorical, all 3
    batch_norm           False, True      False, True             Categorical, same
    initializer          auto,            all 6                   Categorical, all 6
                         glorot_uniform
    optimizer            adam, nesterov   all but adadelta        Categorical, same 8
    momentum             0.9, 0.99        uniform on [0.8, 0.99]  Real(0.8, 0.99)
    lr_schedule          None, cosine     None and all 5          Categorical, same
    lr_decay             0.5, 0.9         uniform on [0.1, 0.9]   Real(0.1, 0.9)
    batch_size           128, 256         32, 64, ..., 512        Integer(32, 512), log
    l1, l2               0.0, 1e-4        loguniform(1e-6, 1e-2)  Real, same, log
    noise_std            0.0, 0.1         uniform on [0, 0.3]     Real(0.0, 0.3)
    weight_decay         0.0, 0.01        loguniform(1e-4, 1e-1)  Real, same, log
    input_scaling        robust,          robust, standard        Categorical, same
                         standard
    num_embedding        periodic, None   None, periodic,         Categorical, same
                                          piecewise
    num_embedding_dim    8, 16            4, 8, 16, 32            Integer(4, 32), log
    n_ensemble           1, 8             1, 2, 4, 8, 16          Integer(1, 16)
    validation_fraction  0.1, 0.2         uniform on [0.1, 0.3]   Real(0.1, 0.3)
    class_weight         None, balanced   None, balanced          Categorical, same
    loss (regressors)    mse, huber       mse, mae, huber         Categorical, same
    ===================  ===============  ======================  =====================

    "log": log-uniform prior (base 2 for the integers).

    Every value is valid for the estimator's parameter constraints;
    ``lr_decay`` stays below 1, as the step and plateau schedules require.
    adadelta is not among the optimizers: its rate is a multiplier near 1,
    outside the lr range. ``validation_fraction`` matters only with
    ``early_stopping=True``, ``momentum`` only for the momentum and nesterov
    optimizers, ``lr_decay`` only with a schedule that uses it.

    skopt's own :class:`skopt.BayesSearchCV` cannot take tuple choices
    (``hidden_layer_sizes``): it turns each value into a scalar with
    ``np.array(v).item()`` (a longer tuple raises, ``(64,)`` becomes ``64``).
    Use :class:`sknn_hep.model_selection.BayesSearchCV` for those, or search
    ``n_layers`` and ``n_units``.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sknn_hep.model_selection import search_space
    >>> from sknn_hep.neural_network import NeuralClassifier
    >>> from sknn_hep.preprocessing import MissingValueEncoder
    >>> pipe = make_pipeline(MissingValueEncoder(), NeuralClassifier())
    >>> search_space(pipe)
    {'neuralclassifier__lr': [0.001, 0.01], 'neuralclassifier__n_layers': [2, 3],
     'neuralclassifier__n_units': [64, 128], 'neuralclassifier__dropout': [0.0, 0.2]}
    >>> from skopt.space import Integer
    >>> space = search_space(pipe, "bayes", include=["lr", "optimizer"],
    ...                      overrides={"n_units": Integer(32, 128)})
    >>> list(space)
    ['neuralclassifier__lr', 'neuralclassifier__optimizer', 'neuralclassifier__n_units']
    >>> space["neuralclassifier__lr"]
    Real(low=0.0001, high=0.1, prior='log-uniform', transform='identity')
    >>> sorted(search_space(NeuralClassifier(), "random", prefix="clf"))[:3]
    ['clf__activation', 'clf__batch_norm', 'clf__batch_size']
    """
    net, path = _locate(estimator, prefix)
    params = net.get_params(deep=False)
    table = {k: v for k, v in _table().items() if k in params}
    column = KINDS.index(kind)
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in params]
    if unknown:
        raise ValueError(
            f"The 'overrides' parameter of search_space names {unknown!r}, which "
            f"are not parameters of {type(net).__name__}."
        )
    if include is None:
        names = list(GRID_DEFAULT if kind == "grid" else SEARCH_DEFAULT)
    else:
        names = _check_names(include, "include", table)
    if exclude is not None:
        dropped = set(_check_names(exclude, "exclude", table))
        names = [n for n in names if n not in dropped]
    names += [k for k in overrides if k not in names]
    if "hidden_layer_sizes" in names and {"n_layers", "n_units"} & set(names):
        raise ValueError(
            "search_space got both 'hidden_layer_sizes' and "
            f"{sorted({'n_layers', 'n_units'} & set(names))!r} to search; "
            f"{type(net).__name__} ignores n_layers and n_units when "
            "hidden_layer_sizes is set. Exclude one or the other."
        )
    key = f"{path}__" if path else ""
    return {
        key + n: overrides[n] if n in overrides else table[n][column] for n in names
    }
