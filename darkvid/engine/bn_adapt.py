"""BatchNorm adaptation: re-estimate every BN layer's running statistics on dark clips.

The models are trained on normal-light videos; their BN statistics do not describe dark
(gamma-corrected) inputs. Replacing them with the exact average over many dark batches,
with the weights fixed, is the seed's main domain-adaptation step (fvcore's precise BN).
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, List, Sequence, Set, Union

import torch
import torch.distributed as dist
from torch import nn

from .distributed import get_world_size

logger = logging.getLogger(__name__)
_SKIP_LOGGED: Set[str] = set()

BatchSource = Union[Iterable, Callable[[], Iterable]]


def bn_layers(model: nn.Module) -> List[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer of `model` that tracks running statistics."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def adapt_bn(model: nn.Module, batches: BatchSource, num_batches: int, device: torch.device, *,
             train_mode: bool = False, sync: bool = True) -> bool:
    """Replace every BN layer's running mean / variance by their average over `num_batches` batches.

    The rest of the network runs in eval mode (no dropout or stochastic depth), so the
    statistics describe the network as it is evaluated. With several processes, each one
    averages its own batches and the results are averaged over processes.

    Args:
        model: the network, unwrapped (a DDP wrapper would broadcast rank 0's buffers).
        batches: loader of `Batch`es, or a function returning one (only called
            when the model has BN layers, so BN-free models cost nothing).
        num_batches: batches to use (fewer if the loader is shorter).
        device: where the model lives.
        train_mode: run the whole network in train mode (dropout and stochastic depth on), as the
            seed's fvcore pass did right after a training epoch (BN.ADAPT_MODE train).
        sync: average over processes; False keeps each process's own (the checkpoint then holds
            rank 0's, as the seed's; BN.ADAPT_SYNC).

    Returns:
        True if statistics were updated; False for a model without BatchNorm (logged once).
    """
    layers = bn_layers(model)
    if not layers:
        name = type(model).__name__
        if name not in _SKIP_LOGGED:
            _SKIP_LOGGED.add(name)
            logger.info("BN adaptation skipped: %s has no BatchNorm layers", name)
        return False
    loader = batches() if callable(batches) else batches
    was_training = model.training
    momenta = [m.momentum for m in layers]
    model.train(train_mode)
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average: the exact mean over the batches seen
        layer.train()
    seen = 0
    try:
        for batch in loader:
            if seen >= num_batches:
                break
            model(batch.clips.to(device, non_blocking=True))
            seen += 1
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
        model.train(was_training)
    if seen == 0:
        raise RuntimeError("BN adaptation got no batches: the BN.ADAPT_SPLIT loader is empty")
    if sync:
        _average_over_processes(layers)
    logger.info("BN statistics of %d layers re-estimated on %d batches", len(layers), seen)
    return True


def _average_over_processes(layers: Sequence[nn.modules.batchnorm._BatchNorm]) -> None:
    if get_world_size() == 1:
        return
    for layer in layers:
        for buffer in (layer.running_mean, layer.running_var):
            dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
            buffer /= get_world_size()
