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
    silently ignored. The ``model`` table takes the parameters of
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
    from .neural_network import NeuralClassifier

    data = config["data"]
    if data["file"] is None:
        raise ConfigError("The 'file' key of [data] must name a file or 'higgs'.")
    if data["format"] is not None and data["format"] not in _FORMATS:
        raise ConfigError(
            f"The 'format' key of [data] must be one of {', '.join(_FORMATS)}. "
            f"Got {data['format']!r} instead."
        )
    for key in ("target",):
        if not isinstance(data[key], str):  # a file other than 'higgs' needs it
            raise ConfigError(
                f"The {key!r} key of [data] must be a column name. "
                f"Got {data[key]!r} instead."
            )
    n_splits = config["cross_training"]["n_splits"]
    if n_splits is False or n_splits == 0:
        config["cross_training"]["n_splits"] = 0
    elif isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise ConfigError(
            "The 'n_splits' key of [cross_training] must be an int >= 2, or 0 to "
            f"turn cross-training off. Got {n_splits!r} instead."
        )
    n_members = config["cross_training"]["n_members"]
    if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:
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
    if shift != "auto" and (
        isinstance(shift, bool) or not isinstance(shift, (int, float))
    ):
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
        value = tune[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(
                f"The {key!r} key of [tune] must be an int >= {low}. "
                f"Got {value!r} instead."
            )
    if not isinstance(tune["overrides"], dict):
        raise ConfigError(
            "The 'overrides' key of [tune] must be a table of parameter: values. "
            f"Got {tune['overrides']!r} instead."
        )
    if "categorical_features" in config["model"]:
        raise ConfigError(
            "Set the categorical columns with 'categorical' in [data], not "
            "'categorical_features' in [model]."
        )
    try:
        NeuralClassifier(**config["model"])._validate_params()
    except TypeError as exc:
        known = ", ".join(sorted(NeuralClassifier().get_params()))
        raise ConfigError(
            f"Unknown key in the [model] table of the config ({exc}); known keys: "
            f"{known}."
        ) from None
    except InvalidParameterError as exc:
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
