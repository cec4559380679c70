"""Small stand-ins for the engine's tests: two tiny registered networks and an in-memory data API.

The data API mirrors darkvid.datasets' `build_loader` contract: `ClipItem`s collated into
`Batch`es by the real `collate_clips`, test-mode datasets of `num_videos * clips` items, and a DistributedSampler
(world size 1 without a process group), so one- and two-process runs see the same global batches.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from darkvid.config import get_cfg, merge_overrides, validate_config
from darkvid.datasets.build import SPLITS, config_value
from darkvid.datasets.dataset import ClipItem
from darkvid.datasets.loader import collate_clips
from darkvid.engine.distributed import get_rank, get_world_size
from darkvid.models import MODEL_REGISTRY, register_model
from darkvid.models.inputs import as_clip

NUM_CLASSES = 11
CLIP_SHAPE = (3, 2, 4, 4)
TRAIN_SPLITS = ("train_label", "train_unlabel", "train_pseudo_label")


class TinyLinear(nn.Module):
    """BN-free: pooled pixels -> linear classifier (deterministic, so DDP must match one process)."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.head = nn.Linear(3 * 2 * 2 * 2, num_classes)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool3d(as_clip(x, "TinyLinear"), 2).flatten(1))


class TinyBN(nn.Module):
    """A 1x1x1 conv, BatchNorm3d, and a linear classifier."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, kernel_size=1)
        self.bn = nn.BatchNorm3d(4)
        self.head = nn.Linear(4, num_classes)

    def forward(self, x):
        return self.head(F.relu(self.bn(self.conv(as_clip(x, "TinyBN")))).mean(dim=(2, 3, 4)))


class TinyLN(nn.Module):
    """LayerNorm only, like MViT."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(3)
        self.head = nn.Linear(3, num_classes)

    def forward(self, x):
        return self.head(self.norm(as_clip(x, "TinyLN").mean(dim=(2, 3, 4))))


for _name, _cls in (("test_linear", TinyLinear), ("test_bn", TinyBN)):
    if _name not in MODEL_REGISTRY:
        register_model(_name)(lambda cfg, _cls=_cls: _cls(cfg.MODEL.NUM_CLASSES))


class Interrupted(RuntimeError):
    """Simulates a run killed mid-way."""


class FakeClips(Dataset):
    """`num_videos` synthetic videos; each item is one clip whose mean depends on its video's label."""

    def __init__(self, split: str, num_videos: int, clips: int, training: bool, nan: bool = False,
                 crash_after: Optional[int] = None, jitter: bool = True, bad: Sequence[int] = ()) -> None:
        self.split, self.num_videos, self.clips, self.training, self.nan = split, num_videos, clips, training, nan
        self.bad = set(bad) if training else set()  # videos replaced as darkvid.datasets does (DATA.MAX_BAD_VIDEOS)
        self.jitter = jitter and training
        self.crash_after, self.served = crash_after, 0

    def __len__(self) -> int:
        return self.num_videos * self.clips

    @property
    def records(self) -> list:
        """Stand-ins for VideoRecords: the tester takes each video's id from `rel_path`."""
        return [SimpleNamespace(rel_path=f"{self.split}/{video}.mp4") for video in range(self.num_videos)]

    def __getitem__(self, index: int):
        if self.crash_after is not None and self.served >= self.crash_after:
            raise Interrupted(f"stopped after {self.served} items")
        self.served += 1
        video, clip = divmod(index, self.clips)
        label = video % NUM_CLASSES
        gen = torch.Generator().manual_seed(zlib.crc32(f"{self.split}/{video}/{clip}".encode()))
        frames = torch.randn(CLIP_SHAPE, generator=gen) + label / 5.0
        if self.jitter:
            frames = frames + 0.1 * torch.randn(CLIP_SHAPE)  # draws from the global generator, as augmentation
        if self.nan:
            frames = frames * float("nan")
        pseudo = self.split == "train_pseudo_label"
        probs = F.softmax(torch.randn(NUM_CLASSES, generator=gen), dim=0) if pseudo else None
        replaced = (f"{self.split}/{video}.mp4",) if video in self.bad else ()
        return ClipItem(frames, label, index, video, view=clip, probs=probs, bad_videos=replaced)


class FakeData:
    """Stand-in for darkvid.datasets: `build_loader(cfg, split, ...)` over FakeClips."""

    def __init__(self, videos: Optional[Dict[str, int]] = None, nan: bool = False,
                 crash_after: Optional[int] = None, jitter: bool = True,
                 bad: Optional[Dict[str, Sequence[int]]] = None) -> None:
        self.bad = bad or {}
        self.videos = {"train_label": 16, "train_pseudo_label": 8, "train_unlabel": 8, "val_dry": 5, "arid": 6}
        self.videos.update(videos or {})
        self.nan, self.crash_after, self.jitter = nan, crash_after, jitter

    def build_loader(self, cfg, split, *, training=None, gamma=None, batch_size=None, shuffle=None, drop_last=None):
        training = split in TRAIN_SPLITS if training is None else training
        clips = 1 if training else cfg.TEST.NUM_ENSEMBLE_VIEWS * cfg.TEST.NUM_SPATIAL_CROPS
        source = split == "train_label"
        dataset = FakeClips(split, self.videos.get(split, 6), clips, training, nan=self.nan and source,
                            crash_after=self.crash_after if source else None, jitter=self.jitter,
                             bad=self.bad.get(split, ()))
        world = get_world_size()
        batch = batch_size or (cfg.TRAIN.BATCH_SIZE if training else cfg.TEST.BATCH_SIZE) // world
        sampler = DistributedSampler(
            dataset, num_replicas=world, rank=get_rank(), shuffle=training if shuffle is None else shuffle,
            seed=cfg.RNG_SEED, drop_last=training if drop_last is None else drop_last,
        )
        return DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=0, collate_fn=collate_clips,
                          drop_last=training if drop_last is None else drop_last)


def make_cfg(root: Path, *overrides: str):
    """A frozen config for the stand-ins with every split CSV present under `root`."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name in ("train_label+val_dry.csv", "val_dry.csv", "arid.csv", "total_unlabel.csv", "test.csv"):
        (data / name).write_text("a.mp4,0\n")
    (data / "pseudo.csv").write_text("a.mp4,0," + ",".join(["1"] + ["0"] * (NUM_CLASSES - 1)) + "\n")
    cfg = get_cfg()
    merge_overrides(cfg, [
        "MODEL.ARCH", "test_linear", "DATA.PATH_PREFIX", str(data), "OUTPUT_DIR", str(root / "out"),
        "NUM_GPUS", "0", "DATA_LOADER.NUM_WORKERS", "0", "TRAIN.BATCH_SIZE", "4", "TEST.BATCH_SIZE", "4",
        "SOLVER.MAX_EPOCH", "2", "SOLVER.WARMUP_EPOCHS", "0.5", "SOLVER.BASE_LR", "0.05",
        "SOLVER.WARMUP_START_LR", "0.001", "SOLVER.COSINE_END_LR", "0.0001", "TRAIN.EVAL_PERIOD", "1",
        "TRAIN.CHECKPOINT_PERIOD", "1", "LOG_PERIOD", "100", "RNG_SEED", "3", "TEST.DATA_SELECT", "arid",
        "DATA.PREFLIGHT_DECODE", "0", *overrides,
    ])
    validate_config(cfg)
    for spec in SPLITS.values():  # the listed video exists for the preflight (never decoded: no DATA.PREFLIGHT_DECODE)
        folder = data / config_value(cfg.DATA, spec.video_key)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.mp4").write_bytes(b"not decoded")
    cfg.freeze()
    return cfg
