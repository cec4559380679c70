"""What training and testing both need from the data API: loaders for prediction and BN adaptation.

The data API is any object with darkvid.datasets' `build_loader` (tests pass stand-ins). This
module decides, once for the trainer and the tester, how many clips a test video has and which
clips BN adaptation reads (and whether they are gamma-corrected); splits themselves are corrected
per DATA.GAMMA_SPLITS in darkvid/datasets/build.py::split_gamma.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable, Optional

from fvcore.common.config import CfgNode

from darkvid.config import ConfigError

SOURCE_SPLIT = "train_label"  # the labelled normal-light training split


def default_data() -> ModuleType:
    """The data API (`build_loader`, `build_dataset`): darkvid.datasets, imported when first needed."""
    import darkvid.datasets

    return darkvid.datasets


@dataclass(frozen=True)
class TestLoader:
    """A test-mode loader of one split and the shape of its items (video i has clips i*c .. i*c+c-1)."""

    loader: Iterable
    num_videos: int
    clips_per_video: int


def test_loader(cfg: CfgNode, data: Any, split: str) -> TestLoader:
    """The split in test mode (in order, nothing dropped), checked against TEST.NUM_ENSEMBLE_VIEWS x CROPS."""
    loader = data.build_loader(cfg, split, training=False, shuffle=False, drop_last=False)
    clips = clips_per_video(loader.dataset, split, cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS)
    return TestLoader(loader, loader.dataset.num_videos, clips)


test_loader.__test__ = False  # not a pytest test, whatever its name


def clips_per_video(dataset: Any, split: str, views: int, crops: int) -> int:
    """Clips per video of a test-mode dataset: views x crops, checked against the dataset.

    Raises:
        ConfigError: the dataset cannot give that many views (its `max_views`), or its length
            is not videos x views x crops.
    """
    num_videos = dataset.num_videos
    if num_videos == 0:
        raise ConfigError(f"split {split!r} has no videos")
    max_views = getattr(dataset, "max_views", None)
    if max_views is not None and views > max_views:
        raise ConfigError(f"TEST.NUM_ENSEMBLE_VIEWS is {views} but split {split!r} supports at most {max_views} views")
    if len(dataset) != num_videos * views * crops:
        raise ConfigError(
            f"split {split!r} has {len(dataset)} clips for {num_videos} videos; expected "
            f"TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS = {views} x {crops} per video"
        )
    return views * crops


def bn_batches(cfg: CfgNode, data: Any, *, normal_light: bool,
               watch: Optional[Callable[[Iterable], Iterable]] = None) -> Callable[[], Iterable]:
    """A loader factory for `adapt_bn`: the only place that picks BN adaptation's clips.

    Args:
        normal_light: uncorrected labelled training clips (for BN.SOURCE_EVAL_SPLITS), also without
            noise augmentation, since those splits are clean normal light; otherwise BN.ADAPT_SPLIT,
            gamma-corrected when BN.ADAPT_GAMMA.
        watch: wraps the loader (the trainer's bad-video tally), if given.
    """
    split, gamma = (SOURCE_SPLIT, False) if normal_light else (cfg.BN.ADAPT_SPLIT, cfg.BN.ADAPT_GAMMA)
    if normal_light and cfg.DATA.NOISE_AUG_SPLITS:
        cfg = cfg.clone()
        cfg.defrost()
        cfg.DATA.NOISE_AUG_SPLITS = []
        cfg.freeze()
    build = functools.partial(data.build_loader, cfg, split, gamma=gamma)
    if watch is None:
        return build
    return lambda: watch(build())
