"""Several prediction files joined by video id to their split CSV."""
import numpy as np
import pytest

from darkvid.ensemble.predictions import PredictionError, all_valid, load_joined
from darkvid.predictions import LegacyPredictionWarning
from tests.ensemble.conftest import write_preds, write_split

NAMES = ["a.mp4", "b.mp4", "c.mp4"]


def test_shuffled_files_come_back_in_csv_order(tmp_path):
    csv = write_split(tmp_path / "s.csv", NAMES, [0, 1, 2])
    logits = np.eye(11, dtype=np.float32)[:3]
    order = [2, 0, 1]
    write_preds(tmp_path / "a.pkl", logits, [0, 1, 2], NAMES)
    write_preds(tmp_path / "b.pkl", logits[order], np.array([0, 1, 2])[order], [NAMES[i] for i in order],
                valid=np.array([True, False, True])[order])
    split, tables = load_joined({"a": tmp_path / "a.pkl", "b": tmp_path / "b.pkl"}, csv, 11)
    assert split.paths == tuple(NAMES) and tables["b"].ids == tuple(NAMES)
    np.testing.assert_array_equal(tables["b"].logits, tables["a"].logits)
    np.testing.assert_array_equal(all_valid(tables), [True, False, True])


def test_other_videos_are_refused_with_their_ids(tmp_path):
    csv = write_split(tmp_path / "s.csv", NAMES, [-1, -1, -1])
    write_preds(tmp_path / "a.pkl", np.zeros((3, 11)), -np.ones(3), ["a.mp4", "b.mp4", "z.mp4"])
    with pytest.raises(PredictionError, match=r"a.pkl and .*s.csv cover different videos: 1 only in .*s.csv "
                                              r"\(first \['c.mp4'\]\), 1 only in .*a.pkl \(first \['z.mp4'\]\)"):
        load_joined({"a": tmp_path / "a.pkl"}, csv, 11)


def test_missing_files_and_contradicted_labels(tmp_path):
    csv = write_split(tmp_path / "s.csv", NAMES, [0, 1, 2])
    write_preds(tmp_path / "a.pkl", np.zeros((3, 11)), [0, 5, 2], NAMES)
    with pytest.raises(PredictionError, match="not found: .*nope.pkl"):
        load_joined({"a": tmp_path / "a.pkl", "c": tmp_path / "nope.pkl"}, csv, 11)
    with pytest.raises(PredictionError, match=r"a.pkl has label 5 for 'b.mp4' but .*s.csv row 2 has 1"):
        load_joined({"a": tmp_path / "a.pkl"}, csv, 11)


def test_legacy_file_of_another_length_is_refused(tmp_path):
    csv = write_split(tmp_path / "s.csv", NAMES, [-1, -1, -1])
    write_preds(tmp_path / "old.pkl", np.zeros((2, 11)), -np.ones(2))
    with pytest.raises(PredictionError, match="old.pkl has 2 videos but .*s.csv has 3 rows"):
        load_joined({"a": tmp_path / "old.pkl"}, csv, 11)
    write_preds(tmp_path / "old.pkl", np.zeros((3, 11)), -np.ones(3))
    with pytest.warns(LegacyPredictionWarning):
        _, tables = load_joined({"a": tmp_path / "old.pkl"}, csv, 11)
    assert tables["a"].ids == tuple(NAMES)
