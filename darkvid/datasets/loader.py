"""build_loader: a split's dataset in a torch DataLoader whose batches are `Batch` objects.

Repeated augmentation (k copies of a clip) is flattened, so B = batch * k with the copies of an
item next to each other.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.distributed as dist
from fvcore.common.config import CfgNode
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from .build import build_dataset
from .dataset import ClipItem


@dataclass
class Batch:
    """B clips and what the engine needs to know about each (all tensors have B rows).

    Attributes:
        clips: float32 [B, C, T, H, W]; every model takes this tensor as it is.
        labels: int64 class indices, -1 where unlabelled.
        indices: int64 dataset indices (place test clips by video, view and crop).
        valid: bool, False for stand-ins of undecodable test videos.
        video_index, view, crop: int64 origin of each clip.
        gamma: float32 gamma applied to each clip (1.0: none).
        probs: float32 [B, num_classes] pseudo-label probabilities, or None.
        bad_videos: bad training videos replaced while making this batch (DATA.MAX_BAD_VIDEOS).
    """

    clips: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor
    valid: torch.Tensor
    video_index: torch.Tensor
    view: torch.Tensor
    crop: torch.Tensor
    gamma: torch.Tensor
    probs: Optional[torch.Tensor] = None
    bad_videos: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return self.clips.shape[0]

    def pin_memory(self) -> "Batch":
        """The batch in pinned host memory (the DataLoader calls this with DATA_LOADER.PIN_MEMORY)."""
        fields = {name: value.pin_memory() if isinstance(value, torch.Tensor) else value
                  for name, value in vars(self).items()}
        return Batch(**fields)


def collate_clips(items: Sequence[ClipItem]) -> Batch:
    """Stack dataset items into a batch, flattening repeated-augmentation copies."""
    first = items[0].clip
    copies = 1 if first.dim() == 4 else first.shape[0]
    clips = torch.stack([item.clip for item in items]) if copies == 1 else torch.cat([item.clip for item in items])

    def column(name: str, dtype: torch.dtype) -> torch.Tensor:
        values = torch.as_tensor([getattr(item, name) for item in items], dtype=dtype)
        return values.repeat_interleave(copies)

    probs = None
    if items[0].probs is not None:
        probs = torch.stack([item.probs for item in items]).repeat_interleave(copies, dim=0)
    return Batch(
        clips=clips,
        labels=column("label", torch.int64),
        indices=column("index", torch.int64),
        valid=column("valid", torch.bool),
        video_index=column("video_index", torch.int64),
        view=column("view", torch.int64),
        crop=column("crop", torch.int64),
        gamma=column("gamma", torch.float32),
        probs=probs,
        bad_videos=tuple(name for item in items for name in item.bad_videos),
    )


class OrderedShardSampler(Sampler[int]):
    """Contiguous, order-keeping shards of a test set, one per process.

    Every shard has ceil(N / world) indices (the last ones padded with index N - 1), so that
    all-gathers get equal sizes; place predictions by the batch's `indices` to drop the padding.
    """

    def __init__(self, length: int, num_replicas: int, rank: int) -> None:
        per_rank = math.ceil(length / num_replicas)
        start = min(rank * per_rank, length)
        shard = list(range(start, min(start + per_rank, length)))
        self.indices = shard + [length - 1] * (per_rank - len(shard))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def seed_worker(worker_id: int) -> None:
    """Seed Python's and NumPy's generators from torch's per-worker seed (set by the loader)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def build_loader(
    cfg: CfgNode,
    split: str,
    *,
    training: Optional[bool] = None,
    gamma: Optional[bool] = None,
    batch_size: Optional[int] = None,
    shuffle: Optional[bool] = None,
    drop_last: Optional[bool] = None,
    num_workers: Optional[int] = None,
) -> DataLoader:
    """A DataLoader over `split` (see `build_dataset` for `training` and `gamma`).

    Args:
        batch_size: clips per batch in this process; None: TRAIN.BATCH_SIZE (or TEST.BATCH_SIZE)
            divided by the number of processes.
        shuffle: None shuffles in training only.
        drop_last: None drops the last partial batch in training only.
        num_workers: None uses DATA_LOADER.NUM_WORKERS.

    Under torch.distributed, training uses a DistributedSampler seeded with RNG_SEED (call its
    `set_epoch` every epoch) and testing an `OrderedShardSampler`.
    """
    dataset = build_dataset(cfg, split, training=training, gamma=gamma)
    training = dataset.training
    shuffle = training if shuffle is None else shuffle
    drop_last = training if drop_last is None else drop_last
    distributed = dist.is_available() and dist.is_initialized()
    world, rank = (dist.get_world_size(), dist.get_rank()) if distributed else (1, 0)
    if batch_size is None:
        total = cfg.TRAIN.BATCH_SIZE if training else cfg.TEST.BATCH_SIZE
        batch_size = max(total // world, 1)
    sampler = None
    if distributed and training:
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=cfg.RNG_SEED, drop_last=drop_last)
    elif distributed:
        sampler = OrderedShardSampler(len(dataset), world, rank)
    workers = cfg.DATA_LOADER.NUM_WORKERS if num_workers is None else num_workers
    generator = torch.Generator()
    generator.manual_seed(cfg.RNG_SEED + rank)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=workers,
        pin_memory=cfg.DATA_LOADER.PIN_MEMORY and torch.cuda.is_available(),
        drop_last=drop_last,
        collate_fn=collate_clips,
        worker_init_fn=seed_worker,
        generator=generator,
        persistent_workers=workers > 0,
    )
