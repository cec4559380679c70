"""Training state in checkpoints: what to start from, and writing resumable checkpoints.

A checkpoint written at the end of epoch e (0-based, stored as `epoch`, file
checkpoint_epoch_{e+1}) holds the weights, optimizer, loss scaler, best score so far and every
process's random generator states, so resuming from it continues exactly as if the run had
never stopped. It also names the bad training videos the run has replaced so far (`bad_videos`,
DATA.MAX_BAD_VIDEOS; absent from older checkpoints, which load as having none).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import torch
from fvcore.common.config import CfgNode
from torch import nn

from darkvid.utils.checkpoint import CheckpointError, latest_checkpoint, load_weights, save_checkpoint

from .amp import Amp
from .distributed import all_gather_objects, get_rank, get_world_size, is_main_process
from .seed import capture_rng_state, restore_rng_state

logger = logging.getLogger(__name__)


@dataclass
class TrainState:
    """Where the epoch loop starts, the best TRAIN.BEST_SPLIT top-1 and the bad videos replaced so far.

    `best_top1` is -inf before any evaluation.
    """

    start_epoch: int = 0
    best_top1: float = -math.inf
    bad_videos: List[str] = field(default_factory=list)


def restore_training(cfg: CfgNode, model: nn.Module, optimizer: torch.optim.Optimizer, amp: Amp) -> TrainState:
    """Load what the run starts from: its own newest checkpoint, else TRAIN.CHECKPOINT_FILE_PATH, else nothing.

    Resuming (TRAIN.AUTO_RESUME) restores weights, optimizer, scaler, best score and generator
    states. A foreign file loads weights only, at epoch 0 with TRAIN.CHECKPOINT_EPOCH_RESET, else
    with its optimizer state from the epoch after the stored one (PySlowFast's behaviour).
    """
    resume = latest_checkpoint(cfg.OUTPUT_DIR) if cfg.TRAIN.AUTO_RESUME else None
    if resume is not None:
        raw = load_weights(resume, model, strict_head=True, inflate=False)
        _load_optimizer(raw, optimizer, amp, resume)
        _restore_rng(raw, resume)
        best = raw.get("best_top1")
        logger.info("resumed from %s (epoch %d)", resume, raw["epoch"] + 1)
        return TrainState(start_epoch=raw["epoch"] + 1, best_top1=-math.inf if best is None else float(best),
                          bad_videos=[str(name) for name in raw.get("bad_videos") or []])
    if not cfg.TRAIN.CHECKPOINT_FILE_PATH:
        return TrainState()
    path = Path(cfg.TRAIN.CHECKPOINT_FILE_PATH)
    raw = load_weights(path, model, clear_prefixes=tuple(cfg.TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN))
    if cfg.TRAIN.CHECKPOINT_EPOCH_RESET or not isinstance(raw.get("epoch"), int):
        logger.info("initialised from %s; training starts at epoch 1", path)
        return TrainState()
    _load_optimizer(raw, optimizer, amp, path)
    logger.info("continuing %s from epoch %d", path, raw["epoch"] + 2)
    return TrainState(start_epoch=raw["epoch"] + 1)


def _load_optimizer(raw: dict, optimizer: torch.optim.Optimizer, amp: Amp, path: Path) -> None:
    if raw.get("optimizer_state") is None:
        raise CheckpointError(f"{path} has no optimizer_state to continue training from")
    try:
        optimizer.load_state_dict(raw["optimizer_state"])
    except (ValueError, KeyError) as err:
        raise CheckpointError(
            f"{path}: optimizer state does not fit this model ({err}); set TRAIN.CHECKPOINT_EPOCH_RESET True"
        ) from err
    if amp.scaler is not None and raw.get("scaler_state"):
        amp.scaler.load_state_dict(raw["scaler_state"])


def _restore_rng(raw: dict, path: Path) -> None:
    states = raw.get("rng_states")
    if not states or len(states) != get_world_size():
        logger.warning("%s holds no generator states for %d processes; continuing with fresh ones",
                       path, get_world_size())
        return
    restore_rng_state(states[get_rank()])


def save_training_checkpoint(
    path: Path,
    *,
    cfg: CfgNode,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    amp: Amp,
    epoch: int,
    state: TrainState,
    with_optimizer: bool = True,
) -> None:
    """Write a resumable checkpoint (collective: every process must call it; the main one writes).

    Without `with_optimizer` the optimizer and loss-scaler states are stored as None: the file
    then starts other runs (weights only) but cannot continue this one.
    """
    rng_states = all_gather_objects(capture_rng_state())
    if not is_main_process():
        return
    save_checkpoint(
        path,
        model=model,
        optimizer=optimizer if with_optimizer else None,
        scaler=amp.scaler if with_optimizer else None,
        epoch=epoch,
        cfg=cfg,
        extra={
            "rng_states": rng_states,
            "best_top1": None if math.isinf(state.best_top1) else state.best_top1,
            "bad_videos": list(state.bad_videos),
        },
    )
