"""Which test clips of one views x crops setting are also clips of a larger one.

The seed predicts the same split several times (1x1, 1x3 and 3x3): with uniform sampling the one
temporal view is the middle of three and the one crop is the centre of three, so the smaller
settings' clips are all among the 3x3 ones. The tester predicts the largest setting once and
aggregates the others from its clips. Whether a clip is shared is decided here by comparing what
defines it (the frame indices at every video length checked and the spatial crop), never assumed.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence

from .sampling import FrameSampler
from .spatial import test_crop_index

# Video lengths (frames) at which two views must pick the same frames to count as one clip: every
# length up to 1024, then a few long ones (real ARID clips have a few hundred frames).
CHECKED_LENGTHS: Sequence[int] = (*range(1, 1025), 1500, 2048, 4099, 10007)


@dataclasses.dataclass(frozen=True)
class ClipSetting:
    """One test setting of a split: how frames are sampled (its num_views) and how many crops."""

    sampler: FrameSampler
    num_crops: int

    @property
    def clips_per_video(self) -> int:
        return self.sampler.num_views * self.num_crops


def _frames_of(sampler: FrameSampler, view: int) -> List[tuple]:
    return [tuple(sampler(length, view)) for length in CHECKED_LENGTHS]


def shared_positions(small: ClipSetting, large: ClipSetting) -> Optional[List[int]]:
    """For each clip of `small` (view-major, as the dataset orders them), its position among `large`'s clips.

    Returns None unless every clip of `small` has a twin in `large`: the same frames at every
    checked length and the same spatial crop.
    """
    if dataclasses.replace(small.sampler, num_views=1) != dataclasses.replace(large.sampler, num_views=1):
        return None
    large_views = [_frames_of(large.sampler, v) for v in range(large.sampler.num_views)]
    positions = []
    for view in range(small.sampler.num_views):
        frames = _frames_of(small.sampler, view)
        twins = [v for v, other in enumerate(large_views) if other == frames]
        if not twins:
            return None
        for crop in range(small.num_crops):
            spatial = test_crop_index(crop, small.num_crops)
            same = [c for c in range(large.num_crops) if test_crop_index(c, large.num_crops) == spatial]
            if not same:
                return None
            positions.append(twins[0] * large.num_crops + same[0])
    return positions
