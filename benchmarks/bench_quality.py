"""Quality on the ATLAS Higgs-challenge sample: the recipe against boosted trees.

In one run, on the bundled 22,889 events and the same
``StratifiedKFold(5, shuffle=True, random_state=0)`` folds, this trains

- ``sknn_hep``: the recommended recipe,
  :func:`sknn_hep.recipes.make_higgs_classifier` (5 seeds),
- ``xgboost``: ``XGBClassifier`` (500 trees, depth 6, learning rate 0.05,
  ``-999.0`` as missing),
- ``lightgbm``: ``LGBMClassifier`` in the same spirit (500 trees, 63 leaves,
  depth 6, learning rate 0.05, ``-999.0`` as NaN),
- ``sklearn_mlp``: scikit-learn's ``MLPClassifier`` (its defaults, with early
  stopping) after mean imputation of ``-999.0`` and ``StandardScaler``,
- ``skorch``: a plain skorch ``NeuralNetClassifier`` with its defaults (SGD,
  lr 0.01, 10 epochs, 20 % internal validation split) on a small MLP module,
  after mean imputation and ``StandardScaler`` -- what a physicist gets
  without this package. skorch's ``fit`` takes no sample weights, so it
  trains unweighted.

The training weights are ``KaggleWeight`` rescaled so that each class sums
to half the number of training events (balanced classes, mean weight 1).
Every event is predicted once, by the model of the fold that did not train
on it; on these pooled out-of-fold scores the script reports

- the ``KaggleWeight``-weighted ROC AUC,
- AMS_max: the challenge's AMS maximised over the threshold, each class's
  ``KaggleWeight`` rescaled to the full Kaggle totals (691.99 signal,
  410,999.85 background), b_reg = 10 (:func:`sknn_hep.metrics.ams` with
  ``threshold="max"``),
- the background rejection 1/ε_B at ε_S = 0.3 (weighted),
- the fit time summed over the 5 folds (``--threads`` threads per model).

and prints a markdown table; ``--write PATH`` also puts it into PATH between
the lines ``<!-- bench_quality:start -->`` and ``<!-- bench_quality:end -->``.
Models whose package is missing (xgboost, lightgbm: the ``bench`` extra) are
skipped with a message.

Usage::

    python benchmarks/bench_quality.py                      # all models, ~10 min
    python benchmarks/bench_quality.py --models sknn_hep xgboost
    python benchmarks/bench_quality.py --fast               # 4,000 events, smoke test
    python benchmarks/bench_quality.py --write benchmarks/README.md
    python benchmarks/bench_quality.py --cv-seed 1 --scores oof.npz  # other folds

``--cv-seed`` draws other folds (a check that the recipe, chosen on the
benchmark's folds, holds on others); ``--scores`` saves the out-of-fold
scores with ``y`` and ``w``.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.metrics import ams, background_rejection
from sknn_hep.recipes import make_higgs_classifier

# KaggleWeight summed over the full challenge data, per class
SIGNAL_TOTAL, BACKGROUND_TOTAL = 691.99, 410999.85
MISSING = -999.0
START, END = "<!-- bench_quality:start -->", "<!-- bench_quality:end -->"


# -- figures ------------------------------------------------------------------
def balanced_weights(y, w):
    """``w`` rescaled so that each class sums to half the number of events."""
    out = np.asarray(w, dtype=np.float64).copy()
    for label in (0, 1):
        mask = y == label
        out[mask] *= 0.5 * len(y) / out[mask].sum()
    return out


def figures(y, score, w) -> dict:
    """Weighted ROC AUC, AMS_max and 1/ε_B at ε_S = 0.3 of pooled scores."""
    return {
        "wauc": float(roc_auc_score(y, score, sample_weight=w)),
        "ams": ams(
            y,
            score,
            sample_weight=w,
            threshold="max",
            signal_total=SIGNAL_TOTAL,
            background_total=BACKGROUND_TOTAL,
        ),
        "rejection": background_rejection(
            y, score, signal_efficiency=0.3, sample_weight=w
        ),
    }


# -- the models ---------------------------------------------------------------
def _fit_sknn(X, y, w, seed, fast):
    # the recipe: sknn_hep.recipes.make_higgs_classifier
    if fast:
        model = make_higgs_classifier(n_members=2, random_state=seed, max_epochs=5)
    else:
        model = make_higgs_classifier(random_state=seed)
    return model.fit(X, y, sample_weight=w)


def _fit_xgboost(X, y, w, seed, fast):
    from xgboost import XGBClassifier

    model = XGBClassifier(
        n_estimators=50 if fast else 500,
        max_depth=6,
        learning_rate=0.05,
        missing=MISSING,
        tree_method="hist",
        n_jobs=torch.get_num_threads(),
        random_state=seed,
    )
    return model.fit(X, y, sample_weight=w)


class _NaNMissing:
    """Wrap a model that takes NaN, not -999.0, as the missing marker."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y, sample_weight=None):
        self.model.fit(X.replace(MISSING, np.nan), y, sample_weight=sample_weight)
        return self

    def predict_proba(self, X):
        return self.model.predict_proba(X.replace(MISSING, np.nan))


def _fit_lightgbm(X, y, w, seed, fast):
    from lightgbm import LGBMClassifier

    model = LGBMClassifier(
        n_estimators=50 if fast else 500,
        num_leaves=63,
        max_depth=6,
        learning_rate=0.05,
        n_jobs=torch.get_num_threads(),
        random_state=seed,
        verbose=-1,
    )
    return _NaNMissing(model).fit(X, y, sample_weight=w)


def _imputed(model):
    return make_pipeline(
        SimpleImputer(missing_values=MISSING, strategy="mean"), StandardScaler(), model
    )


def _fit_sklearn_mlp(X, y, w, seed, fast):
    mlp = MLPClassifier(
        early_stopping=True, max_iter=10 if fast else 200, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _imputed(mlp).fit(X, y, mlpclassifier__sample_weight=w)


class _SkorchMLP(torch.nn.Module):
    """Two hidden layers of 64 ReLU units, softmax output (skorch's default
    criterion is the negative log-likelihood of probabilities)."""

    def __init__(self, n_features=30, n_units=64):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, n_units),
            torch.nn.ReLU(),
            torch.nn.Linear(n_units, n_units),
            torch.nn.ReLU(),
            torch.nn.Linear(n_units, 2),
        )

    def forward(self, X):
        return torch.softmax(self.net(X), dim=-1)


class _Float32:
    """skorch wants float32 features; StandardScaler returns float64."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float32)


def _fit_skorch(X, y, w, seed, fast):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    net = NeuralNetClassifier(_SkorchMLP, module__n_features=X.shape[1], verbose=0)
    if fast:
        net.set_params(max_epochs=2)
    model = make_pipeline(
        SimpleImputer(missing_values=MISSING, strategy="mean"),
        StandardScaler(),
        _Float32(),
        net,
    )
    return model.fit(X, y)  # no sample weights: skorch's fit takes none


MODELS = {
    "sknn_hep": (None, _fit_sknn, "make_higgs_classifier(): 5 x 3 x 256 ELU"),
    "xgboost": ("xgboost", _fit_xgboost, "500 trees, depth 6, lr 0.05"),
    "lightgbm": ("lightgbm", _fit_lightgbm, "500 trees, 63 leaves, lr 0.05"),
    "sklearn_mlp": (None, _fit_sklearn_mlp, "MLPClassifier, mean imputation"),
    "skorch": ("skorch", _fit_skorch, "NeuralNetClassifier defaults, unweighted"),
}


# -- the benchmark ------------------------------------------------------------
def cross_validate(fit, X, y, w, *, seed=0, fast=False, n_splits=5, cv_seed=0):
    """Pooled out-of-fold scores of ``fit`` and its summed fit time.

    ``fit(X, y, balanced_weights, seed, fast)`` returns a fitted model with
    ``predict_proba``.
    """
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=cv_seed)
    oof = np.empty(len(y))
    fit_time = 0.0
    for train, test in cv.split(X, y):
        start = time.perf_counter()
        model = fit(
            X.iloc[train], y[train], balanced_weights(y[train], w[train]), seed, fast
        )
        fit_time += time.perf_counter() - start
        oof[test] = model.predict_proba(X.iloc[test])[:, 1]
    return oof, fit_time


def markdown(rows, header) -> str:
    lines = [
        header,
        "",
        "| model | settings | weighted AUC | AMS_max | 1/ε_B at ε_S = 0.3 "
        "| fit time (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, settings, f, t in rows:
        lines.append(
            f"| {name} | {settings} | {f['wauc']:.4f} | {f['ams']:.3f} | "
            f"{f['rejection']:.1f} | {t:.0f} |"
        )
    return "\n".join(lines)


def write_between_markers(path: Path, text: str) -> None:
    """Replace what lies between the START and END lines of ``path``."""
    content = path.read_text()
    if START not in content or END not in content:
        raise ValueError(
            f"--write needs the lines {START!r} and {END!r} in {str(path)!r}."
        )
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument(
        "--fast", action="store_true", help="4,000 events and short training"
    )
    parser.add_argument("--seed", type=int, default=0, help="models' random_state")
    parser.add_argument(
        "--cv-seed",
        type=int,
        default=0,
        help="random_state of the folds (the benchmark's are 0; others check it)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per model")
    parser.add_argument(
        "--write", type=Path, action="append", default=[], metavar="PATH"
    )
    parser.add_argument(
        "--scores",
        type=Path,
        default=None,
        metavar="PATH",
        help="save the out-of-fold scores of each model (.npz, with y and w)",
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    X, y, w, _ = load_higgs_challenge(
        n_samples=4000 if args.fast else None, return_X_y=True
    )
    print(f"Higgs-challenge sample: {len(y)} events, {int(y.sum())} signal")
    rows, scores = [], {}
    with threadpool_limits(limits=args.threads):
        for name in args.models:
            package, fit, settings = MODELS[name]
            if package is not None and importlib.util.find_spec(package) is None:
                print(f"{name}: skipped, the package {package!r} is not installed")
                continue
            oof, fit_time = cross_validate(
                fit, X, y, w, seed=args.seed, fast=args.fast, cv_seed=args.cv_seed
            )
            f = figures(y, oof, w)
            rows.append((name, settings, f, fit_time))
            scores[name] = oof
            print(
                f"{name}: weighted AUC {f['wauc']:.4f}, AMS_max {f['ams']:.3f}, "
                f"1/eps_B {f['rejection']:.1f}, fit {fit_time:.0f} s",
                flush=True,
            )
    header = (
        f"{len(y):,} events, StratifiedKFold(5, shuffle=True, "
        f"random_state={args.cv_seed}), "
        f"pooled out-of-fold scores; models' seed {args.seed}, {args.threads} "
        f"thread(s) per model; {date.today().isoformat()}, {platform.machine()}"
        + (" (--fast)" if args.fast else "")
    )
    table = markdown(rows, header)
    print()
    print(table)
    if args.scores is not None:
        np.savez(args.scores, y=y, w=w, **scores)
    for path in args.write:
        write_between_markers(path, table)
        print(f"wrote the table into {path}")
    return rows


if __name__ == "__main__":
    main()
