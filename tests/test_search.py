"""Hyperparameter searches over pipelines of our transformers and networks
(GridSearchCV, RandomizedSearchCV, skopt's BayesSearchCV and ours), and the
ready spaces of sknn_hep.model_selection.search_space."""

import itertools

import numpy as np
import pytest
import skopt
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    ParameterSampler,
    RandomizedSearchCV,
)
from sklearn.pipeline import Pipeline, make_pipeline
from skopt.learning import ExtraTreesRegressor, GradientBoostingQuantileRegressor
from skopt.space import Categorical, Dimension, Real, Space
from threadpoolctl import threadpool_limits

from sknn_hep.ensemble import SeedEnsemble
from sknn_hep.model_selection import BayesSearchCV, search_space
from sknn_hep.model_selection._search_space import ENTRIES
from sknn_hep.neural_network import (
    MultiTaskNeuralNet,
    NeuralClassifier,
    NeuralRegressor,
)
from sknn_hep.nn import ACTIVATIONS, BLOCKS, INITIALIZERS, LR_SCHEDULES, OPTIMIZERS
from sknn_hep.preprocessing import LogShiftTransformer, MissingValueEncoder

FAST = dict(batch_size=50, max_epochs=3, lr=1e-2, random_state=0)
MISSING = -999.0
# 2 random points, then the surrogate proposes; its acquisition is minimised
# over 500 random points (skopt's default: 10,000 and L-BFGS runs)
QUICK_BAYES = {
    "n_initial_points": 2,
    "acq_optimizer": "sampling",
    "acq_optimizer_kwargs": {"n_points": 500},
}


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """skopt's GP runs many tiny BLAS calls; with the 2 cores shared by pytest
    workers, BLAS threads spinning against each other make it ~4x slower."""
    with threadpool_limits(limits=1):
        yield


def _physics_like(n=200, *, regression=False, seed=0):
    """Separable data with a positive steep column 0 and missing markers in 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 5)) + 1.5 * y[:, None]
    X[:, 0] = np.exp(X[:, 0]) + 10.0
    X[rng.random(n) < 0.2, 1] = MISSING
    if regression:
        y = X[:, 2] + 0.5 * X[:, 3] + 0.1 * rng.normal(size=n)
    return X, y


def _pipe(net):
    return make_pipeline(
        MissingValueEncoder(missing_values=MISSING),
        LogShiftTransformer(columns=[0]),
        net,
    )


def _hidden_sizes(net):
    """Widths of the hidden layers of a fitted plain network."""
    return [w.shape[0] for w in net.net_.module_.linear_weights()][:-1]


# -- the three searches over pipelines ------------------------------------------


def test_grid_search_over_pipeline_with_choices_and_tuples():
    X, y = _physics_like()
    grid = {
        "neuralclassifier__optimizer": ["adam", "nesterov"],
        "neuralclassifier__hidden_layer_sizes": [(8,), (8, 4)],
        "neuralclassifier__activation": ["relu", "tanh"],
    }
    search = GridSearchCV(_pipe(NeuralClassifier(**FAST)), grid, cv=2).fit(X, y)
    candidates = list(ParameterGrid(grid))
    assert len(search.cv_results_["params"]) == len(candidates) == 8
    assert all(p in candidates for p in search.cv_results_["params"])
    assert search.best_params_ in candidates
    best = search.best_estimator_[-1]
    assert (
        best.get_params()["hidden_layer_sizes"]
        == (search.best_params_["neuralclassifier__hidden_layer_sizes"])
    )
    assert _hidden_sizes(best) == list(best.hidden_layer_sizes)
    assert best.optimizer == search.best_params_["neuralclassifier__optimizer"]
    assert search.predict(X).shape == (len(X),)
    assert search.best_score_ > 0.8  # separable; chance is 0.5


def _in_space(value, spec):
    if isinstance(spec, Dimension):
        return value in spec
    if isinstance(spec, list):
        return value in spec
    low, high = spec.support()
    return low <= value <= high


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_randomized_search_with_ready_space_over_regressor_pipeline():
    X, y = _physics_like(regression=True)
    pipe = _pipe(NeuralRegressor(**FAST))
    space = search_space(pipe, "random")
    search = RandomizedSearchCV(pipe, space, n_iter=3, cv=2, random_state=0)
    search.fit(X, y)
    for params in search.cv_results_["params"]:
        assert set(params) == set(space)
        assert all(_in_space(v, space[k]) for k, v in params.items())
    # a diverging candidate (TrainingDivergedError) scores NaN and ranks last
    best = int(np.flatnonzero(search.cv_results_["rank_test_score"] == 1)[0])
    assert search.best_params_ == search.cv_results_["params"][best]
    assert np.isfinite(search.best_score_)
    pred = search.predict(X)
    assert pred.shape == (len(X),) and np.all(np.isfinite(pred))
    fitted = search.best_estimator_[-1]
    assert all(
        fitted.get_params()[k.split("__")[1]] == v
        for k, v in search.best_params_.items()
    )


def test_skopt_bayes_search_gaussian_process_over_pipeline():
    """skopt's own class on its default GP surrogate, with our ready space."""
    X, y = _physics_like()
    pipe = _pipe(NeuralClassifier(**FAST))
    space = search_space(
        pipe,
        "bayes",
        include=["lr", "n_units", "optimizer", "activation", "block", "lr_schedule"],
    )
    search = skopt.BayesSearchCV(
        pipe,
        space,
        n_iter=3,
        cv=2,
        random_state=0,
        optimizer_kwargs=QUICK_BAYES,
    ).fit(X, y)
    # past the 2 initial points the GP proposed the candidates
    assert len(search.optimizer_results_[0].models) >= 1
    assert type(search.optimizer_results_[0].models[0]).__name__ == (
        "GaussianProcessRegressor"
    )
    assert len(search.cv_results_["params"]) == 3
    for params in search.cv_results_["params"]:
        assert all(_in_space(v, space[k]) for k, v in params.items())
    assert search.best_params_ in search.cv_results_["params"]
    assert search.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("form", [Categorical, list])
def test_bayes_search_takes_tuple_choices(form):
    X, y = _physics_like(regression=True)
    choices = [(8,), (8, 4), (16, 8, 4)]
    space = {
        "neuralregressor__hidden_layer_sizes": form(choices),
        "neuralregressor__lr": Real(1e-3, 3e-2, prior="log-uniform"),
    }
    search = BayesSearchCV(
        _pipe(NeuralRegressor(**FAST)),
        space,
        n_iter=3,
        cv=2,
        random_state=0,
        optimizer_kwargs=QUICK_BAYES,
    ).fit(X, y)
    sizes = [
        p["neuralregressor__hidden_layer_sizes"] for p in search.cv_results_["params"]
    ]
    assert all(isinstance(s, tuple) and s in choices for s in sizes)
    best = search.best_params_["neuralregressor__hidden_layer_sizes"]
    assert best in choices
    assert _hidden_sizes(search.best_estimator_[-1]) == list(best)
    # the optimizer worked on labels; the user's space is left as it was
    assert search.optimizer_results_[0].x[0] in {repr(c) for c in choices}
    user_space = search.search_spaces["neuralregressor__hidden_layer_sizes"]
    assert user_space is space["neuralregressor__hidden_layer_sizes"]
    assert list(getattr(user_space, "categories", user_space)) == choices
    assert search.predict(X).shape == (len(X),)


def test_bayes_search_tuple_choices_in_list_of_subspaces_with_other_surrogate():
    X, y = _physics_like()
    spaces = [
        (
            {
                "hidden_layer_sizes": Categorical([(8,), (4, 4), None]),
                "lr": Real(1e-3, 3e-2, prior="log-uniform"),
            },
            3,
        ),
        {"n_units": [4, 8, 16]},
    ]
    search = BayesSearchCV(
        NeuralClassifier(**FAST, n_layers=1),
        spaces,
        n_iter=2,
        cv=2,
        random_state=0,
        optimizer_kwargs={
            **QUICK_BAYES,
            "base_estimator": ExtraTreesRegressor(n_estimators=10, random_state=0),
        },
    ).fit(X, y)
    params = search.cv_results_["params"]
    assert len(params) == 5
    assert all(p["hidden_layer_sizes"] in [(8,), (4, 4), None] for p in params[:3])
    assert all(p["n_units"] in [4, 8, 16] for p in params[3:])


@pytest.mark.parametrize(
    "choice, match",
    [
        ((8, 4), "can only convert an array of size 1"),
        # a 1-tuple silently becomes its int, which the network rejects
        ((8,), "'hidden_layer_sizes' parameter of NeuralClassifier .* Got 8 instead"),
    ],
)
def test_skopt_own_bayes_search_cannot_take_tuples(choice, match):
    """Why BayesSearchCV above exists: skopt makes each value a scalar."""
    X, y = _physics_like(n=40)
    search = skopt.BayesSearchCV(
        NeuralClassifier(**FAST),
        {"hidden_layer_sizes": Categorical([choice])},
        n_iter=1,
        cv=2,
    )
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


def test_tuple_label_that_collides_with_a_string_choice_raises():
    X, y = _physics_like(n=40)
    search = BayesSearchCV(
        NeuralClassifier(**FAST),
        {"hidden_layer_sizes": Categorical([(8,), "(8,)"])},
        n_iter=1,
        cv=2,
    )
    with pytest.raises(ValueError, match=r"'hidden_layer_sizes' hold \(8,\)"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "surrogate", ["GBRT", "gbrt", "DUMMY", GradientBoostingQuantileRegressor()]
)
def test_broken_surrogates_raise_a_clear_error(surrogate):
    X, y = _physics_like(n=40)
    search = BayesSearchCV(
        NeuralClassifier(**FAST),
        {"lr": Real(1e-3, 1e-1)},
        n_iter=1,
        cv=2,
        optimizer_kwargs={"base_estimator": surrogate},
    )
    with pytest.raises(
        ValueError,
        match=r"'base_estimator' entry of optimizer_kwargs of BayesSearchCV must be "
        r"'GP' \(the default\), 'RF', 'ET'.*Got .* instead",
    ):
        search.fit(X, y)


@pytest.mark.parametrize("surrogate", ["GBRT", "DUMMY"])
def test_skopt_own_search_fails_on_gbrt_and_dummy(surrogate):
    """The failures the guard above replaces (scikit-optimize 0.10.2)."""
    X, y = _physics_like(n=40)
    search = skopt.BayesSearchCV(
        NeuralClassifier(**FAST),
        {"lr": Real(1e-3, 1e-1)},
        n_iter=1,
        cv=2,
        optimizer_kwargs={"base_estimator": surrogate},
    )
    with pytest.raises((ValueError, AttributeError)):
        search.fit(X, y)
    assert not hasattr(np, "in1d")  # GBRT's predict would fail next


# -- search_space -----------------------------------------------------------------


def _check_candidate(pipe, params):
    """set_params + the network's own validation, without fitting."""
    est = clone(pipe).set_params(**params)
    net = est[-1] if isinstance(est, Pipeline) else est
    net._validate_params()
    net._hidden_sizes()
    net._check_schedule_params()


def _candidates(space, kind, n=150):
    if kind == "grid":
        grid = ParameterGrid(space)
        rows = np.random.default_rng(0).choice(len(grid), min(n, len(grid)), False)
        return [grid[int(i)] for i in rows]
    if kind == "random":
        return list(ParameterSampler(space, n, random_state=0))
    names = list(space)
    points = Space([space[k] for k in names]).rvs(n, random_state=0)
    # skopt's BayesSearchCV makes each value a Python scalar the same way
    return [{k: np.array(v).item() for k, v in zip(names, p)} for p in points]


@pytest.mark.parametrize("cls", [NeuralClassifier, NeuralRegressor, MultiTaskNeuralNet])
@pytest.mark.parametrize("kind", ["grid", "random", "bayes"])
@pytest.mark.parametrize("selection", ["default", "all"])
def test_every_candidate_is_a_valid_parameter_setting(cls, kind, selection):
    pipe = _pipe(cls())
    include = None
    if selection == "all":
        params = cls().get_params()
        include = [
            n
            for n in ENTRIES
            if n in params and n not in ("n_layers", "n_units")
            if not (kind == "bayes" and n == "hidden_layer_sizes")
        ]
    space = search_space(pipe, kind, include=include)
    if include is not None:
        assert {k.split("__")[1] for k in space} == set(include)
    candidates = _candidates(space, kind)
    assert len(candidates) >= 16
    for params in candidates:
        _check_candidate(pipe, params)


def test_grid_default_is_small():
    space = search_space(NeuralClassifier())
    assert list(space) == ["lr", "n_layers", "n_units", "dropout"]
    assert len(ParameterGrid(space)) == 16


def test_random_and_bayes_default_cover_the_lecture_list():
    lecture = {
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
    }
    for kind in ("random", "bayes"):
        assert set(search_space(NeuralRegressor(), kind)) == lecture
    bayes = search_space(NeuralClassifier(), "bayes")
    assert isinstance(bayes["lr"], Real) and bayes["lr"].prior == "log-uniform"
    assert bayes["n_layers"].low == 1 and isinstance(bayes["n_layers"].low, int)
    random = search_space(NeuralClassifier(), "random")
    assert isinstance(random["lr"].dist, type(loguniform(1, 2).dist))
    samples = random["n_layers"].rvs(200, random_state=0)
    assert samples.dtype.kind == "i" and set(samples) == {1, 2, 3, 4, 5}


def test_choices_follow_the_registries():
    """A new activation, block, ... in sknn_hep.nn must show up here."""
    space = search_space(
        NeuralClassifier(),
        "random",
        include=["activation", "block", "initializer", "optimizer", "lr_schedule"],
    )
    assert set(space["activation"]) == set(ACTIVATIONS)
    assert set(space["block"]) == set(BLOCKS)
    assert set(space["initializer"]) == set(INITIALIZERS)
    assert set(space["optimizer"]) == set(OPTIMIZERS) - {"adadelta"}
    assert set(space["lr_schedule"]) == set(LR_SCHEDULES)


def test_prefix_found_in_pipelines_and_meta_estimators():
    assert "lr" in search_space(NeuralClassifier())
    assert "neuralclassifier__lr" in search_space(_pipe(NeuralClassifier()))
    nested = Pipeline(
        [("prep", MissingValueEncoder()), ("model", _pipe(NeuralClassifier()))]
    )
    assert "model__neuralclassifier__lr" in search_space(nested)
    ttr = TransformedTargetRegressor(
        regressor=NeuralRegressor(), func=np.log1p, inverse_func=np.expm1
    )
    assert "regressor__lr" in search_space(ttr)
    assert "estimator__lr" in search_space(SeedEnsemble(NeuralClassifier()))


def test_prefix_override():
    for prefix in ("clf", "clf__"):
        assert "clf__lr" in search_space(NeuralClassifier(), prefix=prefix)
    assert "lr" in search_space(NeuralClassifier(), prefix="")
    stack = StackingClassifier(
        [("a", NeuralClassifier()), ("b", NeuralRegressor())],
        final_estimator=LogisticRegression(),
    )
    # the regressor's entries come with prefix "b"
    assert "b__loss" in search_space(stack, prefix="b", include=["loss"])
    with pytest.raises(ValueError, match=r"holds 2 neural networks, at \['a', 'b'\]"):
        search_space(stack)
    with pytest.raises(
        ValueError,
        match=r"'prefix' parameter of search_space must name a neural network in "
        r"StackingClassifier: one of \['a', 'b'\]. Got 'c' instead",
    ):
        search_space(stack, prefix="c")


def test_estimator_without_network_raises():
    with pytest.raises(
        TypeError,
        match=r"needs a network of sknn_hep.neural_network .* Got "
        "Pipeline instead, which holds none",
    ):
        search_space(make_pipeline(MissingValueEncoder(), LogisticRegression()))


def test_include_exclude_overrides():
    clf = NeuralClassifier()
    assert list(search_space(clf, "bayes", include=["lr", "optimizer"])) == [
        "lr",
        "optimizer",
    ]
    assert "dropout" not in search_space(clf, exclude=["dropout"])
    assert "lr" not in search_space(clf, "random", exclude="lr")
    space = search_space(clf, overrides={"lr": [0.1], "max_epochs": [5, 10]})
    assert space["lr"] == [0.1] and space["max_epochs"] == [5, 10]
    assert len(ParameterGrid(space)) == 16
    # the ready table entries of one estimator only
    assert search_space(clf, include=["class_weight"]) == {
        "class_weight": [None, "balanced"]
    }
    assert search_space(NeuralRegressor(), include=["loss"]) == {
        "loss": ["mse", "huber"]
    }


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(include=["foo"]), r"'include' parameter of search_space names \['foo'\]"),
        (dict(include=["loss"]), r"names \['loss'\], which have no ready entry"),
        (dict(exclude=["bar"]), r"'exclude' parameter of search_space names \['bar'\]"),
        (
            dict(overrides={"nope": [1]}),
            r"'overrides' parameter of search_space names \['nope'\], which are not "
            "parameters of NeuralClassifier",
        ),
        (
            dict(include=["hidden_layer_sizes", "n_layers"]),
            r"both 'hidden_layer_sizes' and \['n_layers'\]",
        ),
        (
            dict(overrides={"hidden_layer_sizes": [(4,)]}),
            r"both 'hidden_layer_sizes' and \['n_layers', 'n_units'\]",
        ),
        (dict(kind="bogus"), r"The 'kind' parameter of search_space must be a str"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        search_space(NeuralClassifier(), **kwargs)


def test_each_call_returns_new_objects():
    a = search_space(NeuralClassifier(), "bayes")
    b = search_space(NeuralClassifier(), "bayes")
    c = search_space(NeuralClassifier(), "random")
    d = search_space(NeuralClassifier(), "random")
    for key in a:
        assert a[key] is not b[key] and c[key] is not d[key]
    a["activation"].name = "changed"
    assert b["activation"].name is None


def test_grid_candidates_fit():
    """A few grid candidates of every categorical entry train and predict."""
    X, y = _physics_like(n=120)
    space = search_space(
        NeuralClassifier(),
        include=["activation", "block", "optimizer", "initializer", "lr_schedule"],
    )
    combos = list(ParameterGrid(space))
    assert len(combos) == 32
    for params in itertools.islice(combos, 0, 32, 7):
        net = NeuralClassifier(**FAST, n_layers=2, n_units=8).set_params(**params)
        assert net.fit(X, y).predict(X).shape == (len(X),)
