"""MViT v1 (Multiscale Vision Transformers, Fan et al., 2021): the seed's `mvit` network (MViT-B 32x3).

The state dict matches PySlowFast's `MViT` key for key, so the seed's K600 pre-trained weights and
its per-stage `best.pyth` files load with `strict=True`.

Differences from the seed, on purpose:
- `forward` returns raw logits in training and in eval. The seed's head applied softmax in eval
  mode; darkvid applies softmax only where probabilities are needed (losses, predictions files).
- Attention runs through `F.scaled_dot_product_attention` (same maths as the seed's explicit
  softmax(q k^T * scale) v; the seed's v1 attention has no residual pooling, and neither has this).
- Activation checkpointing is optional (`use_checkpoint`); the seed always checkpointed.
- Position embeddings are sized from `DATA.TRAIN_CROP_SIZE` and `DATA.NUM_FRAMES` as in the seed;
  where an input gives another token grid (the seed asserted TRAIN_CROP_SIZE == TEST_CROP_SIZE) they
  are interpolated to it, so the model accepts any clip size the patch and pooling strides allow.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, List, Sequence, Set, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .init import init_transformer_weights
from .inputs import ModelInput, as_clip
from .mvit_attention import MultiScaleBlock, Thw
from .mvit_config import BlockSpec, MViTConfig, block_layout, mvit_config_from_cfg
from .registry import register_model

__all__ = ["MViT", "MViTConfig", "BlockSpec", "block_layout", "build_mvit", "mvit_config_from_cfg"]


class PatchEmbed(nn.Module):
    """A strided 3D convolution that turns a clip into a grid of tokens."""

    def __init__(self, in_chans: int, dim: int, kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int]):
        super().__init__()
        self.proj = nn.Conv3d(in_chans, dim, kernel_size=kernel, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Thw]:
        """Return tokens `[B, T*H*W, dim]` and their grid (T, H, W)."""
        x = self.proj(x)
        thw = (x.shape[2], x.shape[3], x.shape[4])
        return x.flatten(2).transpose(1, 2), thw


class ClassifierHead(nn.Module):
    """Dropout and a linear classifier on the pooled feature (no activation: raw logits)."""

    def __init__(self, dim: int, num_classes: int, dropout_rate: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0.0 else nn.Identity()
        self.projection = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.dropout(x))


class MViT(nn.Module):
    """MViT v1 video classifier: patch embedding, pooling-attention blocks, class-token head."""

    def __init__(self, config: MViTConfig):
        super().__init__()
        self.config = config
        self.use_checkpoint = config.use_checkpoint
        dim = config.embed_dim
        self.patch_embed = PatchEmbed(config.in_chans, dim, config.patch_kernel, config.patch_stride,
                                      config.patch_padding)
        self.pos_grid = tuple(size // stride for size, stride in zip(config.input_thw, config.patch_stride))
        num_patches = self.pos_grid[0] * self.pos_grid[1] * self.pos_grid[2]
        if config.cls_embed_on:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        if config.sep_pos_embed:
            self.pos_embed_spatial = nn.Parameter(torch.zeros(1, self.pos_grid[1] * self.pos_grid[2], dim))
            self.pos_embed_temporal = nn.Parameter(torch.zeros(1, self.pos_grid[0], dim))
            if config.cls_embed_on:
                self.pos_embed_class = nn.Parameter(torch.zeros(1, 1, dim))
        else:
            self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + int(config.cls_embed_on), dim))
        self.pos_drop = nn.Dropout(config.dropout_rate) if config.dropout_rate > 0.0 else nn.Identity()
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.norm_stem = norm_layer(dim) if config.norm_stem else None
        self.blocks = nn.ModuleList(self._make_block(spec, norm_layer) for spec in block_layout(config))
        out_dim = self.blocks[-1].mlp.fc2.out_features
        self.norm = norm_layer(out_dim)
        self.head = ClassifierHead(out_dim, config.num_classes, config.head_dropout_rate)
        self._init_weights()

    def _make_block(self, spec: BlockSpec, norm_layer: Callable[[int], nn.Module]) -> MultiScaleBlock:
        c = self.config
        return MultiScaleBlock(
            spec.dim, spec.dim_out, spec.num_heads, norm_layer=norm_layer, mlp_ratio=c.mlp_ratio,
            qkv_bias=c.qkv_bias, drop_rate=c.dropout_rate, drop_path=spec.drop_path, kernel_q=spec.kernel_q,
            stride_q=spec.stride_q, kernel_kv=spec.kernel_kv, stride_kv=spec.stride_kv, mode=c.mode,
            has_cls=c.cls_embed_on,
        )

    def _init_weights(self) -> None:
        for param in self._pos_cls_names():
            nn.init.trunc_normal_(getattr(self, param), std=0.02)
        self.apply(init_transformer_weights)

    def _pos_cls_names(self) -> List[str]:
        names = ["pos_embed_spatial", "pos_embed_temporal", "pos_embed_class", "pos_embed", "cls_token"]
        return [name for name in names if hasattr(self, name)]

    def no_weight_decay(self) -> Set[str]:
        """Position embeddings and class token, where MVIT.ZERO_DECAY_POS_CLS asks for no decay."""
        return set(self._pos_cls_names()) if self.config.zero_decay_pos_cls else set()

    def _position_embedding(self, thw: Thw) -> torch.Tensor:
        """Position embedding `[1, L, C]` for grid `thw`, interpolated where it is not the trained grid."""
        if self.config.sep_pos_embed:
            spatial = _resize_grid(self.pos_embed_spatial, self.pos_grid[1:], thw[1:])
            temporal = _resize_grid(self.pos_embed_temporal, self.pos_grid[:1], thw[:1])
            pos = (temporal[:, :, None, :] + spatial[:, None, :, :]).flatten(1, 2)
            if self.config.cls_embed_on:
                pos = torch.cat([self.pos_embed_class, pos], dim=1)
            return pos
        if not self.config.cls_embed_on:
            return _resize_grid(self.pos_embed, self.pos_grid, thw)
        cls_pos, grid_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        return torch.cat([cls_pos, _resize_grid(grid_pos, self.pos_grid, thw)], dim=1)

    def forward(self, inputs: ModelInput) -> torch.Tensor:
        """Classify a clip.

        Args:
            inputs: the clip `[B, C, T, H, W]`, or a one-element list of it (see inputs.py).

        Returns:
            Raw logits `[B, num_classes]` (no softmax, in training and in eval).
        """
        x, thw = self.patch_embed(as_clip(inputs, "MViT"))
        if self.config.cls_embed_on:
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.pos_drop(x + self._position_embedding(thw))
        if self.norm_stem is not None:
            x = self.norm_stem(x)
        for block in self.blocks:
            if self.use_checkpoint and self.training and torch.is_grad_enabled():
                x, thw = checkpoint(block, x, thw, use_reentrant=False)
            else:
                x, thw = block(x, thw)
        x = self.norm(x)
        x = x[:, 0] if self.config.cls_embed_on else x.mean(dim=1)
        return self.head(x)


def _resize_grid(embed: torch.Tensor, grid: Sequence[int], new_grid: Sequence[int]) -> torch.Tensor:
    """Interpolate a `[1, prod(grid), C]` embedding laid out on `grid` (1 to 3 axes) to `new_grid`."""
    if tuple(grid) == tuple(new_grid):
        return embed
    modes = {1: "linear", 2: "bicubic", 3: "trilinear"}
    channels = embed.shape[-1]
    volume = embed.transpose(1, 2).reshape(1, channels, *grid)
    volume = F.interpolate(volume, size=tuple(new_grid), mode=modes[len(grid)], align_corners=False)
    return volume.flatten(2).transpose(1, 2)


@register_model("mvit")
def build_mvit(cfg) -> MViT:
    """Build MViT from `MVIT.*`, `MODEL.*` and `DATA.*` keys (see `mvit_config_from_cfg`)."""
    return MViT(mvit_config_from_cfg(cfg))
