"""Peak memory of ``fit`` and ``predict_proba`` above the data, by row count.

For each size (0.5M, 1M, 2M and 5M rows x 30 float32 features, binary
labels) and each measured step, a fresh Python process

1. imports torch and sknn_hep and warms them up on 2,000 rows (one-off
   allocations of the libraries are not counted),
2. creates the data in chunks of 65,536 rows into a preallocated float32
   array (so that creating it needs no float64 copy of the whole data),
3. for a ``predict`` step, fits the model on the first 20,000 rows,
4. returns freed heap memory to the system (``malloc_trim``), resets the
   peak resident set size of the process to its current value (writing
   ``5`` to ``/proc/self/clear_refs``, Linux >= 4.0) and reads the current
   resident set size ``rss0``, which includes the data,
5. runs the step and reads the peak resident set size ``VmHWM``.

"Above the data" is ``VmHWM - rss0``: what the step needed on top of what
the process held before it. Where ``clear_refs`` cannot be written, a
thread samples ``VmRSS`` every millisecond instead (it can miss peaks that
last less than that). The ratio is to the size of the float32 data
(``X.nbytes``).

Steps: ``fit`` of ``NeuralClassifier`` (its defaults: robust scaling,
periodic embeddings, validation split for early stopping) and of
``NeuralClassifier(**PLAIN_NETWORK)`` (mean/σ scaling, no embedding, no
split), 2 epochs each; ``predict_proba`` of both; and a hand-written
PyTorch loop as the reference (``torch.tensor(X)``, one copy, then
``randperm`` and a gather per batch; prediction in chunks of 65,536 rows).
The network's width, members and batch size change the memory of a batch
(a few MiB) and the time, not the data path: by default (``--network
small``) all runs use one hidden layer of 32 units, one ensemble member and
batches of 4,096 rows, so that the 5M-row fits take minutes instead of
hours on 2 cores; ``--network default`` keeps the estimator's own.

Usage::

    python benchmarks/bench_memory.py                    # 0.5M to 5M rows, ~25 min
    python benchmarks/bench_memory.py --sizes 500000 2000000
    python benchmarks/bench_memory.py --quick            # 100,000 rows, smoke run
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import threading
import time

N_FEATURES = 30
CHUNK = 65_536
STEPS = (
    "fit defaults",
    "fit PLAIN_NETWORK",
    "fit raw torch loop",
    "predict_proba defaults",
    "predict_proba PLAIN_NETWORK",
    "predict raw torch loop",
)
SMALL_NETWORK = {"hidden_layer_sizes": (32,), "n_ensemble": 1, "batch_size": 4096}
MIB = 2**20


# -- measurement (in the worker process) --------------------------------------
def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


class PeakMeter:
    """Peak resident set size of this process during a ``with`` block.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``) and
    reads ``VmHWM`` afterwards; falls back to sampling ``VmRSS`` every
    millisecond in a thread. ``peak_above`` is in bytes, above the
    resident set size at the start of the block.
    """

    def __enter__(self):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.method = "VmHWM"
        except OSError:
            self.method = "sampling"
        self.start = _status_kib("VmRSS")
        self.sampled = self.start
        if self.method == "sampling":
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.sampled = max(self.sampled, _status_kib("VmRSS"))
            time.sleep(0.001)

    def __exit__(self, *exc):
        if self.method == "sampling":
            self._stop.set()
            self._thread.join()
            peak = max(self.sampled, _status_kib("VmRSS"))
        else:
            peak = _status_kib("VmHWM")
        self.peak_above = (peak - self.start) * 1024
        return False


def make_data(n: int, seed: int = 0):
    """``n`` x 30 float32 rows and binary labels, built chunk by chunk."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X = np.empty((n, N_FEATURES), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        xb = rng.normal(size=(stop - start, N_FEATURES)).astype(np.float32)
        logit = xb[:, 0] * xb[:, 1] + np.sin(xb[:, 2]) + 0.5 * xb[:, 3]
        y[start:stop] = logit + rng.normal(scale=0.5, size=stop - start) > 0
        X[start:stop] = xb
    return X, y


def _estimator(kind: str, network: str, max_epochs: int):
    from sknn_hep.neural_network import PLAIN_NETWORK, NeuralClassifier

    params = {} if kind == "defaults" else dict(PLAIN_NETWORK)
    if network == "small":
        params.update(SMALL_NETWORK)
    return NeuralClassifier(**params, max_epochs=max_epochs, random_state=0)


def _raw_fit(X, y, batch_size: int, epochs: int):
    """The reference loop: one float32 copy as a tensor, a gather per batch."""
    import torch

    from sknn_hep.nn import FeedForwardNetwork

    torch.manual_seed(0)
    model = FeedForwardNetwork(n_numeric=N_FEATURES, n_outputs=1, hidden_sizes=[32])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    Xt = torch.tensor(X)
    yt = torch.tensor(y, dtype=torch.float32)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for i in range(0, len(Xt), batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]).squeeze(1), yt[idx])
            loss.backward()
            opt.step()
    return model


def _raw_predict(model, X):
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(X), CHUNK):
            xb = torch.from_numpy(X[start : start + CHUNK])
            out.append(torch.sigmoid(model(xb)))
    return torch.cat(out).numpy()


def worker(step: str, n: int, network: str, epochs: int, threads: int) -> dict:
    """Measure one step in this (fresh) process; returns a result row."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    batch = 4096 if network == "small" else 256
    # warm-up on a small set: library initialisation is not counted
    Xw, yw = make_data(2000, seed=1)
    _raw_predict(_raw_fit(Xw, yw, batch, 1), Xw)
    kind = "defaults" if "defaults" in step else "plain"
    _estimator(kind, network, 1).fit(Xw, yw).predict_proba(Xw)
    del Xw, yw

    X, y = make_data(n)
    model = None
    if step.startswith("predict"):
        m = min(n, 20_000)
        if "raw" in step:
            model = _raw_fit(X[:m], y[:m], batch, 1)
        else:
            model = _estimator(kind, network, 1).fit(X[:m], y[:m])
    start = time.perf_counter()
    with PeakMeter() as meter:
        if step == "fit raw torch loop":
            _raw_fit(X, y, batch, epochs)
        elif step.startswith("fit"):
            _estimator(kind, network, epochs).fit(X, y)
        elif "raw" in step:
            out = _raw_predict(model, X)
        else:
            out = model.predict_proba(X)
    seconds = time.perf_counter() - start
    if step.startswith("predict"):
        assert out.shape[0] == n and np.isfinite(out).all()
    return {
        "step": step,
        "rows": n,
        "data_bytes": int(X.nbytes),
        "peak_above": int(meter.peak_above),
        "method": meter.method,
        "seconds": seconds,
    }


# -- driver ---------------------------------------------------------------------
def run_one(step, n, network, epochs, threads) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        step,
        "--sizes",
        str(n),
        "--network",
        network,
        "--epochs",
        str(epochs),
        "--threads",
        str(threads),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{step} on {n} rows failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[500_000, 1_000_000, 2_000_000, 5_000_000],
    )
    parser.add_argument("--quick", action="store_true", help="100,000 rows only")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--network", choices=("small", "default"), default="small")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        row = worker(
            args.worker, args.sizes[0], args.network, args.epochs, args.threads
        )
        print(json.dumps(row))
        return row
    sizes = [100_000] if args.quick else args.sizes
    rows = []
    for n in sizes:
        for step in args.steps:
            row = run_one(step, n, args.network, args.epochs, args.threads)
            rows.append(row)
            print(
                f"# {n:,} rows, {step}: {row['peak_above'] / MIB:,.0f} MiB above the "
                f"data ({row['peak_above'] / row['data_bytes']:.2f}x), "
                f"{row['seconds']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    network = (
        "one hidden layer of 32, 1 member, batches of 4,096"
        if args.network == "small"
        else "the estimators' own"
    )
    print(
        f"\nrows x {N_FEATURES} float32 features, fit {args.epochs} epochs, "
        f"network: {network}, {args.threads} threads; peak resident memory "
        f"above the data ({rows[0]['method']}), and its ratio to the float32 "
        "data\n"
    )
    print("| rows | data MiB | step | peak above data MiB | ratio to data | s |")
    print("|---:|---:|---|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['rows']:,} | {r['data_bytes'] / MIB:,.0f} | {r['step']} | "
            f"{r['peak_above'] / MIB:,.0f} | {r['peak_above'] / r['data_bytes']:.2f}x "
            f"| {r['seconds']:.1f} |"
        )
    return rows


if __name__ == "__main__":
    main()
