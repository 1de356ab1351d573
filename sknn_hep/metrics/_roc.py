"""The weighted ROC curve behind every metric and plot: sort-based, and it
accepts negative event weights.

scikit-learn's ``roc_curve`` and ``auc`` assume non-negative weights: with
negative-weight events (NLO Monte Carlo) the cumulative weights, so the
curve, are not monotonic and ``auc`` refuses it ("x is neither increasing
nor decreasing"). Here the curve is built the way HEP tools build it: sort
by decreasing score, accumulate the signal and background weights at each
distinct threshold, integrate with the trapezoid rule in threshold order.
For non-negative weights the points, and so the AUC, are those of
scikit-learn's ``roc_curve``/``roc_auc_score``.
"""

from __future__ import annotations

import numpy as np


def cumulative_weights(is_signal, score, weight):
    """Summed signal and background weight selected by ``score >= t``.

    Parameters
    ----------
    is_signal : ndarray of bool, shape (n_samples,)
    score : ndarray of float, shape (n_samples,)
    weight : ndarray of float, shape (n_samples,)
        May be negative.

    Returns
    -------
    thresholds : ndarray
        The distinct scores, decreasing (tied scores form one threshold).
    s, b : ndarray
        Summed signal and background weight of the events with ``score >=
        thresholds[i]``; not monotonic when weights are negative.
    """
    order = np.argsort(-score, kind="stable")  # ties keep their order
    score, is_signal, weight = score[order], is_signal[order], weight[order]
    s = np.cumsum(np.where(is_signal, weight, 0.0))
    b = np.cumsum(np.where(is_signal, 0.0, weight))
    # the last event of each group of tied scores closes its selection
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    return score[last], s[last], b[last]


def weighted_roc(is_signal, score, weight, *, drop_intermediate=False, func="roc"):
    """ROC curve with event weights, negative ones included.

    ``tpr = s / s_total`` and ``fpr = b / b_total`` at each distinct threshold
    (see :func:`cumulative_weights`), preceded by ``(0, 0)`` at threshold
    ``inf``, as in :func:`sklearn.metrics.roc_curve`. Events of zero weight
    are left out, and ``drop_intermediate`` drops the points collinear with
    their neighbours (they do not change the area), both as scikit-learn
    does, so that for non-negative weights the points are scikit-learn's.

    Parameters
    ----------
    is_signal : ndarray of bool, shape (n_samples,)
    score : ndarray of float, shape (n_samples,)
    weight : ndarray of float, shape (n_samples,)
        Event weights; each class's must sum to a positive number (the
        caller checks the negative-weight policy,
        :func:`sknn_hep.utils.check_event_weights`; what is left for this
        function is a class with no weight at all).
    drop_intermediate : bool, default=False
    func : str
        Name of the calling function, for the error message.

    Returns
    -------
    fpr, tpr, thresholds : ndarray
    """
    nonzero = weight != 0
    thresholds, s, b = cumulative_weights(
        is_signal[nonzero], score[nonzero], weight[nonzero]
    )
    if not (len(s) and s[-1] > 0 and b[-1] > 0):
        totals = (s[-1], b[-1]) if len(s) else (0.0, 0.0)
        raise ValueError(
            f"{func} needs signal and background events with a positive total "
            f"weight; got signal total weight {totals[0]:g} and background total "
            f"weight {totals[1]:g}."
        )
    if drop_intermediate and len(s) > 2:
        corner = np.r_[True, (np.diff(b, 2) != 0) | (np.diff(s, 2) != 0), True]
        thresholds, s, b = thresholds[corner], s[corner], b[corner]
    # the last cumulative sum is the total: the curve ends at exactly (1, 1)
    fpr = np.r_[0.0, b / b[-1]]
    tpr = np.r_[0.0, s / s[-1]]
    return fpr, tpr, np.r_[np.inf, thresholds]


def trapezoid_auc(fpr, tpr):
    """Area under the ROC curve by the trapezoid rule, points in threshold order.

    With negative weights ``fpr`` may go back and forth; the signed segments
    then give the area that the pairwise definition gives, ``sum_s sum_b w_s
    w_b ([score_s > score_b] + [score_s == score_b] / 2) / (sum w_s sum w_b)``
    (which is bilinear in the weights).
    """
    return float(np.trapezoid(tpr, fpr))
