import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from darkvid.ensemble.explorer import curve_table, write_exploration
from tests.conftest import REPO_ROOT
from tests.ensemble.conftest import noisy_logits, write_preds, write_split

MODELS = ("uniformer_b32_ssv2", "uniformer_b32_k600", "mvit_b32_k600", "sf32_k700")


def test_curve_table_numbers():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    rows = curve_table(probs, np.array([0, 1, 1]), np.array([0.0, 0.7]))
    assert rows[0] == (0, 0.0, 2, 1, 0.5, 1.0, 1.0)
    assert rows[1] == (0, 0.7, 1, 1, 1.0, 0.5, 1.0)
    assert rows[2] == (1, 0.0, 1, 1, 1.0, 1.0, 0.5)


def test_write_exploration(tmp_path):
    labels = np.arange(110) % 11
    probs = np.exp(noisy_logits(labels, 11, 2.0, 0))
    probs /= probs.sum(1, keepdims=True)
    paths = write_exploration(tmp_path / "t", probs, labels, np.full(11, 0.5), [str(c) for c in range(11)], steps=11)
    assert [p.suffix for p in paths] == [".csv", ".md", ".png"]
    assert len(list(csv.reader(paths[0].open()))) == 1 + 11 * 11


@pytest.mark.slow
def test_stage_preset_with_overrides(tmp_path):
    """Stage 2 reads exp_pseudo_stage1/* under --root and writes --out plus its summary."""
    names = [f"{i}.mp4" for i in range(30)] + [f"Drink/Drink_1_{i}.mp4" for i in range(22)]
    truth = np.arange(22) % 11
    labels = np.concatenate([np.arange(30) % 11, truth])
    for k, model in enumerate(MODELS):
        write_preds(tmp_path / f"exp_pseudo_stage1/{model}/total_unlabelx32x224x1x1.pkl",
                    noisy_logits(labels, 11, 8.0, k), -np.ones(52))
    write_split(tmp_path / "d/total_unlabel.csv", names, -np.ones(52))
    write_split(tmp_path / "d/arid.csv", names[30:], truth)
    out = tmp_path / "o/stage2.csv"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "gen_pseudo_tools/generate_pseudo_label_stage2.py"),
                           "--root", str(tmp_path), "--data-root", str(tmp_path / "d"), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "thresholds:" in proc.stdout and "0.763" in proc.stdout
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["pool"] == 52 and summary["labelled"]["labelled"] == 22
    assert summary["labelled"]["precision"] == 1.0 and summary["selected"] == len(out.read_text().splitlines())
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "gen_pseudo_tools/explore_thresholds.py"),
                           "--config", str(REPO_ROOT / "gen_pseudo_tools/presets/stage2.yaml"), "--root", str(tmp_path),
                           "--data-root", str(tmp_path / "d"), "--out-stem", str(tmp_path / "x/th"), "--steps", "21"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "x/th.png").exists() and len((tmp_path / "x/th.csv").read_text().splitlines()) == 1 + 11 * 21
