"""plot_overtraining: the figure's structure (scales, limits, labels, legend,
error bars, artists), negative weights on a log axis, styles."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import StepPatch

from sknn_hep.plotting import plot_overtraining, save_figure, weighted_ks_test


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _probabilities(n_tr=1200, n_te=800, seed=0):
    rng = np.random.default_rng(seed)
    y_tr = (rng.random(n_tr) < 0.1).astype(int)  # 9x more background
    y_te = (rng.random(n_te) < 0.1).astype(int)
    s_tr = rng.beta(1 + 4 * y_tr, 5 - 3 * y_tr)
    s_te = rng.beta(1 + 4 * y_te, 5 - 3 * y_te)
    w_tr, w_te = rng.uniform(0.5, 2.0, n_tr), rng.uniform(0.5, 2.0, n_te)
    return y_tr, s_tr, y_te, s_te, w_tr, w_te


def _parts(ax):
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    points = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    return steps, points


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_probabilities_log_axis_from_0_to_1():
    y_tr, s_tr, y_te, s_te, w_tr, w_te = _probabilities()
    fig = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, sample_weight_test=w_te
    )
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert tuple(float(x) for x in ax.get_xlim()) == (0.0, 1.0)
    ticks = list(ax.get_xticks())
    assert 0.0 in ticks and 1.0 in ticks
    assert ax.get_xlabel() == "classifier output"
    assert ax.get_ylabel() == "1/N dN/d(classifier output)"
    steps, points = _parts(ax)
    assert [s.get_label() for s in steps] == ["Signal (train)", "Background (train)"]
    assert all(s.get_fill() for s in steps)
    assert steps[1].get_hatch() == "//" and not steps[0].get_hatch()
    assert len(points) == 2
    edges = np.linspace(0.0, 1.0, 31)
    for step in steps:
        np.testing.assert_allclose(step.get_data().edges, edges)
        # unit area: 1/N dN/dx integrates to one
        assert np.sum(step.get_data().values * np.diff(edges)) == pytest.approx(1.0)
    # the log axis shows the smallest positive bin and leaves room above
    lo, hi = ax.get_ylim()
    positive = np.concatenate([s.get_data().values for s in steps])
    positive = positive[positive > 0]
    assert lo <= positive.min() and hi > 10 * positive.max()
    texts = _legend(ax)
    assert texts[:2] == ["Signal (train)", "Background (train)"]
    for text, cls in zip(texts[2:], (1, 0), strict=True):
        tr, te = y_tr == cls, y_te == cls
        p = weighted_ks_test(s_tr[tr], s_te[te], w_tr[tr], w_te[te]).pvalue
        name = "Signal" if cls else "Background"
        assert text == f"{name} (test), KS p = {p:.3f}"


def test_error_bars_are_the_square_root_of_the_summed_squared_weights():
    y_tr, s_tr, y_te, s_te, w_tr, w_te = _probabilities(seed=1)
    ax = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, sample_weight_test=w_te,
        bins=10,
    ).axes[0]  # fmt: skip
    edges = np.linspace(0.0, 1.0, 11)
    _, points = _parts(ax)
    for container, cls in zip(points, (1, 0), strict=True):
        sel = y_te == cls
        norm = w_te[sel].sum() * np.diff(edges)
        h, _ = np.histogram(s_te[sel], edges, weights=w_te[sel])
        sumw2, _ = np.histogram(s_te[sel], edges, weights=w_te[sel] ** 2)
        np.testing.assert_allclose(container.lines[0].get_ydata(), h / norm)
        np.testing.assert_allclose(
            container.lines[0].get_xdata(), 0.5 * (edges[1:] + edges[:-1])
        )
        (bars,) = container.lines[2]
        spans = [seg[1, 1] - seg[0, 1] for seg in bars.get_segments()]
        np.testing.assert_allclose(spans, 2 * np.sqrt(sumw2) / norm)


def test_a_probability_of_exactly_one_is_counted():
    y = np.array([0, 0, 0, 1, 1, 1])
    s = np.array([0.0, 0.1, 0.2, 0.9, 1.0, 1.0])
    ax = plot_overtraining(y, s, y, s, bins=5).axes[0]
    steps, _ = _parts(ax)
    np.testing.assert_allclose(steps[0].get_data().values, [0, 0, 0, 0, 5.0])
    np.testing.assert_allclose(steps[1].get_data().values, [10 / 3, 5 / 3, 0, 0, 0])


def test_decision_function_uses_the_scores_range():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 500)
    s = rng.normal(2.0 * y - 1.0, 1.0)  # outside [0, 1]
    ax = plot_overtraining(y[:300], s[:300], y[300:], s[300:], bins=12).axes[0]
    assert ax.get_xlim() == pytest.approx((s.min(), s.max()))
    steps, _ = _parts(ax)
    np.testing.assert_allclose(
        steps[0].get_data().edges, np.linspace(s.min(), s.max(), 13)
    )


def test_linear_axis_option():
    y_tr, s_tr, y_te, s_te, *_ = _probabilities(seed=3)
    ax = plot_overtraining(y_tr, s_tr, y_te, s_te, log_y=False).axes[0]
    assert ax.get_yscale() == "linear"
    assert ax.get_ylim()[0] == 0.0
    steps, _ = _parts(ax)
    assert ax.get_ylim()[1] > max(s.get_data().values.max() for s in steps)


def test_negative_bins_on_a_log_axis_render(tmp_path):
    rng = np.random.default_rng(40)
    y_tr, s_tr, y_te, s_te, w_tr, w_te = _probabilities(seed=4)
    w_tr[rng.random(len(w_tr)) < 0.2] *= -1
    w_tr[(y_tr == 0) & (s_tr > 0.5)] = -2.0  # net-negative bins
    fig = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, sample_weight_test=w_te,
        bins=20,
    )  # fmt: skip
    ax = fig.axes[0]
    steps, _ = _parts(ax)
    background = steps[1].get_data().values
    assert background.min() < 0
    lo, hi = ax.get_ylim()
    assert 0 < lo < hi and np.isfinite(hi)
    assert lo <= background[background > 0].min()
    out = save_figure(fig, tmp_path / "ot_negative.png")
    assert out.stat().st_size > 5000
    # the linear axis shows the negative bin
    ax = plot_overtraining(
        y_tr, s_tr, y_te, s_te, sample_weight_train=w_tr, log_y=False, bins=20
    ).axes[0]
    assert ax.get_ylim()[0] == pytest.approx(background.min())


@pytest.mark.parametrize("style, name", [("ATLAS", "ATLAS"), ("CMS", "CMS"),
                                         ("LHCb2", "LHCb")])  # fmt: skip
def test_styles_and_experiment_label(style, name, tmp_path):
    y_tr, s_tr, y_te, s_te, *_ = _probabilities(n_tr=400, n_te=300, seed=5)
    before = dict(mpl.rcParams)
    fig = plot_overtraining(
        y_tr, s_tr, y_te, s_te, style=style, label="Internal", com=13, lumi=140,
        path=tmp_path / "ot.png",
    )  # fmt: skip
    assert dict(mpl.rcParams) == before
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert name in texts and "Simulation Internal" in texts
    assert any("140" in t and "13" in t for t in texts)
    assert ax.get_yscale() == "log" and len(_parts(ax)[1]) == 2
    assert (tmp_path / "ot.png").stat().st_size > 5000


def test_no_style_draws_no_experiment_label():
    y_tr, s_tr, y_te, s_te, *_ = _probabilities(n_tr=200, n_te=200, seed=6)
    ax = plot_overtraining(y_tr, s_tr, y_te, s_te).axes[0]
    assert len(ax.texts) == 0
    ax = plot_overtraining(y_tr, s_tr, y_te, s_te, com=13.6).axes[0]
    assert ax.get_title(loc="right") == r"Simulation, $\sqrt{s}$ = 13.6 TeV"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"style": "atlas"}, "'style' parameter of plot_overtraining .* 'atlas'"),
        ({"lumi": "x", "com": 0}, "'com' parameter of plot_overtraining .* Got 0"),
        ({"label": ["a"]}, "'label' parameter of plot_overtraining must be a str"),
        ({"bins": "auto"}, "'bins' parameter of plot_overtraining .* 'auto'"),
        ({"bins": [1.0]}, r"'bins' parameter .* Got \[1.0\] instead"),
    ],
)
def test_errors(kwargs, match):
    y_tr, s_tr, y_te, s_te, *_ = _probabilities(n_tr=50, n_te=50)
    with pytest.raises(ValueError, match=match):
        plot_overtraining(y_tr, s_tr, y_te, s_te, **kwargs)
