"""UniFormer for video (Li et al., 2022), with the seed's state-dict layout and behaviour.

Four stages: two of convolutional blocks (BatchNorm), two of global self-attention blocks, each
after a patch embedding (stem 4x4 with temporal stride 2, then 2x2). Global average pooling of
a final BatchNorm, then a linear classifier; no softmax. The network keeps no absolute position
embedding, so it accepts any clip length and crop size (crop divisible by 32).
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Iterator, Optional, Set, Tuple

import torch
from fvcore.common.config import CfgNode
from torch import nn
from torch.utils.checkpoint import checkpoint

from darkvid.config import ConfigError

from .init import init_transformer_weights
from .inputs import ModelInput, as_clip
from .registry import register_model
from .uniformer_blocks import AttentionBlock, ConvBlock, PatchEmbed

Quad = Tuple[int, int, int, int]


@dataclass(frozen=True)
class UniFormerConfig:
    """Everything that fixes a UniFormer network (defaults: UniFormer-B as used by the seed)."""

    num_classes: int
    in_chans: int = 3
    embed_dims: Quad = (64, 128, 320, 512)
    depths: Quad = (5, 8, 20, 7)
    head_dim: int = 64  # heads of an attention stage = its width / head_dim
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    qk_scale: Optional[float] = None  # None: (width / heads) ** -0.5
    drop_rate: float = 0.0  # after the stem and inside blocks (UNIFORMER.DROPOUT_RATE)
    attn_drop_rate: float = 0.0
    drop_path_rate: float = 0.1  # stochastic depth, linear from 0 over all blocks
    head_drop_rate: float = 0.0  # before the classifier; the seed has none
    use_checkpoint: bool = False
    checkpoint_num: Quad = (0, 0, 0, 0)  # leading blocks of each stage recomputed in backward

    def __post_init__(self) -> None:
        for name in ("embed_dims", "depths", "checkpoint_num"):
            if len(getattr(self, name)) != 4:
                raise ValueError(f"{name} needs one value per stage (4); got {getattr(self, name)}")
        for stage in (2, 3):
            if self.embed_dims[stage] % self.head_dim or self.embed_dims[stage] < self.head_dim:
                raise ValueError(
                    f"embed_dims[{stage}] = {self.embed_dims[stage]} must be a positive multiple of "
                    f"head_dim = {self.head_dim} (attention stages)"
                )

    @property
    def num_heads(self) -> Tuple[int, ...]:
        """Heads per stage, as the seed derives them (the conv stages do not use theirs)."""
        return tuple(dim // self.head_dim for dim in self.embed_dims)


@contextmanager
def _keep_batchnorm_buffers(module: nn.Module) -> Iterator[None]:
    """Undo the BatchNorm running-statistics update that a checkpoint's recomputation repeats."""
    saved = [
        (buf, buf.clone())
        for m in module.modules()
        if isinstance(m, nn.BatchNorm3d)
        for buf in m.buffers(recurse=False)
    ]
    try:
        yield
    finally:
        with torch.no_grad():
            for buf, value in saved:
                buf.copy_(value)


def _checkpoint_contexts(block: nn.Module) -> tuple:
    return nullcontext(), _keep_batchnorm_buffers(block)


class UniFormer(nn.Module):
    """UniFormer video classifier: `forward([clip [B, C, T, H, W]]) -> logits [B, num_classes]`."""

    def __init__(self, config: UniFormerConfig) -> None:
        super().__init__()
        self.config = config
        dims, depths = config.embed_dims, config.depths
        in_dims = (config.in_chans,) + dims[:3]
        for i in range(4):
            embed = PatchEmbed(in_dims[i], dims[i], patch_size=4 if i == 0 else 2, temporal=i == 0)
            setattr(self, f"patch_embed{i + 1}", embed)
        self.pos_drop = nn.Dropout(config.drop_rate)
        rates = torch.linspace(0, config.drop_path_rate, sum(depths), device="cpu").tolist()
        first = 0
        for i in range(4):
            blocks = [self._block(i, rate) for rate in rates[first:first + depths[i]]]
            setattr(self, f"blocks{i + 1}", nn.ModuleList(blocks))
            first += depths[i]
        self.norm = nn.BatchNorm3d(dims[3])
        self.head_drop = nn.Dropout(config.head_drop_rate)
        self.head = nn.Linear(dims[3], config.num_classes)
        self.apply(init_transformer_weights)

    def _block(self, stage: int, drop_path: float) -> nn.Module:
        c = self.config
        dim = c.embed_dims[stage]
        if stage < 2:
            return ConvBlock(dim, c.mlp_ratio, c.drop_rate, drop_path)
        return AttentionBlock(
            dim, c.num_heads[stage], c.mlp_ratio, c.qkv_bias, c.qk_scale, c.drop_rate, c.attn_drop_rate, drop_path
        )

    def no_weight_decay(self) -> Set[str]:
        """No parameter is exempt by name: UniFormer has no absolute position embedding or class token.

        The seed named `pos_embed` and `cls_token`, which match none of its parameters, so its
        depthwise position convolutions were decayed; 1-D parameters are handled by the optimizer.
        """
        return set()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Features before pooling: `[B, embed_dims[3], T / 2, H / 32, W / 32]`."""
        for i in range(4):
            x = getattr(self, f"patch_embed{i + 1}")(x)
            if i == 0:
                x = self.pos_drop(x)
            x = self._run_stage(i, x)
        return self.norm(x)

    def _run_stage(self, stage: int, x: torch.Tensor) -> torch.Tensor:
        recompute = self.config.use_checkpoint and self.training and torch.is_grad_enabled()
        for j, block in enumerate(getattr(self, f"blocks{stage + 1}")):
            if recompute and j < self.config.checkpoint_num[stage]:
                x = checkpoint(block, x, use_reentrant=False, context_fn=partial(_checkpoint_contexts, block))
            else:
                x = block(x)
        return x

    def forward(self, inputs: ModelInput) -> torch.Tensor:
        """Raw logits [B, num_classes] of a clip [B, C, T, H, W] (or `[clip]`, see inputs.py)."""
        features = self.forward_features(as_clip(inputs, "UniFormer"))
        return self.head(self.head_drop(features.flatten(2).mean(-1)))


def uniformer_config_from_cfg(cfg: CfgNode) -> UniFormerConfig:
    """Read UNIFORMER.*, MODEL.* and DATA.INPUT_CHANNEL_NUM into a `UniFormerConfig`.

    UNIFORMER.NUM_HEADS is not read (heads follow EMBED_DIM / HEAD_DIM, as in the seed), nor is
    MODEL.DROPOUT_RATE (the seed's UniFormer has no dropout before its head; see
    UNIFORMER.HEAD_DROPOUT_RATE).
    """
    u = cfg.UNIFORMER
    for key, value in (("SPLIT", u.SPLIT), ("STD", u.STD), ("REPRESENTATION_SIZE", u.REPRESENTATION_SIZE)):
        if value:
            raise ConfigError(
                f"config key 'UNIFORMER.{key}' = {value!r} is not supported (the seed's models leave it off)"
            )
    try:
        return UniFormerConfig(
            num_classes=cfg.MODEL.NUM_CLASSES,
            in_chans=cfg.DATA.INPUT_CHANNEL_NUM[0],
            embed_dims=tuple(u.EMBED_DIM),
            depths=tuple(u.DEPTH),
            head_dim=u.HEAD_DIM,
            mlp_ratio=float(u.MLP_RATIO),
            qkv_bias=u.QKV_BIAS,
            qk_scale=u.QKV_SCALE,
            drop_rate=float(u.DROPOUT_RATE),
            attn_drop_rate=float(u.ATTENTION_DROPOUT_RATE),
            drop_path_rate=float(u.DROP_DEPTH_RATE),
            head_drop_rate=float(u.HEAD_DROPOUT_RATE),
            use_checkpoint=cfg.MODEL.USE_CHECKPOINT,
            checkpoint_num=tuple(cfg.MODEL.CHECKPOINT_NUM),
        )
    except ValueError as err:
        raise ConfigError(
            f"UNIFORMER.EMBED_DIM / DEPTH / HEAD_DIM or MODEL.CHECKPOINT_NUM describe no UniFormer: {err}"
        ) from err


@register_model("uniformer")
def build_uniformer(cfg: CfgNode) -> UniFormer:
    """Build the UniFormer described by cfg (on the current default device)."""
    return UniFormer(uniformer_config_from_cfg(cfg))
