"""build_dataset: the configuration of a split turned into a `VideoDataset`.

This is the one place of the package that reads the configuration; every other module takes plain
arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional

from fvcore.common.config import CfgNode

from .augment import ClipRandAugment, ClipRandomErasing
from .cache import FrameCache
from .darkframe import DarkFrameTreatment
from .dataset import VideoDataset
from .decoding import FrameReader, make_reader
from .gamma import GammaCorrection
from .records import read_split_csv
from .sampling import SAMPLING_BY_DATASET, FrameSampler
from .transforms import EvalTransform, TrainTransform


@dataclass(frozen=True)
class SplitSpec:
    """Where a split's files are and how its rows read."""

    csv_key: str
    video_key: str
    unlabelled: bool
    training: bool
    pseudo: bool = False


SPLITS = {
    "train_label": SplitSpec("SPLIT_CSV.TRAIN_LABEL", "VIDEO_DIR.TRAIN_LABEL", False, True),
    "train_unlabel": SplitSpec("SPLIT_CSV.TRAIN_UNLABEL", "VIDEO_DIR.TRAIN_UNLABEL", True, True),
    "train_pseudo_label": SplitSpec("PSEUDO_CSV", "VIDEO_DIR.TRAIN_PSEUDO_LABEL", False, True, pseudo=True),
    "val_dry": SplitSpec("SPLIT_CSV.VAL_DRY", "VIDEO_DIR.VAL_DRY", False, False),
    "arid": SplitSpec("SPLIT_CSV.ARID", "VIDEO_DIR.ARID", False, False),
    "dark_unlabel": SplitSpec("SPLIT_CSV.DARK_UNLABEL", "VIDEO_DIR.DARK_UNLABEL", True, False),
    "total_unlabel": SplitSpec("SPLIT_CSV.TOTAL_UNLABEL", "VIDEO_DIR.TOTAL_UNLABEL", True, False),
    "test": SplitSpec("SPLIT_CSV.TEST", "VIDEO_DIR.TEST", True, False),
}


def build_dataset(
    cfg: CfgNode, split: str, *, training: Optional[bool] = None, gamma: Optional[bool] = None
) -> VideoDataset:
    """The dataset of `split` as configured.

    Args:
        cfg: the configuration.
        split: one of `SPLITS`.
        training: training mode (random clips, augmentation); None: True for the train_* splits.
        gamma: see `split_gamma`.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    spec = SPLITS[split]
    training = spec.training if training is None else training
    data = cfg.DATA
    records = read_split_csv(
        _split_file(cfg, spec.csv_key),
        data_path(cfg, config_value(data, spec.video_key)),
        num_classes=cfg.MODEL.NUM_CLASSES,
        allow_unlabelled=spec.unlabelled,
        with_probs=spec.pseudo,
        separator=data.PATH_LABEL_SEPARATOR,
    )
    return VideoDataset(
        records,
        reader=build_reader(cfg),
        sampler=build_sampler(cfg, training),
        transform=build_transform(cfg, training),
        training=training,
        gamma=split_gamma(cfg, split, gamma),
        num_crops=cfg.TEST.NUM_SPATIAL_CROPS,
        num_samples=cfg.AUG.NUM_SAMPLE,
        skip_bad=cfg.TEST.SKIP_BAD_VIDEOS,
        max_retries=cfg.DATA_LOADER.NUM_RETRIES,
        max_bad=data.MAX_BAD_VIDEOS,
        name=split,
    )


def build_reader(cfg: CfgNode) -> FrameReader:
    """Decoder of DATA.DECODING_BACKEND, behind the frame cache when DATA.CACHE_DIR is set."""
    reader = make_reader(cfg.DATA.DECODING_BACKEND, cfg.DATA_LOADER.ENABLE_MULTI_THREAD_DECODE)
    if cfg.DATA.CACHE_DIR:
        return FrameCache(Path(cfg.DATA.CACHE_DIR), reader, cfg.DATA.CACHE_SHORT_SIDE)
    return reader


def build_sampler(cfg: CfgNode, training: bool) -> FrameSampler:
    """Frame sampling of TRAIN.DATASET or TEST.DATASET."""
    dataset = cfg.TRAIN.DATASET if training else cfg.TEST.DATASET
    if dataset not in SAMPLING_BY_DATASET:
        key = "TRAIN.DATASET" if training else "TEST.DATASET"
        raise ValueError(f"config key {key!r} is {dataset!r}; expected one of {sorted(SAMPLING_BY_DATASET)}")
    return FrameSampler(
        SAMPLING_BY_DATASET[dataset],
        cfg.DATA.NUM_FRAMES,
        cfg.DATA.SAMPLING_RATE,
        num_views=1 if training else cfg.TEST.NUM_ENSEMBLE_VIEWS,
        use_offset=cfg.DATA.USE_OFFSET_SAMPLING,
    )


def build_transform(cfg: CfgNode, training: bool) -> TrainTransform | EvalTransform:
    """Spatial transform (with RandAugment / random erasing in training when AUG.ENABLE)."""
    data, aug = cfg.DATA, cfg.AUG
    bgr = data.REVERSE_INPUT_CHANNEL
    if not training:
        return EvalTransform(data.TEST_CROP_SIZE, tuple(data.MEAN), tuple(data.STD), bgr)
    augment = aug.ENABLE and bool(aug.AA_TYPE)
    erase = aug.ENABLE and aug.RE_PROB > 0
    return TrainTransform(
        crop_size=data.TRAIN_CROP_SIZE,
        jitter_scales=tuple(data.TRAIN_JITTER_SCALES),
        relative_scales=tuple(data.TRAIN_JITTER_SCALES_RELATIVE),
        relative_aspect=tuple(data.TRAIN_JITTER_ASPECT_RELATIVE),
        inverse_uniform=data.INV_UNIFORM_SAMPLE,
        flip=data.RANDOM_FLIP,
        mean=tuple(data.MEAN),
        std=tuple(data.STD),
        bgr=bgr,
        rand_augment=ClipRandAugment(aug.AA_TYPE, aug.INTERPOLATION) if augment else None,
        erasing=ClipRandomErasing(aug.RE_PROB, aug.RE_MODE, aug.RE_COUNT) if erase else None,
    )


def split_gamma(cfg: CfgNode, split: str, gamma: Optional[bool] = None) -> Optional[GammaCorrection]:
    """The one decision whether clips of `split` are gamma-corrected (with the further dark-frame treatments).

    Args:
        gamma: the caller's choice (BN adaptation picks its own: see engine/data_setup.py);
            None: correct the splits of DATA.GAMMA_SPLITS. DATA.GAMMA_MODE off overrides both.
            Noise augmentation follows DATA.NOISE_AUG_SPLITS alone, whatever the choice.
    """
    wanted = split in cfg.DATA.GAMMA_SPLITS if gamma is None else gamma
    correction = build_gamma(cfg) if wanted else None
    noise = 0.0
    if split in cfg.DATA.NOISE_AUG_SPLITS:
        from .noise_level import noise_aug_std  # noise_level builds datasets itself

        noise = noise_aug_std(cfg)
    prob = float(cfg.DATA.NOISE_AUG_PROB)
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"config key 'DATA.NOISE_AUG_PROB' must be in [0, 1]; got {prob}")
    if noise <= 0 or prob == 0:
        return correction
    if correction is None:
        return DarkFrameTreatment(mode="fixed", gamma=1.0, noise_std=noise, noise_prob=prob, correct=False)
    base = correction if isinstance(correction, DarkFrameTreatment) else _treatment(cfg)
    return replace(base, noise_std=noise, noise_prob=prob)


def build_gamma(cfg: CfgNode) -> Optional[GammaCorrection]:
    """The correction of DATA.GAMMA_MODE with DATA's dark-frame treatments, or None when it is off.

    A plain `GammaCorrection` when no treatment is configured (today's pixels exactly).
    """
    data = cfg.DATA
    if data.GAMMA_MODE == "off":
        return None
    treated = (data.DUAL_GAMMA > 0 or data.TEMPORAL_DENOISE > 1 or data.SPATIAL_DENOISE > 1 or data.STANDARDISE)
    if treated:
        return _treatment(cfg)
    low, high = data.GAMMA_ADAPTIVE_RANGE
    return GammaCorrection(data.GAMMA_MODE, data.GAMMA, data.GAMMA_TARGET_MEAN, (low, high))


def _treatment(cfg: CfgNode) -> DarkFrameTreatment:
    data = cfg.DATA
    low, high = data.GAMMA_ADAPTIVE_RANGE
    mean, std = data.STANDARDISE_TARGET
    return DarkFrameTreatment(
        data.GAMMA_MODE if data.GAMMA_MODE != "off" else "fixed", data.GAMMA, data.GAMMA_TARGET_MEAN, (low, high),
        dual_mild=data.DUAL_GAMMA, dual_weight=data.DUAL_GAMMA_WEIGHT, temporal_k=data.TEMPORAL_DENOISE,
        spatial_k=data.SPATIAL_DENOISE, spatial_kind=data.SPATIAL_DENOISE_KIND,
        standardise=(float(mean), float(std)) if data.STANDARDISE else None)


def _split_file(cfg: CfgNode, key: str) -> Path:
    value = config_value(cfg.DATA, key)
    if not value:
        raise FileNotFoundError(f"no split file configured: config key 'DATA.{key}' is empty")
    path = data_path(cfg, value)
    if not path.is_file():
        raise FileNotFoundError(f"split file not found: {path} (config key 'DATA.{key}', DATA.PATH_PREFIX "
                                f"{cfg.DATA.PATH_PREFIX!r})")
    return path


def data_path(cfg: CfgNode, value: str) -> Path:
    """A path from the config: absolute as is, otherwise under DATA.PATH_PREFIX."""
    path = Path(value)
    return path if path.is_absolute() else Path(cfg.DATA.PATH_PREFIX) / path


def config_value(node: CfgNode, dotted: str) -> Any:
    """The value under a dotted key of `node` ("VIDEO_DIR.TEST" of cfg.DATA), as `SPLITS` names them."""
    for part in dotted.split("."):
        node = node[part]
    return node
