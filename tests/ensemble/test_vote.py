import csv

import numpy as np
import pytest
import yaml

from darkvid.ensemble.combine import EnsembleConfigError
from darkvid.ensemble.predictions import PredictionError
from darkvid.ensemble.vote import DecisionRule, apply_rules, majority_vote, parse_rules
from darkvid.ensemble.vote_config import load_vote_config, run_vote, search_vote
from tests.conftest import REPO_ROOT
from tests.ensemble.conftest import noisy_logits, write_preds, write_split


def test_rules_run_in_order_like_the_seed():
    rules = parse_rules([{"pred": 2, "guard_max": 0.5, "then": [[0, 0.4], [1, 0.2]]},
                         {"pred": 1, "guard_class": 0, "guard_max": 0.1, "then": [[0, 0.0]]}], "x")
    assert rules[1] == DecisionRule(1, 0, 0.1, ((0, 0.0),))
    probs = np.array([[0.45, 0.05, 0.5], [0.05, 0.3, 0.49], [0.3, 0.3, 0.4], [0.0, 0.3, 0.7]])
    # row 0 -> 0; row 1 -> 1 then (p0 <= 0.1) -> 0; row 2 -> 1 and stays (p0 > 0.1); row 3 guarded out
    np.testing.assert_array_equal(apply_rules(probs.argmax(1), probs, rules), [0, 0, 1, 2])


def test_vote_majority_then_summed_probability_then_lowest_id():
    preds = [np.array([0, 1, 2]), np.array([0, 2, 1]), np.array([1, 0, 0])]
    probs = [np.array([[0.6, 0.4, 0.0], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]]),
             np.array([[0.6, 0.4, 0.0], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3]]),
             np.array([[0.4, 0.6, 0.0], [0.5, 0.3, 0.2], [0.4, 0.3, 0.3]])]
    # row 0: class 0 has two votes; row 1: 1,2,0 tie, summed 0.9/1.1/1.0 -> 1; row 2: tie, sums 1.0/1.0/1.0 -> 0
    first = majority_vote(preds, probs)
    np.testing.assert_array_equal(first, [0, 1, 0])
    np.testing.assert_array_equal(majority_vote(preds[::-1], probs[::-1]), first)


def _vote_setup(tmp_path, n=40):
    labels = np.arange(n) % 11
    names = [f"{i}.mp4" for i in range(n)]
    write_split(tmp_path / "data/test.csv", names, -np.ones(n))
    write_split(tmp_path / "data/val.csv", names, labels)
    preds = {}
    for k, strength in enumerate([0.5, 2.0, 4.0]):
        preds[f"m{k}"] = str(write_preds(tmp_path / f"exp/m{k}/test.pkl", noisy_logits(labels, 11, strength, k), -np.ones(n)))
        write_preds(tmp_path / f"exp/m{k}/val.pkl", noisy_logits(labels, 11, strength, 10 + k), labels)
    data = {"root": str(tmp_path), "test_csv": "test.csv", "predictions": preds,
            "rule_sets": {"r": [{"pred": 3, "guard_max": 0.2, "then": [[4, 0.0]]}]},
            "modes": [{"name": "a", "weights": {"m0": 0.8, "m1": 0.1, "m2": 0.1}},
                      {"name": "b", "weights": {"m0": 0.4, "m1": 0.6}, "rules": "r"},
                      {"name": "c", "weights": {"default": {"m0": 0.5, "m2": 0.5}, "replaces": [{"model": "m1", "classes": [5]}]}}],
            "vote": ["a", "b", "c"], "out_dir": "sub", "out": "sub/final.csv",
            "search": {"predictions": {k: v.replace("test.pkl", "val.pkl") for k, v in preds.items()},
                       "labels_csv": "val.csv", "step": 0.25}}
    path = tmp_path / "vote.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, names


def test_submission_format(tmp_path):
    path, names = _vote_setup(tmp_path)
    outputs = run_vote(load_vote_config(path))
    assert set(outputs) == {"a", "b", "c", "vote"}
    for out in outputs.values():
        rows = list(csv.reader(open(out)))
        assert rows[0] == ["VideoID", "Video", "ClassID", "Probability"]
        assert [r[1] for r in rows[1:]] == names and [int(r[0]) for r in rows[1:]] == list(range(len(names)))
        assert all(0 <= int(r[2]) < 11 and 0.0 < float(r[3]) <= 1.0 for r in rows[1:])


def test_search_then_vote_reads_saved_config(tmp_path):
    path, _ = _vote_setup(tmp_path)
    raw, scores = search_vote(load_vote_config(path))
    assert scores["vote"] >= max(scores[m] for m in "abc") and scores["vote"] > 0.8
    saved = tmp_path / "searched.yaml"
    saved.write_text(yaml.safe_dump(raw))
    assert run_vote(load_vote_config(saved))["vote"].exists()


def test_bad_input_before_any_output(tmp_path):
    path, _ = _vote_setup(tmp_path)
    write_preds(tmp_path / "exp/m2/test.pkl", np.zeros((39, 11)), -np.ones(39))
    with pytest.raises(PredictionError, match="m0/test.pkl has 40 videos but .*m2/test.pkl has 39"):
        run_vote(load_vote_config(path))
    assert not (tmp_path / "sub").exists()
    with pytest.raises(EnsembleConfigError, match="vote names unknown mode"):
        data = yaml.safe_load(path.read_text())
        data["vote"] = ["z"]
        path.write_text(yaml.safe_dump(data))
        load_vote_config(path)


def test_seed_preset_loads():
    config = load_vote_config(REPO_ROOT / "configs/ensemble/final_vote.yaml")
    assert config.vote == ("mode1", "mode4") and len(config.modes[1].rules) == 6
    assert config.modes[1].rules[2] == DecisionRule(8, 9, 0.73, ((1, 0.2), (4, 0.1), (0, 0.1), (10, 0.7)))
