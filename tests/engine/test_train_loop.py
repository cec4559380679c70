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


def _train_on_pseudo_only(threshold: float) -> tuple:
    """One "sum" epoch whose source loss is weighted zero: only the pseudo batches can move the weights."""
    torch.manual_seed(0)
    model = TinyLinear()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    zero_source = lambda logits, targets: 0.0 * source_loss_fn("cross_entropy", 11)(logits, targets)  # noqa: E731
    settings = LoopSettings(source_loss=zero_source, pseudo_step="sum", threshold=threshold)
    stats = train_one_epoch(model, opt, _batches(3), epoch=0, lr_at=lambda e: 0.5, settings=settings,
                            device=torch.device("cpu"), amp=Amp("cpu"), pseudo_loader=_batches(2, size=4))
    changed = any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    return changed, stats


def test_a_threshold_that_masks_every_pseudo_clip_leaves_the_weights_unchanged():
    # keep a clip when its top probability > mean - threshold * std: at -100 no clip of a batch can
    # pass, so the loss is zero only if the mask is applied (the seed computed it and never used it)
    changed, stats = _train_on_pseudo_only(threshold=-100.0)
    assert not changed and stats["pseudo_loss"] == 0.0
    changed, stats = _train_on_pseudo_only(threshold=-1.0)  # the same run keeping every clip does learn
    assert changed and stats["pseudo_loss"] > 0.0
