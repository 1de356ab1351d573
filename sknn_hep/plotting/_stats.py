"""Weighted two-sample Kolmogorov-Smirnov test."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.stats import kstwo

from ..utils import NEGATIVE_WEIGHTS_POLICY


class KSResult(NamedTuple):
    """Result of :func:`weighted_ks_test`.

    Attributes
    ----------
    statistic : float
        Largest absolute difference of the two weighted ECDFs.
    pvalue : float
        Two-sided p-value from the effective sample sizes.
    n_eff : tuple of float
        Effective sample sizes ``(sum w)^2 / sum w^2`` of ``a`` and ``b``.
    """

    statistic: float
    pvalue: float
    n_eff: tuple[float, float]


def _sample(values, weights, name, wname):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"The '{name}' parameter of weighted_ks_test must be a non-empty 1d "
            f"array. Got shape {values.shape} instead."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"The '{name}' parameter of weighted_ks_test must hold finite values. "
            f"Got {int(np.sum(~np.isfinite(values)))} non-finite value(s) instead."
        )
    if weights is None:
        weights = np.ones_like(values)
    else:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != values.shape:
            raise ValueError(
                f"The '{wname}' parameter of weighted_ks_test must have the shape of "
                f"'{name}' {values.shape}. Got shape {weights.shape} instead."
            )
        if not np.all(np.isfinite(weights)):
            raise ValueError(
                f"The '{wname}' parameter of weighted_ks_test must hold finite "
                "values. Got non-finite weights instead."
            )
    total = weights.sum()
    if not total > 0:
        raise ValueError(
            f"The '{wname}' parameter of weighted_ks_test must have a positive sum. "
            f"Got sum {float(total)!r} instead ({NEGATIVE_WEIGHTS_POLICY})."
        )
    order = np.argsort(values, kind="mergesort")
    values, weights = values[order], weights[order]
    cdf = np.concatenate([[0.0], np.cumsum(weights)]) / total
    n_eff = total**2 / np.sum(weights**2)
    return values, cdf, float(n_eff)


def weighted_ks_test(a, b, wa=None, wb=None):
    """Two-sample Kolmogorov-Smirnov test for weighted samples.

    The statistic is the largest absolute difference between the weighted
    empirical distribution functions of ``a`` and ``b``,
    ``D = max_x |F_a(x) - F_b(x)|`` with ``F_a(x) = sum(wa[a <= x]) / sum(wa)``.
    The two-sided p-value is that of the unweighted test with the effective
    sample sizes ``n_eff = (sum w)^2 / sum w^2`` in place of the counts:
    ``p = kstwo.sf(D, round(n_a n_b / (n_a + n_b)))``, which is what
    :func:`scipy.stats.ks_2samp` computes with ``method="asymp"``.

    Parameters
    ----------
    a, b : array-like of shape (n_a,) and (n_b,)
        The two samples (finite values).
    wa, wb : array-like of the same shapes, default=None
        Per-event weights; ``None`` means unit weights. Each sample's weights
        must have a positive sum. Negative weights (NLO samples) are allowed:
        they enter the ECDFs as they are, cumulative weight over the total
        (the ECDF may then be non-monotone, and leave [0, 1]), and lower
        ``n_eff``.

    Returns
    -------
    result : KSResult
        ``(statistic, pvalue, n_eff)``.

    Notes
    -----
    With unit weights ``n_eff`` is the sample size and the result equals
    ``scipy.stats.ks_2samp(a, b, method="asymp")``. Integer weights are not
    read as repetitions: the statistic equals that of the repeated samples,
    but the p-value uses ``n_eff`` (smaller than ``sum w``), as weights of
    simulated events are importance weights, not counts.

    With negative weights the statistic is still the largest distance of
    the two ECDFs, and the p-value still uses ``n_eff = (sum w)^2 / sum
    w^2``, which is below the number of events (negative weights dilute the
    sample) but not a count, so that the asymptotic Kolmogorov distribution
    is only an approximation: read the p-value as a guide, as with any
    weighted KS test.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.plotting import weighted_ks_test
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=500), rng.normal(size=400)
    >>> res = weighted_ks_test(a, b, np.full(500, 2.0), np.full(400, 0.5))
    >>> from scipy.stats import ks_2samp
    >>> bool(np.isclose(res.pvalue, ks_2samp(a, b, method="asymp").pvalue))
    True
    >>> weighted_ks_test(a, b + 1.0).pvalue < 1e-10
    True
    """
    a, cdf_a, n_a = _sample(a, wa, "a", "wa")
    b, cdf_b, n_b = _sample(b, wb, "b", "wb")
    x = np.concatenate([a, b])
    fa = cdf_a[np.searchsorted(a, x, side="right")]
    fb = cdf_b[np.searchsorted(b, x, side="right")]
    statistic = float(np.max(np.abs(fa - fb)))
    en = max(1, int(np.round(n_a * n_b / (n_a + n_b))))
    pvalue = float(np.clip(kstwo.sf(statistic, en), 0.0, 1.0))
    return KSResult(statistic, pvalue, (n_a, n_b))
