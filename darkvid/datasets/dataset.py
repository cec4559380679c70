"""VideoDataset: records -> sampled frames -> (gamma) -> transformed clips, one `ClipItem` each."""
from __future__ import annotations

import logging
import multiprocessing
import random
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Set, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from .decoding import FrameReader, VideoDecodeError
from .gamma import GammaCorrection
from .records import VideoRecord
from .sampling import FrameSampler
from .spatial import test_crop_index
from .transforms import EvalTransform, TrainTransform

logger = logging.getLogger(__name__)



class BadVideosError(RuntimeError):
    """More distinct bad training videos than DATA.MAX_BAD_VIDEOS allows; the message names them."""


@dataclass
class ClipItem:
    """One dataset item: a clip and where it comes from.

    Attributes:
        clip: float32 [C, T, H, W], or [k, C, T, H, W] for k repeated-augmentation copies.
        label: class index, -1 for an unlabelled video.
        index: the dataset index asked for (test mode: video * clips_per_video + clip).
        video_index: the row of the video the clip was read from (in training it differs from
            `index` only when a bad video was replaced).
        view: temporal view (test mode).
        crop: spatial crop (test mode).
        valid: False for the all-zero stand-in of an undecodable test video.
        gamma: the gamma applied to the frames (1.0: none).
        probs: the pseudo-label CSV's class probabilities [num_classes], or None.
        bad_videos: bad training videos replaced while making this item (DATA.MAX_BAD_VIDEOS).
    """

    clip: torch.Tensor
    label: int
    index: int
    video_index: int
    view: int = 0
    crop: int = 0
    valid: bool = True
    gamma: float = 1.0
    probs: Optional[torch.Tensor] = None
    bad_videos: Tuple[str, ...] = ()


class VideoDataset(Dataset):
    """Clips of the videos listed in `records`.

    Training mode gives one randomly sampled and augmented clip per video (`num_samples` augmented
    copies of it stacked on a leading axis when above 1). A bad (missing or undecodable) training
    video raises `BadVideosError` naming it, unless `max_bad` allows more distinct bad videos: then
    it is replaced by a random other one and named in the item's `bad_videos`. Test mode gives
    `views * crops` clips per video: item i is video i // (views * crops), view
    (i % (views * crops)) // crops, crop i % crops.

    Args:
        records: the split's videos.
        reader: decoder (or cache) of the frames.
        sampler: frame indices of a clip; its num_views is the test views per video.
        transform: `TrainTransform` in training, `EvalTransform` in testing.
        training: training mode (random sampling, augmentation).
        gamma: correction applied to the decoded frames, or None.
        num_crops: spatial crops per view in testing (1: centre, 3: left/centre/right).
        num_samples: augmented copies per decoded training clip (AUG.NUM_SAMPLE).
        skip_bad: in testing, give an invalid all-zero clip for a bad video instead of raising.
        max_retries: replacement videos tried per training item before giving up.
        max_bad: distinct bad training videos tolerated (and replaced) in this process.
        name: the split name, for messages.
    """

    def __init__(
        self,
        records: Sequence[VideoRecord],
        *,
        reader: FrameReader,
        sampler: FrameSampler,
        transform: TrainTransform | EvalTransform,
        training: bool,
        gamma: Optional[GammaCorrection] = None,
        num_crops: int = 1,
        num_samples: int = 1,
        skip_bad: bool = False,
        max_retries: int = 10,
        max_bad: int = 0,
        name: str = "",
    ) -> None:
        self.records = list(records)
        self.reader = reader
        self.sampler = sampler
        self.transform = transform
        self.training = training
        self.gamma = gamma
        self.num_crops = 1 if training else num_crops
        self.num_views = 1 if training else sampler.num_views
        self.num_samples = num_samples if training else 1
        self.skip_bad = skip_bad
        self.max_retries = max_retries
        self.max_bad = max_bad
        self.name = name
        self._skipped = multiprocessing.Value("i", 0)
        self._warned: Set[str] = set()
        self._bad_training: List[str] = []
        self._memo: Optional[Tuple[Tuple[int, int], Any]] = None

    @property
    def num_videos(self) -> int:
        """Videos in the split (rows of its CSV)."""
        return len(self.records)

    @property
    def clips_per_video(self) -> int:
        """Items per video: 1 in training, views * crops in testing."""
        return self.num_views * self.num_crops

    @property
    def skipped_videos(self) -> int:
        """Bad videos met so far, summed over the loader's worker processes."""
        return self._skipped.value

    def __len__(self) -> int:
        return self.num_videos * self.clips_per_video

    def __getitem__(self, index: int) -> ClipItem:
        if self.training:
            return self._training_item(index)
        return self._test_item(index)

    def _frames(self, video_index: int, view: Optional[int]) -> Tuple[np.ndarray, float]:
        record = self.records[video_index]
        frames = self.reader.read(record.path, lambda length: self.sampler(length, view))
        if self.gamma is None:
            return frames, 1.0
        return self.gamma(frames)

    def _training_item(self, index: int) -> ClipItem:
        video_index, bad = index, []
        for _ in range(self.max_retries + 1):
            try:
                frames, gamma = self._frames(video_index, None)
                break
            except VideoDecodeError as err:
                bad.append(self._allow_bad_training_video(video_index, err))
                self._note_bad(err)
                video_index = random.randrange(self.num_videos)
        else:
            raise RuntimeError(f"{self.name}: no decodable video after {len(bad)} tries: {bad}")
        clips = [self.transform(frames) for _ in range(self.num_samples)]
        clip = clips[0] if self.num_samples == 1 else torch.stack(clips)
        return self._item(index, video_index, clip, gamma=gamma, bad_videos=tuple(bad))

    def _allow_bad_training_video(self, video_index: int, err: VideoDecodeError) -> str:
        """Name a bad training video, or raise once more distinct ones were met than `max_bad`."""
        path = str(self.records[video_index].path)
        if path not in self._bad_training:
            self._bad_training.append(path)
        if len(self._bad_training) > self.max_bad:
            raise BadVideosError(
                f"{self.name}: {len(self._bad_training)} bad training video(s), DATA.MAX_BAD_VIDEOS allows "
                f"{self.max_bad}: {', '.join(self._bad_training)} (last: {err})"
            ) from err
        return path

    def _test_item(self, index: int) -> ClipItem:
        video_index, clip_index = divmod(index, self.clips_per_video)
        view, crop = divmod(clip_index, self.num_crops)
        try:
            frames, gamma = self._test_frames(video_index, view)
        except VideoDecodeError as err:
            if not self.skip_bad:
                raise
            self._note_bad(err)
            size = self.transform.crop_size
            clip = torch.zeros(3, self.sampler.num_frames, size, size)
            return self._item(index, video_index, clip, view=view, crop=crop, valid=False)
        clip = self.transform(frames, test_crop_index(crop, self.num_crops))
        return self._item(index, video_index, clip, view=view, crop=crop, gamma=gamma)

    def _test_frames(self, video_index: int, view: int) -> Tuple[np.ndarray, float]:
        # The crops of one view need the same frames, and a loader worker gets them in a row.
        key = (video_index, view)
        if self._memo is None or self._memo[0] != key:
            try:
                self._memo = (key, self._frames(video_index, view))
            except VideoDecodeError as err:
                self._memo = (key, err)
        result = self._memo[1]
        if isinstance(result, VideoDecodeError):
            raise result
        return result

    def _item(self, index: int, video_index: int, clip: torch.Tensor, **fields: Any) -> ClipItem:
        record = self.records[video_index]
        probs = torch.from_numpy(record.probs) if record.probs is not None else None
        return ClipItem(clip, record.label, index, video_index, probs=probs, **fields)

    def _note_bad(self, err: VideoDecodeError) -> None:
        # Training counts every replacement; testing counts each bad video once per process.
        message = str(err)
        first = message not in self._warned
        if first or self.training:
            with self._skipped.get_lock():
                self._skipped.value += 1
        if first:
            self._warned.add(message)
            action = "replaced (DATA.MAX_BAD_VIDEOS)" if self.training else "marked invalid"
            logger.warning("%s: bad video %s: %s", self.name, action, message)
