"""The experiment styles and labels shared by the plot functions."""

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import mplhep
import pytest

from sknn_hep.plotting import STYLES, experiment_label, plot_style


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("style", ["ATLAS", "CMS", "LHCb2"])
def test_each_style_applies_inside_and_is_restored_after(style):
    sheet = getattr(mplhep.style, style)
    before = dict(mpl.rcParams)
    with plot_style(style, "plot_x"):
        assert mpl.rcParams["xtick.direction"] == "in"
        assert tuple(mpl.rcParams["figure.figsize"]) == tuple(sheet["figure.figsize"])
        assert mpl.rcParams["font.family"] == [sheet["font.family"]]
        changed = [k for k in sheet if k in before and mpl.rcParams[k] != before[k]]
        assert len(changed) > 5
    assert dict(mpl.rcParams) == before


def test_no_style_leaves_the_rcparams_and_restores_changes():
    before = dict(mpl.rcParams)
    with plot_style(None, "plot_x"):
        assert dict(mpl.rcParams) == before
        mpl.rcParams["lines.linewidth"] = 7.0
    assert dict(mpl.rcParams) == before


def test_the_style_is_restored_after_an_error():
    before = mpl.rcParams["xtick.direction"]
    with pytest.raises(RuntimeError), plot_style("CMS", "plot_x"):
        raise RuntimeError
    assert mpl.rcParams["xtick.direction"] == before


@pytest.mark.parametrize("bad", ["atlas", "LHCb", "", 1, ("ATLAS",)])
def test_bad_style(bad):
    match = r"'style' parameter of plot_x must be one of \['ATLAS', 'CMS', 'LHCb2'"
    with pytest.raises(ValueError, match=match + ".*Got " + re.escape(repr(bad))):
        with plot_style(bad, "plot_x"):
            pass
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="'style' parameter of experiment_label"):
        experiment_label(ax, bad)


@pytest.mark.parametrize(
    "style, name", [("ATLAS", "ATLAS"), ("CMS", "CMS"), ("LHCb2", "LHCb")]
)
def test_experiment_label_per_style(style, name):
    with plot_style(style):
        fig, ax = plt.subplots()
        texts = experiment_label(ax, style, label="Internal", com=13.6, lumi=140)
    strings = [t.get_text() for t in texts]
    assert strings[0] == name and strings[1] == "Simulation Internal"
    assert "13.6" in strings[2] and "140" in strings[2] and "fb" in strings[2]
    assert all(t in ax.texts for t in texts)
    fig, ax = plt.subplots()
    texts = experiment_label(ax, style, label="Preliminary", data=True)
    assert [t.get_text() for t in texts] == [name, "Preliminary"]
    fig, ax = plt.subplots()
    assert [t.get_text() for t in experiment_label(ax, style)] == [name, "Simulation"]


def test_experiment_label_without_style():
    fig, ax = plt.subplots()
    assert experiment_label(ax, None) == [] and not ax.texts
    assert ax.get_title(loc="right") == ""
    (text,) = experiment_label(ax, None, label="Internal", com="900 GeV")
    assert ax.get_title(loc="right") == text.get_text()
    assert text.get_text() == r"Simulation Internal, $\sqrt{s}$ = 900 GeV"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"label": 3}, "'label' parameter of experiment_label must be a str or None"),
        ({"com": -13}, "'com' parameter .* positive number, a str or None. Got -13"),
        ({"lumi": True}, "'lumi' parameter .* Got True instead"),
    ],
)
def test_experiment_label_errors(kwargs, match):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=match):
        experiment_label(ax, "ATLAS", **kwargs)


def test_styles_constant():
    assert STYLES == ("ATLAS", "CMS", "LHCb2", None)


def test_save_figure_draws_a_figure_in_its_style(tmp_path, monkeypatch):
    import numpy as np

    from sknn_hep.plotting import plot_roc, save_figure

    seen = []
    y = np.repeat([0, 1], 50)
    score = np.random.default_rng(0).normal(y.astype(float))
    fig = plot_roc(y, score, style="CMS", n_bootstrap=0, min_background_events=0)
    original = fig.savefig

    def spy(*args, **kwargs):
        seen.append((mpl.rcParams["font.size"], mpl.rcParams["xtick.direction"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(fig, "savefig", spy)
    before = dict(mpl.rcParams)
    save_figure(fig, tmp_path / "roc.png")
    assert seen == [(26.0, "in")]  # the fonts resolve, the layout runs, in CMS
    assert dict(mpl.rcParams) == before
    fig, ax = plt.subplots()  # a figure of no style: saved as it is
    monkeypatch.setattr(fig, "savefig", lambda *a, **k: seen.append(
        mpl.rcParams["xtick.direction"]))  # fmt: skip
    save_figure(fig, tmp_path / "plain.png")
    assert seen[-1] == before["xtick.direction"]
