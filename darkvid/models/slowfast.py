"""SlowFast-R101 8x8 as used by the seed (`SF` in Nightcrawler, mmaction-style K700 weights).

Both pathways read one clip: the fast pathway every frame, the slow pathway every `alpha`-th
frame. After the stem and after each of the first three stages a lateral convolution brings fast
features to the slow pathway's frame rate and they are concatenated to the slow features. The
head sees the slow pathway only, so the fast pathway's last stage (kept for checkpoint
compatibility) is never run and its parameters do not train.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import torch
from fvcore.common.config import CfgNode
from torch import nn

from darkvid.config import ConfigError

from .inputs import ModelInput, as_clip
from .registry import register_model
from .resnet3d_blocks import Lateral, ResStage, batchnorm_layers

STAGE_STRIDES = (1, 2, 2, 1)
STAGE_DILATIONS = (1, 1, 1, 2)
SLOW_TEMPORAL_STAGES = (False, False, True, True)
FAST_TEMPORAL_STAGES = (True, True, True, True)
FAST_STEM_TEMPORAL_KERNEL = 5


@dataclass(frozen=True)
class SlowFastConfig:
    """Architecture of the SlowFast network.

    Attributes:
        num_classes: classifier outputs.
        blocks_per_stage: bottleneck blocks of res2..res5 ((3, 4, 23, 3) is R101).
        width_per_group: slow stem channels and res2 bottleneck width; stages widen x2.
        beta_inv: slow-to-fast channel ratio.
        alpha: fast-to-slow frame ratio (also the lateral convolutions' temporal stride).
        dropout_rate: dropout before the classifier.
        frozen_bn: BatchNorm layers stay in eval mode and their affine parameters do not train.
        checkpoint_blocks: per stage, how many leading blocks recompute activations in backward.
    """

    num_classes: int = 11
    blocks_per_stage: Tuple[int, int, int, int] = (3, 4, 23, 3)
    width_per_group: int = 64
    beta_inv: int = 8
    alpha: int = 4
    dropout_rate: float = 0.0
    frozen_bn: bool = False
    checkpoint_blocks: Tuple[int, int, int, int] = (0, 0, 0, 0)

    def __post_init__(self) -> None:
        if len(self.blocks_per_stage) != 4 or min(self.blocks_per_stage) < 1:
            raise ValueError(f"blocks_per_stage needs 4 positive counts; got {self.blocks_per_stage}")
        if len(self.checkpoint_blocks) != 4:
            raise ValueError(f"checkpoint_blocks needs 4 counts; got {self.checkpoint_blocks}")
        for stage, (ckpt, blocks) in enumerate(zip(self.checkpoint_blocks, self.blocks_per_stage)):
            if not 0 <= ckpt <= blocks:
                raise ValueError(f"checkpoint_blocks[{stage}] = {ckpt} is outside 0..{blocks} (blocks of that stage)")
        if self.width_per_group % self.beta_inv:
            raise ValueError(f"width_per_group {self.width_per_group} is not divisible by beta_inv {self.beta_inv}")
        if self.alpha < 1 or self.num_classes < 1 or not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"alpha, num_classes must be positive and dropout_rate in [0, 1): {self}")


class Pathway(nn.Module):
    """Stem and four residual stages of one pathway; the fast one also owns the laterals.

    Attribute names (`conv1`, `bn1`, `res_nl1..4`, `Tconv1..4`) are the seed's state-dict keys.
    """

    def __init__(self, config: SlowFastConfig, *, width: int, stem_temporal_kernel: int,
                 temporal_stages: Sequence[bool], lateral_in: Sequence[int] = (0, 0, 0, 0),
                 with_laterals: bool = False):
        super().__init__()
        t_pad = stem_temporal_kernel // 2
        self.conv1 = nn.Conv3d(3, width, (stem_temporal_kernel, 7, 7), stride=(1, 2, 2),
                               padding=(t_pad, 3, 3), bias=False)
        nn.init.kaiming_normal_(self.conv1.weight)
        self.bn1 = nn.BatchNorm3d(width, eps=1e-5, momentum=0.1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool1 = nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2))
        dims = self.stage_input_dims(width)
        for i in range(4):
            stage = ResStage(dims[i] + lateral_in[i], 4 * width * 2**i, width * 2**i,
                             num_blocks=config.blocks_per_stage[i], stride=STAGE_STRIDES[i],
                             dilation=STAGE_DILATIONS[i], temporal=temporal_stages[i],
                             checkpoint_blocks=config.checkpoint_blocks[i])
            self.add_module(f"res_nl{i + 1}", stage)
        if with_laterals:
            for i in range(4):
                self.add_module(f"Tconv{i + 1}", Lateral(dims[i], config.alpha))

    @staticmethod
    def stage_input_dims(width: int) -> List[int]:
        """Channels entering res2..res5 (before any lateral concatenation)."""
        return [width] + [4 * width * 2**i for i in range(3)]

    @property
    def stages(self) -> Tuple[ResStage, ...]:
        """res2..res5."""
        return tuple(getattr(self, f"res_nl{i + 1}") for i in range(4))

    @property
    def laterals(self) -> Tuple[Lateral, ...]:
        """Fast-to-slow connections from the stem and res2..res4 (fast pathway only)."""
        return tuple(getattr(self, f"Tconv{i + 1}") for i in range(4))

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """conv 7x7 (spatial stride 2), BN, ReLU, unpadded 3x3 max-pool (stride 2)."""
        return self.maxpool1(self.relu(self.bn1(self.conv1(x))))


class SF(nn.Module):
    """SlowFast network whose head reads the slow pathway; returns raw logits."""

    def __init__(self, config: SlowFastConfig):
        super().__init__()
        self.config = config
        fast_width = config.width_per_group // config.beta_inv
        self.slow = Pathway(config, width=config.width_per_group, stem_temporal_kernel=1,
                            temporal_stages=SLOW_TEMPORAL_STAGES,
                            lateral_in=[2 * d for d in Pathway.stage_input_dims(fast_width)])
        self.fast = Pathway(config, width=fast_width, stem_temporal_kernel=FAST_STEM_TEMPORAL_KERNEL,
                            temporal_stages=FAST_TEMPORAL_STAGES, with_laterals=True)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.projection = nn.Linear(32 * config.width_per_group, config.num_classes)
        # The fast res5 output is never used: freezing it keeps DDP from waiting for its gradients.
        self.fast.res_nl4.requires_grad_(False)
        if config.frozen_bn:
            for bn in batchnorm_layers(self):
                bn.requires_grad_(False)

    def forward(self, inputs: ModelInput) -> torch.Tensor:
        """Logits [B, num_classes] of a clip [B, 3, T, H, W] (or `[clip]`, see inputs.py).

        The clip is the fast pathway; the slow pathway is its every `alpha`-th frame.
        """
        clip = as_clip(inputs, "SF")
        fast = self.fast.stem(clip)
        slow = self.slow.stem(clip[:, :, :: self.config.alpha])
        for i, (slow_stage, fast_stage, lateral) in enumerate(zip(self.slow.stages, self.fast.stages,
                                                                  self.fast.laterals)):
            slow = slow_stage(torch.cat([slow, lateral(fast)], dim=1))
            if i < 3:
                fast = fast_stage(fast)
        pooled = slow.mean(dim=(2, 3, 4))
        return self.projection(self.dropout(pooled))

    def train(self, mode: bool = True) -> "SF":
        """Switch modes; with `frozen_bn` BatchNorm layers stay in eval mode."""
        super().train(mode)
        if self.config.frozen_bn:
            for bn in batchnorm_layers(self):
                bn.eval()
        return self


@register_model("sf")
def build_slowfast(cfg: CfgNode) -> SF:
    """Build SF from `SF.*` and `MODEL.NUM_CLASSES / USE_CHECKPOINT / CHECKPOINT_NUM`.

    Dropout is `SF.DROPOUT_RATE` (the seed's SF ignores `MODEL.DROPOUT_RATE`).
    """
    checkpoint_num = cfg.MODEL.CHECKPOINT_NUM if cfg.MODEL.USE_CHECKPOINT else [0, 0, 0, 0]
    try:
        config = SlowFastConfig(
            num_classes=cfg.MODEL.NUM_CLASSES,
            blocks_per_stage=tuple(cfg.SF.BLOCKS_PER_STAGE),
            width_per_group=cfg.SF.WIDTH_PER_GROUP,
            beta_inv=cfg.SF.BETA_INV,
            dropout_rate=cfg.SF.DROPOUT_RATE,
            frozen_bn=cfg.SF.FROZEN_BN,
            checkpoint_blocks=tuple(checkpoint_num),
        )
    except ValueError as err:
        raise ConfigError(
            f"invalid SF architecture from SF.BLOCKS_PER_STAGE / SF.WIDTH_PER_GROUP / SF.BETA_INV / "
            f"SF.DROPOUT_RATE / MODEL.CHECKPOINT_NUM / MODEL.NUM_CLASSES: {err}"
        ) from err
    return SF(config)
