"""One video -> the test clips of every ensemble member, decoded once, in a loader worker.

Each member keeps the tester's treatment of the test split (`VideoDataset` in test mode): its
sampler's frames per temporal view, gamma applied to each view's frames, then crops 0/1/2 when it
takes three crops (the centre crop otherwise). The frames every member and view need are decoded
in one pass over the file.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from darkvid.datasets.decoding import FrameReader, VideoDecodeError
from darkvid.datasets.gamma import GammaCorrection
from darkvid.datasets.sampling import FrameSampler
from darkvid.datasets.spatial import test_crop_index
from darkvid.datasets.transforms import EvalTransform


@dataclass(frozen=True)
class ClipPlan:
    """How one member turns a video into clips: views x crops of its sampler, transform and gamma.

    `network` names the member's network: members of one network that need the same clip (the
    1x3 member's view is the 3x3 member's middle view) share one clip and one forward pass.
    """

    sampler: FrameSampler
    transform: EvalTransform
    gamma: GammaCorrection | None
    crops: int
    network: int = 0

    @property
    def num_clips(self) -> int:
        """Clips per video: temporal views x spatial crops."""
        return self.sampler.num_views * self.crops


@dataclass
class VideoClips:
    """A decoded video (or the reason it could not be), as a worker hands it to the predictor.

    Attributes:
        index: position in the input order.
        path: the video file.
        clips: per network, its distinct clips, float [U, C, T, H, W].
        slots: per plan, the rows of its network's `clips` that are its views x crops (view-major,
            as the dataset's items).
        brightness: mean raw pixel value of the sampled frames, in [0, 1].
        gammas: every gamma applied (one per member view); empty without correction.
        frames: the frame count the decoder reported.
        error: why the video has no prediction; empty when it has one.
    """

    index: int
    path: str
    clips: list[torch.Tensor] = field(default_factory=list)
    slots: list[list[int]] = field(default_factory=list)
    brightness: float = float("nan")
    gammas: list[float] = field(default_factory=list)
    frames: int = 0
    error: str = ""


def make_clips(reader: FrameReader, plans: Sequence[ClipPlan], index: int, path: Path) -> VideoClips:
    """Decode the frames all `plans` need from `path` and build their distinct clips."""
    spans: list = []
    lengths: list = []

    def choose(length: int) -> list[int]:
        spans.clear()
        lengths.append(length)
        wanted: list[int] = []
        for plan in plans:
            for view in range(plan.sampler.num_views):
                picked = plan.sampler(length, view)
                spans.append((len(wanted), tuple(picked)))
                wanted.extend(picked)
        return wanted

    frames = reader.read(path, choose)
    out = VideoClips(index, str(path), frames=lengths[-1],
                     brightness=float(np.mean(frames, dtype=np.float64)) / 255.0)
    networks = max(plan.network for plan in plans) + 1
    unique: list[list[torch.Tensor]] = [[] for _ in range(networks)]
    seen: dict = {}
    spans_left = iter(spans)
    for plan in plans:
        slots = []
        for _ in range(plan.sampler.num_views):
            start, picked = next(spans_left)
            view_frames, gamma = frames[start:start + len(picked)], None
            if plan.gamma is not None:
                view_frames, gamma = plan.gamma(view_frames)
                out.gammas.append(float(gamma))
            for crop in range(plan.crops):
                spatial = test_crop_index(crop, plan.crops)
                key = (plan.network, picked, gamma, repr(plan.transform), spatial)
                if key not in seen:
                    seen[key] = len(unique[plan.network])
                    unique[plan.network].append(plan.transform(view_frames, spatial))
                slots.append(seen[key])
        out.slots.append(slots)
    out.clips = [torch.stack(clips) if clips else torch.zeros(0) for clips in unique]
    return out


class VideoStream(IterableDataset):
    """Clips of every video of `paths()`, split across loader workers by position (i % workers).

    `paths` is called again in each worker, so it must give the same sequence every time. A video
    that fails for any reason comes out as a `VideoClips` with `error` set, never as an exception.
    """

    def __init__(self, paths: Callable[[], Iterable[Path]], reader: FrameReader, plans: Sequence[ClipPlan]) -> None:
        self.paths = paths
        self.reader = reader
        self.plans = list(plans)

    def __iter__(self) -> Iterator[VideoClips]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        for index, path in enumerate(self.paths()):
            if index % workers != worker:
                continue
            try:
                yield make_clips(self.reader, self.plans, index, Path(path))
            except Exception as err:  # noqa: BLE001 - one bad file must not stop the others
                yield VideoClips(index, str(path), error=_reason(err))


def _reason(err: Exception) -> str:
    # Decode errors already name the file and the problem; others get their type for context.
    text = str(err).strip()
    return text if isinstance(err, VideoDecodeError) and text else f"{type(err).__name__}: {text}"


def passthrough(item: VideoClips) -> VideoClips:
    """The loader's collate function: each item is one whole video."""
    return item
