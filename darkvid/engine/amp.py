"""Automatic mixed precision on CUDA: bf16 or fp16 (with a loss scaler), as TRAIN.MIXED_PRECISION_DTYPE says.

"auto" takes bf16 where the GPU supports it (fp32's range: no scaler), else fp16; "fp16" always takes
fp16 with a GradScaler, the seed's choice, so its runs are reproduced on bf16-capable GPUs too.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import ContextManager, Iterable, Optional

import torch

from darkvid.config import ConfigError

DTYPE_KEY = "TRAIN.MIXED_PRECISION_DTYPE"
DTYPES = ("auto", "fp16", "bf16")


@dataclass
class Amp:
    """Autocast settings and the optional gradient scaler of one run.

    Attributes:
        device_type: "cuda" or "cpu".
        dtype: autocast dtype, or None for full precision (always on the CPU).
        scaler: a GradScaler for fp16, else None (bf16 has fp32's range and needs none).
    """

    device_type: str
    dtype: Optional[torch.dtype] = None
    scaler: Optional[torch.amp.GradScaler] = None

    @classmethod
    def create(cls, enabled: bool, device: torch.device, dtype: str = "auto") -> "Amp":
        """AMP for TRAIN.MIXED_PRECISION on `device` in the `dtype` of TRAIN.MIXED_PRECISION_DTYPE.

        Full precision on the CPU or when disabled.

        Raises:
            ConfigError: `dtype` is not one of DTYPES, or "bf16" on a GPU without bf16.
        """
        if dtype not in DTYPES:
            raise ConfigError(f"config key {DTYPE_KEY!r} is {dtype!r}; expected one of {list(DTYPES)}")
        if not enabled or device.type != "cuda":
            return cls(device.type)
        bf16 = torch.cuda.is_bf16_supported()
        if dtype == "bf16" and not bf16:
            raise ConfigError(f"config key {DTYPE_KEY!r} is 'bf16' but this GPU has no bf16: use 'fp16' or 'auto'")
        if dtype == "bf16" or (dtype == "auto" and bf16):
            return cls("cuda", torch.bfloat16)
        return cls("cuda", torch.float16, torch.amp.GradScaler("cuda"))

    def autocast(self) -> ContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(
        self, optimizer: torch.optim.Optimizer, params: Iterable[torch.nn.Parameter], clip_norm: Optional[float]
    ) -> Optional[float]:
        """Clip (on unscaled gradients) and step; returns the gradient norm before clipping, if clipped."""
        norm = None
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)
        if clip_norm is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(list(params), clip_norm))
        if self.scaler is not None:
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            optimizer.step()
        return norm
