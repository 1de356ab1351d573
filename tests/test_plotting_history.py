"""plot_history and plot_diagnostics: the grid, best epoch, legends, styles."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sknn_hep.neural_network import NeuralClassifier
from sknn_hep.plotting import plot_diagnostics, plot_history, save_figure


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def clf():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    return NeuralClassifier(
        n_layers=2, n_units=8, max_epochs=12, early_stopping=True, patience=3,
        lr_schedule="step", lr_step=2, batch_size=64, diagnostics=True,
        scoring="roc_auc", random_state=0,
    ).fit(X, y)  # fmt: skip


def _history(n=7, **extra):
    return [
        {
            "epoch": i,
            "train_loss": 1.0 / i,
            "valid_loss": abs(i - 4) + 0.5,
            **{k: f(i) for k, f in extra.items()},
        }
        for i in range(1, n + 1)
    ]


def _best_lines(ax):
    return [
        ln for ln in ax.get_lines() if ln.get_label().lstrip("_").startswith("best")
    ]


def _panels(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def _above(legend, ax):
    """The legend lies above the axes' data area (it covers no curve)."""
    fig = ax.get_figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return (
        legend.get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 1
    )


def test_grid_of_a_fitted_estimator(clf, tmp_path):
    fig = plot_history(clf, path=tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    panels = _panels(fig)
    assert list(panels) == [
        "loss",
        "learning rate",
        "metric: score",
        "gradient norm",
        "dead units",
    ]
    # a compact grid: 2 rows of 3, not a strip
    rows = {round(ax.get_position().y0, 3) for ax in fig.axes}
    cols = {round(ax.get_position().x0, 3) for ax in fig.axes}
    assert len(rows) == 2 and len(cols) == 3
    width, height = fig.get_size_inches()
    assert width <= 14 and width / height < 2.5
    # the best epoch on every panel, in the figure legend once
    for ax in fig.axes:
        (best,) = _best_lines(ax)
        assert list(best.get_xdata()) == [clf.best_epoch_] * 2
        assert ax.get_xlabel() == "epoch"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "train",
        "validation",
        f"best epoch ({clf.best_epoch_})",
    ]
    for name in ("loss", "learning rate", "metric: score"):
        assert panels[name].get_legend() is None
    # the curves
    epochs = [row["epoch"] for row in clf.history_]
    train, valid = panels["loss"].get_lines()[:2]
    np.testing.assert_array_equal(train.get_xdata(), epochs)
    np.testing.assert_allclose(train.get_ydata(), clf.loss_curve_)
    np.testing.assert_allclose(
        valid.get_ydata(), [row["valid_loss"] for row in clf.history_]
    )
    (lr,) = [
        ln
        for ln in panels["learning rate"].get_lines()
        if ln not in _best_lines(panels["learning rate"])
    ]
    np.testing.assert_allclose(lr.get_ydata(), [r["lr"] for r in clf.history_])
    assert panels["learning rate"].get_yscale() == "log"
    assert len(set(lr.get_ydata())) > 1
    assert panels["metric: score"].get_ylabel() == "validation score (roc_auc)"
    score = panels["metric: score"].get_lines()[0]
    np.testing.assert_allclose(
        score.get_ydata(), [r["valid_score"] for r in clf.history_]
    )
    # diagnostics: one curve per layer, legends above their panels
    grad = panels["gradient norm"]
    assert grad.get_yscale() == "log"
    n_layers = len(
        {k for row in clf.history_ for k in row if k.startswith("grad_norm_")}
    )
    assert [t.get_text() for t in grad.get_legend().get_texts()] == [
        f"layer {k}" for k in range(1, n_layers + 1)
    ]
    dead = panels["dead units"]
    assert [t.get_text() for t in dead.get_legend().get_texts()] == [
        "layer 1",
        "layer 2",
        "all layers",
    ]
    assert dead.get_ylim() == pytest.approx((-0.02, 1.02))
    assert _above(grad.get_legend(), grad) and _above(dead.get_legend(), dead)


def test_a_pipeline_shows_its_network(clf):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), clf)  # fitted steps, as after fit
    fig = plot_history(pipe)
    (best,) = _best_lines(_panels(fig)["loss"])
    assert list(best.get_xdata()) == [clf.best_epoch_] * 2
    assert _panels(fig)["metric: score"].get_ylabel() == "validation score (roc_auc)"


def test_grid_from_a_list_of_dicts():
    fig = plot_history(_history(), log_loss=True)
    assert len(fig.axes) == 1  # no lr, no metric, no diagnostics
    (ax,) = fig.axes
    assert ax.get_label() == "loss" and ax.get_yscale() == "log"
    assert list(_best_lines(ax)[0].get_xdata()) == [4, 4]
    no_valid = [{"train_loss": v} for v in (3.0, 1.0, 2.0)]
    fig = plot_history(no_valid)
    assert list(_best_lines(fig.axes[0])[0].get_xdata()) == [2, 2]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["train", "best epoch (2)"]


def test_train_and_valid_metrics_share_a_panel():
    history = _history(
        lr=lambda i: 0.1,
        train_acc=lambda i: 0.5 + i / 20,
        valid_acc=lambda i: 0.5 + i / 30,
        dur=lambda i: 0.1,
        train_batch_count=lambda i: 8,
        valid_batch_count=lambda i: 2,
        valid_loss_best=lambda i: i == 4,
    )
    fig = plot_history(history)
    panels = _panels(fig)
    assert list(panels) == ["loss", "learning rate", "metric: acc"]
    acc = panels["metric: acc"]
    assert acc.get_ylabel() == "acc"
    curves = [ln for ln in acc.get_lines() if ln not in _best_lines(acc)]
    assert [ln.get_label() for ln in curves] == ["train acc", "validation acc"]
    # train blue, validation orange, as in the loss panel and the legend
    loss_train, loss_valid = panels["loss"].get_lines()[:2]
    assert curves[0].get_color() == loss_train.get_color()
    assert curves[1].get_color() == loss_valid.get_color()
    # constant positive learning rate: still a log axis
    assert panels["learning rate"].get_yscale() == "log"


def test_one_axes_per_ensemble_member(clf):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    for ax in axes:
        assert plot_history(clf, ax=ax) is fig
    assert len(fig.axes) == 4  # each with its learning-rate twin
    ax, ax_lr = axes[0], fig.axes[2]
    assert ax_lr.get_yscale() == "log" and ax_lr.get_ylabel() == "learning rate"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "train loss",
        "validation loss",
        f"best epoch ({clf.best_epoch_})",
        "learning rate",
    ]
    assert _above(legend, ax)
    assert list(_best_lines(ax)[0].get_xdata()) == [clf.best_epoch_] * 2


@pytest.mark.parametrize("style", ["ATLAS", "CMS", "LHCb2"])
def test_styles(clf, style, tmp_path):
    plain = plot_history(clf)
    fig = plot_history(clf, style=style, label="Internal", com=13.6)
    assert fig.get_figwidth() > plain.get_figwidth()  # room for larger fonts
    loss = _panels(fig)["loss"]
    texts = " ".join(t.get_text() for t in loss.texts)
    assert {"ATLAS": "ATLAS", "CMS": "CMS", "LHCb2": "LHCb"}[style] in texts
    assert "Internal" in texts and "13.6" in texts
    # head room above the curves for the label drawn inside the axes
    top = max(max(ln.get_ydata()) for ln in loss.get_lines()[:2])
    lo, hi = loss.get_ylim()
    assert (top - lo) / (hi - lo) < 0.8
    out = save_figure(fig, tmp_path / f"history_{style}.png", dpi=40)
    assert out.stat().st_size > 5000


def test_no_label_without_style_or_energy():
    fig = plot_history(_history())
    assert fig.axes[0].get_title(loc="right") == ""
    fig = plot_history(_history(), com=13, lumi=140)
    assert "140" in fig.axes[0].get_title(loc="right")


def test_diagnostics(clf):
    fig = plot_diagnostics(clf, style="ATLAS")
    panels = _panels(fig)
    assert list(panels) == ["gradient norm", "dead units"]
    for ax in fig.axes:
        (best,) = _best_lines(ax)
        assert list(best.get_xdata()) == [clf.best_epoch_] * 2
        assert _above(ax.get_legend(), ax)
    assert "ATLAS" in " ".join(t.get_text() for t in panels["gradient norm"].texts)
    with pytest.raises(ValueError, match="plot_diagnostics has no 'grad_norm_<k>'"):
        plot_diagnostics(_history())


@pytest.mark.parametrize(
    "arg, kwargs, error, match",
    [
        (3, {}, TypeError, "'estimator_or_history' parameter of plot_history .* int"),
        ([], {}, ValueError, "non-empty list of dicts"),
        ([{"valid_loss": 1.0}], {}, ValueError, "'train_loss' entry"),
        (None, {"style": "ALEPH"}, ValueError, "'style' parameter of plot_history"),
        (None, {"com": 0}, ValueError, "'com' parameter of plot_history .* Got 0"),
        (None, {"label": 1}, ValueError, "'label' parameter of plot_history"),
        (None, {"ax": "x"}, TypeError, "'ax' parameter of plot_history .* str"),
    ],
)
def test_history_errors(arg, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_history(_history() if arg is None else arg, **kwargs)


def test_the_cli_history_figure(clf):
    from sknn_hep.cli import _history_figure

    # one network: plot_history's grid
    fig = _history_figure([clf])
    assert [ax.get_label() for ax in fig.axes][:2] == ["loss", "learning rate"]

    # several clones: one axes (and its learning-rate twin) each, one legend
    class Clone:
        def __init__(self, k):
            self.history_ = clf.history_[: len(clf.history_) - k]
            self.best_epoch_ = 2 + k

    fig = _history_figure([Clone(k) for k in range(4)])
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == [f"clone {k}" for k in range(4)]
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "train loss",
        "validation loss",
        "best epoch",
        "learning rate",
    ]
    for k, ax in enumerate(titled):
        assert list(_best_lines(ax)[0].get_xdata()) == [2 + k] * 2
