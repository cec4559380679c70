"""Checks run before any training or testing work, so a bad path or setting fails in seconds.

Each error names the config key and the path or value at fault.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from fvcore.common.config import CfgNode

from darkvid.config import ConfigError

PSEUDO_SPLIT = "train_pseudo_label"


def data_path(cfg: CfgNode, relative: str) -> Path:
    """A path from the config: absolute as is, otherwise under DATA.PATH_PREFIX."""
    path = Path(relative)
    return path if path.is_absolute() else Path(cfg.DATA.PATH_PREFIX) / path


def split_csv(cfg: CfgNode, split: str) -> tuple:
    """(config key, path) of a split's CSV; the pseudo split reads DATA.PSEUDO_CSV."""
    if split == PSEUDO_SPLIT:
        return "DATA.PSEUDO_CSV", data_path(cfg, cfg.DATA.PSEUDO_CSV)
    name = split.upper()
    if name not in cfg.DATA.SPLIT_CSV:
        raise ConfigError(f"unknown split {split!r}: no key 'DATA.SPLIT_CSV.{name}'")
    return f"DATA.SPLIT_CSV.{name}", data_path(cfg, cfg.DATA.SPLIT_CSV[name])


def uses_pseudo_labels(cfg: CfgNode) -> bool:
    """Pseudo-label training is on when DATA.PSEUDO_CSV names a file."""
    return bool(cfg.DATA.PSEUDO_CSV)


def _require_file(key: str, path: Path, problems: List[str]) -> None:
    if not path.is_file():
        problems.append(f"{key}: file not found: {path}")


def check_training(cfg: CfgNode, world_size: int) -> None:
    """Raise ConfigError listing every missing file and inconsistent setting of a training run."""
    problems: List[str] = []
    if cfg.TRAIN.CHECKPOINT_FILE_PATH:
        _require_file("TRAIN.CHECKPOINT_FILE_PATH", Path(cfg.TRAIN.CHECKPOINT_FILE_PATH), problems)
    splits = ["train_label", *cfg.TRAIN.EVAL_SPLITS]
    if cfg.BN.USE_PRECISE_STATS:
        splits.append(cfg.BN.ADAPT_SPLIT)
    if uses_pseudo_labels(cfg):
        splits.append(PSEUDO_SPLIT)
    for split in dict.fromkeys(splits):
        _require_file(*split_csv(cfg, split), problems)
    if cfg.TRAIN.BATCH_SIZE % world_size:
        problems.append(f"TRAIN.BATCH_SIZE {cfg.TRAIN.BATCH_SIZE} is not divisible by the {world_size} processes")
    if cfg.TEST.BATCH_SIZE % world_size:
        problems.append(f"TEST.BATCH_SIZE {cfg.TEST.BATCH_SIZE} is not divisible by the {world_size} processes")
    if cfg.MIXUP.ENABLE and (cfg.TRAIN.BATCH_SIZE // world_size * cfg.AUG.NUM_SAMPLE) % 2:
        problems.append("MIXUP.ENABLE needs an even batch per process (TRAIN.BATCH_SIZE / processes * AUG.NUM_SAMPLE)")
    if uses_pseudo_labels(cfg) and cfg.TRAIN.PSEUDO_STEP == "alternate" and cfg.TRAIN.GRAD_ACCUM_STEPS > 1:
        problems.append("TRAIN.GRAD_ACCUM_STEPS > 1 needs TRAIN.PSEUDO_STEP sum (alternate steps after every batch)")
    if not cfg.TRAIN.EVAL_SPLITS:
        problems.append("TRAIN.EVAL_SPLITS is empty: best.pyth is chosen on its last split")
    if problems:
        raise ConfigError("cannot start training:\n  " + "\n  ".join(problems))


def check_testing(cfg: CfgNode, checkpoint: Optional[Path], world_size: int) -> None:
    """Raise ConfigError if the weights to test or the split file are missing."""
    problems: List[str] = []
    if checkpoint is None:
        problems.append(f"TEST.CHECKPOINT_FILE_PATH is empty and {cfg.OUTPUT_DIR} holds no checkpoint to test")
    elif not checkpoint.is_file():
        key = "TEST.CHECKPOINT_FILE_PATH" if cfg.TEST.CHECKPOINT_FILE_PATH else "TEST.TEST_BEST"
        problems.append(f"{key}: file not found: {checkpoint}")
    _require_file(*split_csv(cfg, cfg.TEST.DATA_SELECT), problems)
    if cfg.TEST.BATCH_SIZE % world_size:
        problems.append(f"TEST.BATCH_SIZE {cfg.TEST.BATCH_SIZE} is not divisible by the {world_size} processes")
    if problems:
        raise ConfigError("cannot start testing:\n  " + "\n  ".join(problems))


def clips_per_video(dataset, split: str, views: Optional[int] = None, crops: Optional[int] = None) -> int:
    """Clips per video of a test-mode dataset, checked against the views x crops the config asks for.

    Raises:
        ConfigError: the dataset cannot give that many views (its `max_views`), or its length
            is not videos x views x crops.
    """
    num_videos = dataset.num_videos
    if num_videos == 0:
        raise ConfigError(f"split {split!r} has no videos")
    max_views = getattr(dataset, "max_views", None)
    if views is not None and max_views is not None and views > max_views:
        raise ConfigError(
            f"TEST.NUM_ENSEMBLE_VIEWS is {views} but split {split!r} supports at most {max_views} views"
        )
    clips, rest = divmod(len(dataset), num_videos)
    if rest or (views is not None and crops is not None and clips != views * crops):
        raise ConfigError(
            f"split {split!r} has {len(dataset)} clips for {num_videos} videos; expected "
            f"TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS = {views} x {crops} per video"
        )
    return clips
