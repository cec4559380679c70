"""VideoDataset: records -> sampled frames -> (gamma) -> transformed clips, PySlowFast-style items."""
from __future__ import annotations

import logging
import multiprocessing
import random
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from .decoding import FrameReader, VideoDecodeError
from .gamma import GammaCorrection
from .records import VideoRecord
from .sampling import FrameSampler
from .transforms import EvalTransform, TrainTransform

logger = logging.getLogger(__name__)

Item = Tuple[List[torch.Tensor], int, int, Dict[str, Any]]


class VideoDataset(Dataset):
    """Clips of the videos listed in `records`.

    Training mode gives one randomly sampled and augmented clip per video (`num_samples` augmented
    copies of it stacked on a leading axis when above 1); a bad video is replaced by a random other
    one. Test mode gives `views * crops` clips per video: item i is video i // (views * crops),
    view (i % (views * crops)) // crops, crop i % crops.

    Args:
        records: the split's videos.
        reader: decoder (or cache) of the frames.
        sampler: frame indices of a clip; its num_views is the test views per video.
        transform: `TrainTransform` in training, `EvalTransform` in testing.
        training: training mode (random sampling, augmentation, replacement of bad videos).
        gamma: correction applied to the decoded frames, or None.
        num_crops: spatial crops per view in testing (1: centre, 3: left/centre/right).
        num_samples: augmented copies per decoded training clip (AUG.NUM_SAMPLE).
        skip_bad: in testing, give an invalid all-zero clip for a bad video instead of raising.
        max_retries: replacement videos tried per training item before giving up.
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
        self.name = name
        self._skipped = multiprocessing.Value("i", 0)
        self._warned: Set[str] = set()
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

    def __getitem__(self, index: int) -> Item:
        if self.training:
            return self._training_item(index)
        return self._test_item(index)

    def _frames(self, video_index: int, view: Optional[int]) -> Tuple[np.ndarray, float]:
        record = self.records[video_index]
        frames = self.reader.read(record.path, lambda length: self.sampler(length, view))
        if self.gamma is None:
            return frames, 1.0
        return self.gamma(frames)

    def _training_item(self, index: int) -> Item:
        video_index, tried = index, []
        for _ in range(self.max_retries + 1):
            try:
                frames, gamma = self._frames(video_index, None)
                break
            except VideoDecodeError as err:
                self._note_bad(err)
                tried.append(str(self.records[video_index].path))
                video_index = random.randrange(self.num_videos)
        else:
            raise RuntimeError(f"{self.name}: no decodable video after {len(tried)} tries: {tried}")
        clips = [self.transform(frames) for _ in range(self.num_samples)]
        clip = clips[0] if self.num_samples == 1 else torch.stack(clips)
        meta = self._meta(video_index, view=0, crop=0, valid=True, gamma=gamma)
        return [clip], self.records[video_index].label, index, meta

    def _test_item(self, index: int) -> Item:
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
            meta = self._meta(video_index, view=view, crop=crop, valid=False, gamma=1.0)
            return [clip], self.records[video_index].label, index, meta
        clip = self.transform(frames, crop if self.num_crops == 3 else 1)
        meta = self._meta(video_index, view=view, crop=crop, valid=True, gamma=gamma)
        return [clip], self.records[video_index].label, index, meta

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

    def _meta(self, video_index: int, *, view: int, crop: int, valid: bool, gamma: float) -> Dict[str, Any]:
        meta: Dict[str, Any] = {
            "video_index": video_index, "view": view, "crop": crop, "valid": valid, "gamma": gamma,
        }
        probs = self.records[video_index].probs
        if probs is not None:
            meta["probs"] = torch.from_numpy(probs)
        return meta

    def _note_bad(self, err: VideoDecodeError) -> None:
        # Training counts every replacement; testing counts each bad video once per process.
        message = str(err)
        first = message not in self._warned
        if first or self.training:
            with self._skipped.get_lock():
                self._skipped.value += 1
        if first:
            self._warned.add(message)
            action = "skipped" if self.training else "marked invalid"
            logger.warning("%s: bad video %s: %s", self.name, action, message)
