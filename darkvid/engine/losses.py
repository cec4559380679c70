"""Training losses: the source loss on labelled clips and the pseudo-label loss on dark clips.

All losses take raw logits (models never apply softmax) and are computed in float32.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def soft_target_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -sum(target * log_softmax(logits)): targets are distributions (mixup)."""
    return torch.sum(-targets * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()


def source_loss_fn(name: str, num_classes: int, label_smoothing: float = 0.0) -> LossFn:
    """The source loss named by MODEL.LOSS_FUNC.

    Both accept either class indices [B] or target distributions [B, C] (as timm's Mixup
    returns), so the same loss works with and without mixup.

    Args:
        name: "cross_entropy" or "soft_cross_entropy".
        num_classes: width of the logits.
        label_smoothing: smoothing applied to hard labels (mixed targets already carry theirs).
    """
    if name not in ("cross_entropy", "soft_cross_entropy"):
        raise ValueError(f"unknown MODEL.LOSS_FUNC {name!r}; expected cross_entropy or soft_cross_entropy")

    def loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.ndim == 2:
            return soft_target_cross_entropy(logits, targets)
        if targets.min() < 0 or targets.max() >= num_classes:
            raise ValueError(f"labels must lie in [0, {num_classes}); got {targets.tolist()}")
        return F.cross_entropy(logits.float(), targets, label_smoothing=label_smoothing)

    return loss


def confidence_mask(logits: torch.Tensor, threshold: float) -> torch.Tensor:
    """Which pseudo-labelled clips of the batch to learn from (TRAIN.THRESHOLD).

    A clip is kept when the model's top softmax probability exceeds `mean - threshold * std`
    of the batch's top probabilities: clips the model is much less sure about than the rest
    of the batch are likely mislabelled. A threshold of -1 keeps every clip.

    Returns:
        Float mask [B] of 0 and 1.
    """
    if threshold == -1 or logits.shape[0] < 2:
        return torch.ones(logits.shape[0], device=logits.device)
    top = F.softmax(logits.detach().float(), dim=-1).max(dim=-1).values
    return (top > top.mean() - threshold * top.std()).float()


def hard_pseudo_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-clip cross-entropy [B] against the pseudo labels."""
    return F.cross_entropy(logits.float(), labels, reduction="none")


def soft_pseudo_loss(logits: torch.Tensor, probs: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Per-clip KL(target || model) [B] against the ensemble's stored class probabilities.

    Both distributions are softened by the temperature (the stored probabilities as
    softmax(log p / T)) and the result is scaled by T^2, as in distillation, so the gradient
    size does not depend on T.
    """
    log_model = F.log_softmax(logits.float() / temperature, dim=-1)
    log_target = F.log_softmax(torch.log(probs.float().clamp_min(1e-12)) / temperature, dim=-1)
    kl = torch.sum(log_target.exp() * (log_target - log_model), dim=-1)
    return kl * temperature**2


def pseudo_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    probs: Optional[torch.Tensor],
    *,
    kind: str,
    temperature: float,
    threshold: float,
) -> torch.Tensor:
    """Masked mean of the pseudo-label loss over the batch (MODEL.PSEUDO_LOSS_FUNC, TRAIN.THRESHOLD).

    The mean is over the kept clips; when the mask keeps none the loss is zero (still part of
    the graph, so every process runs the same backward).
    """
    if kind == "hard":
        per_clip = hard_pseudo_loss(logits, labels)
    elif kind == "soft":
        if probs is None:
            raise ValueError("MODEL.PSEUDO_LOSS_FUNC 'soft' needs the pseudo CSV's class probabilities "
                             "in meta['probs']")
        per_clip = soft_pseudo_loss(logits, probs, temperature)
    else:
        raise ValueError(f"unknown MODEL.PSEUDO_LOSS_FUNC {kind!r}; expected hard or soft")
    mask = confidence_mask(logits, threshold)
    return (per_clip * mask).sum() / mask.sum().clamp_min(1.0)
