"""EventNumberKFold: fold = event_number % n_splits, from groups or a column."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from sknn_hep.datasets import load_higgs_challenge
from sknn_hep.model_selection import EventNumberKFold


def _fold_of_row(cv, X=None, groups=None):
    """Map row -> index of the split that tests it (checks the partition)."""
    n = len(groups) if groups is not None else len(X)
    fold = np.full(n, -1)
    for k, (train, test) in enumerate(cv.split(X, groups=groups)):
        assert np.all(fold[test] == -1), "a row is tested twice"
        fold[test] = k
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), range(n))
        assert not np.intersect1d(train, test).size
    assert np.all(fold >= 0), "a row is never tested"
    return fold


def test_fold_is_event_number_mod_k():
    ids = np.array([10, 3, 7, 8, 5, 21, 4, 0, 11, 6])
    cv = EventNumberKFold(n_splits=4)
    assert cv.get_n_splits() == 4
    np.testing.assert_array_equal(_fold_of_row(cv, np.zeros((10, 1)), ids), ids % 4)
    splits = list(cv.split(np.zeros((10, 1)), groups=ids))
    assert len(splits) == 4
    for k, (train, test) in enumerate(splits):
        assert np.all(ids[test] % 4 == k)
        assert np.all(ids[train] % 4 != k)


def test_higgs_event_ids():
    data = load_higgs_challenge(n_samples=500)
    cv = EventNumberKFold(n_splits=5)
    fold = _fold_of_row(cv, data.data, data.event_id)
    np.testing.assert_array_equal(fold, data.event_id % 5)
    # consecutive EventIds: the folds are balanced to one row
    assert np.ptp(np.bincount(fold)) <= 1


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(
        st.integers(min_value=0, max_value=2**62), min_size=12, max_size=60, unique=True
    ),
    n_splits=st.integers(min_value=2, max_value=4),
    data=st.data(),
)
def test_fold_independent_of_order_and_of_other_rows(ids, n_splits, data):
    ids = np.array(ids, dtype=np.int64)
    if len(np.unique(ids % n_splits)) < n_splits:
        ids = np.concatenate([ids, np.arange(n_splits)])
    cv = EventNumberKFold(n_splits=n_splits)
    reference = dict(zip(ids.tolist(), _fold_of_row(cv, groups=ids)))

    order = np.array(data.draw(st.permutations(range(len(ids)))))
    shuffled = ids[order]
    fold = _fold_of_row(cv, groups=shuffled)
    assert [reference[i] for i in shuffled.tolist()] == fold.tolist()

    # a subset of the events keeps every fold (one event per fold is kept)
    keep = data.draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
    keep = np.array(keep)
    for k in range(n_splits):
        keep[np.flatnonzero(ids % n_splits == k)[0]] = True
    subset = ids[keep]
    fold = _fold_of_row(cv, groups=subset)
    assert [reference[i] for i in subset.tolist()] == fold.tolist()


def test_same_event_same_fold_with_duplicates():
    ids = np.array([5, 6, 5, 7, 6, 5, 8])
    fold = _fold_of_row(EventNumberKFold(3), groups=ids)
    for event in np.unique(ids):
        assert len(set(fold[ids == event])) == 1


def test_event_number_column_of_dataframe_and_array():
    rng = np.random.default_rng(0)
    ids = rng.permutation(np.arange(1000, 1030))
    df = pd.DataFrame({"pt": rng.normal(size=30), "EventNumber": ids})
    expected = ids % 3
    np.testing.assert_array_equal(
        _fold_of_row(EventNumberKFold(3, event_number="EventNumber"), df), expected
    )
    np.testing.assert_array_equal(
        _fold_of_row(EventNumberKFold(3, event_number=1), df), expected
    )
    # integral floats in a float array, negative position
    X = df.to_numpy(dtype=float)
    np.testing.assert_array_equal(
        _fold_of_row(EventNumberKFold(3, event_number=-1), X), expected
    )


@pytest.mark.parametrize(
    "ids",
    [
        np.array([2**63 + 3, 2**64 - 1, 7, 12], dtype=np.uint64),
        np.array([3.0, 4.0, 5.0, 9.0]),
        pd.Series([3, 4, 5, 9], dtype="Int64"),
        np.array([3, 4, 5, 9], dtype=object),
        [3, 4, 5, 9],
    ],
    ids=["uint64", "float", "Int64", "object", "list"],
)
def test_event_number_types(ids):
    expected = [int(i) % 3 for i in list(ids)]
    fold = _fold_of_row(EventNumberKFold(3), np.zeros((4, 1)), ids)
    assert fold.tolist() == expected


def _make_problem(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    ids = rng.permutation(n) + 5000
    return X, y, ids


def test_cross_val_score_with_groups():
    X, y, ids = _make_problem()
    cv = EventNumberKFold(n_splits=4)
    result = cross_validate(
        LogisticRegression(), X, y, groups=ids, cv=cv, return_indices=True
    )
    for k, test in enumerate(result["indices"]["test"]):
        np.testing.assert_array_equal(np.sort(test), np.flatnonzero(ids % 4 == k))
    scores = cross_val_score(LogisticRegression(), X, y, groups=ids, cv=cv)
    np.testing.assert_allclose(scores, result["test_score"])
    assert scores.mean() > 0.7
    with pytest.raises(ValueError, match="groups is None"):
        cross_val_score(LogisticRegression(), X, y, cv=cv)


def test_cross_validate_with_metadata_routing():
    X, y, ids = _make_problem()
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=EventNumberKFold(n_splits=3),
            params={"groups": ids},
            return_indices=True,
        )
    for k, test in enumerate(result["indices"]["test"]):
        np.testing.assert_array_equal(np.sort(test), np.flatnonzero(ids % 3 == k))


def test_grid_search_cv_with_groups():
    X, y, ids = _make_problem()
    cv = EventNumberKFold(n_splits=3)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=cv)
    search.fit(X, y, groups=ids)
    assert search.n_splits_ == 3
    for C in (0.01, 1.0):
        by_hand = cross_val_score(LogisticRegression(C=C), X, y, groups=ids, cv=cv)
        row = search.cv_results_["params"].index({"C": C})
        np.testing.assert_allclose(
            search.cv_results_["mean_test_score"][row], by_hand.mean()
        )
    with pytest.raises(ValueError, match="groups is None"):
        GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=cv).fit(X, y)


def test_grid_search_cv_with_event_number_column():
    X, y, ids = _make_problem()
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(EventNumber=ids)
    model = make_pipeline(
        make_column_transformer(("passthrough", ["a", "b", "c"])), LogisticRegression()
    )
    cv = EventNumberKFold(n_splits=3, event_number="EventNumber")
    result = cross_validate(model, df, y, cv=cv, return_indices=True)
    for k, test in enumerate(result["indices"]["test"]):
        np.testing.assert_array_equal(np.sort(test), np.flatnonzero(ids % 3 == k))
    search = GridSearchCV(model, {"logisticregression__C": [0.1, 1.0]}, cv=cv)
    assert search.fit(df, y).n_splits_ == 3


@pytest.mark.parametrize("n_splits", [1, 0, 2.0, True, "3"])
def test_bad_n_splits(n_splits):
    with pytest.raises(
        ValueError,
        match=r"The 'n_splits' parameter of EventNumberKFold must be an int >= 2\. "
        rf"Got {n_splits!r} instead",
    ):
        EventNumberKFold(n_splits=n_splits)


@pytest.mark.parametrize("event_number", [1.5, True, ["a"]])
def test_bad_event_number_parameter(event_number):
    with pytest.raises(ValueError, match="The 'event_number' parameter"):
        EventNumberKFold(3, event_number=event_number)


@pytest.mark.parametrize(
    "ids, match",
    [
        ([1, 2, np.nan, 4], r"row 2 is missing \(NaN\)"),
        ([1, 2, 3.5, 4], "row 2 is not an integer: 3.5"),
        ([1, -2, 3, 4], "row 1 is negative: -2"),
        ([1.0, -2.0, 3.0, 4.0], "row 1 is negative"),
        ([1, 2, np.inf, 4], "row 2 is infinite"),
        ([1.0, 2.0, 2.0**60, 4.0], "row 2 is above 2\\*\\*53"),
        (np.array([1, None, 3, 4], dtype=object), "row 1 is missing"),
        (np.array([1, "x", 3, 4], dtype=object), "row 1 is not an integer: 'x'"),
        (["a", "b", "c", "d"], "dtype <U1"),
        (np.array([True, False, True, False]), "dtype bool"),
        (np.zeros((4, 2)), r"shape \(4, 2\)"),
    ],
)
def test_bad_event_numbers(ids, match):
    with pytest.raises(ValueError, match=match):
        list(EventNumberKFold(2).split(np.zeros((4, 1)), groups=ids))


def test_groups_of_wrong_length():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        list(EventNumberKFold(2).split(np.zeros((4, 1)), groups=[1, 2, 3]))


def test_empty_fold():
    with pytest.raises(ValueError, match="Fold 1 of EventNumberKFold.* is empty"):
        list(EventNumberKFold(2).split(np.zeros((3, 1)), groups=[2, 4, 6]))


def test_column_errors():
    df = pd.DataFrame({"a": [1.0, 2.0], "EventNumber": [1, 2]})
    X = df.to_numpy()
    with pytest.raises(ValueError, match="X has no column names"):
        list(EventNumberKFold(2, event_number="EventNumber").split(X))
    with pytest.raises(
        ValueError,
        match=r"column 'Event', which is not in X; its columns are \['a', 'Ev",
    ):
        list(EventNumberKFold(2, event_number="Event").split(df))
    with pytest.raises(ValueError, match="column position 2, out of range"):
        list(EventNumberKFold(2, event_number=2).split(X))
    with pytest.raises(ValueError, match="groups were passed as well"):
        list(EventNumberKFold(2, event_number=1).split(X, groups=[1, 2]))
    with pytest.raises(ValueError, match="column 'a' of X; the one at row 0"):
        list(EventNumberKFold(2, event_number="a").split(df.assign(a=[0.5, 1.0])))


def test_repr():
    assert repr(EventNumberKFold(3, "EventId")) == (
        "EventNumberKFold(event_number='EventId', n_splits=3)"
    )
