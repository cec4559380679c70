"""Which test clips of one views x crops setting are also clips of a larger one.

The seed predicts the same split several times (1x1, 1x3 and 3x3): with uniform sampling the one
temporal view is the middle of three and the one crop is the centre of three, so the smaller
settings' clips are all among the 3x3 ones. The tester predicts the largest setting once and
aggregates the others from its clips. Whether a clip is shared is decided here by comparing what
defines it (the frame indices at every video length checked and the spatial crop), never assumed.

Two splits can hold the same videos too: the seed's pseudo-label pool (total_unlabel) is the
unlabelled dark videos plus every ARID clip, so the tester's ARID prediction of each stage would
repeat a third of the pool's at full scale. A split's clips are taken from another's only when
each of its videos is the same file there (`file_keys`, `same_files`: one inode, links followed, as
tools/prepare_data.py and the synthetic set lay ARID out) and both splits treat frames alike
(`same_frame_treatment`); a name match is never enough.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

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


FileKey = Tuple[int, int]


def file_keys(paths: Sequence[Path]) -> Optional[List[FileKey]]:
    """(device, inode) of each video file, links followed; None when one cannot be read.

    A split whose files cannot all be read is predicted on its own and reports the error there.
    """
    try:
        return [(stat.st_dev, stat.st_ino) for stat in map(os.stat, paths)]
    except OSError:
        return None


def same_files(small: Sequence[FileKey], large: Sequence[FileKey]) -> Optional[List[int]]:
    """For each file of `small` (its `file_keys`), the row of the same file in `large`; None unless all are there."""
    rows: dict = {}
    for row, key in enumerate(large):
        rows.setdefault(key, row)
    found = [rows.get(key) for key in small]
    return None if None in found else found


def same_frame_treatment(a: Any, b: Any) -> bool:
    """Whether two test-mode datasets of one run process a video's frames alike (their gamma / dark-frame step).

    Views of one run differ only in split, views and crops (engine/tester.py `test_views`), so the
    reader, sampler settings and spatial transform are the same; the split decides the frame
    treatment (DATA.GAMMA_SPLITS, DATA.NOISE_AUG_SPLITS). Random noise is never shared, and a
    dataset that does not say how it treats frames (no `gamma` attribute) shares nothing.
    """
    unknown = object()
    gamma_a, gamma_b = getattr(a, "gamma", unknown), getattr(b, "gamma", unknown)
    if unknown in (gamma_a, gamma_b) or getattr(a, "training", True) or getattr(b, "training", True):
        return False
    return gamma_a == gamma_b and getattr(gamma_a, "noise_std", 0.0) <= 0
