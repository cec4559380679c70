import pytest
import torch

from darkvid.datasets.dataset import ClipItem
from darkvid.datasets.loader import collate_clips
from darkvid.engine.amp import Amp
from darkvid.engine.losses import source_loss_fn
from darkvid.engine.train_loop import LoopSettings, NonFiniteLossError, train_one_epoch
from tests.engine.standins import TinyLinear


def _batches(n, size=3, probs=False):
    gen = torch.Generator().manual_seed(n)
    out = []
    for i in range(n):
        p = torch.softmax(torch.randn(size, 11, generator=gen), 1) if probs else [None] * size
        clips = torch.randn(size, 3, 2, 4, 4, generator=gen)
        out.append(collate_clips([ClipItem(clips[j], j + i, j, j, probs=p[j]) for j in range(size)]))
    return out


class _Counting(TinyLinear):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return super().forward(x)


def _run(step, source=5, pseudo=2, **kw):
    model = _Counting()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    opt.register_step_post_hook(lambda *_: steps.append(1))
    settings = LoopSettings(source_loss=source_loss_fn("cross_entropy", 11), pseudo_step=step, **kw)
    stats = train_one_epoch(model, opt, _batches(source), epoch=0, lr_at=lambda e: 0.1, settings=settings,
                            device=torch.device("cpu"), amp=Amp("cpu"), pseudo_loader=_batches(pseudo, probs=True))
    return model.calls, len(steps), stats


def test_epoch_follows_the_source_loader_and_cycles_pseudo_batches():
    calls, steps, stats = _run("alternate")
    assert (calls, steps) == (10, 10)
    assert {"source_loss", "pseudo_loss", "lr", "data_time", "iter_time"} <= set(stats)
    calls, steps, _ = _run("sum", pseudo_kind="soft", soft_t=2.0, threshold=1.0)
    assert (calls, steps) == (10, 5)
    calls, steps, _ = _run("sum", source=5, pseudo=7, grad_accum_steps=2)
    assert (calls, steps) == (10, 3)  # steps after batches 2, 4 and the last


def test_non_finite_loss_names_epoch_and_iteration():
    model = TinyLinear()
    batches = _batches(3)
    batches[1].clips[0, 0, 0, 0, 0] = float("inf")
    settings = LoopSettings(source_loss=source_loss_fn("cross_entropy", 11))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(NonFiniteLossError, match="epoch 4, iteration 2"):
        train_one_epoch(model, opt, batches, epoch=3, lr_at=lambda e: 0.1, settings=settings,
                        device=torch.device("cpu"), amp=Amp("cpu"))
