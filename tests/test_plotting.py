"""Plots: rendered to files without a display, and their content checked."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import StepPatch
from scipy.stats import ks_2samp, kstwo, norm
from sklearn.metrics import roc_auc_score, roc_curve

from sknn_hep.plotting import (
    plot_overtraining,
    plot_roc,
    save_figure,
    weighted_ks_test,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _assert_renders(fig, tmp_path, stem):
    png, pdf = tmp_path / f"{stem}.png", tmp_path / f"{stem}.pdf"
    save_figure(fig, png)
    save_figure(fig, pdf)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.stat().st_size > 2000 and pdf.stat().st_size > 1000


def test_no_display_backend():
    assert matplotlib.get_backend().lower() == "agg"


# -- weighted KS test ---------------------------------------------------------


def test_ks_unit_weights_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.15, 1.0, size=200)
    res = weighted_ks_test(a, b)
    asymp = ks_2samp(a, b, method="asymp")
    exact = ks_2samp(a, b)
    assert res.statistic == pytest.approx(asymp.statistic, abs=1e-12)
    assert res.pvalue == pytest.approx(asymp.pvalue, rel=1e-10)
    assert res.pvalue == pytest.approx(exact.pvalue, abs=0.02)
    assert res.n_eff == (300.0, 200.0)


def test_ks_ties_and_constant_weights_match_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 6, 150).astype(float), rng.integers(1, 7, 120) * 1.0
    res = weighted_ks_test(a, b, np.full(150, 3.7), np.full(120, 0.2))
    ref = ks_2samp(a, b, method="asymp")
    assert res.statistic == pytest.approx(ref.statistic, abs=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_ks_integer_weights_equal_repetitions_in_the_statistic():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=80), rng.normal(0.3, 1.0, size=60)
    wa, wb = rng.integers(1, 5, 80), rng.integers(1, 5, 60)
    res = weighted_ks_test(a, b, wa, wb)
    ref = ks_2samp(np.repeat(a, wa), np.repeat(b, wb))
    assert res.statistic == pytest.approx(ref.statistic, abs=1e-12)
    n_a, n_b = wa.sum() ** 2 / (wa**2).sum(), wb.sum() ** 2 / (wb**2).sum()
    assert res.n_eff == pytest.approx((n_a, n_b))
    expected = kstwo.sf(res.statistic, round(n_a * n_b / (n_a + n_b)))
    assert res.pvalue == pytest.approx(expected, rel=1e-10)
    # fewer effective events than repetitions: a larger p-value
    assert res.pvalue > ks_2samp(np.repeat(a, wa), np.repeat(b, wb)).pvalue


def test_ks_importance_weights_reweight_one_sample_onto_the_other():
    rng = np.random.default_rng(3)
    a = rng.normal(0.0, 1.0, size=3000)
    b = rng.normal(0.5, 1.0, size=2000)
    wa = norm.pdf(a, 0.5, 1.0) / norm.pdf(a, 0.0, 1.0)
    assert weighted_ks_test(a, b).pvalue < 1e-10
    assert weighted_ks_test(a, b, wa=wa).pvalue > 0.01


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"a": []}, "'a' parameter of weighted_ks_test must be a non-empty 1d"),
        ({"b": [0.0, np.nan]}, "'b' parameter .* finite values. Got 1"),
        ({"wa": [1.0, 2.0]}, r"'wa' parameter .* shape of 'a' \(3,\)"),
        ({"wb": [1.0, -1.0, 0.0]}, "'wb' parameter .* positive sum. Got sum 0.0"),
    ],
)
def test_ks_errors(kwargs, match):
    args = {"a": [0.0, 1.0, 2.0], "b": [0.5, 1.5, 2.5], **kwargs}
    with pytest.raises(ValueError, match=match):
        weighted_ks_test(**args)


# -- ROC ----------------------------------------------------------------------


def test_roc_plots_signal_efficiency_against_rejection(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 200)
    score = rng.normal(1.2 * y, 1.0)
    w = rng.uniform(0.5, 2.0, size=400)
    fig = plot_roc(
        y, score, sample_weight=w, labels="net", path=tmp_path / "r.png",
        min_background_events=0, n_bootstrap=0,
    )  # fmt: skip
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    fpr, tpr, _ = roc_curve(y, score, sample_weight=w)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("net")]
    keep = fpr > 0
    np.testing.assert_allclose(line.get_xdata(), tpr[keep])
    np.testing.assert_allclose(line.get_ydata(), 1.0 / fpr[keep])
    auc = roc_auc_score(y, score, sample_weight=w)
    assert line.get_label() == f"net (weighted ROC AUC = {auc:.3f})"
    _assert_renders(fig, tmp_path, "roc")


def test_roc_several_classifiers_and_string_labels(tmp_path):
    rng = np.random.default_rng(1)
    y = np.array(["b"] * 150 + ["s"] * 150)
    is_s = (y == "s").astype(float)
    scores = {"good": rng.normal(2 * is_s), "weak": rng.normal(0.3 * is_s)}
    fig = plot_roc(y, scores, show_auc=False, show_random=False)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["good", "weak"]
    # the better classifier rejects more background at every efficiency
    grid = np.linspace(0.2, 0.9, 8)
    rej = [np.interp(grid, ln.get_xdata(), ln.get_ydata()) for ln in lines]
    assert np.all(rej[0] > rej[1])
    fig = plot_roc(y, [scores["good"], scores["weak"]], labels=["g", "w"])
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    auc = roc_auc_score(y, scores["good"])
    assert texts[0].startswith(f"g (ROC AUC = {auc:.3f} ± 0.0") and texts[2] == "random"
    _assert_renders(fig, tmp_path, "roc2")


def test_roc_draws_on_given_axes():
    fig, ax = plt.subplots()
    out = plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.6, 0.4], ax=ax, min_background_events=0)
    assert out is fig and len(ax.get_lines()) == 2
    with pytest.warns(UserWarning, match="min_background_events=10 background"):
        plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.6, 0.4])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"labels": "x", "scores": {"a": [0.1, 0.2, 0.3]}}, ValueError, "'labels'"),
        ({"labels": ["a", "b"]}, ValueError, "'labels' parameter .* 1 score"),
        ({"scores": [0.1, 0.2]}, ValueError, "'scores' .* length of 'y_true'"),
        ({"y_true": [1, 1, 1]}, ValueError, r"exactly two classes .* \[1\]"),
        ({"sample_weight": [1.0]}, ValueError, "'sample_weight' .* length"),
        ({"ax": "ax"}, TypeError, "'ax' parameter of plot_roc"),
        ({"path": "roc.jpeg2"}, ValueError, "'path' parameter of save_figure"),
    ],
)
def test_roc_errors(kwargs, error, match):
    args = {"y_true": [0, 1, 1], "scores": [0.1, 0.2, 0.3], **kwargs}
    args.setdefault("min_background_events", 0)
    with pytest.raises(error, match=match):
        plot_roc(**args)


# -- overtraining -------------------------------------------------------------


def _legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_overtraining_histograms_and_ks_legend(tmp_path):
    rng = np.random.default_rng(0)
    y_tr, y_te = rng.integers(0, 2, 400), rng.integers(0, 2, 300)
    s_tr, s_te = rng.normal(1.5 * y_tr), rng.normal(1.5 * y_te)
    w_tr, w_te = rng.uniform(0.1, 3.0, 400), rng.uniform(0.1, 3.0, 300)
    fig = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, sample_weight_test=w_te,
        bins=15, path=tmp_path / "ot.pdf",
    )  # fmt: skip
    assert (tmp_path / "ot.pdf").read_bytes()[:4] == b"%PDF"
    legend = _legend(fig)
    for cls, name in [(1, "Signal"), (0, "Background")]:
        tr, te = y_tr == cls, y_te == cls
        p = weighted_ks_test(s_tr[tr], s_te[te], w_tr[tr], w_te[te]).pvalue
        assert f"{name} (test), KS p = {p:.3f}" in legend
        assert p != pytest.approx(weighted_ks_test(s_tr[tr], s_te[te]).pvalue)
    ax = fig.axes[0]
    edges = np.linspace(min(s_tr.min(), s_te.min()), max(s_tr.max(), s_te.max()), 16)
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert [s.get_label() for s in steps] == ["Signal (train)", "Background (train)"]
    h, _ = np.histogram(s_tr[y_tr == 1], edges, weights=w_tr[y_tr == 1], density=True)
    np.testing.assert_allclose(steps[0].get_data().values, h)
    np.testing.assert_allclose(steps[0].get_data().edges, edges)
    (points, _) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    h, _ = np.histogram(s_te[y_te == 1], edges, weights=w_te[y_te == 1], density=True)
    np.testing.assert_allclose(points.lines[0].get_ydata(), h)
    _assert_renders(fig, tmp_path, "overtraining")


def test_overtraining_flags_a_shifted_training_output():
    rng = np.random.default_rng(1)
    y_tr, y_te = np.repeat([0, 1], 300), np.repeat([0, 1], 300)
    s_te = rng.normal(y_te.astype(float))
    s_tr = rng.normal(y_tr.astype(float)) + 0.6 * (2 * y_tr - 1)  # memorised
    legend = _legend(
        plot_overtraining(y_tr, s_tr, y_te, s_te, bins=np.linspace(-4, 5, 19))
    )
    pvalues = [float(t.rsplit("= ", 1)[1]) for t in legend if "KS p" in t]
    assert len(pvalues) == 2 and max(pvalues) < 1e-3
    legend = _legend(plot_overtraining(y_tr, s_te[::-1][::-1], y_te, s_te))
    assert all(t.endswith("= 1.000") for t in legend if "KS p" in t)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_test": [0, 0, 2, 2]}, r"'y_test' .* classes of 'y_train' \[0, 1\]"),
        ({"bins": 0}, "'bins' parameter of plot_overtraining must be an int >= 1"),
        ({"bins": [0.0, 0.0, 1.0]}, "'bins' parameter"),
        ({"score_test": [0.1, 0.2]}, "'score_test' .* length of 'y_test'"),
        ({"sample_weight_train": [1, 2]}, "'sample_weight_train' .* 'y_train'"),
    ],
)
def test_overtraining_errors(kwargs, match):
    args = {
        "y_train": [0, 1, 0, 1], "score_train": [0.1, 0.8, 0.3, 0.6],
        "y_test": [0, 0, 1, 1], "score_test": [0.2, 0.4, 0.7, 0.9], **kwargs,
    }  # fmt: skip
    with pytest.raises(ValueError, match=match):
        plot_overtraining(**args)


def test_save_figure_checks_the_suffix(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    out = save_figure(fig, tmp_path / "sub" / "line.svg")
    assert out.read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="'path' parameter of save_figure .* 'x'"):
        save_figure(fig, "x")
    with pytest.raises(TypeError, match="'path' parameter of save_figure"):
        save_figure(fig, 3)


# -- negative event weights (NLO samples) -------------------------------------


def _nlo_sample(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = rng.normal(1.2 * y, 1.0)
    w = rng.uniform(0.5, 2.0, n)
    w[rng.random(n) < 0.1] *= -1
    return y, score, w


def _pairwise_auc(y, score, w):
    s, b = y == 1, y == 0
    diff = score[s][:, None] - score[b][None, :]
    return (w[s] @ ((diff > 0) + 0.5 * (diff == 0)) @ w[b]) / (w[s].sum() * w[b].sum())


def test_roc_with_negative_weights(tmp_path):
    from sknn_hep.plotting import roc_points

    y, score, w = _nlo_sample()
    eff_s, rejection, roc_auc = roc_points(y, score, w)
    assert roc_auc == pytest.approx(_pairwise_auc(y, score, w), abs=1e-12)
    assert np.all(np.isfinite(rejection)) and np.all(rejection > 0)
    # thresholds in order: the cumulative weights of score >= t
    order = np.argsort(-score)
    cum_s = np.cumsum(np.where(y == 1, w, 0.0)[order]) / w[y == 1].sum()
    cum_b = np.cumsum(np.where(y == 0, w, 0.0)[order]) / w[y == 0].sum()
    assert np.any(np.diff(cum_s) < 0)  # the ROC curve is not monotonic
    keep = cum_b > 0
    np.testing.assert_allclose(eff_s, cum_s[keep])
    np.testing.assert_allclose(rejection, 1 / cum_b[keep])
    fig = plot_roc(y, score, sample_weight=w, labels="nlo", n_bootstrap=0)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label()[:3] == "nlo"]
    assert line.get_label() == f"nlo (weighted ROC AUC = {roc_auc:.3f})"
    _assert_renders(fig, tmp_path, "roc_nlo")


def test_roc_points_equal_sklearn_for_non_negative_weights_with_ties():
    from sknn_hep.plotting import roc_points

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.normal(y, 1.0), 1)
    for w in (None, rng.uniform(0.0, 2.0, 500), rng.integers(0, 3, 500)):
        eff_s, rejection, roc_auc = roc_points(y, score, w)
        fpr, tpr, _ = roc_curve(y, score, sample_weight=w)
        keep = fpr > 0
        np.testing.assert_allclose(eff_s, tpr[keep], rtol=1e-12)
        np.testing.assert_allclose(rejection, 1 / fpr[keep], rtol=1e-12)
        assert abs(roc_auc - roc_auc_score(y, score, sample_weight=w)) < 1e-12


def test_roc_refuses_a_net_negative_class():
    y = np.array([0, 0, 0, 1, 1, 1])
    score = np.array([0.1, 0.4, 0.6, 0.3, 0.7, 0.9])
    w = np.array([1.0, 1.0, 1.0, 1.0, -4.0, 1.0])
    with pytest.raises(ValueError, match="plot_roc sums to -2 over the events of"):
        plot_roc(y, score, sample_weight=w)


def test_overtraining_with_negative_weights(tmp_path):
    y_tr, s_tr, w_tr = _nlo_sample(800, seed=1)
    y_te, s_te, w_te = _nlo_sample(600, seed=2)
    w_tr[(y_tr == 1) & (s_tr > 2.5)] = -3.0  # a bin with net-negative weight
    fig = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, sample_weight_test=w_te,
        bins=20,
    )  # fmt: skip
    ax = fig.axes[0]
    edges = np.linspace(min(s_tr.min(), s_te.min()), max(s_tr.max(), s_te.max()), 21)
    sig = y_tr == 1
    h, _ = np.histogram(s_tr[sig], edges, weights=w_tr[sig])
    expected = h / (w_tr[sig].sum() * np.diff(edges))
    assert expected.min() < 0
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    np.testing.assert_allclose(steps[0].get_data().values, expected)
    assert np.sum(steps[0].get_data().values * np.diff(edges)) == pytest.approx(1.0)
    (points, _) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    sig = y_te == 1
    sumw2, _ = np.histogram(s_te[sig], edges, weights=w_te[sig] ** 2)
    norm_ = w_te[sig].sum() * np.diff(edges)
    h, _ = np.histogram(s_te[sig], edges, weights=w_te[sig])
    np.testing.assert_allclose(points.lines[0].get_ydata(), h / norm_)
    segments = points.lines[2][0].get_segments()
    np.testing.assert_allclose(
        [seg[1, 1] - seg[0, 1] for seg in segments], 2 * np.sqrt(sumw2) / norm_
    )
    legend = _legend(fig)
    for cls, name in [(1, "Signal"), (0, "Background")]:
        tr, te = y_tr == cls, y_te == cls
        p = weighted_ks_test(s_tr[tr], s_te[te], w_tr[tr], w_te[te]).pvalue
        text = f"{p:.3f}" if p >= 1e-3 else f"{p:.1e}"
        assert f"{name} (test), KS p = {text}" in legend
    _assert_renders(fig, tmp_path, "overtraining_nlo")


def test_overtraining_normalises_by_the_total_weight():
    # explicit edges that leave events out: the area is the weight inside
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    score = np.array([0.1, 0.2, 0.3, 2.0, 0.6, 0.7, 0.8, 0.9])
    w = np.array([1.0, 1.0, -1.0, 3.0, 1.0, 1.0, 1.0, 1.0])
    fig = plot_overtraining(y, score, y, score, sample_weight_train=w,
                            sample_weight_test=w, bins=[0.0, 0.5, 1.0])  # fmt: skip
    steps = [p for p in fig.axes[0].patches if isinstance(p, StepPatch)]
    # background: weight 1 of the total 4 lies in [0, 0.5)
    np.testing.assert_allclose(steps[1].get_data().values, [0.5, 0.0])
    np.testing.assert_allclose(steps[0].get_data().values, [0.0, 2.0])


def test_overtraining_refuses_a_net_negative_class():
    y = np.array([0, 0, 0, 1, 1, 1])
    score = np.array([0.1, 0.4, 0.6, 0.3, 0.7, 0.9])
    w = np.array([1.0, 1.0, 1.0, 1.0, -4.0, 1.0])
    match = "plot_overtraining as 'sample_weight_test' sums to -2 over the events of"
    with pytest.raises(ValueError, match=match):
        plot_overtraining(y, score, y, score, sample_weight_test=w)
    labels = np.array(["b", "b", "b", "s", "s", "s"], dtype=object)
    with pytest.raises(ValueError, match="positive total weight. Got 0 for class 's'"):
        plot_overtraining(
            labels, score, labels, score, sample_weight_train=w.clip(0) * (y == 0)
        )


def test_ks_with_negative_weights():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=400), rng.normal(0.1, 1.0, size=300)
    wa, wb = rng.uniform(0.5, 1.5, 400), rng.uniform(0.5, 1.5, 300)
    wa[:40] *= -1
    wb[:30] *= -1
    res = weighted_ks_test(a, b, wa, wb)
    # the ECDFs: cumulative weights over the total, at every value of either
    x = np.concatenate([a, b])
    fa = np.array([wa[a <= v].sum() for v in x]) / wa.sum()
    fb = np.array([wb[b <= v].sum() for v in x]) / wb.sum()
    assert res.statistic == pytest.approx(np.max(np.abs(fa - fb)), abs=1e-12)
    n_a, n_b = wa.sum() ** 2 / (wa**2).sum(), wb.sum() ** 2 / (wb**2).sum()
    assert res.n_eff == pytest.approx((n_a, n_b))
    assert n_a < 400 * 0.7  # negative weights cost effective events
    expected = kstwo.sf(res.statistic, round(n_a * n_b / (n_a + n_b)))
    assert res.pvalue == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="'wa' parameter .* positive sum.*negative"):
        weighted_ks_test(a, b, -wa, wb)
