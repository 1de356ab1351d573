"""Tests of the ``sknn-hep`` command (sknn_hep.cli)."""

import json
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sknn_hep.cli import main


def _metrics(text):
    values = {}
    for key, pattern in {
        "auc": r"^ROC AUC\s+([-\w.]+)",
        "weighted_auc": r"^weighted ROC AUC\s+([-\w.]+)",
        "ams": r"^AMS_max\s+([-\w.]+)",
        "rejection": r"^1/eps_B at eps_S = 0.3\s+([-\w.]+)",
    }.items():
        match = re.search(pattern, text, flags=re.MULTILINE)
        assert match, f"{key} not printed in:\n{text}"
        values[key] = float(match.group(1))
    return values


def _sigint(monkeypatch, at_epoch):
    """Send SIGINT (Ctrl-C) after epoch ``at_epoch`` (counted over all networks).

    Returns the counts of networks fitted (``fits``) and epochs trained.
    """
    import os
    import signal

    from sknn_hep.neural_network._net import TensorNet

    calls = {"fits": 0, "epochs": 0}
    partial_fit, run_epoch = TensorNet.partial_fit, TensorNet.run_single_epoch

    def counting_fit(self, *args, **kwargs):
        calls["fits"] += 1
        return partial_fit(self, *args, **kwargs)

    def interrupted_epoch(self, iterator, training, *args, **kwargs):
        result = run_epoch(self, iterator, training, *args, **kwargs)
        if training:
            calls["epochs"] += 1
            if calls["epochs"] == at_epoch:
                os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(TensorNet, "partial_fit", counting_fit)
    monkeypatch.setattr(TensorNet, "run_single_epoch", interrupted_epoch)
    return calls


def _csv(path, n=600, seed=0):
    """Two separable classes; x2 is sometimes missing (-1.0), c a category."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "event": np.arange(n) + 1000,
            "x0": rng.normal(2.0 * y, 1.0),
            "x1": rng.exponential(1.0 + 2.0 * y),
            "x2": np.where(rng.random(n) < 0.2, -1.0, rng.normal(-y, 1.0)),
            "c": rng.integers(0, 3, n),
            "label": np.where(y == 1, "sig", "bkg"),
            "w": rng.uniform(0.5, 1.5, n),
        }
    )
    frame.to_csv(path, index=False)
    return frame


TOML = """
[data]
file = "{file}"
target = "label"
signal = "sig"
weight = "w"
event_number = "event"
categorical = ["c"]
missing_value = -1.0

[preprocessing]
log_shift = ["x1"]

[model]
n_layers = 1
n_units = 16
max_epochs = 20
batch_size = 64
lr = 0.01
verbose = 0
random_state = 0

[cross_training]
n_splits = 3
"""


# a quick network for the tests of the command's behaviour (not its quality)
QUICK = TOML.replace("max_epochs = 20", "max_epochs = 3").replace(
    "n_units = 16", "n_units = 4"
)


def _quick(tmp_path, n=200, **replace):
    """A small CSV and a quick config for it; returns the config path."""
    _csv(tmp_path / "events.csv", n=n)
    text = QUICK.format(file=(tmp_path / "events.csv").as_posix())
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    config = tmp_path / "run.toml"
    config.write_text(text)
    return config


def test_default_fit_fast(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["fit", "--fast", "--output", str(out)]) == 0
    printed = _metrics(capsys.readouterr().out)
    assert all(math.isfinite(v) for v in printed.values())
    assert printed["auc"] > 0.7
    assert printed["weighted_auc"] > 0.7
    assert printed["ams"] > 0.5
    assert printed["rejection"] > 1 / 0.3  # better than a random selection
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["auc"] == pytest.approx(printed["auc"], abs=1e-4)
    for name in ("roc.png", "overtraining.png", "history.png", "model.joblib"):
        assert (out / name).stat().st_size > 1000, name
    roles = json.loads((out / "roles.json").read_text())["data"]
    assert roles["event_number"] == "EventId" and roles["file"] == "higgs"

    # evaluate the saved cross-trained model on the bundled sample
    capsys.readouterr()
    ev = tmp_path / "ev"
    assert (
        main(["evaluate", str(out / "model.joblib"), "higgs", "--output", str(ev)]) == 0
    )
    table = _metrics(capsys.readouterr().out)
    assert table["auc"] > 0.7 and math.isfinite(table["ams"])
    assert (ev / "roc.png").is_file()


def test_toml_config_csv_and_evaluate(tmp_path, capsys):
    _csv(tmp_path / "events.csv")
    config = tmp_path / "run.toml"
    config.write_text(TOML.format(file=(tmp_path / "events.csv").as_posix()))
    out = tmp_path / "out"
    assert main(["fit", str(config), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 clones (event % 3)" in text
    assert "raw weights, not rescaled" in text
    assert _metrics(text)["auc"] > 0.85

    # new events, columns from roles.json next to the model
    _csv(tmp_path / "new.csv", n=300, seed=1)
    assert main(["evaluate", str(out / "model.joblib"), str(tmp_path / "new.csv"),
                 "--output", str(tmp_path / "ev")]) == 0  # fmt: skip
    assert _metrics(capsys.readouterr().out)["auc"] > 0.85
    # shuffled labels: the same model is at chance
    frame = pd.read_csv(tmp_path / "new.csv")
    frame["label"] = np.random.default_rng(0).permutation(frame["label"].to_numpy())
    frame.to_csv(tmp_path / "shuffled.csv", index=False)
    assert main(["evaluate", str(out / "model.joblib"), str(tmp_path / "shuffled.csv"),
                 "--output", str(tmp_path / "ev2")]) == 0  # fmt: skip
    assert _metrics(capsys.readouterr().out)["auc"] < 0.65


def test_yaml_config_without_cross_training(tmp_path, capsys):
    _csv(tmp_path / "events.csv")
    config = tmp_path / "run.yaml"
    config.write_text(
        f"data:\n  file: {(tmp_path / 'events.csv').as_posix()}\n  target: label\n"
        "  signal: sig\n  features: [x0, x1, x2]\n  missing_value: -1.0\n"
        "preprocessing:\n  missing_encoding: true\n"
        "model:\n  n_layers: 1\n  n_units: 16\n  max_epochs: 20\n  batch_size: 64\n"
        "  lr: 0.01\n  verbose: 0\n"
        "cross_training:\n  n_splits: 0\n"
    )
    out = tmp_path / "out"
    assert main(["fit", str(config), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "25 % held-out events" in text and "unit weights" in text
    assert _metrics(text)["auc"] > 0.85
    model = __import__("joblib").load(out / "model.joblib")
    assert [name for name, _ in model.steps] == [
        "columntransformer",
        "neuralclassifier",
    ]
    assert list(model.feature_names_in_) == ["x0", "x1", "x2"]


def test_tune_grid_and_evaluate(tmp_path, capsys):
    _csv(tmp_path / "events.csv")
    config = tmp_path / "tune.toml"
    config.write_text(
        TOML.format(file=(tmp_path / "events.csv").as_posix())
        + '[tune]\nkind = "grid"\nn_splits = 2\ninclude = ["n_units"]\n'
        "overrides = {n_units = [2, 32]}\n"
    )
    out = tmp_path / "out"
    assert main(["tune", str(config), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "grid search over neuralclassifier__n_units; folds: event % 2" in text
    best = float(re.search(r"best roc_auc .*: ([\d.]+)", text).group(1))
    assert best > 0.85
    # JSON numbers under the names of [model], printed as TOML lines
    params = json.loads((out / "best_params.json").read_text())
    assert set(params) == {"n_units"} and params["n_units"] in (2, 32)
    assert f"  n_units = {params['n_units']}\n" in text
    model = __import__("joblib").load(out / "model.joblib")
    assert model[-1].n_units == params["n_units"]
    assert main(["evaluate", str(out / "model.joblib"), str(tmp_path / "events.csv"),
                 "--output", str(tmp_path / "ev")]) == 0  # fmt: skip
    assert _metrics(capsys.readouterr().out)["auc"] > 0.85


def test_report(tmp_path, capsys):
    frame = _csv(tmp_path / "events.csv", n=200)
    config = tmp_path / "run.toml"
    config.write_text(TOML.format(file="ignored.csv"))
    out = tmp_path / "rep"
    assert main(["report", str(tmp_path / "events.csv"), "--config", str(config),
                 "--output", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    n_sig = int((frame["label"] == "sig").sum())
    assert f"signal{n_sig:>15} events" in text
    missing = (frame["x2"] == -1.0).mean()
    assert re.search(rf"x2\s+{missing:.1%}", text)
    assert "x0 " not in text.split("missing fractions:")[1]
    assert (out / "report.png").stat().st_size > 1000


@pytest.mark.parametrize("fmt", ["hdf5", "root"])
def test_report_hdf5_and_root(tmp_path, capsys, fmt):
    frame = _csv(tmp_path / "events.csv", n=200)
    frame["y"] = (frame["label"] == "sig").astype(int)
    columns = ["event", "x0", "x1", "y"]
    if fmt == "hdf5":
        pytest.importorskip("tables")
        path, extra = tmp_path / "events.h5", ""
        frame[columns].to_hdf(path, key="table", format="table")
    else:
        uproot = pytest.importorskip("uproot")
        path, extra = tmp_path / "events.root", 'tree = "events"\n'
        with uproot.recreate(path) as f:
            f["events"] = {c: frame[c].to_numpy() for c in columns}
    config = tmp_path / "run.toml"
    config.write_text(f'[data]\n{extra}target = "y"\nevent_number = "event"\n')
    assert main(["report", str(path), "--config", str(config),
                 "--output", str(tmp_path / "r")]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert text.startswith("200 events, 2 features\n")
    assert f"signal{int(frame['y'].sum()):>15} events" in text
    # a ROOT-only key on an HDF5 file (and the reverse) is an error
    wrong = 'tree = "events"\n' if fmt == "hdf5" else 'key = "table"\n'
    config.write_text(f'[data]\nfile = "x"\n{wrong}target = "y"\n')
    assert main(["report", str(path), "--config", str(config)]) == 2
    assert f"is read as {fmt}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, message",
    [
        ("[data]\nweigth = 'w'\n", "Unknown key 'weigth' in the [data] table"),
        ("[modle]\nn_units = 3\n", "Unknown table 'modle'"),
        ("[model]\nn_unitz = 3\n", "Unknown key 'n_unitz' in the [model] table"),
        # a wrong type names the key, the expected type and the value
        (
            "[model]\nn_units = '64'\n",
            "In the [model] table of the config: The 'n_units' parameter of "
            "NeuralClassifier must be an int in the range [1, inf). Got '64' instead.",
        ),
        (
            "[model]\nhidden_layer_sizes = ['64']\n",
            "In the [model] table of the config: The 'hidden_layer_sizes' parameter",
        ),
        # a string where a list is expected is not split into characters
        (
            "[data]\ncategorical = 'PRI_jet_num'\n",
            "The 'categorical' key of [data] must be a list of column names, e.g. "
            "[\"PRI_jet_num\"]. Got 'PRI_jet_num' instead.",
        ),
        ("[data]\nfeatures = 'x0'\n", "The 'features' key of [data] must be a list"),
        ("[preprocessing]\nlog_shift = 'x1'\n", "'log_shift' key of [preprocessing]"),
        ("[tune]\ninclude = 'lr'\n", "The 'include' key of [tune] must be a list"),
        (
            "[tune]\noverrides = {n_units = 64}\n",
            "The 'overrides' key of [tune]: the values of 'n_units' must be a list",
        ),
        ("[fast]\nn_events = 'all'\n", "The 'n_events' key of [fast] must be an int"),
        ("[data]\nweight = 3\n", "The 'weight' key of [data] must be a column name"),
        ("[data]\nmissing_value = 'NA'\n", "'missing_value' key of [data]"),
        ("[data]\nallow_pickle = 'yes'\n", "'allow_pickle' key of [data] must be"),
        ("[preprocessing]\nmissing_encoding = 1\n", "'missing_encoding' key"),
        ("[model]\ndropout = 1.5\n", "'dropout' parameter of NeuralClassifier"),
        ("[cross_training]\nn_splits = 1\n", "'n_splits' key of [cross_training]"),
        (
            "[data]\nfile = 'nowhere.csv'\ntarget = 'y'\n",
            "'nowhere.csv' does not exist",
        ),
        ("[data\n", "Cannot parse"),
        ("[tune]\nkind = 'annealing'\n", "'kind' key of [tune]"),
        ("[cross_training]\nn_members = 0\n", "'n_members' key of [cross_training]"),
        ("[preprocessing]\nphysics_features = 'z'\n", "'physics_features' key"),
        ("[preprocessing]\nshift = 'log'\n", "'shift' key of [preprocessing]"),
    ],
)
def test_config_errors(tmp_path, capsys, content, message):
    config = tmp_path / "bad.toml"
    config.write_text(content)
    assert main(["fit", str(config), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_files(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "none.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "m.joblib"), "higgs"]) == 2
    assert "model file" in capsys.readouterr().err
    assert main(["fit", "--bogus"]) == 2


def test_python_m_help():
    done = subprocess.run(
        [sys.executable, "-m", "sknn_hep", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert (
        "fit" in done.stdout and "evaluate" in done.stdout and "report" in done.stdout
    )


def test_training_errors_are_one_line_and_exit_1(tmp_path, capsys):
    _csv(tmp_path / "d.csv")
    config = tmp_path / "c.toml"
    diverging = TOML.format(file=tmp_path / "d.csv").replace(
        "lr = 0.01", "lr = 1e12\noptimizer = 'sgd'"
    )
    config.write_text(diverging)
    assert main(["fit", str(config), "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sknn-hep fit: error: TrainingDivergedError: Training ")
    assert "Lower the learning rate 'lr'" in err and "--traceback" in err
    assert "Traceback" not in err and err.count("\n") == 1
    # --traceback shows the error itself
    from sknn_hep.neural_network import TrainingDivergedError

    with pytest.raises(TrainingDivergedError):
        main(["fit", str(config), "--traceback", "--output", str(tmp_path / "o")])


def test_threads_option(tmp_path, capsys):
    import torch

    before = torch.get_num_threads()
    try:
        args = ["report", "higgs", "--threads", "2", "--output", str(tmp_path)]
        assert main(args) == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert main(["report", "higgs", "--threads", "0"]) == 2
    assert "--threads: must be a positive integer, got '0'" in capsys.readouterr().err


def test_seed_ensemble_per_fold_and_physics_features_need_higgs_columns(
    tmp_path, capsys
):
    _csv(tmp_path / "d.csv")
    config = tmp_path / "c.toml"
    text = TOML.format(file=tmp_path / "d.csv").replace(
        "n_splits = 3", "n_splits = 3\nn_members = 2"
    )
    config.write_text(text)
    out = tmp_path / "out"
    assert main(["fit", str(config), "--output", str(out)]) == 0
    assert _metrics(capsys.readouterr().out)["auc"] > 0.85
    model = __import__("joblib").load(out / "model.joblib")
    assert len(model.estimators_) == 3
    assert all(len(member.estimators_) == 2 for member in model.estimators_)
    assert (out / "history.png").stat().st_size > 0
    config.write_text(
        text.replace("[preprocessing]", "[preprocessing]\nphysics_features = 'higgs'")
    )
    assert main(["fit", str(config), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "physics_features = 'higgs' needs the Higgs-challenge columns" in err


def test_version(capsys):
    import sknn_hep

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"sknn-hep {sknn_hep.__version__}\n"


def test_output_checked_before_training(tmp_path, capsys):
    config = _quick(tmp_path)
    (tmp_path / "taken").write_text("a file")
    for output in ("taken", "taken/out"):
        path = str(tmp_path / output)
        assert main(["fit", str(config), "--output", path]) == 2
        captured = capsys.readouterr()
        assert "is a file, not a folder" in captured.err
        assert "cross-training" not in captured.out  # nothing was trained
    (tmp_path / "out" / "model.joblib").mkdir(parents=True)
    assert main(["fit", str(config), "--output", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "model.joblib" in captured.err and "is a folder" in captured.err
    assert "cross-training" not in captured.out


def test_signal_not_among_the_labels(tmp_path, capsys):
    config = _quick(tmp_path, **{'signal = "sig"': 'signal = "sgn"'})
    out = tmp_path / "out"
    assert main(["fit", str(config), "--output", str(out)]) == 2
    captured = capsys.readouterr()
    assert (
        "The 'signal' key of [data] is 'sgn', which is not a value of the target "
        "column 'label'; its values: 'bkg', 'sig'." in captured.err
    )
    assert "cross-training" not in captured.out and not out.exists()


def test_report_without_target(tmp_path, capsys):
    frame = _csv(tmp_path / "events.csv", n=100)
    out = tmp_path / "rep"
    assert main(["report", str(tmp_path / "events.csv"), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    # no roles: every numeric column is a feature, no class lines
    assert text.startswith(
        f"100 events, {frame.shape[1] - 1} features\nleft out (not numeric): label\n"
    )
    assert "signal" not in text
    assert (out / "report.png").stat().st_size > 1000


def test_best_params_are_plain_json_for_model_table():
    from sknn_hep.cli import _best_params

    best = _best_params(
        {
            "neuralclassifier__lr": np.float64(0.27),
            "neuralclassifier__n_units": np.int64(32),
            "neuralclassifier__batch_norm": np.bool_(True),
            "neuralclassifier__hidden_layer_sizes": (np.int64(64), 32),
            "neuralclassifier__activation": np.str_("relu"),
            "neuralclassifier__lr_schedule": None,
        }
    )
    assert json.dumps(best) == (
        '{"lr": 0.27, "n_units": 32, "batch_norm": true, "hidden_layer_sizes": '
        '[64, 32], "activation": "relu", "lr_schedule": null}'
    )


def test_model_written_before_metrics_and_plots(tmp_path, capsys, monkeypatch):
    import joblib

    import sknn_hep.plotting

    def broken(*args, **kwargs):
        raise RuntimeError("the figure failed")

    monkeypatch.setattr(sknn_hep.plotting, "plot_roc", broken)
    config = _quick(tmp_path)
    out = tmp_path / "out"
    assert main(["fit", str(config), "--output", str(out)]) == 1
    assert "RuntimeError: the figure failed" in capsys.readouterr().err
    model = joblib.load(out / "model.joblib")
    X = pd.read_csv(tmp_path / "events.csv")
    proba = model.predict_proba(X[["x0", "x1", "x2", "c"]], groups=X["event"])
    assert proba.shape == (200, 2)
    assert json.loads((out / "roles.json").read_text())["data"]["target"] == "label"
    assert set(json.loads((out / "metrics.json").read_text())) >= {"auc", "ams"}


def test_model_file_replaced_atomically(tmp_path, capsys, monkeypatch):
    import joblib

    config = _quick(tmp_path, **{"n_splits = 3": "n_splits = 0"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.joblib").write_bytes(b"the previous model")
    dump = joblib.dump

    def interrupted_dump(value, filename, *args, **kwargs):
        # Ctrl-C halfway through writing the model
        if hasattr(filename, "write"):
            filename.write(b"half a model")
        else:
            with open(filename, "wb") as f:
                f.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", interrupted_dump)
    assert main(["fit", str(config), "--output", str(out)]) == 130
    assert (out / "model.joblib").read_bytes() == b"the previous model"
    assert sorted(p.name for p in out.iterdir()) == ["model.joblib"]  # no leftovers
    monkeypatch.setattr(joblib, "dump", dump)
    assert main(["fit", str(config), "--output", str(out)]) == 0
    assert joblib.load(out / "model.joblib")[-1].n_iter_ >= 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to itself: POSIX")
def test_ctrl_c_stops_the_whole_cross_training(tmp_path, capsys, monkeypatch):
    config = _quick(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.joblib").write_bytes(b"the previous model")
    calls = _sigint(monkeypatch, at_epoch=1)
    assert main(["fit", str(config), "--output", str(out)]) == 130
    assert calls["fits"] == 1  # clones 2 and 3 never started
    err = capsys.readouterr().err
    assert "sknn-hep fit: interrupted" in err and "no model was saved" in err
    assert (out / "model.joblib").read_bytes() == b"the previous model"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to itself: POSIX")
def test_ctrl_c_stops_the_whole_search(tmp_path, capsys, monkeypatch):
    config = _quick(tmp_path)
    with config.open("a") as f:
        f.write('[tune]\nkind = "grid"\nn_splits = 2\ninclude = ["n_units"]\n')
    calls = _sigint(monkeypatch, at_epoch=1)
    assert main(["tune", str(config), "--output", str(tmp_path / "out")]) == 130
    assert calls["fits"] == 1
    assert "sknn-hep tune: interrupted" in capsys.readouterr().err
    assert not (tmp_path / "out" / "model.joblib").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to itself: POSIX")
def test_ctrl_c_in_a_single_training_saves_its_model(tmp_path, capsys, monkeypatch):
    import joblib

    config = _quick(
        tmp_path, **{"n_splits = 3": "n_splits = 0", "max_epochs = 3": "max_epochs = 9"}
    )
    out = tmp_path / "out"
    calls = _sigint(monkeypatch, at_epoch=2)
    with pytest.warns(UserWarning, match="Training interrupted by the user"):
        assert main(["fit", str(config), "--output", str(out)]) == 130
    assert calls["fits"] == 1 and calls["epochs"] == 2
    err = capsys.readouterr().err
    assert "training interrupted" in err and str(out / "model.joblib") in err
    model = joblib.load(out / "model.joblib")
    assert model[-1].n_iter_ == 1  # the interrupted epoch is dropped
    assert (out / "metrics.json").is_file() and (out / "roc.png").is_file()


def test_fit_safe_format_and_evaluate_by_content(tmp_path, capsys):
    from sknn_hep.io import load

    config = _quick(tmp_path)
    out = tmp_path / "out"
    args = ["fit", str(config), "--output", str(out), "--model-format", "safetensors"]
    assert main(args) == 0
    fitted = json.loads((out / "metrics.json").read_text())
    assert (out / "model.safetensors").is_file()
    assert not (out / "model.joblib").exists()
    load(out / "model.safetensors")  # the safe format, no pickle
    capsys.readouterr()
    # chosen by content, whatever the name
    (out / "model.safetensors").rename(out / "model.bin")
    assert main(["evaluate", str(out / "model.bin"), str(tmp_path / "events.csv"),
                 "--output", str(tmp_path / "ev")]) == 0  # fmt: skip
    # out-of-fold predictions, as in fit
    assert _metrics(capsys.readouterr().out)["auc"] == pytest.approx(
        fitted["auc"], abs=1e-4
    )
    assert main(["fit", str(config), "--model-format", "pickle"]) == 2


def test_hdf5_pickle_opt_in(tmp_path, capsys):
    pytest.importorskip("tables")
    frame = _csv(tmp_path / "events.csv", n=100)
    path = tmp_path / "events.h5"
    frame.to_hdf(path, key="table", format="fixed")  # text labels: pickled
    config = tmp_path / "run.toml"
    config.write_text('[data]\nfile = "x"\ntarget = "label"\nsignal = "sig"\n')
    args = ["report", str(path), "--config", str(config), "--output", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "holds pickled Python objects" in err
    assert "allow_pickle = true in [data]" in err
    config.write_text(config.read_text() + "allow_pickle = true\n")
    assert main(args) == 0


# ------------------------------------------------------------ ROOT in [data]
def _root_events(path, n, seed, signal):
    """``n`` events: met, jagged Muon_Px/Muon_Py, genWeight, event, y."""
    uproot = pytest.importorskip("uproot")
    ak = pytest.importorskip("awkward")
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 4, n)
    px = ak.unflatten(rng.normal(2.0 * signal, 1.0, counts.sum()), counts)
    py = ak.unflatten(rng.normal(0.0, 1.0, counts.sum()), counts)
    columns = {
        "met": rng.exponential(10.0 + 20.0 * signal, n),
        "Muon_Px": px,
        "Muon_Py": py,
        "genWeight": rng.uniform(0.5, 1.5, n),
        "event": np.arange(n) + 1000 * seed,
        "y": np.full(n, signal, dtype=np.int32),
    }
    types = {k: "var * float64" if k.startswith("Muon") else v.dtype
             for k, v in columns.items()}  # fmt: skip
    with uproot.recreate(path) as f:
        f.mktree("events", types).extend(columns)
    return columns


def test_root_data_reads_used_branches_expands_jagged_features(tmp_path):
    from sknn_hep._config import merge_config
    from sknn_hep.cli import load_data

    ak = pytest.importorskip("awkward")
    parts = [_root_events(tmp_path / f"ev_{i}.root", 20, i, i) for i in range(2)]
    data = {
        "file": str(tmp_path / "ev_*.root"),
        "tree": "events",
        "target": "y",
        "event_number": "event",
        "features": ["met", "Muon_Px", "Muon_Py_0", "Muon_Px_count"],
        "max_length": {"Muon_Px": 2, "Muon_Py": 1},
        "cut": "met > 5",
        "entry_start": 3,
    }
    d = load_data(merge_config({"data": data}))
    X = d["X"]
    assert list(X.columns) == [
        "met", "Muon_Px_0", "Muon_Px_1", "Muon_Py_0", "Muon_Px_count"
    ]  # fmt: skip
    met = np.concatenate([p["met"] for p in parts])[3:]
    keep = met > 5
    np.testing.assert_array_equal(X["met"], met[keep])
    px = ak.concatenate([p["Muon_Px"] for p in parts])[3:][keep]
    np.testing.assert_array_equal(X["Muon_Px_count"], ak.num(px))
    # padding is the missing value: NaN by default
    first = ak.to_numpy(ak.fill_none(ak.pad_none(px, 2, clip=True), np.nan))
    np.testing.assert_array_equal(X[["Muon_Px_0", "Muon_Px_1"]], first)
    np.testing.assert_array_equal(
        d["y"], np.concatenate([p["y"] for p in parts])[3:][keep]
    )
    # the same through a list of files with a 'file:tree' each, and a pad_value
    data.pop("file")
    data.pop("tree")
    data["files"] = [f"{tmp_path / f'ev_{i}.root'}:events" for i in range(2)]
    data["pad_value"] = -1.0
    d2 = load_data(merge_config({"data": data}))
    np.testing.assert_array_equal(
        d2["X"]["Muon_Px_1"], np.nan_to_num(X["Muon_Px_1"], nan=-1.0)
    )


def test_root_data_filter_name_and_aliases(tmp_path):
    from sknn_hep._config import merge_config
    from sknn_hep.cli import load_data

    _root_events(tmp_path / "ev.root", 30, 0, 1)
    data = {
        "file": str(tmp_path / "ev.root"),
        "target": "y",
        "weight": "genWeight",
        "filter_name": ["Muon_*"],
        "aliases": {"met2": "met * 2"},
        "max_length": 1,
    }
    X = load_data(merge_config({"data": data}))["X"]
    # the filtered branches and the aliases are the features; the roles not
    assert list(X.columns) == ["Muon_Px_0", "Muon_Py_0", "met2"]


def test_root_data_jagged_needs_max_length(tmp_path, capsys):
    _root_events(tmp_path / "ev.root", 10, 0, 1)
    config = tmp_path / "run.toml"
    config.write_text('[data]\ntarget = "y"\nfeatures = ["met", "Muon_Px"]\n')
    assert main(["report", str(tmp_path / "ev.root"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "The branches ['Muon_Px'] are jagged" in err and "max_length" in err
    # a branch that is not in the file is named, with the file's columns
    config.write_text('[data]\ntarget = "y"\nfeatures = ["MET"]\nmax_length = 2\n')
    assert main(["report", str(tmp_path / "ev.root"), "--config", str(config)]) == 2
    assert "Column(s) 'MET' named in [data] are not in" in capsys.readouterr().err


SAMPLES_TOML = """
[data]
tree = "events"
features = ["met", "Muon_Px"]
max_length = 2
luminosity = 139e3

[[samples]]
name = "ggH"
files = ["{tmp}/sig_*.root"]
label = 1
weight = "genWeight * 0.5"

[[samples]]
name = "ttbar"
files = "{tmp}/tt.root"
label = 0
cross_section = 831.8
n_generated = 1e6
cut = "met < 40"
"""


def test_samples_build_one_table_with_labels_and_weights(tmp_path, capsys):
    from sknn_hep._config import merge_config, read_config_file
    from sknn_hep.cli import load_data

    sig = [_root_events(tmp_path / f"sig_{i}.root", 15, i, 1) for i in range(2)]
    tt = _root_events(tmp_path / "tt.root", 40, 5, 0)
    config = tmp_path / "run.toml"
    config.write_text(SAMPLES_TOML.format(tmp=tmp_path.as_posix()))
    d = load_data(merge_config(read_config_file(config)))
    keep = tt["met"] < 40
    n_sig = 30
    assert len(d["y"]) == n_sig + keep.sum()
    np.testing.assert_array_equal(d["y"], [1] * n_sig + [0] * int(keep.sum()))
    gen = np.concatenate([s["genWeight"] for s in sig])
    # signal: the weight expression; ttbar: 831.8 pb * 139e3 pb^-1 / 1e6
    np.testing.assert_allclose(d["w"][:n_sig], gen * 0.5)
    np.testing.assert_allclose(d["w"][n_sig:], 831.8 * 139e3 / 1e6)
    assert d["w"][n_sig:].sum() == pytest.approx(115.6202 * keep.sum())
    assert list(d["X"].columns) == ["met", "Muon_Px_0", "Muon_Px_1"]
    # and a quick training on them
    text = config.read_text() + (
        "\n[model]\nn_layers = 1\nn_units = 4\nmax_epochs = 2\nverbose = 0\n"
        "random_state = 0\n\n[cross_training]\nn_splits = 0\n"
    )
    config.write_text(text)
    assert main(["fit", str(config), "--output", str(tmp_path / "out")]) == 0
    assert (
        f"{len(d['y'])} events, {n_sig} signal, 3 features" in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        ("[data]\nfiles = 'a.root'\n", "The 'files' key of [data] must be a list"),
        ("[data]\nfile = 'a.root'\nfiles = ['b.root']\n", "either 'file' or 'files'"),
        ("[data]\nfile = 'a.root'\ncut = 3\n", "'cut' key of [data] must be an uproot"),
        ("[data]\nfile = 'a.root'\nmax_length = 0\n", "'max_length' key of [data]"),
        ("[data]\nfile = 'a.root'\nmax_length = {x = 'a'}\n", "'max_length' key"),
        ("[data]\nfile = 'a.root'\nentry_stop = 2.5\n", "'entry_stop' key of [data]"),
        ("[data]\nfile = 'a.root'\nfilter_name = 3\n", "'filter_name' key of [data]"),
        (
            "[data]\nfile = 'a.root'\nfilter_name = 'x*'\nfeatures = ['a']\n",
            "Set either 'features' or 'filter_name'",
        ),
        ("[data]\nfile = 'a.root'\naliases = {a = 1}\n", "'aliases' key of [data]"),
        ("[data]\nfile = 'a.root'\npad_value = 'x'\n", "'pad_value' key of [data]"),
        (
            "[data]\nfile = 'a.csv'\ntarget = 'y'\ncut = 'x > 1'\n",
            "'cut' key of [data] is for root",
        ),
        ("samples = 3\n", "'samples' entry of the config must be a list of tables"),
        ("[data]\ncut = 'x > 1'\n", "'cut' key of [data] is for root files; 'higgs'"),
        ("[data]\nfile = 'a.root'\nluminosity = 1.0\n", "no sample gives one"),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\n",
            "sample 's' needs 'label'",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 1\nxsec = 2\n",
            "Unknown key 'xsec' in the [[samples]] table of sample 's'",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 1\n"
            "cross_section = 2.0\n",
            "The cross-section of sample 's' needs n_generated and luminosity",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 1\n"
            "n_generated = 10\n",
            "sample 's' gives 'n_generated' without 'cross_section'",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 1\n"
            "cross_section = -2.0\n",
            "'cross_section' key of sample 's' must be a number > 0",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 1\n"
            "[[samples]]\nname = 'b'\nfiles = ['b.root']\nlabel = 1\n",
            "all have the label 1",
        ),
        (
            "[data]\ntarget = 'y'\n[[samples]]\nname = 's'\nfiles = ['a.root']\n"
            "label = 1\n",
            "the label of each sample are set in its table; leave 'target' out",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['a.root']\nlabel = 2\n"
            "[[samples]]\nname = 'b'\nfiles = ['b.root']\nlabel = 0\n",
            "use 1 (signal) and 0 (background)",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['{tmp}/ev.root']\nlabel = 1\n"
            "weight = 'genWeight2 * 0.5'\n"
            "[[samples]]\nname = 'b'\nfiles = ['b.root']\nlabel = 0\n",
            "sample 's': the 'weight' = 'genWeight2 * 0.5' uses 'genWeight2', "
            "which is not a branch of tree 'events'",
        ),
        (
            "[[samples]]\nname = 's'\nfiles = ['nowhere_*.root']\nlabel = 1\n"
            "[[samples]]\nname = 'b'\nfiles = ['b.root']\nlabel = 0\n",
            "Cannot read the [[samples]] as root: sample 's': read_root: no file "
            "matches 'nowhere_*.root'",
        ),
    ],
)
def test_root_config_errors(tmp_path, capsys, extra, message):
    _root_events(tmp_path / "ev.root", 5, 0, 1)
    config = tmp_path / "bad.toml"
    config.write_text(extra.replace("{tmp}", tmp_path.as_posix()))
    assert main(["fit", str(config), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_report_with_a_samples_config_reads_the_data_given(tmp_path, capsys):
    for name, signal in (("sig_0.root", 1), ("tt.root", 0)):
        _root_events(tmp_path / name, 12, signal, signal)
    config = tmp_path / "run.toml"
    config.write_text(SAMPLES_TOML.format(tmp=tmp_path.as_posix()))
    out = str(tmp_path / "r")
    assert main(["report", str(tmp_path / "tt.root"), "--config", str(config),
                 "--output", out]) == 0  # fmt: skip
    assert capsys.readouterr().out.startswith("12 events, 3 features\n")


def test_root_data_rntuple_collection_fields_as_features(tmp_path):
    from sknn_hep._config import merge_config
    from sknn_hep.cli import load_data

    uproot = pytest.importorskip("uproot")
    ak = pytest.importorskip("awkward")
    muons = [[{"pt": 1.0, "eta": 0.5}], [], [{"pt": 3.0, "eta": 1.0}] * 3]
    with uproot.recreate(tmp_path / "nt.root") as f:  # an RNTuple
        f["events"] = {"y": np.array([1, 0, 1]), "Muon": ak.Array(muons)}
    data = {"file": str(tmp_path / "nt.root"), "target": "y",
            "features": ["Muon.pt"], "max_length": 2, "pad_value": -1.0}  # fmt: skip
    d = load_data(merge_config({"data": data}))
    assert d["X"].to_numpy().tolist() == [[1.0, -1.0], [-1.0, -1.0], [3.0, 3.0]]
    assert list(d["X"].columns) == ["Muon.pt_0", "Muon.pt_1"]


def test_report_in_an_experiment_style(tmp_path, monkeypatch):
    import sknn_hep.plotting as plotting

    _csv(tmp_path / "events.csv", n=200)
    config = tmp_path / "run.toml"
    config.write_text(TOML.format(file="ignored.csv"))
    seen = {}
    original = plotting.plot_data_report

    def recording(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(plotting, "plot_data_report", recording)
    out = tmp_path / "rep"
    assert main(["report", str(tmp_path / "events.csv"), "--config", str(config),
                 "--output", str(out), "--style", "CMS", "--label", "Internal",
                 "--com", "13.6", "--lumi", "62"]) == 0  # fmt: skip
    assert (seen["style"], seen["label"], seen["com"], seen["lumi"]) == (
        "CMS",
        "Internal",
        13.6,
        62.0,
    )
    assert (out / "report.png").stat().st_size > 1000
    # an unknown style is refused by the command line
    assert main(["report", str(tmp_path / "events.csv"), "--style", "D0"]) == 2
