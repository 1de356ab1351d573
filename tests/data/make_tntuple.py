"""Write ``tests/data/ntuple.root``: genuine TNtuples, which uproot cannot write.

uproot 5.7 writes TTrees and RNTuples but not TNtuples, no TNtuple file is
available offline (scikit-hep-testdata downloads its files) and ROOT is not
installed. On disk a TNtuple (class version 2) is a TTree whose branches all
hold one ``Float_t`` leaf, followed by ``Int_t fNvar`` (the number of
columns)::

    TNtuple := byte count + version 2 | TTree (version 20) | Int_t fNvar

so this script takes uproot's own TTree writer
(``uproot.writing._cascadetree.Tree``) and adds by hand only what differs:

1. the TNtuple header before the TTree and ``fNvar`` after it, moving the
   offsets the writer patches when baskets are added by the 6 header bytes;
2. the key's class name ``TNtuple`` (two bytes longer than ``TTree``), which
   together with the header moves the references to the TLeaves that the
   TTree's ``fLeaves`` holds by 8 bytes (a reference is the object's offset
   in the key's buffer);
3. the TStreamerInfo of TNtuple version 2 (a ``TStreamerBase`` TTree version
   20 and a ``TStreamerBasicType`` ``Int_t fNvar``, as ROOT writes it) in
   the file's list of streamers, next to the TTree streamers uproot writes.
   Its checksum follows ROOT's algorithm (``TStreamerInfo::GetCheckSum``,
   for classes of bases and plain members); ``check`` makes sure that
   ``_checksum`` reproduces the checksums ROOT wrote in the streamers uproot
   ships (TObject, TObjArray, TLeafF, TAttLine, TList, ...). Without ROOT
   here the TNtuple checksum itself is not compared with one ROOT wrote,
   and the file is not read by ROOT itself; uproot reads it as
   ``Model_TNtuple_v2``, the class it builds from that streamer.

The baskets are uproot's (``extend``). The file holds:

- ``ntuple;1``: TNtuple, 3 entries of ``met``, ``pt``, ``eta``, ``weight``;
- ``ntuple;2``: TNtuple, the same columns, 8 entries in two baskets (5 + 3),
  the values in ``CYCLE_2`` below;
- ``dir/jets``: TNtuple with columns ``px``, ``py`` (4 entries), in a
  directory.

The script checks what it wrote with uproot (class ``TNtuple`` version 2,
``fNvar``, the values). Run it from the repository root::

    .venv/bin/python tests/data/make_tntuple.py

and commit the result; the tests read the committed file and do not run
this script.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("ntuple.root")
COLUMNS = ("met", "pt", "eta", "weight")
CYCLE_1 = {
    "met": [1.0, 2.0, 3.0],
    "pt": [0.5, 1.5, 2.5],
    "eta": [0.0, 0.25, -0.25],
    "weight": [1.0, 1.0, 1.0],
}
CYCLE_2 = {
    "met": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0],
    "pt": [5.5, 12.25, 7.0, 30.5, 2.0, 18.0, 9.75, 44.0],
    "eta": [-2.0, -1.5, -0.5, 0.0, 0.5, 1.25, 2.0, 2.5],
    "weight": [0.5, 1.0, 2.0, 0.25, 1.5, 1.0, 0.75, 3.0],
}
FIRST_BASKET = 5
JETS = {"px": [1.0, -2.0, 3.5, 0.0], "py": [0.5, 4.0, -1.0, 2.0]}

TNTUPLE_VERSION = 2
TTREE_VERSION = 20
#: fBits of the TObject of a TStreamerInfo and of a streamer element, as in
#: the streamers uproot ships (kIsOnHeap | kNotDeleted, + BIT(16) for the info)
_INFO_BITS = 0x03010000
_ELEMENT_BITS = 0x03000000
_K_NEW_CLASS_TAG = 0xFFFFFFFF
_K_BYTE_COUNT_MASK = 0x40000000
_K_INT = 3  # TVirtualStreamerInfo::kInt


# -- the TStreamerInfo of TNtuple --------------------------------------------
def _checksum(name, bases, members):
    """ROOT's ``TStreamerInfo::GetCheckSum`` (kLatestCheckSum) of a class.

    ``bases`` is a list of (base name, base checksum), ``members`` a list of
    (member name, type name) of members without array dimensions or ranges.
    """
    mask = 0xFFFFFFFF
    id_ = 0

    def add(text):
        nonlocal id_
        for character in text:
            id_ = (id_ * 3 + ord(character)) & mask

    add(name)
    for base, base_checksum in bases:
        add(base)
        id_ = (id_ * 3 + base_checksum) & mask
    for member, typename in members:
        add(member)
        add(typename)
    return id_


def _check_checksum_algorithm(streamers):
    """``_checksum`` gives the checksum of every shipped streamer of that shape."""
    from uproot.streamers import Model_TStreamerBase, Model_TStreamerBasicType

    checked = []
    for versions in streamers.values():
        for info in versions.values():
            elements = info.elements
            plain = all(
                isinstance(e, Model_TStreamerBase)
                or (
                    type(e) is Model_TStreamerBasicType
                    and e.member("fArrayDim") == 0
                    and "[" not in e.title
                    and "long" not in e.typename
                )
                for e in elements
            )
            # a class of version 0 is not streamed (TSeqCollection): ROOT
            # takes its checksum from the class, not from these elements
            if (
                not plain
                or not elements
                or info.class_version == 0
                or info.name == "TNtuple"  # ours
            ):
                continue
            bases = [
                (e.name, int(e.member("fMaxIndex")[1]) & 0xFFFFFFFF)
                for e in elements
                if isinstance(e, Model_TStreamerBase)
            ]
            members = [
                (e.name, e.typename)
                for e in elements
                if not isinstance(e, Model_TStreamerBase)
            ]
            expected = info.member("fCheckSum")
            got = _checksum(info.name, bases, members)
            if got != expected:
                raise AssertionError(
                    f"checksum of {info.name}: {got:#x}, ROOT wrote {expected:#x}"
                )
            checked.append(info.name)
    if len(checked) < 5:
        raise AssertionError(f"only {checked} have a checksum to compare")
    return checked


def _version(body, version):
    """A byte count and a class version before ``body``."""
    from uproot.serialization import numbytes_version

    return numbytes_version(len(body), version) + body


def _object_any(classname, body):
    """``body`` written as by ``WriteObjectAny`` with a new class tag."""
    tagged = struct.pack(">I", _K_NEW_CLASS_TAG) + classname.encode() + b"\x00" + body
    return struct.pack(">I", len(tagged) | _K_BYTE_COUNT_MASK) + tagged


def _tnamed(name, title, bits):
    from uproot.serialization import string

    tobject = struct.pack(">hII", 1, 0, bits)  # version, fUniqueID, fBits
    return _version(tobject + string(name) + string(title), 1)


def _element(name, title, type_, size, typename, max_index=(0, 0, 0, 0, 0)):
    """A TStreamerElement (version 4)."""
    from uproot.serialization import string

    body = _tnamed(name, title, _ELEMENT_BITS)
    body += struct.pack(">iiii", type_, size, 0, 0)  # fArrayLength, fArrayDim
    body += struct.pack(">5I", *max_index)
    body += string(typename)
    return _version(body, 4)


def tntuple_streamer(ttree_checksum):
    """The serialized TStreamerInfo of TNtuple version 2."""
    base = _element(
        "TTree",
        "Tree descriptor (the main ROOT I/O class)",
        0,
        0,
        "BASE",
        # the base's checksum, where ROOT writes it (and uproot reads it)
        max_index=(0, ttree_checksum, 0, 0, 0),
    )
    base = _version(base + struct.pack(">i", TTREE_VERSION), 3)  # fBaseVersion
    nvar = _version(_element("fNvar", "Number of columns", _K_INT, 4, "int"), 2)
    elements = [
        _object_any("TStreamerBase", base),
        _object_any("TStreamerBasicType", nvar),
    ]
    tobjarray = struct.pack(">hII", 1, 0, 0) + b"\x00"  # TObject, fName ""
    tobjarray += struct.pack(">ii", len(elements), 0)  # size, fLowerBound
    tobjarray = _version(tobjarray + b"".join(elements), 3)
    checksum = _checksum("TNtuple", [("TTree", ttree_checksum)], [("fNvar", "int")])
    info = _tnamed("TNtuple", "", _INFO_BITS)
    info += struct.pack(">Ii", checksum, TNTUPLE_VERSION)
    info += _object_any("TObjArray", tobjarray)
    return _object_any("TStreamerInfo", _version(info, 9)) + b"\x00"


# -- the TNtuple itself: uproot's TTree writer, wrapped -------------------------
def _ntuple_tree_class():
    import uproot.writing._cascadetree as cascadetree

    header = 6  # byte count + version of the TNtuple
    # the key's class name is len("TNtuple") - len("TTree") bytes longer
    reference_shift = header + len("TNtuple") - len("TTree")

    class NtupleTree(cascadetree.Tree):
        """uproot's writable TTree, serialized as a TNtuple."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for datum in self._branch_data:
                if datum["kind"] != "normal" or datum["dtype"] != np.dtype(">f4"):
                    raise TypeError(
                        f"a TNtuple holds float32 columns; {datum['fName']!r} is "
                        f"{datum['kind']} {datum['dtype']}"
                    )

        def _build_out(self):
            out = super()._build_out()
            data = self._branch_data
            old = np.array([d["tleaf_reference_number"] for d in data], ">u4")
            # the TTree's fLeaves: the references, then 28 bytes of null members
            if out[-2] != old.tobytes() or out[-1] != b"\x00" * 28:
                raise AssertionError("uproot's TTree layout is not the expected one")
            for datum in data:
                datum["tleaf_reference_number"] += reference_shift
                datum["metadata_start"] += header
                datum["basket_metadata_start"] += header
            out[-2] = (old + reference_shift).astype(">u4").tobytes()
            self._metadata_start += header
            out.append(struct.pack(">i", len(data)))  # fNvar
            body = b"".join(out)
            wrapped = _version(body, TNTUPLE_VERSION)
            assert len(wrapped) == len(body) + header
            return [wrapped]

        def write_anew(self, sink):
            raw_data = b"".join(self._build_out())
            self._key = self._directory.add_object(
                sink,
                "TNtuple",
                self._name,
                self._title,
                raw_data,
                len(raw_data),
                replaces=self._key,
                big=True,
            )

    return NtupleTree


def mk_tntuple(directory, name, columns, title="", baskets=None):
    """Write a TNtuple of float32 ``columns`` into a writable uproot directory.

    ``baskets`` lists the number of entries of each basket (default: one).
    """
    import uproot
    import uproot.writing._cascade as cascade

    NtupleTree = _ntuple_tree_class()
    file = directory._file
    cascading = directory._cascading
    tree = NtupleTree(
        cascading,
        name,
        title,
        {column: np.dtype(np.float32) for column in columns},
        cascading._freesegments,
        lambda counted: "n" + counted,
        lambda outer, inner: inner if outer == "" else outer + "_" + inner,
        10,
        10.0,
    )
    tree.write_anew(file.sink)
    writable = uproot.writing.writable.WritableTree(
        (*directory._path, name), file, tree
    )
    file._new_tree(writable)

    # the streamers uproot's mktree writes, and TNtuple's
    streamers, seen = [], set()
    models = (
        uproot.models.TLeaf.Model_TLeafF_v1,
        uproot.models.TBranch.Model_TBranch_v13,
        uproot.models.TTree.Model_TTree_v20,
    )
    ttree_checksum = None
    for model in models:
        for rawstreamer in model.class_rawstreamers:
            key = rawstreamer[-2], rawstreamer[-1]
            if key not in seen:
                seen.add(key)
                streamers.append(cascade.RawStreamerInfo(*rawstreamer))
    for rawstreamer in uproot.models.TTree.Model_TTree_v20.class_rawstreamers:
        if rawstreamer[-2:] == ("TTree", TTREE_VERSION):
            (ttree_checksum,) = struct.unpack(">I", _checksum_of_raw(rawstreamer[1]))
    streamers.append(
        cascade.RawStreamerInfo(
            None, tntuple_streamer(ttree_checksum), "TNtuple", TNTUPLE_VERSION
        )
    )
    file._cascading.streamers.update_streamers(file.sink, streamers)

    n = len(next(iter(columns.values())))
    stops = np.cumsum(baskets if baskets is not None else [n])
    if stops[-1] != n:
        raise ValueError(f"baskets {baskets} do not add up to {n} entries")
    start = 0
    for stop in stops:
        writable.extend(
            {c: np.asarray(v[start:stop], dtype=np.float32) for c, v in columns.items()}
        )
        start = stop
    return writable


def _checksum_of_raw(raw):
    """fCheckSum of a serialized TStreamerInfo (after its TNamed)."""
    # object header (4 + 4 + len("TStreamerInfo\0")), version header (6), TNamed
    at = 4 + 4 + len(b"TStreamerInfo\x00") + 6
    (tnamed_count,) = struct.unpack(">I", raw[at : at + 4])
    at += 4 + (tnamed_count & ~_K_BYTE_COUNT_MASK)
    return raw[at : at + 4]


# -- writing and checking ---------------------------------------------------------
def write(path=PATH):
    import uproot

    with uproot.recreate(path) as f:
        mk_tntuple(f, "ntuple", CYCLE_1, title="first cycle")
        mk_tntuple(
            f,
            "ntuple",
            CYCLE_2,
            title="met, pt, eta, weight",
            baskets=[FIRST_BASKET, len(CYCLE_2["met"]) - FIRST_BASKET],
        )
        mk_tntuple(f.mkdir("dir"), "jets", JETS, title="jets")
    return path


def check(path=PATH):
    import uproot

    with uproot.open(path) as f:
        _check_checksum_algorithm(f.file.streamers)
        assert f.classnames() == {
            "ntuple;1": "TNtuple",
            "ntuple;2": "TNtuple",
            "dir;1": "TDirectory",
            "dir/jets;1": "TNtuple",
        }, f.classnames()
        info = f.file.streamer_named("TNtuple")
        assert info.class_version == TNTUPLE_VERSION
        assert [e.name for e in info.elements] == ["TTree", "fNvar"]
        for key, columns in (
            ("ntuple;1", CYCLE_1),
            ("ntuple;2", CYCLE_2),
            ("dir/jets", JETS),
        ):
            ntuple = f[key]
            assert type(ntuple).__name__ == "Model_TNtuple_v2", type(ntuple)
            assert isinstance(ntuple, uproot.TTree)
            assert ntuple.member("fNvar") == len(columns)
            assert ntuple.keys() == list(columns)
            assert ntuple.typenames() == dict.fromkeys(columns, "float")
            arrays = ntuple.arrays(library="np")
            for column, values in columns.items():
                assert arrays[column].dtype == np.float32
                np.testing.assert_array_equal(arrays[column], values)
        assert f["ntuple;2"]["met"].num_baskets == 2
    return path


def main(argv=None):
    path = Path(argv[0]) if argv else PATH
    check(write(path))
    print(f"wrote and checked {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
