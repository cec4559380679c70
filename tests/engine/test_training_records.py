"""What a training run records: best.pyth on TRAIN.BEST_SPLIT, and the bad training videos it replaced."""
import json

import pytest
import torch

from darkvid.config import ConfigError
from darkvid.datasets.dataset import BadVideosError
from darkvid.engine.tester import run_test
from darkvid.engine.trainer import fit
from darkvid.utils.checkpoint import checkpoint_path
from tests.engine.standins import FakeData, make_cfg


def _records(root, kind):
    lines = (root / "out" / "stats.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


@pytest.mark.parametrize("best", ["val_dry", "arid"])
def test_best_checkpoint_follows_train_best_split(tmp_path, best):
    cfg = make_cfg(tmp_path, "TRAIN.BEST_SPLIT", best, "SOLVER.MAX_EPOCH", "3")
    state = fit(cfg, data=FakeData(videos={"val_dry": 11, "arid": 7}))
    evals = _records(tmp_path, "eval")
    assert len(evals) == 3 and {r[f"{s}_top1"] for r in evals for s in ("val_dry", "arid")}  # both scored
    expected = max(r[f"{best}_top1"] for r in evals)
    saved = torch.load(tmp_path / "out" / "best.pyth", weights_only=True)
    assert state.best_top1 == saved["best_top1"] == expected
    assert saved["epoch"] == next(i for i, r in enumerate(evals) if r[f"{best}_top1"] == expected)


def test_best_split_must_be_evaluated(tmp_path):
    cfg = make_cfg(tmp_path, "TRAIN.EVAL_SPLITS", "['val_dry']")
    with pytest.raises(ConfigError, match=r"TRAIN.BEST_SPLIT 'arid' .* not in TRAIN.EVAL_SPLITS \['val_dry'\]"):
        fit(cfg, data=FakeData())


def test_allowed_bad_videos_are_named_in_stats_and_checkpoints(tmp_path):
    cfg = make_cfg(tmp_path, "DATA.MAX_BAD_VIDEOS", "2", "DATA.PSEUDO_CSV", "pseudo.csv")
    fit(cfg, data=FakeData(bad={"train_label": [3], "train_pseudo_label": [1]}))
    names = ["train_label/3.mp4", "train_pseudo_label/1.mp4"]
    for record in _records(tmp_path, "train"):
        assert record["bad_videos"] == 2 and sorted(record["bad_video_paths"]) == names
    for path in (checkpoint_path(cfg.OUTPUT_DIR, 1), tmp_path / "out" / "best.pyth"):
        assert sorted(torch.load(path, weights_only=True)["bad_videos"]) == names


def test_clean_runs_record_zero_bad_videos(tmp_path):
    fit(make_cfg(tmp_path), data=FakeData())
    assert [(r["bad_videos"], r["bad_video_paths"]) for r in _records(tmp_path, "train")] == [(0, []), (0, [])]


def test_bad_videos_beyond_the_allowance_stop_the_run_naming_them(tmp_path):
    cfg = make_cfg(tmp_path, "DATA.MAX_BAD_VIDEOS", "1")
    with pytest.raises(BadVideosError, match=r"2 bad training videos, DATA.MAX_BAD_VIDEOS allows 1: "
                                             r"train_label/(2|9).mp4, train_label/(2|9).mp4"):
        fit(cfg, data=FakeData(bad={"train_label": [2, 9]}))
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_a_resumed_run_keeps_counting_the_bad_videos_of_its_checkpoint(tmp_path):
    data = FakeData(bad={"train_label": [5]})
    fit(make_cfg(tmp_path, "DATA.MAX_BAD_VIDEOS", "1", "SOLVER.MAX_EPOCH", "1"), data=data)
    more = FakeData(bad={"train_label": [6]})
    with pytest.raises(BadVideosError, match="train_label/5.mp4, train_label/6.mp4"):
        fit(make_cfg(tmp_path, "DATA.MAX_BAD_VIDEOS", "1", "SOLVER.MAX_EPOCH", "2"), data=more)


def test_checkpoints_from_before_bad_video_records_still_resume(tmp_path):
    fit(make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1"), data=FakeData())
    path = checkpoint_path(str(tmp_path / "out"), 1)
    old = torch.load(path, weights_only=True)
    del old["bad_videos"]
    torch.save(old, path)
    state = fit(make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "2"), data=FakeData())
    assert state.start_epoch == 2 and state.bad_videos == []


def test_checkpoint_period_0_writes_best_pyth_alone_and_weights_only_best_keeps_the_weights(tmp_path):
    data = FakeData()
    fit(make_cfg(tmp_path / "full", "SOLVER.MAX_EPOCH", "1"), data=data)
    cfg = make_cfg(tmp_path / "lean", "SOLVER.MAX_EPOCH", "1", "TRAIN.SAVE_LATEST", "True",
                   "TRAIN.CHECKPOINT_PERIOD", "0", "TRAIN.BEST_OPTIMIZER_STATE", "False")
    fit(cfg, data=data)
    assert not (tmp_path / "lean" / "out" / "checkpoints").exists()
    full = torch.load(tmp_path / "full" / "out" / "best.pyth", weights_only=True)
    lean = torch.load(tmp_path / "lean" / "out" / "best.pyth", weights_only=True)
    assert full["optimizer_state"] is not None and lean["optimizer_state"] is None
    assert lean["epoch"] == full["epoch"] == 0 and lean["best_top1"] == full["best_top1"]
    for key, value in full["model_state"].items():  # the same training: the switches change only what is written
        torch.testing.assert_close(lean["model_state"][key], value, rtol=0, atol=0)
    assert run_test(cfg, data=data).is_file()  # the tester needs the weights alone


def test_negative_checkpoint_period_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="TRAIN.CHECKPOINT_PERIOD must be 0"):
        fit(make_cfg(tmp_path, "TRAIN.CHECKPOINT_PERIOD", "-1"), data=FakeData())
