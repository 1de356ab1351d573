import numpy as np
import pandas as pd
import pytest

from sknn_hep.datasets import HIGGS_FEATURES, load_higgs_challenge


def test_higgs_bunch_matches_the_published_counts():
    data = load_higgs_challenge()
    assert isinstance(data.data, pd.DataFrame)
    assert data.data.shape == (22889, 30)
    assert list(data.data.columns) == list(HIGGS_FEATURES)
    assert int(data.target.sum()) == 7817
    assert set(np.unique(data.target)) == {0, 1}
    assert data.event_id.min() == 100000 and data.event_id.max() == 122888
    w_s = data.sample_weight[data.target == 1].sum()
    w_b = data.sample_weight[data.target == 0].sum()
    assert w_s == pytest.approx(64.61, abs=0.01)
    assert w_b == pytest.approx(37467.64, abs=0.01)
    # -999 marks missing values; 71 % of rows miss the two-jet features
    frac = (data.data["DER_mass_jet_jet"] == -999.0).mean()
    assert frac == pytest.approx(0.71, abs=0.01)
    assert set(data.data["PRI_jet_num"].unique()) == {0, 1, 2, 3}
    assert "b_reg" in data.DESCR


def test_higgs_weight_column_and_subset():
    X, y, w, ids = load_higgs_challenge(weight="Weight", n_samples=100, return_X_y=True)
    assert X.shape == (100, 30) and len(y) == len(w) == len(ids) == 100
    frame = load_higgs_challenge(n_samples=100).frame
    np.testing.assert_array_equal(w, frame["Weight"].to_numpy())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"weight": "foo"}, "'weight' parameter"),
        ({"n_samples": 0}, "'n_samples' parameter"),
        ({"n_samples": 1.5}, "'n_samples' parameter"),
    ],
)
def test_higgs_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_higgs_challenge(**kwargs)
