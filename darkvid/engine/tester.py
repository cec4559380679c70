"""Testing: predict TEST.DATA_SELECT with views x crops and write the prediction files."""
from __future__ import annotations

import functools
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
from fvcore.common.config import CfgNode

from darkvid.config import ConfigError
from darkvid.models import build_model
from darkvid.utils.checkpoint import latest_checkpoint, load_weights

from .amp import Amp
from .bn_adapt import adapt_bn
from .distributed import barrier, current_env
from .logging import setup_logging
from .predict import Predictions, predict
from .preflight import check_testing, clips_per_video

logger = logging.getLogger(__name__)


def checkpoint_to_test(cfg: CfgNode) -> Optional[Path]:
    """TEST.CHECKPOINT_FILE_PATH, else OUTPUT_DIR/best.pyth (TEST.TEST_BEST), else the newest checkpoint."""
    if cfg.TEST.CHECKPOINT_FILE_PATH:
        return Path(cfg.TEST.CHECKPOINT_FILE_PATH)
    if cfg.TEST.TEST_BEST:
        return Path(cfg.OUTPUT_DIR) / "best.pyth"
    return latest_checkpoint(cfg.OUTPUT_DIR)


def prediction_path(cfg: CfgNode) -> Path:
    """OUTPUT_DIR/{DATA_SELECT}x{NUM_FRAMES}x{TEST_CROP_SIZE}x{VIEWS}x{CROPS}.pkl, or TEST.SAVE_RESULTS_PATH."""
    name = cfg.TEST.SAVE_RESULTS_PATH or (
        f"{cfg.TEST.DATA_SELECT}x{cfg.DATA.NUM_FRAMES}x{cfg.DATA.TEST_CROP_SIZE}"
        f"x{cfg.TEST.NUM_ENSEMBLE_VIEWS}x{cfg.TEST.NUM_SPATIAL_CROPS}.pkl"
    )
    return Path(cfg.OUTPUT_DIR) / name


def run_test(cfg: CfgNode, data: Any = None) -> Path:
    """Predict TEST.DATA_SELECT (then TEST.EXTRA_VIEWS) and write the .pkl and .npz files (main process).

    Training checkpoints already hold adapted BN statistics. TEST.ADAPT_BN re-estimates them
    here on BN.ADAPT_SPLIT, so a normal-light-only checkpoint can be tested with BN adaptation
    without retraining.

    Returns:
        The path of the first .pkl file (TEST.DATA_SELECT's).
    """
    if data is None:
        from .trainer import default_data

        data = default_data()
    env = current_env(cfg)
    setup_logging(cfg.OUTPUT_DIR, env.is_main)
    checkpoint = checkpoint_to_test(cfg)
    views = test_views(cfg)
    for view in views:
        check_testing(view, checkpoint, env.world_size)
    model = build_model(cfg)
    load_weights(checkpoint, model, strict_head=True)
    model.to(env.device)
    if cfg.TEST.ADAPT_BN:
        batches = functools.partial(data.build_loader, cfg, cfg.BN.ADAPT_SPLIT, gamma=cfg.BN.ADAPT_GAMMA)
        adapt_bn(model, batches, cfg.BN.NUM_BATCHES_PRECISE, env.device)
    paths = [_predict_view(view, model, data, env, checkpoint) for view in views]
    barrier()
    return paths[0]


def test_views(cfg: CfgNode) -> list:
    """The configuration of each prediction to make: TEST.DATA_SELECT first, then TEST.EXTRA_VIEWS.

    Raises:
        ConfigError: an extra view that is not SPLIT:VIEWS:CROPS; SAVE_RESULTS_PATH set with extra views.
    """
    views = [cfg]
    if cfg.TEST.EXTRA_VIEWS and cfg.TEST.SAVE_RESULTS_PATH:
        raise ConfigError("TEST.SAVE_RESULTS_PATH names one file: it cannot be used with TEST.EXTRA_VIEWS")
    for text in cfg.TEST.EXTRA_VIEWS:
        parts = str(text).split(":")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or "0" in (parts[1], parts[2]):
            raise ConfigError(f"TEST.EXTRA_VIEWS: {text!r} is not SPLIT:VIEWS:CROPS (e.g. 'test:3:3')")
        view = cfg.clone()
        view.defrost()
        view.TEST.DATA_SELECT = parts[0]
        view.TEST.NUM_ENSEMBLE_VIEWS, view.TEST.NUM_SPATIAL_CROPS = int(parts[1]), int(parts[2])
        view.TEST.EXTRA_VIEWS = []
        view.freeze()
        views.append(view)
    return views


def _predict_view(cfg: CfgNode, model: Any, data: Any, env: Any, checkpoint: Optional[Path]) -> Path:
    split = cfg.TEST.DATA_SELECT
    loader = data.build_loader(cfg, split, training=False, shuffle=False, drop_last=False)
    clips = clips_per_video(loader.dataset, split, cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS)
    preds = predict(
        model, loader, num_videos=loader.dataset.num_videos, clips_per_video=clips,
        method=cfg.DATA.ENSEMBLE_METHOD, device=env.device, amp=Amp.create(cfg.TRAIN.MIXED_PRECISION, env.device),
    )
    path = prediction_path(cfg)
    if env.is_main:
        write_predictions(path, preds)
        scores = preds.accuracy()
        logger.info(
            "tested %s on %s (%d videos): %s -> %s", checkpoint, split, preds.labels.numel(),
            "  ".join(f"{k} {v:.2f}" for k, v in scores.items()) or "no labels", path,
        )
    return path


def write_predictions(path: Path, preds: Predictions) -> None:
    """Write `{'video_preds': float32 [N, C] logits, 'video_labels': int64 [N]}` as .pkl and .npz, atomically.

    The .npz twin also holds `video_valid`; both files are complete or absent, never partial.
    """
    arrays = {
        "video_preds": preds.logits.numpy().astype(np.float32),
        "video_labels": preds.labels.numpy().astype(np.int64),
    }
    _atomic_write(path, lambda handle: pickle.dump(arrays, handle, protocol=4))
    valid = preds.valid.numpy().astype(bool)
    _atomic_write(path.with_suffix(".npz"), lambda handle: np.savez(handle, video_valid=valid, **arrays))


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
