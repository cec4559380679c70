"""Architecture registry: `MODEL.ARCH` names a builder that turns the config into a network.

A new architecture is one new file that decorates its builder with `@register_model("name")`
and is imported in `darkvid/models/__init__.py`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import torch
from fvcore.common.config import CfgNode
from torch import nn

from darkvid.config import ConfigError

from .frame_conv import use_frame_convs

ModelBuilder = Callable[[CfgNode], nn.Module]
MODEL_REGISTRY: Dict[str, ModelBuilder] = {}


def register_model(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    """Register `builder(cfg) -> nn.Module` under `name` (the value of `MODEL.ARCH`)."""

    def decorate(builder: ModelBuilder) -> ModelBuilder:
        if name in MODEL_REGISTRY:
            raise ValueError(f"model architecture {name!r} is registered twice")
        MODEL_REGISTRY[name] = builder
        return builder

    return decorate


def build_model(cfg: CfgNode) -> nn.Module:
    """Build the network named by `cfg.MODEL.ARCH` (on the CPU, in training mode).

    Every network takes a clip `[B, C, T, H, W]` or PySlowFast's one-element pathway list of it
    (converted in darkvid/models/inputs.py) and returns raw logits `[B, MODEL.NUM_CLASSES]` in
    training and in eval: no softmax inside any model.
    """
    arch = cfg.MODEL.ARCH
    if arch not in MODEL_REGISTRY:
        raise ConfigError(f"config key 'MODEL.ARCH' is {arch!r}; known architectures: {sorted(MODEL_REGISTRY)}")
    model = MODEL_REGISTRY[arch](cfg)
    if cfg.MODEL.FRAME_CONV_STEM:
        use_frame_convs(model)
    if cfg.MODEL.CHANNELS_LAST:
        use_channels_last(model)
    return model


def use_channels_last(model: nn.Module) -> nn.Module:
    """Keep `model`'s weights and every clip it receives in channels-last (NDHWC) memory.

    The result is the same function (up to float rounding); only the memory layout changes, which
    lets the CPU use oneDNN's 3D convolutions instead of the much slower reference ones. A forward
    pre-hook converts the input, so callers (trainer, tester, predictor, DDP) pass clips as before.
    """
    model.to(memory_format=torch.channels_last_3d)
    model.register_forward_pre_hook(_clips_to_channels_last)
    return model


def _clips_to_channels_last(module: nn.Module, args: tuple) -> tuple:
    return tuple(_to_channels_last(arg) for arg in args)


def _to_channels_last(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.dim() == 5:
        return value.contiguous(memory_format=torch.channels_last_3d)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_channels_last(v) for v in value)
    return value
