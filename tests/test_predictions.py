"""darkvid.predictions: the table, its two files, older files, joins by id, class names."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from darkvid.datasets.records import SplitList
from darkvid.predictions import (
    LegacyPredictionWarning,
    PredictionError,
    PredictionMeta,
    PredictionTable,
    class_names,
    join,
    prediction_file_name,
    read_predictions,
    write_predictions,
)
from tests.conftest import REPO_ROOT


def _table(ids, seed=0, names=(), source="t"):
    logits = np.random.default_rng(seed).normal(size=(len(ids), 3)).astype(np.float32)
    return PredictionTable(tuple(ids), logits, np.arange(len(ids)) % 3, np.array([True] * (len(ids) - 1) + [False]),
                           PredictionMeta(model="m", split="test", views=1, crops=3, class_names=tuple(names)), source)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pkl_and_npz_round_trip(tmp_path):
    table = _table(["x/1.mp4", "2.mp4", "3.mp4"], names=("A", "B", "C"))
    path = write_predictions(tmp_path / "p.pkl", table)
    for file in (path, path.with_suffix(".npz")):
        back = read_predictions(file, num_classes=3)
        assert back.ids == table.ids and back.meta == table.meta
        np.testing.assert_array_equal(back.logits, table.logits)
        np.testing.assert_array_equal(back.valid, [True, True, False])
    assert not list(tmp_path.glob(".*tmp"))


def test_legacy_pkl_takes_ids_from_the_csv_and_warns(tmp_path):
    path = tmp_path / "old.pkl"
    path.write_bytes(pickle.dumps({"video_preds": np.ones((2, 3), np.float32), "video_labels": np.array([1, -1])}))
    split = SplitList(tmp_path / "s.csv", ("a.mp4", "b.mp4"), np.array([1, 2]))
    with pytest.warns(LegacyPredictionWarning, match="old.pkl: no video ids"):
        table = read_predictions(path, split=split)
    assert table.ids == ("a.mp4", "b.mp4") and table.valid.all()
    with pytest.raises(PredictionError, match="without video ids; give the split CSV"):
        read_predictions(path)
    bad = SplitList(tmp_path / "s.csv", ("a.mp4", "b.mp4"), np.array([0, 2]))
    with pytest.raises(PredictionError, match="row 0 has label 1 but .*s.csv row 1"):
        read_predictions(path, split=bad)


def test_restricted_unpickler_refuses_code_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"video_preds": _Evil(marker), "video_labels": np.zeros(1, dtype=np.int64)}))
    with pytest.raises(PredictionError, match="evil.pkl.*system"):
        read_predictions(path)
    assert not marker.exists()


def test_nan_class_count_and_keys(tmp_path):
    def write(name, **arrays):
        (tmp_path / name).write_bytes(pickle.dumps(arrays))
        return tmp_path / name

    logits = np.zeros((3, 11), dtype=np.float32)
    logits[2, 4] = np.nan
    with pytest.raises(PredictionError, match="nan.pkl.*row 2"):
        read_predictions(write("nan.pkl", video_preds=logits, video_labels=np.zeros(3, int), video_ids=list("abc")))
    with pytest.raises(PredictionError, match="ten.pkl: 10 classes, expected 11"):
        read_predictions(write("ten.pkl", video_preds=np.zeros((1, 10)), video_labels=np.zeros(1, int),
                               video_ids=["a"]), num_classes=11)
    with pytest.raises(PredictionError, match="unknown \\['x'\\]"):
        read_predictions(write("extra.pkl", video_preds=np.zeros((1, 11)), video_labels=np.zeros(1, int), x=1))
    with pytest.raises(PredictionError, match="dup.pkl: video 'a' appears twice"):
        read_predictions(write("dup.pkl", video_preds=np.zeros((2, 11)), video_labels=np.zeros(2, int),
                               video_ids=["a", "a"]))


def test_join_aligns_shuffled_tables_and_refuses_other_videos():
    a = _table(["1.mp4", "2.mp4", "3.mp4"], source="a.pkl")
    b = a.take(np.array([2, 0, 1]))
    joined = join({"a": a, "b": PredictionTable(b.ids, b.logits, b.labels, b.valid, b.meta, "b.pkl")})
    np.testing.assert_array_equal(joined["b"].logits, a.logits)
    assert joined["b"].ids == a.ids
    c = _table(["1.mp4", "2.mp4", "4.mp4"], source="c.pkl")
    with pytest.raises(PredictionError, match=r"c.pkl and a.pkl cover different videos: 1 only in a.pkl "
                                              r"\(first \['3.mp4'\]\), 1 only in c.pkl \(first \['4.mp4'\]\)"):
        join({"a": a, "c": c})


def test_class_names_travel_and_must_agree():
    assert class_names([_table(["1"], names=("A", "B", "C"))], 3) == ("A", "B", "C")
    assert class_names([_table(["1"])], 11)[0] == "Drink"  # DATA.CLASS_NAMES
    assert class_names([_table(["1"])], 3) == ("0", "1", "2")
    with pytest.raises(PredictionError, match="name the classes differently"):
        class_names([_table(["1"], names=("A", "B", "C")), _table(["1"], names=("A", "C", "B"))], 3)


def test_file_name_and_no_torch_import():
    assert prediction_file_name("test", 32, 224, 3, 3) == "testx32x224x3x3.pkl"
    code = ("import sys, darkvid.predictions, darkvid.ensemble.vote_config, darkvid.ensemble.pseudo_labels, "
            "darkvid.ensemble.scoring; assert 'torch' not in sys.modules, 'torch was imported'")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
