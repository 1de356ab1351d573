"""Configuration files of the ``sknn-hep`` command: defaults, loading, checks."""

from __future__ import annotations

import copy
from pathlib import Path

from sklearn.utils._param_validation import InvalidParameterError

from .datasets import HIGGS_FEATURES
from .preprocessing import HIGGS_LOG_COLUMNS, HIGGS_MASS_COLUMNS
from .recipes import HIGGS_NETWORK

#: The configuration ``sknn-hep fit`` runs without a CONFIG file.
DEFAULT_CONFIG = {
    "data": {
        "file": "higgs",
        "format": None,
        "key": None,
        "tree": None,
        "features": list(HIGGS_FEATURES),
        "target": "Label",
        "signal": "s",
        "weight": "KaggleWeight",
        "event_number": "EventId",
        "categorical": ["PRI_jet_num"],
        "missing_value": -999.0,
        "allow_pickle": False,
    },
    # the recipe of sknn_hep.recipes.make_higgs_classifier (one network per
    # fold; n_members = 5 is the benchmark's seed ensemble)
    "preprocessing": {
        "physics_features": "higgs",
        "log_shift": [*HIGGS_LOG_COLUMNS, *HIGGS_MASS_COLUMNS],
        "shift": -1.0,
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
    judged on the other 25 %. A ``[data] file`` other than ``"higgs"`` starts
    from empty column roles (no target, weight, event number, categorical or
    log-shift columns, NaN as the missing value) rather than the Higgs ones.

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
    if isinstance(data, dict) and data.get("file", "higgs") != "higgs":
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
    if data["file"] is None:
        raise ConfigError("The 'file' key of [data] must name a file or 'higgs'.")
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

    Examples
    --------
    >>> data_format({"data": {"file": "events.root", "format": None}})
    'root'
    """
    data = config["data"]
    if data["format"] is not None:
        return data["format"]
    suffix = Path(data["file"]).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ConfigError(
            f"Cannot tell the format of {data['file']!r} from its suffix; set "
            f"'format' in [data] to one of {', '.join(_FORMATS)}."
        )
    return _SUFFIXES[suffix]
