"""Per-video correctness joined by video id, and the McNemar column of the ablation."""
import numpy as np
import pytest

from darkvid.pipeline.significance import compare_rows, correct_by_video
from tests.ensemble.conftest import write_preds, write_split

NAMES = [f"{i}.mp4" for i in range(8)]
LABELS = np.array([0, 1, 2, 0, 1, 2, 0, 1])


def test_prediction_file_in_another_order_is_joined_by_id(tmp_path):
    labels = write_split(tmp_path / "test_labels.csv", NAMES, LABELS)
    pred = LABELS.copy()
    pred[[1, 4]] = 2  # two wrong
    order = np.arange(8)[::-1]
    path = write_preds(tmp_path / "p.pkl", np.eye(3)[pred[order]], LABELS[order], [NAMES[i] for i in order])
    correct = correct_by_video(path, labels, num_classes=3)
    assert correct.tolist() == [True, False, True, True, False, True, True, True]


def test_submission_is_joined_on_its_video_column(tmp_path):
    labels = write_split(tmp_path / "test_labels.csv", NAMES, LABELS)
    sub = tmp_path / "submission.csv"
    rows = [(i, NAMES[i], int(LABELS[i]) if i != 3 else 1) for i in (5, 3, 0, 1, 2, 4, 6, 7)]
    sub.write_text("VideoID,Video,ClassID,Probability\n" + "".join(f"{i},{n},{c},0.9\n" for i, n, c in rows))
    assert correct_by_video(sub, labels, num_classes=3).tolist() == [True] * 3 + [False] + [True] * 4
    assert correct_by_video(tmp_path / "missing.csv", labels, num_classes=3) is None


def test_compare_rows_tests_each_row_against_the_one_above():
    base = np.zeros(12, dtype=bool)
    better = base.copy()
    better[:10] = True  # 10 gained, none lost
    mixed = better.copy()
    mixed[:2] = False  # 2 lost relative to `better`
    out = compare_rows([base, better, None, mixed], alpha=0.05)
    assert out[0] is None and out[2] is None and out[3] is None
    assert out[1]["gained"] == 10 and out[1]["lost"] == 0 and out[1]["videos"] == 12
    assert out[1]["p_value"] == pytest.approx(2 / 1024, abs=1e-4) and out[1]["significant"]
    assert out[1]["alpha"] == 0.05
    two = compare_rows([better, mixed])
    assert two[1]["gained"] == 0 and two[1]["lost"] == 2 and not two[1]["significant"]


def test_tiny_p_value_keeps_its_magnitude():
    """396 test videos, 98 gained and none lost: p is about 6e-30 and must not be stored as 0."""
    base = np.zeros(396, dtype=bool)
    better = base.copy()
    better[:98] = True
    p = compare_rows([base, better])[1]["p_value"]
    assert 0 < p < 1e-28
