"""MViT architecture settings: the typed `MViTConfig`, its reading from cfg, and the per-block layout.

The layout rules are the seed's (PySlowFast MViT v1): widths and heads multiply at the blocks listed
in DIM_MUL / HEAD_MUL, with PySlowFast's `round_width`; a block's output width is already the next
block's width; the pooling kernel is POOL_KVQ_KERNEL, or stride + 1 along each axis where the stride
is above 1; an adaptive key/value stride starts at POOL_KV_STRIDE_ADAPTIVE and is divided by each
query stride; stochastic depth grows linearly from 0 to DROPPATH_RATE over the blocks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from fvcore.common.config import CfgNode

from darkvid.config import ConfigError

Triple = Tuple[int, int, int]


@dataclass(frozen=True)
class MViTConfig:
    """Everything that fixes an MViT v1 network (names follow the MVIT.* config keys)."""

    num_classes: int
    input_thw: Triple  # (frames, crop, crop) the position embeddings are sized for
    in_chans: int = 3
    embed_dim: int = 96
    num_heads: int = 1
    depth: int = 16
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    patch_kernel: Triple = (3, 7, 7)
    patch_stride: Triple = (2, 4, 4)
    patch_padding: Triple = (1, 3, 3)
    mode: str = "conv"
    cls_embed_on: bool = True
    sep_pos_embed: bool = False
    norm_stem: bool = False
    dim_mul: Tuple[Tuple[int, float], ...] = ()
    head_mul: Tuple[Tuple[int, float], ...] = ()
    pool_q_stride: Tuple[Tuple[int, int, int, int], ...] = ()
    pool_kv_stride: Tuple[Tuple[int, int, int, int], ...] = ()
    pool_kv_stride_adaptive: Optional[Triple] = None
    pool_kvq_kernel: Optional[Triple] = None
    drop_path_rate: float = 0.1
    dropout_rate: float = 0.0  # inside blocks (MVIT.DROPOUT_RATE)
    head_dropout_rate: float = 0.5  # before the classifier (MODEL.DROPOUT_RATE)
    zero_decay_pos_cls: bool = True
    use_checkpoint: bool = False


@dataclass(frozen=True)
class BlockSpec:
    """One block's widths, heads, pooling kernels / strides (empty: no pooling) and drop-path rate."""

    dim: int
    dim_out: int
    num_heads: int
    kernel_q: Tuple[int, ...]
    stride_q: Tuple[int, ...]
    kernel_kv: Tuple[int, ...]
    stride_kv: Tuple[int, ...]
    drop_path: float


def round_width(width: float, multiplier: float, min_width: int = 1, divisor: int = 1) -> int:
    """PySlowFast's width rounding: `width * multiplier` to a multiple of `divisor`, never 10% under."""
    if not multiplier:
        return int(width)
    width *= multiplier
    min_width = min_width or divisor
    width_out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if width_out < 0.9 * width:
        width_out += divisor
    return int(width_out)


def _default_kernel(config: MViTConfig, stride: Tuple[int, ...]) -> Tuple[int, ...]:
    if config.pool_kvq_kernel is not None:
        return tuple(config.pool_kvq_kernel)
    return tuple(s + 1 if s > 1 else s for s in stride)


def _pool_strides(config: MViTConfig) -> Tuple[List[Tuple[int, ...]], List[Tuple[int, ...]]]:
    """Query and key/value strides per block (empty tuple where the block does not pool)."""
    stride_q: List[Tuple[int, ...]] = [()] * config.depth
    for block, *stride in config.pool_q_stride:
        stride_q[block] = tuple(stride)
    stride_kv: List[Tuple[int, ...]] = [()] * config.depth
    if config.pool_kv_stride_adaptive is not None:
        current = tuple(config.pool_kv_stride_adaptive)
        for i in range(config.depth):
            if stride_q[i]:
                current = tuple(max(c // s, 1) for c, s in zip(current, stride_q[i]))
            stride_kv[i] = current
    else:
        for block, *stride in config.pool_kv_stride:
            stride_kv[block] = tuple(stride)
    return stride_q, stride_kv


def block_layout(config: MViTConfig) -> List[BlockSpec]:
    """The seed's per-block widths, heads and pooling, from the stage multipliers and strides."""
    dim_mul = [1.0] * (config.depth + 1)
    head_mul = [1.0] * (config.depth + 1)
    for block, factor in config.dim_mul:
        dim_mul[block] = float(factor)
    for block, factor in config.head_mul:
        head_mul[block] = float(factor)
    stride_q, stride_kv = _pool_strides(config)
    drop_path = [config.drop_path_rate * i / max(config.depth - 1, 1) for i in range(config.depth)]
    dim, heads, specs = config.embed_dim, config.num_heads, []
    for i in range(config.depth):
        heads = round_width(heads, head_mul[i])
        dim = round_width(dim, dim_mul[i], divisor=heads)
        dim_out = round_width(dim, dim_mul[i + 1], divisor=round_width(heads, head_mul[i + 1]))
        specs.append(BlockSpec(
            dim=dim, dim_out=dim_out, num_heads=heads,
            kernel_q=_default_kernel(config, stride_q[i]) if stride_q[i] else (), stride_q=stride_q[i],
            kernel_kv=_default_kernel(config, stride_kv[i]) if stride_kv[i] else (), stride_kv=stride_kv[i],
            drop_path=drop_path[i],
        ))
    return specs


def _entries(cfg: CfgNode, key: str, width: int, depth: int) -> tuple:
    """Read `[[block, v1, ...], ...]` from MVIT.<key>, checking entry width and block range."""
    value = cfg.MVIT[key] or []
    out = []
    for entry in value:
        if len(entry) != width or not 0 <= int(entry[0]) <= depth:
            raise ConfigError(f"config key 'MVIT.{key}': entry {entry!r} must be [block, {width - 1} values] "
                              f"with block in 0..{depth}")
        out.append((int(entry[0]),) + tuple(entry[1:]))
    return tuple(out)


def _triple(cfg: CfgNode, key: str, required: bool = False) -> Optional[Triple]:
    value = cfg.MVIT[key]
    if value is None and not required:
        return None
    if value is None or len(value) != 3:
        raise ConfigError(f"config key 'MVIT.{key}' needs 3 values (T, H, W); got {value!r}")
    return tuple(int(v) for v in value)


def _check_unsupported(cfg: CfgNode) -> None:
    if cfg.MVIT.NORM != "layernorm":
        raise ConfigError(f"config key 'MVIT.NORM' must be 'layernorm'; got {cfg.MVIT.NORM!r}")
    if cfg.MVIT.MODE not in ("conv", "avg", "max"):
        raise ConfigError(f"config key 'MVIT.MODE' must be conv, avg or max; got {cfg.MVIT.MODE!r}")
    if cfg.MVIT.POOL_FIRST:
        raise ConfigError("config key 'MVIT.POOL_FIRST' True is not supported (the seed's MViT v1 ignored it)")
    if cfg.MVIT.PATCH_2D:
        raise ConfigError("config key 'MVIT.PATCH_2D' True is not supported (3D patches only)")
    if len(cfg.DATA.INPUT_CHANNEL_NUM) != 1:
        raise ConfigError(f"config key 'DATA.INPUT_CHANNEL_NUM' must list one pathway for MViT; "
                          f"got {cfg.DATA.INPUT_CHANNEL_NUM!r}")


def _check_patch_grid(config: MViTConfig) -> None:
    """The seed sizes position embeddings as input // stride: the patch convolution must give that grid."""
    for size, k, s, p in zip(config.input_thw, config.patch_kernel, config.patch_stride, config.patch_padding):
        if (size + 2 * p - k) // s + 1 != size // s:
            raise ConfigError(
                f"config keys 'MVIT.PATCH_KERNEL' {list(config.patch_kernel)}, 'MVIT.PATCH_STRIDE' "
                f"{list(config.patch_stride)}, 'MVIT.PATCH_PADDING' {list(config.patch_padding)} turn the input "
                f"{list(config.input_thw)} (DATA.NUM_FRAMES, DATA.TRAIN_CROP_SIZE) into a grid other than "
                "input // stride"
            )


def mvit_config_from_cfg(cfg: CfgNode) -> MViTConfig:
    """Turn MVIT.*, MODEL.NUM_CLASSES / DROPOUT_RATE / USE_CHECKPOINT and DATA.* into an `MViTConfig`.

    The position embeddings are sized for DATA.NUM_FRAMES x DATA.TRAIN_CROP_SIZE^2, as in the seed.
    MVIT.POOL_KV_STRIDE is used only where MVIT.POOL_KV_STRIDE_ADAPTIVE is None (the seed overwrote it).
    """
    _check_unsupported(cfg)
    depth = int(cfg.MVIT.DEPTH)
    crop = int(cfg.DATA.TRAIN_CROP_SIZE)
    config = MViTConfig(
        num_classes=int(cfg.MODEL.NUM_CLASSES),
        input_thw=(int(cfg.DATA.NUM_FRAMES), crop, crop),
        in_chans=int(cfg.DATA.INPUT_CHANNEL_NUM[0]),
        embed_dim=int(cfg.MVIT.EMBED_DIM),
        num_heads=int(cfg.MVIT.NUM_HEADS),
        depth=depth,
        mlp_ratio=float(cfg.MVIT.MLP_RATIO),
        qkv_bias=bool(cfg.MVIT.QKV_BIAS),
        patch_kernel=_triple(cfg, "PATCH_KERNEL", required=True),
        patch_stride=_triple(cfg, "PATCH_STRIDE", required=True),
        patch_padding=_triple(cfg, "PATCH_PADDING", required=True),
        mode=cfg.MVIT.MODE,
        cls_embed_on=bool(cfg.MVIT.CLS_EMBED_ON),
        sep_pos_embed=bool(cfg.MVIT.SEP_POS_EMBED),
        norm_stem=bool(cfg.MVIT.NORM_STEM),
        dim_mul=tuple((b, float(f)) for b, f in _entries(cfg, "DIM_MUL", 2, depth)),
        head_mul=tuple((b, float(f)) for b, f in _entries(cfg, "HEAD_MUL", 2, depth)),
        pool_q_stride=_entries(cfg, "POOL_Q_STRIDE", 4, depth - 1),
        pool_kv_stride=_entries(cfg, "POOL_KV_STRIDE", 4, depth - 1),
        pool_kv_stride_adaptive=_triple(cfg, "POOL_KV_STRIDE_ADAPTIVE"),
        pool_kvq_kernel=_triple(cfg, "POOL_KVQ_KERNEL"),
        drop_path_rate=float(cfg.MVIT.DROPPATH_RATE),
        dropout_rate=float(cfg.MVIT.DROPOUT_RATE),
        head_dropout_rate=float(cfg.MODEL.DROPOUT_RATE),
        zero_decay_pos_cls=bool(cfg.MVIT.ZERO_DECAY_POS_CLS),
        use_checkpoint=bool(cfg.MODEL.USE_CHECKPOINT),
    )
    _check_patch_grid(config)
    return config
