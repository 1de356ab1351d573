"""plot_roc: the figure's structure (scales, limits, labels, legend, band, cut)."""

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import mplhep
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from sklearn.metrics import roc_auc_score, roc_curve

from sknn_hep.plotting import plot_roc


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _sample(n=1500, seed=0, shift=1.5):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    score = rng.normal(shift * y, 1.0)
    w = rng.uniform(0.5, 2.0, n)
    return y, score, w


def _curves(ax):
    return [ln for ln in ax.get_lines() if ln.get_label() != "random"]


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_physics_convention_axes_and_labels():
    y, score, w = _sample()
    fig = plot_roc(y, score, sample_weight=w, labels="DNN")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert tuple(ax.get_xlim()) == (0.0, 1.0)
    assert ax.get_ylim()[0] == 1.0
    assert ax.get_xlabel() == r"signal efficiency $\varepsilon_S$"
    assert ax.get_ylabel() == r"background rejection $1/\varepsilon_B$"
    (line,) = _curves(ax)
    assert ax.get_ylim()[1] > line.get_ydata().max()
    auc = roc_auc_score(y, score, sample_weight=w)
    texts = _legend(ax)
    assert texts[1] == "random"
    assert re.fullmatch(rf"DNN \(weighted ROC AUC = {auc:.3f} ± 0\.0\d\d\)", texts[0])


def test_unweighted_metric_is_named_roc_auc_and_differs_from_the_weighted():
    y, score, _ = _sample(seed=1)
    w = np.where(score > 1.0, 5.0, 0.5)  # weights that move the AUC
    plain = _legend(plot_roc(y, score, n_bootstrap=0).axes[0])[0]
    weighted = _legend(plot_roc(y, score, sample_weight=w, n_bootstrap=0).axes[0])[0]
    auc, wauc = roc_auc_score(y, score), roc_auc_score(y, score, sample_weight=w)
    assert plain == f"classifier (ROC AUC = {auc:.3f})"
    assert weighted == f"classifier (weighted ROC AUC = {wauc:.3f})"
    assert f"{auc:.3f}" != f"{wauc:.3f}"
    # exactly one metric per curve
    assert plain.count("=") == 1 and weighted.count("=") == 1


def test_the_curve_stops_where_the_background_runs_out():
    y, score, _ = _sample(n=3000, seed=2, shift=2.5)
    n_b = int((y == 0).sum())
    fpr, tpr, thr = roc_curve(y, score)
    for minimum in (1, 10, 50):
        fig = plot_roc(y, score, min_background_events=minimum, n_bootstrap=0)
        (line,) = _curves(fig.axes[0])
        x, rej = line.get_xdata(), line.get_ydata()
        passing = n_b / rej  # unit weights: background events passing the cut
        np.testing.assert_allclose(passing, np.round(passing), atol=1e-9)
        assert passing.min() >= minimum
        keep = fpr * n_b >= minimum - 1e-9
        np.testing.assert_allclose(x, tpr[keep])
        np.testing.assert_allclose(rej, 1.0 / fpr[keep])
    # without the cut the curve reaches further down in eps_S, to 1/eps_B = n_b
    fig = plot_roc(y, score, min_background_events=0, n_bootstrap=0)
    (full,) = _curves(fig.axes[0])
    assert full.get_ydata().max() == pytest.approx(n_b)
    assert full.get_xdata().min() < x.min()


def test_the_cut_counts_events_not_weights():
    y, score, w = _sample(n=2000, seed=3)
    w[y == 0] *= 50.0  # heavy background events: the cut still counts them
    fig = plot_roc(y, score, sample_weight=w, min_background_events=20)
    (line,) = _curves(fig.axes[0])
    s, b = y == 1, y == 0
    t20 = np.sort(score[b])[::-1][19]  # the cut passed by exactly 20 events
    assert line.get_xdata()[0] == pytest.approx(
        w[s & (score >= t20)].sum() / w[s].sum()
    )


def test_bootstrap_band_is_seeded_and_surrounds_the_curve():
    y, score, w = _sample(seed=4)
    ax = plot_roc(y, score, sample_weight=w, n_bootstrap=50).axes[0]
    (band,) = _bands(ax)
    (line,) = _curves(ax)
    assert np.allclose(band.get_facecolor()[0][:3], mpl.colors.to_rgb(line.get_color()))
    verts = band.get_paths()[0].vertices
    lo_x = line.get_xdata().min()
    assert verts[:, 0].min() == pytest.approx(lo_x)
    assert verts[:, 0].max() == pytest.approx(line.get_xdata().max())
    # the central curve lies inside its band almost everywhere
    xs = np.unique(verts[:, 0])
    assert len(xs) == 100
    inside = []
    for x in xs[1:-1]:
        ys = verts[np.isclose(verts[:, 0], x), 1]
        on_curve = np.interp(x, line.get_xdata(), line.get_ydata())
        inside.append(ys.min() <= on_curve <= ys.max())
        assert ys.max() / ys.min() < 3.0  # a band, not the whole axes
    assert np.mean(inside) > 0.8
    again = plot_roc(y, score, sample_weight=w, n_bootstrap=50).axes[0]
    np.testing.assert_array_equal(_bands(again)[0].get_paths()[0].vertices, verts)
    other = plot_roc(y, score, sample_weight=w, n_bootstrap=50, random_state=1)
    assert not np.array_equal(_bands(other.axes[0])[0].get_paths()[0].vertices, verts)
    assert _legend(again)[0] == _legend(ax)[0]


def test_band_width_matches_the_spread_of_the_auc():
    y, score, w = _sample(n=600, seed=5)
    label = _legend(plot_roc(y, score, sample_weight=w, n_bootstrap=200).axes[0])[0]
    err = float(label.rsplit("± ", 1)[1].rstrip(")"))
    # the AUC's standard error for this sample size (Hanley-McNeil order)
    assert 0.005 < err < 0.04


def test_no_bootstrap_no_band():
    y, score, w = _sample(seed=6)
    ax = plot_roc(y, score, sample_weight=w, n_bootstrap=0).axes[0]
    assert _bands(ax) == [] and "±" not in _legend(ax)[0]


def test_several_models_each_with_a_band_on_one_axes():
    y, score, _ = _sample(seed=7)
    rng = np.random.default_rng(7)
    scores = {m: score * k + rng.normal(size=len(y)) for m, k in
              [("DNN", 3.0), ("BDT", 1.0), ("cut-based", 0.3)]}  # fmt: skip
    ax = plot_roc(y, scores, n_bootstrap=20).axes[0]
    curves = _curves(ax)
    assert len(curves) == 3 and len(_bands(ax)) == 3
    texts = _legend(ax)
    assert [t.split(" (")[0] for t in texts] == ["DNN", "BDT", "cut-based", "random"]
    aucs = [float(t.split("= ")[1].split(" ")[0]) for t in texts[:3]]
    assert aucs[0] > aucs[1] > aucs[2]
    assert len({ln.get_color() for ln in curves}) == 3


def test_ml_convention():
    y, score, w = _sample(seed=8)
    ax = plot_roc(y, score, sample_weight=w, convention="ml", n_bootstrap=10).axes[0]
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "linear"
    assert tuple(ax.get_xlim()) == (0.0, 1.0) and ax.get_ylim()[0] == 0.0
    assert ax.get_xlabel() == "false positive rate"
    assert ax.get_ylabel() == "true positive rate"
    assert list(ax.get_yticks()) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    (line,) = _curves(ax)
    fpr, tpr, _ = roc_curve(y, score, sample_weight=w)
    n_b = np.array([(score[y == 0] >= t).sum() for t in _[1:]])
    keep = np.r_[False, n_b >= 10]
    np.testing.assert_allclose(line.get_xdata(), fpr[keep])
    np.testing.assert_allclose(line.get_ydata(), tpr[keep])
    (rand,) = [ln for ln in ax.get_lines() if ln.get_label() == "random"]
    np.testing.assert_allclose(rand.get_xdata(), rand.get_ydata())
    assert len(_bands(ax)) == 1


def test_negative_weights_bootstrap():
    rng = np.random.default_rng(9)
    y, score, w = _sample(n=800, seed=9)
    w[rng.random(800) < 0.15] *= -1
    ax = plot_roc(y, score, sample_weight=w, n_bootstrap=30).axes[0]
    assert len(_bands(ax)) == 1
    assert "weighted ROC AUC" in _legend(ax)[0]


@pytest.mark.parametrize("style", ["ATLAS", "CMS", "LHCb2"])
def test_styles(style):
    y, score, _ = _sample(n=400, seed=10)
    before = dict(mpl.rcParams)
    fig = plot_roc(y, score, n_bootstrap=5, style=style, com=13, lumi=140)
    assert dict(mpl.rcParams) == before
    ax = fig.axes[0]
    assert tuple(fig.get_size_inches()) == tuple(mplhep.style.__dict__[style][
        "figure.figsize"])  # fmt: skip
    texts = [t.get_text() for t in ax.texts]
    assert {"ATLAS": "ATLAS", "CMS": "CMS", "LHCb2": "LHCb"}[style] in texts
    assert any("140" in t for t in texts)
    assert ax.xaxis.get_major_ticks()[0].tick1line.get_marker() == 2  # ticks in


def test_default_figure_has_no_experiment_label():
    y, score, _ = _sample(n=300, seed=11)
    ax = plot_roc(y, score, n_bootstrap=0).axes[0]
    assert len(ax.texts) == 0 and ax.get_title(loc="right") == ""


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"convention": "atlas"}, r"'convention' parameter of plot_roc must be one "
         r"of \['physics', 'ml'\]. Got 'atlas'"),
        ({"n_bootstrap": -1}, "'n_bootstrap' parameter of plot_roc .* int >= 0"),
        ({"n_bootstrap": 2.5}, "'n_bootstrap' .* Got 2.5 instead"),
        ({"min_background_events": -3}, "'min_background_events' .* Got -3"),
        ({"min_background_events": True}, "'min_background_events' .* Got True"),
        ({"style": "D0"}, "'style' parameter of plot_roc must be one of .* 'D0'"),
        ({"com": "x", "lumi": -1.0}, "'lumi' parameter of plot_roc .* Got -1.0"),
        ({"label": 1}, "'label' parameter of plot_roc must be a str or None"),
    ],
)  # fmt: skip
def test_errors(kwargs, match):
    y, score, _ = _sample(n=50)
    with pytest.raises(ValueError, match=match):
        plot_roc(y, score, **kwargs)
