import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from darkvid.ensemble.combine import EnsembleConfigError
from darkvid.ensemble.metrics import known_labels
from darkvid.ensemble.predictions import PredictionError, load_split
from darkvid.ensemble.pseudo_config import load_pseudo_config
from darkvid.ensemble.pseudo_labels import read_pseudo_csv, run_pseudo_labels, summarize, write_pseudo_labels
from tests.conftest import REPO_ROOT, shared_path
from tests.ensemble.conftest import write_preds


def _config(pool, **extra):
    data = {"root": str(pool["root"]), "split_csv": "val.csv",
            "predictions": {n: str(p.relative_to(pool["root"])) for n, p in pool["files"].items()},
            "weights": {"m0": 0.2, "m1": 0.3, "m2": 0.5}, "thresholds": 0.6, "labels_csv": "val.csv",
            "out": "pseudo/out.csv", **extra}
    path = pool["root"] / "cfg.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_fixed_thresholds_write_csv_and_summary(pool):
    config = load_pseudo_config(_config(pool))
    result = run_pseudo_labels(config)
    write_pseudo_labels(config, result)
    rows = list(csv.reader(config.out.open()))
    assert len(rows) == result.summary["selected"] > 0 and all(len(r) == 13 for r in rows)
    assert rows[0][0] in pool["names"] and float(rows[0][2 + int(rows[0][1])]) >= 0.6
    summary = json.loads(config.summary.read_text())
    quality = summary["labelled"]
    truth = dict(zip(pool["names"], pool["labels"]))
    right = sum(truth[r[0]] == int(r[1]) for r in rows)
    assert quality["covered"] == len(rows) and quality["precision"] == pytest.approx(right / len(rows))
    assert sum(summary["count_per_class"]) == len(rows)
    assert summary["thresholds"] == [0.6] * 11


def test_auto_thresholds_reach_target_with_weight_search(pool):
    auto = {"val_predictions": {n: str(p) for n, p in pool["files"].items()}, "val_csv": "val.csv",
            "target_precision": 0.97, "relax_per_stage": 0.01, "stage": 2, "search_weights": True, "search_step": 0.25}
    result = run_pseudo_labels(load_pseudo_config(_config(pool, thresholds="auto", auto=auto)))
    assert result.summary["target_precision"] == pytest.approx(0.96)
    assert result.summary["labelled"]["precision"] >= 0.96
    assert result.summary["selected"] > 50


def test_unknown_key_names_key_and_file(pool):
    with pytest.raises(EnsembleConfigError, match=r"cfg.yaml: unknown key\(s\) \['treshold'\]"):
        load_pseudo_config(_config(pool, treshold=0.3))


def test_bad_input_fails_before_any_output(pool):
    logits = np.zeros((200, 11))
    logits[7, 3] = np.nan
    write_preds(pool["files"]["m1"], logits, pool["labels"], pool["names"])
    config_path = _config(pool)
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "gen_pseudo_tools/generate_pseudo_label.py"),
                           "--config", str(config_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "m1/valx1.pkl" in proc.stderr and "NaN" in proc.stderr
    assert not (pool["root"] / "data/pseudo").exists()
    write_preds(pool["files"]["m1"], np.zeros((199, 11)), pool["labels"][:199], pool["names"][1:])
    with pytest.raises(PredictionError, match=r"m1/valx1.pkl and .*val.csv cover different videos: 1 only in "
                                              r".*val.csv \(first \['0.mp4'\]\), 0 only in"):
        run_pseudo_labels(load_pseudo_config(config_path))
    assert not (pool["root"] / "data/pseudo").exists()


@pytest.mark.parametrize("stage,covered,precision",
                         [(1, 3073, 0.9378), (2, 4694, 0.9478), (3, 5828, 0.9077), (4, 6207, 0.8956)])
def test_summary_reproduces_seed_readme_figures(stage, covered, precision):
    paths, labels = read_pseudo_csv(shared_path("seed_data", "pseudo", f"stage{stage}.csv"), 11)
    arid = load_split(shared_path("seed_data", "arid.csv"), 11)
    pool = len(load_split(shared_path("seed_data", "total_unlabel.csv"), 11).paths)
    summary = summarize(paths, labels, pool, known_labels(list(arid.paths), arid.labels), 11)
    quality = summary["labelled"]
    assert (quality["covered"], quality["labelled"], pool) == (covered, 6207, 9295)
    assert round(quality["precision"], 4) == precision
    if stage == 1:
        assert summary["selected"] == 4484 and round(100 * quality["coverage"], 1) == 49.5
