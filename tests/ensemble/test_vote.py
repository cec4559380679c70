import csv
import json
import zipfile

import numpy as np
import pytest
import yaml

from darkvid.datasets.records import SplitList
from darkvid.ensemble.combine import EnsembleConfigError
from darkvid.ensemble.predictions import PredictionError
from darkvid.ensemble.vote import DecisionRule, apply_rules, majority_vote, parse_rules, vote_probability
from darkvid.ensemble.vote_config import load_vote_config, run_vote, search_vote
from darkvid.ensemble.vote_official import check_official, official_rows
from darkvid.predictions import LegacyPredictionWarning
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


def _vote_setup(tmp_path, n=40, shuffle=False, legacy=False):
    labels = np.arange(n) % 11
    names = [f"{i}.mp4" for i in range(n)]
    write_split(tmp_path / "data/test.csv", names, -np.ones(n))
    write_split(tmp_path / "data/val.csv", names, labels)
    preds = {}
    for k, strength in enumerate([0.5, 2.0, 4.0]):
        order = np.random.default_rng(k).permutation(n) if shuffle else np.arange(n)
        ids = None if legacy else [names[i] for i in order]
        preds[f"m{k}"] = str(write_preds(tmp_path / f"exp/m{k}/test.pkl", noisy_logits(labels, 11, strength, k)[order],
                                         -np.ones(n), ids))
        val_logits = noisy_logits(labels, 11, strength, 10 + k)[order]
        write_preds(tmp_path / f"exp/m{k}/val.pkl", val_logits, labels[order], ids)
    data = {"root": str(tmp_path), "test_csv": "test.csv", "predictions": preds,
            "rule_sets": {"r": [{"pred": 3, "guard_max": 0.2, "then": [[4, 0.0]]}]},
            "modes": [{"name": "a", "weights": {"m0": 0.8, "m1": 0.1, "m2": 0.1}},
                      {"name": "b", "weights": {"m0": 0.4, "m1": 0.6}, "rules": "r"},
                      {"name": "c", "weights": {"default": {"m0": 0.5, "m2": 0.5},
                                                "replaces": [{"model": "m1", "classes": [5]}]}}],
            "vote": ["a", "b", "c"], "out_dir": "sub", "out": "sub/final.csv",
            "search": {"predictions": {k: v.replace("test.pkl", "val.pkl") for k, v in preds.items()},
                       "labels_csv": "val.csv", "step": 0.25}}
    path = tmp_path / "vote.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, names


def test_submission_format(tmp_path):
    path, names = _vote_setup(tmp_path)
    outputs = run_vote(load_vote_config(path))
    assert set(outputs) == {"a", "b", "c", "vote", "official_csv", "official_zip", "summary"}
    assert outputs["official_csv"] == tmp_path / "sub/arid_pred.csv"
    assert outputs["official_zip"] == tmp_path / "sub/ug2-2022.zip"
    assert outputs["official_csv"].read_bytes() == outputs["vote"].read_bytes()  # names 0..n-1 in order: same rows
    with zipfile.ZipFile(outputs["official_zip"]) as archive:
        assert archive.namelist() == ["arid_pred.csv"] and archive.read("arid_pred.csv") == outputs["vote"].read_bytes()
    summary = json.loads(outputs["summary"].read_text())
    assert summary["videos"] == 40 and summary["invalid"] == 0 and summary["class_names"][0] == "Drink"
    for out in (outputs[k] for k in ("a", "b", "c", "vote")):
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


def test_shuffled_and_legacy_files_give_the_same_vote(tmp_path):
    outputs = [run_vote(load_vote_config(_vote_setup(tmp_path / kind, shuffle=kind == "shuffled",
                                                     legacy=kind == "legacy")[0]))
               for kind in ("ordered", "shuffled", "legacy")]
    with pytest.warns(LegacyPredictionWarning):
        run_vote(load_vote_config(tmp_path / "legacy/vote.yaml"))
    for name in ("a", "b", "c", "vote", "official_csv", "official_zip"):
        assert outputs[1][name].read_bytes() == outputs[0][name].read_bytes() == outputs[2][name].read_bytes()


def test_vote_probability_is_the_first_agreeing_modes_share():
    # two modes over one video; mode "a" says class 1 (0.6 of its row), mode "b" class 1 too (0.5 of 0.2+0.5+0.3)
    probs = [np.array([[0.3, 0.6, 0.1]]), np.array([[0.2, 0.5, 0.3]])]
    preds = [np.array([1]), np.array([1])]
    voted = majority_vote(preds, probs)
    assert voted.tolist() == [1]
    assert vote_probability(preds, probs, voted).tolist() == [pytest.approx(0.6)]
    # unnormalised rows: the first mode disagrees; the second's [2, 6, 2] gives 6 / 10
    preds = [np.array([0]), np.array([1]), np.array([1])]
    probs = [np.array([[0.7, 0.2, 0.1]]), np.array([[2.0, 6.0, 2.0]]), np.array([[0.1, 0.8, 0.1]])]
    assert vote_probability(preds, probs, majority_vote(preds, probs)).tolist() == [pytest.approx(0.6)]


def test_vote_summary_counts_invalid_videos(tmp_path):
    path, names = _vote_setup(tmp_path)
    valid = np.ones(40, bool)
    valid[[3, 7]] = False
    labels = np.arange(40) % 11
    write_preds(tmp_path / "exp/m1/test.pkl", noisy_logits(labels, 11, 2.0, 1), -np.ones(40), names, valid)
    summary = json.loads(run_vote(load_vote_config(path))["summary"].read_text())
    assert summary["invalid"] == 2 and summary["invalid_videos"] == ["3.mp4", "7.mp4"]


def test_official_check_refuses_bad_rows(tmp_path):
    test = SplitList(tmp_path / "test.csv", ("0.mp4", "1.mp4"), -np.ones(2, dtype=np.int64))
    rows = official_rows(test, np.array([3, 10]), np.array([0.5, 1.0]))
    assert rows == [[0, "0.mp4", 3, "0.500000"], [1, "1.mp4", 10, "1.000000"]]
    check_official(rows, test, 11)
    with pytest.raises(PredictionError, match="1 rows but .*test.csv lists 2"):
        check_official(rows[:1], test, 11)
    with pytest.raises(PredictionError, match=r"row 3 \(1.mp4\): ClassID 10 outside \[0, 10\)"):
        check_official(rows, test, 10)
    with pytest.raises(PredictionError, match="row 3 .*VideoID 0 repeats row 2"):
        check_official([rows[0], [0, "1.mp4", 1, "0.5"]], test, 11)
    with pytest.raises(PredictionError, match="row 3 .*not a video of"):
        check_official([rows[0], [2, "2.mp4", 1, "0.5"]], test, 11)
    with pytest.raises(PredictionError, match="'a.mp4' has no number"):
        unnumbered = SplitList(tmp_path / "t.csv", ("a.mp4",), -np.ones(1, dtype=np.int64))
        official_rows(unnumbered, np.array([0]), np.array([1.0]))


def test_bad_input_before_any_output(tmp_path):
    path, names = _vote_setup(tmp_path)
    write_preds(tmp_path / "exp/m2/test.pkl", np.zeros((39, 11)), -np.ones(39), names[:39])
    with pytest.raises(PredictionError, match=r"m2/test.pkl and .*test.csv cover different videos: 1 only in "
                                              r".*test.csv \(first \['39.mp4'\]\)"):
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
