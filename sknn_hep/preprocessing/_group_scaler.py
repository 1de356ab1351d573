"""One common scale for groups of correlated columns."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from .._validation import column_label
from .._versions import VersionedStateMixin
from ..utils import check_event_weights, resolve_columns, validate_inputs
from ._stats import check_output_range, event_mean_var, is_constant


class GroupScaler(
    OneToOneFeatureMixin, TransformerMixin, VersionedStateMixin, BaseEstimator
):
    """Scale groups of columns by one shared, pooled standard deviation.

    The momentum components ``(px, py, pz)`` of one particle are correlated
    and share units; scaling each by its own σ distorts the direction of the
    momentum. ``GroupScaler`` divides all columns of a group by one common σ
    (optionally after centring each column on its own mean), so that ratios
    (``with_mean=False``) or differences (``with_mean=True``) of the
    components survive up to one common factor.

    Parameters
    ----------
    groups : list of lists of int or str
        Each inner list (names, positions or a boolean mask) is one group. A
        column may belong to at most one group; an empty outer list is
        allowed (every column is then "remainder").
    with_mean : bool, default=True
        Centre each column on its own weighted mean before scaling. With
        ``False`` nothing is subtracted and σ is taken around 0 (see Notes).
    remainder : {"standardize", "passthrough"}, default="standardize"
        Columns in no group: ``"standardize"`` treats each as a group of its
        own (so, with ``with_mean=True``, ``(x - mean) / std`` like
        :class:`~sklearn.preprocessing.StandardScaler`); ``"passthrough"``
        leaves them unchanged.

    Attributes
    ----------
    groups_ : list of ndarray of int
        Sorted column positions of each group, in the order of ``groups``.
    mean_ : ndarray of shape (``n_features_in_``,)
        Value subtracted from each column (0 with ``with_mean=False`` and for
        passed-through columns).
    scale_ : ndarray of shape (``n_features_in_``,)
        Divisor of each column: the group's pooled σ for grouped columns (the
        same value across a group), the column's own σ for standardised
        remainder columns, 1 for passed-through ones and for zero-σ groups.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    sklearn.preprocessing.StandardScaler : One σ per column.
    LogShiftTransformer : Tame steep spectra before scaling.

    Notes
    -----
    With weights ``w_i`` (``sample_weight``, default 1) and ``W = sum_i w_i``,
    the centre of column ``j`` is ``m_j = sum_i w_i x_ij / W`` if
    ``with_mean=True`` and ``m_j = 0`` otherwise. The pooled variance of a
    group ``G`` is the plain mean, over its columns, of each column's
    weighted variance around its centre::

        sigma_G**2 = (1 / |G|) sum_{j in G} sum_i w_i (x_ij - m_j)**2 / W

    (``ddof=0``; every column of a group gets the same weight, since they all
    share the same rows). So with ``with_mean=False`` σ is the root mean square
    around 0, unlike ``StandardScaler(with_mean=False)``, which still divides
    by the standard deviation around the mean. Each column maps to
    ``(x_j - m_j) / sigma_G``.

    A column whose variance is indistinguishable from 0 (the float64 error
    bound used by ``StandardScaler``) contributes exactly 0 to its group's
    pooled variance; if the whole group's σ is 0, σ is set to 1 (the columns
    are only centred), as ``StandardScaler`` does for a constant column.

    Rows of zero weight are ignored, integer weights act as repetitions.
    Negative weights (NLO generators) are allowed, as everywhere in sknn_hep,
    when their total is positive (else a ``ValueError``): ``m_j`` and the
    variances are then the signed weighted statistics above, except for a
    column where they do not describe a distribution (its weighted mean lies
    outside the range of its values, or its variance is <= 0 although the
    values are not constant); that column's centre and variance are taken
    with the absolute weights ``|w|``, and a ``UserWarning`` names it (see
    "Negative event weights" in ``docs/reliability.md``).

    NaN is rejected: encode missing values first
    (:class:`MissingValueEncoder`). :meth:`inverse_transform` computes
    ``x' * scale_ + mean_`` and is exact up to floating-point rounding. A
    float32 input gives a float32 output (arithmetic in float64); a result
    beyond the float32 range (a huge new value divided by a small σ) raises
    a ``ValueError`` naming the column instead of becoming ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.preprocessing import GroupScaler
    >>> X = np.array([[1.0, 2.0, 10.0], [-1.0, -2.0, 20.0], [3.0, 6.0, 30.0]])
    >>> gs = GroupScaler(groups=[[0, 1]], with_mean=False, remainder="passthrough")
    >>> gs = gs.fit(X)
    >>> np.round(gs.scale_, 4)  # RMS pooled over columns 0 and 1; column 2 kept
    array([3.0277, 3.0277, 1.    ])
    >>> Xt = gs.transform(X)
    >>> np.allclose(Xt[:, 1] / Xt[:, 0], X[:, 1] / X[:, 0])
    True
    >>> np.allclose(gs.inverse_transform(Xt), X)
    True
    """

    _parameter_constraints = {
        "groups": ["array-like"],
        "with_mean": ["boolean"],
        "remainder": [StrOptions({"standardize", "passthrough"})],
    }

    def __init__(self, groups, *, with_mean=True, remainder="standardize"):
        self.groups = groups
        self.with_mean = with_mean
        self.remainder = remainder

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _resolve_groups(self, n_features):
        names = getattr(self, "feature_names_in_", None)
        resolved, owner = [], {}
        for g, group in enumerate(self.groups):
            if isinstance(group, (str, bytes, numbers.Number)) or not hasattr(
                group, "__iter__"
            ):
                raise ValueError(
                    "The 'groups' parameter of GroupScaler must be a list of groups, "
                    "each a list of column names, positions or a boolean mask; "
                    f"groups[{g}] is {group!r}. Wrap it: [[{group!r}, ...]]."
                )
            idx = resolve_columns(
                list(group),
                n_features=n_features,
                feature_names_in=names,
                param="groups",
                owner="GroupScaler",
            )
            if idx.size == 0:
                raise ValueError(
                    f"The 'groups' parameter of GroupScaler holds an empty group "
                    f"(groups[{g}])."
                )
            for j in idx:
                if int(j) in owner:
                    raise ValueError(
                        "The 'groups' parameter of GroupScaler holds overlapping "
                        f"groups: {column_label(j, names)} is in "
                        f"groups[{owner[int(j)]}] and groups[{g}]; a column may "
                        "belong to one group only."
                    )
                owner[int(j)] = g
            resolved.append(idx)
        return resolved

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the per-column centres and the pooled σ of each group.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; negative ones are allowed, the total must be
            positive (see Notes).

        Returns
        -------
        self : GroupScaler
            The fitted scaler.
        """
        X = validate_inputs(self, X, reset=True, dtype=[np.float64, np.float32])
        n_features = X.shape[1]
        groups = self._resolve_groups(n_features)
        if sample_weight is not None:
            sample_weight = check_event_weights(
                sample_weight, X, owner="GroupScaler.fit"
            )
        mean, var, n_used = event_mean_var(
            X,
            sample_weight,
            center=bool(self.with_mean),
            owner="GroupScaler",
            feature_names_in=getattr(self, "feature_names_in_", None),
        )
        if self.with_mean:
            var = np.where(is_constant(var, mean, n_used), 0.0, var)
        grouped = np.zeros(n_features, dtype=bool)
        scale = np.ones(n_features, dtype=np.float64)
        for idx in groups:
            grouped[idx] = True
            pooled = float(np.mean(var[idx]))
            scale[idx] = np.sqrt(pooled) if pooled > 0 else 1.0
        rest = ~grouped
        if self.remainder == "standardize":
            scale[rest] = np.where(var[rest] > 0, np.sqrt(var[rest]), 1.0)
        else:
            mean = np.where(rest, 0.0, mean)
        self.groups_ = groups
        self.mean_ = mean
        self.scale_ = scale
        return self

    def transform(self, X):
        """Centre (if ``with_mean``) and divide by ``scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to scale.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Same dtype as ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X = validate_inputs(self, X, reset=False, dtype=[np.float64, np.float32])
        out = (X.astype(np.float64) - self.mean_) / self.scale_
        check_output_range(
            out,
            X.dtype,
            owner="GroupScaler.transform",
            feature_names=getattr(self, "feature_names_in_", None),
        )
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo the scaling: ``x = x' * scale_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Scaled data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Same dtype as ``X``.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32])
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but GroupScaler is expecting "
                f"{self.n_features_in_} features as input."
            )
        out = X.astype(np.float64) * self.scale_ + self.mean_
        check_output_range(
            out,
            X.dtype,
            owner="GroupScaler.inverse_transform",
            feature_names=getattr(self, "feature_names_in_", None),
        )
        return out.astype(X.dtype, copy=False)
