"""timm's Mixup / CutMix applied to video clips [B, C, T, H, W]."""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import torch
from fvcore.common.config import CfgNode
from timm.data import Mixup


def build_mixup(cfg: CfgNode) -> Optional[Callable[[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]]:
    """The MIXUP.* mixer for source batches, or None when MIXUP.ENABLE is off.

    timm's CutMix cuts boxes in the last two dimensions of a 4-D batch; folding time into the
    channels makes the box the same for every frame, as for a video.
    """
    if not cfg.MIXUP.ENABLE:
        return None
    mixer = Mixup(
        mixup_alpha=cfg.MIXUP.ALPHA,
        cutmix_alpha=cfg.MIXUP.CUTMIX_ALPHA,
        prob=cfg.MIXUP.PROB,
        switch_prob=cfg.MIXUP.SWITCH_PROB,
        label_smoothing=cfg.MIXUP.LABEL_SMOOTH_VALUE,
        num_classes=cfg.MODEL.NUM_CLASSES,
    )

    def mix(clips: torch.Tensor, labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        b, c, t, h, w = clips.shape
        folded = clips.reshape(b, c * t, h, w)
        mixed, targets = mixer(folded, labels)
        return mixed.reshape(b, c, t, h, w), targets

    return mix
