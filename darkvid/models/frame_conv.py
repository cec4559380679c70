"""A 3D convolution of the clip computed as 2D convolutions of its frames, one per temporal tap.

The networks' first layers read the 3-channel clip with a few output channels (SlowFast's fast stem:
3 -> 2 channels at the tiny width, 5x7x7). oneDNN's CPU kernels for such thin 3D convolutions are
slow, above all the weight gradient, while its 2D convolutions are fast. Writing the kernel's
temporal taps as extra output channels of one 2D convolution over all frames, then adding each
tap's output at its frame offset, is the same function (equal up to float rounding, tests in
tests/models/test_frame_conv.py) with the same parameters and state-dict keys.
`MODEL.FRAME_CONV_STEM` turns it on for every Conv3d that reads the clip; benchmarks/README.md has
the speed-ups.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def frame_conv3d(clip: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                 stride: tuple[int, int, int], padding: tuple[int, int, int]) -> torch.Tensor:
    """`F.conv3d(clip, weight, bias, stride, padding)` (dilation 1, one group) through 2D convolutions.

    Output frame t sums, over the taps k, tap k's 2D output of input frame stride_t * t + k - pad_t
    (zero outside the clip), as the 3D convolution does.
    """
    batch, channels, frames, height, width = clip.shape
    out_channels, _, taps, kh, kw = weight.shape
    (st, sh, sw), (pt, ph, pw) = stride, padding
    flat = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)
    flat = flat.contiguous(memory_format=torch.channels_last)
    per_tap = weight.permute(2, 0, 1, 3, 4).reshape(taps * out_channels, channels, kh, kw)
    maps = F.conv2d(flat, per_tap, None, (sh, sw), (ph, pw))
    maps = maps.reshape(batch, frames, taps, out_channels, *maps.shape[-2:])
    maps = F.pad(maps, (0, 0, 0, 0, 0, 0, 0, 0, pt, pt))
    out_frames = (frames + 2 * pt - taps) // st + 1
    if out_frames < 1:
        raise ValueError(f"a clip of {frames} frames is shorter than the kernel's {taps} taps (padding {pt})")
    span = st * (out_frames - 1) + 1
    out = sum(maps[:, k:k + span:st, k] for k in range(taps))
    out = out.transpose(1, 2)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1, 1)
    layout = torch.channels_last_3d if clip.is_contiguous(memory_format=torch.channels_last_3d) else None
    return out.contiguous(memory_format=layout or torch.contiguous_format)


class FrameConv3d(nn.Conv3d):
    """An `nn.Conv3d` whose forward is `frame_conv3d`; made from an existing one, sharing its parameters."""

    @classmethod
    def from_conv(cls, conv: nn.Conv3d) -> "FrameConv3d":
        if not frame_conv_applies(conv):
            raise ValueError(f"{conv} has dilation, groups or non-zero padding mode: no frame form")
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                  bias=conv.bias is not None, device="meta")
        new.weight, new.bias = conv.weight, conv.bias
        return new

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return frame_conv3d(clip, self.weight, self.bias, self.stride, self.padding)


def frame_conv_applies(conv: nn.Module) -> bool:
    """Whether `conv` is a Conv3d with numeric padding, dilation 1, one group and zero padding."""
    return (type(conv) is nn.Conv3d and conv.groups == 1 and tuple(conv.dilation) == (1, 1, 1)
            and conv.padding_mode == "zeros" and not isinstance(conv.padding, str))


def use_frame_convs(model: nn.Module, in_channels: int = 3) -> list[str]:
    """Replace every applicable Conv3d reading `in_channels` channels (the clip) by a FrameConv3d.

    Returns the replaced modules' names. The parameters are the same objects, so an optimizer or
    a checkpoint sees no difference.
    """
    replaced = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if frame_conv_applies(child) and child.in_channels == in_channels:
                setattr(module, child_name, FrameConv3d.from_conv(child))
                replaced.append(f"{name}.{child_name}" if name else child_name)
    return replaced
