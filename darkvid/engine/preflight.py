"""Checks run before any training or testing work, so a bad path or setting fails in seconds.

Each error names the config key and the path or value at fault.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from fvcore.common.config import CfgNode

from darkvid.config import ConfigError

from .preflight_checks import output_problems, split_video_problems, weights_problems

PSEUDO_SPLIT = "train_pseudo_label"


def split_csv(cfg: CfgNode, split: str) -> tuple:
    """(config key, path) of a split's CSV; the pseudo split reads DATA.PSEUDO_CSV."""
    from darkvid.datasets.build import data_path  # here, not at the top: it loads the video decoders

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


def training_splits(cfg: CfgNode) -> List[str]:
    """Every split a training run reads: the labelled one, the evaluated ones, BN adaptation's, pseudo labels."""
    splits = ["train_label", *cfg.TRAIN.EVAL_SPLITS]
    if cfg.BN.USE_PRECISE_STATS:
        splits.append(cfg.BN.ADAPT_SPLIT)
    if uses_pseudo_labels(cfg):
        splits.append(PSEUDO_SPLIT)
    return list(dict.fromkeys(splits))


def testing_splits(cfg: CfgNode) -> List[str]:
    """Every split a testing run reads: TEST.DATA_SELECT, the TEST.EXTRA_VIEWS ones, BN adaptation's."""
    from .tester import test_views

    splits = [view.TEST.DATA_SELECT for view in test_views(cfg)]
    if cfg.TEST.ADAPT_BN:
        splits.append(cfg.BN.ADAPT_SPLIT)
    return list(dict.fromkeys(splits))


def data_problems(cfg: CfgNode, splits: List[str]) -> List[str]:
    """Every video of `splits` exists, DATA.PREFLIGHT_DECODE of each decode, OUTPUT_DIR is writable."""
    problems: List[str] = []
    for split in splits:
        problems += split_video_problems(cfg, split, cfg.DATA.PREFLIGHT_DECODE)
    return problems + output_problems(cfg)


def starting_weights_problems(cfg: CfgNode, mode: str) -> List[str]:
    """The weights the run starts from exist and load into its model.

    Training starts from its own newest checkpoint (TRAIN.AUTO_RESUME), else TRAIN.CHECKPOINT_FILE_PATH;
    testing from TEST.CHECKPOINT_FILE_PATH, else OUTPUT_DIR's best or newest checkpoint.
    """
    from darkvid.utils.checkpoint import latest_checkpoint

    from .tester import checkpoint_to_test

    if mode == "test":
        checkpoint = checkpoint_to_test(cfg)
        missing = _test_checkpoint_problems(cfg, checkpoint)
        return missing or weights_problems(cfg, _test_checkpoint_key(cfg), checkpoint, strict_head=True)
    resume = latest_checkpoint(cfg.OUTPUT_DIR) if cfg.TRAIN.AUTO_RESUME else None
    if resume is not None:
        return weights_problems(cfg, f"checkpoint to resume in OUTPUT_DIR {cfg.OUTPUT_DIR}", resume,
                                strict_head=True, resume=True)
    if not cfg.TRAIN.CHECKPOINT_FILE_PATH:
        return []
    return weights_problems(cfg, "TRAIN.CHECKPOINT_FILE_PATH", Path(cfg.TRAIN.CHECKPOINT_FILE_PATH), strict_head=False)


def preflight_experiment(cfg: CfgNode, mode: str) -> List[str]:
    """Every problem that would stop the run `cfg` describes, found without starting it (`--check`).

    Args:
        cfg: the frozen, validated config of the run.
        mode: "train" (tools/run_net.py training) or "test" (prediction).

    Returns:
        Readable problems, each naming the key, file or video at fault; empty when the run can start.
    """
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', not {mode!r}")
    splits = training_splits(cfg) if mode == "train" else testing_splits(cfg)
    problems: List[str] = []
    for split in splits:
        _require_file(*split_csv(cfg, split), problems)
    return problems + starting_weights_problems(cfg, mode) + data_problems(cfg, splits)


def _test_checkpoint_key(cfg: CfgNode) -> str:
    return "TEST.CHECKPOINT_FILE_PATH" if cfg.TEST.CHECKPOINT_FILE_PATH else "TEST.TEST_BEST"


def _test_checkpoint_problems(cfg: CfgNode, checkpoint: Optional[Path]) -> List[str]:
    if checkpoint is None:
        return [f"TEST.CHECKPOINT_FILE_PATH is empty and {cfg.OUTPUT_DIR} holds no checkpoint to test"]
    if not checkpoint.is_file():
        return [f"{_test_checkpoint_key(cfg)}: file not found: {checkpoint}"]
    return []


def check_training(cfg: CfgNode, world_size: int) -> None:
    """Raise ConfigError listing every missing file and inconsistent setting of a training run."""
    problems: List[str] = []
    splits = training_splits(cfg)
    for split in splits:
        _require_file(*split_csv(cfg, split), problems)
    if cfg.TRAIN.BATCH_SIZE % world_size:
        problems.append(f"TRAIN.BATCH_SIZE {cfg.TRAIN.BATCH_SIZE} is not divisible by the {world_size} processes")
    if cfg.TEST.BATCH_SIZE % world_size:
        problems.append(f"TEST.BATCH_SIZE {cfg.TEST.BATCH_SIZE} is not divisible by the {world_size} processes")
    if cfg.MIXUP.ENABLE and (cfg.TRAIN.BATCH_SIZE // world_size * cfg.AUG.NUM_SAMPLE) % 2:
        problems.append("MIXUP.ENABLE needs an even batch per process (TRAIN.BATCH_SIZE / processes * AUG.NUM_SAMPLE)")
    if uses_pseudo_labels(cfg) and cfg.TRAIN.PSEUDO_STEP == "alternate" and cfg.TRAIN.GRAD_ACCUM_STEPS > 1:
        problems.append("TRAIN.GRAD_ACCUM_STEPS > 1 needs TRAIN.PSEUDO_STEP sum (alternate steps after every batch)")
    if cfg.TRAIN.CHECKPOINT_PERIOD < 0:
        problems.append(f"TRAIN.CHECKPOINT_PERIOD must be 0 (no periodic checkpoints) or more, "
                        f"got {cfg.TRAIN.CHECKPOINT_PERIOD}")
    if cfg.TRAIN.BEST_SPLIT not in cfg.TRAIN.EVAL_SPLITS:
        problems.append(f"TRAIN.BEST_SPLIT {cfg.TRAIN.BEST_SPLIT!r} (the split that chooses best.pyth) is not "
                        f"in TRAIN.EVAL_SPLITS {list(cfg.TRAIN.EVAL_SPLITS)}")
    problems += starting_weights_problems(cfg, "train") + data_problems(cfg, splits)
    if problems:
        raise ConfigError("cannot start training:\n  " + "\n  ".join(problems))


def check_testing(cfg: CfgNode, checkpoint: Optional[Path], world_size: int) -> None:
    """Raise ConfigError if the weights to test, the split file or its videos are missing.

    The weights are only looked for here: the tester loads them right after.
    """
    problems = _test_checkpoint_problems(cfg, checkpoint)
    splits = [cfg.TEST.DATA_SELECT, *([cfg.BN.ADAPT_SPLIT] if cfg.TEST.ADAPT_BN else [])]
    for split in dict.fromkeys(splits):
        _require_file(*split_csv(cfg, split), problems)
    problems += data_problems(cfg, list(dict.fromkeys(splits)))
    if cfg.TEST.BATCH_SIZE % world_size:
        problems.append(f"TEST.BATCH_SIZE {cfg.TEST.BATCH_SIZE} is not divisible by the {world_size} processes")
    if problems:
        raise ConfigError("cannot start testing:\n  " + "\n  ".join(problems))
