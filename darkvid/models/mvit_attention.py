"""Pooling attention and the transformer block of MViT v1 (Fan et al., 2021), as in PySlowFast.

Module and parameter names follow PySlowFast's `MultiScaleAttention` / `MultiScaleBlock`, so the
seed's checkpoints load unchanged. Numerics follow the seed's v1 code too: no residual pooling
connection, the class token bypasses pooling but is normalised with the pooled tokens, and the
pooling norms use `nn.LayerNorm`'s default eps (1e-5) while the block norms use the eps passed in.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from timm.layers import DropPath, Mlp
from torch import nn

Thw = Tuple[int, int, int]


def pool_tokens(
    x: torch.Tensor, pool: Optional[nn.Module], thw: Thw, has_cls: bool, norm: Optional[nn.Module] = None
) -> Tuple[torch.Tensor, Thw]:
    """Pool a token sequence on its (T, H, W) grid.

    Args:
        x: tokens `[B, L, C]` or per-head tokens `[B, heads, L, C]`; with `has_cls` the first token
            is a class token that is carried over unpooled.
        pool: a module on `[N, C, T, H, W]`, or None to return `x` unchanged.
        thw: the grid of the non-class tokens.
        has_cls: whether token 0 is a class token.
        norm: applied after pooling to every token (the class token included).

    Returns:
        The pooled tokens (same rank as `x`) and their new grid.
    """
    if pool is None:
        return x, thw
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(1)
    if has_cls:
        cls_tok, x = x[:, :, :1], x[:, :, 1:]
    batch, heads, _, channels = x.shape
    grid = x.reshape(batch * heads, *thw, channels).permute(0, 4, 1, 2, 3)
    grid = pool(grid)
    new_thw = (grid.shape[2], grid.shape[3], grid.shape[4])
    x = grid.reshape(batch, heads, channels, -1).transpose(2, 3)
    if has_cls:
        x = torch.cat((cls_tok, x), dim=2)
    if norm is not None:
        x = norm(x)
    if squeeze:
        x = x.squeeze(1)
    return x, new_thw


def _needs_pool(kernel: Sequence[int], stride: Sequence[int]) -> bool:
    return math.prod(kernel) != 1 or math.prod(stride) != 1


def _make_pool(mode: str, channels: int, kernel: Sequence[int], stride: Sequence[int]) -> nn.Module:
    padding = [k // 2 for k in kernel]
    if mode == "conv":
        return nn.Conv3d(channels, channels, kernel, stride=stride, padding=padding, groups=channels, bias=False)
    if mode == "avg":
        return nn.AvgPool3d(kernel, stride, padding, ceil_mode=False)
    if mode == "max":
        return nn.MaxPool3d(kernel, stride, padding, ceil_mode=False)
    raise ValueError(f"MViT pooling mode must be conv, avg or max; got {mode!r}")


class MultiScaleAttention(nn.Module):
    """Multi-head self-attention whose queries, keys and values are pooled on the token grid.

    Query pooling shrinks the output grid (a new stage); key/value pooling only makes the attention
    cheaper. A pool whose kernel and stride are all ones is not created at all (the seed's layout).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        kernel_q: Sequence[int] = (),
        stride_q: Sequence[int] = (),
        kernel_kv: Sequence[int] = (),
        stride_kv: Sequence[int] = (),
        mode: str = "conv",
        has_cls: bool = True,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim**-0.5
        self.has_cls = has_cls
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(drop_rate) if drop_rate > 0.0 else nn.Identity()
        pools = (("q", kernel_q, stride_q), ("k", kernel_kv, stride_kv), ("v", kernel_kv, stride_kv))
        for name, kernel, stride in pools:
            use = _needs_pool(kernel, stride)
            pool = _make_pool(mode, head_dim, kernel, stride) if use else None
            norm = nn.LayerNorm(head_dim) if use and mode == "conv" else None
            setattr(self, f"pool_{name}", pool)
            setattr(self, f"norm_{name}", norm)

    def forward(self, x: torch.Tensor, thw: Thw) -> Tuple[torch.Tensor, Thw]:
        """Attend over `x` `[B, L, C]` on grid `thw`; return `[B, L', C]` on the query grid."""
        batch, length, channels = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.num_heads, channels // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        q, q_thw = pool_tokens(q, self.pool_q, thw, self.has_cls, self.norm_q)
        k, _ = pool_tokens(k, self.pool_k, thw, self.has_cls, self.norm_k)
        v, _ = pool_tokens(v, self.pool_v, thw, self.has_cls, self.norm_v)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        out = out.transpose(1, 2).reshape(batch, q.shape[2], channels)
        return self.proj_drop(self.proj(out)), q_thw


class MultiScaleBlock(nn.Module):
    """Pre-norm transformer block: pooling attention, then an MLP that may widen the channels.

    Where the query is pooled, the residual path is max-pooled with kernel stride + 1 (where the
    stride is above 1). Where the width changes, the residual of the MLP is a linear projection
    of the normalised input (`proj`), as in the seed.
    """

    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        *,
        norm_layer: Callable[[int], nn.Module],
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        drop_path: float = 0.0,
        kernel_q: Sequence[int] = (),
        stride_q: Sequence[int] = (),
        kernel_kv: Sequence[int] = (),
        stride_kv: Sequence[int] = (),
        mode: str = "conv",
        has_cls: bool = True,
    ) -> None:
        super().__init__()
        self.has_cls = has_cls
        self.norm1 = norm_layer(dim)
        self.attn = MultiScaleAttention(
            dim, num_heads, qkv_bias=qkv_bias, drop_rate=drop_rate, kernel_q=kernel_q, stride_q=stride_q,
            kernel_kv=kernel_kv, stride_kv=stride_kv, mode=mode, has_cls=has_cls,
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dim_out, act_layer=nn.GELU, drop=drop_rate)
        self.proj = nn.Linear(dim, dim_out) if dim != dim_out else None
        self.pool_skip = None
        if stride_q and math.prod(stride_q) > 1:
            kernel_skip = [s + 1 if s > 1 else s for s in stride_q]
            self.pool_skip = nn.MaxPool3d(kernel_skip, stride_q, [k // 2 for k in kernel_skip], ceil_mode=False)

    def forward(self, x: torch.Tensor, thw: Thw) -> Tuple[torch.Tensor, Thw]:
        """Return the block output `[B, L', dim_out]` and its grid."""
        attended, new_thw = self.attn(self.norm1(x), thw)
        shortcut, _ = pool_tokens(x, self.pool_skip, thw, self.has_cls)
        x = shortcut + self.drop_path(attended)
        normed = self.norm2(x)
        if self.proj is not None:
            x = self.proj(normed)
        return x + self.drop_path(self.mlp(normed)), new_thw
