"""The ``sknn-hep`` command: fit, evaluate and report from a config file.

``sknn-hep apply`` scores data files with a saved model (the work is
:func:`sknn_hep.apply.apply_model`'s).

``sknn-hep fit`` without a config trains the default pipeline on the
bundled Higgs-challenge sample; ``python -m sknn_hep`` runs the same
command. See ``docs/cli.md``.

A job never loses a finished training: the output folder, every config
value and the data's columns are checked before the training starts, the
model is written first
(atomically: a temporary file renamed over the old one), then the column
roles, the metrics and the plots. One Ctrl-C stops a job of several
trainings (cross-training, a seed ensemble, a search) as a whole, with
nothing saved; in a job of one network it stops the training (the network
keeps its best weights so far with early stopping, else the last step's),
and that model is saved.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import signal
import sys
import threading
from pathlib import Path

import numpy as np

from ._config import (
    _ROOT_KEYS,
    ConfigError,
    data_format,
    merge_config,
    read_config_file,
    root_options,
)
from .utils import output_folder_problem

_ROLES = "roles.json"
_METRICS = "metrics.json"
_BEST = "best_params.json"
_MODEL_FILES = {"joblib": "model.joblib", "safetensors": "model.safetensors"}
_FIT_FIGURES = ("roc.png", "overtraining.png", "scores.png", "history.png")


# -- data ---------------------------------------------------------------------
def _read_table(config: dict):
    """The whole table named by ``[data]`` (or ``[[samples]]``), as a DataFrame."""
    import pandas as pd

    from .datasets import load_higgs_challenge, read_hdf5
    from .datasets._readers import PickledDataError

    data = config["data"]
    if config["samples"]:
        return _read_root_table(config)
    higgs = data["file"] == "higgs"
    if higgs:
        fmt, shown = "the bundled Higgs sample", "'higgs'"
    else:
        fmt, shown = data_format(config), _data_source(config)
    root_keys = [k for k in _ROOT_KEYS if k != "luminosity"]
    for key, owner in (("key", "hdf5"), *((k, "root") for k in ("tree", *root_keys))):
        if data[key] is not None and fmt != owner:
            raise ConfigError(
                f"The {key!r} key of [data] is for {owner} files; {shown} is "
                f"read as {fmt}."
            )
    if higgs:
        return load_higgs_challenge().frame
    if fmt == "root":
        return _read_root_table(config)
    path = Path(data["file"])
    if not path.is_file():
        raise ConfigError(f"The data file {shown} does not exist.")
    try:
        if fmt == "csv":
            return pd.read_csv(path)
        return read_hdf5(path, data["key"], allow_pickle=data["allow_pickle"])
    except PickledDataError as exc:
        raise ConfigError(
            f"Cannot read {str(path)!r}: {exc} (set allow_pickle = true in [data] "
            "for a file you trust)."
        ) from None
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(f"Cannot read {str(path)!r} as {fmt}: {exc}") from None


def _data_source(config: dict) -> str:
    """The data of ``[data]`` (or ``[[samples]]``) as named in messages."""
    if config["samples"]:
        return "the [[samples]]"
    files = config["data"]["files"]
    if files is not None:
        return repr(files[0]) if len(files) == 1 else f"the files {files!r}"
    return repr(str(config["data"]["file"]))


def _read_root_table(config: dict):
    """The ROOT table of ``[data]`` or ``[[samples]]``, only the columns used.

    Every jagged branch read needs its ``max_length`` (so that the files of
    a later ``evaluate`` give the same columns); the count columns
    ``<branch>_count`` are kept where ``features`` names them.
    """
    from .datasets import read_root
    from .datasets._samples import read_samples

    data = config["data"]
    options = root_options(config)
    try:
        if config["samples"]:
            frame = read_samples(config["samples"], **options)
        else:
            files = data["files"] if data["files"] is not None else data["file"]
            frame = read_root(files, **options)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(
            f"Cannot read {_data_source(config)} as root: {exc}"
        ) from None
    columns = list(frame.columns)
    jagged = [
        c[: -len("_count")]
        for i, c in enumerate(columns)
        if c.endswith("_count") and columns[i + 1 : i + 2] == [f"{c[:-6]}_0"]
    ]
    length = data["max_length"]
    unset = [
        b for b in jagged if not isinstance(length, int) and b not in (length or {})
    ]
    if unset:
        raise ConfigError(
            f"The branches {unset} are jagged (a list per event): set "
            "'max_length' in [data] (e.g. max_length = 4, or a table per branch) "
            "so that every file gives them the same columns."
        )
    named = set(data["features"] or [])
    drop = [f"{b}_count" for b in jagged if f"{b}_count" not in named]
    return frame.drop(columns=drop)


def load_data(config: dict, n_events=None, need_target=True) -> dict:
    """Features, labels, weights and event numbers from ``[data]``.

    Parameters
    ----------
    config : dict
        A merged configuration (:func:`sknn_hep._config.merge_config`).
    n_events : int or None, default=None
        Keep only ``n_events`` rows, drawn at random (seeded) and kept in file
        order.
    need_target : bool, default=True
        Raise when the target column is not set (``report`` works without).

    Returns
    -------
    data : dict
        ``X`` (DataFrame of the features), ``y`` (0/1 ndarray or None),
        ``w`` (ndarray or None), ``groups`` (event numbers or None) and
        ``higgs`` (whether it is the bundled Higgs sample).

    Examples
    --------
    >>> from sknn_hep._config import merge_config
    >>> d = load_data(merge_config(None), n_events=100)
    >>> d["X"].shape, d["higgs"], bool(np.all(np.diff(d["groups"]) > 0))
    ((100, 30), True, True)
    """
    import pandas as pd

    roles = config["data"]
    samples = bool(config["samples"])
    if roles["target"] is None and need_target and not samples:
        raise ConfigError("Set 'target' in [data] to the column of the class labels.")
    frame = _read_table(config)
    if n_events is not None and n_events < len(frame):
        # a seeded random subset in file order: files often hold one class after
        # the other
        rows = np.random.default_rng(0).choice(len(frame), n_events, replace=False)
        frame = frame.iloc[np.sort(rows)]
    target, weight, event = roles["target"], roles["weight"], roles["event_number"]
    if samples:  # the columns read_samples adds
        target, weight = "label", "weight" if "weight" in frame.columns else None
    named = [c for c in (target, weight, event) if c is not None]
    features = roles["features"]
    if features is None:
        features = [c for c in frame.columns if c not in named]
    else:  # a jagged branch's name stands for all its columns
        features = [
            column
            for name in features
            for column in (
                [name]
                if name in frame.columns
                else [
                    c
                    for c in frame.columns
                    if re.fullmatch(rf"{re.escape(name)}_\d+", c)
                ]
                or [name]
            )
        ]
    missing = [c for c in [*named, *features] if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"Column(s) {', '.join(map(repr, missing))} named in [data] are not in "
            f"{_data_source(config)}; its columns: "
            f"{', '.join(map(str, frame.columns))}."
        )
    y = None
    if target is not None:
        labels = frame[target].to_numpy()
        if roles["signal"] is not None:
            y = (labels == roles["signal"]).astype(np.int64)
            if not y.any():
                values = sorted(pd.unique(labels).tolist(), key=str)
                shown = ", ".join(map(repr, values[:10]))
                raise ConfigError(
                    f"The 'signal' key of [data] is {roles['signal']!r}, which is "
                    f"not a value of the target column {target!r}; its values: "
                    f"{shown}{', ...' if len(values) > 10 else ''}."
                )
        else:
            values = set(np.unique(labels).tolist())
            if not values <= {0, 1}:
                raise ConfigError(
                    f"The target column {target!r} must hold 0 and 1, or set "
                    f"'signal' in [data] to the signal label. Got values "
                    f"{sorted(map(str, values))[:5]}."
                )
            y = labels.astype(np.int64)
    return {
        "X": frame[features],
        "y": y,
        "w": None if weight is None else frame[weight].to_numpy(np.float64),
        "groups": None if event is None else frame[event].to_numpy(),
        "higgs": roles["file"] == "higgs" and not samples,
    }


# -- model --------------------------------------------------------------------
def build_model(config: dict, features, max_epochs=None):
    """The preprocessing + NeuralClassifier pipeline (cross-trained if asked).

    ``[preprocessing] physics_features = "higgs"`` puts
    :func:`~sknn_hep.preprocessing.make_higgs_features` (pair masses, the
    event aligned to the tau) first; then
    :func:`~sknn_hep.preprocessing.make_hep_preprocessor` with the config's
    log-shift columns, missing value and categorical columns (passed through
    to the network's embeddings); ``[cross_training] n_members > 1`` averages
    that many seeds per fold (:class:`~sknn_hep.ensemble.SeedEnsemble`).

    Examples
    --------
    >>> from sknn_hep._config import merge_config
    >>> from sknn_hep.datasets import HIGGS_FEATURES
    >>> model = build_model(merge_config(None), HIGGS_FEATURES)
    >>> type(model).__name__, model.n_splits
    ('CrossTrainingClassifier', 5)
    >>> [name for name, _ in model.estimator.steps]
    ['pipeline', 'columntransformer', 'neuralclassifier']
    """
    from sklearn.pipeline import make_pipeline

    from ._higgs import HIGGS_FEATURE_INPUTS, HIGGS_MASS_COLUMNS, HIGGS_REFERENCE_PHI
    from .ensemble import CrossTrainingClassifier, SeedEnsemble
    from .neural_network import NeuralClassifier
    from .preprocessing import make_hep_preprocessor, make_higgs_features

    roles, prep = config["data"], config["preprocessing"]
    missing = np.nan if roles["missing_value"] is None else roles["missing_value"]
    categorical = list(roles["categorical"] or [])
    higgs_features = prep["physics_features"] == "higgs"
    known = list(features)
    if higgs_features:
        absent = [c for c in HIGGS_FEATURE_INPUTS if c not in known]
        if absent:
            raise ConfigError(
                "physics_features = 'higgs' needs the Higgs-challenge columns; "
                f"missing among the features: {', '.join(map(repr, absent))}."
            )
        # the aligner drops the reference azimuth, the features add the masses
        known = [c for c in known if c != HIGGS_REFERENCE_PHI]
        known += list(HIGGS_MASS_COLUMNS)
    unknown = [c for c in [*categorical, *prep["log_shift"]] if c not in known]
    if unknown:
        raise ConfigError(
            f"Column(s) {', '.join(map(repr, unknown))} of 'categorical' or "
            "'log_shift' are not among the features."
        )
    steps = [make_higgs_features()] if higgs_features else []
    steps.append(
        make_hep_preprocessor(
            missing_values=missing if prep["missing_encoding"] else None,
            log_columns=list(prep["log_shift"]) or None,
            log_shift=prep["shift"],
            categorical_columns=categorical or None,
            categorical="passthrough",
        )
    )
    params = dict(config["model"])
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    steps.append(NeuralClassifier(categorical_features=categorical or None, **params))
    model = make_pipeline(*steps).set_output(transform="pandas")
    n_members = config["cross_training"]["n_members"]
    if n_members > 1:
        model = SeedEnsemble(model, n_estimators=n_members, random_state=0)
    n_splits = config["cross_training"]["n_splits"]
    if n_splits:
        return CrossTrainingClassifier(model, n_splits=n_splits, random_state=0)
    return model


def figures(y, score, w, higgs: bool) -> dict:
    """ROC AUC (plain and weighted), AMS_max and 1/ε_B at ε_S = 0.3.

    For the bundled Higgs sample the weights of each class are rescaled to the
    full Kaggle totals for the AMS, as in the challenge.

    Examples
    --------
    >>> f = figures(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]),
    ...             None, higgs=False)
    >>> f["auc"], f["weighted_auc"]
    (0.75, 0.75)
    """
    from ._higgs import HIGGS_BACKGROUND_TOTAL, HIGGS_SIGNAL_TOTAL
    from .metrics import physics_figures

    totals = (HIGGS_SIGNAL_TOTAL, HIGGS_BACKGROUND_TOTAL) if higgs else (None, None)
    return physics_figures(
        y, score, sample_weight=w, signal_total=totals[0], background_total=totals[1]
    )


def _print_figures(f: dict, w, higgs: bool) -> None:
    if higgs:
        note = "weights rescaled to the Kaggle totals, b_reg = 10"
    elif w is None:
        note = "unit weights, b_reg = 10"
    else:
        note = "raw weights, not rescaled, b_reg = 10"
    print(f"{'ROC AUC':<28}{f['auc']:.4f}")
    print(f"{'weighted ROC AUC':<28}{f['weighted_auc']:.4f}")
    print(f"{'AMS_max':<28}{f['ams']:.3f}  ({note})")
    print(f"{'1/eps_B at eps_S = 0.3':<28}{f['rejection']:.1f}")


def _looks(args) -> dict:
    """The plot functions' style, label, com and lumi from the command line."""
    looks = {
        "style": None if args.style == "none" else args.style,
        "com": args.com,
        "lumi": args.lumi,
    }
    if args.label is not None:
        looks["label"] = args.label
    return looks


def _save(fig, path: Path) -> None:
    """Write a figure (in the style it was made in) and close it."""
    import matplotlib.pyplot as plt

    from .plotting import save_figure

    save_figure(fig, path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def _history_figure(members, looks=None):
    """The training history: the full grid of one network, else one axes each.

    Several networks (cross-training clones, seed-ensemble members): their
    losses and learning rates side by side, one legend above them all.
    """
    import matplotlib.pyplot as plt

    from .plotting import plot_history

    if len(members) == 1:
        return plot_history(members[0], **(looks or {}))
    n_cols = min(len(members), 3)
    n_rows = -(-len(members) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(4.5 * n_cols, 3.2 * n_rows + 0.5),
        layout="constrained", squeeze=False,
    )  # fmt: skip
    for i, (ax, member) in enumerate(zip(axes.flat, members)):
        plot_history(member, ax=ax)
        legend = ax.get_legend()
        if i == 0:  # each clone has its own best epoch: the legend names none
            texts = [t.get_text() for t in legend.get_texts()]
            texts = [t.split(" (")[0] if t.startswith("best") else t for t in texts]
            fig.legend(
                legend.legend_handles, texts, loc="outside upper center",
                ncols=4, frameon=False,
            )  # fmt: skip
        legend.remove()
        ax.set_title(f"clone {i}", fontsize="medium")
    for ax in axes.flat[len(members) :]:
        ax.remove()
    return fig


# -- output -------------------------------------------------------------------
def _output_dir(path: str, names) -> Path:
    """The output folder, checked before any work: creatable and writable.

    ``names`` are the files the command writes there; none may be a folder.
    The folder itself is made later, just before the training.
    """
    out = Path(path)
    problem = output_folder_problem(out)
    if problem is not None:
        verb, reason = problem
        raise ConfigError(
            f"The output folder --output {path!r} cannot be {verb}: {reason}."
        )
    for name in names:
        if (out / name).is_dir():
            raise ConfigError(
                f"{str(out / name)!r} is a folder, so the {name} of this run cannot "
                "be written there; choose another --output."
            )
    return out


def _write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically (a synced temporary file, then a rename)."""
    from .utils import atomic_write

    atomic_write(path, data)


def _write_json(path: Path, value) -> None:
    _write_bytes(path, (json.dumps(value, indent=2) + "\n").encode("utf-8"))


def _write_model(model, out: Path, model_format: str) -> Path:
    """Write the model first, atomically: an old model file is never truncated."""
    path = out / _MODEL_FILES[model_format]
    if model_format == "safetensors":
        from .io import save

        save(model, path)  # atomic itself
    else:
        import joblib

        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        _write_bytes(path, buffer.getvalue())
    return path


# -- Ctrl-C ---------------------------------------------------------------------
class JobInterrupted(BaseException):
    """Ctrl-C during a job of several trainings: stops the job as a whole.

    A ``BaseException`` and not a ``KeyboardInterrupt``: the networks catch
    ``KeyboardInterrupt`` (to stop the training and keep the best weights)
    and scikit-learn's searches catch ``Exception`` (a failed candidate),
    so either would let the next clone or candidate start.
    """


@contextlib.contextmanager
def _ctrl_c(whole_job: bool):
    """Handle Ctrl-C (SIGINT) during a training; yields ``{"interrupted": bool}``.

    With ``whole_job`` the first Ctrl-C raises :class:`JobInterrupted`, which
    nothing in the training catches. Without (a job of one network) it raises
    ``KeyboardInterrupt``: the network stops (keeping its best weights so far
    with early stopping) and ``fit`` returns; ``interrupted`` tells the
    caller. A second Ctrl-C is Python's usual ``KeyboardInterrupt``.
    Nothing is changed outside the main thread or where SIGINT is ignored
    (a background job).
    """
    state = {"interrupted": False}
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        yield state
        return

    def handler(signum, frame):
        state["interrupted"] = True
        signal.signal(signal.SIGINT, previous)
        if whole_job:
            raise JobInterrupted
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


# -- commands -----------------------------------------------------------------
def _fit(args) -> int:
    from sklearn.model_selection import train_test_split

    from .ensemble._base import fit_param_name
    from .plotting import plot_overtraining, plot_roc, plot_score_distribution

    config = merge_config(read_config_file(args.config) if args.config else None)
    model_file = _MODEL_FILES[args.model_format]
    out = _output_dir(args.output, [model_file, _ROLES, _METRICS, *_FIT_FIGURES])
    fast = config["fast"]
    data = load_data(config, n_events=fast["n_events"] if args.fast else None)
    X, y, w, groups = data["X"], data["y"], data["w"], data["groups"]
    model = build_model(
        config, list(X.columns), fast["max_epochs"] if args.fast else None
    )
    print(f"{len(y)} events, {int(y.sum())} signal, {X.shape[1]} features")
    out.mkdir(parents=True, exist_ok=True)
    cross = bool(config["cross_training"]["n_splits"])
    whole_job = cross or config["cross_training"]["n_members"] > 1
    if cross:
        k = model.n_splits
        by = (
            "random folds"
            if groups is None
            else f"{config['data']['event_number']} % {k}"
        )
        print(f"cross-training {k} clones ({by})")
        with _ctrl_c(whole_job) as ctrl:
            model.fit(X, y, sample_weight=w, groups=groups)
    else:
        weight_param = fit_param_name(model, "sample_weight")
        index = np.arange(len(y))
        train_rows, test_rows = train_test_split(
            index, test_size=0.25, stratify=y, random_state=0
        )
        params = {} if w is None else {weight_param: w[train_rows]}
        with _ctrl_c(whole_job) as ctrl:
            model.fit(X.iloc[train_rows], y[train_rows], **params)

    # the model first: whatever fails later (metrics, plots) loses no training
    saved = _write_model(model, out, args.model_format)
    _write_json(out / _ROLES, {"data": config["data"]})
    print(f"wrote {saved} and {out / _ROLES}")
    if ctrl["interrupted"]:
        print(
            "sknn-hep fit: training interrupted (Ctrl-C); the stopped network "
            f"(see the warning above for its weights) is saved in {saved}",
            file=sys.stderr,
        )

    if cross:
        y_test, score_test, w_test = y, model.oof_proba_[:, 1], w
        parts = []
        for i, member in enumerate(model.estimators_):
            rows = np.flatnonzero(model.fold_ != i)
            parts.append((rows, member.predict_proba(X.iloc[rows])[:, 1]))
        train_rows = np.concatenate([r for r, _ in parts])
        score_train = np.concatenate([s for _, s in parts])
        members = [_network(m) for m in model.estimators_]
        what = "out-of-fold predictions of all events"
    else:
        score_train = model.predict_proba(X.iloc[train_rows])[:, 1]
        score_test = model.predict_proba(X.iloc[test_rows])[:, 1]
        y_test = y[test_rows]
        w_test = None if w is None else w[test_rows]
        members = [_network(model)]
        what = "the 25 % held-out events"

    print(f"Metrics on {what}:")
    result = figures(y_test, score_test, w_test, data["higgs"])
    _print_figures(result, w, data["higgs"])
    _write_json(out / _METRICS, result)
    print(f"wrote {out / _METRICS}")

    looks = _looks(args)
    _save(plot_roc(y_test, score_test, sample_weight=w_test, **looks), out / "roc.png")
    _save(
        plot_overtraining(
            y[train_rows],
            score_train,
            y_test,
            score_test,
            sample_weight_train=None if w is None else w[train_rows],
            sample_weight_test=w_test,
            **looks,
        ),
        out / "overtraining.png",
    )
    _save(
        plot_score_distribution(y_test, score_test, sample_weight=w_test, **looks),
        out / "scores.png",
    )
    _save(_history_figure(members, looks), out / "history.png")
    return 130 if ctrl["interrupted"] else 0


def _network(model):
    """The (first) network of a fitted pipeline or seed ensemble, for its history."""
    from .ensemble import SeedEnsemble
    from .ensemble._base import final_estimator

    model = final_estimator(model)
    while isinstance(model, SeedEnsemble):
        model = final_estimator(model.estimators_[0])
    return model


def _tune(args) -> int:
    from sklearn.model_selection import (
        GridSearchCV,
        RandomizedSearchCV,
        StratifiedKFold,
    )

    from .metrics import get_scorer
    from .model_selection import BayesSearchCV, EventNumberKFold, search_space

    config = merge_config(read_config_file(args.config))
    model_file = _MODEL_FILES[args.model_format]
    out = _output_dir(args.output, [model_file, _ROLES, _BEST])
    tune, fast = config["tune"], config["fast"]
    data = load_data(config, n_events=fast["n_events"] if args.fast else None)
    X, y, w, groups = data["X"], data["y"], data["w"], data["groups"]
    plain = dict(config, cross_training={**config["cross_training"], "n_splits": 0})
    pipe = build_model(
        plain, list(X.columns), fast["max_epochs"] if args.fast else None
    )
    try:
        space = search_space(
            pipe,
            tune["kind"],
            include=tune["include"],
            exclude=tune["exclude"],
            overrides=tune["overrides"] or None,
        )
        scorer = get_scorer(tune["scoring"])
    except ValueError as exc:
        raise ConfigError(f"In the [tune] table of the config: {exc}") from None
    if groups is None:
        cv = StratifiedKFold(tune["n_splits"], shuffle=True, random_state=0)
        by = "stratified folds"
    else:
        cv = EventNumberKFold(tune["n_splits"])
        by = f"{config['data']['event_number']} % {tune['n_splits']}"
    if tune["kind"] == "grid":
        search = GridSearchCV(pipe, space, scoring=scorer, cv=cv)
    elif tune["kind"] == "random":
        search = RandomizedSearchCV(
            pipe, space, n_iter=tune["n_iter"], scoring=scorer, cv=cv, random_state=0
        )
    else:
        search = BayesSearchCV(
            pipe, space, n_iter=tune["n_iter"], scoring=scorer, cv=cv, random_state=0
        )
    print(f"{tune['kind']} search over {', '.join(space)}; folds: {by}")
    params = {} if w is None else {"neuralclassifier__sample_weight": w}
    out.mkdir(parents=True, exist_ok=True)
    with _ctrl_c(whole_job=True):
        search.fit(X, y, groups=groups, **params)
    saved = _write_model(search.best_estimator_, out, args.model_format)
    _write_json(out / _ROLES, {"data": config["data"]})
    best = _best_params(search.best_params_)
    _write_json(out / _BEST, best)
    print(
        f"best {tune['scoring']} (unweighted, mean over the folds): "
        f"{search.best_score_:.4f}"
    )
    print("best parameters, for the [model] table:")
    for key, value in best.items():
        if value is None:  # TOML has no null
            print(f"  # {key}: None (YAML: '{key}: null'; TOML has no None)")
        else:
            print(f"  {key} = {json.dumps(value)}")
    print(f"wrote {saved} (refitted on all events), {out / _ROLES} and {out / _BEST}")
    return 0


def _best_params(params: dict) -> dict:
    """A search's best parameters under their [model] names, as JSON values.

    The search sets the network's parameters through the pipeline
    (``neuralclassifier__lr``); numpy scalars become Python numbers, tuples
    lists.

    Examples
    --------
    >>> _best_params({"neuralclassifier__lr": np.float64(0.27)})
    {'lr': 0.27}
    """

    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return {key.rsplit("__", 1)[-1]: plain(value) for key, value in params.items()}


def _roles(args, data_arg) -> dict:
    """The [data] roles of ``--config`` (or of roles.json), reading ``data_arg``."""
    if args.config:
        user = read_config_file(args.config)
        user.setdefault("data", {})
        if not isinstance(user["data"], dict):
            raise ConfigError("The 'data' entry of the config must be a table.")
        user["data"]["file"] = data_arg
        for key in ("files", "luminosity"):  # DATA replaces the training files
            user["data"].pop(key, None)
        user.pop("samples", None)
        return merge_config(user)
    roles_path = Path(args.model).parent / _ROLES if hasattr(args, "model") else None
    if roles_path is not None:
        if not roles_path.is_file():
            raise ConfigError(
                f"No {_ROLES} next to the model ({str(roles_path)!r}); pass --config."
            )
        data = json.loads(roles_path.read_text())["data"]
    else:
        data = {}
    data["file"] = data_arg
    for key in ("files", "luminosity"):
        data.pop(key, None)
    return merge_config({"data": data})


def _evaluate(args) -> int:
    from .apply import load_model
    from .ensemble import CrossTrainingClassifier
    from .plotting import plot_roc, plot_score_distribution

    if not Path(args.model).is_file():
        raise ConfigError(f"The model file {args.model!r} does not exist.")
    out = _output_dir(args.output, [_METRICS, "roc.png", "scores.png"])
    config = _roles(args, args.data)
    data = load_data(config)
    model = load_model(args.model)
    if isinstance(model, CrossTrainingClassifier):
        score = model.predict_proba(data["X"], groups=data["groups"])[:, 1]
    else:
        score = model.predict_proba(data["X"])[:, 1]
    print(f"{len(data['y'])} events, {int(data['y'].sum())} signal")
    result = figures(data["y"], score, data["w"], data["higgs"])
    _print_figures(result, data["w"], data["higgs"])
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / _METRICS, result)
    looks = _looks(args)
    _save(plot_roc(data["y"], score, sample_weight=data["w"], **looks), out / "roc.png")
    _save(
        plot_score_distribution(data["y"], score, sample_weight=data["w"], **looks),
        out / "scores.png",
    )
    return 0


def _report(args) -> int:
    from ._validation import missing_mask
    from .plotting import plot_data_report

    out = _output_dir(args.output, ["report.png"])
    config = _roles(args, args.data)
    data = load_data(config, need_target=False)
    X, y, w = data["X"], data["y"], data["w"]
    mv = config["data"]["missing_value"]
    mv = np.nan if mv is None else mv
    skipped = []
    if config["data"]["features"] is None:  # every column: keep the numeric ones
        numeric = X.select_dtypes(include=["number", "bool"])
        skipped = [c for c in X.columns if c not in numeric.columns]
        X = numeric
    print(f"{len(X)} events, {X.shape[1]} features")
    if skipped:
        print(f"left out (not numeric): {', '.join(map(str, skipped))}")
    if y is not None:
        for label, name in ((1, "signal"), (0, "background")):
            sel = y == label
            line = f"{name:<12}{int(sel.sum()):>9} events"
            if w is not None:
                line += f", weights sum {w[sel].sum():.4g}, mean {w[sel].mean():.4g}"
            print(line)
    values = X.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values) | missing_mask(values, mv)
    fractions = missing.mean(axis=0)
    print("missing fractions:" if fractions.any() else "no missing values")
    for name, f in zip(X.columns, fractions):
        if f > 0:
            print(f"  {name:<30}{f:.1%}")
    out.mkdir(parents=True, exist_ok=True)
    n_cols = 6 if X.shape[1] > 16 else 4
    _save(
        plot_data_report(
            X, y, sample_weight=w, missing_values=mv, n_cols=n_cols, **_looks(args)
        ),
        out / "report.png",
    )
    return 0


def _apply(args) -> int:
    """``sknn-hep apply``: score data files with a saved model (sknn_hep.apply)."""
    from tqdm.auto import tqdm

    from .apply import _check_params, _prepare, _run, load_model
    from .datasets._readers import PickledDataError

    pad_value = args.pad_value
    roles_path = Path(args.model).parent / _ROLES
    root_inputs = args.input_format == "root" or any(
        str(p).endswith(".root") for p in args.inputs
    )
    if pad_value is None and root_inputs and roles_path.is_file():
        # the padding of the jagged branches the model was trained on by
        # `sknn-hep fit` (root_options' rule: pad_value, else the missing
        # value, else NaN)
        data = json.loads(roles_path.read_text()).get("data", {})
        if data.get("max_length") is not None:
            pad_value = data.get("pad_value")
            if pad_value is None:
                missing = data.get("missing_value")
                pad_value = float("nan") if missing is None else missing
    options = dict(
        columns=args.columns,
        id_columns=args.id_column,
        event_number=args.event_number,
        score_name=args.score_name,
        output_format=args.format,
        input_format=args.input_format,
        chunk_size=args.chunk_size,
        tree=args.tree,
        pad_value=pad_value,
        key=args.key,
        allow_pickle=args.allow_pickle,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    # every check before the first event is scored: a mistake is exit 2
    if not Path(args.model).is_file():
        raise ConfigError(f"The model file {args.model!r}: no such model file.")
    _output_dir(args.output, [])
    try:
        _check_params(**options)
        missing = [p for p in args.inputs if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(
                f"no such input file: {', '.join(map(repr, missing))}"
            )
        try:
            model = load_model(args.model)
        except Exception as exc:  # noqa: BLE001 - any failure: not a model file
            raise ConfigError(
                f"Cannot read the model file {args.model!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        plan = _prepare(model, args.inputs, args.output, **options)
    except PickledDataError as exc:
        raise ConfigError(f"{exc} (--allow-pickle on the command line)") from None
    except (ValueError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    if args.event_number is None and _takes_event_numbers(model):
        roles = Path(args.model).parent / _ROLES
        named = None
        if roles.is_file():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                named = json.loads(roles.read_text())["data"]["event_number"]
        hint = f" (--event-number {named}, as in {roles})" if named else ""
        print(
            "sknn-hep apply: note: the model is cross-trained; without "
            "--event-number every event gets the average of its clones, right "
            "for new data, not for the events it was trained on" + hint + ".",
            file=sys.stderr,
        )

    done = {True: 0, False: 0}

    def report(path, out, written):
        done[written] += 1
        if written:
            tqdm.write(f"wrote {out}")
        else:
            tqdm.write(f"skipped {out} (it exists; --overwrite rewrites it)")

    try:
        _run(plan, report=report)
    except Exception as exc:  # noqa: BLE001 - name the file, keep one line
        if args.traceback or "failed" not in plan:
            raise
        print(
            f"sknn-hep apply: error: while scoring {str(plan['failed'])!r} "
            f"({done[True]} output(s) written before; its own was removed): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        if args.traceback:
            raise
        print(
            f"sknn-hep apply: interrupted (Ctrl-C) after {done[True]} output(s) "
            "written; the one being written was removed. Run the same command "
            "again to finish: it skips the outputs that exist.",
            file=sys.stderr,
        )
        return 130
    print(f"{done[True]} written, {done[False]} skipped, in {args.output}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sknn-hep",
        description="Train, evaluate and inspect sknn_hep classifiers "
        "from a config file.",
    )
    from . import __version__

    parser.add_argument(
        "--version", action="version", version=f"sknn-hep {__version__}"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        metavar="N",
        help="torch threads (default: torch's, i.e. OMP_NUM_THREADS or the cores "
        "this process may use); give a batch job its allocated cores",
    )
    common.add_argument(
        "--traceback",
        action="store_true",
        help="show the full traceback of an error instead of one line",
    )
    saving = argparse.ArgumentParser(add_help=False)
    saving.add_argument(
        "--model-format",
        choices=sorted(_MODEL_FILES),
        default="joblib",
        help="model.joblib (joblib; loading it unpickles) or model.safetensors "
        "(sknn_hep.io.save: no pickle, safe to load from others); "
        "default: joblib",
    )
    looks = argparse.ArgumentParser(add_help=False)
    looks.add_argument(
        "--style",
        choices=["ATLAS", "CMS", "LHCb2", "none"],
        default="none",
        help="the figures' experiment style (mplhep); default: none "
        "(matplotlib's look)",
    )
    looks.add_argument(
        "--label",
        default=None,
        help="text after the experiment's name, e.g. 'Internal' (with a style; "
        "'Simulation' is added unless it is there)",
    )
    looks.add_argument(
        "--com", type=float, default=None, metavar="TEV", help="sqrt(s) in TeV"
    )
    looks.add_argument(
        "--lumi", type=float, default=None, metavar="FB", help="luminosity in fb^-1"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser(
        "fit",
        parents=[common, saving, looks],
        help="train the model of a config (default: the bundled Higgs sample)",
        description="Train the pipeline of CONFIG; print weighted AUC, AMS_max and "
        "1/eps_B at eps_S = 0.3; write plots, the model and its column roles.",
    )
    fit.add_argument(
        "config", nargs="?", help="TOML or YAML file (default config if omitted)"
    )
    fit.add_argument(
        "--output", default="output", help="output folder (default: output)"
    )
    fit.add_argument(
        "--fast",
        action="store_true",
        help="[fast] n_events random rows, few epochs (CI)",
    )
    fit.set_defaults(func=_fit)
    tune = sub.add_parser(
        "tune",
        parents=[common, saving],
        help="grid, random or Bayesian search of the config's [tune] table",
        description="Search the hyperparameters of CONFIG's pipeline (folds by "
        "event number when [data] names one); print the best and save its model.",
    )
    tune.add_argument("config", help="TOML or YAML file with a [tune] table")
    tune.add_argument(
        "--output", default="output", help="output folder (default: output)"
    )
    tune.add_argument(
        "--fast",
        action="store_true",
        help="[fast] n_events random rows, few epochs (CI)",
    )
    tune.set_defaults(func=_tune)
    ev = sub.add_parser(
        "evaluate",
        parents=[common, looks],
        help="metrics table and ROC of a saved model on DATA",
    )
    ev.add_argument(
        "model",
        help="model.joblib or model.safetensors written by 'sknn-hep fit' or "
        "'tune' (told apart by content; a joblib file runs pickle: only files "
        "you trust)",
    )
    ev.add_argument("data", help="data file, or 'higgs' for the bundled sample")
    ev.add_argument("--config", help="config naming the columns (default: roles.json)")
    ev.add_argument(
        "--output", default="output", help="output folder (default: output)"
    )
    ev.set_defaults(func=_evaluate)
    rep = sub.add_parser(
        "report", parents=[common, looks], help="know-your-data report of DATA"
    )
    rep.add_argument("data", help="data file, or 'higgs' for the bundled sample")
    rep.add_argument("--config", help="config naming the columns")
    rep.add_argument(
        "--output", default="output", help="output folder (default: output)"
    )
    rep.set_defaults(func=_report)
    _apply_parser(sub, common)
    return parser


def _takes_event_numbers(model) -> bool:
    """Whether a model routes events by the event numbers given as groups."""
    import inspect

    method = getattr(model, "predict_proba", None) or getattr(model, "predict", None)
    return (
        method is not None
        and "groups" in inspect.signature(method).parameters
        and getattr(model, "event_number", None) is None
        and getattr(model, "prediction", None) != "average"
    )


def _apply_parser(sub, common) -> None:
    ap = sub.add_parser(
        "apply",
        parents=[common],
        help="score ROOT, Parquet, HDF5 or CSV files with a saved model",
        description="Apply MODEL to each INPUT, chunk by chunk, writing one "
        "output per input (the id columns and the scores, in the input's event "
        "order) to DIR; outputs that exist are skipped.",
    )
    ap.add_argument(
        "model",
        help="model.joblib or model.safetensors (told apart by content; a joblib "
        "file runs pickle: only files you trust)",
    )
    ap.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="data files: .root, .parquet/.pq, .h5/.hdf5/.hdf, .csv/.csv.gz",
    )
    ap.add_argument(
        "--output", required=True, metavar="DIR", help="output folder (made if needed)"
    )
    ap.add_argument(
        "--columns",
        nargs="+",
        metavar="COL",
        help="the input columns the model reads, one per feature in its order "
        "(default: the model's feature_names_in_; other names are given to the "
        "model under its feature names); put it after MODEL and the INPUTs",
    )
    ap.add_argument(
        "--id-column",
        action="append",
        metavar="COL",
        help="a column copied to the outputs, before the scores (repeat for "
        "several, e.g. --id-column run --id-column event)",
    )
    ap.add_argument(
        "--event-number",
        metavar="COL",
        help="for a model cross-trained with groups: the event-number column, so "
        "each event is scored by the clone that never saw it",
    )
    ap.add_argument(
        "--score-name",
        default="score",
        metavar="NAME",
        help="name (prefix) of the score column(s) (default: score)",
    )
    ap.add_argument(
        "--format",
        choices=["parquet", "root"],
        default="parquet",
        help="output format: parquet, or root (a friend tree of the input); "
        "default: parquet",
    )
    ap.add_argument(
        "--input-format",
        choices=["csv", "hdf5", "parquet", "root"],
        help="the format of every input (default: from each suffix)",
    )
    ap.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=100_000,
        metavar="N",
        help="events read, scored and written at a time (default: 100000)",
    )
    ap.add_argument(
        "--tree",
        metavar="NAME",
        help="tree of the ROOT inputs (default: the file's only tree) and of ROOT "
        "outputs (default: the input's, or 'events')",
    )
    ap.add_argument(
        "--pad-value",
        type=float,
        metavar="X",
        help="padding of the jagged ROOT branches read as columns b_0, b_1, ... "
        "(as read_root's pad_value): the value used in training; default: the "
        "padding of the [data] in roles.json next to the model (written by "
        "sknn-hep fit), else 0.0",
    )
    ap.add_argument(
        "--key", metavar="KEY", help="table of the HDF5 inputs (default: the only one)"
    )
    ap.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read HDF5 tables holding pickled objects (runs code named in the "
        "file: only files you trust)",
    )
    ap.add_argument(
        "--overwrite", action="store_true", help="rewrite outputs that exist"
    )
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    ap.set_defaults(func=_apply)


def main(argv=None) -> int:
    """Run the ``sknn-hep`` command; return its exit status.

    0 on success; 2 on a usage or configuration error; 1 when the job
    itself fails (e.g. the training diverges, a column holds text, a package
    is missing); 130 when interrupted (Ctrl-C: a job of several trainings
    stops with nothing saved; a single network stops, keeping its best
    weights so far with early stopping, and is saved). Errors are one line
    on stderr, no traceback (``--traceback`` shows it).

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int

    Examples
    --------
    >>> main(["fit", "missing.toml"])
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"sknn-hep {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except JobInterrupted:
        if args.traceback:
            raise
        print(
            f"sknn-hep {args.command}: interrupted (Ctrl-C): the whole job stopped; "
            "no model was saved (files already in the output folder are as they "
            "were)",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        if args.traceback:
            raise
        print(f"sknn-hep {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a batch job reports, then exits 1
        if args.traceback:
            raise
        print(
            f"sknn-hep {args.command}: error: {type(exc).__name__}: {exc} "
            "(--traceback shows where)",
            file=sys.stderr,
        )
        return 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value
