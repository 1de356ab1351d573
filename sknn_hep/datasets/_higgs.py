"""Loader for the bundled ATLAS Higgs-challenge sample."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._higgs import (
    HIGGS_CATEGORICAL_COLUMNS,
    HIGGS_EVENT_NUMBER,
    HIGGS_FEATURES,
    HIGGS_SIGNAL,
    HIGGS_TARGET,
    HIGGS_WEIGHTS,
)

_FILENAME = "atlas-higgs-challenge-2014-v2-sample.csv.gz"

_DESCR = """\
ATLAS Higgs Boson Machine Learning Challenge 2014, sample
========================================================

Real simulated ATLAS events (H -> tau tau signal against Z -> tau tau,
top-pair and W background) from the CERN Open Data Portal (record 328,
DOI 10.7483/OPENDATA.ATLAS.ZBP2.M5T8, CC0): the first 22,889 events
(EventId 100000-122888) of ``atlas-higgs-challenge-2014-v2.csv``, unchanged.

- 7,817 signal (label 1) and 15,072 background (label 0) events.
- 30 features: 13 derived (``DER_*``) and 17 primitive (``PRI_*``) quantities;
  momenta and masses in GeV, angles in radians.
- ``-999.0`` marks a value that cannot be computed for the event (no jet, or
  the mass estimate failed): 71 % of rows miss the 7 two-jet features, 40 %
  the leading-jet features, 15 % ``DER_mass_MMC``. It is missing information,
  not noise: the pattern follows ``PRI_jet_num``.
- ``PRI_jet_num`` is a category (0, 1, 2, 3 jets), not a number.
- ``*_phi`` columns are azimuthal angles in [-pi, pi).
- ``*_pt``, ``*_met``, ``*_sumet`` and ``DER_mass_*`` are positive and
  heavy-tailed.
- ``Weight``: per-event weight normalised to the full 818,238-event data set.
- ``KaggleWeight``: weight normalised within the original Kaggle subset
  (sums here: signal 64.61, background 37,467.64).
- ``EventId``: unique event number, for deterministic k-fold splits
  (``EventId % k``).

The challenge metric is the approximate median significance
AMS = sqrt(2 ((s + b + b_reg) ln(1 + s / (b + b_reg)) - s)), b_reg = 10.
"""


def load_higgs_challenge(*, weight="KaggleWeight", n_samples=None, return_X_y=False):
    """Load the bundled ATLAS Higgs-challenge sample (22,889 events).

    Parameters
    ----------
    weight : {"KaggleWeight", "Weight"}, default="KaggleWeight"
        Which per-event weight column to return as ``sample_weight``.
    n_samples : int or None, default=None
        Return only the first ``n_samples`` events (in file order), e.g. for a
        quick test. ``None`` returns all 22,889.
    return_X_y : bool, default=False
        If True, return the tuple ``(X, y, sample_weight, event_id)`` instead
        of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the fields

        - ``data``: DataFrame of shape (n_samples, 30), the features in
          :data:`HIGGS_FEATURES` order; ``-999.0`` marks missing values.
        - ``target``: ndarray of int, 1 for signal (``Label == "s"``), 0 for
          background.
        - ``sample_weight``: ndarray of float, the chosen weight column.
        - ``event_id``: ndarray of int, the ``EventId`` column.
        - ``frame``: the whole table as read (35 columns).
        - ``feature_names``, ``target_names`` (``["b", "s"]``), ``DESCR``.

    (X, y, sample_weight, event_id) : tuple
        If ``return_X_y`` is True.

    Notes
    -----
    The file holds the first 22,889 events (``EventId`` 100000-122888) of
    ``atlas-higgs-challenge-2014-v2.csv`` from the CERN Open Data Portal
    (record 328, CC0), unchanged: real simulated ATLAS events, H → ττ signal
    against Z → ττ, top-pair and W background. The columns:

    - ``DER_*`` (13) are quantities derived from the ``PRI_*`` (17) primitive
      ones; momenta and masses in GeV, angles in radians.
    - ``-999.0`` marks a value that cannot be computed for the event (no jet,
      or the mass estimate failed): 71 % of rows miss the 7 two-jet features,
      40 % the leading-jet features, 15 % ``DER_mass_MMC``. It is missing
      information, not noise: the pattern follows ``PRI_jet_num``.
    - ``PRI_jet_num`` is a category (0, 1, 2, 3 jets), not a number; pass it
      as ``categorical_features`` to the estimators.
    - ``*_phi`` are azimuthal angles in [-π, π); ``*_pt``, ``*_met``,
      ``*_sumet`` and ``DER_mass_*`` are positive and heavy-tailed (see
      :class:`~sknn_hep.preprocessing.LogShiftTransformer`).
    - ``Weight`` is normalised to the full 818,238-event data set (sums here:
      signal 19.83, background 11,424.25); ``KaggleWeight`` within the
      original Kaggle subset (sums here: signal 64.61, background
      37,467.64). To quote an AMS on a subset, rescale the weights of the
      evaluated events so that each class sums to the full Kaggle training
      set's totals, ``HIGGS_SIGNAL_TOTAL`` = 691.99 and
      ``HIGGS_BACKGROUND_TOTAL`` = 410,999.85
      (:func:`~sknn_hep.metrics.physics_figures` takes them).
    - ``Label`` is ``"s"`` or ``"b"``; ``KaggleSet`` is ``"t"`` for every row
      (all come from the Kaggle training set).
    - ``EventId`` is a unique event number, for deterministic k-fold splits
      (``EventId % k``, see :class:`~sknn_hep.model_selection.EventNumberKFold`).

    The challenge metric is the approximate median significance
    AMS = √(2 ((s + b + b_reg) ln(1 + s / (b + b_reg)) − s)), b_reg = 10, with
    s and b the weighted sums of selected signal and background events.

    Examples
    --------
    >>> from sknn_hep.datasets import load_higgs_challenge
    >>> X, y, w, event_id = load_higgs_challenge(return_X_y=True)
    >>> X.shape
    (22889, 30)
    >>> int(y.sum()), int(event_id.min())
    (7817, 100000)
    >>> round(float(w[y == 1].sum()), 2)
    64.61
    """
    if weight not in HIGGS_WEIGHTS:
        raise ValueError(
            f"The 'weight' parameter of load_higgs_challenge must be one of "
            f"{list(HIGGS_WEIGHTS)}. Got {weight!r} instead."
        )
    if n_samples is not None and (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, (int, np.integer))
        or n_samples < 1
    ):
        raise ValueError(
            "The 'n_samples' parameter of load_higgs_challenge must be a positive "
            f"int or None. Got {n_samples!r} instead."
        )
    path = resources.files("sknn_hep.datasets").joinpath("data", _FILENAME)
    with resources.as_file(path) as file:
        frame = pd.read_csv(file, nrows=n_samples)
    X = frame.loc[:, list(HIGGS_FEATURES)].astype(np.float64)
    for column in HIGGS_CATEGORICAL_COLUMNS:
        X[column] = X[column].astype(np.int64)
    y = (frame[HIGGS_TARGET].to_numpy() == HIGGS_SIGNAL).astype(np.int64)
    sample_weight = frame[weight].to_numpy(dtype=np.float64)
    event_id = frame[HIGGS_EVENT_NUMBER].to_numpy(dtype=np.int64)
    if return_X_y:
        return X, y, sample_weight, event_id
    return Bunch(
        data=X,
        target=y,
        sample_weight=sample_weight,
        event_id=event_id,
        frame=frame,
        feature_names=list(HIGGS_FEATURES),
        target_names=np.array(["b", "s"]),
        DESCR=_DESCR,
    )
