"""Physics figures of merit: AMS, Asimov significance, background rejection.

Event weights may be negative (NLO generators), under the package's policy
(:func:`sknn_hep.utils.check_event_weights`): each class's weights must sum
to a positive number. The curves are built by :mod:`._roc`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d

from .._validation import check_zero_one_labels
from ..utils import check_event_weights
from ._roc import cumulative_weights, trapezoid_auc, weighted_roc


def _check_binary(y_true, y_score, sample_weight, func):
    y_true = column_or_1d(y_true)
    y_score = column_or_1d(y_score).astype(np.float64)
    check_consistent_length(y_true, y_score)
    y_true = check_zero_one_labels(y_true, owner=func)
    if not np.isfinite(y_score).all():
        raise ValueError(f"{func} got non-finite scores.")
    if sample_weight is None:
        w = np.ones(len(y_true))
    else:
        # negative weights allowed; the total of each class must be positive
        w = check_event_weights(sample_weight, y_score, owner=func, y=y_true)
    return y_true, y_score, w


def _rescale(y, w, signal_total, background_total):
    w = w.copy()
    for label, total in ((1, signal_total), (0, background_total)):
        if total is None:
            continue
        current = w[y == label].sum()
        if not current > 0:
            raise ValueError(
                "Cannot rescale the weights to a class total: class "
                f"{label} has summed weight {current:g}."
            )
        w[y == label] *= total / current
    return w


def _ams_formula(s, b, b_reg):
    # negative-weight events can make a selection's summed weight negative:
    # b below 0 counts as 0 (then + b_reg), s at or below 0 has AMS 0
    s = np.asarray(s, dtype=np.float64)
    b = np.clip(np.asarray(b, dtype=np.float64), 0.0, None) + b_reg
    with np.errstate(divide="ignore", invalid="ignore"):
        radicand = 2.0 * ((s + b) * np.log1p(s / b) - s)
        z = np.sqrt(np.clip(radicand, 0.0, None))
    return np.where(s > 0, z, 0.0)


def ams_curve(
    y_true,
    y_score,
    *,
    sample_weight=None,
    b_reg=10.0,
    signal_total=None,
    background_total=None,
):
    """AMS of the selection ``score >= t`` for every distinct threshold t.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for signal, 0 for background.
    y_score : array-like of shape (n_samples,)
        Classifier output; larger means more signal-like.
    sample_weight : array-like of shape (n_samples,) or None
        Event weights (s and b are weighted sums). Negative weights are
        allowed if each class's weights sum to a positive number (see
        Notes).
    b_reg : float, default=10
        Regularisation term added to b (10 in the Higgs challenge).
    signal_total, background_total : float or None
        If given, the weights of each class are first rescaled so they sum to
        this total (e.g. to evaluate a fold of the data at the full
        luminosity: 691.99 and 410,999.85 for the challenge's
        ``KaggleWeight``).

    Returns
    -------
    thresholds : ndarray
        Distinct scores, decreasing.
    ams : ndarray
        AMS of selecting the events with ``score >= thresholds[i]``.

    Raises
    ------
    ValueError
        If weights are negative and those of a class sum to zero or less
        (the message names the class and its total).

    Notes
    -----
    With negative-weight events the summed weights s and b of a selection
    need not grow with the selection and may be negative. A selection with
    ``s <= 0`` has AMS 0; a negative b counts as 0 (then ``+ b_reg``), so
    the AMS stays finite for ``b_reg > 0``; with ``b_reg=0`` a selection
    with ``s > 0`` and ``b <= 0`` has AMS ``inf``, as for no background.

    Examples
    --------
    >>> t, a = ams_curve([1, 1, 0, 0], [0.9, 0.8, 0.7, 0.1],
    ...                  sample_weight=[5, 5, 1, 1])
    >>> t.tolist()
    [0.9, 0.8, 0.7, 0.1]
    >>> a.round(4).tolist()   # s = 10, b = 0 (+ b_reg) at t = 0.8
    [1.471, 2.7795, 2.6755, 2.5826]
    """
    y, score, w = _check_binary(y_true, y_score, sample_weight, "ams_curve")
    w = _rescale(y, w, signal_total, background_total)
    thresholds, s, b = cumulative_weights(y == 1, score, w)
    return thresholds, _ams_formula(s, b, b_reg)


def ams(
    y_true,
    y_pred,
    *,
    sample_weight=None,
    threshold=None,
    b_reg=10.0,
    signal_total=None,
    background_total=None,
):
    """Approximate median significance of the Higgs ML challenge.

    ``AMS = sqrt(2 ((s + b + b_reg) ln(1 + s / (b + b_reg)) - s))`` with s and
    b the weighted sums of the selected signal and background events.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for signal, 0 for background.
    y_pred : array-like of shape (n_samples,)
        A selection (0/1 or bool) when ``threshold`` is None; otherwise a
        classifier score.
    sample_weight : array-like of shape (n_samples,) or None
        Event weights. Negative weights are allowed if each class's weights
        sum to a positive number; a selection whose summed signal weight is
        zero or less has AMS 0, a negative summed background weight counts
        as 0 (see :func:`ams_curve`).
    threshold : None, float or "max", default=None
        None: ``y_pred`` is the selection. A float: select ``y_pred >=
        threshold``. ``"max"``: the largest AMS over all thresholds (the
        challenge's AMS_max); see :func:`ams_curve`.
    b_reg : float, default=10
        Regularisation term of the challenge.
    signal_total, background_total : float or None
        Rescale each class's weights to these totals first (see
        :func:`ams_curve`).

    Returns
    -------
    ams : float

    Examples
    --------
    >>> round(ams([1, 1, 0], [1, 1, 1], sample_weight=[3.0, 2.0, 40.0]), 4)
    0.6958
    >>> round(ams([1, 1, 0], [0.9, 0.8, 0.1], sample_weight=[3.0, 2.0, 40.0],
    ...           threshold="max"), 4)
    1.471
    """
    if isinstance(threshold, str):
        if threshold != "max":
            raise ValueError(
                f"The 'threshold' parameter of ams must be None, a number or 'max'. "
                f"Got {threshold!r} instead."
            )
        _, values = ams_curve(
            y_true,
            y_pred,
            sample_weight=sample_weight,
            b_reg=b_reg,
            signal_total=signal_total,
            background_total=background_total,
        )
        return float(values.max())
    y, pred, w = _check_binary(y_true, y_pred, sample_weight, "ams")
    w = _rescale(y, w, signal_total, background_total)
    if threshold is None:
        if not np.all(np.isin(np.unique(pred), [0, 1])):
            raise ValueError(
                "ams got continuous y_pred with threshold=None; pass a threshold "
                "(or threshold='max') to select on a score."
            )
        selected = pred == 1
    elif isinstance(threshold, Real):
        selected = pred >= threshold
    else:
        raise ValueError(
            f"The 'threshold' parameter of ams must be None, a number or 'max'. Got "
            f"{threshold!r} instead."
        )
    s = float(w[selected & (y == 1)].sum())
    b = float(w[selected & (y == 0)].sum())
    return float(_ams_formula(s, b, b_reg))


def asimov_significance(s, b, sigma_b=0.0):
    """Median discovery significance of s signal over b background events.

    Without uncertainty, ``Z = sqrt(2 ((s + b) ln(1 + s/b) - s))``; with an
    absolute uncertainty σ_b on b (Cowan et al., Eur. Phys. J. C 71 (2011)
    1554)::

        Z = sqrt(2 ((s+b) ln[(s+b)(b+σ²) / (b² + (s+b)σ²)]
                    - (b²/σ²) ln[1 + σ² s / (b (b+σ²))]))

    Parameters
    ----------
    s, b : float or array-like
        Expected signal and background yields (b > 0).
    sigma_b : float or array-like, default=0
        Absolute uncertainty on b.

    Returns
    -------
    z : float or ndarray

    Examples
    --------
    >>> round(float(asimov_significance(10, 100)), 4)
    0.984
    >>> round(float(asimov_significance(10, 100, sigma_b=10)), 4)
    0.6902
    """
    s = np.asarray(s, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    sigma = np.asarray(sigma_b, dtype=np.float64)
    if np.any(b <= 0) or np.any(s < 0) or np.any(sigma < 0):
        raise ValueError(
            "asimov_significance needs s >= 0, b > 0 and sigma_b >= 0; got "
            f"s={s.tolist()}, b={b.tolist()}, sigma_b={sigma.tolist()}."
        )
    var = sigma**2
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = 2.0 * ((s + b) * np.log1p(s / b) - s)
        first = (s + b) * np.log((s + b) * (b + var) / (b**2 + (s + b) * var))
        second = b**2 / var * np.log1p(var * s / (b * (b + var)))
        with_sigma = 2.0 * (first - second)
    z2 = np.where(var > 0, with_sigma, plain)
    z = np.sqrt(np.clip(z2, 0.0, None))
    return float(z) if z.ndim == 0 else z


def background_rejection(y_true, y_score, *, signal_efficiency=0.3, sample_weight=None):
    """Background rejection 1/ε_B at a fixed signal efficiency ε_S.

    The thresholds are scanned from the highest score down; ε_B is read
    where the (weighted) signal efficiency first reaches
    ``signal_efficiency``, interpolating linearly from the threshold before.
    ``inf`` when no background passes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for signal, 0 for background.
    y_score : array-like of shape (n_samples,)
        Classifier output; larger means more signal-like.
    signal_efficiency : float in (0, 1], default=0.3
        The working point ε_S.
    sample_weight : array-like of shape (n_samples,) or None
        Event weights. Negative weights are allowed if each class's weights
        sum to a positive number; the efficiencies are then not monotonic in
        the threshold (see Notes).

    Returns
    -------
    rejection : float
        1/ε_B; ``inf`` when ε_B <= 0.

    Raises
    ------
    ValueError
        If the weights of a class sum to zero or less.

    Notes
    -----
    With negative-weight events the selected background weight can be zero
    or negative at the working point (a fluctuation of the negative weights
    in a region with little background). The rejection is then ``inf``, as
    when no background event passes: the sample cannot resolve ε_B there,
    and ``inf`` keeps a scan or a search running instead of failing after
    the training. Check ``np.isinf`` before quoting the number.

    Examples
    --------
    >>> y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    >>> score = [0.9, 0.8, 0.7, 0.2, 0.75, 0.3, 0.2, 0.1, 0.1, 0.1]
    >>> background_rejection(y, score, signal_efficiency=0.5)   # ε_B = 0 -> inf
    inf
    >>> background_rejection(y, score, signal_efficiency=0.75)  # ε_B = 1/6
    6.0
    """
    if not (isinstance(signal_efficiency, Real) and 0 < signal_efficiency <= 1):
        raise ValueError(
            "The 'signal_efficiency' parameter of background_rejection must be a "
            f"float in (0, 1]. Got {signal_efficiency!r} instead."
        )
    y, score, w = _check_binary(y_true, y_score, sample_weight, "background_rejection")
    fpr, tpr, _ = weighted_roc(y == 1, score, w, func="background_rejection")
    # the first threshold reaching the efficiency (the curve ends at tpr = 1,
    # and starts at 0 < ε_S), interpolated from the one before
    at = int(np.flatnonzero(tpr >= signal_efficiency)[0])
    if tpr[at] == signal_efficiency:
        eff_b = float(fpr[at])
    else:
        frac = (signal_efficiency - tpr[at - 1]) / (tpr[at] - tpr[at - 1])
        eff_b = float(fpr[at - 1] + frac * (fpr[at] - fpr[at - 1]))
    return float(np.inf) if eff_b <= 0 else 1.0 / eff_b


def physics_figures(
    y_true,
    y_score,
    *,
    sample_weight=None,
    signal_efficiency=0.3,
    b_reg=10.0,
    signal_total=None,
    background_total=None,
):
    """The figures a physicist quotes for a classifier score, in one dict.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for signal, 0 for background.
    y_score : array-like of shape (n_samples,)
        Classifier output; larger means more signal-like.
    sample_weight : array-like of shape (n_samples,) or None
        Event weights. Negative weights are allowed if each class's weights
        sum to a positive number (see Notes).
    signal_efficiency : float in (0, 1], default=0.3
        Working point of the background rejection.
    b_reg : float, default=10
        Regularisation term of the AMS.
    signal_total, background_total : float or None
        Rescale each class's weights to these totals for the AMS (for the
        bundled Higgs sample: ``HIGGS_SIGNAL_TOTAL`` and
        ``HIGGS_BACKGROUND_TOTAL`` of :mod:`sknn_hep.datasets`, the full
        Kaggle training set's).

    Returns
    -------
    figures : dict
        ``"auc"``: the ROC AUC without weights; ``"weighted_auc"``: with
        ``sample_weight``; ``"ams"``: AMS maximised over the threshold;
        ``"rejection"``: 1/ε_B at ``signal_efficiency``.

    Raises
    ------
    ValueError
        If the weights of a class sum to zero or less.

    Notes
    -----
    The AUCs integrate the ROC curve with the trapezoid rule over its points
    in threshold order. With non-negative weights this is
    :func:`sklearn.metrics.roc_auc_score` (to rounding). With negative
    weights the curve need not be monotonic, which scikit-learn refuses;
    the area is then still the pairwise probability that a signal event
    scores above a background one, ``sum_s sum_b w_s w_b ([score_s >
    score_b] + [score_s == score_b] / 2) / (sum w_s sum w_b)``, as HEP tools
    compute it. For the AMS and the rejection with negative weights see
    :func:`ams_curve` and :func:`background_rejection`.

    Examples
    --------
    >>> f = physics_figures([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8],
    ...                     sample_weight=[1.0, 1.0, 1.0, 3.0])
    >>> f["auc"], f["weighted_auc"], f["rejection"]
    (0.75, 0.875, inf)

    With a negative-weight event (each class's weights still sum to a
    positive number), the pairs of signal and background events:

    >>> f = physics_figures([0, 0, 0, 1, 1], [0.1, 0.4, 0.5, 0.35, 0.8],
    ...                     sample_weight=[1.0, -0.5, 1.5, 1.0, 3.0])
    >>> f["weighted_auc"]   # (1 * 1 + 3 * (1 - 0.5 + 1.5)) / (4 * 2)
    0.875
    """
    y, score, w = _check_binary(y_true, y_score, sample_weight, "physics_figures")

    def roc_auc(weight):
        fpr, tpr, _ = weighted_roc(
            y == 1, score, weight, drop_intermediate=True, func="physics_figures"
        )
        return trapezoid_auc(fpr, tpr)

    return {
        "auc": roc_auc(np.ones(len(y))),
        "weighted_auc": roc_auc(w),
        "ams": ams(
            y,
            score,
            sample_weight=w,
            threshold="max",
            b_reg=b_reg,
            signal_total=signal_total,
            background_total=background_total,
        ),
        "rejection": background_rejection(
            y, score, signal_efficiency=signal_efficiency, sample_weight=w
        ),
    }
