"""Tune a Higgs-challenge network with BayesSearchCV, then cross-train it.
=======================================================================

The physics workflow of the lectures on the bundled ATLAS sample, with no
event used twice:

1. the events with ``EventId % 4 == 0`` (a quarter) tune the pipeline
   (:func:`~sknn_hep.preprocessing.make_higgs_preprocessor` with
   ``PRI_jet_num`` passed through to an embedding of the
   :class:`~sknn_hep.neural_network.NeuralClassifier`):
   :class:`~sknn_hep.model_selection.BayesSearchCV` over the package's ready
   space (:func:`~sknn_hep.model_selection.search_space`), folds by event
   number (:class:`~sknn_hep.model_selection.EventNumberKFold`), scored by
   the ``KaggleWeight``-weighted ROC AUC with the weights routed to the
   training and to the scorer (scikit-learn's metadata routing);
2. the other events are cross-trained
   (:class:`~sknn_hep.ensemble.CrossTrainingClassifier`, fold = EventId % 5)
   twice, with the tuned and with the starting parameters, and each is judged
   on its out-of-fold predictions by the weighted AUC, the challenge's AMS_max
   (each class's weights rescaled to the full Kaggle totals, b_reg = 10) and
   the background rejection at ε_S = 0.3.

Run ``python examples/higgs_bayes_search.py --help`` for the options;
``--fast`` is a quick check on a subset.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.pipeline import make_pipeline

from sknn_hep.datasets import (
    HIGGS_BACKGROUND_TOTAL,
    HIGGS_SIGNAL_TOTAL,
    load_higgs_challenge,
)
from sknn_hep.ensemble import CrossTrainingClassifier
from sknn_hep.metrics import physics_figures
from sknn_hep.model_selection import BayesSearchCV, EventNumberKFold, search_space
from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier
from sknn_hep.preprocessing import make_higgs_preprocessor

SEARCHED = ["lr", "n_layers", "n_units", "dropout", "l2", "batch_size"]


def make_model(max_epochs: int):
    """Preprocessing and network; the search sets the network's parameters."""
    return make_pipeline(
        make_higgs_preprocessor(categorical="passthrough"),
        NeuralClassifier(
            # the plain network the figures in the README were measured with
            **{**PLAIN_NETWORK, "early_stopping": True},
            categorical_features=["PRI_jet_num"],
            class_weight="balanced",
            patience=5,
            max_epochs=max_epochs,
            random_state=0,
        ),
    ).set_output(transform="pandas")


def tune(X, y, w, event_id, *, n_iter: int, max_epochs: int, random_state: int):
    """BayesSearchCV with weights routed to each fit and to the scorer."""
    with config_context(enable_metadata_routing=True):
        model = make_model(max_epochs)
        # every step whose fit takes weights gets them: the preprocessing's
        # statistics and the network's loss
        for step in [model[-1], *model[0].get_params().values()]:
            if hasattr(step, "set_fit_request"):
                step.set_fit_request(sample_weight=True)
        scorer = make_scorer(
            roc_auc_score, response_method="predict_proba"
        ).set_score_request(sample_weight=True)
        search = BayesSearchCV(
            model,
            search_space(model, "bayes", include=SEARCHED),
            n_iter=n_iter,
            cv=EventNumberKFold(n_splits=3),
            scoring=scorer,
            random_state=random_state,
        )
        search.fit(X, y, sample_weight=w, groups=event_id)
    return search


def cross_train(model, X, y, w, event_id):
    """Out-of-fold figures of ``model`` cross-trained by EventId % 5."""
    start = time.perf_counter()
    crossed = CrossTrainingClassifier(model, n_splits=5)
    crossed.fit(X, y, sample_weight=w, groups=event_id)
    result = physics_figures(
        y,
        crossed.oof_proba_[:, 1],
        sample_weight=w,
        signal_total=HIGGS_SIGNAL_TOTAL,
        background_total=HIGGS_BACKGROUND_TOTAL,
    )
    result["seconds"] = time.perf_counter() - start
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument(
        "--fast", action="store_true", help="2,000 events, 3 candidates, 3 epochs"
    )
    parser.add_argument("--n-iter", type=int, default=None)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    n_iter = args.n_iter or (3 if args.fast else 16)
    max_epochs = args.max_epochs or (3 if args.fast else 50)
    X, y, w, event_id = load_higgs_challenge(
        n_samples=2000 if args.fast else None, return_X_y=True
    )
    tuning = event_id % 4 == 0
    rest = ~tuning
    print(
        f"Higgs-challenge sample: {len(y)} events; {int(tuning.sum())} tune "
        f"(EventId % 4 == 0), {int(rest.sum())} are cross-trained"
    )

    start = time.perf_counter()
    search = tune(
        X[tuning],
        y[tuning],
        w[tuning],
        event_id[tuning],
        n_iter=n_iter,
        max_epochs=max_epochs,
        random_state=args.random_state,
    )
    best = {k.split("__", 1)[1]: v for k, v in search.best_params_.items()}
    print(
        f"BayesSearchCV, {n_iter} candidates x 3 event-number folds "
        f"({time.perf_counter() - start:.0f} s): best weighted AUC "
        f"{search.best_score_:.4f} with {best}"
    )

    results = {}
    starting = make_model(max_epochs)
    tuned = clone(starting).set_params(**search.best_params_)
    for name, model in (("starting", starting), ("tuned", tuned)):
        results[name] = cross_train(model, X[rest], y[rest], w[rest], event_id[rest])
    print("\nCross-trained by EventId % 5, out-of-fold on the other events:")
    print(f"{'parameters':<11} {'wAUC':>7} {'AMS_max':>8} {'1/eps_B':>8} {'time':>6}")
    for name, f in results.items():
        print(
            f"{name:<11} {f['weighted_auc']:7.4f} {f['ams']:8.3f} "
            f"{f['rejection']:8.1f} {f['seconds']:5.0f}s"
        )
    results["best_params"] = best
    results["search"] = search
    return results


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
