"""Every figure of sknn_hep.plotting in each experiment style.
===========================================================

The plot functions of :mod:`sknn_hep.plotting` take ``style=`` ("ATLAS",
"CMS", "LHCb2" through mplhep, or None for matplotlib's look) and an
experiment label (``label="Simulation"``, ``com`` = √s in TeV, ``lumi`` in
fb⁻¹). This script trains one small
:class:`~sknn_hep.neural_network.NeuralClassifier` on the bundled
Higgs-challenge sample, with the training diagnostics and a validation ROC
AUC recorded, and draws each figure once per style:

- ``roc``: ε_S against 1/ε_B with a bootstrap band
  (:func:`~sknn_hep.plotting.plot_roc`);
- ``overtraining``: train vs test classifier output with KS p-values
  (:func:`~sknn_hep.plotting.plot_overtraining`);
- ``scores``: the weighted classifier output per class
  (:func:`~sknn_hep.plotting.plot_score_distribution`);
- ``history``: loss, learning rate, validation ROC AUC, gradient norms and
  dead units per epoch, best epoch marked
  (:func:`~sknn_hep.plotting.plot_history`);
- ``diagnostics``: the gradient norms and dead units alone
  (:func:`~sknn_hep.plotting.plot_diagnostics`);
- ``report``: "know your data" for eight of the Higgs columns, with units,
  log axes for the momenta and masses and one bin per jet count
  (:func:`~sknn_hep.plotting.plot_data_report`).

The files are ``OUTPUT/<figure>_<style>.png`` (``plain`` for no style).

Run ``python examples/plot_figure_styles.py --fast`` for a quick check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.neural_network import NeuralClassifier
from sknn_hep.plotting import (
    STYLES,
    plot_data_report,
    plot_diagnostics,
    plot_history,
    plot_overtraining,
    plot_roc,
    plot_score_distribution,
    save_figure,
)
from sknn_hep.preprocessing import MissingValueEncoder

REPORT_COLUMNS = [
    "DER_mass_MMC",
    "DER_mass_vis",
    "DER_deltar_tau_lep",
    "PRI_tau_pt",
    "PRI_tau_eta",
    "PRI_tau_phi",
    "PRI_met",
    "PRI_jet_num",
]
"""The columns of the data report: masses and momenta (GeV, log axes), an
angle (rad), a pseudorapidity and ΔR (no unit) and the jet count (integers)."""

FIGURES = ("roc", "overtraining", "scores", "history", "diagnostics", "report")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", help="3000 events, 6 epochs")
    parser.add_argument("--output", type=Path, default=Path("output"))
    args = parser.parse_args(argv)

    n_events, max_epochs = (3000, 6) if args.fast else (None, 30)
    X, y, w, _ = load_higgs_challenge(n_samples=n_events, return_X_y=True)
    X_train, X_test, y_train, y_test, w_train, w_test = train_test_split(
        X, y, w, test_size=0.3, stratify=y, random_state=0
    )
    model = make_pipeline(
        MissingValueEncoder(missing_values=-999.0, add_indicator=True),
        NeuralClassifier(
            n_layers=2,
            n_units=64,
            max_epochs=max_epochs,
            early_stopping=True,
            patience=4,
            lr_schedule="plateau",
            lr_patience=1,
            class_weight="balanced",
            diagnostics=True,
            scoring="roc_auc",
            random_state=0,
        ),
    ).fit(X_train, y_train)
    net = model[-1]
    score_train = model.predict_proba(X_train)[:, 1]
    score_test = model.predict_proba(X_test)[:, 1]
    print(f"{len(y)} events, {net.n_iter_} epochs, best epoch {net.best_epoch_}")

    def draw(figure: str, style):
        label = {"style": style, "label": "Simulation", "com": 8}
        if figure == "roc":
            return plot_roc(y_test, score_test, sample_weight=w_test, **label)
        if figure == "overtraining":
            return plot_overtraining(
                y_train, score_train, y_test, score_test,
                sample_weight_train=w_train, sample_weight_test=w_test, **label,
            )  # fmt: skip
        if figure == "scores":
            return plot_score_distribution(
                y_test, score_test, sample_weight=w_test, **label
            )
        if figure == "history":
            return plot_history(net, **label)
        if figure == "diagnostics":
            return plot_diagnostics(net, **label)
        return plot_data_report(
            X[REPORT_COLUMNS], y, sample_weight=w, missing_values=-999.0, **label
        )

    written = {}
    for style in STYLES:
        for figure in FIGURES:
            fig = draw(figure, style)
            path = args.output / f"{figure}_{style or 'plain'}.png"
            written[figure, style] = save_figure(fig, path, dpi=60)
            plt.close(fig)
    print(f"wrote {len(written)} figures to {args.output}")
    return {"written": written, "model": model}


if __name__ == "__main__":
    main()
