"""plot_data_report: panels, units, scales, binning, weights; column_unit."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import StepPatch

from sknn_hep.datasets import HIGGS_FEATURES, load_higgs_challenge
from sknn_hep.plotting import plot_data_report, save_figure
from sknn_hep.plotting._units import axis_label, column_unit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _panels(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def _features(fig):
    return {
        k.removeprefix("feature: "): ax
        for k, ax in _panels(fig).items()
        if k.startswith("feature: ")
    }


def _steps(ax):
    return [p for p in ax.patches if isinstance(p, StepPatch)]


def _classes(ax):
    """Legend labels of the class histograms drawn on ``ax``."""
    return [c.get_label() for c in ax.containers if not c.get_label().startswith("_")]


def _error_bars(ax):
    """Per class histogram: the lengths of its error bars."""
    bars = [c.lines[2][0] for c in ax.containers if c.get_label().startswith("_")]
    return [np.array([s[1][1] - s[0][1] for s in b.get_segments()]) for b in bars]


def _table(ax):
    cells = ax.tables[0].get_celld()
    n_rows = 1 + max(r for r, _ in cells)
    return [
        [cells[r, c].get_text().get_text() for c in range(4)] for r in range(n_rows)
    ]


# -- units from column names --------------------------------------------------


@pytest.mark.parametrize(
    "name, unit",
    [
        ("DER_mass_MMC", "GeV"),
        ("DER_mass_transverse_met_lep", "GeV"),
        ("DER_sum_pt", "GeV"),
        ("PRI_met", "GeV"),
        ("PRI_met_sumet", "GeV"),
        ("PRI_jet_all_pt", "GeV"),
        ("PRI_tau_phi", "rad"),
        ("PRI_met_phi", "rad"),
        ("PRI_tau_eta", None),
        ("DER_deltaeta_jet_jet", None),
        ("DER_deltar_tau_lep", None),
        ("DER_pt_ratio_lep_tau", None),
        ("DER_met_phi_centrality", None),
        ("PRI_jet_num", None),
        ("mu1_pt", "GeV"),
        ("mu1_charge", None),
        ("m_mumu", "GeV"),
        ("y_mumu", None),
        ("E_0", "GeV"),
        ("PX_0", "GeV"),
        ("Muon_pt", "GeV"),
        ("x0", None),
    ],
)
def test_column_unit(name, unit):
    assert column_unit(name) == unit
    assert axis_label(name, unit) == (f"{name} [{unit}]" if unit else name)


def test_every_higgs_column_has_a_known_unit():
    units = {c: column_unit(c) for c in HIGGS_FEATURES}
    assert sum(u == "GeV" for u in units.values()) == 14
    assert sorted(c for c, u in units.items() if u == "rad") == [
        "PRI_jet_leading_phi",
        "PRI_jet_subleading_phi",
        "PRI_lep_phi",
        "PRI_met_phi",
        "PRI_tau_phi",
    ]


# -- the figure ---------------------------------------------------------------


def _physics_sample(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    frame = pd.DataFrame(
        {
            "lep_pt": 20.0 + rng.exponential(30.0 + 20.0 * y),
            "lep_eta": rng.normal(scale=1.5 - 0.5 * y),
            "lep_phi": rng.uniform(-np.pi, np.pi, n),
            "lep_charge": rng.choice([-1.0, 1.0], n),
            "n_jets": rng.poisson(1.0 + y).astype(float),
            "jet_pt_sum": np.where(
                rng.random(n) < 0.3, 0.0, rng.exponential(50.0, n) + 1.0
            ),
        }
    )
    w = rng.uniform(0.5, 1.5, n)
    return frame, y, w


def test_units_scales_and_integer_bins():
    X, y, w = _physics_sample()
    fig = plot_data_report(X, y, sample_weight=w, n_cols=3)
    panels = _features(fig)
    assert {k: ax.get_xlabel() for k, ax in panels.items()} == {
        "lep_pt": "lep_pt [GeV]",
        "lep_eta": "lep_eta",
        "lep_phi": "lep_phi [rad]",
        "lep_charge": "lep_charge",
        "n_jets": "n_jets",
        "jet_pt_sum": "jet_pt_sum [GeV]",
    }
    # energies and momenta over a wide positive range: log axes
    assert {k: ax.get_xscale() for k, ax in panels.items()} == {
        "lep_pt": "log",
        "lep_eta": "linear",
        "lep_phi": "linear",
        "lep_charge": "linear",
        "n_jets": "linear",
        "jet_pt_sum": "log",
    }
    edges = _steps(panels["lep_pt"])[0].get_data().edges
    np.testing.assert_allclose(np.diff(np.log(edges)), np.log(edges[1] / edges[0]))
    assert edges[0] == X["lep_pt"].min() and edges[-1] >= X["lep_pt"].max()
    # one bin per integer, edges at k ± 0.5, a tick on each integer
    charge = _steps(panels["lep_charge"])[0].get_data()
    np.testing.assert_array_equal(charge.edges, [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(charge.values[1], 0.0)
    jets = _steps(panels["n_jets"])[0].get_data().edges
    top = X["n_jets"].max()
    np.testing.assert_array_equal(jets, np.arange(-0.5, top + 1.0))
    assert panels["n_jets"].get_xticks().tolist() == list(np.arange(top + 1))
    # the zeros of a log-axis column are counted, not drawn
    n_zero = int((X["jet_pt_sum"] == 0).sum())
    (note,) = panels["jet_pt_sum"].texts
    assert note.get_text() == f"zero: {n_zero} ({100 * n_zero / len(X):.1f} %)"
    assert _steps(panels["jet_pt_sum"])[0].get_data().edges[0] > 0


def test_per_class_weighted_overlays_with_errors():
    X, y, w = _physics_sample()
    fig = plot_data_report(X, y, sample_weight=w, n_cols=3)
    ax = _features(fig)["lep_eta"]
    assert _classes(ax) == ["background (0)", "signal (1)"]
    steps = _steps(ax)
    assert len(steps) == 2
    edges = steps[0].get_data().edges
    for k, step in enumerate(steps):
        sel = y == k
        h, _ = np.histogram(X["lep_eta"][sel], edges, weights=w[sel])
        h2, _ = np.histogram(X["lep_eta"][sel], edges, weights=w[sel] ** 2)
        np.testing.assert_allclose(step.get_data().values, h / h.sum())
        # the error bars are ± √(Σw²) / Σw
        np.testing.assert_allclose(_error_bars(ax)[k], 2 * np.sqrt(h2) / h.sum())
    # one legend for the figure, outside the panels; none on a panel
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == _classes(ax)
    assert all(a.get_legend() is None for a in fig.axes)
    assert _features(fig)["lep_pt"].get_ylabel() == "fraction / bin"


def test_percentages_of_a_few_events():
    X, y, w = _physics_sample()
    X.loc[:1, "lep_eta"] = -999.0  # 2 of 400: 0.5 %
    X.loc[:, "jet_pt_sum"] = np.r_[0.0, 5.0 + np.arange(len(X) - 1)]
    fig = plot_data_report(
        pd.concat([X] * 50, ignore_index=True), np.tile(y, 50), missing_values=-999.0
    )
    panels = _features(fig)
    assert [t.get_text() for t in panels["lep_eta"].texts] == ["missing: 100 (0.5 %)"]
    # 50 of 20,000 events: 0.25 %; fewer than 0.05 % would read "< 0.1 %"
    assert [t.get_text() for t in panels["jet_pt_sum"].texts] == ["zero: 50 (0.2 %)"]


def test_missing_panel_only_when_something_is_missing():
    X, y, w = _physics_sample()
    fig = plot_data_report(X, y, sample_weight=w)
    panels = _panels(fig)
    assert "missing" not in panels
    assert [k for k in panels if not k.startswith("feature")] == [
        "correlation",
        "<colorbar>",
        "statistics",
    ]
    X.loc[:39, "lep_eta"] = -999.0
    fig = plot_data_report(X, y, sample_weight=w, missing_values=-999.0)
    panels = _panels(fig)
    widths = [p.get_width() for p in panels["missing"].patches]
    np.testing.assert_allclose(widths, [0, 0.1, 0, 0, 0, 0])
    assert "missing: 40 (10.0 %)" in [
        t.get_text() for t in panels["feature: lep_eta"].texts
    ]


def test_data_report_content(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    X[:40, 1] = np.nan
    X[:10, 3] = np.nan
    y = np.repeat([0, 1], 100)
    w = np.where(np.arange(200) % 20 == 0, -1.0, 2.0)
    fig = plot_data_report(X, y, sample_weight=w, n_cols=2, path=tmp_path / "d.pdf")
    assert (tmp_path / "d.pdf").read_bytes()[:4] == b"%PDF"
    panels = _panels(fig)
    names = [f"x{i}" for i in range(5)]
    assert list(_features(fig)) == names
    widths = [p.get_width() for p in panels["missing"].patches]
    np.testing.assert_allclose(widths, [0.0, 0.2, 0.0, 0.05, 0.0])
    texts = [t.get_text() for t in panels["feature: x1"].texts]
    assert texts == ["missing: 40 (20.0 %)"]
    # histograms of the present values only, weighted, unit sum per class
    ax = panels["feature: x1"]
    assert _classes(ax) == ["background (0)", "signal (1)"]
    keep = ~np.isnan(X[:, 1]) & (y == 0)
    present = X[~np.isnan(X[:, 1]), 1]
    step = _steps(ax)[0].get_data()
    np.testing.assert_allclose(step.edges, np.histogram_bin_edges(present, bins=30))
    h, _ = np.histogram(X[keep, 1], step.edges, weights=w[keep])
    np.testing.assert_allclose(step.values, h / h.sum())
    corr = panels["correlation"].images[0].get_array()
    assert corr.shape == (5, 5)
    np.testing.assert_allclose(np.diag(corr), 1.0)
    r01 = np.corrcoef(X[~np.isnan(X[:, 1]), 0], present)[0, 1]
    assert corr[0, 1] == pytest.approx(r01)
    assert _table(panels["statistics"]) == [
        ["class", "events", "sum of weights", "neg.-weight fraction"],
        ["background (0)", "100", "185", "0.050"],
        ["signal (1)", "100", "185", "0.050"],
        ["all", "200", "370", "0.050"],
    ]
    out = save_figure(fig, tmp_path / "report.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_report_on_the_higgs_sample(tmp_path):
    X, y, w, _ = load_higgs_challenge(n_samples=300, return_X_y=True)
    fig = plot_data_report(X, y, sample_weight=w, missing_values=-999.0, n_cols=6)
    panels = _panels(fig)
    features = _features(fig)
    assert list(features) == list(HIGGS_FEATURES)
    widths = [p.get_width() for p in panels["missing"].patches]
    expected = (X.to_numpy() == -999.0).mean(axis=0)
    np.testing.assert_allclose(widths, expected)
    assert expected.max() > 0.5  # the two-jet features
    # -999 never reaches a histogram
    col = X["DER_mass_jet_jet"]
    edges = _steps(features["DER_mass_jet_jet"])[0].get_data().edges
    assert edges[0] == col[col != -999.0].min()
    assert features["DER_mass_MMC"].get_xlabel() == "DER_mass_MMC [GeV]"
    assert features["DER_mass_MMC"].get_xscale() == "log"
    assert features["PRI_tau_phi"].get_xlabel() == "PRI_tau_phi [rad]"
    assert features["PRI_tau_eta"].get_xlabel() == "PRI_tau_eta"
    jets = _steps(features["PRI_jet_num"])[0].get_data().edges
    np.testing.assert_array_equal(jets, [-0.5, 0.5, 1.5, 2.5, 3.5])
    rows = _table(panels["statistics"])
    assert rows[1][:2] == ["background (0)", str(int((y == 0).sum()))]
    assert rows[2][:3] == ["signal (1)", str(int(y.sum())), f"{w[y == 1].sum():.6g}"]
    out = save_figure(fig, tmp_path / "higgs_report.png", dpi=40)
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 10_000


@pytest.mark.parametrize("style", ["ATLAS", "CMS", "LHCb2"])
def test_styles_label_and_size(style):
    X, y, w = _physics_sample(n=100)
    plain = plot_data_report(X, y, sample_weight=w)
    fig = plot_data_report(X, y, sample_weight=w, style=style, com=13, lumi=140)
    first = _features(fig)["lep_pt"]
    texts = " ".join(t.get_text() for t in first.texts)
    assert {"ATLAS": "ATLAS", "CMS": "CMS", "LHCb2": "LHCb"}[style] in texts
    assert "13" in texts
    # the figure grows with the style's larger fonts
    assert fig.get_figwidth() > plain.get_figwidth()
    assert first.get_xlabel() == "lep_pt [GeV]" and first.get_xscale() == "log"


def test_no_label_without_style():
    X, y, w = _physics_sample(n=100)
    fig = plot_data_report(X, y, sample_weight=w)
    assert _features(fig)["lep_pt"].get_title(loc="right") == ""
    fig = plot_data_report(X, y, sample_weight=w, com=13)
    assert "13 TeV" in _features(fig)["lep_pt"].get_title(loc="right")


def test_units_override_the_names():
    X, y, w = _physics_sample(n=100)
    fig = plot_data_report(X, y, units={"lep_pt": None, "lep_eta": "mm"})
    panels = _features(fig)
    assert panels["lep_pt"].get_xlabel() == "lep_pt"
    assert panels["lep_pt"].get_xscale() == "linear"
    assert panels["lep_eta"].get_xlabel() == "lep_eta [mm]"


def test_data_report_without_labels_uses_dataframe_names():
    frame = pd.DataFrame({"pt": [10.0, 20.0, 35.0, -1.0], "eta": [0.1, -1, 2, 0.5]})
    fig = plot_data_report(frame, missing_values=-1.0)
    panels = _features(fig)
    assert set(panels) == {"pt", "eta"}
    assert _classes(panels["pt"]) == ["all events"]
    assert _table(_panels(fig)["statistics"]) == [
        ["class", "events", "sum of weights", "neg.-weight fraction"],
        ["all", "4", "4", "0.000"],
    ]
    fig = plot_data_report(frame, feature_names=["a", "b"])
    assert "feature: a" in _panels(fig)


def test_data_report_with_negative_weights():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(100, 2))
    y = np.repeat([0, 1], 50)
    w = np.ones(100)
    w[50:55] = -2.0
    # feature 1 is missing where class 1 has positive weight: its present
    # class-1 values sum to -10, which cannot be drawn at unit sum
    X[55:, 1] = np.nan
    fig = plot_data_report(X, y, sample_weight=w)
    panels = _features(fig)
    assert _classes(panels["x0"]) == ["background (0)", "signal (1)"]
    assert _classes(panels["x1"]) == ["background (0)"]
    assert _table(_panels(fig)["statistics"])[2] == ["signal (1)", "50", "35", "0.100"]
    w[50:60] = -5.0
    with pytest.raises(ValueError, match="plot_data_report sums to -10 over the"):
        plot_data_report(X, y, sample_weight=w)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"X": np.ones(5)}, ValueError, "'X' parameter .* 2d array. Got shape"),
        ({"X": [[1.0, np.inf]] * 3}, ValueError, "'X' .* infinite values. Got 3"),
        ({"y": [0, 1]}, ValueError, r"'y' .* length of 'X' \(3\)"),
        ({"feature_names": ["a"]}, ValueError, "'feature_names' .* Got 1"),
        ({"missing_values": "NA"}, TypeError, "'missing_values' .* 'NA'"),
        ({"bins": 0}, ValueError, "'bins' parameter .* int >= 1. Got 0"),
        ({"n_cols": 1.5}, ValueError, "'n_cols' parameter .* Got 1.5"),
        ({"units": "GeV"}, TypeError, "'units' parameter .* Got 'GeV'"),
        ({"units": {"pt": "GeV"}}, ValueError, r"'units' .* Got \['pt'\]"),
        ({"style": "ALEPH"}, ValueError, "'style' parameter of plot_data_report"),
        ({"com": -1}, ValueError, "'com' parameter of plot_data_report .* -1"),
    ],
)
def test_data_report_errors(kwargs, error, match):
    args = {"X": [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], **kwargs}
    with pytest.raises(error, match=match):
        plot_data_report(**args)
