"""Optimizer construction: AdamW or SGD with a no-decay parameter group."""
from __future__ import annotations

from typing import Dict, Iterable, List, Set

import torch
from fvcore.common.config import CfgNode
from torch import nn


def param_groups(
    model: nn.Module, weight_decay: float, *, zero_wd_1d: bool = True, no_decay_names: Iterable[str] = ()
) -> List[Dict]:
    """Split trainable parameters into a decayed group and a group without weight decay.

    Biases and normalisation scales (1-D tensors) and position embeddings / class tokens are
    not decayed: shrinking them towards zero only hurts, and the pre-trained models were
    trained that way.

    Args:
        model: the network (not wrapped in DDP, so names have no `module.` prefix).
        weight_decay: decay of the decayed group.
        zero_wd_1d: put every parameter with fewer than 2 dimensions in the no-decay group.
        no_decay_names: exact parameter names put in the no-decay group.

    Returns:
        Up to two groups, each with `params`, `weight_decay` and `names` (for logs and tests).
    """
    skip: Set[str] = set(no_decay_names)
    decay, no_decay = ([], []), ([], [])
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        target = no_decay if (zero_wd_1d and param.ndim <= 1) or name in skip else decay
        target[0].append(param)
        target[1].append(name)
    groups = [
        {"params": params, "weight_decay": wd, "names": names}
        for (params, names), wd in ((decay, weight_decay), (no_decay, 0.0))
        if params
    ]
    if not groups:
        raise ValueError(f"{type(model).__name__} has no trainable parameters")
    return groups


def build_optimizer(cfg: CfgNode, model: nn.Module) -> torch.optim.Optimizer:
    """The optimizer of `cfg.SOLVER` over `model`'s parameters; its LR is set each iteration."""
    solver = cfg.SOLVER
    no_decay_names: Set[str] = set()
    if cfg.MODEL.ARCH != "mvit" or cfg.MVIT.ZERO_DECAY_POS_CLS:
        hook = getattr(model, "no_weight_decay", None)
        no_decay_names = set(hook()) if callable(hook) else set()
    groups = param_groups(
        model, solver.WEIGHT_DECAY, zero_wd_1d=solver.ZERO_WD_1D_PARAM, no_decay_names=no_decay_names
    )
    if solver.OPTIMIZING_METHOD == "adamw":
        return torch.optim.AdamW(groups, lr=solver.BASE_LR, betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(
        groups,
        lr=solver.BASE_LR,
        momentum=solver.MOMENTUM,
        dampening=solver.DAMPENING,
        nesterov=solver.NESTEROV,
    )


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate of every parameter group."""
    for group in optimizer.param_groups:
        group["lr"] = lr
