"""Testing: predict TEST.DATA_SELECT with views x crops and write the prediction files."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Optional

import torch
from fvcore.common.config import CfgNode

from darkvid.config import ConfigError
from darkvid.datasets.build import build_sampler
from darkvid.datasets.clip_subsets import (
    ClipSetting,
    file_keys,
    same_files,
    same_frame_treatment,
    shared_positions,
)
from darkvid.models import build_model
from darkvid.predictions import PredictionMeta, PredictionTable, prediction_file_name
from darkvid.predictions import write_predictions as write_table
from darkvid.utils.checkpoint import latest_checkpoint, load_weights

from .amp import Amp
from .bn_adapt import adapt_bn
from .data_setup import TestLoader, bn_batches, default_data, test_loader
from .distributed import barrier, current_env
from .logging import setup_logging
from .predict import ClipPredictions, Predictions, predict_clips
from .preflight import check_testing

logger = logging.getLogger(__name__)


def checkpoint_to_test(cfg: CfgNode) -> Optional[Path]:
    """TEST.CHECKPOINT_FILE_PATH, else OUTPUT_DIR/best.pyth (TEST.TEST_BEST), else the newest checkpoint."""
    if cfg.TEST.CHECKPOINT_FILE_PATH:
        return Path(cfg.TEST.CHECKPOINT_FILE_PATH)
    if cfg.TEST.TEST_BEST:
        return Path(cfg.OUTPUT_DIR) / "best.pyth"
    return latest_checkpoint(cfg.OUTPUT_DIR)


def prediction_path(cfg: CfgNode) -> Path:
    """OUTPUT_DIR/`prediction_file_name(...)` of TEST.DATA_SELECT and its views x crops, or TEST.SAVE_RESULTS_PATH."""
    name = cfg.TEST.SAVE_RESULTS_PATH or prediction_file_name(
        cfg.TEST.DATA_SELECT, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE,
        cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS,
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
    data = data or default_data()
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
        adapt_bn(model, bn_batches(cfg, data, normal_light=False), cfg.BN.NUM_BATCHES_PRECISE, env.device,
                 train_mode=cfg.BN.ADAPT_MODE == "train", sync=cfg.BN.ADAPT_SYNC)
    paths = _predict_views(views, model, data, env, checkpoint)
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


class ClipSource(NamedTuple):
    """Where a view's clip logits come from.

    Attributes:
        view: the view whose clips are used (the view itself when it is predicted).
        positions: each video's clips among that view's (None: all of them).
        videos: for each video, its row in that view, when that view is another split holding the
            same files (None: the same rows).
    """

    view: int
    positions: Optional[list[int]] = None
    videos: Optional[list[int]] = None


def clip_sources(views: Sequence[CfgNode], datasets: Optional[Sequence[Any]] = None) -> list[ClipSource]:
    """For each view, the view whose clips make it.

    A view of a split whose clips are all among a larger view's of the same split (1x1 and 1x3
    within 3x3 as the seed tests) is aggregated from that view's clips instead of predicted again.
    Given the views' test-mode `datasets`, a view of another split is taken from one whose split
    holds each of its videos as the same file with the same clips and frame treatment (ARID within
    the pseudo-label pool): see darkvid/datasets/clip_subsets.py.
    """
    settings = [ClipSetting(build_sampler(v, training=False), v.TEST.NUM_SPATIAL_CROPS) for v in views]
    order = sorted(range(len(views)), key=lambda i: -settings[i].clips_per_video)
    sources: dict[int, ClipSource] = {}
    keys: dict[int, Optional[list]] = {}  # each split's file keys, read once (a stat per video)

    def files(k: int) -> Optional[list]:
        if k not in keys:
            keys[k] = file_keys([record.path for record in datasets[k].records])
        return keys[k]

    for i in order:
        sources[i] = ClipSource(i)
        for j in order:
            if j not in sources or sources[j].view != j or j == i:
                continue
            if views[j].TEST.DATA_SELECT == views[i].TEST.DATA_SELECT:
                if settings[j].clips_per_video > settings[i].clips_per_video:
                    positions = shared_positions(settings[i], settings[j])
                    if positions is not None:
                        sources[i] = ClipSource(j, positions)
                        break
            elif datasets is not None and same_frame_treatment(datasets[i], datasets[j]):
                positions = shared_positions(settings[i], settings[j])
                if positions is None or files(i) is None or files(j) is None:
                    continue
                videos = same_files(files(i), files(j))
                if videos is not None:
                    sources[i] = ClipSource(j, positions, videos)
                    break
    return [sources[i] for i in range(len(views))]


def _predict_views(views: Sequence[CfgNode], model: Any, data: Any, env: Any, checkpoint: Optional[Path]) -> list:
    loaders = [test_loader(view, data, view.TEST.DATA_SELECT) for view in views]
    sources = clip_sources(views, [test.loader.dataset for test in loaders])
    clips = {i: _predict_clips(view, loaders[i], model, env) for i, view in enumerate(views) if sources[i].view == i}
    paths = []
    for i, view in enumerate(views):
        source = sources[i]
        dataset = loaders[i].loader.dataset
        ids = [record.rel_path for record in dataset.records]
        made = clips[source.view]
        if source.videos is not None:
            labels = torch.tensor([record.label for record in dataset.records], dtype=torch.long)
            made = made.take_videos(source.videos, labels)
        preds = made.reduce(view.DATA.ENSEMBLE_METHOD, source.positions)
        paths.append(_write_view(view, preds, ids, env, checkpoint, _source_note(views, i, source)))
    return paths


def _source_note(views: Sequence[CfgNode], i: int, source: ClipSource) -> str:
    if source.view == i:
        return ""
    other = views[source.view].TEST
    setting = f"{other.NUM_ENSEMBLE_VIEWS}x{other.NUM_SPATIAL_CROPS}"
    if source.videos is None:
        return f" (its clips among the {setting} ones)"
    return f" (the same files' clips among {other.DATA_SELECT}'s {setting} ones)"


def _predict_clips(cfg: CfgNode, test: TestLoader, model: Any, env: Any) -> ClipPredictions:
    """Every clip's logits of the view, in the split's row order."""
    return predict_clips(
        model, test.loader, num_videos=test.num_videos, clips_per_video=test.clips_per_video, device=env.device,
        amp=Amp.create(cfg.TRAIN.MIXED_PRECISION, env.device, cfg.TRAIN.MIXED_PRECISION_DTYPE),
    )


def _write_view(cfg: CfgNode, preds: Predictions, ids: Sequence[str], env: Any, checkpoint: Optional[Path],
                note: str) -> Path:
    split = cfg.TEST.DATA_SELECT
    path = prediction_path(cfg)
    if env.is_main:
        write_predictions(path, preds, ids, prediction_meta(cfg))
        scores = preds.accuracy()
        logger.info(
            "tested %s on %s (%d videos)%s: %s -> %s", checkpoint, split, preds.labels.numel(), note,
            "  ".join(f"{k} {v:.2f}" for k, v in scores.items()) or "no labels", path,
        )
    return path


def prediction_meta(cfg: CfgNode) -> PredictionMeta:
    """What made this view's predictions: experiment, architecture, config digest, split, views, crops, classes."""
    return PredictionMeta(
        model=Path(cfg.OUTPUT_DIR).resolve().name, arch=cfg.MODEL.ARCH,
        config_digest=hashlib.sha256(cfg.dump().encode()).hexdigest(), split=cfg.TEST.DATA_SELECT,
        views=cfg.TEST.NUM_ENSEMBLE_VIEWS, crops=cfg.TEST.NUM_SPATIAL_CROPS, class_names=tuple(cfg.DATA.CLASS_NAMES),
    )


def write_predictions(path: Path, preds: Predictions, ids: Sequence[str], meta: PredictionMeta) -> Path:
    """Turn `predict()`'s result into a table keyed by the split's video ids and write it (.pkl and .npz)."""
    table = PredictionTable(tuple(ids), preds.logits.numpy(), preds.labels.numpy(), preds.valid.numpy(), meta,
                            str(path))
    return write_table(path, table)
