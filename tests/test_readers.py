import re

import awkward as ak
import h5py
import numpy as np
import pandas as pd
import pytest
import uproot

from sknn_hep.datasets import iterate_root, make_top_jets, read_hdf5, read_root
from sknn_hep.preprocessing import FourMomentumTransformer

JET_PT = [[50.0, 40.0], [], [70.0, 30.0, 20.0], [15.0]]
MET = [10.0, 20.0, 30.0, 40.0]


# ----------------------------------------------------------------------- ROOT
@pytest.fixture
def root_file(tmp_path):
    path = tmp_path / "events.root"
    with uproot.recreate(path) as f:
        tree = f.mktree(
            "events",
            {"met": "float64", "nmu": "int32", "jet_pt": "var * float32"},
        )
        tree.extend(
            {
                "met": np.array(MET),
                "nmu": np.array([2, 0, 1, 3], dtype=np.int32),
                "jet_pt": ak.Array(JET_PT),
            }
        )
        f.mkdir("sub")
        f["sub/other"] = {"x": np.arange(4.0)}  # an RNTuple in a directory
    return path


def test_read_root_flat_and_jagged_padded_and_clipped(root_file):
    df = read_root(root_file, "events", ["met", "nmu", "jet_pt"], max_length=2)
    assert list(df.columns) == ["met", "nmu", "jet_pt_0", "jet_pt_1"]
    np.testing.assert_array_equal(df["met"], MET)
    np.testing.assert_array_equal(df["nmu"], [2, 0, 1, 3])
    np.testing.assert_array_equal(df["jet_pt_0"], [50.0, 0.0, 70.0, 15.0])
    np.testing.assert_array_equal(df["jet_pt_1"], [40.0, 0.0, 30.0, 0.0])


def test_read_root_default_length_sentinel_and_mask(root_file):
    df = read_root(root_file, "events", ["jet_pt"], pad_value=np.nan, mask=True)
    # None: the longest entry (3), no clipping
    assert list(df.columns) == [
        "jet_pt_0",
        "jet_pt_1",
        "jet_pt_2",
        "jet_pt_mask_0",
        "jet_pt_mask_1",
        "jet_pt_mask_2",
    ]
    values = df[["jet_pt_0", "jet_pt_1", "jet_pt_2"]].to_numpy()
    mask = df[["jet_pt_mask_0", "jet_pt_mask_1", "jet_pt_mask_2"]].to_numpy()
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, ~np.isnan(values))
    np.testing.assert_array_equal(mask.sum(axis=1), [2, 0, 3, 1])
    np.testing.assert_array_equal(values[2], [70.0, 30.0, 20.0])
    df = read_root(root_file, "events", ["jet_pt"], pad_value=-999.0, max_length=4)
    np.testing.assert_array_equal(df.iloc[1], [-999.0] * 4)


def test_read_root_all_branches_numpy_and_rntuple(root_file):
    df = read_root(root_file, "events", max_length=1)
    # uproot adds the counter branch 'njet_pt' of the jagged branch
    assert list(df.columns) == ["met", "nmu", "njet_pt", "jet_pt_0"]
    np.testing.assert_array_equal(df["njet_pt"], [2, 0, 3, 1])
    out = read_root(
        root_file, "events", ["met", "jet_pt"], max_length=3, mask=True, library="np"
    )
    assert set(out) == {"met", "jet_pt", "jet_pt_mask"}
    assert out["jet_pt"].shape == (4, 3) and out["met"].shape == (4,)
    np.testing.assert_array_equal(out["jet_pt_mask"].sum(axis=1), [2, 0, 3, 1])
    other = read_root(root_file, "sub/other")
    np.testing.assert_array_equal(other["x"], np.arange(4.0))


def test_read_root_errors(root_file, tmp_path):
    missing = tmp_path / "nope.root"
    with pytest.raises(FileNotFoundError, match="nope.root"):
        read_root(missing, "events")
    with pytest.raises(
        ValueError, match=r"no TTree, TNtuple or RNTuple 'tree'.*'events'"
    ):
        read_root(root_file, "tree")
    with pytest.raises(ValueError, match=r"\['pt'\] not in tree 'events'.*'met'"):
        read_root(root_file, "events", ["met", "pt"])
    with pytest.raises(ValueError, match="'max_length' parameter of read_root"):
        read_root(root_file, "events", max_length=0)
    with pytest.raises(ValueError, match="'library' parameter of read_root"):
        read_root(root_file, "events", library="ak")
    with pytest.raises(ValueError, match="'pad_value' parameter"):
        read_root(root_file, "events", pad_value="zero")
    with pytest.raises(TypeError, match="'tree' parameter"):
        read_root(root_file, 3)


def test_read_root_rejects_doubly_jagged(tmp_path):
    path = tmp_path / "nested.root"
    with uproot.recreate(path) as f:
        f["t"] = {"hits": ak.Array([[[1.0], [2.0, 3.0]], [[4.0]]])}
    with pytest.raises(
        ValueError, match="'hits' of tree 't'.*nested deeper.*'branches'"
    ):
        read_root(path, "t")


# ----------------------------------------------------------------- iterate_root
@pytest.mark.parametrize("step_size", [1, 3, "1 kB"])
def test_iterate_root_chunks_make_up_read_root(root_file, step_size):
    kwargs = dict(max_length=2, mask=True, counts=True)
    chunks = list(iterate_root(root_file, "events", step_size=step_size, **kwargs))
    whole = read_root(root_file, "events", **kwargs)
    assert all(list(c.columns) == list(whole.columns) for c in chunks)
    if step_size == 3:
        assert [len(c) for c in chunks] == [3, 1]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    # the chunks are uproot.iterate's
    theirs = list(uproot.iterate(f"{root_file}:events", step_size=step_size))
    assert [len(c) for c in chunks] == [len(t) for t in theirs]


def test_iterate_root_numpy_cut_and_entry_range(root_file):
    chunks = list(
        iterate_root(
            root_file,
            "events",
            ["met", "jet_pt"],
            step_size=2,
            entry_start=1,
            cut="met < 40",
            max_length=1,
            library="np",
        )
    )
    # entries 1..3, read 2 at a time, the cut drops entry 3 (met 40)
    assert [c["met"].tolist() for c in chunks] == [[20.0, 30.0]]
    np.testing.assert_array_equal(chunks[0]["jet_pt"], [[0.0], [70.0]])


def test_iterate_root_errors(root_file):
    with pytest.raises(
        ValueError,
        match="'max_length' parameter of iterate_root is "
        "needed for the jagged branch 'jet_pt'",
    ):
        next(iterate_root(root_file, "events", ["jet_pt"]))
    for bad in (0, True, "lots", 2.5):
        with pytest.raises(ValueError, match="'step_size' parameter of iterate_root"):
            iterate_root(root_file, "events", step_size=bad)
    # the files are checked when iterate_root is called, not at the first chunk
    with pytest.raises(ValueError, match="no TTree, TNtuple or RNTuple 'nope'"):
        iterate_root(root_file, "nope")


# ----------------------------------------------------------------------- HDF5
@pytest.fixture(scope="module")
def jets_frame():
    X, y, truth = make_top_jets(80, n_constituents=6, as_frame=True, random_state=0)
    return X.join(truth).assign(is_signal_new=y)


@pytest.mark.parametrize("fmt", ["table", "fixed"])
def test_read_hdf5_round_trip_top_tagging_layout(tmp_path, jets_frame, fmt):
    path = tmp_path / "jets.h5"
    jets_frame.to_hdf(path, key="table", format=fmt)
    frame = read_hdf5(path)
    pd.testing.assert_frame_equal(frame, jets_frame)
    X, y = read_hdf5(path, "table", target="is_signal_new")
    assert "is_signal_new" not in X.columns and X.shape == (80, 28)
    np.testing.assert_array_equal(y, jets_frame["is_signal_new"])
    cols = ["E_0", "PX_0", "PY_0", "PZ_0"]
    X, y = read_hdf5(path, columns=cols, target="is_signal_new", start=10, stop=30)
    assert list(X.columns) == cols and len(X) == len(y) == 20
    pd.testing.assert_frame_equal(X, jets_frame[cols].iloc[10:30])
    # the columns feed FourMomentumTransformer directly
    out = FourMomentumTransformer(particles=[cols]).fit_transform(X)
    np.testing.assert_allclose(out[:, 0], np.hypot(X["PX_0"], X["PY_0"]))


def test_read_hdf5_key_choice_and_errors(tmp_path, jets_frame):
    path = tmp_path / "two.h5"
    jets_frame.to_hdf(path, key="train", format="table")
    jets_frame.iloc[:5].to_hdf(path, key="test", format="fixed")
    with pytest.raises(ValueError, match=r"'key' parameter .*2 tables.*'/test'"):
        read_hdf5(path)
    assert len(read_hdf5(path, "test")) == 5
    assert len(read_hdf5(path, "/train")) == 80
    with pytest.raises(ValueError, match=r"no table 'val'.*'/train'"):
        read_hdf5(path, "val")
    with pytest.raises(
        ValueError, match=r"'columns' parameter.*\['E_99'\] not in .*'E_0'"
    ):
        read_hdf5(path, "test", columns=["E_0", "E_99"])
    with pytest.raises(ValueError, match=r"'target' parameter.*\['label'\]"):
        read_hdf5(path, "test", target="label")
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        read_hdf5(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="'start' parameter of read_hdf5"):
        read_hdf5(path, "test", start=1.5)


def test_read_hdf5_plain_h5py_datasets(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["pt"] = np.arange(5.0)
        f["label"] = np.array([0, 1, 0, 1, 1])
        grp = f.create_group("jets")
        grp["const"] = np.arange(15.0).reshape(5, 3)
        mixed = f.create_group("mixed")
        mixed["a"] = np.arange(5.0)
        mixed["b"] = np.arange(3.0)
    X, y = read_hdf5(path, target="label")
    assert list(X.columns) == ["pt"]
    np.testing.assert_array_equal(y, [0, 1, 0, 1, 1])
    frame = read_hdf5(path, "jets/const", start=1, stop=3)
    assert list(frame.columns) == ["const_0", "const_1", "const_2"]
    np.testing.assert_array_equal(frame.to_numpy(), np.arange(3.0, 9.0).reshape(2, 3))
    with pytest.raises(ValueError, match="differ in length"):
        read_hdf5(path, "mixed")
    with pytest.raises(ValueError, match="group 'jets' .* has no 1-D datasets"):
        read_hdf5(path, "jets")
    with pytest.raises(ValueError, match=r"no group or dataset 'muons'.*'jets'"):
        read_hdf5(path, "muons")


# ------------------------------------------------ HDF5 files from others
class _Payload:
    """Unpickles into ``open(marker, "w")``: creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_read_hdf5_refuses_pickled_object_column(tmp_path):
    pytest.importorskip("tables")
    marker = tmp_path / "ran"
    path = tmp_path / "evil.h5"
    frame = pd.DataFrame({"x": [1.0, 2.0], "evil": [_Payload(marker), "b"]})
    with pytest.warns(pd.errors.PerformanceWarning):
        frame.to_hdf(path, key="table", format="fixed")
    assert not marker.exists()
    with pytest.raises(ValueError) as info:
        read_hdf5(path)
    message = str(info.value)
    assert "evil.h5" in message and "/table/block1_values" in message
    assert "allow_pickle=True" in message
    assert not marker.exists()  # nothing was unpickled
    with pytest.raises(ValueError, match="allow_pickle=True"):
        read_hdf5(path, "table", columns=["x"])  # reading only 'x' unpickles too
    assert not marker.exists()


def test_read_hdf5_refuses_pickled_attribute(tmp_path, jets_frame):
    pytest.importorskip("tables")
    import pickle

    marker = tmp_path / "ran"
    path = tmp_path / "evil.h5"
    jets_frame.to_hdf(path, key="table", format="table")
    # PyTables unpickles every string attribute that ends in "." when the
    # node's attributes are read, before pandas looks at the data
    with h5py.File(path, "r+") as f:
        f["table"].attrs["info"] = np.bytes_(pickle.dumps(_Payload(marker), 0))
    with pytest.raises(ValueError, match=r"attribute 'info' of '/table'") as info:
        read_hdf5(path)
    assert re.search(r"calls (io|builtins)\.open:", str(info.value))
    assert "allow_pickle=True" in str(info.value)
    assert not marker.exists()


def test_read_hdf5_allow_pickle_opt_in_and_plain_tables_still_read(tmp_path):
    pytest.importorskip("tables")
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["s", "b", "s"]})
    path = tmp_path / "strings.h5"
    frame.to_hdf(path, key="fixed", format="fixed")  # strings: a pickled column
    with pytest.raises(ValueError, match=r"format='table'"):
        read_hdf5(path)
    pd.testing.assert_frame_equal(read_hdf5(path, allow_pickle=True), frame)
    # format="table" stores strings as fixed-width bytes: no pickle, read as is,
    # and so are numeric and categorical columns
    frame["c"] = pd.Categorical(["u", "v", "u"])
    frame["n"] = np.arange(3)
    frame.to_hdf(tmp_path / "table.h5", key="t", format="table")
    pd.testing.assert_frame_equal(read_hdf5(tmp_path / "table.h5"), frame)
    with pytest.raises(ValueError, match="'allow_pickle' parameter of read_hdf5"):
        read_hdf5(path, allow_pickle="yes")
