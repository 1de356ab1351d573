"""Score ROOT ntuples on a Dask cluster and write the scores.
==========================================================

Train in memory, apply everywhere: a network is trained on a sample that fits
in memory, then scores ntuples far larger than that, block by block, on the
workers of a Dask cluster. The script

1. trains a pipeline (missing-value encoding, then a
   :class:`~sknn_hep.neural_network.NeuralClassifier`) on half of the bundled
   ATLAS Higgs-challenge sample;
2. writes the other half as a TTree to two ROOT files with ``uproot``,
   standing in for an analysis's ntuples;
3. reads them lazily with ``uproot.dask`` (one Dask array per branch, cut
   into steps of a few thousand events) and puts the branches side by side
   in a Dask DataFrame;
4. on a ``distributed.LocalCluster`` of two worker processes, scores every
   partition through :class:`~sknn_hep.parallel.ParallelPostFit` (the
   fitted pipeline goes to each worker once) and writes ``EventId`` and the
   signal probability to ``OUTPUT/higgs_scores/`` as Parquet, one file per
   partition, with dask's ``to_parquet``;
5. reads the scores back and checks them against ``predict_proba`` of the
   same events in memory, and reports the ROC AUC of the written scores.

On a batch farm the cluster comes from dask-jobqueue instead of
``LocalCluster``; the rest is unchanged (``docs/parallel.md``).

Run ``python examples/dask_uproot_scoring.py --fast`` for a quick check.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import uproot
from distributed import Client, LocalCluster
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier
from sknn_hep.parallel import ParallelPostFit
from sknn_hep.preprocessing import MissingValueEncoder


def write_ntuples(frame: pd.DataFrame, directory: Path, n_files: int) -> list[Path]:
    """Write ``frame`` as a TTree ``events`` to ``n_files`` ROOT files."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    bounds = np.linspace(0, len(frame), n_files + 1).astype(int)
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        part = frame.iloc[start:stop]
        path = directory / f"events_{i}.root"
        with uproot.recreate(path) as f:
            # mktree writes a TTree (a dict assigned to f["events"] would
            # become an RNTuple, which uproot.dask cannot read as arrays)
            branches = {c: part[c].to_numpy() for c in part.columns}
            f.mktree("events", {c: a.dtype for c, a in branches.items()})
            f["events"].extend(branches)
        paths.append(path)
    return paths


def read_ntuples(paths: list[Path], columns: list[str], step_size: int):
    """The branches ``columns`` of the files as one lazy Dask DataFrame."""
    arrays = uproot.dask(
        {str(p): "events" for p in paths},
        filter_name=columns,
        library="np",
        step_size=step_size,
    )
    # one Dask array per branch, with the same row chunks: side by side
    return dd.concat(
        [dd.from_dask_array(arrays[c], columns=c) for c in columns], axis=1
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", help="3 training epochs")
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    data = load_higgs_challenge()
    X, y, event_id = data.data, data.target, data.event_id
    X_train, X_test, y_train, y_test, _, id_test = train_test_split(
        X, y, event_id, test_size=0.5, stratify=y, random_state=0
    )
    model = make_pipeline(
        MissingValueEncoder(missing_values=-999.0, add_indicator=True),
        NeuralClassifier(
            **PLAIN_NETWORK,
            n_layers=2,
            n_units=64,
            max_epochs=3 if args.fast else 20,
            random_state=0,
        ),
    ).fit(X_train, y_train)

    # The "ntuples": the test events, their EventId and the 30 features.
    events = X_test.assign(EventId=id_test)
    paths = write_ntuples(events, args.output / "ntuples", n_files=2)
    columns = ["EventId", *X.columns]
    # Dask reads each branch of each step in a task of its own: larger steps,
    # fewer tasks (the fast mode's 4 partitions; 6 otherwise).
    ntuples = read_ntuples(paths, columns, step_size=4000 if args.fast else 2000)
    print(
        f"{len(paths)} ROOT files, {len(events)} events, "
        f"{ntuples.npartitions} partitions"
    )

    # Score on the cluster. Nothing is read until to_parquet runs; then each
    # worker reads its steps of the files, scores them and writes them.
    out = args.output / "higgs_scores"
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster),
    ):
        scorer = ParallelPostFit(model)
        proba = scorer.predict_proba(ntuples[list(X.columns)])
        scores = ntuples[["EventId"]].assign(score=proba["1"])
        scores.to_parquet(out, write_index=False)
    elapsed = time.perf_counter() - start
    print(f"scored and wrote {out} on {args.workers} workers in {elapsed:.1f} s")

    # Check: the written scores are those of the model in memory.
    written = pd.read_parquet(out).set_index("EventId").loc[id_test, "score"]
    in_memory = model.predict_proba(X_test)[:, 1]
    max_diff = float(np.max(np.abs(written.to_numpy() - in_memory)))
    auc = roc_auc_score(y_test, written)
    print(f"max |Dask - in memory| = {max_diff:.1e}; ROC AUC of the scores {auc:.4f}")
    return {
        "n_events": len(written),
        "n_partitions": ntuples.npartitions,
        "max_diff": max_diff,
        "auc": auc,
        "output": out,
    }


if __name__ == "__main__":  # required: the workers are started with spawn
    main()
