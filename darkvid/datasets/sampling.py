"""Which frames of a video make a clip: pure functions of the video length.

`uniform_indices` is the seed's `Ug2_sparse.get_seq_frames` (TRAIN/TEST.DATASET ug2_sparse) and
`dense_indices` is PySlowFast's `get_start_end_idx` + `temporal_sampling` at the video's own frame
rate (ug2). Indices are always inside [0, length - 1]: short videos repeat frames.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np

SAMPLING_BY_DATASET = {"ug2_sparse": "uniform", "ug2": "dense"}


def uniform_indices(
    length: int, num_frames: int, *, view: Optional[int] = None, num_views: int = 1, rng: Any = random
) -> List[int]:
    """One frame from each of `num_frames` equal segments of the video.

    Args:
        length: frames in the video (at least 1).
        num_frames: frames in the clip.
        view: None draws a random frame in each segment (training); k takes the k-th of
            `num_views` evenly spaced offsets inside every segment (testing), as the seed did.
        num_views: temporal views per video in testing.
        rng: source of randomness with `randint` (the `random` module by default).
    """
    _check_length(length)
    seg = (length - 1) / num_frames
    step = seg / (num_views + 1)
    out = []
    for i in range(num_frames):
        start = int(round(seg * i))
        if view is None:
            out.append(rng.randint(start, int(round(seg * (i + 1)))))
        else:
            out.append(start + int(step * (view + 1)))
    return [min(max(i, 0), length - 1) for i in out]


def dense_indices(
    length: int,
    num_frames: int,
    sampling_rate: int,
    *,
    view: Optional[int] = None,
    num_views: int = 1,
    use_offset: bool = False,
    rng: Any = random,
) -> List[int]:
    """`num_frames` frames spread over a window of `num_frames * sampling_rate` frames.

    Args:
        length: frames in the video (at least 1).
        num_frames: frames in the clip.
        sampling_rate: frame stride; the window spans num_frames * sampling_rate frames.
        view: None starts the window at random (training); k places it k-th of `num_views`
            evenly spaced windows (testing).
        num_views: temporal views per video in testing.
        use_offset: testing windows run from the first to the last frame (PySlowFast's
            USE_OFFSET_SAMPLING) instead of starting at k / num_views of the slack.
        rng: source of randomness with `uniform`.
    """
    _check_length(length)
    window = num_frames * sampling_rate
    slack = max(length - window, 0)
    if view is None:
        start = rng.uniform(0, slack)
    elif use_offset:
        start = math.floor(slack / 2) if num_views == 1 else view * math.floor(slack / (num_views - 1))
    else:
        start = slack * view / num_views
    positions = np.linspace(start, start + window - 1, num_frames)
    return np.clip(positions, 0, length - 1).astype(np.int64).tolist()


@dataclass(frozen=True)
class FrameSampler:
    """Frame indices for a clip, configured once per dataset.

    Attributes:
        kind: "uniform" (ug2_sparse) or "dense" (ug2).
        num_frames: frames per clip.
        sampling_rate: stride of dense sampling.
        num_views: temporal views per video in testing.
        use_offset: dense test windows spread from first to last frame.
    """

    kind: str
    num_frames: int
    sampling_rate: int = 1
    num_views: int = 1
    use_offset: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "dense"):
            raise ValueError(f"unknown frame sampling {self.kind!r}; expected 'uniform' or 'dense'")

    def __call__(self, length: int, view: Optional[int] = None, rng: Any = random) -> List[int]:
        """Indices for a video of `length` frames; view None samples at random (training)."""
        if self.kind == "uniform":
            return uniform_indices(length, self.num_frames, view=view, num_views=self.num_views, rng=rng)
        return dense_indices(
            length, self.num_frames, self.sampling_rate, view=view, num_views=self.num_views,
            use_offset=self.use_offset, rng=rng,
        )


def _check_length(length: int) -> None:
    if length < 1:
        raise ValueError(f"cannot sample frames from a video of {length} frames")
