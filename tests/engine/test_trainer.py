import pickle

import numpy as np
import pytest
import torch

from darkvid.config import ConfigError
from darkvid.engine.tester import prediction_path, run_test
from darkvid.engine.train_loop import NonFiniteLossError
from darkvid.engine.trainer import fit
from darkvid.utils.checkpoint import checkpoint_path, latest_checkpoint
from tests.engine.standins import FakeData, Interrupted, make_cfg


def _weights(path):
    return torch.load(path, weights_only=True)["model_state"]


def test_fit_writes_checkpoints_best_stats_and_config(tmp_path):
    cfg = make_cfg(tmp_path, "TRAIN.SAVE_LATEST", "True", "MODEL.ARCH", "test_bn", "BN.USE_PRECISE_STATS", "True",
                   "BN.NUM_BATCHES_PRECISE", "2")
    state = fit(cfg, data=FakeData())
    out = tmp_path / "out"
    assert state.start_epoch == 2 and state.best_top1 >= 0
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint_epoch_00002.pyth"]
    assert (out / "best.pyth").is_file() and (out / "config.yaml").is_file()
    lines = (out / "stats.jsonl").read_text().splitlines()
    assert [line.count('"kind": "train"') for line in lines] == [0, 1, 0, 1, 0]  # after the "start" record
    assert '"arid_top1"' in lines[2]
    ckpt = torch.load(latest_checkpoint(out), weights_only=True)
    assert ckpt["epoch"] == 1 and len(ckpt["rng_states"]) == 1
    assert int(ckpt["model_state"]["bn.num_batches_tracked"]) == 2  # adapted on 2 batches before writing


def test_resumed_run_matches_uninterrupted_run(tmp_path):
    extra = ("TRAIN.PSEUDO_STEP", "sum", "DATA.PSEUDO_CSV", "pseudo.csv", "MODEL.PSEUDO_LOSS_FUNC", "soft",
             "MIXUP.ENABLE", "True", "TRAIN.THRESHOLD", "1.0")
    full = make_cfg(tmp_path / "full", *extra)
    fit(full, data=FakeData())
    resumed = make_cfg(tmp_path / "resumed", *extra)
    with pytest.raises(Interrupted):
        fit(resumed, data=FakeData(crash_after=16 + 2))  # dies in epoch 2 (4 batches of 4 per epoch)
    assert latest_checkpoint(resumed.OUTPUT_DIR) == checkpoint_path(resumed.OUTPUT_DIR, 1)
    state = fit(resumed, data=FakeData())
    assert state.start_epoch == 2
    a = _weights(checkpoint_path(full.OUTPUT_DIR, 2))
    b = _weights(checkpoint_path(resumed.OUTPUT_DIR, 2))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    c = _weights(checkpoint_path(full.OUTPUT_DIR, 1))
    assert not torch.equal(a["head.weight"], c["head.weight"])


def test_nan_loss_raises_with_epoch_and_iteration_and_keeps_last_checkpoint(tmp_path):
    cfg = make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1")
    fit(cfg, data=FakeData())
    good = checkpoint_path(cfg.OUTPUT_DIR, 1)
    before = good.read_bytes()
    best_before = (tmp_path / "out" / "best.pyth").read_bytes()
    with pytest.raises(NonFiniteLossError, match="epoch 2, iteration 1"):
        fit(make_cfg(tmp_path), data=FakeData(nan=True))
    assert good.read_bytes() == before and (tmp_path / "out" / "best.pyth").read_bytes() == best_before
    assert not checkpoint_path(cfg.OUTPUT_DIR, 2).exists()


def test_test_writes_logits_in_csv_order(tmp_path):
    cfg = make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1", "TEST.NUM_ENSEMBLE_VIEWS", "2", "TEST.NUM_SPATIAL_CROPS", "3",
                   "DATA.ENSEMBLE_METHOD", "max")
    data = FakeData({"arid": 7})
    fit(cfg, data=data)
    path = run_test(cfg, data=data)
    assert path == prediction_path(cfg) and path.name == "aridx8x256x2x3.pkl"
    with path.open("rb") as handle:
        saved = pickle.load(handle)
    assert set(saved) == {"video_preds", "video_labels", "video_valid", "video_ids", "meta"}
    assert saved["video_ids"] == [f"arid/{v}.mp4" for v in range(7)] and saved["meta"]["views"] == 2
    assert saved["video_preds"].dtype == np.float32 and saved["video_preds"].shape == (7, 11)
    assert saved["video_labels"].dtype == np.int64 and saved["video_labels"].tolist() == list(range(7))
    twin = np.load(path.with_suffix(".npz"))
    np.testing.assert_array_equal(twin["video_preds"], saved["video_preds"])
    assert twin["video_valid"].all()
    model_probs = torch.softmax(torch.from_numpy(saved["video_preds"]), 1).sum(1)
    torch.testing.assert_close(model_probs, torch.ones(7))  # logits, not probabilities: softmax sums to 1
    assert not np.allclose(saved["video_preds"].sum(1), 1.0)


def test_extra_views_match_separate_runs_one_file_each(tmp_path):
    cfg = make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1")
    data = FakeData({"arid": 5, "val_dry": 4})
    fit(cfg, data=data)
    both = make_cfg(tmp_path, "TRAIN.ENABLE", "False", "TEST.EXTRA_VIEWS", "['val_dry:2:3']")
    first = run_test(both, data=data)
    alone = make_cfg(tmp_path, "TRAIN.ENABLE", "False", "TEST.DATA_SELECT", "val_dry",
                     "TEST.NUM_ENSEMBLE_VIEWS", "2", "TEST.NUM_SPATIAL_CROPS", "3",
                     "TEST.SAVE_RESULTS_PATH", "alone.pkl")
    extra_file = tmp_path / "out" / "val_dryx8x256x2x3.pkl"
    assert first == prediction_path(cfg) and extra_file.is_file()
    separate = run_test(alone, data=data)
    with extra_file.open("rb") as a, separate.open("rb") as b:
        np.testing.assert_array_equal(pickle.load(a)["video_preds"], pickle.load(b)["video_preds"])
    for bad in ("['val_dry:2']", "['val_dry:0:1']", "['val_dry:x:1']"):
        with pytest.raises(ConfigError, match="TEST.EXTRA_VIEWS"):
            run_test(make_cfg(tmp_path, "TEST.EXTRA_VIEWS", bad), data=data)


def test_preflight_names_missing_files_and_keys(tmp_path):
    cfg = make_cfg(tmp_path, "TRAIN.CHECKPOINT_FILE_PATH", str(tmp_path / "nope.pyth"),
                   "DATA.PSEUDO_CSV", "pseudo/stage9.csv")
    with pytest.raises(ConfigError) as err:
        fit(cfg, data=FakeData())
    assert "TRAIN.CHECKPOINT_FILE_PATH" in str(err.value) and "nope.pyth" in str(err.value)
    assert "DATA.PSEUDO_CSV" in str(err.value) and "stage9.csv" in str(err.value)
    cfg = make_cfg(tmp_path)
    (tmp_path / "data" / "arid.csv").unlink()
    with pytest.raises(ConfigError, match="DATA.SPLIT_CSV.ARID"):
        fit(cfg, data=FakeData())
    with pytest.raises(ConfigError, match="best.pyth"):
        run_test(make_cfg(tmp_path, "TEST.DATA_SELECT", "val_dry", "OUTPUT_DIR", str(tmp_path / "empty")),
                 data=FakeData())


def test_more_views_than_the_dataset_gives_is_an_error(tmp_path):
    cfg = make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1")
    data = FakeData()
    fit(cfg, data=data)

    class FewerViews(FakeData):
        def build_loader(self, cfg, split, **kw):
            loader = super().build_loader(cfg, split, **kw)
            loader.dataset.max_views = 1
            return loader

    with pytest.raises(ConfigError, match="TEST.NUM_ENSEMBLE_VIEWS"):
        run_test(make_cfg(tmp_path, "TEST.NUM_ENSEMBLE_VIEWS", "3"), data=FewerViews())


def test_gradient_accumulation_matches_the_larger_batch(tmp_path):
    big = make_cfg(tmp_path / "big", "SOLVER.CLIP_GRAD_L2NORM", "0.5")
    fit(big, data=FakeData(jitter=False))
    small = make_cfg(tmp_path / "small", "SOLVER.CLIP_GRAD_L2NORM", "0.5", "TRAIN.BATCH_SIZE", "2",
                     "TRAIN.GRAD_ACCUM_STEPS", "2")
    fit(small, data=FakeData(jitter=False))
    a, b = _weights(checkpoint_path(big.OUTPUT_DIR, 2)), _weights(checkpoint_path(small.OUTPUT_DIR, 2))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_fine_tune_from_another_stage_resets_the_epoch(tmp_path):
    stage1 = make_cfg(tmp_path / "stage1", "SOLVER.MAX_EPOCH", "1")
    fit(stage1, data=FakeData())
    best = tmp_path / "stage1" / "out" / "best.pyth"
    stage2 = make_cfg(tmp_path / "stage2", "TRAIN.CHECKPOINT_FILE_PATH", str(best),
                      "TRAIN.CHECKPOINT_EPOCH_RESET", "True", "SOLVER.MAX_EPOCH", "1", "SOLVER.BASE_LR", "0.0001",
                      "SOLVER.WARMUP_EPOCHS", "0.0", "SOLVER.COSINE_END_LR", "0.0")
    assert fit(stage2, data=FakeData()).start_epoch == 1
    start, end = _weights(best), _weights(checkpoint_path(stage2.OUTPUT_DIR, 1))
    assert 0 < (start["head.weight"] - end["head.weight"]).abs().max() < 0.01
    stats = (tmp_path / "stage2" / "out" / "stats.jsonl").read_text()
    assert '"epoch": 1' in stats


def test_tensorboard_scalars_are_written_when_enabled(tmp_path):
    cfg = make_cfg(tmp_path, "SOLVER.MAX_EPOCH", "1", "TENSORBOARD.ENABLE", "True")
    fit(cfg, data=FakeData())
    assert list((tmp_path / "out" / "runs").glob("events.out.tfevents.*"))


class _Recording(FakeData):
    """FakeData that logs every training-split loader built, and the gamma it asked for."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def build_loader(self, cfg, split, **kwargs):
        if split.startswith("train_"):
            self.log.append(("loader", split, kwargs.get("gamma")))
        return super().build_loader(cfg, split, **kwargs)


def _bn_state(path):
    return {k: v for k, v in _weights(path).items() if k.startswith("bn.running")}


def test_source_eval_splits_use_normal_light_statistics_and_checkpoints_keep_dark_ones(tmp_path, monkeypatch):
    from darkvid.engine import trainer

    log, seen = [], {}
    evaluate = trainer.evaluate

    def spy(cfg, data, model, env, amp, splits=None):
        for split in splits:
            seen[split] = model.bn.running_mean.clone()
        log.append(("eval", *splits))
        return evaluate(cfg, data, model, env, amp, splits)

    monkeypatch.setattr(trainer, "evaluate", spy)
    common = ("MODEL.ARCH", "test_bn", "BN.USE_PRECISE_STATS", "True", "BN.NUM_BATCHES_PRECISE", "2",
              "SOLVER.MAX_EPOCH", "1")
    split_cfg = make_cfg(tmp_path / "split", *common)
    assert list(split_cfg.BN.SOURCE_EVAL_SPLITS) == ["val_dry"]  # the default
    fit(split_cfg, data=_Recording(log, jitter=False))
    end_of_epoch = log[log.index(("loader", "train_label", False)):]
    assert end_of_epoch == [("loader", "train_label", False), ("eval", "val_dry"),
                            ("loader", "train_unlabel", True), ("eval", "arid")]
    assert not torch.equal(seen["val_dry"], seen["arid"])

    log.clear()
    dark_cfg = make_cfg(tmp_path / "dark", *common, "BN.SOURCE_EVAL_SPLITS", "[]")
    fit(dark_cfg, data=_Recording(log, jitter=False))
    assert log[-2:] == [("loader", "train_unlabel", True), ("eval", "val_dry", "arid")]
    torch.testing.assert_close(seen["val_dry"], seen["arid"], rtol=0, atol=0)
    for key, value in _bn_state(tmp_path / "split/out/best.pyth").items():
        torch.testing.assert_close(value, _bn_state(tmp_path / "dark/out/best.pyth")[key], rtol=0, atol=0)
    lines = [line for line in (tmp_path / "split/out/stats.jsonl").read_text().splitlines() if '"eval"' in line]
    assert '"val_dry_top1"' in lines[0] and '"arid_top1"' in lines[0]


def test_source_statistics_use_their_own_batch_count(tmp_path, monkeypatch):
    from darkvid.engine import trainer

    counts, adapt = [], trainer.adapt_bn

    def counting(model, batches, num_batches, device, **switches):
        counts.append(num_batches)
        return adapt(model, batches, num_batches, device, **switches)

    monkeypatch.setattr(trainer, "adapt_bn", counting)
    common = ("MODEL.ARCH", "test_bn", "BN.USE_PRECISE_STATS", "True", "BN.NUM_BATCHES_PRECISE", "3",
              "SOLVER.MAX_EPOCH", "1")
    fit(make_cfg(tmp_path / "default", *common), data=FakeData())
    fit(make_cfg(tmp_path / "own", *common, "BN.NUM_BATCHES_SOURCE", "1"), data=FakeData())
    assert counts == [3, 3, 1, 3]  # (normal light, dark) per run; 0 means NUM_BATCHES_PRECISE
