"""Physics metrics against hand-computed values."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from sknn_hep.metrics import ams, ams_curve, asimov_significance, background_rejection


def _ams(s, b, b_reg=10.0):
    return math.sqrt(2 * ((s + b + b_reg) * math.log(1 + s / (b + b_reg)) - s))


def test_ams_of_a_selection_matches_the_formula():
    y = np.array([1, 1, 1, 0, 0, 0])
    w = np.array([2.0, 3.0, 4.0, 10.0, 20.0, 30.0])
    selected = np.array([1, 1, 0, 1, 0, 0])
    assert ams(y, selected, sample_weight=w) == pytest.approx(_ams(5.0, 10.0))
    assert ams(y, selected, sample_weight=w, b_reg=0) == pytest.approx(
        _ams(5.0, 10.0, 0.0)
    )


def test_ams_threshold_and_maximum():
    y = np.array([1, 1, 0, 1, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    w = np.array([1.0, 1.0, 5.0, 1.0, 5.0, 5.0])
    assert ams(y, score, sample_weight=w, threshold=0.75) == pytest.approx(
        _ams(2.0, 0.0)
    )
    expected = [_ams(1, 0), _ams(2, 0), _ams(2, 5), _ams(3, 5), _ams(3, 10)]
    expected.append(_ams(3, 15))
    thresholds, values = ams_curve(y, score, sample_weight=w)
    np.testing.assert_allclose(values, expected)
    np.testing.assert_array_equal(thresholds, score)
    assert ams(y, score, sample_weight=w, threshold="max") == pytest.approx(
        max(expected)
    )


def test_ams_rescales_each_class_to_its_total():
    y = np.array([1, 1, 0, 0])
    w = np.array([1.0, 1.0, 1.0, 3.0])
    selected = np.array([1, 0, 1, 0])
    # signal 2 -> 691.99 (x 345.995), background 4 -> 410999.85 (x 102749.96)
    value = ams(
        y, selected, sample_weight=w, signal_total=691.99, background_total=410999.85
    )
    assert value == pytest.approx(_ams(691.99 / 2, 410999.85 / 4))


def test_ams_ties_form_one_threshold():
    thresholds, values = ams_curve([1, 0, 1], [0.5, 0.5, 0.2])
    assert thresholds.tolist() == [0.5, 0.2]
    assert values[0] == pytest.approx(_ams(1, 1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_true": [0, 2], "y_pred": [1, 0]}, "0 \\(background\\) and 1"),
        ({"y_true": [0, 1], "y_pred": [0.3, 0.6]}, "continuous y_pred"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "threshold": "best"}, "'threshold'"),
        ({"y_true": [0, 1], "y_pred": [0, np.nan], "threshold": 0.5}, "non-finite"),
    ],
)
def test_ams_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ams(**kwargs)


def test_asimov_significance():
    assert asimov_significance(10, 100) == pytest.approx(_ams(10, 100, 0.0))
    # large b: Z -> s / sqrt(b)
    assert asimov_significance(10, 1e6) == pytest.approx(0.01, rel=1e-3)
    # with sigma_b: hand computation of Cowan et al.'s formula
    s, b, var = 10.0, 100.0, 100.0
    first = (s + b) * math.log((s + b) * (b + var) / (b * b + (s + b) * var))
    second = b * b / var * math.log(1 + var * s / (b * (b + var)))
    assert asimov_significance(s, b, sigma_b=10) == pytest.approx(
        math.sqrt(2 * (first - second))
    )
    # an uncertainty lowers the significance and tends to the plain value
    assert asimov_significance(s, b, sigma_b=10) < asimov_significance(s, b)
    assert asimov_significance(s, b, sigma_b=1e-4) == pytest.approx(
        asimov_significance(s, b), rel=1e-6
    )
    np.testing.assert_allclose(
        asimov_significance([10, 20], [100, 100]), [_ams(10, 100, 0), _ams(20, 100, 0)]
    )
    with pytest.raises(ValueError, match="b > 0"):
        asimov_significance(1, 0)


def test_background_rejection_on_a_constructed_score():
    # 10 signal with scores 0.1..1.0, 100 background with scores 0.001..0.1
    y = np.r_[np.ones(10), np.zeros(100)]
    score = np.r_[np.linspace(0.1, 1.0, 10), np.linspace(0.001, 0.1, 100)]
    # eps_S = 0.3: keep the top 3 signal (score >= 0.8): no background
    assert background_rejection(y, score, signal_efficiency=0.3) == np.inf
    # eps_S = 1: threshold 0.1 keeps the one background at 0.1: 1/eps_B = 100
    assert background_rejection(y, score, signal_efficiency=1.0) == pytest.approx(100)


def test_background_rejection_weighted_matches_roc_curve():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    score = rng.normal(size=2000) + y
    w = rng.uniform(0.5, 2.0, 2000)
    fpr, tpr, _ = roc_curve(y, score, sample_weight=w, drop_intermediate=False)
    expected = 1 / np.interp(0.5, tpr, fpr)
    assert background_rejection(
        y, score, signal_efficiency=0.5, sample_weight=w
    ) == pytest.approx(expected, rel=1e-2)
    unweighted = background_rejection(y, score, signal_efficiency=0.5)
    assert unweighted != pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="'signal_efficiency'"):
        background_rejection(y, score, signal_efficiency=0)


# -- scorers ----------------------------------------------------------------------


def _weighted_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=600) > 1.5).astype(int)
    w = rng.uniform(0.1, 3.0, 600)
    return X, y, w


@pytest.mark.parametrize(
    ("name", "func", "kwargs"),
    [
        ("ams", ams, {"threshold": "max"}),
        ("background_rejection", background_rejection, {"signal_efficiency": 0.3}),
    ],
)
def test_scorers_route_weights_in_cross_validation(name, func, kwargs):
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_validate

    from sknn_hep.metrics import get_scorer

    X, y, w = _weighted_problem()
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = get_scorer(name).set_score_request(sample_weight=True)
        model = LogisticRegression().set_fit_request(sample_weight=False)
        result = cross_validate(
            model, X, y, cv=cv, scoring=scorer, params={"sample_weight": w}
        )
    expected = []
    for train, test in cv.split(X):
        fitted = LogisticRegression().fit(X[train], y[train])
        score = fitted.decision_function(X[test])
        expected.append(func(y[test], score, sample_weight=w[test], **kwargs))
    np.testing.assert_allclose(result["test_score"], expected)
    # unweighted scoring differs, so the weights did arrive
    unweighted = cross_validate(LogisticRegression(), X, y, cv=cv, scoring=scorer)
    assert not np.allclose(unweighted["test_score"], expected)


def test_get_scorer_falls_back_to_sklearn_and_lists_names():
    from sknn_hep.metrics import get_scorer, get_scorer_names

    assert get_scorer("roc_auc")._score_func.__name__ == "roc_auc_score"
    assert {"ams", "background_rejection", "roc_auc"} <= set(get_scorer_names())
    with pytest.raises(ValueError, match="not a valid scoring value"):
        get_scorer("amss")
    # a new object each call: requests set on one do not leak
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        get_scorer("ams").set_score_request(sample_weight=True)
        requests = get_scorer("ams").get_metadata_routing().score.requests
        assert requests["sample_weight"] is None


def test_physics_figures_equal_the_single_metrics():
    from sklearn.metrics import roc_auc_score

    from sknn_hep.metrics import physics_figures

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = y + rng.normal(size=400)
    w = rng.uniform(0.5, 2.0, 400)
    f = physics_figures(
        y,
        score,
        sample_weight=w,
        signal_efficiency=0.5,
        b_reg=5.0,
        signal_total=10.0,
        background_total=1000.0,
    )
    assert f == {
        "auc": roc_auc_score(y, score),
        "weighted_auc": roc_auc_score(y, score, sample_weight=w),
        "ams": ams(
            y,
            score,
            sample_weight=w,
            threshold="max",
            b_reg=5.0,
            signal_total=10.0,
            background_total=1000.0,
        ),
        "rejection": background_rejection(
            y, score, signal_efficiency=0.5, sample_weight=w
        ),
    }
    with pytest.raises(ValueError, match="physics_figures needs y_true of 0"):
        physics_figures([0, 2], [0.1, 0.2])


# -- negative event weights (NLO samples) -------------------------------------


def _pairwise_auc(y, score, w):
    """Brute-force weighted AUC: sum_s sum_b w_s w_b ([s > b] + [s == b] / 2).

    Bilinear in the weights, so it holds for negative weights as well."""
    s, b = y == 1, y == 0
    diff = score[s][:, None] - score[b][None, :]
    pairs = (diff > 0) + 0.5 * (diff == 0)
    num = w[s] @ pairs @ w[b]
    return num / (w[s].sum() * w[b].sum())


def _nlo_sample(n=1500, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = rng.normal(y.astype(float), 1.0)
    if ties:
        score = np.round(score, 1)
    w = rng.uniform(0.5, 2.0, n)
    negative = rng.random(n) < 0.1
    w[negative] *= -1
    return y, score, w, negative


@pytest.mark.parametrize("ties", [False, True])
def test_weighted_auc_equals_sklearn_for_non_negative_weights(ties):
    from sklearn.metrics import roc_auc_score

    from sknn_hep.metrics import physics_figures

    y, score, w, _ = _nlo_sample(ties=ties)
    w = np.abs(w)
    if ties:
        assert len(np.unique(score)) < 100
    f = physics_figures(y, score, sample_weight=w)
    assert abs(f["weighted_auc"] - roc_auc_score(y, score, sample_weight=w)) < 1e-12
    assert abs(f["auc"] - roc_auc_score(y, score)) < 1e-12
    assert f["weighted_auc"] == pytest.approx(_pairwise_auc(y, score, w), abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
def test_weighted_auc_with_negative_weights_equals_the_pairwise_sum(ties):
    from sknn_hep.metrics import physics_figures

    y, score, w, negative = _nlo_sample(ties=ties)
    assert 0.05 < negative.mean() < 0.15
    f = physics_figures(y, score, sample_weight=w)
    assert np.isfinite(f["weighted_auc"])
    assert f["weighted_auc"] == pytest.approx(_pairwise_auc(y, score, w), abs=1e-12)
    assert f["weighted_auc"] != pytest.approx(_pairwise_auc(y, score, np.abs(w)))
    assert np.isfinite(f["ams"]) and f["ams"] > 0
    assert f["rejection"] > 1


def _ams_nan_case():
    # the background event at the top has weight -20: b + b_reg = -10 < 0
    return np.array([1, 0, 0]), np.array([0.9, 0.8, 0.1]), np.array([15.0, -20, 100])


def test_ams_clips_a_negative_background_sum():
    y, score, w = _ams_nan_case()
    assert ams(y, score, sample_weight=w, threshold=0.5) == pytest.approx(_ams(15, 0))
    thresholds, values = ams_curve(y, score, sample_weight=w)
    assert thresholds.tolist() == [0.9, 0.8, 0.1]
    np.testing.assert_allclose(values, [_ams(15, 0), _ams(15, 0), _ams(15, 80)])
    assert ams(y, score, sample_weight=w, threshold="max") == pytest.approx(_ams(15, 0))
    # b_reg = 0: a selection with no (or net-negative) background has AMS inf,
    # as for an empty background
    assert ams(y, score, sample_weight=w, threshold=0.5, b_reg=0) == np.inf


def test_ams_of_a_negative_signal_sum_is_zero():
    y = np.array([1, 1, 0, 0])
    score = np.array([0.9, 0.5, 0.4, 0.1])
    w = np.array([-2.0, 10.0, 5.0, 50.0])
    assert ams(y, score, sample_weight=w, threshold=0.8) == 0.0
    assert ams(y, [1, 0, 1, 0], sample_weight=w) == 0.0
    _, values = ams_curve(y, score, sample_weight=w)
    np.testing.assert_allclose(values, [0.0, _ams(8, 0), _ams(8, 5), _ams(8, 55)])


def test_background_rejection_scans_a_non_monotonic_roc():
    # by decreasing score: b(1) s(1.2) b(1) s(-0.8) b(1) s(1.4) b(1) s(0.2) b(1)
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0])
    score = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.1])
    w = np.array([1.0, 1.2, 1.0, -0.8, 1.0, 1.4, 1.0, 0.2, 1.0])
    # (TPR, FPR) by threshold: (0, .2) (.6, .2) (.6, .4) (.2, .4) (.2, .6)
    # (.9, .6) (.9, .8) (1, .8) (1, 1); epsilon_S is read where the scan of
    # thresholds first reaches it, interpolated from the point before
    expected = {0.3: 1 / 0.2, 0.6: 1 / 0.2, 0.8: 1 / 0.6, 0.95: 1 / 0.8, 1.0: 1 / 0.8}
    for eff, rejection in expected.items():
        assert background_rejection(
            y, score, signal_efficiency=eff, sample_weight=w
        ) == pytest.approx(rejection)
    # no background in the selection: inf
    y, score = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])
    w = np.array([2.0, -1.0, 1.0, 3.0])
    assert background_rejection(y, score, signal_efficiency=0.5, sample_weight=w) == (
        np.inf
    )


def test_background_rejection_of_a_net_negative_background_is_inf():
    # cumulative (s, b): (1, 0) (1, -1) (2, -1) (2, 2): eps_B = -0.5 at eps_S = 1
    y, score = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])
    w = np.array([1.0, -1.0, 1.0, 3.0])
    for eff in (0.75, 1.0):
        assert (
            background_rejection(y, score, signal_efficiency=eff, sample_weight=w)
            == np.inf
        )


@pytest.mark.parametrize(
    "func",
    [
        lambda y, s, w: ams(y, s, sample_weight=w, threshold="max"),
        lambda y, s, w: ams(y, (s > 0.5).astype(int), sample_weight=w),
        lambda y, s, w: ams_curve(y, s, sample_weight=w),
        lambda y, s, w: background_rejection(y, s, sample_weight=w),
    ],
)
@pytest.mark.parametrize("cls", [0, 1])
def test_net_negative_class_is_refused(func, cls):
    from sknn_hep.metrics import physics_figures

    y = np.array([0, 0, 0, 1, 1, 1])
    score = np.array([0.1, 0.4, 0.6, 0.3, 0.7, 0.9])
    w = np.ones(6)
    w[y == cls] = [1.0, -4.0, 1.0]  # sums to -2
    match = rf"sums to -2 over the events of class {cls}; negative "
    with pytest.raises(ValueError, match=match):
        func(y, score, w)
    with pytest.raises(ValueError, match=match):
        physics_figures(y, score, sample_weight=w)


def test_roc_metrics_need_both_classes_with_weight():
    from sknn_hep.metrics import physics_figures

    y, score = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    w = np.array([0.0, 0.0, 1.0, 1.0])
    for func in (physics_figures, background_rejection):
        with pytest.raises(ValueError, match="background .* total weight 0"):
            func(y, score, sample_weight=w)
