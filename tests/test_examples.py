"""The examples run (in their fast mode) and produce what they promise."""

import importlib.util
import os
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_higgs_pipeline_fast(tmp_path, capsys):
    result = _load("higgs_pipeline").main(
        ["--fast", "--folds", "3", "--output", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert "3-fold ROC AUC" in out and "Cross-training by EventId % 3" in out
    # well above chance even in the fast mode
    assert result["auc"] > 0.7
    assert result["weighted_auc"] > 0.75
    assert result["oof"]["ams"] > 1.0 and result["oof"]["rejection"] > 3.0
    assert result["cross_training"]["weighted_auc"] > 0.75
    model = joblib.load(tmp_path / "higgs_crosstraining.joblib")
    assert len(model.estimators_) == 3
    assert model.estimators_[0][-1].categorical_indices_.size == 1


def test_top_tagging_multitask_fast(tmp_path, capsys):
    results = _load("top_tagging_multitask").main(["--fast", "--output", str(tmp_path)])
    out = capsys.readouterr().out
    assert "tagging AUC" in out and "top energy R²" in out
    for lam in (0.0, 0.5):
        assert results[lam]["auc"] > 0.75
        assert results[lam]["rejection"] > 5
    # with λ = 0.5 the energy head learns; with λ = 0 it is not trained
    assert results[0.5]["r2"] > 0.8 and results[0.5]["resolution"] < 0.2
    assert results[0.0]["r2"] < 0.5
    assert (tmp_path / "top_tagging_roc.png").stat().st_size > 0


def test_mass_regression_fast(tmp_path, capsys):
    results = _load("mass_regression").main(["--fast", "--output", str(tmp_path)])
    assert "RMS(m_pred - m_true)" in capsys.readouterr().out
    # masses span 0-200 GeV (σ ≈ 58 GeV): both inputs learn m = √(E² − p²)
    assert results["cartesian"]["r2"] > 0.85 and results["collider"]["r2"] > 0.75
    assert results["cartesian"]["rms"] < 25
    assert (tmp_path / "mass_regression.png").stat().st_size > 0


def test_zmumu_preprocessing_fast(tmp_path, capsys):
    result = _load("zmumu_preprocessing").main(["--fast", "--output", str(tmp_path)])
    assert "after PCA" in capsys.readouterr().out
    for col, before in result["skew_before"].items():
        assert abs(result["skew_after"][col]) < abs(before) / 2
    assert result["corr_before"] > 0.5 and result["corr_after"] < 1e-8
    # without input scaling the raw GeV-scale inputs barely train
    assert result["log-shift + group scaling + PCA"] > result["raw inputs"] + 0.2
    # the default network does that preprocessing's work on the raw inputs
    # (robust scaling with smooth clipping, periodic embeddings)
    defaults = result["raw inputs, NeuralClassifier() defaults"]
    assert defaults > result["raw inputs"] + 0.2
    assert (tmp_path / "zmumu_preprocessing.png").stat().st_size > 0


def test_class_imbalance_fast(capsys):
    results = _load("class_imbalance").main(["--fast"])
    assert "5.0% signal" in capsys.readouterr().out
    plain = results["plain"]
    for name in ("class_weight='balanced'", "balanced_batches=True"):
        # both cures move the default threshold into the signal: far higher
        # efficiency at 0.5 than the plain fit, which calls almost all
        # events background
        assert results[name]["efficiency"] > plain["efficiency"] + 0.3
        assert results[name]["auc"] > 0.75
    assert plain["efficiency"] < 0.3


def test_higgs_bayes_search_fast(capsys):
    results = _load("higgs_bayes_search").main(["--fast"])
    out = capsys.readouterr().out
    assert "BayesSearchCV, 3 candidates x 3 event-number folds" in out
    search = results["search"]
    assert len(search.cv_results_["params"]) == 3
    assert 0.6 < search.best_score_ <= 1.0
    assert set(results["best_params"]) == {
        "lr",
        "n_layers",
        "n_units",
        "dropout",
        "l2",
        "batch_size",
    }
    for name in ("starting", "tuned"):
        f = results[name]
        assert f["weighted_auc"] > 0.75 and f["ams"] > 1.0 and f["rejection"] > 3


def test_dask_uproot_scoring_fast(tmp_path, capsys):
    # A LocalCluster's nanny writes OMP_NUM_THREADS=1 (and MKL_..., OPENBLAS_...)
    # into this process's environment; put it back for the tests after this.
    saved = dict(os.environ)
    try:
        result = _load("dask_uproot_scoring").main(
            ["--fast", "--output", str(tmp_path)]
        )
    finally:
        for var in set(os.environ) - set(saved):
            del os.environ[var]
        os.environ.update(saved)
    out = capsys.readouterr().out
    assert "2 ROOT files" in out and "scored and wrote" in out
    assert result["n_partitions"] == 4
    # half of the 22,889 bundled events, scored on the cluster as in memory
    assert result["n_events"] == 11445
    assert result["max_diff"] < 1e-12
    assert result["auc"] > 0.75
    written = sorted((tmp_path / "higgs_scores").glob("*.parquet"))
    assert len(written) == result["n_partitions"]
    scores = pd.read_parquet(tmp_path / "higgs_scores")
    assert list(scores.columns) == ["EventId", "score"]
    assert np.all((scores["score"] >= 0) & (scores["score"] <= 1))


def test_plot_figure_styles_fast(tmp_path, capsys):
    result = _load("plot_figure_styles").main(["--fast", "--output", str(tmp_path)])
    assert "best epoch" in capsys.readouterr().out
    # every figure of sknn_hep.plotting once per style
    figures = {"roc", "overtraining", "scores", "history", "diagnostics", "report"}
    styles = {"ATLAS", "CMS", "LHCb2", None}
    assert set(result["written"]) == {(f, s) for f in figures for s in styles}
    for (figure, style), path in result["written"].items():
        assert path == tmp_path / f"{figure}_{style or 'plain'}.png"
        assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 5000
