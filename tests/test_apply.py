"""Tests of sknn_hep.apply (apply_model, load_model) and ``sknn-hep apply``."""

import os
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from sknn_hep.apply import apply_model, load_model
from sknn_hep.cli import main
from sknn_hep.neural_network import NeuralClassifier

FEATURES = ["x0", "x1", "x2", "x3"]
CHUNK = 40  # several chunks per file


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    X["event"] = rng.permutation(10 * n)[:n].astype(np.int64) + 1000 * seed
    X["label"] = (X["x0"] + 0.5 * X["x1"] > 0).astype(np.int64)
    return X


@pytest.fixture(scope="module")
def model():
    train = _frame(120, seed=99)
    return NeuralClassifier(
        n_layers=1, n_units=8, max_epochs=2, verbose=0, random_state=0
    ).fit(train[FEATURES], train["label"])


def _write(frame, path, fmt, tree="events"):
    path = Path(path)
    if fmt == "root":
        import uproot

        with uproot.recreate(path) as f:
            f.mktree(tree, {c: frame[c].dtype for c in frame.columns})
            f[tree].extend({c: frame[c].to_numpy() for c in frame.columns})
    elif fmt == "parquet":
        frame.to_parquet(path, row_group_size=70)
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "hdf5":
        frame.to_hdf(path, key="events", format="table")
    elif fmt == "hdf5-fixed":
        frame.to_hdf(path, key="events", format="fixed")
    return path


SUFFIX = {
    "root": ".root",
    "parquet": ".parquet",
    "csv": ".csv",
    "hdf5": ".h5",
    "hdf5-fixed": ".h5",
}


def _read_output(path, tree="events"):
    path = Path(path)
    if path.suffix == ".root":
        import uproot

        return uproot.open(path)[tree].arrays(library="pd")
    return pd.read_parquet(path)


def _expected(model, frame):
    return model.predict_proba(frame[FEATURES])[:, 1]


def _check(out, model, frame, tree="events"):
    got = _read_output(out, tree)
    assert got.columns.tolist() == ["event", "score"]
    np.testing.assert_array_equal(got["event"].to_numpy(), frame["event"].to_numpy())
    np.testing.assert_allclose(
        got["score"].to_numpy(), _expected(model, frame), rtol=1e-6, atol=1e-7
    )


def _leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("."))


# -- scores equal in-memory prediction ------------------------------------------
@pytest.mark.parametrize("output_format", ["parquet", "root"])
@pytest.mark.parametrize("fmt", ["root", "parquet", "csv", "hdf5", "hdf5-fixed"])
def test_scores_match_in_memory_prediction(tmp_path, model, fmt, output_format):
    frame = _frame(150, seed=1)
    path = _write(frame, tmp_path / f"in{SUFFIX[fmt]}", fmt)
    outputs = apply_model(
        model,
        path,
        tmp_path / "out",
        id_columns=["event"],
        output_format=output_format,
        chunk_size=CHUNK,
        progress=False,
    )
    assert outputs == [tmp_path / "out" / f"in.{output_format}"]
    _check(outputs[0], model, frame)
    assert _leftovers(tmp_path / "out") == []


def test_three_files_then_rerun_after_deleting_one(tmp_path, model):
    """The issue's 'done when': three files, one output deleted, rerun."""
    frames = [_frame(130 + 10 * i, seed=i) for i in range(3)]
    inputs = [
        _write(f, tmp_path / f"run{i}{SUFFIX[fmt]}", fmt)
        for i, (f, fmt) in enumerate(zip(frames, ["root", "parquet", "csv"]))
    ]
    out = tmp_path / "scores"
    outputs = apply_model(
        model, inputs, out, id_columns="event", chunk_size=CHUNK, progress=False
    )
    assert [p.name for p in outputs] == ["run0.parquet", "run1.parquet", "run2.parquet"]
    for path, frame in zip(outputs, frames):
        _check(path, model, frame)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in outputs}

    outputs[1].unlink()
    again = apply_model(
        model, inputs, out, id_columns="event", chunk_size=CHUNK, progress=False
    )
    assert again == outputs
    for path in (outputs[0], outputs[2]):  # skipped: the same files, untouched
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == before[path]
    _check(outputs[1], model, frames[1])
    assert _leftovers(out) == []

    # overwrite=True rewrites every output, with the same scores (inode
    # numbers may be reused: spoil the files instead)
    for path in outputs:
        path.write_bytes(b"spoilt")
    apply_model(
        model,
        inputs,
        out,
        id_columns="event",
        chunk_size=CHUNK,
        overwrite=True,
        progress=False,
    )
    for path, frame in zip(outputs, frames):
        _check(path, model, frame)


def test_model_from_either_file_format(tmp_path, model):
    from sknn_hep.io import save

    frame = _frame(90, seed=3)
    path = _write(frame, tmp_path / "in.parquet", "parquet")
    safe, pickled = tmp_path / "model.safetensors", tmp_path / "model.joblib"
    save(model, safe)
    joblib.dump(model, pickled)
    # told apart by content, not by name
    os.replace(safe, tmp_path / "safe.bin")
    assert type(load_model(tmp_path / "safe.bin")).__name__ == "NeuralClassifier"
    for i, source in enumerate([tmp_path / "safe.bin", pickled]):
        [out] = apply_model(
            str(source),
            path,
            tmp_path / f"out{i}",
            id_columns="event",
            chunk_size=CHUNK,
            progress=False,
        )
        _check(out, model, frame)


# -- bounded memory -------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["root", "parquet", "csv", "hdf5", "hdf5-fixed"])
def test_no_chunk_larger_than_chunk_size(tmp_path, model, fmt, monkeypatch):
    frame = _frame(150, seed=4)
    path = _write(frame, tmp_path / f"in{SUFFIX[fmt]}", fmt)
    sizes = []
    predict_proba = model.predict_proba

    def recording(X):
        sizes.append(len(X))
        return predict_proba(X)

    monkeypatch.setattr(model, "predict_proba", recording)
    apply_model(model, path, tmp_path / "out", chunk_size=CHUNK, progress=False)
    assert sum(sizes) == 150
    assert max(sizes) <= CHUNK
    assert len(sizes) >= 150 // CHUNK + 1


# -- interrupted runs -------------------------------------------------------------
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("output_format", ["parquet", "root"])
def test_interrupted_run_leaves_no_partial_output(
    tmp_path, model, monkeypatch, error, output_format
):
    frames = [_frame(120, seed=10 + i) for i in range(3)]
    inputs = [
        _write(f, tmp_path / f"f{i}.parquet", "parquet") for i, f in enumerate(frames)
    ]
    out = tmp_path / "out"
    calls = []
    predict_proba = model.predict_proba

    def failing(X):
        calls.append(len(X))
        if len(calls) == 5:  # the second chunk of the second file
            raise error("stopped")
        return predict_proba(X)

    monkeypatch.setattr(model, "predict_proba", failing)
    with pytest.raises(error, match="stopped"):
        apply_model(
            model,
            inputs,
            out,
            id_columns="event",
            output_format=output_format,
            chunk_size=CHUNK,
            progress=False,
        )
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"f0.{output_format}"]  # no partial f1, no temporary file
    monkeypatch.undo()
    outputs = apply_model(
        model,
        inputs,
        out,
        id_columns="event",
        output_format=output_format,
        chunk_size=CHUNK,
        progress=False,
    )
    for path, frame in zip(outputs, frames):
        _check(path, model, frame)
    assert _leftovers(out) == []


# -- ROOT outputs as friend trees -------------------------------------------------
def test_root_output_is_a_friend_tree(tmp_path, model):
    import uproot

    frame = _frame(170, seed=5)
    path = _write(frame, tmp_path / "events.root", "root", tree="nominal")
    [out] = apply_model(
        model,
        path,
        tmp_path / "friends",
        output_format="root",
        chunk_size=CHUNK,
        progress=False,
    )
    assert out == tmp_path / "friends" / "events.root"
    with uproot.open(path) as source, uproot.open(out) as friend:
        assert friend.classnames() == {"nominal;1": "TTree"}
        assert friend["nominal"].num_entries == source["nominal"].num_entries == 170
        assert friend["nominal"].keys() == ["score"]
        scores = friend["nominal"]["score"].array(library="np")
        inputs = source["nominal"].arrays(FEATURES, library="pd")
    np.testing.assert_allclose(scores, _expected(model, inputs), rtol=1e-6, atol=1e-7)


def test_root_output_of_other_inputs_names_its_tree(tmp_path, model):
    frame = _frame(60, seed=6)
    path = _write(frame, tmp_path / "in.csv", "csv")
    [out] = apply_model(
        model, path, tmp_path / "a", output_format="root", progress=False
    )
    _check_names = _read_output(out, "events").columns.tolist()
    assert _check_names == ["score"]
    [out] = apply_model(
        model,
        path,
        tmp_path / "b",
        output_format="root",
        tree="scores",
        id_columns="event",
        progress=False,
    )
    _check(out, model, frame, tree="scores")


def test_empty_input(tmp_path, model):
    frame = _frame(0, seed=7)
    for fmt in ("parquet", "csv", "root"):
        path = _write(frame, tmp_path / f"e{SUFFIX[fmt]}", fmt)
        for output_format in ("parquet", "root"):
            [out] = apply_model(
                model,
                path,
                tmp_path / f"{fmt}-{output_format}",
                output_format=output_format,
                id_columns="event",
                progress=False,
            )
            got = _read_output(out)
            assert len(got) == 0 and got.columns.tolist() == ["event", "score"]


# -- score columns of other models ------------------------------------------------
def test_multiclass_and_regressor_columns(tmp_path):
    from sknn_hep.neural_network import NeuralRegressor

    frame = _frame(90, seed=8)
    labels = np.array(["a", "b", "c"])[np.arange(90) % 3]
    multi = NeuralClassifier(
        n_layers=1, n_units=4, max_epochs=1, verbose=0, random_state=0
    ).fit(frame[FEATURES], labels)
    path = _write(frame, tmp_path / "in.parquet", "parquet")
    [out] = apply_model(
        multi, path, tmp_path / "m", chunk_size=CHUNK, score_name="p", progress=False
    )
    got = pd.read_parquet(out)
    assert got.columns.tolist() == ["p_a", "p_b", "p_c"]
    np.testing.assert_allclose(
        got.to_numpy(), multi.predict_proba(frame[FEATURES]), rtol=1e-6, atol=1e-7
    )

    reg = NeuralRegressor(
        n_layers=1, n_units=4, max_epochs=1, verbose=0, random_state=0
    ).fit(frame[FEATURES], frame["x0"] * 2)
    [out] = apply_model(reg, path, tmp_path / "r", chunk_size=CHUNK, progress=False)
    got = pd.read_parquet(out)
    assert got.columns.tolist() == ["score"]
    np.testing.assert_allclose(
        got["score"], reg.predict(frame[FEATURES]), rtol=1e-6, atol=1e-6
    )


def test_multitask_columns(tmp_path):
    from sknn_hep.neural_network import MultiTaskNeuralNet

    frame = _frame(90, seed=9)
    y = pd.DataFrame(
        {
            "sig": frame["label"],
            "kind": np.array(["u", "d", "s"])[np.arange(90) % 3],
            "mass": frame["x1"] * 3.0,
        }
    )
    net = MultiTaskNeuralNet(
        n_layers=1, n_units=4, max_epochs=1, verbose=0, random_state=0
    ).fit(frame[FEATURES], y)
    path = _write(frame, tmp_path / "in.csv", "csv")
    [out] = apply_model(net, path, tmp_path / "o", chunk_size=CHUNK, progress=False)
    got = pd.read_parquet(out)
    kinds = [f"score_kind_{c}" for c in net.task_classes_[1]]
    assert got.columns.tolist() == ["score_sig", *kinds, "score_mass"]
    proba = net.predict_proba(frame[FEATURES])
    np.testing.assert_allclose(got["score_sig"], proba[0][:, 1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got[kinds].to_numpy(), proba[1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        got["score_mass"],
        net.predict(frame[FEATURES])[:, 2].astype(float),
        rtol=1e-6,
        atol=1e-6,
    )


def test_cross_trained_model_with_event_numbers(tmp_path):
    from sknn_hep.ensemble import CrossTrainingClassifier

    frame = _frame(120, seed=11)
    ct = CrossTrainingClassifier(
        NeuralClassifier(
            n_layers=1, n_units=4, max_epochs=1, verbose=0, random_state=0
        ),
        n_splits=2,
    ).fit(frame[FEATURES], frame["label"], groups=frame["event"])
    path = _write(frame, tmp_path / "in.parquet", "parquet")
    [out] = apply_model(
        ct,
        path,
        tmp_path / "o",
        event_number="event",
        id_columns="event",
        chunk_size=CHUNK,
        progress=False,
    )
    got = pd.read_parquet(out)
    expected = ct.predict_proba(frame[FEATURES], groups=frame["event"])[:, 1]
    np.testing.assert_allclose(got["score"], expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(expected, ct.predict_proba(frame[FEATURES])[:, 1])


# -- errors -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"chunk_size": 0},
            "'chunk_size' parameter of apply_model must be an int >= 1. Got 0",
        ),
        ({"chunk_size": 2.5}, "'chunk_size' .* Got 2.5"),
        ({"output_format": "csv"}, "'output_format' .* Got 'csv'"),
        ({"input_format": "json"}, "'input_format' .* Got 'json'"),
        ({"score_name": ""}, "'score_name' .* Got ''"),
        ({"overwrite": "no"}, "'overwrite' parameter .* must be a bool. Got 'no'"),
        ({"tree": "events"}, "'tree' parameter of apply_model is for root inputs"),
        ({"key": "t"}, "'key' parameter of apply_model is for hdf5 inputs"),
        ({"allow_pickle": True}, "'allow_pickle' parameter .* for hdf5 inputs"),
        ({"id_columns": ["event", "event"]}, "'id_columns' .* names a column twice"),
        ({"id_columns": 3}, "'id_columns' .* column name or a list"),
        (
            {"columns": FEATURES[:3] + ["nope"]},
            r"column\(s\) \['nope'\] not in .*in.csv",
        ),
        ({"columns": ["x0", "x1"]}, "must name the model's 4 input columns.*Got 2"),
        ({"id_columns": "score"}, r"score column\(s\) \['score'\] would be named"),
        ({"event_number": "event"}, "'event_number' parameter .* cross-trained"),
    ],
)
def test_bad_parameters(tmp_path, model, params, match):
    frame = _frame(20, seed=12).assign(score=1.0)
    path = _write(frame, tmp_path / "in.csv", "csv")
    with pytest.raises(ValueError, match=match):
        apply_model(model, path, tmp_path / "out", progress=False, **params)
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_checks_before_any_output(tmp_path, model):
    frame = _frame(20, seed=13)
    good = _write(frame, tmp_path / "good.csv", "csv")
    bad = _write(frame.drop(columns="x3"), tmp_path / "bad.parquet", "parquet")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"\['x3'\] not in .*bad.parquet"):
        apply_model(model, [good, bad], out, progress=False)
    assert not out.exists()
    with pytest.raises(FileNotFoundError, match="no such input file"):
        apply_model(model, [good, tmp_path / "missing.root"], out, progress=False)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        apply_model(tmp_path / "missing.joblib", good, out, progress=False)
    with pytest.raises(ValueError, match="cannot tell the format"):
        apply_model(
            model, _write(frame, tmp_path / "x.txt", "csv"), out, progress=False
        )
    apply_model(model, tmp_path / "x.txt", out, input_format="csv", progress=False)
    assert (out / "x.parquet").is_file()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    twins = [_write(frame, tmp_path / d / "same.csv", "csv") for d in "ab"]
    with pytest.raises(ValueError, match="would both be written to"):
        apply_model(model, twins, tmp_path / "o2", progress=False)
    root = _write(frame, tmp_path / "self.root", "root")
    with pytest.raises(ValueError, match="would be .*self.root.*, an input"):
        apply_model(model, root, tmp_path, output_format="root", progress=False)
    with pytest.raises(ValueError, match="is a file, not a folder"):
        apply_model(model, good, good / "sub", progress=False)
    with pytest.raises(ValueError, match="without column names"):
        apply_model(
            NeuralClassifier(max_epochs=1, verbose=0).fit(
                frame[FEATURES].to_numpy(), frame["label"]
            ),
            good,
            tmp_path / "o3",
            progress=False,
        )
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        apply_model(NeuralClassifier(), good, tmp_path / "o4", progress=False)


def test_root_tree_is_checked(tmp_path, model):
    import uproot

    frame = _frame(20, seed=14)
    path = tmp_path / "two.root"
    with uproot.recreate(path) as f:
        for name in ("a", "b"):
            f.mktree(name, {c: frame[c].dtype for c in FEATURES})
            f[name].extend({c: frame[c].to_numpy() for c in FEATURES})
    with pytest.raises(ValueError, match="'tree' parameter of apply_model is needed"):
        apply_model(model, path, tmp_path / "out", progress=False)
    with pytest.raises(ValueError, match="no TTree.* 'c'"):
        apply_model(model, path, tmp_path / "out", tree="c", progress=False)
    [out] = apply_model(
        model, path, tmp_path / "out", tree="b", output_format="root", progress=False
    )
    assert _read_output(out, "b").columns.tolist() == ["score"]


def test_hdf5_pickles_refused(tmp_path, model):
    frame = _frame(30, seed=15).assign(tag="text")  # object column: pickled
    path = _write(frame, tmp_path / "fixed.h5", "hdf5-fixed")
    with pytest.raises(ValueError, match="pickled Python objects"):
        apply_model(model, path, tmp_path / "out", progress=False)
    [out] = apply_model(
        model,
        path,
        tmp_path / "out",
        allow_pickle=True,
        id_columns=["event", "tag"],
        chunk_size=CHUNK,
        progress=False,
    )
    assert pd.read_parquet(out)["tag"].tolist() == ["text"] * 30


# -- the command ------------------------------------------------------------------
def test_cli_apply_end_to_end(tmp_path, model, capsys):
    from sknn_hep.io import save

    frames = [_frame(100, seed=20 + i) for i in range(3)]
    inputs = [
        str(_write(f, tmp_path / f"d{i}{SUFFIX[fmt]}", fmt))
        for i, (f, fmt) in enumerate(zip(frames, ["root", "hdf5", "csv"]))
    ]
    save(model, tmp_path / "model.safetensors")
    out = tmp_path / "scores"
    argv = [
        "apply",
        str(tmp_path / "model.safetensors"),
        *inputs,
        "--output",
        str(out),
        "--id-column",
        "event",
        "--format",
        "root",
        "--chunk-size",
        "30",
        "--quiet",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "3 written, 0 skipped" in printed.out
    for i, frame in enumerate(frames):
        _check(out / f"d{i}.root", model, frame)
    (out / "d1.root").unlink()
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1 written, 2 skipped" in printed
    assert f"skipped {out / 'd0.root'}" in printed
    _check(out / "d1.root", model, frames[1])


def test_cli_apply_errors(tmp_path, model, capsys):
    frame = _frame(20, seed=30)
    data = str(_write(frame, tmp_path / "in.csv", "csv"))
    saved = tmp_path / "model.joblib"
    joblib.dump(model, saved)
    out = str(tmp_path / "out")
    cases = [
        (
            ["apply", str(tmp_path / "nope.joblib"), data, "--output", out],
            "no such model file",
        ),
        (
            ["apply", str(saved), str(tmp_path / "nope.csv"), "--output", out],
            "no such input file",
        ),
        (
            [
                "apply",
                str(saved),
                data,
                "--output",
                out,
                "--columns",
                "x0",
                "x1",
                "x2",
                "y",
            ],
            r"\['y'\] not in",
        ),
        (["apply", str(saved), data, "--output", data], "is a file, not a folder"),
        (
            ["apply", str(saved), data, "--output", out, "--chunk-size", "0"],
            "must be a positive integer",
        ),
        (["apply", str(saved), data], "--output"),
    ]
    for argv, match in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert re.search(match, err), (argv, err)
        if not err.startswith("usage:"):  # argparse's own errors show the usage
            assert err.count("\n") == 1 and "Traceback" not in err
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"not a model")
    assert main(["apply", str(broken), data, "--output", out]) == 2
    assert "cannot read the model file" in capsys.readouterr().err.lower()
    assert not Path(out).exists()


def test_columns_named_otherwise_are_renamed(tmp_path, model):
    frame = _frame(80, seed=16)
    renamed = frame.rename(columns={c: f"b_{c}" for c in FEATURES})
    path = _write(renamed, tmp_path / "in.parquet", "parquet")
    [out] = apply_model(
        model,
        path,
        tmp_path / "out",
        columns=[f"b_{c}" for c in FEATURES],
        id_columns="event",
        chunk_size=CHUNK,
        progress=False,
    )
    _check(out, model, frame)


@pytest.mark.parametrize("output_format", ["parquet", "root"])
def test_id_column_changing_type_between_chunks(tmp_path, model, output_format):
    frame = _frame(100, seed=17)
    path = _write(frame, tmp_path / "in.csv", "csv")
    text = path.read_text().splitlines()
    header = text[0].split(",")
    last = text[-1].split(",")
    last[header.index("event")] = ""  # a missing id: that chunk reads floats
    path.write_text("\n".join([*text[:-1], ",".join(last)]) + "\n")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="'event'|event"):
        apply_model(
            model,
            path,
            out,
            id_columns="event",
            output_format=output_format,
            chunk_size=CHUNK,
            progress=False,
        )
    assert list(out.iterdir()) == []


def test_cli_ctrl_c_keeps_finished_outputs(tmp_path, model, capsys, monkeypatch):
    frames = [_frame(60, seed=40 + i) for i in range(2)]
    inputs = [
        str(_write(f, tmp_path / f"c{i}.parquet", "parquet"))
        for i, f in enumerate(frames)
    ]
    saved = tmp_path / "model.joblib"
    joblib.dump(model, saved)
    calls = []
    predict_proba = NeuralClassifier.predict_proba

    def interrupted(self, X):
        calls.append(len(X))
        if len(calls) == 3:  # the first chunk of the second file
            raise KeyboardInterrupt
        return predict_proba(self, X)

    monkeypatch.setattr(NeuralClassifier, "predict_proba", interrupted)
    out = tmp_path / "out"
    argv = ["apply", str(saved), *inputs, "--output", str(out)]
    argv += ["--chunk-size", str(CHUNK), "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted (Ctrl-C) after 1 output(s) written" in err
    assert sorted(p.name for p in out.iterdir()) == ["c0.parquet"]
    monkeypatch.undo()
    assert main(argv) == 0
    assert "1 written, 1 skipped" in capsys.readouterr().out
    for i, frame in enumerate(frames):
        pd.testing.assert_series_equal(
            pd.read_parquet(out / f"c{i}.parquet")["score"],
            pd.Series(_expected(model, frame), name="score"),
            rtol=1e-6,
        )


def test_jagged_root_branches(tmp_path, model):
    import awkward as ak
    import uproot

    from sknn_hep.datasets import read_root

    rng = np.random.default_rng(18)
    n = 130
    counts = rng.integers(0, 5, n)
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"met": "float64", "jet_pt": "var * float64"})
        f["events"].extend(
            {
                "met": rng.normal(size=n),
                "jet_pt": ak.unflatten(rng.normal(size=counts.sum()), counts),
            }
        )
    X = read_root(path, "events", max_length=3, mask=True, counts=True, pad_value=-1.0)
    assert "jet_pt_mask_2" in X.columns and "jet_pt_count" in X.columns
    net = NeuralClassifier(
        n_layers=1, n_units=4, max_epochs=1, verbose=0, random_state=0
    ).fit(X, (X["met"] > 0).astype(int))
    expected = net.predict_proba(X)[:, 1]
    [out] = apply_model(
        net, path, tmp_path / "a", pad_value=-1.0, chunk_size=CHUNK, progress=False
    )
    np.testing.assert_allclose(
        pd.read_parquet(out)["score"], expected, rtol=1e-6, atol=1e-7
    )
    [out] = apply_model(
        net, path, tmp_path / "b", chunk_size=CHUNK, progress=False
    )  # padded with 0.0: other scores
    assert not np.allclose(pd.read_parquet(out)["score"], expected)
    # a flat branch named as a slot: refused before any output
    columns = [*X.columns[:-1], "met_0"]
    with pytest.raises(ValueError, match="'met' .* is not jagged"):
        apply_model(net, path, tmp_path / "c", columns=columns, progress=False)
    assert not (tmp_path / "c").exists()
    flat = _write(_frame(20, seed=19), tmp_path / "flat.csv", "csv")
    with pytest.raises(ValueError, match="'pad_value' parameter .* jagged ROOT"):
        apply_model(model, flat, tmp_path / "d", pad_value=-1.0, progress=False)


def test_cli_pads_as_the_training_of_roles_json(tmp_path, capsys):
    # a model trained by `sknn-hep fit` on jagged ROOT branches was padded
    # with the missing value; `apply` next to its roles.json pads the same
    import json

    import awkward as ak
    import joblib
    import uproot

    from sknn_hep.datasets import read_root

    rng = np.random.default_rng(21)
    n = 90
    counts = rng.integers(0, 4, n)
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"met": "float64", "jet_pt": "var * float64"})
        f["events"].extend(
            {
                "met": rng.normal(size=n),
                "jet_pt": ak.unflatten(rng.normal(size=counts.sum()), counts),
            }
        )
    X = read_root(path, "events", max_length=2, pad_value=-5.0)
    net = NeuralClassifier(
        n_layers=1, n_units=4, max_epochs=1, missing_values=-5.0, random_state=0
    ).fit(X, (X["met"] > 0).astype(int))
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    joblib.dump(net, model_dir / "model.joblib")
    roles = {"data": {"missing_value": -5.0, "max_length": 2, "pad_value": None}}
    (model_dir / "roles.json").write_text(json.dumps(roles))
    argv = ["apply", str(model_dir / "model.joblib"), str(path)]
    assert main([*argv, "--output", str(tmp_path / "out"), "--quiet"]) == 0
    scores = pd.read_parquet(tmp_path / "out" / "jets.parquet")["score"]
    np.testing.assert_allclose(scores, net.predict_proba(X)[:, 1], rtol=1e-6)


def test_scikit_learn_models_without_predict_proba(tmp_path):
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    frame = _frame(90, seed=21)
    path = _write(frame, tmp_path / "in.parquet", "parquet")
    X = frame[FEATURES]
    svc = make_pipeline(StandardScaler(), LinearSVC()).fit(X, frame["label"])
    [out] = apply_model(svc, path, tmp_path / "svc", chunk_size=CHUNK, progress=False)
    np.testing.assert_allclose(
        pd.read_parquet(out)["score"], svc.decision_function(X), rtol=1e-12
    )
    two = LinearRegression().fit(X, np.column_stack([frame["x0"], frame["x1"]]))
    [out] = apply_model(two, path, tmp_path / "two", chunk_size=CHUNK, progress=False)
    got = pd.read_parquet(out)
    assert got.columns.tolist() == ["score_0", "score_1"]
    np.testing.assert_allclose(got.to_numpy(), two.predict(X), rtol=1e-12)


@pytest.mark.parametrize("suffix", [".parquet", ".root", ".h5"])
def test_unreadable_input_is_named(tmp_path, model, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"not a data file at all" * 10)
    with pytest.raises(ValueError, match="broken"):
        apply_model(model, path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_cli_failure_while_scoring_names_the_file(tmp_path, model, capsys, monkeypatch):
    frames = [_frame(50, seed=50 + i) for i in range(2)]
    inputs = [
        str(_write(f, tmp_path / f"f{i}.csv", "csv")) for i, f in enumerate(frames)
    ]
    saved = tmp_path / "model.joblib"
    joblib.dump(model, saved)
    calls = []
    predict_proba = NeuralClassifier.predict_proba

    def failing(self, X):
        calls.append(len(X))
        if len(calls) == 3:
            raise RuntimeError("the network broke")
        return predict_proba(self, X)

    monkeypatch.setattr(NeuralClassifier, "predict_proba", failing)
    out = tmp_path / "out"
    argv = ["apply", str(saved), *inputs, "--output", str(out), "--quiet"]
    assert main([*argv, "--chunk-size", str(CHUNK)]) == 1
    err = capsys.readouterr().err
    assert f"while scoring {inputs[1]!r} (1 output(s) written before" in err
    assert "RuntimeError: the network broke" in err and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["f0.parquet"]


def test_plain_h5py_file(tmp_path, model):
    import h5py

    frame = _frame(110, seed=22)
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        group = f.create_group("events")
        for c in [*FEATURES, "event"]:
            group.create_dataset(c, data=frame[c].to_numpy())
    [out] = apply_model(
        model,
        path,
        tmp_path / "out",
        key="events",
        id_columns="event",
        chunk_size=CHUNK,
        progress=False,
    )
    _check(out, model, frame)


def test_event_number_refused_where_the_model_takes_none(tmp_path):
    from sknn_hep.ensemble import CrossTrainingClassifier

    frame = _frame(60, seed=23)
    path = _write(frame, tmp_path / "in.parquet", "parquet")
    net = NeuralClassifier(n_layers=1, n_units=4, max_epochs=1, verbose=0)
    own = CrossTrainingClassifier(net, n_splits=2, event_number="event").fit(
        frame[[*FEATURES, "event"]], frame["label"]
    )
    with pytest.raises(ValueError, match="reads them from its own column 'event'"):
        apply_model(own, path, tmp_path / "a", event_number="event", progress=False)
    # its own column is one of its features: read without event_number
    [out] = apply_model(own, path, tmp_path / "a", chunk_size=CHUNK, progress=False)
    np.testing.assert_allclose(
        pd.read_parquet(out)["score"],
        own.predict_proba(frame[[*FEATURES, "event"]])[:, 1],
        rtol=1e-6,
        atol=1e-7,
    )
    own.set_params(event_number=None, prediction="average")
    with pytest.raises(ValueError, match="prediction='average'"):
        apply_model(own, path, tmp_path / "b", event_number="event", progress=False)


def test_progress_bars(tmp_path, model, capsys):
    frame = _frame(90, seed=24)
    path = _write(frame, tmp_path / "in.csv", "csv")
    apply_model(model, path, tmp_path / "out", chunk_size=CHUNK)
    err = capsys.readouterr().err
    assert "apply" in err and "file" in err
    apply_model(model, path, tmp_path / "out2", chunk_size=CHUNK, progress=False)
    assert capsys.readouterr().err == ""


def test_cli_notes_a_cross_trained_model_without_event_numbers(tmp_path, capsys):
    import json

    from sknn_hep.ensemble import CrossTrainingClassifier

    frame = _frame(80, seed=25)
    ct = CrossTrainingClassifier(
        NeuralClassifier(n_layers=1, n_units=4, max_epochs=1, verbose=0),
        n_splits=2,
    ).fit(frame[FEATURES], frame["label"], groups=frame["event"])
    (tmp_path / "m").mkdir()
    joblib.dump(ct, tmp_path / "m" / "model.joblib")
    (tmp_path / "m" / "roles.json").write_text(
        json.dumps({"data": {"event_number": "event"}})
    )
    data = str(_write(frame, tmp_path / "in.csv", "csv"))
    argv = ["apply", str(tmp_path / "m" / "model.joblib"), data, "--quiet"]
    assert main([*argv, "--output", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "note: the model is cross-trained" in err
    assert "(--event-number event, as in" in err
    argv += ["--output", str(tmp_path / "b"), "--event-number", "event"]
    assert main(argv) == 0
    assert "note" not in capsys.readouterr().err
    np.testing.assert_allclose(
        pd.read_parquet(tmp_path / "b" / "in.parquet")["score"],
        ct.predict_proba(frame[FEATURES], groups=frame["event"])[:, 1],
        rtol=1e-6,
        atol=1e-7,
    )
