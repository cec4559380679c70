import json
import subprocess
import sys

import numpy as np
import pytest

from darkvid.ensemble.predictions import PredictionError
from darkvid.ensemble.scoring import score_file
from tests.conftest import REPO_ROOT
from tests.ensemble.conftest import write_preds, write_split

NAMES = [f"{i}.mp4" for i in range(6)]
LABELS = [0, 0, 1, 1, 2, 2]


def _labels(tmp_path):
    return write_split(tmp_path / "test_labels.csv", NAMES, LABELS)


def test_submission_scores(tmp_path):
    preds = [0, 1, 1, 1, 2, 0]
    sub = tmp_path / "sub.csv"
    sub.write_text("VideoID,Video,ClassID,Probability\n"
                   + "".join(f"{i},{n},{p},0.5\n" for i, (n, p) in enumerate(zip(NAMES, preds))))
    out = tmp_path / "s.json"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools/score.py"), str(sub), str(_labels(tmp_path)),
                           "--json", str(out), "--num-classes", "3"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["kind"] == "submission" and result["top1"] == pytest.approx(400 / 6)
    assert result["per_class_accuracy"] == [0.5, 1.0, 0.5]
    assert result["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert (tmp_path / "s_confusion.png").stat().st_size > 0


def test_prediction_file_and_wrong_order(tmp_path):
    logits = np.eye(3)[[0, 0, 1, 2, 2, 2]]
    result = score_file(write_preds(tmp_path / "p.pkl", logits, np.array(LABELS)), _labels(tmp_path), 3)
    assert result["kind"] == "predictions" and result["top1"] == pytest.approx(500 / 6)
    with pytest.raises(PredictionError, match="p5.pkl has 5 videos but .*test_labels.csv has 6 rows"):
        score_file(write_preds(tmp_path / "p5.pkl", logits[:5], -np.ones(5)), _labels(tmp_path), 3)
    sub = tmp_path / "swapped.csv"  # joined on Video: row order does not matter, other videos do
    sub.write_text("VideoID,Video,ClassID\n"
                   + "".join(f"{n[0]},{n},{lab}\n" for n, lab in zip(NAMES[::-1], LABELS[::-1])))
    assert score_file(sub, _labels(tmp_path), 3)["top1"] == 100.0
    sub.write_text("VideoID,Video,ClassID,Probability\n"
                   + "".join(f"{i},{n},0,0.5\n" for i, n in enumerate(NAMES[:5] + ["9.mp4"])))
    with pytest.raises(PredictionError, match=r"swapped.csv and .*test_labels.csv cover different videos: "
                                              r"1 only in .*\(first \['5.mp4'\]\), "
                                              r"1 only in .*swapped.csv \(first \['9.mp4'\]\)"):
        score_file(sub, _labels(tmp_path), 3)
    shuffled = write_preds(tmp_path / "q.pkl", logits[::-1], np.array(LABELS[::-1]), NAMES[::-1])
    assert score_file(shuffled, _labels(tmp_path), 3)["top1"] == pytest.approx(500 / 6)


def test_pseudo_csv_coverage_and_precision(tmp_path):
    pseudo = tmp_path / "pseudo.csv"
    pseudo.write_text("0.mp4,0,0.9,0.05,0.05\n2.mp4,2,0.1,0.1,0.8\nextra.mp4,1,0.1,0.8,0.1\n4.mp4,2,0,0,1\n")
    result = score_file(pseudo, _labels(tmp_path), 3)
    assert result["kind"] == "pseudo" and (result["covered"], result["correct"]) == (3, 2)
    assert result["coverage"] == pytest.approx(0.5) and result["precision"] == pytest.approx(2 / 3)
    assert result["coverage_per_class"] == [0.5, 0.5, 0.5]
    assert result["precision_per_class"] == [1.0, None, 0.5]


def test_wilson_interval_matches_the_textbook_values():
    from darkvid.ensemble.metrics import wilson_interval

    low, high = wilson_interval(99, 110)  # 90% of 110 videos
    assert round(low, 1) == 83.0 and round(high, 1) == 94.3
    assert wilson_interval(0, 10)[0] == 0.0 and round(wilson_interval(0, 10)[1], 1) == 27.8
    assert wilson_interval(10, 10)[1] == 100.0
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
