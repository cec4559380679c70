import logging

import pytest
import torch

from darkvid.datasets.dataset import ClipItem
from darkvid.datasets.loader import collate_clips
from darkvid.engine.bn_adapt import adapt_bn, bn_layers
from tests.engine.standins import TinyBN, TinyLN


def _batch(clips):
    return collate_clips([ClipItem(clip, 0, i, i) for i, clip in enumerate(clips)])


def _constant_mean_batches(mean: float, n: int):
    gen = torch.Generator().manual_seed(0)
    return [_batch(mean + torch.randn(4, 3, 2, 4, 4, generator=gen)) for _ in range(n)]


def test_running_stats_become_the_target_data_stats():
    torch.manual_seed(0)
    model = TinyBN()
    with torch.no_grad():
        model.conv.weight.copy_(torch.eye(4, 3).view(4, 3, 1, 1, 1))
        model.conv.bias.zero_()
    model.bn.running_mean.fill_(-7.0)
    batches = _constant_mean_batches(3.0, 5)
    assert adapt_bn(model, batches, num_batches=3, device=torch.device("cpu"))
    expected_mean = torch.stack([b.clips.mean(dim=(0, 2, 3, 4)) for b in batches[:3]]).mean(0)
    expected_var = torch.stack([b.clips.var(dim=(0, 2, 3, 4)) for b in batches[:3]]).mean(0)
    torch.testing.assert_close(model.bn.running_mean[:3], expected_mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.bn.running_var[:3], expected_var, rtol=1e-4, atol=1e-4)
    assert model.bn.running_mean[:3].sub(3.0).abs().max() < 0.2
    assert model.bn.momentum == 0.1 and model.training


def test_callable_source_and_eval_mode_is_kept():
    model = TinyBN().eval()
    assert adapt_bn(model, lambda: _constant_mean_batches(1.0, 2), num_batches=10, device=torch.device("cpu"))
    assert not model.training and not model.bn.training


def test_layernorm_model_is_skipped_with_one_log(caplog):
    model = TinyLN()
    called = []
    with caplog.at_level(logging.INFO, logger="darkvid.engine.bn_adapt"):
        for _ in range(3):
            assert adapt_bn(model, lambda: called.append(1) or [], 5, torch.device("cpu")) is False
    assert not called
    assert sum("no BatchNorm" in r.getMessage() for r in caplog.records) == 1
    assert bn_layers(model) == []


def test_empty_loader_raises():
    with pytest.raises(RuntimeError, match="ADAPT_SPLIT"):
        adapt_bn(TinyBN(), [], 3, torch.device("cpu"))
