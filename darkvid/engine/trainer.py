"""The training run: setup, resume, the epoch loop, BN adaptation, evaluation and checkpoints."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import torch
from fvcore.common.config import CfgNode
from torch import nn

from darkvid.models import build_model
from darkvid.utils.checkpoint import checkpoint_path, remove_older_checkpoints
from darkvid.utils.flops import model_summary

from .amp import Amp
from .bad_videos import BadVideoTally
from .bn_adapt import adapt_bn
from .data_setup import SOURCE_SPLIT, bn_batches, default_data, test_loader
from .distributed import DistEnv, barrier, current_env, get_rank
from .logging import StatsWriter, save_config, setup_logging
from .losses import source_loss_fn
from .mixup import build_mixup
from .optim import build_optimizer
from .predict import predict
from .preflight import PSEUDO_SPLIT, check_training, uses_pseudo_labels
from .schedule import build_schedule
from .seed import seed_everything
from .state import TrainState, restore_training, save_training_checkpoint
from .train_loop import LoopSettings, train_one_epoch

logger = logging.getLogger(__name__)


@dataclass
class TrainingRun:
    """What the end of every epoch works on: the run's objects, built once by `fit`."""

    cfg: CfgNode
    data: Any
    model: nn.Module
    optimizer: torch.optim.Optimizer
    amp: Amp
    env: DistEnv
    state: TrainState
    writer: StatsWriter
    bad_videos: BadVideoTally


def fit(cfg: CfgNode, data: Any = None) -> TrainState:
    """Train `cfg`'s model for SOLVER.MAX_EPOCH epochs, resuming where a previous run stopped.

    Args:
        cfg: the frozen, validated config.
        data: an object with darkvid.datasets' `build_loader` (tests pass small stand-ins).

    Returns:
        The final state: epochs run, the best top-1 on TRAIN.BEST_SPLIT and the bad videos met.
    """
    data = data or default_data()
    env = current_env(cfg)
    check_training(cfg, env.world_size)
    schedule, mixup = build_schedule(cfg, cfg.NUM_SHARDS), build_mixup(cfg)
    setup_logging(cfg.OUTPUT_DIR, env.is_main)
    if env.is_main:
        save_config(cfg, cfg.OUTPUT_DIR)
    seed_everything(cfg.RNG_SEED + env.rank)
    model = build_model(cfg).to(env.device)
    if cfg.LOG_MODEL_INFO and env.is_main:
        summary = model_summary(model, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE)
        logger.info("%s (MODEL.ARCH %s): %s", type(model).__name__, cfg.MODEL.ARCH, summary)
    optimizer = build_optimizer(cfg, model)
    amp = Amp.create(cfg.TRAIN.MIXED_PRECISION, env.device, cfg.TRAIN.MIXED_PRECISION_DTYPE)
    state = restore_training(cfg, model, optimizer, amp)
    writer = StatsWriter(cfg.OUTPUT_DIR, env.is_main, _tensorboard_dir(cfg))
    run = TrainingRun(cfg, data, model, optimizer, amp, env, state, writer,
                      BadVideoTally(cfg.DATA.MAX_BAD_VIDEOS, state.bad_videos))
    net = _wrap(model, env)
    source = data.build_loader(cfg, SOURCE_SPLIT)
    pseudo = data.build_loader(cfg, PSEUDO_SPLIT) if uses_pseudo_labels(cfg) else None
    settings = _loop_settings(cfg)
    if state.start_epoch < cfg.SOLVER.MAX_EPOCH:
        logger.info("training epochs %d-%d of %d, %d iterations per epoch", state.start_epoch + 1,
                    cfg.SOLVER.MAX_EPOCH, cfg.SOLVER.MAX_EPOCH, len(source))
        # the pipeline's progress bars start from this record (then follow the "train" records)
        writer.write({"kind": "start", "first_epoch": state.start_epoch + 1, "last_epoch": cfg.SOLVER.MAX_EPOCH,
                      "iterations_per_epoch": len(source)})
    for epoch in range(state.start_epoch, cfg.SOLVER.MAX_EPOCH):
        for loader in (source, pseudo):
            _set_epoch(loader, epoch, cfg.RNG_SEED)
        stats = train_one_epoch(
            net, optimizer, run.bad_videos.watch(source), epoch=epoch, lr_at=schedule, settings=settings,
            device=env.device, amp=amp, mixup=mixup,
            pseudo_loader=run.bad_videos.watch(pseudo) if pseudo is not None else None,
        )
        run.bad_videos.sync()
        writer.write({"kind": "train", "epoch": epoch + 1, **stats, **run.bad_videos.record()}, step=epoch + 1)
        _end_of_epoch(run, epoch)
    writer.close()
    return state


def _end_of_epoch(run: TrainingRun, epoch: int) -> None:
    """BN adaptation, evaluation (best.pyth) and the periodic checkpoint, in that order.

    With BN adaptation on, the splits of BN.SOURCE_EVAL_SPLITS are scored first, with statistics
    re-estimated on uncorrected training clips (normal light); then the statistics are re-estimated
    on the dark BN.ADAPT_SPLIT for the other splits and for the checkpoints.
    """
    cfg, model, env = run.cfg, run.model, run.env
    last = epoch + 1 == cfg.SOLVER.MAX_EPOCH
    is_eval = last or (epoch + 1) % cfg.TRAIN.EVAL_PERIOD == 0
    period = cfg.TRAIN.CHECKPOINT_PERIOD  # 0: no periodic checkpoints at all, not even the last epoch's
    is_ckpt = period > 0 and (last or cfg.TRAIN.SAVE_LATEST or (epoch + 1) % period == 0)
    adapting = cfg.BN.USE_PRECISE_STATS
    source_splits = [s for s in cfg.TRAIN.EVAL_SPLITS if adapting and s in cfg.BN.SOURCE_EVAL_SPLITS]
    scores: Dict[str, Dict[str, float]] = {}
    if is_eval and source_splits:
        batches = bn_batches(cfg, run.data, normal_light=True, watch=run.bad_videos.watch)
        if adapt_bn(model, batches, cfg.BN.NUM_BATCHES_SOURCE or cfg.BN.NUM_BATCHES_PRECISE, env.device):
            logger.info("BN statistics of normal-light clips for %s", ", ".join(source_splits))
        scores.update(evaluate(cfg, run.data, model, env, run.amp, source_splits))
    if (is_eval or is_ckpt) and adapting:
        batches = bn_batches(cfg, run.data, normal_light=False, watch=run.bad_videos.watch)
        adapt_bn(model, batches, cfg.BN.NUM_BATCHES_PRECISE, env.device, train_mode=cfg.BN.ADAPT_MODE == "train",
                 sync=cfg.BN.ADAPT_SYNC)
    run.state.bad_videos = run.bad_videos.sync()
    if is_eval:
        scores.update(evaluate(cfg, run.data, model, env, run.amp,
                               [s for s in cfg.TRAIN.EVAL_SPLITS if s not in source_splits]))
        scores = {split: scores[split] for split in cfg.TRAIN.EVAL_SPLITS}
        run.writer.write({"kind": "eval", "epoch": epoch + 1, **_flatten(scores)}, step=epoch + 1)
        _keep_best(run, scores, epoch)
    if is_ckpt:
        _save(run, checkpoint_path(cfg.OUTPUT_DIR, epoch + 1), epoch)
        if cfg.TRAIN.SAVE_LATEST and env.is_main:
            remove_older_checkpoints(cfg.OUTPUT_DIR, epoch + 1)
    run.state.start_epoch = epoch + 1
    barrier()


def _keep_best(run: TrainingRun, scores: Dict[str, Dict[str, float]], epoch: int) -> None:
    """Write best.pyth when TRAIN.BEST_SPLIT's top-1 beats the best so far.

    Runs continue from the periodic checkpoints, never from best.pyth, so TRAIN.BEST_OPTIMIZER_STATE
    False may leave the optimizer state out of it (a third of the size with AdamW).
    """
    split = run.cfg.TRAIN.BEST_SPLIT
    top1 = scores[split].get("top1", -math.inf)
    if top1 > run.state.best_top1:
        run.state.best_top1 = top1
        _save(run, Path(run.cfg.OUTPUT_DIR) / "best.pyth", epoch, with_optimizer=run.cfg.TRAIN.BEST_OPTIMIZER_STATE)
        logger.info("new best %s top-1 %.2f at epoch %d", split, top1, epoch + 1)


def _save(run: TrainingRun, path: Path, epoch: int, with_optimizer: bool = True) -> None:
    save_training_checkpoint(path, cfg=run.cfg, model=run.model, optimizer=run.optimizer, amp=run.amp,
                             epoch=epoch, state=run.state, with_optimizer=with_optimizer)


def evaluate(
    cfg: CfgNode, data: Any, model: nn.Module, env: DistEnv, amp: Amp, splits: Optional[Sequence[str]] = None
) -> Dict[str, Dict[str, float]]:
    """Top-1 / top-5 of `model` on `splits` (default TRAIN.EVAL_SPLITS), gamma per DATA.GAMMA_SPLITS."""
    scores = {}
    for split in cfg.TRAIN.EVAL_SPLITS if splits is None else splits:
        test = test_loader(cfg, data, split)
        preds = predict(
            model, test.loader, num_videos=test.num_videos, clips_per_video=test.clips_per_video,
            method=cfg.DATA.ENSEMBLE_METHOD, device=env.device, amp=amp,
        )
        scores[split] = preds.accuracy()
        logger.info("eval %s: %s", split, "  ".join(f"{k} {v:.2f}" for k, v in scores[split].items()) or "no labels")
    return scores


def _loop_settings(cfg: CfgNode) -> LoopSettings:
    return LoopSettings(
        source_loss=source_loss_fn(cfg.MODEL.LOSS_FUNC, cfg.MODEL.NUM_CLASSES),
        pseudo_kind=cfg.MODEL.PSEUDO_LOSS_FUNC,
        soft_t=cfg.MODEL.SOFT_T,
        threshold=cfg.TRAIN.THRESHOLD,
        pseudo_step=cfg.TRAIN.PSEUDO_STEP,
        pseudo_weight=cfg.TRAIN.PSEUDO_WEIGHT,
        pseudo_mixup=cfg.MIXUP.PSEUDO,
        grad_accum_steps=cfg.TRAIN.GRAD_ACCUM_STEPS,
        clip_grad=cfg.SOLVER.CLIP_GRAD_L2NORM,
        log_period=cfg.LOG_PERIOD,
    )


def _wrap(model: nn.Module, env: DistEnv) -> nn.Module:
    if env.world_size == 1:
        return model
    device_ids = [env.device.index] if env.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def _set_epoch(loader: Optional[Any], epoch: int, seed: int) -> None:
    """Make the epoch's shuffle a function of (RNG_SEED, rank, epoch) only, so a resumed run repeats it.

    A DistributedSampler gets `set_epoch`; a single-process loader's own generator (which also
    seeds its workers) is reseeded, since a fresh loader after a restart would otherwise begin
    again from the first epoch's order.
    """
    if loader is None:
        return
    sampler = getattr(loader, "sampler", None)
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)
    generator = getattr(loader, "generator", None)
    if isinstance(generator, torch.Generator):
        generator.manual_seed((seed * 1_000_003 + get_rank() * 10_007 + epoch) % 2**63)


def _tensorboard_dir(cfg: CfgNode) -> Optional[str]:
    if not cfg.TENSORBOARD.ENABLE:
        return None
    return cfg.TENSORBOARD.LOG_DIR or str(Path(cfg.OUTPUT_DIR) / "runs")


def _flatten(scores: Dict[str, Dict[str, float]]) -> Dict[str, float]:
    return {f"{split}_{metric}": value for split, metrics in scores.items() for metric, value in metrics.items()}
