"""Configuration files of the ``sknn-hep`` command: defaults, loading, checks."""

from __future__ import annotations

import copy
from pathlib import Path

from sklearn.utils._param_validation import InvalidParameterError

from ._higgs import (
    HIGGS_CATEGORICAL_COLUMNS,
    HIGGS_EVENT_NUMBER,
    HIGGS_FEATURES,
    HIGGS_LOG_SHIFT,
    HIGGS_MISSING_VALUE,
    HIGGS_RECIPE_LOG_COLUMNS,
    HIGGS_SIGNAL,
    HIGGS_TARGET,
    HIGGS_WEIGHTS,
)
from .recipes import HIGGS_NETWORK

# The [data] keys of ROOT files only (passed to read_root).
_ROOT_KEYS = (
    "files",
    "cut",
    "filter_name",
    "entry_start",
    "entry_stop",
    "max_length",
    "pad_value",
    "aliases",
    "luminosity",
)

#: The configuration ``sknn-hep fit`` runs without a CONFIG file.
DEFAULT_CONFIG = {
    "data": {
        "file": "higgs",
        "format": None,
        "key": None,
        "tree": None,
        "features": list(HIGGS_FEATURES),
        "target": HIGGS_TARGET,
        "signal": HIGGS_SIGNAL,
        "weight": HIGGS_WEIGHTS[0],
        "event_number": HIGGS_EVENT_NUMBER,
        "categorical": list(HIGGS_CATEGORICAL_COLUMNS),
        "missing_value": HIGGS_MISSING_VALUE,
        "allow_pickle": False,
        # ROOT (read_root): several files, entries, cut, branches, jagged branches
        **{key: None for key in _ROOT_KEYS},
    },
    # [[samples]]: signal and background ROOT samples, each with its label and
    # weight (see _SAMPLE_KEYS); empty: the table of [data] file
    "samples": [],
    # the recipe of sknn_hep.recipes.make_higgs_classifier (one network per
    # fold; n_members = 5 is the benchmark's seed ensemble)
    "preprocessing": {
        "physics_features": "higgs",
        "log_shift": list(HIGGS_RECIPE_LOG_COLUMNS),
        "shift": HIGGS_LOG_SHIFT,
        "missing_encoding": True,
    },
    "model": {**HIGGS_NETWORK, "random_state": 0, "verbose": 1},
    "cross_training": {"n_splits": 5, "n_members": 1},
    "tune": {
        "kind": "random",
        "n_iter": 10,
        "n_splits": 3,
        "scoring": "roc_auc",
        "include": None,
        "exclude": None,
        "overrides": {},
    },
    "fast": {"n_events": 2000, "max_epochs": 4},
}

# The keys of a [[samples]] table, and those it needs.
_SAMPLE_KEYS = (
    "name",
    "files",
    "tree",
    "label",
    "weight",
    "cut",
    "cross_section",
    "n_generated",
    "luminosity",
)
_SAMPLE_NEEDS = ("name", "files", "label")

# The [data] and [preprocessing] defaults for a file other than the Higgs sample:
# no Higgs column names carry over to it.
_FILE_DATA = {
    "file": None,
    "format": None,
    "key": None,
    "tree": None,
    "features": None,
    "target": None,
    "signal": None,
    "weight": None,
    "event_number": None,
    "categorical": [],
    "missing_value": None,
    "allow_pickle": False,
    **{key: None for key in _ROOT_KEYS},
}

# Sections whose keys are fixed; "model" takes NeuralClassifier parameters.
_FIXED = ("data", "preprocessing", "cross_training", "fast", "tune")
_FORMATS = ("csv", "hdf5", "root")
_SUFFIXES = {
    ".csv": "csv",
    ".gz": "csv",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".hdf": "hdf5",
    ".root": "root",
}


class ConfigError(ValueError):
    """A user error in a configuration file or on the command line."""


def read_config_file(path) -> dict:
    """Parse a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file into a dict.

    Parameters
    ----------
    path : str or path-like
        The configuration file.

    Returns
    -------
    config : dict
        The file's tables, as written (not merged with the defaults).

    Raises
    ------
    ConfigError
        When the file is missing, has another suffix or does not parse.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "run.toml")
    ...     with open(path, "w") as f:
    ...         _ = f.write("[model]\\nn_units = 16\\n")
    ...     read_config_file(path)
    {'model': {'n_units': 16}}
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The config file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            with path.open("rb") as f:
                config = tomllib.load(f)
        elif suffix in (".yaml", ".yml"):
            import yaml

            with path.open() as f:
                config = yaml.safe_load(f) or {}
        else:
            raise ConfigError(
                f"The config file must end in .toml, .yaml or .yml. Got {str(path)!r}."
            )
    except ConfigError:
        raise
    except Exception as exc:  # the parsers' own errors name line and column
        raise ConfigError(f"Cannot parse {str(path)!r}: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"The config file {str(path)!r} must hold a mapping.")
    return config


def merge_config(user: dict | None) -> dict:
    """The default configuration updated with ``user``, checked.

    Every key of ``user`` must be known: a misspelt setting is an error, never
    silently ignored. Every value must have its documented type: the error
    names the key, the type expected and the value received (a string where
    a list is expected is refused, not split into characters). The
    ``model`` table takes the parameters of
    :class:`~sknn_hep.neural_network.NeuralClassifier`, validated here. A
    ``cross_training`` table with ``n_splits = 0`` (or ``false``) turns
    cross-training off: the model is then fitted on a stratified 75 % and
    judged on the other 25 %. A ``[data] file`` other than ``"higgs"`` (or
    ``[data] files``, or ``[[samples]]``) starts from empty column roles (no
    target, weight, event number, categorical or log-shift columns, NaN as
    the missing value) rather than the Higgs ones. ``samples`` is a list of
    tables (``[[samples]]`` in TOML), each checked against the sample keys.

    Parameters
    ----------
    user : dict or None
        Tables read from a config file (see :func:`read_config_file`).

    Returns
    -------
    config : dict
        A new dict; the defaults are not modified.

    Raises
    ------
    ConfigError
        On an unknown table or key, or an invalid value.

    Examples
    --------
    >>> merge_config({"model": {"n_units": 16}})["model"]["n_units"]
    16
    >>> merge_config({"data": {"weigth": "w"}})
    Traceback (most recent call last):
    ...
    sknn_hep._config.ConfigError: Unknown key 'weigth' in the [data] table of ...
    >>> merge_config({"data": {"categorical": "PRI_jet_num"}})
    Traceback (most recent call last):
    ...
    sknn_hep._config.ConfigError: The 'categorical' key of [data] must be a list ...
    """
    config = copy.deepcopy(DEFAULT_CONFIG)
    user = user or {}
    data = user.get("data")
    other = isinstance(data, dict) and (
        data.get("file", "higgs") != "higgs" or "files" in data
    )
    if other or user.get("samples"):
        config["data"] = dict(_FILE_DATA)
        config["preprocessing"].update(
            physics_features=None, log_shift=[], shift="auto"
        )
    for section, values in user.items():
        if section not in config:
            raise ConfigError(
                f"Unknown table {section!r} in the config; known tables: "
                f"{', '.join(sorted(config))}."
            )
        if section == "samples":
            if not isinstance(values, list) or not all(
                isinstance(v, dict) for v in values
            ):
                raise ConfigError(
                    "The 'samples' entry of the config must be a list of tables "
                    f"([[samples]] in TOML). Got {values!r} instead."
                )
            config["samples"] = [dict(v) for v in values]
            continue
        if not isinstance(values, dict):
            raise ConfigError(
                f"The {section!r} entry of the config must be a table. "
                f"Got {values!r} instead."
            )
        if section in _FIXED:
            for key in values:
                if key not in config[section]:
                    raise ConfigError(
                        f"Unknown key {key!r} in the [{section}] table of the config; "
                        f"known keys: {', '.join(sorted(config[section]))}."
                    )
        config[section].update(values)
    _check(config)
    return config


def _check(config: dict) -> None:
    data = config["data"]
    _check_root(config)
    if data["file"] is None and data["files"] is None and not config["samples"]:
        raise ConfigError(
            "The 'file' key of [data] must name a file or 'higgs' (or set 'files', "
            "or give [[samples]])."
        )
    if data["format"] is not None and data["format"] not in _FORMATS:
        raise ConfigError(
            f"The 'format' key of [data] must be one of {', '.join(_FORMATS)}. "
            f"Got {data['format']!r} instead."
        )
    _check_types(config)
    n_splits = config["cross_training"]["n_splits"]
    if n_splits is False or n_splits == 0:
        config["cross_training"]["n_splits"] = 0
    elif isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise ConfigError(
            "The 'n_splits' key of [cross_training] must be an int >= 2, or 0 to "
            f"turn cross-training off. Got {n_splits!r} instead."
        )
    n_members = config["cross_training"]["n_members"]
    if not _is_int(n_members, 1):
        raise ConfigError(
            "The 'n_members' key of [cross_training] must be an int >= 1. "
            f"Got {n_members!r} instead."
        )
    prep = config["preprocessing"]
    if prep["physics_features"] not in (None, False, "higgs"):
        raise ConfigError(
            "The 'physics_features' key of [preprocessing] must be 'higgs' or "
            f"false. Got {prep['physics_features']!r} instead."
        )
    shift = prep["shift"]
    if shift != "auto" and not _is_number(shift):
        raise ConfigError(
            "The 'shift' key of [preprocessing] must be 'auto' or a number (the "
            f"log is log(x - shift)). Got {shift!r} instead."
        )
    tune = config["tune"]
    if tune["kind"] not in ("grid", "random", "bayes"):
        raise ConfigError(
            "The 'kind' key of [tune] must be one of grid, random, bayes. "
            f"Got {tune['kind']!r} instead."
        )
    for key, low in (("n_iter", 1), ("n_splits", 2)):
        if not _is_int(tune[key], low):
            raise ConfigError(
                f"The {key!r} key of [tune] must be an int >= {low}. "
                f"Got {tune[key]!r} instead."
            )
    if not isinstance(tune["overrides"], dict):
        raise ConfigError(
            "The 'overrides' key of [tune] must be a table of parameter: values. "
            f"Got {tune['overrides']!r} instead."
        )
    for name, values in tune["overrides"].items():
        if not isinstance(values, (list, tuple)):
            raise ConfigError(
                f"The 'overrides' key of [tune]: the values of {name!r} must be a "
                f"list, e.g. [{_toml(values)}]. Got {values!r} instead."
            )
    _check_model(config["model"])


def _is_int(value, low) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= low


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _toml(value) -> str:
    """``value`` as written in TOML (for the examples in the messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _check_types(config: dict) -> None:
    """Every value of the fixed tables has its documented type.

    A string where a list is expected is an error (iterating over it would
    give its characters), as is any other type than the documented one.
    """
    data = config["data"]
    for key in ("file", "key", "tree", "target", "weight", "event_number"):
        if data[key] is not None and not isinstance(data[key], str):
            raise ConfigError(
                f"The {key!r} key of [data] must be a column name (a string)"
                + (", or left out" if key != "file" else "")
                + f". Got {data[key]!r} instead."
            )
    signal = data["signal"]
    if signal is not None and not isinstance(signal, str) and not _is_number(signal):
        raise ConfigError(
            "The 'signal' key of [data] must be the signal label of the target "
            f"column (a string or a number). Got {signal!r} instead."
        )
    if data["missing_value"] is not None and not _is_number(data["missing_value"]):
        raise ConfigError(
            "The 'missing_value' key of [data] must be a number (the marker of a "
            f"missing value), or left out for NaN. Got {data['missing_value']!r} "
            "instead."
        )
    for section, key in (
        ("data", "allow_pickle"),
        ("preprocessing", "missing_encoding"),
    ):
        if not isinstance(config[section][key], bool):
            raise ConfigError(
                f"The {key!r} key of [{section}] must be true or false. "
                f"Got {config[section][key]!r} instead."
            )
    for section, key, what in (
        ("data", "features", "column names"),
        ("data", "categorical", "column names"),
        ("preprocessing", "log_shift", "column names"),
        ("tune", "include", "parameter names"),
        ("tune", "exclude", "parameter names"),
    ):
        value = config[section][key]
        if value is None:
            if key in ("categorical", "log_shift"):
                config[section][key] = []
            continue
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) for v in value
        ):
            example = value if isinstance(value, str) else "name"
            raise ConfigError(
                f"The {key!r} key of [{section}] must be a list of {what}, e.g. "
                f'["{example}"]. Got {value!r} instead.'
            )
        config[section][key] = list(value)
    for key in ("n_events", "max_epochs"):
        if not _is_int(config["fast"][key], 1):
            raise ConfigError(
                f"The {key!r} key of [fast] must be an int >= 1. "
                f"Got {config['fast'][key]!r} instead."
            )
    if not isinstance(config["tune"]["scoring"], str):
        raise ConfigError(
            "The 'scoring' key of [tune] must be the name of a scorer. "
            f"Got {config['tune']['scoring']!r} instead."
        )


def _is_names(value) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _check_int_table(value, where: str, example: str) -> None:
    """An int >= 1, or a table of name = int >= 1 (``max_length``)."""
    if _is_int(value, 1):
        return
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(k, str) and _is_int(v, 1) for k, v in value.items())
    ):
        return
    raise ConfigError(
        f"The 'max_length' key of {where} must be an int >= 1 (columns per jagged "
        f"branch) or a table of branch = int >= 1, e.g. {example}. "
        f"Got {value!r} instead."
    )


def _check_root(config: dict) -> None:
    """The ROOT keys of [data] and the [[samples]] tables."""
    data = config["data"]
    if data["files"] is not None:
        if not _is_names(data["files"]) or not data["files"]:
            raise ConfigError(
                "The 'files' key of [data] must be a list of ROOT files or globs, "
                f'e.g. ["sig_*.root"]. Got {data["files"]!r} instead.'
            )
        if data["file"] is not None:
            raise ConfigError(
                "Set either 'file' or 'files' in [data], not both. Got file = "
                f"{data['file']!r} and files = {data['files']!r}."
            )
        data["files"] = list(data["files"])
    for key in ("cut",):
        if data[key] is not None and not isinstance(data[key], str):
            raise ConfigError(
                f"The {key!r} key of [data] must be an uproot expression (a "
                f'string, e.g. "nMuon >= 2"). Got {data[key]!r} instead.'
            )
    name_filter = data["filter_name"]
    if name_filter is not None:
        if not (isinstance(name_filter, str) or _is_names(name_filter)):
            raise ConfigError(
                "The 'filter_name' key of [data] must be a branch name or glob, or "
                f'a list of them, e.g. ["Muon_*"]. Got {name_filter!r} instead.'
            )
        if data["features"] is not None:
            raise ConfigError(
                "Set either 'features' or 'filter_name' in [data]: 'filter_name' "
                "selects the branches that become features when 'features' is "
                "left out."
            )
    for key in ("entry_start", "entry_stop"):
        if data[key] is not None and not _is_int(data[key], -(2**62)):
            raise ConfigError(
                f"The {key!r} key of [data] must be an int (an entry number; "
                f"negative counts from the end). Got {data[key]!r} instead."
            )
    if data["max_length"] is not None:
        _check_int_table(
            data["max_length"],
            "[data]",
            "max_length = 4 or max_length = {Jet_pt = 4, Muon_pt = 2}",
        )
    if data["pad_value"] is not None and not _is_number(data["pad_value"]):
        raise ConfigError(
            "The 'pad_value' key of [data] must be a number (the value of the "
            "padding slots of jagged branches), or left out for the missing "
            f"value. Got {data['pad_value']!r} instead."
        )
    aliases = data["aliases"]
    if aliases is not None and not (
        isinstance(aliases, dict) and all(isinstance(v, str) for v in aliases.values())
    ):
        raise ConfigError(
            "The 'aliases' key of [data] must be a table of name = uproot "
            'expression, e.g. {pt = "sqrt(px**2 + py**2)"}. '
            f"Got {aliases!r} instead."
        )
    if data["luminosity"] is not None and not _is_positive(data["luminosity"]):
        raise ConfigError(
            "The 'luminosity' key of [data] must be a number > 0 (in the inverse "
            f"unit of the cross-sections). Got {data['luminosity']!r} instead."
        )
    if config["samples"]:
        _check_samples(config)
    if data["luminosity"] is not None and not any(
        "cross_section" in sample for sample in config["samples"]
    ):
        raise ConfigError(
            "The 'luminosity' key of [data] scales the [[samples]] that give a "
            "'cross_section'; no sample gives one."
        )


def _is_positive(value) -> bool:
    return _is_number(value) and value > 0


def _check_samples(config: dict) -> None:
    data, samples = config["data"], config["samples"]
    for key in ("file", "files", "target", "weight"):
        if data[key] is not None:
            comes = {
                "file": "the files",
                "files": "the files",
                "target": "the label",
                "weight": "the weight",
            }[key]
            raise ConfigError(
                f"With [[samples]], {comes} of each sample are set in its table; "
                f"leave {key!r} out of [data]. Got {key} = {data[key]!r}."
            )
    if data["format"] not in (None, "root"):
        raise ConfigError(
            f"[[samples]] are ROOT files; the 'format' key of [data] is "
            f"{data['format']!r}."
        )
    names = []
    for i, sample in enumerate(samples):
        where = f"sample {sample.get('name', i + 1)!r}"
        for key in sample:
            if key not in _SAMPLE_KEYS:
                raise ConfigError(
                    f"Unknown key {key!r} in the [[samples]] table of {where}; "
                    f"known keys: {', '.join(_SAMPLE_KEYS)}."
                )
        for key in _SAMPLE_NEEDS:
            if key not in sample:
                raise ConfigError(
                    f"The [[samples]] table of {where} needs {key!r} (each "
                    f"sample needs {', '.join(_SAMPLE_NEEDS)})."
                )
        if not isinstance(sample["name"], str):
            raise ConfigError(
                f"The 'name' key of [[samples]] must be a string. "
                f"Got {sample['name']!r} instead."
            )
        if sample["name"] in names:
            raise ConfigError(f"Two [[samples]] are named {sample['name']!r}.")
        names.append(sample["name"])
        files = sample["files"]
        if isinstance(files, str):
            sample["files"] = files = [files]
        if not _is_names(files) or not files:
            raise ConfigError(
                f"The 'files' key of {where} must be a list of ROOT files or "
                f'globs, e.g. ["sig_*.root"]. Got {files!r} instead.'
            )
        label = sample["label"]
        if not (isinstance(label, str) or _is_int(label, -(2**62))):
            raise ConfigError(
                f"The 'label' key of {where} must be an int (1 signal, 0 "
                f"background) or a string (with 'signal' in [data]). "
                f"Got {label!r} instead."
            )
        for key in ("tree", "weight", "cut"):
            if sample.get(key) is not None and not isinstance(sample[key], str):
                what = "a tree name" if key == "tree" else "an uproot expression"
                raise ConfigError(
                    f"The {key!r} key of {where} must be {what} (a string). "
                    f"Got {sample[key]!r} instead."
                )
        for key in ("cross_section", "n_generated", "luminosity"):
            if key in sample and not _is_positive(sample[key]):
                raise ConfigError(
                    f"The {key!r} key of {where} must be a number > 0. "
                    f"Got {sample[key]!r} instead."
                )
        if "cross_section" not in sample:
            extra = [k for k in ("n_generated", "luminosity") if k in sample]
            if extra:
                raise ConfigError(
                    f"{where} gives {' and '.join(map(repr, extra))} without "
                    "'cross_section'; the normalisation cross_section * "
                    "luminosity / n_generated needs all three."
                )
            continue
        sample.setdefault("luminosity", data["luminosity"])
        lacking = [k for k in ("n_generated", "luminosity") if sample.get(k) is None]
        if lacking:
            raise ConfigError(
                f"The cross-section of {where} needs {' and '.join(lacking)} "
                "(its weight is scaled by cross_section * luminosity / "
                "n_generated; luminosity may be set once in [data])."
            )
    labels = {s["label"] for s in samples}
    if len(labels) < 2:
        raise ConfigError(
            f"The [[samples]] all have the label {next(iter(labels))!r}; a "
            "classifier needs signal and background samples."
        )
    signal = data["signal"]
    if signal is None and not labels <= {0, 1}:
        raise ConfigError(
            f"The labels of the [[samples]] are {sorted(map(repr, labels))}: use "
            "1 (signal) and 0 (background), or set 'signal' in [data] to the "
            "signal label."
        )
    if signal is not None and signal not in labels:
        raise ConfigError(
            f"The 'signal' key of [data] is {signal!r}, which is not the label of "
            f"a sample; the labels: {', '.join(sorted(map(repr, labels)))}."
        )


def _check_model(model: dict) -> None:
    """The [model] table: known NeuralClassifier parameters of valid values."""
    from .neural_network import NeuralClassifier

    if "categorical_features" in model:
        raise ConfigError(
            "Set the categorical columns with 'categorical' in [data], not "
            "'categorical_features' in [model]."
        )
    known = NeuralClassifier().get_params()
    for key in model:
        if key not in known:
            raise ConfigError(
                f"Unknown key {key!r} in the [model] table of the config; known "
                f"keys: {', '.join(sorted(known))}."
            )
    network = NeuralClassifier(**model)
    try:
        network._validate_params()
        # the checks fit makes beyond the parameter constraints
        network._hidden_sizes()
        network._check_schedule_params()
    except (InvalidParameterError, ValueError, TypeError) as exc:
        raise ConfigError(f"In the [model] table of the config: {exc}") from None


def data_format(config: dict) -> str:
    """The reader to use: ``[data] format`` or the file's suffix.

    ``files`` and ``[[samples]]`` are ROOT files; a ROOT file may name its
    tree after a colon (``"events.root:Events"``).

    Examples
    --------
    >>> data_format({"data": {"file": "events.root", "format": None}})
    'root'
    >>> data_format({"data": {"file": "sig_*.root:Events", "format": None}})
    'root'
    """
    data = config["data"]
    if data["format"] is not None:
        return data["format"]
    if data.get("files") is not None or config.get("samples"):
        return "root"
    suffix = Path(data["file"]).suffix.lower()
    if suffix.startswith(".root:"):
        suffix = ".root"
    if suffix not in _SUFFIXES:
        raise ConfigError(
            f"Cannot tell the format of {data['file']!r} from its suffix; set "
            f"'format' in [data] to one of {', '.join(_FORMATS)}."
        )
    return _SUFFIXES[suffix]


def root_options(config: dict) -> dict:
    """The arguments of :func:`~sknn_hep.datasets.read_root` from ``[data]``.

    Only the branches the run uses are read: with ``features`` set, those
    named there and by ``target``, ``weight`` and ``event_number``, where a
    padded column (``Muon_pt_0``, ``Muon_pt_mask_0``, ``Muon_pt_count``) or
    a jagged branch's own name (``Muon_pt``: all its columns) reads the
    branch ``Muon_pt``; without ``features``, those of ``filter_name`` (all
    by default) and the named roles. Padding slots hold ``pad_value``, by
    default the ``missing_value`` (NaN when unset), so the missing-value
    encoding treats an absent object as missing.

    Examples
    --------
    >>> config = merge_config({"data": {"file": "ev.root", "target": "y",
    ...     "features": ["met", "Muon_pt", "Jet_pt_0"], "max_length": 2}})
    >>> options = root_options(config)
    >>> options["filter_name"]
    ['Jet_pt', 'Jet_pt_0', 'Muon_pt', 'met', 'y']
    >>> options["max_length"], options["pad_value"], options["counts"]
    (2, nan, True)
    """
    import math
    import re

    data = config["data"]
    roles = [data[k] for k in ("target", "weight", "event_number") if data[k]]
    if data["features"] is not None:
        wanted = set()
        for name in [*data["features"], *roles]:
            wanted.add(name)
            match = re.fullmatch(r"(.+?)(?:_mask)?_\d+|(.+)_count", name)
            if match:
                wanted.add(match.group(1) or match.group(2))
        filter_name = sorted(wanted)
    elif data["filter_name"] is not None:
        given = data["filter_name"]
        filter_name = [given] if isinstance(given, str) else list(given)
        filter_name += [r for r in roles if r not in filter_name]
    else:
        filter_name = None
    pad = data["pad_value"]
    if pad is None:
        pad = math.nan if data["missing_value"] is None else data["missing_value"]
    masks = any("_mask_" in f for f in data["features"] or [])
    return {
        "tree": data["tree"],
        "filter_name": filter_name,
        "cut": data["cut"],
        "aliases": data["aliases"],
        "entry_start": data["entry_start"],
        "entry_stop": data["entry_stop"],
        "max_length": data["max_length"],
        "pad_value": pad,
        "mask": masks,
        "counts": True,
    }
