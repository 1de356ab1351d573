"""Tests of EmbeddingEncoder (small data, few epochs, seeded)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline

from sknn_hep.neural_network import EmbeddingEncoder

# Configured instances for tests/test_common.py (parametrize_with_checks).
COMMON_INSTANCES = [
    EmbeddingEncoder(columns=[0], embedding_dim=2, max_epochs=5, random_state=0),
    EmbeddingEncoder(
        columns=[0],
        use_other_columns=True,
        hidden_layer_sizes=(8,),
        target_type="regression",
        max_epochs=3,
        random_state=0,
    ),
]

SIGNAL_CODES = [0, 2, 5, 7, 9, 10]  # not monotonic in the code


def _coded_data(n=2000, seed=0):
    """12 categories in column 1; the category decides the label."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 12, n)
    y = np.isin(code, SIGNAL_CODES).astype(int)
    X = np.column_stack([rng.normal(size=n), code.astype(float)])
    return X, y


def _test_auc(X, y):
    half = len(y) // 2
    pipe = make_pipeline(
        EmbeddingEncoder(columns=[1], max_epochs=10, random_state=0),
        LogisticRegression(),
    )
    pipe.fit(X[:half], y[:half])
    return roc_auc_score(y[half:], pipe.predict_proba(X[half:])[:, 1])


def test_embedding_separates_classes():
    X, y = _coded_data()
    assert _test_auc(X, y) > 0.95
    # the raw code is useless to a linear model here: the embedding does the work
    raw = LogisticRegression().fit(X[:1000], y[:1000])
    assert roc_auc_score(y[1000:], raw.predict_proba(X[1000:])[:, 1]) < 0.6


def test_shuffled_labels_give_chance():
    X, y = _coded_data()
    y_shuffled = np.random.default_rng(1).permutation(y)
    assert _test_auc(X, y_shuffled) < 0.6


def test_regression_target_and_boosted_tree():
    rng = np.random.default_rng(2)
    means = rng.normal(scale=3.0, size=8)
    code = rng.integers(0, 8, 1200)
    y = means[code] + rng.normal(scale=0.1, size=1200)
    X = code[:, None].astype(float)
    enc = EmbeddingEncoder(columns=[0], max_epochs=15, random_state=0).fit(
        X[:600], y[:600]
    )
    assert type(enc.estimator_).__name__ == "NeuralRegressor"
    tree = HistGradientBoostingRegressor(max_iter=50, random_state=0)
    tree.fit(enc.transform(X[:600]), y[:600])
    assert r2_score(y[600:], tree.predict(enc.transform(X[600:]))) > 0.9


def test_target_type():
    X, y = _coded_data(n=200)
    enc = EmbeddingEncoder(columns=[1], max_epochs=1, random_state=0)
    assert type(enc.fit(X, y).estimator_).__name__ == "NeuralClassifier"
    enc.set_params(target_type="regression")
    assert type(enc.fit(X, y).estimator_).__name__ == "NeuralRegressor"
    labels = np.where(y == 1, "s", "b")
    enc.set_params(target_type="auto")
    assert type(enc.fit(X, labels).estimator_).__name__ == "NeuralClassifier"
    # integer-valued targets look like classes to "auto"
    counts = X[:, 1].astype(int) * 2
    assert type(enc.fit(X, counts).estimator_).__name__ == "NeuralClassifier"
    enc.set_params(target_type="regression")
    assert type(enc.fit(X, counts).estimator_).__name__ == "NeuralRegressor"
    enc.set_params(target_type="classification")
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        enc.fit(X, y * 0.5 + X[:, 0])


def test_unseen_category_maps_to_unknown_vector():
    X, y = _coded_data(n=300)
    enc = EmbeddingEncoder(columns=[1], embedding_dim=3, max_epochs=2, random_state=0)
    enc.fit(X, y)
    table = enc.embeddings_[0]
    assert table.shape == (13, 3)
    np.testing.assert_array_equal(enc.categories_[0], np.arange(12.0))
    np.testing.assert_allclose(table[0], table[1:].mean(axis=0), atol=1e-6)
    Xt = enc.transform(np.array([[0.3, 99.0], [0.3, 12.0], [0.3, 5.0]]))
    np.testing.assert_array_equal(Xt[0, 1:], table[0])
    np.testing.assert_array_equal(Xt[1, 1:], table[0])
    np.testing.assert_array_equal(Xt[2, 1:], table[6])  # code 5 -> row 6
    np.testing.assert_array_equal(Xt[:, 0], 0.3)


def test_tables_match_the_network():
    X, y = _coded_data(n=300)
    enc = EmbeddingEncoder(columns=[1], max_epochs=2, random_state=0).fit(X, y)
    weight = enc.estimator_.net_.module_.embedding.embeddings[0].weight
    np.testing.assert_allclose(enc.embeddings_[0], weight.detach().numpy())


@pytest.mark.parametrize(
    "bad, match",
    [
        (-1.0, "Negative values in data"),
        (2.5, "non-negative integer codes; got 2.5"),
        (np.nan, "NaN or inf"),
    ],
)
def test_invalid_codes(bad, match):
    X, y = _coded_data(n=50)
    X_bad = X.copy()
    X_bad[3, 1] = bad
    enc = EmbeddingEncoder(columns=[1], max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=match):
        enc.fit(X_bad, y)
    enc.fit(X, y)
    with pytest.raises(ValueError, match=match):
        enc.transform(X_bad)


def test_feature_names_in_place_and_pandas():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "met": rng.normal(size=100),
            "jet_num": rng.integers(0, 4, 100),
            "region": rng.integers(0, 3, 100),
            "eta": rng.normal(size=100),
        }
    )
    y = (df["jet_num"] > 1).to_numpy().astype(int)
    enc = EmbeddingEncoder(
        columns=["region", "jet_num"], embedding_dim=2, max_epochs=1, random_state=0
    ).set_output(transform="pandas")
    out = enc.fit_transform(df, y)
    expected = [
        "met",
        "jet_num_emb0",
        "jet_num_emb1",
        "region_emb0",
        "region_emb1",
        "eta",
    ]
    assert list(out.columns) == expected
    assert list(enc.get_feature_names_out()) == expected
    pd.testing.assert_series_equal(out["eta"], df["eta"])
    np.testing.assert_array_equal(enc.columns_, [1, 2])
    assert [len(c) for c in enc.categories_] == [4, 3]


def test_auto_embedding_dim():
    X, y = _coded_data(n=200)
    enc = EmbeddingEncoder(columns=[1], max_epochs=1, random_state=0).fit(X, y)
    assert enc.embeddings_[0].shape == (13, 6)  # min(50, (12 + 1) // 2)
    assert enc.get_feature_names_out()[-1] == "x1_emb5"


def test_deterministic_with_random_state():
    X, y = _coded_data(n=300)
    a = EmbeddingEncoder(columns=[1], max_epochs=3, random_state=7).fit(X, y)
    b = EmbeddingEncoder(columns=[1], max_epochs=3, random_state=7).fit(X, y)
    c = EmbeddingEncoder(columns=[1], max_epochs=3, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.allclose(a.transform(X), c.transform(X))


def test_float32_and_nan_passthrough():
    X, y = _coded_data(n=200)
    X[5, 0] = np.nan
    enc = EmbeddingEncoder(columns=[1], max_epochs=1, random_state=0)
    Xt = enc.fit(X.astype(np.float32), y).transform(X.astype(np.float32))
    assert Xt.dtype == np.float32
    assert np.isnan(Xt[5, 0]) and np.all(np.isfinite(Xt[:, 1:]))
    # the network sees the other columns only with use_other_columns=True,
    # and they must then be finite
    enc.set_params(use_other_columns=True)
    with pytest.raises(ValueError, match="NaN"):
        enc.fit(X, y)
    X[5, 0] = 0.0
    assert enc.fit(X, y).estimator_.n_features_in_ == 2
    enc.set_params(use_other_columns=False)
    assert enc.fit(X, y).estimator_.n_features_in_ == 1


def test_sample_weight_is_used():
    X, y = _coded_data(n=300)
    sw = np.random.default_rng(4).integers(0, 3, 300)
    kw = dict(columns=[1], max_epochs=3, batch_size=1000, random_state=0)
    weighted = EmbeddingEncoder(**kw).fit(X, y, sample_weight=sw)
    repeated = EmbeddingEncoder(**kw).fit(X.repeat(sw, axis=0), y.repeat(sw))
    plain = EmbeddingEncoder(**kw).fit(X, y)
    # full-batch float32 training: weights act as repetitions up to rounding
    np.testing.assert_allclose(
        weighted.transform(X), repeated.transform(X), rtol=0, atol=1e-5
    )
    assert not np.allclose(weighted.transform(X), plain.transform(X), atol=1e-3)


OWNER = "EmbeddingEncoder"


@pytest.mark.parametrize(
    "params, param",
    [
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"embedding_dim": "big"}, "embedding_dim"),
        ({"hidden_layer_sizes": 8}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"target_type": "binary"}, "target_type"),
        ({"use_other_columns": "no"}, "use_other_columns"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"lr": 0.0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"random_state": "seed"}, "random_state"),
        ({"columns": None}, "columns"),
    ],
)
def test_invalid_params_sklearn_style(params, param):
    X, y = _coded_data(n=50)
    enc = EmbeddingEncoder(**{"columns": [1], **params})
    with pytest.raises(ValueError, match=rf"The '{param}' parameter of {OWNER} must"):
        enc.fit(X, y)


def test_invalid_columns():
    X, y = _coded_data(n=50)
    with pytest.raises(ValueError, match="selects no column"):
        EmbeddingEncoder(columns=[]).fit(X, y)
    with pytest.raises(ValueError, match="column index 5, out of range"):
        EmbeddingEncoder(columns=[5]).fit(X, y)
    df = pd.DataFrame(X, columns=["a", "b"])
    with pytest.raises(ValueError, match=r"names columns \['c'\] that are not in X"):
        EmbeddingEncoder(columns=["c"]).fit(df, y)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        EmbeddingEncoder(columns=[0]).transform(np.zeros((2, 1)))


def test_old_place_names_the_new_one():
    # moved out of the torch-free preprocessing layer in 0.2; the old import
    # says where it went (tests/test_layers.py checks that layer's imports)
    code = (
        "import sys\n"
        "try:\n"
        "    from sknn_hep.preprocessing import EmbeddingEncoder\n"
        "except ImportError as exc:\n"
        "    assert 'sknn_hep.neural_network' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
