"""The one place where a model's input becomes its clip tensor.

darkvid's engine passes a plain clip `[B, C, T, H, W]`; seed-style callers (PySlowFast's
`model(inputs)` with a pathway list) and the reference fixtures pass `[clip]`. Every model accepts
both. None takes a two-pathway `[slow, fast]` list: SlowFast derives its slow pathway from the one
clip itself (every `alpha`-th frame, see slowfast.py), as the seed's SlowFast does.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch

ModelInput = Union[torch.Tensor, Sequence[torch.Tensor]]


def as_clip(inputs: ModelInput, model: str) -> torch.Tensor:
    """The clip `[B, C, T, H, W]` of a plain tensor or of a one-element pathway list.

    Raises:
        ValueError: naming `model` and the shapes received, for anything else.
    """
    clip = inputs
    if not isinstance(inputs, torch.Tensor):
        clip = inputs[0] if len(inputs) == 1 else None
    if not isinstance(clip, torch.Tensor) or clip.dim() != 5:
        shapes = [tuple(inputs.shape)] if isinstance(inputs, torch.Tensor) else [tuple(t.shape) for t in inputs]
        raise ValueError(f"{model} takes a clip [B, C, T, H, W] or a list of one; got shapes {shapes}")
    return clip
