"""Test configuration: one torch thread per pytest worker (the suite runs with
``pytest -n 2`` on 2 cores), and no display for matplotlib."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

torch.set_num_threads(1)
