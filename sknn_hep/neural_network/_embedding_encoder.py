"""Supervised entity embeddings of categorical columns, usable by any model.

A transformer that trains a network in ``fit``, hence here next to the
networks rather than in the torch-free :mod:`sknn_hep.preprocessing`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
)

from .._validation import check_category_codes, encode_categories
from .._versions import VersionedStateMixin
from ..utils import check_event_weights, resolve_columns, validate_inputs
from ._classifier import NeuralClassifier
from ._regressor import NeuralRegressor

_OWNER = "EmbeddingEncoder"


class EmbeddingEncoder(TransformerMixin, VersionedStateMixin, BaseEstimator):
    """Replace categorical codes by embedding vectors learnt to predict ``y``.

    A category has no numerical proximity (jet multiplicity 0-3, a detector
    region, a trigger flag), so one-hot encoding is the safe default; an
    embedding instead learns a short dense vector per category, placing
    categories that act alike on the target close together. ``fit`` trains a
    small network (a :class:`~sknn_hep.neural_network.NeuralClassifier` for a
    class label, a :class:`~sknn_hep.neural_network.NeuralRegressor` for a
    continuous target) whose first layer is one embedding table per
    categorical column, and keeps the learnt tables; ``transform`` replaces
    each categorical column by its category's vector, so the result can feed
    any model, a boosted tree or a linear model included.

    Parameters
    ----------
    columns : int, str, or array-like of int, str or bool
        The categorical columns (positions, names or a boolean mask); they must
        hold non-negative integer codes (``2.0`` is fine, ``-1`` or ``2.5``
        raise a ``ValueError``). Other columns pass through unchanged.
    embedding_dim : int or "auto", default="auto"
        Width of each embedding; ``"auto"`` gives
        ``min(50, (n_categories + 1) // 2)`` per column.
    hidden_layer_sizes : tuple of int, default=(32,)
        Hidden layers of the network between the embeddings and its output.
    target_type : {"auto", "classification", "regression"}, default="auto"
        Kind of ``y``. ``"auto"`` uses
        :func:`~sklearn.utils.multiclass.type_of_target`: ``"continuous"``
        (and multi-output continuous) means regression, anything else
        classification.
    use_other_columns : bool, default=False
        Also feed the non-categorical columns to the network (they must then
        be finite numbers; the network standardises them itself), so that
        the embeddings learn what the categories add to them. With ``False``
        the network sees the categorical columns only, and the other columns
        may hold anything, NaN included.
    max_epochs : int >= 1, default=20
        Training epochs.
    lr : float > 0, default=1e-2
        Learning rate of the Adam optimiser.
    batch_size : int >= 1, default=256
        Mini-batch size.
    random_state : int, RandomState instance or None, default=None
        Seed of the network's initialisation and batch order; an int makes
        ``fit`` reproducible.

    Attributes
    ----------
    columns_ : ndarray of int
        Sorted positions of the categorical columns.
    categories_ : list of ndarray
        The codes seen in fit, sorted, one array per categorical column.
    embeddings_ : list of ndarray of shape (n_categories + 1, dim)
        The learnt tables (float64 copies). Row 0 is the "unknown" vector, the
        mean of the learnt rows; row ``k + 1`` belongs to code
        ``categories_[i][k]``.
    estimator_ : NeuralClassifier or NeuralRegressor
        The fitted network (history, loss curve).
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of str
        Names of the features seen during :term:`fit` (only for DataFrames).

    See Also
    --------
    sklearn.preprocessing.OneHotEncoder : One column per category.
    sklearn.preprocessing.TargetEncoder : One number per category (the mean
        target), also supervised.
    sknn_hep.neural_network.NeuralClassifier : Its ``categorical_features``
        trains the embeddings jointly with the final model instead.

    Notes
    -----
    Output columns: each categorical column is replaced, in place, by its
    ``dim`` embedding columns named ``<column>_emb0, <column>_emb1, ...``;
    the other columns keep their position and name. A code not seen in fit
    gets the unknown vector (row 0 of the table).

    The embeddings are learnt from ``y``: fit the encoder on the training
    data only (in a :class:`~sklearn.pipeline.Pipeline` this happens by
    itself), otherwise the evaluation leaks the labels. They are only as good
    as the network trained to learn them; ``estimator_.loss_curve_`` shows
    whether ``max_epochs`` and ``lr`` sufficed. :meth:`transform` is a numpy
    table look-up.

    The encoder trains a network, so it lives with the networks: it was
    ``sknn_hep.preprocessing.EmbeddingEncoder`` until sknn_hep 0.2, where
    the torch-free preprocessing layer held a torch model; importing it from
    there now raises an ``ImportError`` naming this place.

    ``sample_weight`` follows the package's policy for negative weights (NLO
    generators): they are allowed when the weights sum to a positive number,
    over all events and, for a class label, over the events of each class;
    otherwise ``fit`` raises a ``ValueError`` naming ``EmbeddingEncoder.fit``
    before any training.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_hep.neural_network import EmbeddingEncoder
    >>> rng = np.random.default_rng(0)
    >>> code = rng.integers(0, 6, size=600)
    >>> y = (code % 2 == 0).astype(int)          # even codes are signal
    >>> X = np.column_stack([code, rng.normal(size=600)])
    >>> enc = EmbeddingEncoder(columns=[0], embedding_dim=2, max_epochs=10,
    ...                        random_state=0).fit(X, y)
    >>> enc.get_feature_names_out().tolist()
    ['x0_emb0', 'x0_emb1', 'x1']
    >>> Xt = enc.transform(X)
    >>> Xt.shape
    (600, 3)
    >>> from sklearn.linear_model import LogisticRegression
    >>> LogisticRegression().fit(Xt, y).score(Xt, y)
    1.0
    """

    _parameter_constraints = {
        "columns": ["array-like", str, numbers.Integral],
        "embedding_dim": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "hidden_layer_sizes": [tuple, list],
        "target_type": [StrOptions({"auto", "classification", "regression"})],
        "use_other_columns": ["boolean"],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        columns,
        *,
        embedding_dim="auto",
        hidden_layer_sizes=(32,),
        target_type="auto",
        use_other_columns=False,
        max_epochs=20,
        lr=1e-2,
        batch_size=256,
        random_state=None,
    ):
        self.columns = columns
        self.embedding_dim = embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.target_type = target_type
        self.use_other_columns = use_other_columns
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # The categorical columns must hold non-negative integer codes, and no
        # NaN (other columns may carry NaN with use_other_columns=False).
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _check_codes(self, X):
        check_category_codes(
            X, self.columns_, owner=_OWNER, feature_names_in=self._names()
        )

    def _names(self):
        return getattr(self, "feature_names_in_", None)

    def _hidden(self):
        sizes = list(self.hidden_layer_sizes)
        if not sizes or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
            for s in sizes
        ):
            raise ValueError(
                f"The 'hidden_layer_sizes' parameter of {_OWNER} must be a "
                "non-empty tuple of positive ints. Got "
                f"{self.hidden_layer_sizes!r} instead."
            )
        return tuple(int(s) for s in sizes)

    def _is_regression(self, y):
        if self.target_type != "auto":
            return self.target_type == "regression"
        return type_of_target(y, input_name="y") in (
            "continuous",
            "continuous-multioutput",
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network and keep its embedding tables.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; the categorical columns hold non-negative integer
            codes.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels or continuous targets (several targets only for
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the training loss; negative ones are
            allowed, the total (and each class's) must be positive.

        Returns
        -------
        self : EmbeddingEncoder
            The fitted encoder.
        """
        hidden = self._hidden()
        X, y = validate_inputs(
            self,
            X,
            y,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if not self.use_other_columns else True,
            multi_output=True,
            y_numeric=False,
        )
        self.columns_ = resolve_columns(
            self.columns,
            n_features=X.shape[1],
            feature_names_in=self._names(),
            param="columns",
            owner=_OWNER,
        )
        if self.columns_.size == 0:
            raise ValueError(
                f"The 'columns' parameter of {_OWNER} selects no column; give at "
                f"least one categorical column. Got {self.columns!r} instead."
            )
        self._check_codes(X)
        regression = self._is_regression(y)
        # 1-d y for a single target, as the estimators expect
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if sample_weight is not None:
            sample_weight = check_event_weights(
                sample_weight,
                X,
                owner=f"{_OWNER}.fit",
                y=None if regression else y,
            )
        Network = NeuralRegressor if regression else NeuralClassifier
        if self.use_other_columns:
            x_fit, cat = X, self.columns_
        else:
            x_fit, cat = X[:, self.columns_], np.arange(self.columns_.size)
        net = Network(
            hidden_layer_sizes=hidden,
            categorical_features=cat,
            embedding_dim=self.embedding_dim,
            max_epochs=self.max_epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            random_state=self.random_state,
        )
        net.fit(x_fit, y, sample_weight=sample_weight)
        tables = net.net_.module_.embedding.embeddings
        self.estimator_ = net
        self.categories_ = [np.asarray(c) for c in net.categories_]
        self.embeddings_ = [
            emb.weight.detach().cpu().numpy().astype(np.float64) for emb in tables
        ]
        return self

    def transform(self, X):
        """Replace each categorical column by its embedding vector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the columns seen in fit; the categorical columns hold
            non-negative integer codes (unseen codes get the unknown vector).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Same dtype as ``X``.
        """
        check_is_fitted(self)
        X = validate_inputs(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if not self.use_other_columns else True,
        )
        self._check_codes(X)
        rows = encode_categories(X, self.columns_, self.categories_)
        blocks = {
            int(j): table[rows[:, k]]
            for k, (j, table) in enumerate(zip(self.columns_, self.embeddings_))
        }
        parts = [
            blocks[j] if j in blocks else X[:, j : j + 1] for j in range(X.shape[1])
        ]
        return np.hstack(parts).astype(X.dtype, copy=False)

    def get_feature_names_out(self, input_features=None):
        """Output names: ``<column>_emb<k>`` for the embeddings, else unchanged.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        dims = {int(j): t.shape[1] for j, t in zip(self.columns_, self.embeddings_)}
        names = []
        for j, name in enumerate(input_features):
            if j in dims:
                names.extend(f"{name}_emb{k}" for k in range(dims[j]))
            else:
                names.append(str(name))
        return np.asarray(names, dtype=object)
