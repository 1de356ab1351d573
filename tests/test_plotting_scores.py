"""plot_score_distribution: stacked backgrounds, signal lines, data points."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import StepPatch

from sknn_hep.plotting import plot_score_distribution


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


EDGES = np.linspace(0.0, 1.0, 21)


def _sample(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    process = rng.choice(["ttbar", "Z+jets", "diboson", "ggF H"], n,
                         p=[0.3, 0.55, 0.1, 0.05])  # fmt: skip
    y = (process == "ggF H").astype(int)
    score = rng.beta(1 + 4 * y, 5 - 3 * y)
    w = np.where(y == 1, 0.01, 0.2) * rng.uniform(0.5, 1.5, n)
    return process, y, score, w


def _steps(ax):
    return {p.get_label(): p for p in ax.patches if isinstance(p, StepPatch)}


def _hist(score, w, sel):
    return np.histogram(score[sel], EDGES, weights=w[sel])[0]


def test_backgrounds_stacked_by_yield_signal_scaled_data_points():
    process, y, score, w = _sample()
    rng = np.random.default_rng(1)
    data = rng.beta(1, 5, 600)
    fig = plot_score_distribution(
        y, score, sample_weight=w, process=process, signal_scale=50,
        data_score=data, bins=20,
    )  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert tuple(float(x) for x in ax.get_xlim()) == (0.0, 1.0)
    assert ax.get_xlabel() == "classifier output"
    assert ax.get_ylabel() == "Events / bin"
    steps = _steps(ax)
    assert sorted(steps) == ["Z+jets", "diboson", "ggF H × 50", "ttbar"]
    # stacked, smallest yield at the bottom: each top is the sum below it
    order = ["diboson", "ttbar", "Z+jets"]
    total = np.zeros(20)
    for name in order:
        data_ = steps[name].get_data()
        np.testing.assert_allclose(np.atleast_1d(data_.baseline) * np.ones(20), total)
        total = total + _hist(score, w, process == name)
        np.testing.assert_allclose(data_.values, total)
        assert steps[name].get_fill()
    signal = steps["ggF H × 50"]
    assert not signal.get_fill()
    np.testing.assert_allclose(signal.get_data().values, 50 * _hist(score, w, y == 1))
    (points,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    counts = np.histogram(data, EDGES)[0]
    np.testing.assert_allclose(points.lines[0].get_ydata(), counts)
    # Poisson intervals: about sqrt(N) where N is large, a bar over empty bins
    (bars,) = points.lines[2]
    spans = np.array([seg[1, 1] - seg[0, 1] for seg in bars.get_segments()])
    big = counts > 50
    assert np.all(spans[big] > 2 * np.sqrt(counts[big]))
    assert np.all(spans[big] < 2 * np.sqrt(counts[big]) + 1.5)
    assert np.all(spans[counts == 0] > 1.0)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["Data", "Z+jets", "ttbar", "diboson", "ggF H × 50"]
    handles = ax.get_legend().legend_handles
    assert handles[1].get_facecolor() == steps["Z+jets"].get_facecolor()
    lo, hi = ax.get_ylim()
    assert lo > 0 and hi > 10 * total.max()


def test_defaults_one_background_one_signal_no_data():
    _, y, score, w = _sample(seed=2)
    ax = plot_score_distribution(y, score, sample_weight=w, bins=EDGES).axes[0]
    steps = _steps(ax)
    assert sorted(steps) == ["Background", "Signal"]
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Background", "Signal"]  # fmt: skip
    np.testing.assert_allclose(
        steps["Signal"].get_data().values, _hist(score, w, y == 1)
    )


def test_weighted_data_use_the_summed_squared_weights():
    _, y, score, w = _sample(seed=3)
    rng = np.random.default_rng(3)
    data, dw = rng.beta(1, 4, 800), rng.uniform(0.5, 1.5, 800)
    ax = plot_score_distribution(
        y, score, data_score=data, data_weight=dw, bins=20
    ).axes[0]
    (points,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    sumw2 = np.histogram(data, EDGES, weights=dw**2)[0]
    (bars,) = points.lines[2]
    spans = [seg[1, 1] - seg[0, 1] for seg in bars.get_segments()]
    np.testing.assert_allclose(spans, 2 * np.sqrt(sumw2))


def test_linear_axis_and_decision_function_range():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    score = rng.normal(2 * y - 1, 1.0)
    ax = plot_score_distribution(y, score, log_y=False, bins=10).axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0
    assert ax.get_xlim() == pytest.approx((score.min(), score.max()))


def test_negative_weights_on_a_log_axis():
    process, y, score, w = _sample(seed=5)
    w[(process == "diboson") & (score > 0.3)] *= -3  # net-negative bins
    fig = plot_score_distribution(y, score, sample_weight=w, process=process)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert 0 < lo < hi and np.isfinite(hi)
    fig.canvas.draw()  # renders


@pytest.mark.parametrize("style, name", [("ATLAS", "ATLAS"), ("CMS", "CMS"),
                                         ("LHCb2", "LHCb")])  # fmt: skip
def test_styles_label_data_or_simulation(style, name):
    _, y, score, _ = _sample(n=500, seed=6)
    before = dict(mpl.rcParams)
    ax = plot_score_distribution(y, score, style=style, lumi=140).axes[0]
    assert dict(mpl.rcParams) == before
    texts = [t.get_text() for t in ax.texts]
    assert name in texts and "Simulation" in texts
    ax = plot_score_distribution(y, score, data_score=score[:100], style=style).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert name in texts and not any("Simulation" in t for t in texts)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"process": ["a"] * 6 + ["b"] * 4}, r"'process' .* signal and background "
         r"events in \['a'\]"),
        ({"process": ["a"] * 3}, "'process' parameter .* length of 'y'"),
        ({"signal_scale": 0}, "'signal_scale' parameter .* positive number. Got 0"),
        ({"signal_scale": "x"}, "'signal_scale' .* Got 'x' instead"),
        ({"data_weight": [1.0]}, "'data_weight' parameter .* None when 'data_score'"),
        ({"data_score": [0.1, 0.2], "data_weight": [1.0]},
         "'data_weight' .* length of 'data_score'"),
        ({"data_score": [np.nan]}, "'data_score' .* finite values"),
        ({"sample_weight": [-1.0] * 5 + [2.0] * 5}, "sums to -5 over the events"),
        ({"y": [0] * 10}, "'y' parameter .* exactly two classes"),
        ({"style": "cms"}, "'style' parameter of plot_score_distribution"),
        ({"bins": -2}, "'bins' parameter of plot_score_distribution .* Got -2"),
    ],
)  # fmt: skip
def test_errors(kwargs, match):
    args = {"y": [0] * 5 + [1] * 5, "score": np.linspace(0, 1, 10), **kwargs}
    with pytest.raises(ValueError, match=match):
        plot_score_distribution(**args)
