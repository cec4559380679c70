"""FLOPs and parameter counts of a network, as fvcore counts them (one multiply-add = one flop).

fvcore has no handle for `aten::scaled_dot_product_attention`, so by default it counts nothing
for the attention products of UniFormer and MViT (about half of UniFormer-B's compute at 32x224).
`flop_analysis` adds that handle, counting the two products the way fvcore counts `aten::matmul`,
and ignores element-wise ops whose cost is negligible next to the convolutions and products, so
that fvcore's "unsupported operator" warning is left for ops that would really be missing.
"""
from __future__ import annotations

from math import prod
from typing import Any, List, Sequence, Tuple, Union

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape
from torch import nn

SDPA_OP = "aten::scaled_dot_product_attention"

# Element-wise, padding, pooling and reduction ops: a few flops per activation at most, which fvcore's convention
# (and the published GFLOPs of these networks) leaves out.
CHEAP_OPS = (
    "aten::add", "aten::add_", "aten::sub", "aten::rsub", "aten::mul", "aten::mul_", "aten::div",
    "aten::div_", "aten::gelu", "aten::silu", "aten::sigmoid", "aten::softmax", "aten::mean",
    "aten::sum", "aten::max_pool3d", "aten::avg_pool3d", "aten::adaptive_avg_pool3d",
    "aten::bernoulli_", "aten::feature_dropout", "aten::repeat", "aten::expand_as",
    "aten::upsample_trilinear3d", "aten::upsample_linear1d", "aten::upsample_bilinear2d",
    "aten::pad", "aten::constant_pad_nd",  # zero padding: a copy, no arithmetic (MODEL.FRAME_CONV_STEM)
)

Inputs = Union[torch.Tensor, Tuple[Any, ...]]


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """fvcore handle: q @ k^T plus attn @ v, each counted as fvcore counts `aten::matmul`.

    q is `[..., Nq, D]`, k `[..., Nk, D]`, v `[..., Nk, Dv]`; the leading dimensions (batch,
    heads) multiply both products.
    """
    q_shape, k_shape, v_shape = (get_shape(v) for v in inputs[:3])
    if q_shape is None or k_shape is None or v_shape is None:
        raise ValueError(f"{SDPA_OP}: the traced graph has no complete shapes for q, k, v")
    *lead, n_q, dim = q_shape
    n_k, dim_v = k_shape[-2], v_shape[-1]
    return prod(lead) * n_q * n_k * (dim + dim_v)


def flop_analysis(model: nn.Module, inputs: Inputs) -> FlopCountAnalysis:
    """fvcore's analysis of `model(*inputs)` with the attention handle and cheap ops ignored.

    Modules that are never called (SF's unused fast res5) are expected, so fvcore's warning about
    them is off; the warning about unsupported operators stays on.
    """
    analysis = FlopCountAnalysis(model, inputs)
    analysis.set_op_handle(SDPA_OP, sdpa_flop_jit)
    analysis.set_op_handle(**{op: None for op in CHEAP_OPS})
    analysis.uncalled_modules_warnings(False)
    return analysis


def count_flops(model: nn.Module, inputs: Inputs) -> float:
    """GFLOPs of one forward pass of `model(*inputs)` in eval mode (the mode is restored after).

    Args:
        model: the network; for darkvid models `inputs` is `([clip],)` with one pathway list.
        inputs: positional arguments of the forward call.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            total = flop_analysis(model, inputs).total()
    finally:
        model.train(was_training)
    return total / 1e9


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameter elements (shared parameters counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def clip_input(num_frames: int, crop_size: int, *, batch: int = 1,
               device: Union[str, torch.device] = "cpu") -> Tuple[Sequence[torch.Tensor]]:
    """Forward arguments for a darkvid network: `([clip [batch, 3, T, H, W]],)` of zeros."""
    return ([torch.zeros(batch, 3, num_frames, crop_size, crop_size, device=device)],)


def model_summary(model: nn.Module, num_frames: int, crop_size: int) -> str:
    """One log line: parameters and GFLOPs of one clip of `num_frames` x `crop_size`^2 (one view)."""
    device = next(model.parameters()).device
    gflops = count_flops(model, clip_input(num_frames, crop_size, device=device))
    return (f"{count_parameters(model) / 1e6:.2f}M parameters, {gflops:.3g} GFLOPs per "
            f"{num_frames}x{crop_size}x{crop_size} clip")
