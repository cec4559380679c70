import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from darkvid.ensemble.combine import EnsembleConfigError, softmax
from darkvid.ensemble.pseudo_config import load_pseudo_config
from darkvid.ensemble.pseudo_labels import keep_with_floor, run_pseudo_labels
from tests.conftest import REPO_ROOT
from tests.ensemble.conftest import noisy_logits, write_preds

WEIGHTS = {"m0": 0.2, "m1": 0.3, "m2": 0.5}


def _config(pool, **auto_extra):
    """Auto thresholds on validation predictions that are always wrong, so no class reaches any precision."""
    wrong = (pool["labels"] + 1) % 11
    val = {n: str(write_preds(pool["root"] / f"exp/{n}/wrong.pkl", noisy_logits(wrong, 11, 6.0, k), pool["labels"],
                              pool["names"]))
           for k, n in enumerate(pool["files"])}
    data = {"root": str(pool["root"]), "split_csv": "val.csv",
            "predictions": {n: str(p.relative_to(pool["root"])) for n, p in pool["files"].items()},
            "weights": WEIGHTS, "thresholds": "auto", "out": "pseudo/out.csv",
            "auto": {"val_predictions": val, "val_csv": "val.csv", "target_precision": 0.99, **auto_extra}}
    path = pool["root"] / "cfg.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _top_probability(pool):
    probs = {n: softmax(np.asarray(noisy_logits(pool["labels"], 11, 1.5 + k, k), dtype=np.float32), 1.0)
             for k, n in enumerate(pool["files"])}
    return sum(WEIGHTS[n] * p for n, p in probs.items()).max(axis=1)


def test_floor_keeps_the_most_confident_videos_when_thresholds_select_none(pool):
    config = load_pseudo_config(_config(pool, min_selected=7))
    result = run_pseudo_labels(config)
    assert len(result.paths) == result.summary["selected"] == 7
    assert result.summary["floor_applied"] is True and result.summary["selected_by_thresholds"] == 0
    assert result.summary["thresholds"] == [None] * 11
    top = _top_probability(pool)
    chosen = [pool["names"].index(p) for p in result.paths]
    assert chosen == sorted(chosen)
    assert sorted(chosen) == sorted(np.argsort(-top)[:7].tolist())
    np.testing.assert_allclose(result.probs.max(axis=1), top[chosen], rtol=1e-5)


def test_without_floor_nothing_is_selected(pool):
    result = run_pseudo_labels(load_pseudo_config(_config(pool)))
    assert result.paths == [] and result.summary["selected"] == 0
    assert result.summary["floor_applied"] is False and result.summary["min_selected"] == 0


def test_script_prints_the_floor_and_writes_it_to_the_summary(pool):
    path = _config(pool, min_selected=4)
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "gen_pseudo_tools/generate_pseudo_label.py"),
                           "--config", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "selected 4/200" in proc.stdout
    assert "fewer than auto.min_selected 4" in proc.stderr and "keeping the 4 most confident" in proc.stderr
    out = pool["root"] / "data/pseudo/out.csv"
    assert len(list(csv.reader(out.open()))) == 4
    assert json.loads(out.with_suffix(".json").read_text())["floor_applied"] is True


def test_floor_leaves_a_large_enough_selection_alone():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.5, 0.5]])
    keep, applied = keep_with_floor(probs, np.array([True, False, True, False]), 2)
    assert keep.tolist() == [0, 2] and not applied
    keep, applied = keep_with_floor(probs, np.array([False, False, False, True]), 3)
    assert keep.tolist() == [0, 1, 2] and applied
    keep, applied = keep_with_floor(probs, np.zeros(4, bool), 10)
    assert keep.tolist() == [0, 1, 2, 3] and applied


@pytest.mark.parametrize("value", [-1, 2.5, True, "3"])
def test_min_selected_must_be_a_count(pool, value):
    with pytest.raises(EnsembleConfigError, match=r"auto.min_selected: expected an integer >= 0"):
        load_pseudo_config(_config(pool, min_selected=value))
