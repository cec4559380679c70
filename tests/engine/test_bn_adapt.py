import logging
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

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


def _shifted_batches(shift: float, n: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    return [_batch(shift + (1 + shift) * torch.randn(4, 3, 2, 4, 4, generator=gen)) for _ in range(n)]


def _adapt_in_process(rank: int, init_method: str, out: str) -> None:
    """One of two gloo processes: adapt a copy of the same model on this rank's own batches."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = TinyBN()
        adapt_bn(model, _shifted_batches(3.0 * rank, 2, seed=rank), num_batches=2, device=torch.device("cpu"))
        torch.save({k: v for k, v in model.bn.state_dict().items() if k.startswith("running")}, f"{out}/{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # two spawned processes: about a minute on two shared cores
def test_two_processes_average_to_the_statistics_of_the_union_of_their_batches(tmp_path):
    """Rank 0 sees dark-ish clips, rank 1 clips shifted by 3: each alone is far from the union."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mp.spawn(_adapt_in_process, args=(f"tcp://127.0.0.1:{port}", str(tmp_path)), nprocs=2, join=True)
    torch.manual_seed(0)
    union = TinyBN()
    batches = _shifted_batches(0.0, 2, seed=0) + _shifted_batches(3.0, 2, seed=1)
    adapt_bn(union, batches, num_batches=4, device=torch.device("cpu"))
    with torch.no_grad():
        features = [union.conv(b.clips) for b in batches]
    by_hand = torch.stack([f.mean(dim=(0, 2, 3, 4)) for f in features]).mean(0)
    torch.testing.assert_close(union.bn.running_mean, by_hand, rtol=1e-5, atol=1e-6)
    for rank in (0, 1):
        stats = torch.load(tmp_path / f"{rank}.pt", weights_only=True)
        torch.testing.assert_close(stats["running_mean"], union.bn.running_mean, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(stats["running_var"], union.bn.running_var, rtol=1e-5, atol=1e-6)
