import re
from pathlib import Path

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


# ------------------------------------------------- file specifications, options
SAMPLES = {
    "sig_1.root": {
        "met": [10.0, 20.0, 30.0],
        "Muon_Px": [[1.0, 2.0], [], [3.0, 4.0, 5.0]],
        "Muon_Py": [[0.5], [1.5, 2.5], []],
        "weight": [0.5, 1.0, 2.0],
    },
    "sig_2.root": {
        "met": [40.0, 50.0],
        "Muon_Px": [[6.0], [7.0, 8.0]],
        "Muon_Py": [[], [3.5]],
        "weight": [1.5, 0.25],
    },
}
TYPES = {
    "met": "float64",
    "Muon_Px": "var * float64",
    "Muon_Py": "var * float64",
    "weight": "float64",
}


def _write(path, columns, rntuple=False):
    arrays = {
        k: ak.Array(v) if k.startswith("Muon") else np.array(v)
        for k, v in columns.items()
    }
    with uproot.recreate(path) as f:
        if rntuple:
            f["events"] = arrays
        else:
            f.mktree("events", TYPES).extend(arrays)


@pytest.fixture
def samples(tmp_path):
    for name, columns in SAMPLES.items():
        _write(tmp_path / name, columns)
    return tmp_path


def _padded(array, length, pad=0.0):
    return ak.to_numpy(ak.fill_none(ak.pad_none(array, length, clip=True), pad))


def _spec(samples, kind):
    one, two = str(samples / "sig_1.root"), str(samples / "sig_2.root")
    return {
        "glob": (str(samples / "sig_*.root"), "events"),
        "list": ([one, two], "events"),
        "paths": ([samples / "sig_1.root", samples / "sig_2.root"], "events"),
        "dict": ({one: "events", two: "events"}, None),
        "colon": ([f"{one}:events", f"{two}:events"], None),
        "colon-glob": (str(samples / "sig_*.root") + ":events", None),
        "no-tree": ([one, two], None),  # each file's only tree
    }[kind]


@pytest.mark.parametrize(
    "kind", ["glob", "list", "paths", "dict", "colon", "colon-glob", "no-tree"]
)
def test_read_root_file_specifications_match_uproot(samples, kind):
    files, tree = _spec(samples, kind)
    df = read_root(files, tree, ["met", "weight", "Muon_Px"], max_length=2)
    theirs = uproot.concatenate(
        {str(samples / n): "events" for n in SAMPLES}, ["met", "weight", "Muon_Px"]
    )
    assert list(df.columns) == ["met", "weight", "Muon_Px_0", "Muon_Px_1"]
    np.testing.assert_array_equal(df["met"], ak.to_numpy(theirs["met"]))
    np.testing.assert_array_equal(df["weight"], ak.to_numpy(theirs["weight"]))
    np.testing.assert_array_equal(
        df[["Muon_Px_0", "Muon_Px_1"]], _padded(theirs["Muon_Px"], 2)
    )


@pytest.mark.parametrize(
    ("start", "stop"), [(None, None), (1, 4), (2, None), (-3, -1), (4, 2), (0, 0)]
)
def test_read_root_entry_range_spans_files_as_uproot(samples, start, stop):
    spec = str(samples / "sig_*.root") + ":events"
    df = read_root(spec, branches=["met"], entry_start=start, entry_stop=stop)
    theirs = uproot.concatenate(
        spec, ["met"], entry_start=start, entry_stop=stop, library="np"
    )
    np.testing.assert_array_equal(df["met"], theirs["met"])
    assert list(df.columns) == ["met"]


def test_read_root_cut_aliases_filters_match_uproot(samples):
    spec = str(samples / "sig_*.root") + ":events"
    aliases = {"w2": "weight * 2"}
    cut = "(met > 15) & (w2 < 3.5)"
    df = read_root(spec, branches=["met", "w2"], cut=cut, aliases=aliases)
    theirs = uproot.concatenate(spec, ["met", "w2"], cut=cut, aliases=aliases)
    np.testing.assert_array_equal(df["met"], ak.to_numpy(theirs["met"]))
    np.testing.assert_array_equal(df["w2"], ak.to_numpy(theirs["w2"]))
    assert df["met"].tolist() == [20.0, 40.0, 50.0]
    # branches=None: the filtered branches, then the aliases
    df = read_root(
        spec, filter_name="Muon_*", aliases={"w2": "weight * 2"}, max_length=1
    )
    assert list(df.columns) == ["Muon_Px_0", "Muon_Py_0", "w2"]
    df = read_root(spec, filter_name=["Muon_*"], cut="met < 25", max_length=3)
    theirs = uproot.concatenate(spec, filter_name=["Muon_*"], cut="met < 25")
    np.testing.assert_array_equal(
        df[[f"Muon_Px_{i}" for i in range(3)]], _padded(theirs["Muon_Px"], 3)
    )
    df = read_root(spec, filter_typename="double", filter_name="/^(met|weight)$/")
    assert list(df.columns) == ["met", "weight"]
    df = read_root(spec, filter_name=lambda name: name.startswith("n"))
    assert list(df.columns) == ["nMuon_Px", "nMuon_Py"]


def test_read_root_tree_cycle(tmp_path):
    path = tmp_path / "cycles.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"x": "float64"}).extend({"x": np.arange(3.0)})
        f.mktree("events", {"x": "float64"}).extend({"x": np.arange(5.0)})
    assert len(read_root(path, "events;1")) == 3
    assert len(read_root(path, "events;2")) == 5
    assert len(read_root(path, "events")) == 5  # the highest cycle, as uproot
    assert len(read_root(f"{path}:events;1")) == 3
    with pytest.raises(ValueError, match=r"no TTree, TNtuple or RNTuple 'events;7'"):
        read_root(path, "events;7")


def test_read_root_rntuple_cut_and_aliases_as_ttree(tmp_path):
    """uproot 5.7 ignores cut and aliases of an RNTuple; read_root does not."""
    columns = SAMPLES["sig_1.root"]
    _write(tmp_path / "tree.root", columns)
    _write(tmp_path / "ntuple.root", columns, rntuple=True)
    assert uproot.open(tmp_path / "ntuple.root").classnames() == {
        "events;1": "ROOT::RNTuple"
    }
    kwargs = dict(
        branches=["met", "px2", "Muon_Px"],
        cut="(met > 15) | (px2 > 3)",
        aliases={"px2": "weight * 2", "unused": "met"},
        max_length=2,
        counts=True,
    )
    expected = read_root(tmp_path / "tree.root", "events", **kwargs)
    got = read_root(tmp_path / "ntuple.root", "events", **kwargs)
    pd.testing.assert_frame_equal(got, expected)
    assert expected["met"].tolist() == [20.0, 30.0]
    chunks = list(iterate_root(tmp_path / "ntuple.root", step_size=2, **kwargs))
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected)
    # filters and entry ranges on an RNTuple
    df = read_root(
        tmp_path / "ntuple.root", filter_name="Muon_*", entry_start=1, max_length=1
    )
    assert list(df.columns) == ["Muon_Px_0", "Muon_Py_0"]
    np.testing.assert_array_equal(df["Muon_Py_0"], [1.5, 0.0])


# ---------------------------------------------------------------------- TNtuple
# uproot writes no TNtuple; tests/data/ntuple.root holds genuine ones, written
# by tests/data/make_tntuple.py (uproot's TTree writer plus the TNtuple header,
# key class and streamer by hand): 'ntuple;1' (3 entries), 'ntuple;2' (8
# entries in two baskets of 5 and 3) with float columns met, pt, eta, weight,
# and 'dir/jets' (px, py; 4 entries).
NTUPLE = Path(__file__).with_name("data") / "ntuple.root"
NTUPLE_COLUMNS = ["met", "pt", "eta", "weight"]
NTUPLE_MET = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
NTUPLE_WEIGHT = [0.5, 1.0, 2.0, 0.25, 1.5, 1.0, 0.75, 3.0]


def _uproot_frame(spec, **kwargs):
    """uproot.concatenate's float32 columns as a DataFrame."""
    arrays = uproot.concatenate(spec, library="np", **kwargs)
    return pd.DataFrame({k: arrays[k] for k in arrays})


def test_ntuple_file_holds_genuine_tntuples():
    with uproot.open(NTUPLE) as f:
        assert f.classnames() == {
            "ntuple;1": "TNtuple",
            "ntuple;2": "TNtuple",
            "dir;1": "TDirectory",
            "dir/jets;1": "TNtuple",
        }
        assert f.file.streamer_named("TNtuple").class_version == 2
        ntuple = f["ntuple"]
        # uproot reads it with the class built from the file's TNtuple streamer
        assert type(ntuple).__name__ == "Model_TNtuple_v2"
        assert isinstance(ntuple, uproot.TTree)
        assert ntuple.member("fNvar") == 4
        assert ntuple.typenames() == dict.fromkeys(NTUPLE_COLUMNS, "float")
        assert ntuple["met"].num_baskets == 2
        np.testing.assert_array_equal(ntuple["met"].array(library="np"), NTUPLE_MET)


def test_read_root_tntuple_whole_cycles_and_directories():
    df = read_root(NTUPLE, "ntuple")
    assert list(df.columns) == NTUPLE_COLUMNS
    assert (df.dtypes == np.float32).all()
    np.testing.assert_array_equal(df["met"], NTUPLE_MET)
    pd.testing.assert_frame_equal(df, _uproot_frame(f"{NTUPLE}:ntuple"))
    # the file's trees by name: two cycles of 'ntuple' count once
    with pytest.raises(
        ValueError, match=r"'tree' parameter .* holds 2 trees \['ntuple', 'dir/jets'\]"
    ):
        read_root(NTUPLE)
    # name;cycle, also inside the path
    first = read_root(NTUPLE, "ntuple;1")
    assert first["met"].tolist() == [1.0, 2.0, 3.0]
    pd.testing.assert_frame_equal(read_root(f"{NTUPLE}:ntuple;1"), first)
    pd.testing.assert_frame_equal(read_root(NTUPLE, "ntuple;2"), df)
    with pytest.raises(ValueError, match=r"no TTree, TNtuple or RNTuple 'ntuple;3'"):
        read_root(NTUPLE, "ntuple;3")
    jets = read_root(NTUPLE, "dir/jets")
    assert jets.to_dict("list") == {
        "px": [1.0, -2.0, 3.5, 0.0],
        "py": [0.5, 4.0, -1.0, 2.0],
    }
    out = read_root(NTUPLE, "ntuple", ["pt", "met"], library="np")
    assert list(out) == ["pt", "met"] and out["met"].dtype == np.float32
    np.testing.assert_array_equal(out["met"], NTUPLE_MET)


@pytest.mark.parametrize(
    ("start", "stop"), [(None, None), (2, 7), (4, 6), (5, None), (-3, -1), (6, 2)]
)
def test_read_root_tntuple_entry_ranges_as_uproot(start, stop):
    # entries 4..6 straddle the two baskets (5 + 3 entries)
    df = read_root(NTUPLE, "ntuple", entry_start=start, entry_stop=stop)
    theirs = _uproot_frame(f"{NTUPLE}:ntuple", entry_start=start, entry_stop=stop)
    pd.testing.assert_frame_equal(df, theirs)
    assert df["met"].tolist() == NTUPLE_MET[slice(start, stop)]


def test_read_root_tntuple_cut_aliases_and_filters_as_uproot():
    spec = f"{NTUPLE}:ntuple"
    aliases = {"pt2": "pt * 2", "weighted_met": "met * weight"}
    cut = "(met > 25) & (weight < 2)"
    df = read_root(NTUPLE, "ntuple", ["met", "pt2"], cut=cut, aliases=aliases)
    pd.testing.assert_frame_equal(
        df, _uproot_frame(spec, expressions=["met", "pt2"], cut=cut, aliases=aliases)
    )
    assert df["met"].tolist() == [40.0, 50.0, 60.0, 70.0]  # 30 weighs 2
    np.testing.assert_array_equal(df["pt2"], [61.0, 4.0, 36.0, 19.5])
    df = read_root(spec, filter_name="/^(met|pt)$/", cut="eta > 1")
    assert list(df.columns) == ["met", "pt"]
    assert df["met"].tolist() == [60.0, 70.0, 80.0]
    df = read_root(spec, filter_name=["e*", "w*"])
    assert list(df.columns) == ["eta", "weight"]
    df = read_root(spec, filter_name=lambda name: len(name) == 2)
    assert list(df.columns) == ["pt"]
    df = read_root(spec, filter_typename="float", filter_name="m*", entry_stop=2)
    assert df.to_dict("list") == {"met": [10.0, 20.0]}
    df = read_root(spec, filter_name="met", aliases={"weighted_met": "met * weight"})
    assert list(df.columns) == ["met", "weighted_met"]
    np.testing.assert_array_equal(
        df["weighted_met"], np.multiply(NTUPLE_MET, NTUPLE_WEIGHT)
    )
    with pytest.raises(ValueError, match=r"\['px'\] not in tree 'ntuple'"):
        read_root(spec, branches=["met", "px"])


def test_iterate_root_tntuple_as_uproot_iterate():
    spec = f"{NTUPLE}:ntuple"
    chunks = list(iterate_root(spec, step_size=3))
    theirs = list(uproot.iterate(spec, step_size=3, library="np"))
    assert [len(c) for c in chunks] == [len(t["met"]) for t in theirs] == [3, 3, 2]
    for mine, their in zip(chunks, theirs):
        pd.testing.assert_frame_equal(mine, pd.DataFrame(their))
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), read_root(spec))
    # an entry range, a cut that empties a chunk (skipped), an alias, name;cycle
    chunks = list(
        iterate_root(
            NTUPLE,
            "ntuple;2",
            ["met", "pt2"],
            aliases={"pt2": "pt * 2"},
            entry_start=1,
            entry_stop=7,
            cut="(met < 30) | (met > 50)",
            step_size=2,
        )
    )
    # entries 1..6 in chunks [20, 30], [40, 50], [60, 70]; the cut empties one
    assert [c["met"].tolist() for c in chunks] == [[20.0], [60.0, 70.0]]
    assert chunks[1]["pt2"].tolist() == [36.0, 19.5]
    assert all(list(c.columns) == ["met", "pt2"] for c in chunks)
    chunks = list(iterate_root(NTUPLE, "ntuple;1", step_size=2, library="np"))
    assert [c["met"].tolist() for c in chunks] == [[1.0, 2.0], [3.0]]


def test_read_root_tntuples_and_ttree_across_files(tmp_path):
    # a TTree of the same float columns in another file reads with the TNtuples
    tree_file = tmp_path / "tree.root"
    with uproot.recreate(tree_file) as f:
        f.mktree("ntuple", dict.fromkeys(NTUPLE_COLUMNS, "float32")).extend(
            {c: np.full(2, -1.0, np.float32) for c in NTUPLE_COLUMNS}
        )
    df = read_root([NTUPLE, tree_file], "ntuple", entry_start=6)
    assert df["met"].tolist() == [70.0, 80.0, -1.0, -1.0]
    df = read_root({str(NTUPLE): "ntuple;1", str(tree_file): "ntuple"}, cut="met < 3")
    assert df["met"].tolist() == [1.0, 2.0, -1.0, -1.0]
    chunks = list(iterate_root([NTUPLE, NTUPLE], "dir/jets", step_size=3))
    assert [len(c) for c in chunks] == [3, 1, 3, 1]


def test_read_root_jagged_subset_counts_and_per_branch_length(samples):
    spec = str(samples / "sig_1.root") + ":events"
    df = read_root(spec, branches=["Muon_Px"], max_length=2, counts=True, mask=True)
    assert list(df.columns) == [
        "Muon_Px_count",
        "Muon_Px_0",
        "Muon_Px_1",
        "Muon_Px_mask_0",
        "Muon_Px_mask_1",
    ]
    # the count is before clipping: the third muon of entry 2 is counted
    assert df["Muon_Px_count"].tolist() == [2, 0, 3]
    assert df["Muon_Px_1"].tolist() == [2.0, 0.0, 4.0]
    df = read_root(
        spec, branches=["met", "Muon_Px", "Muon_Py"], max_length={"Muon_Px": 1}
    )
    # Muon_Py has no entry in the dict: its longest entry (2)
    assert list(df.columns) == ["met", "Muon_Px_0", "Muon_Py_0", "Muon_Py_1"]
    with pytest.raises(ValueError, match=r"'max_length'.*\['Jet_pt'\] are not"):
        read_root(spec, branches=["Muon_Px"], max_length={"Jet_pt": 2})
    with pytest.raises(ValueError, match="branch 'met' of .* is not jagged"):
        read_root(spec, branches=["met"], max_length={"met": 2})
    with pytest.raises(ValueError, match=r"max_length\['Muon_Px'\]"):
        read_root(spec, branches=["Muon_Px"], max_length={"Muon_Px": 0})
    with pytest.raises(
        ValueError,
        match="'max_length' parameter of iterate_root "
        "is needed for the jagged branch 'Muon_Py'",
    ):
        next(iterate_root(spec, filter_name="Muon_*", max_length={"Muon_Px": 1}))


def test_iterate_root_over_files_as_uproot_iterate(samples):
    spec = str(samples / "sig_*.root") + ":events"
    chunks = list(iterate_root(spec, filter_name="Muon_Px", step_size=2, max_length=3))
    theirs = list(uproot.iterate(spec, filter_name="Muon_Px", step_size=2))
    assert [len(c) for c in chunks] == [len(t) for t in theirs] == [2, 1, 2]
    for mine, their in zip(chunks, theirs):
        np.testing.assert_array_equal(mine.to_numpy(), _padded(their["Muon_Px"], 3))
    # a global entry range over both files, and a cut that empties a chunk
    chunks = list(
        iterate_root(
            spec,
            branches=["met"],
            step_size=2,
            entry_start=1,
            entry_stop=4,
            cut="met != 30",
        )
    )
    assert [c["met"].tolist() for c in chunks] == [[20.0], [40.0]]


def test_read_root_file_and_tree_errors(samples, tmp_path):
    one = samples / "sig_1.root"
    with pytest.raises(FileNotFoundError, match=r"no file matches '.*bkg_\*.root'"):
        read_root(str(samples / "bkg_*.root"), "events")
    with pytest.raises(FileNotFoundError, match="no such file: 'missing.root'"):
        read_root(["missing.root"], "events")
    with pytest.raises(ValueError, match="'files' parameter of read_root names no"):
        read_root([], "events")
    with pytest.raises(TypeError, match="'files' parameter of read_root must be"):
        read_root(3, "events")
    with pytest.raises(TypeError, match="Got the item 3 instead"):
        read_root([one, 3], "events")
    with pytest.raises(ValueError, match="names the tree 'events' and also 'other'"):
        read_root(f"{one}:events", "other")
    with pytest.raises(ValueError, match="names the tree 'a' and also 'b'"):
        read_root({str(one): "a"}, "b")
    _write(
        tmp_path / "other.root",
        {"met": [1.0], "Muon_Px": [[1.0]], "Muon_Py": [[]], "weight": [1.0]},
    )
    with uproot.recreate(tmp_path / "two.root") as f:
        f["a"] = {"x": np.arange(2.0)}
        f["b"] = {"x": np.arange(2.0)}
    with pytest.raises(
        ValueError,
        match=r"'tree' parameter of read_root is needed.*"
        r"holds 2 trees \['a', 'b'\]",
    ):
        read_root(tmp_path / "two.root")
    with uproot.recreate(tmp_path / "fewer.root") as f:
        f.mktree("events", {"met": "float64"}).extend({"met": np.ones(2)})
    with pytest.raises(
        ValueError,
        match=r"the files differ in their branches: tree "
        r"'events' of '.*fewer.root' lacks \['nMuon_Px', 'Muon_Px'.*sig_1",
    ):
        read_root([one, tmp_path / "fewer.root"], "events")
    # a common branch reads from both
    assert len(read_root([one, tmp_path / "fewer.root"], "events", ["met"])) == 5


def test_read_root_remote_urls_go_to_uproot_unchecked(samples):
    from sknn_hep.datasets._root_files import _resolve_files

    local = samples / "sig_1.root"
    resolved = _resolve_files(
        ["root://eos.example//store/a.root:Events", f"file://{local}:events"],
        None,
        "read_root",
    )
    assert resolved == [
        ("root://eos.example//store/a.root", "Events"),
        (str(local), "events"),
    ]


def test_read_root_parameter_errors(samples):
    spec = str(samples / "sig_1.root") + ":events"
    # the names of cut and aliases are checked before any entry is read
    with pytest.raises(
        ValueError,
        match=r"'cut' parameter of read_root: cut = "
        r"'nMuon > 1' uses 'nMuon', which is not a branch of tree "
        r"'events'.*'Muon_Px'",
    ):
        read_root(spec, cut="nMuon > 1")
    with pytest.raises(
        ValueError,
        match=r"'aliases' parameter of iterate_root: "
        r"aliases\['HT'\] = 'total\(met\)' uses 'total'",
    ):
        iterate_root(spec, aliases={"HT": "total(met)"})
    with pytest.raises(ValueError, match=r"cut = 'met >' is not a valid expression"):
        read_root(spec, cut="met >")
    with pytest.raises(ValueError, match="either 'branches' or 'filter_name'"):
        read_root(spec, branches=["met"], filter_name="Muon_*")
    with pytest.raises(ValueError, match=r"select no branch of tree 'events'.*'met'"):
        read_root(spec, filter_name="Jet_*")
    with pytest.raises(ValueError, match="'filter_name' parameter of read_root"):
        read_root(spec, filter_name=3)
    with pytest.raises(ValueError, match="'cut' parameter of read_root must be an"):
        read_root(spec, cut=True)
    with pytest.raises(ValueError, match="'aliases' parameter of read_root must be"):
        read_root(spec, aliases={"x": 2})
    with pytest.raises(ValueError, match="'entry_start' parameter of read_root"):
        read_root(spec, entry_start=1.5)
    with pytest.raises(ValueError, match="'counts' parameter of read_root"):
        read_root(spec, counts="yes")
    with pytest.raises(
        ValueError,
        match=r"\['pt'\] not in tree 'events'.*aliases "
        r"\['w2'\]",
    ):
        read_root(spec, branches=["pt"], aliases={"w2": "weight * 2"})


def test_read_root_names_a_branch_that_does_not_flatten(tmp_path):
    path = tmp_path / "objects.root"
    with uproot.recreate(path) as f:
        f["events"] = {
            "met": np.arange(3.0),
            "Muon": ak.Array(
                [
                    [{"pt": 1.0, "eta": 2.0}],
                    [],
                    [{"pt": 3.0, "eta": 4.0}, {"pt": 5.0, "eta": 6.0}],
                ]
            ),
            "vertex": ak.Array([{"x": 1.0, "y": 2.0}] * 3),
        }
    # awkward's own message ("irreducible unions", "not regular") named nothing
    with pytest.raises(
        ValueError,
        match=r"branch 'Muon' of tree 'events' of .*"
        r"records \(fields \['pt', 'eta'\]\).*'filter_name'",
    ):
        read_root(path, "events")
    with pytest.raises(ValueError, match=r"branch 'vertex' .*records.*'branches'"):
        next(iterate_root(path, branches=["vertex"]))
    assert read_root(path, filter_name="met")["met"].tolist() == [0.0, 1.0, 2.0]
    # the fields of an RNTuple's collection and record read as branches
    df = read_root(
        path,
        "events",
        ["met", "Muon.pt", "vertex.y"],
        max_length=2,
        cut="met > 0",
        counts=True,
    )
    assert list(df.columns) == [
        "met", "Muon.pt_count", "Muon.pt_0", "Muon.pt_1", "vertex.y"
    ]  # fmt: skip
    assert df.to_numpy().tolist() == [[1, 0, 0, 0, 2], [2, 2, 3, 5, 2]]
    df = read_root(path, branches=["pt2"], aliases={"pt2": "Muon.pt * 2"},
                   max_length=1)  # fmt: skip
    assert df["pt2_0"].tolist() == [2.0, 0.0, 6.0]
    df = read_root(path, filter_name=["met", "Muon.pt"], max_length=1)
    assert list(df.columns) == ["met", "Muon.pt_0"]


def test_read_root_dtypes_kept_where_the_pad_value_fits(tmp_path):
    path = tmp_path / "types.root"
    with uproot.recreate(path) as f:
        tree = f.mktree("t", {"q": "var * int32", "ok": "var * bool",
                              "pt": "var * float32"})  # fmt: skip
        tree.extend({"q": ak.Array([[1, -1], []]), "ok": ak.Array([[True], []]),
                     "pt": ak.Array([[1.5], []])})  # fmt: skip
    dtypes = {
        pad: read_root(path, max_length=2, pad_value=pad, filter_name="/^[qop]/")
        .dtypes.astype(str)
        .to_dict()
        for pad in (0, -999, np.nan)
    }
    assert dtypes[0] == {
        **{"q_0": "int32", "q_1": "int32", "ok_0": "bool", "ok_1": "bool"},
        **{"pt_0": "float32", "pt_1": "float32"},
    }
    assert dtypes[-999]["q_0"] == "int32" and dtypes[-999]["ok_0"] == "float64"
    assert dtypes[np.nan]["q_0"] == "float64" and dtypes[np.nan]["pt_0"] == "float32"
    df = read_root(path, filter_name="q", max_length=3, pad_value=-999)
    assert df.iloc[0].tolist() == [1, -1, -999] and df.iloc[1].tolist() == [-999] * 3


HZZ = Path(__file__).parents[1] / "benchmarks" / "data" / "scikit-hep-testdata"


def test_read_root_real_files_hzz_and_zmumu():
    """scikit-hep-testdata's files: jagged muons, and a string branch."""
    path = HZZ / "uproot-HZZ.root"
    df = read_root(path, filter_name="Muon_P*", max_length=2, entry_stop=500)
    theirs = uproot.concatenate(f"{path}:events", filter_name="Muon_P*", entry_stop=500)
    assert list(df.columns) == [f"Muon_P{c}_{i}" for c in "xyz" for i in range(2)]
    for c in "xyz":
        np.testing.assert_array_equal(
            df[[f"Muon_P{c}_0", f"Muon_P{c}_1"]], _padded(theirs[f"Muon_P{c}"], 2)
        )
    with pytest.raises(
        ValueError, match="branch 'Type' of tree 'events' .*not numbers"
    ):
        read_root(HZZ / "uproot-Zmumu.root", entry_stop=10)
    df = read_root(HZZ / "uproot-Zmumu.root", filter_typename="double", cut="M > 80")
    assert (df["M"] > 80).all() and "Type" not in df


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
