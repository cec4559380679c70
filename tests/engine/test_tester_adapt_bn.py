import pickle

import torch

import darkvid.engine.tester as tester
from darkvid.utils.checkpoint import save_checkpoint
from tests.engine.standins import FakeData, TinyBN, make_cfg


class RecordingData(FakeData):
    """FakeData that remembers which split and gamma each loader was built for."""

    def __init__(self) -> None:
        super().__init__(jitter=False)
        self.calls = []

    def build_loader(self, cfg, split, **kw):
        self.calls.append((split, kw.get("gamma")))
        return super().build_loader(cfg, split, **kw)


def _checkpoint(tmp_path):
    torch.manual_seed(0)
    model = TinyBN()
    model.bn.running_mean.fill_(-5.0)
    model.bn.running_var.fill_(9.0)
    path = tmp_path / "normal_light.pyth"
    save_checkpoint(path, model=model, epoch=0)
    return path, model


def _run(tmp_path, checkpoint, adapt, monkeypatch):
    """run_test on arid; returns (BN stats seen by predict, saved logits, loader calls, cfg)."""
    cfg = make_cfg(tmp_path / str(adapt), "MODEL.ARCH", "test_bn", "TEST.CHECKPOINT_FILE_PATH", str(checkpoint),
                   "TEST.ADAPT_BN", str(adapt), "BN.NUM_BATCHES_PRECISE", "2", "BN.ADAPT_GAMMA", "True")
    seen = {}
    real_predict = tester.predict_clips

    def spy(model, loader, **kw):
        seen["mean"] = model.bn.running_mean.clone()
        seen["var"] = model.bn.running_var.clone()
        return real_predict(model, loader, **kw)

    monkeypatch.setattr(tester, "predict_clips", spy)
    data = RecordingData()
    with tester.run_test(cfg, data=data).open("rb") as handle:
        logits = pickle.load(handle)["video_preds"]
    return seen, torch.from_numpy(logits), data.calls, cfg


def _adapt_split_stats(cfg, model):
    """Mean over the first BN.NUM_BATCHES_PRECISE adapt-split batches of the BN input's batch statistics."""
    loader = FakeData(jitter=False).build_loader(cfg, cfg.BN.ADAPT_SPLIT, gamma=cfg.BN.ADAPT_GAMMA)
    means, variances = [], []
    with torch.no_grad():
        for i, batch in enumerate(loader):
            if i == cfg.BN.NUM_BATCHES_PRECISE:
                break
            features = model.conv(batch.clips)
            means.append(features.mean(dim=(0, 2, 3, 4)))
            variances.append(features.var(dim=(0, 2, 3, 4)))
    assert len(means) == cfg.BN.NUM_BATCHES_PRECISE
    return torch.stack(means).mean(0), torch.stack(variances).mean(0)


def test_adapt_bn_uses_adapt_split_statistics_for_prediction(tmp_path, monkeypatch):
    checkpoint, model = _checkpoint(tmp_path)
    adapted, adapted_logits, calls, cfg = _run(tmp_path, checkpoint, True, monkeypatch)
    assert calls[0] == (cfg.BN.ADAPT_SPLIT, True) and calls[-1][0] == "arid"
    mean, var = _adapt_split_stats(cfg, model)
    torch.testing.assert_close(adapted["mean"], mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(adapted["var"], var, rtol=1e-4, atol=1e-4)
    _, plain_logits, _, _ = _run(tmp_path, checkpoint, False, monkeypatch)
    assert not torch.allclose(adapted_logits, plain_logits, atol=1e-3)
    assert adapted_logits.shape == plain_logits.shape == (6, 11)


def test_without_adapt_bn_checkpoint_statistics_are_kept(tmp_path, monkeypatch):
    checkpoint, model = _checkpoint(tmp_path)
    seen, _, calls, _ = _run(tmp_path, checkpoint, False, monkeypatch)
    assert [split for split, _ in calls] == ["arid"]
    torch.testing.assert_close(seen["mean"], model.bn.running_mean, rtol=0, atol=0)
    torch.testing.assert_close(seen["var"], model.bn.running_var, rtol=0, atol=0)


def test_adapt_bn_defaults_to_off(tmp_path):
    assert make_cfg(tmp_path).TEST.ADAPT_BN is False


def test_test_only_adaptation_follows_bn_adapt_mode_and_sync(tmp_path, monkeypatch):
    checkpoint, _ = _checkpoint(tmp_path)
    seen = []
    real = tester.adapt_bn

    def spy(*args, **kw):
        seen.append((kw.get("train_mode"), kw.get("sync")))
        return real(*args, **kw)

    monkeypatch.setattr(tester, "adapt_bn", spy)
    for mode, sync in (("eval", "True"), ("train", "False")):
        cfg = make_cfg(tmp_path / mode, "MODEL.ARCH", "test_bn", "TEST.CHECKPOINT_FILE_PATH", str(checkpoint),
                       "TEST.ADAPT_BN", "True", "BN.NUM_BATCHES_PRECISE", "2", "BN.ADAPT_MODE", mode,
                       "BN.ADAPT_SYNC", sync)
        tester.run_test(cfg, data=FakeData())
    assert seen == [(False, True), (True, False)]  # the seed preset's train mode, rank 0's statistics
