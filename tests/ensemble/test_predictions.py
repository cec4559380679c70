import os
import pickle

import numpy as np
import pytest

from darkvid.ensemble.predictions import (PredictionError, load_prediction_set, load_predictions,
                                          pair_with_csv, read_split_csv)
from tests.ensemble.conftest import write_preds, write_split


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pkl_and_npz_load_the_same(tmp_path):
    logits, labels = np.arange(22, dtype=np.float32).reshape(2, 11), np.array([3, -1])
    pkl = load_predictions(write_preds(tmp_path / "a.pkl", logits, labels), 11)
    np.savez(tmp_path / "a.npz", video_preds=logits, video_labels=labels, video_valid=np.array([True, True]))
    npz = load_predictions(tmp_path / "a.npz", 11)
    np.testing.assert_array_equal(pkl.logits, npz.logits)
    np.testing.assert_array_equal(pkl.labels, [3, -1])


def test_restricted_unpickler_refuses_code_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"video_preds": _Evil(marker), "video_labels": np.zeros(1, dtype=np.int64)}))
    with pytest.raises(PredictionError, match="evil.pkl.*system"):
        load_predictions(path)
    assert not marker.exists()


def test_nan_class_count_and_keys(tmp_path):
    logits = np.zeros((3, 11), dtype=np.float32)
    logits[2, 4] = np.nan
    with pytest.raises(PredictionError, match="nan.pkl.*row 2"):
        load_predictions(write_preds(tmp_path / "nan.pkl", logits, np.zeros(3)), 11)
    with pytest.raises(PredictionError, match="ten.pkl: 10 classes, expected 11"):
        load_predictions(write_preds(tmp_path / "ten.pkl", np.zeros((3, 10)), np.zeros(3)), 11)
    (tmp_path / "extra.pkl").write_bytes(pickle.dumps({"video_preds": np.zeros((1, 11)), "video_labels": np.zeros(1, int), "x": np.zeros(1)}))
    with pytest.raises(PredictionError, match="unknown \\['x'\\]"):
        load_predictions(tmp_path / "extra.pkl", 11)


def test_set_checks_counts_and_missing(tmp_path):
    a = write_preds(tmp_path / "a.pkl", np.zeros((3, 11)), -np.ones(3))
    b = write_preds(tmp_path / "b.pkl", np.zeros((4, 11)), -np.ones(4))
    with pytest.raises(PredictionError, match="a.pkl has 3 videos but .*b.pkl has 4"):
        load_prediction_set({"a": a, "b": b}, 11)
    with pytest.raises(PredictionError, match="not found: .*nope.pkl"):
        load_prediction_set({"a": a, "c": tmp_path / "nope.pkl"}, 11)


def test_pair_with_csv_names_row_and_files(tmp_path):
    preds = load_predictions(write_preds(tmp_path / "a.pkl", np.zeros((2, 11)), np.array([1, 2])), 11)
    with pytest.raises(PredictionError, match="a.pkl has 2 videos but .*s.csv has 3 rows"):
        pair_with_csv(preds, read_split_csv(write_split(tmp_path / "s.csv", ["x", "y", "z"], [1, 2, 3])))
    with pytest.raises(PredictionError, match="row 1 has label 2 but .*t.csv line 2 \\(y\\) has 5"):
        pair_with_csv(preds, read_split_csv(write_split(tmp_path / "t.csv", ["x", "y"], [1, 5])))
    pair_with_csv(preds, read_split_csv(write_split(tmp_path / "u.csv", ["x", "y"], [-1, -1])))
