"""Defaults benchmark: the package's estimators out of the box against boosted trees.

How :class:`~sknn_hep.neural_network.NeuralClassifier` and
:class:`~sknn_hep.neural_network.NeuralRegressor` with their DEFAULT
parameters, on the raw columns and without any preprocessing pipeline, compare
with boosted trees and scikit-learn's MLP on real physics data sets, with the
same folds for every model.

Data sets (``benchmarks/data/``; origins and licences in the data README)

- ``atlas_higgs`` (classification): the bundled ATLAS Higgs-challenge sample,
  :func:`sknn_hep.datasets.load_higgs_challenge`: 22,889 events, the 30 raw
  feature columns, ``-999.0`` declared as the missing-value marker; trained
  unweighted (the weights are ignored; the AUC is unweighted).
- ``htru2`` (classification): HTRU2 pulsar candidates, 17,898 rows, 8
  features, 9.2 % pulsars.
- ``higgs_uci`` (classification): 20,000 events of the UCI HIGGS set (ROOT
  file, TTrees ``sig_tree`` -> 1 and ``bkg_tree`` -> 0), the 28 float32
  feature branches (the label branch ``Type`` is dropped). One background
  event appears twice.
- ``hzz_vs_zmumu`` (classification): ``uproot-HZZ.root`` (2,421 simulated
  H -> ZZ events, y = 1) against ``uproot-Zmumu.root`` (2,304 rows of real CMS
  Z -> mumu candidates, y = 0). Features: the first two muons' px, py, pz, E
  and charge (10 columns; HZZ's jagged ``Muon_*`` branches, muon slots an
  event lacks padded with 0.0 -- 1,008 HZZ events have fewer than two muons,
  while every Zmumu row has two). All columns are cast to float32 and back to
  float64: HZZ is stored in float32, Zmumu in float64, and a model must not
  tell them apart by rounding. Zmumu holds 500 events in 2,304 rows, each
  event once per muon-type pairing (near-duplicate rows sharing a muon): the
  data README says to split it by event, so this data set's folds are
  ``StratifiedGroupKFold(5, shuffle=True, random_state=0)`` with the event
  (``Run``, ``Event``) as the group -- with row-wise folds a model scores by
  recognising another pairing of a test event in its training rows (XGBoost
  0.974 row-wise against 0.93 by event).
- ``cms_dimuon`` (regression): CMS 2011 dimuon events, the five
  ``cms-dimuon-2011/*.csv.gz`` windows concatenated (50,661 events); X = E1,
  px1, py1, pz1, E2, px2, py2, pz2, y = log(M). (In the low-mass windows the
  file's M departs from the rounded four-vectors for a few thousand events, so
  R^2 = 1 is out of reach.)

Each data set prints its shape, class balance (or target range) and load time.

Models (all with ``--threads`` threads: ``torch.set_num_threads``, ``n_jobs``
for the trees, and :func:`threadpoolctl.threadpool_limits` around everything)

- ``sknn``: ``NeuralClassifier()`` / ``NeuralRegressor()``, default
  parameters plus ``--nn-params`` (JSON, for ablations) and ``random_state=0``;
  on ``atlas_higgs`` also ``missing_values=-999.0`` when the estimator has
  that parameter (otherwise the raw ``-999.0`` go in, with a note). Score:
  ``predict_proba[:, 1]`` / ``predict``.
- ``xgb_500``: ``XGBClassifier`` / ``XGBRegressor``, 500 trees, depth 6,
  learning rate 0.05 (as ``bench_quality.py``); ``xgb_default``: its defaults.
- ``lgbm_500``: ``LGBMClassifier`` / ``LGBMRegressor``, 500 trees, 63 leaves,
  depth 6, learning rate 0.05 (as ``bench_quality.py``); ``lgbm_default``: its
  defaults. For all four trees the ``-999.0`` marker becomes NaN.
- ``sklearn_mlp``: ``SimpleImputer`` (mean, of ``-999.0``, only where the data
  set declares it), ``StandardScaler``, ``MLPClassifier`` / ``MLPRegressor``
  with ``random_state=0`` and scikit-learn's defaults otherwise.

Models whose package is missing (xgboost, lightgbm: the ``bench`` extra) are
skipped with a message.

Folds: ``StratifiedKFold(5, shuffle=True, random_state=0)`` (classification;
``StratifiedGroupKFold`` by event for ``hzz_vs_zmumu``, see above) or
``KFold(5, shuffle=True, random_state=0)`` (regression), the same for
every model. Every event is predicted once, by the model of the fold that did
not train on it, and the metrics are computed on these pooled out-of-fold
scores. ``--folds K`` runs only the first K of the 5 folds (quick iteration):
the metrics are then pooled over the rows those folds predict, and the table
says so. ``--max-rows N`` first draws a seeded subsample of N rows of each data
set, stratified by class (by source file for ``cms_dimuon``), for smoke tests.

Metrics

- the pooled out-of-fold ROC AUC (unweighted) or R^2;
- the fit time summed over the folds (seconds; each model first makes one
  untimed warm-up fit on ~256 training rows, so that lazy imports and
  first-call initialisation are not charged to the first fold);
- for ``sknn``, the cost ratio (its fit time / ``xgb_500``'s) and the cost
  budget ``max(10 x xgb_500's fit time, 2 s per 1,000 training rows)``, the
  training rows summed over the folds run; "within" or "over";
- a paired bootstrap of ``metric(sknn) - metric(best tree)``, where the best
  tree is whichever of ``xgb_500``, ``xgb_default``, ``lgbm_500`` and
  ``lgbm_default`` has the highest metric on that data set: 1,000 resamples
  of the predicted events, drawn with ``np.random.default_rng(0)`` (one
  generator per data set), the same resampled events for both models. The
  table gives the mean of the 1,000 differences and its standard error (their
  standard deviation), and a verdict: ">=" if the mean difference is >= 0,
  "within 1 SE" if it lies in (-SE, 0), else "below". (Vectorised: AUC and
  R^2 are computed from per-event resample counts; 1,000 resamples of 23,000
  events take about a second.)
- a summary: the mean AUC over the classification sets (and mean R^2 over the
  regression sets) of every model, and of boosted trees taking, for each of
  XGBoost and LightGBM, its better configuration by that mean, and the better
  of the two libraries.

Results cache: each finished (model, data set) is saved to
``benchmarks/results/defaults/<label>/<data set>/<model>.npz`` (out-of-fold
scores, the indices of the predicted rows, per-fold fit times, rows, the
estimator's parameters as a JSON string, and the folds, ``--max-rows`` and
threads settings). ``<label>`` (``--label``, default "default") applies to
``sknn`` only; the other models live under the shared label "baselines", so
that they are computed once and reused. ``--reuse`` loads a file instead of
fitting when its folds, ``--max-rows``, threads and parameters match the run
(a run without ``--reuse`` overwrites the files of what it computes;
``--results DIR`` moves the cache, e.g. for smoke tests).

Ablations: ``--ablation`` runs only ``sknn``, once per entry of
:data:`ABLATIONS` (its parameters over ``--nn-params``; cached under the
entry's name as label), and prints a second table: one row per entry, for each
data set its metric and the paired-bootstrap difference to the "defaults"
entry with its SE, and the total fit time.

Output: markdown tables on stdout; ``--write PATH`` also puts the main table
between the lines ``<!-- bench_defaults:start -->`` and
``<!-- bench_defaults:end -->`` of PATH (the ablation table between
``<!-- bench_ablation:start -->`` and ``<!-- bench_ablation:end -->``),
appending a section with a heading and the markers when they are missing.

Usage::

    python benchmarks/bench_defaults.py                       # everything (long)
    python benchmarks/bench_defaults.py --reuse --write benchmarks/README.md
    python benchmarks/bench_defaults.py --datasets htru2 --models sknn xgb_500
    python benchmarks/bench_defaults.py --label wide --nn-params '{"n_units": 256}'
    python benchmarks/bench_defaults.py --ablation --reuse
    python benchmarks/bench_defaults.py --cv-seed 1   # other folds, cached apart
    python benchmarks/bench_defaults.py --folds 1 --max-rows 3000 \\
        --nn-params '{"max_epochs": 3}' --results /tmp/bench-defaults   # smoke test
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import (
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_hep.neural_network import PLAIN_NETWORK

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results" / "defaults"
BASELINES = "baselines"  # the cache label of every model but sknn
CLS, REG = "classification", "regression"
MISSING = -999.0
N_SPLITS, N_BOOT = 5, 1000
TREES = ("xgb_500", "xgb_default", "lgbm_500", "lgbm_default")
MARKERS = {
    "main": ("<!-- bench_defaults:start -->", "<!-- bench_defaults:end -->"),
    "ablation": ("<!-- bench_ablation:start -->", "<!-- bench_ablation:end -->"),
}
HEADINGS = {
    "main": "## Defaults against boosted trees: `bench_defaults.py`",
    "ablation": "### Ablations of the defaults: `bench_defaults.py --ablation`",
}

# The ablation entries: name -> NeuralClassifier/NeuralRegressor parameters
# (over --nn-params). "defaults" is the reference every other row is compared
# with; add entries such as "no_input_scaling": {"input_scaling": False}.
ABLATIONS: dict[str, dict] = {
    # the defaults (cached under the main run's --label), then each choice
    # taken back on its own, and all of them together
    "defaults": {},
    "standard_scaling": {"input_scaling": "standard"},
    "no_num_embedding": {"num_embedding": None},
    "no_ensemble": {"n_ensemble": 1},
    "adam_no_weight_decay": {"optimizer": "adam", "weight_decay": 0.0},
    "no_early_stopping": {"early_stopping": False},
    "previous_defaults": PLAIN_NETWORK,
}


# -- data sets ----------------------------------------------------------------
# Each loader returns (X, y, task, info): X a float64 DataFrame, y an ndarray,
# task CLS or REG, info a dict with "missing" (the missing-value marker or
# None) and optionally "strata" (what --max-rows stratifies on; default y).
def load_atlas_higgs():
    from sknn_hep.datasets import load_higgs_challenge

    bunch = load_higgs_challenge()
    X = bunch.data.astype(np.float64)
    return X, np.asarray(bunch.target, dtype=np.int64), CLS, {"missing": MISSING}


def load_htru2():
    frame = pd.read_csv(DATA / "htru2" / "HTRU_2.csv.gz")
    y = frame.pop("class").to_numpy(np.int64)
    return frame.astype(np.float64), y, CLS, {"missing": None}


def load_higgs_uci():
    import uproot

    parts, labels = [], []
    with uproot.open(DATA / "higgs-uci-20k" / "Higgs_data.root") as file:
        for tree, label in (("sig_tree", 1), ("bkg_tree", 0)):
            features = [b for b in file[tree].keys() if b != "Type"]  # the label
            parts.append(pd.DataFrame(file[tree].arrays(features, library="np")))
            labels.append(np.full(len(parts[-1]), label, dtype=np.int64))
    X = pd.concat(parts, ignore_index=True).astype(np.float64)
    return X, np.concatenate(labels), CLS, {"missing": None}


MUON_FEATURES = ("px", "py", "pz", "E", "charge")


def load_hzz_vs_zmumu():
    import awkward as ak
    import uproot

    base = DATA / "scikit-hep-testdata"
    with uproot.open(base / "uproot-HZZ.root") as file:
        muons = file["events"].arrays(
            ["Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Charge"]
        )
    hzz = {}
    for slot in (1, 2):
        for feature, branch in zip(MUON_FEATURES, muons.fields):
            padded = ak.fill_none(ak.pad_none(muons[branch], 2, clip=True), 0.0)
            hzz[f"{feature}{slot}"] = ak.to_numpy(padded[:, slot - 1])
    with uproot.open(base / "uproot-Zmumu.root") as file:
        branches = [
            f"{b}{slot}" for slot in (1, 2) for b in ("px", "py", "pz", "E", "Q")
        ]
        zmumu = file["events"].arrays(branches + ["Run", "Event"], library="np")
    event = pd.factorize(
        pd.Series(zmumu["Run"]).astype(str)
        + ":"
        + pd.Series(zmumu["Event"]).astype(str)
    )[0]
    n_hzz = len(muons)
    groups = np.r_[np.arange(n_hzz), n_hzz + event]
    zmumu = {
        f"{feature}{slot}": zmumu[f"{b}{slot}"]
        for slot in (1, 2)
        for feature, b in zip(MUON_FEATURES, ("px", "py", "pz", "E", "Q"))
    }
    columns = list(hzz)
    X = pd.concat(
        [pd.DataFrame(hzz)[columns], pd.DataFrame(zmumu)[columns]],
        ignore_index=True,
    )
    # one precision for both files: float32 values, as float64
    X = X.astype(np.float32).astype(np.float64)
    y = np.r_[np.ones(len(hzz["px1"])), np.zeros(len(zmumu["px1"]))].astype(np.int64)
    return X, y, CLS, {"missing": None, "groups": groups}


DIMUON_FEATURES = ["E1", "px1", "py1", "pz1", "E2", "px2", "py2", "pz2"]


def load_cms_dimuon():
    paths = sorted((DATA / "cms-dimuon-2011").glob("*.csv.gz"))
    frames = [pd.read_csv(path) for path in paths]
    frame = pd.concat(frames, ignore_index=True)
    source = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    X = frame[DIMUON_FEATURES].astype(np.float64)
    y = np.log(frame["M"].to_numpy(np.float64))
    return X, y, REG, {"missing": None, "strata": source}


DATASETS = {
    "atlas_higgs": load_atlas_higgs,
    "htru2": load_htru2,
    "higgs_uci": load_higgs_uci,
    "hzz_vs_zmumu": load_hzz_vs_zmumu,
    "cms_dimuon": load_cms_dimuon,
}


def load(name, max_rows=None):
    """The data set ``name``, subsampled to ``max_rows`` rows if given."""
    start = time.perf_counter()
    X, y, task, info = DATASETS[name]()
    seconds = time.perf_counter() - start
    n_total = len(y)
    if max_rows is not None and max_rows < len(y):
        strata = info.get("strata", y if task == CLS else None)
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=max_rows, stratify=strata, random_state=0
        )
        keep = np.sort(keep)
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
        if info.get("groups") is not None:
            info = {**info, "groups": info["groups"][keep]}
    if task == CLS:
        n_pos = int(y.sum())
        balance = f"{n_pos:,} positive ({100 * n_pos / len(y):.1f} %)"
    else:
        balance = f"y mean {y.mean():.3f}, std {y.std():.3f}, [{y.min():.3f}, "
        balance += f"{y.max():.3f}]"
    sub = f" (subsample of {n_total:,})" if len(y) < n_total else ""
    print(
        f"{name}: {X.shape[0]:,} rows{sub} x {X.shape[1]} features, {task}, "
        f"{balance}; loaded in {seconds:.1f} s",
        flush=True,
    )
    return X, y, task, info


# -- the models ---------------------------------------------------------------
# Each builder takes (task, missing, threads, nn_params) and returns an
# unfitted estimator; trees=True: the missing marker becomes NaN first.
def _sknn(task, missing, threads, nn_params):
    from sknn_hep.neural_network import NeuralClassifier, NeuralRegressor

    cls = NeuralClassifier if task == CLS else NeuralRegressor
    params = {**nn_params, "random_state": 0}
    if missing is not None:
        if "missing_values" in cls().get_params():
            params["missing_values"] = missing
        else:
            print(
                f"  note: {cls.__name__} has no missing_values parameter; "
                f"the raw {missing} markers go in"
            )
    return cls(**params)


def _xgb(task, threads, **params):
    from xgboost import XGBClassifier, XGBRegressor

    cls = XGBClassifier if task == CLS else XGBRegressor
    return cls(n_jobs=threads, random_state=0, **params)


def _xgb_500(task, missing, threads, nn_params):
    return _xgb(
        task,
        threads,
        n_estimators=500,
        max_depth=6,
        learning_rate=0.05,
        tree_method="hist",
    )


def _xgb_default(task, missing, threads, nn_params):
    return _xgb(task, threads)


def _lgbm(task, threads, **params):
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = LGBMClassifier if task == CLS else LGBMRegressor
    return cls(n_jobs=threads, random_state=0, verbose=-1, **params)


def _lgbm_500(task, missing, threads, nn_params):
    return _lgbm(
        task, threads, n_estimators=500, num_leaves=63, max_depth=6, learning_rate=0.05
    )


def _lgbm_default(task, missing, threads, nn_params):
    return _lgbm(task, threads)


def _sklearn_mlp(task, missing, threads, nn_params):
    mlp = (MLPClassifier if task == CLS else MLPRegressor)(random_state=0)
    steps = [] if missing is None else [SimpleImputer(missing_values=missing)]
    return make_pipeline(*steps, StandardScaler(), mlp)


# name -> (package or None, builder, trees, label in the table)
MODELS = {
    "sknn": (None, _sknn, False, "sknn"),
    "xgb_500": ("xgboost", _xgb_500, True, "xgb_500"),
    "xgb_default": ("xgboost", _xgb_default, True, "xgb_default"),
    "lgbm_500": ("lightgbm", _lgbm_500, True, "lgbm_500"),
    "lgbm_default": ("lightgbm", _lgbm_default, True, "lgbm_default"),
    "sklearn_mlp": (None, _sklearn_mlp, False, "sklearn MLP"),
}


def available(name) -> bool:
    package = MODELS[name][0]
    if package is not None and importlib.util.find_spec(package) is None:
        print(f"{name}: skipped, the package {package!r} is not installed")
        return False
    return True


# -- folds, fitting, the cache ------------------------------------------------
def folds(y, task, n_folds, groups=None, seed=0):
    """The first ``n_folds`` of the benchmark's 5 (train, test) splits.

    With ``groups`` (events of several rows), no group is split between
    training and test rows.
    """
    if groups is not None:
        cv = StratifiedGroupKFold(N_SPLITS, shuffle=True, random_state=seed)
        return list(cv.split(np.zeros((len(y), 1)), y, groups))[:n_folds]
    cv_class = StratifiedKFold if task == CLS else KFold
    cv = cv_class(N_SPLITS, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros((len(y), 1)), y))[:n_folds]


def params_json(estimator) -> str:
    return json.dumps(estimator.get_params(deep=False), sort_keys=True, default=repr)


def cross_val_scores(estimator, X, y, task, splits):
    """Out-of-fold scores of the predicted rows, their indices, fit times."""
    index = np.concatenate([test for _, test in splits])
    # an untimed warm-up fit on ~256 training rows: lazy imports and first-call
    # initialisation are not charged to the first fold
    train = splits[0][0]
    warm = train[:: max(1, len(train) // 256)]
    if task == REG or len(np.unique(y[warm])) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clone(estimator).fit(X.iloc[warm], y[warm])
    scores = np.empty(len(y))
    fit_times = []
    for train, test in splits:
        model = clone(estimator)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X.iloc[train], y[train])
        fit_times.append(time.perf_counter() - start)
        if task == CLS:
            scores[test] = model.predict_proba(X.iloc[test])[:, 1]
        else:
            scores[test] = model.predict(X.iloc[test])
    return {"oof": scores[index], "index": index, "fit_times": np.array(fit_times)}


def run_model(name, dataset, data, splits, args, *, label, nn_params):
    """Fit (or, with ``--reuse``, load) one model on one data set."""
    start = time.perf_counter()
    result = _fit_or_load(name, dataset, data, splits, args, label, nn_params)
    _, y, task, _ = data
    m = metric(y[result["index"]], result["oof"], task)
    who = f"{name} [{label}]" if name == "sknn" else name
    print(
        f"  {who}: {METRIC_NAME[task]} {m:.4f}, fit "
        f"{result['fit_times'].sum():.1f} s "
        f"({time.perf_counter() - start:.1f} s in all)",
        flush=True,
    )
    return result


def _fit_or_load(name, dataset, data, splits, args, label, nn_params):
    X, y, task, info = data
    _, builder, trees, _ = MODELS[name]
    root = args.results / (f"cv-seed-{args.cv_seed}" if args.cv_seed else "")
    cache = root / (label if name == "sknn" else BASELINES) / dataset
    path = cache / f"{name}.npz"
    estimator = builder(task, info["missing"], args.threads, nn_params)
    settings = {
        "folds": len(splits),
        "max_rows": -1 if args.max_rows is None else args.max_rows,
        "threads": args.threads,
        "rows": len(y),
        "params": params_json(estimator),
    }
    if args.reuse and path.exists():
        with np.load(path) as saved:
            stale = [
                key
                for key, value in settings.items()
                if key not in saved.files or saved[key].item() != value
            ]
            if not stale:
                print(f"  {name}: reusing {path}", flush=True)
                return {k: saved[k] for k in ("oof", "index", "fit_times")}
        print(f"  {name}: {path} differs in {', '.join(stale)}; fitting")
    if trees and info["missing"] is not None:
        X = X.replace(info["missing"], np.nan)
    result = cross_val_scores(estimator, X, y, task, splits)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **result, **settings, date=date.today().isoformat())
    return result


# -- metrics and the paired bootstrap -----------------------------------------
def metric(y, score, task) -> float:
    return float(roc_auc_score(y, score) if task == CLS else r2_score(y, score))


class _CountedAUC:
    """ROC AUC of one score vector under integer per-event counts."""

    def __init__(self, y, score):
        order = np.argsort(score, kind="mergesort")
        sorted_score = score[order]
        self.order = order
        self.positive = (y[order] == 1).astype(np.float64)
        # start of each run of tied scores in sorted order
        self.starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])

    def __call__(self, counts):
        c = counts[:, self.order]
        pos = np.add.reduceat(c * self.positive, self.starts, axis=1)
        neg = np.add.reduceat(c * (1.0 - self.positive), self.starts, axis=1)
        below = np.cumsum(neg, axis=1) - neg  # negatives scored lower
        wins = (pos * (below + 0.5 * neg)).sum(axis=1)
        return wins / (pos.sum(axis=1) * neg.sum(axis=1))


class _CountedR2:
    """R^2 of one prediction vector under integer per-event counts."""

    def __init__(self, y, prediction):
        self.y, self.y2, self.residual2 = y, y * y, (y - prediction) ** 2

    def __call__(self, counts):
        n = counts.sum(axis=1)
        total = counts @ self.y2 - (counts @ self.y) ** 2 / n
        return 1.0 - (counts @ self.residual2) / total


def bootstrap(y, scores, task, n_boot=N_BOOT, seed=0, chunk=100):
    """The metric of each score vector on the same ``n_boot`` resamples.

    A resample of the n events (with replacement) is a vector of per-event
    counts; every score vector is evaluated under the same counts. Returns an
    array of shape (len(scores), n_boot).
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    counted = [(_CountedAUC if task == CLS else _CountedR2)(y, s) for s in scores]
    out = np.empty((len(scores), n_boot))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        draws = rng.integers(0, n, size=(b, n)) + n * np.arange(b)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n)
        counts = counts.astype(np.float64)
        for j, f in enumerate(counted):
            out[j, start : start + b] = f(counts)
    return out


def paired_difference(y, score_a, score_b, task):
    """Mean and SE of metric(a) - metric(b) over the paired bootstrap."""
    boot = bootstrap(y, [score_a, score_b], task)
    diff = boot[0] - boot[1]
    return float(diff.mean()), float(diff.std(ddof=1))


def verdict(diff, se) -> str:
    if diff >= 0:
        return "≥"
    return "within 1 SE" if diff > -se else "below"


# -- tables -------------------------------------------------------------------
METRIC_NAME = {CLS: "ROC AUC", REG: "R²"}


def _num(x, digits=4):
    return "—" if x is None else f"{x:.{digits}f}".replace("-", "−")


def _signed(x, digits=4):
    return f"{x:+.{digits}f}".replace("-", "−")


def summarise(dataset, data, results, splits):
    """One row of the main table: metrics, bootstrap, cost."""
    _, y, task, _ = data
    index = splits_index(splits)
    y_pred = y[index]
    for name, r in results.items():
        if not np.array_equal(r["index"], index):
            raise RuntimeError(f"{dataset}/{name}: the predicted rows differ")
    row = {"dataset": dataset, "task": task, "rows": len(y), "predicted": len(index)}
    row["metric"] = {
        name: metric(y_pred, r["oof"], task) for name, r in results.items()
    }
    row["fit"] = {name: float(r["fit_times"].sum()) for name, r in results.items()}
    trees = [t for t in TREES if t in results]
    row["best_tree"] = max(trees, key=row["metric"].get) if trees else None
    if "sknn" in results and row["best_tree"] is not None:
        row["diff"] = paired_difference(
            y_pred, results["sknn"]["oof"], results[row["best_tree"]]["oof"], task
        )
    if "sknn" in results:
        train_rows = sum(len(train) for train, _ in splits)
        xgb = row["fit"].get("xgb_500")
        budget = 2.0 * train_rows / 1000
        if xgb is not None:
            budget = max(10 * xgb, budget)
            row["ratio"] = row["fit"]["sknn"] / xgb
        row["budget"] = budget
    return row


def splits_index(splits):
    return np.concatenate([test for _, test in splits])


def _mean_line(rows, task, models):
    rows = [r for r in rows if r["task"] == task]
    if not rows:
        return None

    def mean(name):
        values = [r["metric"][name] for r in rows if name in r["metric"]]
        if not values:
            return None, 0
        return float(np.mean(values)), len(values)

    parts = []
    for name in models:
        m, k = mean(name)
        if m is not None:
            extra = "" if k == len(rows) else f" ({k} sets)"
            parts.append(f"{MODELS[name][3]} {_num(m)}{extra}")
    best = {}
    for library, configs in (("XGBoost", TREES[:2]), ("LightGBM", TREES[2:])):
        means = {c: mean(c)[0] for c in configs if mean(c)[0] is not None}
        if means:
            config = max(means, key=means.get)
            best[library] = (config, means[config])
    line = (
        f"Mean {METRIC_NAME[task]} over the {len(rows)} {task} set(s): "
        + ", ".join(parts)
        + "."
    )
    if best:
        described = ", ".join(f"{lib} ({c}) {_num(m)}" for lib, (c, m) in best.items())
        top = max(best.values(), key=lambda cm: cm[1])
        line += (
            f" Boosted trees, each library's better configuration by mean: "
            f"{described}; the better of them {_num(top[1])}."
        )
    return line


def main_table(rows, header, models) -> str:
    columns = ["sknn", *TREES, "sklearn_mlp"]
    columns = [c for c in columns if c in models]
    head = (
        ["data set", "metric", "rows"]
        + [MODELS[c][3] for c in columns]
        + [
            "Δ sknn − best tree ± SE",
            "verdict",
            "sknn fit s",
            "xgb_500 fit s",
            "ratio",
            "budget s",
        ]
    )
    lines = [
        header,
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|",
    ]
    for r in rows:
        rows_cell = f"{r['rows']:,}"
        if r["predicted"] < r["rows"]:
            rows_cell += f" ({r['predicted']:,} predicted)"
        cells = [r["dataset"], METRIC_NAME[r["task"]], rows_cell]
        cells += [_num(r["metric"].get(c)) for c in columns]
        if "diff" in r:
            d, se = r["diff"]
            cells += [f"{_signed(d)} ± {se:.4f} ({r['best_tree']})", verdict(d, se)]
        else:
            cells += ["—", "—"]
        fit = r["fit"]
        cells += [
            _num(fit.get("sknn"), 1),
            _num(fit.get("xgb_500"), 1),
            _num(r.get("ratio"), 1),
        ]
        if "budget" in r:
            within = "within" if fit["sknn"] <= r["budget"] else "over"
            cells.append(f"{within} ({r['budget']:.0f})")
        else:
            cells.append("—")
        lines.append("| " + " | ".join(cells) + " |")
    for task in (CLS, REG):
        line = _mean_line(rows, task, columns)
        if line:
            lines += ["", line]
    return "\n".join(lines)


def ablation_table(entries, per_dataset, header) -> str:
    """Rows: entries; per data set its metric and Δ to the reference entry."""
    reference = "defaults" if "defaults" in entries else next(iter(entries))
    datasets = list(per_dataset)
    lines = [
        header,
        "",
        "| entry | parameters | "
        + " | ".join(f"{d} ({METRIC_NAME[per_dataset[d]['task']]})" for d in datasets)
        + " | fit s (total) |",
        "|---|---|" + "---:|" * (len(datasets) + 1),
    ]
    for entry, params in entries.items():
        cells = [entry, f"`{json.dumps(params)}`" if params else "—"]
        total = 0.0
        for d in datasets:
            info = per_dataset[d]
            m = info["metric"][entry]
            if entry == reference:
                cells.append(f"{_num(m)} (reference)")
            else:
                diff, se = info["diff"][entry]
                cells.append(f"{_num(m)} (Δ {_signed(diff)} ± {se:.4f})")
            total += info["fit"][entry]
        cells.append(f"{total:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_between_markers(path: Path, text: str, which: str) -> None:
    """Replace what lies between the ``which`` markers of ``path``.

    Appends a section (heading and markers) when the markers are missing.
    """
    start, end = MARKERS[which]
    content = path.read_text() if path.exists() else ""
    if start in content and end in content:
        head, rest = content.split(start, 1)
        _, tail = rest.split(end, 1)
        path.write_text(f"{head}{start}\n{text}\n{end}{tail}")
    else:
        sep = "\n" if content.endswith("\n") else "\n\n" if content else ""
        path.write_text(f"{content}{sep}{HEADINGS[which]}\n\n{start}\n{text}\n{end}\n")


# -- the runs -----------------------------------------------------------------
def header(args, extra="") -> str:
    parts = [
        f"StratifiedKFold / KFold(5, shuffle=True, random_state={args.cv_seed}), "
        "pooled out-of-fold scores",
        f"{args.threads} thread(s) per model",
        f"{date.today().isoformat()}, {platform.machine()}",
    ]
    if args.folds < N_SPLITS:
        parts.insert(
            1,
            f"only the first {args.folds} of the 5 folds: metrics pooled over "
            f"the predicted rows",
        )
    if args.max_rows is not None:
        parts.append(f"--max-rows {args.max_rows} (smoke test)")
    if extra:
        parts.insert(1, extra)
    return "; ".join(parts) + "."


def run_main(args, nn_params):
    models = [m for m in args.models if available(m)]
    rows = []
    for dataset in args.datasets:
        data = load(dataset, args.max_rows)
        splits = folds(
            data[1], data[2], args.folds, data[3].get("groups"), args.cv_seed
        )
        results = {}
        for name in models:
            label = args.label if name == "sknn" else BASELINES
            results[name] = run_model(
                name, dataset, data, splits, args, label=label, nn_params=nn_params
            )
        rows.append(summarise(dataset, data, results, splits))
    nn = f"sknn: label {args.label!r}" + (
        f", --nn-params {json.dumps(nn_params)}" if nn_params else ", defaults"
    )
    return main_table(rows, header(args, nn), models)


def run_ablation(args, nn_params):
    entries = {
        name: {**nn_params, **params}
        for name, params in ABLATIONS.items()
        if args.entries is None or name in args.entries or name == "defaults"
    }
    reference = "defaults" if "defaults" in entries else next(iter(entries))
    per_dataset = {}
    for dataset in args.datasets:
        data = load(dataset, args.max_rows)
        _, y, task, info = data
        splits = folds(y, task, args.folds, info.get("groups"), args.cv_seed)
        y_pred = y[splits_index(splits)]
        results = {}
        for entry, params in entries.items():
            label = args.label if entry == reference else entry
            results[entry] = run_model(
                "sknn", dataset, data, splits, args, label=label, nn_params=params
            )
        names = list(results)
        boot = bootstrap(y_pred, [results[e]["oof"] for e in names], task)
        ref = boot[names.index(reference)]
        per_dataset[dataset] = {
            "task": task,
            "metric": {e: metric(y_pred, results[e]["oof"], task) for e in names},
            "fit": {e: float(results[e]["fit_times"].sum()) for e in names},
            "diff": {
                e: (float(d.mean()), float(d.std(ddof=1)))
                for e, d in ((e, boot[i] - ref) for i, e in enumerate(names))
            },
        }
    extra = "sknn ablations, Δ vs " + repr(reference) + " (paired bootstrap)"
    if nn_params:
        extra += f", over --nn-params {json.dumps(nn_params)}"
    return ablation_table(entries, per_dataset, header(args, extra))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument(
        "--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS)
    )
    parser.add_argument(
        "--cv-seed",
        type=int,
        default=0,
        help="random_state of the folds (0: the benchmark's; others check that "
        "choices made on those folds hold on new ones; cached apart)",
    )
    parser.add_argument(
        "--entries",
        nargs="+",
        choices=list(ABLATIONS),
        default=None,
        help="with --ablation: only these entries (and 'defaults')",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=N_SPLITS,
        choices=range(1, N_SPLITS + 1),
        metavar="K",
        help="run only the first K of the 5 folds (default 5)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        metavar="N",
        help="a seeded stratified subsample of N rows per data set (smoke tests)",
    )
    parser.add_argument(
        "--nn-params",
        type=json.loads,
        default={},
        metavar="JSON",
        help="parameters for NeuralClassifier/NeuralRegressor over the defaults",
    )
    parser.add_argument(
        "--label",
        default="default",
        help="the cache label of the sknn results (default 'default')",
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="run sknn once per ABLATIONS entry and print the ablation table",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="load cached results whose settings match instead of fitting",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        metavar="DIR",
        help=f"the results cache (default {RESULTS.relative_to(HERE.parent)})",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads per model")
    parser.add_argument(
        "--write", type=Path, action="append", default=[], metavar="PATH"
    )
    args = parser.parse_args(argv)
    if not isinstance(args.nn_params, dict):
        parser.error("--nn-params must be a JSON object")

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        if args.ablation:
            table, which = run_ablation(args, args.nn_params), "ablation"
        else:
            table, which = run_main(args, args.nn_params), "main"
    print()
    print(table)
    for path in args.write:
        write_between_markers(path, table, which)
        print(f"wrote the table into {path}")
    return table


if __name__ == "__main__":
    main()
