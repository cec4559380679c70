"""One training epoch: source batches, optionally interleaved with pseudo-labelled dark batches."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, Optional

import torch
from torch import nn

from .amp import Amp
from .distributed import all_reduce_mean
from .logging import ProgressMeter
from .losses import LossFn, pseudo_loss
from .optim import set_lr

if TYPE_CHECKING:  # darkvid.datasets (and its decoders) load only when data is built
    from darkvid.datasets.loader import Batch


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stops before anything else is written."""


@dataclass(frozen=True)
class LoopSettings:
    """What one epoch needs from the config (TRAIN.*, SOLVER.CLIP_GRAD_L2NORM, MODEL.*)."""

    source_loss: LossFn
    pseudo_kind: str = "hard"
    soft_t: float = 1.0
    threshold: float = -1.0
    pseudo_step: str = "alternate"
    pseudo_weight: float = 1.0
    pseudo_mixup: bool = False  # MIXUP.PSEUDO: mix pseudo-labelled batches too (the seed)
    grad_accum_steps: int = 1
    clip_grad: Optional[float] = None
    log_period: int = 10


def train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    source_loader: Iterable,
    *,
    epoch: int,
    lr_at: Callable[[float], float],
    settings: LoopSettings,
    device: torch.device,
    amp: Amp,
    mixup: Optional[Callable] = None,
    pseudo_loader: Optional[Iterable] = None,
) -> Dict[str, float]:
    """Train `model` for one pass over `source_loader` (`Batch`es) and return the epoch's average stats.

    Each iteration takes one source batch and, with `pseudo_loader`, one pseudo-labelled batch
    (that loader restarts when it runs out, so the epoch always has the source loader's length).
    PSEUDO_STEP "alternate" steps the optimizer after each of the two batches, as the seed;
    "sum" steps once on source_loss + PSEUDO_WEIGHT * pseudo_loss.
    """
    model.train()
    num_iters = len(source_loader)
    pseudo_batches = _cycle(pseudo_loader) if pseudo_loader is not None else None
    accum = settings.grad_accum_steps
    meter = ProgressMeter(epoch, num_iters, settings.log_period)
    optimizer.zero_grad(set_to_none=True)
    for it, batch in enumerate(source_loader):
        lr = lr_at(epoch + (it - it % accum) / num_iters)  # constant over one accumulated step
        set_lr(optimizer, lr)
        clips, labels = batch.clips.to(device, non_blocking=True), batch.labels.to(device)
        targets = labels
        if mixup is not None:
            clips, targets = mixup(clips, labels)
        meter.data_ready()
        step_now = (it + 1) % accum == 0 or it + 1 == num_iters
        with amp.autocast():
            logits = model(clips)
        loss = settings.source_loss(logits, targets)
        stats = {"lr": lr, "source_loss": _checked(loss, epoch, it, "source loss")}
        if mixup is None:
            stats["source_top1"] = float((logits.argmax(dim=1) == labels).float().mean() * 100)
        if pseudo_batches is not None and settings.pseudo_step == "alternate":
            _backward_step(model, optimizer, amp, loss, settings, accum, step=True)
            target_loss = _pseudo_loss(model, next(pseudo_batches), settings, device, amp, mixup)
            stats["pseudo_loss"] = _checked(target_loss, epoch, it, "pseudo loss")
            _backward_step(model, optimizer, amp, target_loss, settings, accum, step=True)
        else:
            if pseudo_batches is not None:
                target_loss = _pseudo_loss(model, next(pseudo_batches), settings, device, amp, mixup)
                stats["pseudo_loss"] = _checked(target_loss, epoch, it, "pseudo loss")
                loss = loss + settings.pseudo_weight * target_loss
            _backward_step(model, optimizer, amp, loss, settings, accum, step=step_now)
        meter.update(it, stats)
    return meter.averages()


def _pseudo_loss(model: nn.Module, batch: Batch, settings: LoopSettings, device: torch.device, amp: Amp,
                 mixup: Optional[Callable] = None) -> torch.Tensor:
    clips = batch.clips.to(device, non_blocking=True)
    if settings.pseudo_mixup and mixup is not None:
        # The seed mixed the dark batch like the source one and scored it with the source loss on
        # the mixed, smoothed targets (no confidence mask, no soft pseudo loss).
        clips, targets = mixup(clips, batch.labels.to(device))
        with amp.autocast():
            logits = model(clips)
        return settings.source_loss(logits, targets)
    with amp.autocast():
        logits = model(clips)
    return pseudo_loss(
        logits,
        batch.labels.to(device),
        batch.probs.to(device) if batch.probs is not None else None,
        kind=settings.pseudo_kind,
        temperature=settings.soft_t,
        threshold=settings.threshold,
    )


def _checked(loss: torch.Tensor, epoch: int, it: int, what: str) -> float:
    """The loss averaged over processes; raises on every process if any process's loss is not finite."""
    value = float(all_reduce_mean(loss.detach().float()))
    if not torch.isfinite(torch.tensor(value)):
        raise NonFiniteLossError(f"{what} is {value} at epoch {epoch + 1}, iteration {it + 1}")
    return value


def _backward_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    amp: Amp,
    loss: torch.Tensor,
    settings: LoopSettings,
    accum: int,
    step: bool,
) -> None:
    """Backward of `loss / accum`; on `step`, clip, step and clear (DDP syncs gradients only then)."""
    no_sync = getattr(model, "no_sync", None)
    with no_sync() if (no_sync is not None and not step) else contextlib.nullcontext():
        amp.backward(loss / accum)
    if step:
        amp.step(optimizer, model.parameters(), settings.clip_grad)
        optimizer.zero_grad(set_to_none=True)


def _cycle(loader: Iterable) -> Iterator:
    """Endless batches of `loader`, restarting it (a new shuffle) whenever it is exhausted."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise RuntimeError("the pseudo-label loader yields no batches (DATA.PSEUDO_CSV too short for a batch?)")
