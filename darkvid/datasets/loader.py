"""build_loader: a split's dataset in a torch DataLoader with darkvid's batch layout.

Batches are `(inputs, labels, indices, meta)`: inputs a list of one tensor [B, C, T, H, W], labels
and indices int64 [B], meta a dict of tensors with B rows. Repeated augmentation (k copies of a
clip) is flattened, so B = batch * k with the copies of an item next to each other.
"""
from __future__ import annotations

import math
import random
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.distributed as dist
from fvcore.common.config import CfgNode
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from .build import build_dataset

Batch = Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor, Dict[str, torch.Tensor]]


def collate_clips(batch: Sequence[Tuple[List[torch.Tensor], int, int, Dict[str, Any]]]) -> Batch:
    """Stack dataset items into a batch, flattening repeated-augmentation copies."""
    clips = [item[0][0] for item in batch]
    copies = 1 if clips[0].dim() == 4 else clips[0].shape[0]
    inputs = torch.stack(clips) if copies == 1 else torch.cat(clips)
    labels = torch.as_tensor([item[1] for item in batch], dtype=torch.int64).repeat_interleave(copies)
    indices = torch.as_tensor([item[2] for item in batch], dtype=torch.int64).repeat_interleave(copies)
    meta = {key: _stack_meta([item[3][key] for item in batch]).repeat_interleave(copies, dim=0)
            for key in batch[0][3]}
    return [inputs], labels, indices, meta


def _stack_meta(values: List[Any]) -> torch.Tensor:
    if isinstance(values[0], torch.Tensor):
        return torch.stack(values)
    if isinstance(values[0], bool):
        return torch.as_tensor(values, dtype=torch.bool)
    if isinstance(values[0], int):
        return torch.as_tensor(values, dtype=torch.int64)
    return torch.as_tensor(values, dtype=torch.float32)


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
