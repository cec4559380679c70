"""3D ResNet pieces of the seed's SlowFast: conv+BN units, bottleneck blocks, stages, laterals.

Module and attribute names (`conv`, `bn`, `btnk`, `shortcut`, `res_<i>`) match the seed's
`common_blocks.py`, so its checkpoints load with no key renaming.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from functools import partial
from typing import ContextManager, Iterator, List, Sequence, Tuple

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

Triple = Tuple[int, int, int]


class ConvBN(nn.Module):
    """A bias-free 3D convolution followed by BatchNorm (eps 1e-5, momentum 0.1)."""

    def __init__(self, dim_in: int, dim_out: int, kernel: Triple, *, stride: Triple = (1, 1, 1),
                 padding: Triple = (0, 0, 0), dilation: Triple = (1, 1, 1), zero_init_bn: bool = False):
        super().__init__()
        self.conv = nn.Conv3d(dim_in, dim_out, kernel, stride=stride, padding=padding,
                              dilation=dilation, bias=False)
        self.bn = nn.BatchNorm3d(dim_out, eps=1e-5, momentum=0.1)
        nn.init.kaiming_normal_(self.conv.weight)
        if zero_init_bn:
            # The residual branch starts as zero, so a fresh block is the identity.
            nn.init.zeros_(self.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class Bottleneck(nn.Module):
    """1x1 (3x1x1 when temporal) -> 1x3x3 (strided, dilated) -> 1x1 residual branch."""

    def __init__(self, dim_in: int, dim_out: int, dim_inner: int, *, stride: int, dilation: int,
                 temporal: bool):
        super().__init__()
        t_kernel, t_pad = (3, 1) if temporal else (1, 0)
        self.conv1 = ConvBN(dim_in, dim_inner, (t_kernel, 1, 1), padding=(t_pad, 0, 0))
        self.conv2 = ConvBN(dim_inner, dim_inner, (1, 3, 3), stride=(1, stride, stride),
                            padding=(0, dilation, dilation), dilation=(1, dilation, dilation))
        self.conv3 = ConvBN(dim_inner, dim_out, (1, 1, 1), zero_init_bn=True)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.conv3(x)


class ResBlock(nn.Module):
    """Bottleneck plus identity or projection shortcut, then ReLU."""

    def __init__(self, dim_in: int, dim_out: int, dim_inner: int, *, stride: int, dilation: int,
                 temporal: bool, project: bool):
        super().__init__()
        self.btnk = Bottleneck(dim_in, dim_out, dim_inner, stride=stride, dilation=dilation,
                               temporal=temporal)
        self.shortcut = ConvBN(dim_in, dim_out, (1, 1, 1), stride=(1, stride, stride)) if project else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.btnk(x) + skip)


class ResStage(nn.Sequential):
    """Blocks `res_0 .. res_{n-1}`; the first `checkpoint_blocks` recompute activations in backward.

    Only the first block changes width or stride; it always has a projection shortcut, which
    in a dilated last stage is the pre-trained stride-2 projection kept at stride 1.
    """

    def __init__(self, dim_in: int, dim_out: int, dim_inner: int, *, num_blocks: int, stride: int,
                 dilation: int, temporal: bool, checkpoint_blocks: int = 0):
        blocks = OrderedDict(
            (f"res_{i}", ResBlock(dim_in if i == 0 else dim_out, dim_out, dim_inner,
                                  stride=stride if i == 0 else 1, dilation=dilation,
                                  temporal=temporal, project=i == 0))
            for i in range(num_blocks)
        )
        super().__init__(blocks)
        self.checkpoint_blocks = checkpoint_blocks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        recompute = self.training and torch.is_grad_enabled()
        for i, block in enumerate(self):
            if recompute and i < self.checkpoint_blocks:
                x = checkpoint(block, x, use_reentrant=False, context_fn=partial(_checkpoint_contexts, block))
            else:
                x = block(x)
        return x


def batchnorm_layers(module: nn.Module) -> Sequence[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer inside `module`."""
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def _checkpoint_contexts(block: nn.Module) -> Tuple[ContextManager[None], ContextManager[None]]:
    return contextlib.nullcontext(), preserved_bn_stats(block)


@contextlib.contextmanager
def preserved_bn_stats(module: nn.Module) -> Iterator[None]:
    """Restore the BatchNorm buffers of `module` on exit.

    Recomputing a checkpointed block in backward runs its BatchNorm layers in training mode a
    second time; without this their running statistics would take two momentum steps per batch.
    """
    buffers: List[Tuple[torch.Tensor, torch.Tensor]] = [
        (buf, buf.clone()) for bn in batchnorm_layers(module) for buf in bn.buffers()
    ]
    try:
        yield
    finally:
        with torch.no_grad():
            for buf, saved in buffers:
                buf.copy_(saved)


class Lateral(nn.Module):
    """Fast-to-slow connection: (5,1,1) convolution with temporal stride alpha that doubles channels."""

    def __init__(self, dim: int, alpha: int):
        super().__init__()
        self.conv = nn.Conv3d(dim, 2 * dim, (5, 1, 1), stride=(alpha, 1, 1), padding=(2, 0, 0), bias=True)
        nn.init.kaiming_normal_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)
