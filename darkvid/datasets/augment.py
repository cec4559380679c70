"""timm's RandAugment and random erasing, made to treat a clip as one image.

timm draws its random choices per call, so applying it frame by frame would augment every frame
differently; here every frame replays the same random draws.
"""
from __future__ import annotations

import random
from typing import Dict, List, Tuple

import numpy as np
import torch
from PIL import Image
from timm.data.auto_augment import rand_augment_transform
from timm.data.random_erasing import RandomErasing
from timm.data.transforms import str_to_pil_interp


class ClipRandAugment:
    """RandAugment with the same operations and magnitudes on every frame of a clip.

    Args:
        policy: timm policy string, e.g. "rand-m9-mstd0.5-inc1" (AUG.AA_TYPE).
        interpolation: resampling of the geometric operations (AUG.INTERPOLATION).
    """

    def __init__(self, policy: str, interpolation: str = "bicubic") -> None:
        if not policy.startswith("rand"):
            raise ValueError(f"AUG.AA_TYPE {policy!r}: only RandAugment policies ('rand-...') are supported")
        self.policy = policy
        self.interpolation = interpolation
        self._by_size: Dict[Tuple[int, int], object] = {}

    def _transform(self, height: int, width: int):
        key = (height, width)
        if key not in self._by_size:
            # Translations scale with the frame, as PySlowFast's create_random_augment sets them.
            hparams = {"translate_const": int(min(height, width) * 0.45)}
            if self.interpolation and self.interpolation != "random":
                hparams["interpolation"] = str_to_pil_interp(self.interpolation)
            self._by_size[key] = rand_augment_transform(self.policy, hparams)
        return self._by_size[key]

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Augment uint8 frames [T, H, W, 3]; returns a new uint8 array of the same shape."""
        transform = self._transform(frames.shape[1], frames.shape[2])
        py_state, np_state = random.getstate(), np.random.get_state()
        out: List[np.ndarray] = []
        for frame in frames:
            random.setstate(py_state)
            np.random.set_state(np_state)
            out.append(np.asarray(transform(Image.fromarray(frame))))
        return np.stack(out)


class ClipRandomErasing:
    """timm random erasing whose boxes are the same in every frame of a clip.

    Args:
        probability: chance of erasing a clip (AUG.RE_PROB).
        mode: fill of the boxes: const, rand or pixel (AUG.RE_MODE).
        count: maximum boxes per clip (AUG.RE_COUNT).
    """

    def __init__(self, probability: float, mode: str = "pixel", count: int = 1) -> None:
        self._erase = RandomErasing(probability, mode=mode, max_count=count, device="cpu")

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """Erase normalised float frames [T, C, H, W]; the clip is treated as one image of T*C channels."""
        height, width = frames.shape[-2:]
        flat = frames.reshape(-1, height, width)
        return self._erase(flat).reshape(frames.shape)
