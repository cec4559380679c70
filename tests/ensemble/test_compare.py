"""tools/compare.py: two runs paired by video id, intervals and the exact McNemar test."""
import json
import subprocess
import sys

import numpy as np
import pytest

from darkvid.ensemble.predictions import PredictionError
from tests.conftest import REPO_ROOT
from tests.ensemble.conftest import write_preds, write_split

sys.path.insert(0, str(REPO_ROOT / "tools"))
from compare import compare_files  # noqa: E402

NAMES = [f"v{i}.mp4" for i in range(20)]
LABELS = np.arange(20) % 2


def _file(tmp_path, name, right, order=None):
    """Predictions right on the videos flagged in `right`, listed in `order` (default: NAMES)."""
    order = list(range(20)) if order is None else order
    pred = np.where(right, LABELS, 1 - LABELS)
    logits = np.eye(2)[pred[order]]
    return write_preds(tmp_path / name, logits, LABELS[order], [NAMES[i] for i in order])


def test_paired_counts_p_value_and_intervals(tmp_path):
    labels = write_split(tmp_path / "labels.csv", NAMES, LABELS)
    base = np.zeros(20, dtype=bool)
    base[:10] = True  # 10 / 20 right
    changed = base.copy()
    changed[10:20] = True  # gains 10 videos
    changed[0:2] = False  # loses 2
    # changed is listed in reverse: the join is by video id, not by row
    reversed_order = list(range(19, -1, -1))
    result = compare_files(_file(tmp_path, "a.pkl", base), _file(tmp_path, "b.pkl", changed, order=reversed_order),
                           labels, num_classes=2)
    assert result["videos"] == 20
    assert result["baseline"]["top1"] == pytest.approx(50.0) and result["changed"]["top1"] == pytest.approx(90.0)
    assert (result["gained"], result["lost"]) == (10, 2)
    assert result["p_value"] == pytest.approx(0.0386, abs=1e-4)  # 2 * P(Binomial(12, 1/2) <= 2)
    assert result["significant"] and result["difference"] == pytest.approx(40.0)
    low, high = result["baseline"]["interval"]
    assert low == pytest.approx(29.9, abs=0.1) and high == pytest.approx(70.1, abs=0.1)


def test_cli_json_and_errors(tmp_path):
    labels = write_split(tmp_path / "labels.csv", NAMES, LABELS)
    same = np.ones(20, dtype=bool)
    a, b = _file(tmp_path, "a.pkl", same), _file(tmp_path, "b.pkl", same)
    out = tmp_path / "cmp.json"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools/compare.py"), str(a), str(b), str(labels),
                           "--num-classes", "2", "--json", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "+0 / -0, McNemar p = 1, not significant" in proc.stdout
    assert json.loads(out.read_text())["p_value"] == 1.0
    with pytest.raises(PredictionError, match="changed file not found: .*missing.pkl"):
        compare_files(a, tmp_path / "missing.pkl", labels, num_classes=2)
    short = write_preds(tmp_path / "short.pkl", np.eye(2)[LABELS[:19]], LABELS[:19], NAMES[:19])
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools/compare.py"), str(a), str(short), str(labels),
                           "--num-classes", "2"], capture_output=True, text=True)
    assert proc.returncode == 2 and "short.pkl" in proc.stderr
