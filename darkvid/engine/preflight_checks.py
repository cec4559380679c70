"""What a run will read and write, checked before its first step; each check returns problems.

Every video of a split is checked with one stat call (thousands per second), a few are decoded
(DATA.PREFLIGHT_DECODE per split), the weights are loaded into the configured model, and the
output folder must be writable: a full-size run with a wrong path fails in seconds, not after an
epoch. A missing split is explained: when the listed paths are found in another video folder
of the data root (the seed's layout keeps ARID under dark_train/Train), the message gives the
DATA.VIDEO_DIR override that fixes it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Sequence

from fvcore.common.config import CfgNode

SHOWN = 5  # missing videos named in a message
PROBES = 3  # missing paths that must all be found in another folder to suggest it


def split_video_problems(cfg: CfgNode, split: str, decode: int) -> List[str]:
    """Missing videos of `split` (named, counted, with the folder), else the sample that does not decode.

    A split whose CSV is absent or unreadable gives no problem here: the CSV checks report it.
    """
    from darkvid.datasets.build import SPLITS, config_value, data_path
    from darkvid.datasets.records import SplitFileError, read_split_csv

    spec = SPLITS[split]
    csv_value = config_value(cfg.DATA, spec.csv_key)
    csv_path = data_path(cfg, csv_value) if csv_value else None
    if csv_path is None or not csv_path.is_file():
        return []
    video_dir = data_path(cfg, config_value(cfg.DATA, spec.video_key))
    try:
        records = read_split_csv(csv_path, video_dir, num_classes=cfg.MODEL.NUM_CLASSES,
                                 allow_unlabelled=spec.unlabelled, with_probs=spec.pseudo,
                                 separator=cfg.DATA.PATH_LABEL_SEPARATOR)
    except SplitFileError as err:
        return [f"split {split!r}: {err}"]
    missing = [r.rel_path for r in records if not os.path.isfile(r.path)]
    if missing:
        return [_missing_message(cfg, split, f"DATA.{spec.video_key}", video_dir, csv_path, len(records), missing)]
    return decode_problems(cfg, split, [r.path for r in records], decode)


def _missing_message(
    cfg: CfgNode, split: str, key: str, video_dir: Path, csv_path: Path, total: int, missing: Sequence[str]
) -> str:
    shown = ", ".join(missing[:SHOWN]) + (", ..." if len(missing) > SHOWN else "")
    text = (f"split {split!r}: {len(missing)} of {total} videos listed in {csv_path} are missing from "
            f"{video_dir} ({key}): {shown}")
    sibling = sibling_holding(cfg, video_dir, missing[:PROBES])
    if sibling is not None:
        prefix = Path(cfg.DATA.PATH_PREFIX)
        value = sibling.relative_to(prefix) if prefix in sibling.parents else sibling
        text += f"; they are in {sibling}: add the override `{key} {value}`"
    return text


def sibling_holding(cfg: CfgNode, video_dir: Path, rel_paths: Sequence[str]) -> Optional[Path]:
    """Another video folder of the data root holding all of `rel_paths`: the configured ones, then any
    folder one or two levels under DATA.PATH_PREFIX."""
    from darkvid.datasets.build import data_path

    prefix = Path(cfg.DATA.PATH_PREFIX)
    candidates = [data_path(cfg, v) for v in cfg.DATA.VIDEO_DIR.values()]
    if prefix.is_dir():
        level1 = sorted(e.path for e in os.scandir(prefix) if e.is_dir())
        candidates += [Path(p) for p in level1]
        for folder in level1:
            candidates += sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir())
    here = video_dir.resolve()
    for folder in dict.fromkeys(candidates):
        if folder.resolve() != here and rel_paths and all((folder / rel).is_file() for rel in rel_paths):
            return folder
    return None


def decode_problems(cfg: CfgNode, split: str, paths: Sequence[Path], count: int) -> List[str]:
    """Decode `count` videos spread over the split (first frame and middle frame of each)."""
    if count <= 0 or not paths:
        return []
    from darkvid.datasets.decoding import make_reader

    reader = make_reader(cfg.DATA.DECODING_BACKEND)
    step = max(len(paths) // count, 1)
    problems = []
    for path in list(paths)[::step][:count]:
        try:
            reader.read(path, lambda frames: [0, max(frames - 1, 0) // 2])
        except Exception as err:  # noqa: BLE001 - any decoder failure is reported, with the video
            problems.append(f"split {split!r}: {path} does not decode ({type(err).__name__}: {err})")
    return problems


def weights_problems(cfg: CfgNode, key: str, path: Path, *, strict_head: bool, resume: bool = False) -> List[str]:
    """The weights exist and load into the configured model, as the run will load them."""
    if not path.is_file():
        return [f"{key}: file not found: {path}"]
    from darkvid.models import build_model
    from darkvid.utils.checkpoint import CheckpointError, load_weights

    try:
        load_weights(path, build_model(cfg), strict_head=strict_head, inflate=not resume,
                     clear_prefixes=() if resume else tuple(cfg.TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN))
    except CheckpointError as err:
        return [f"{key}: {err}"]
    return []


def output_problems(cfg: CfgNode) -> List[str]:
    """OUTPUT_DIR, or the folder it will be made in, must be writable (checked without writing)."""
    out = Path(cfg.OUTPUT_DIR)
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return [f"OUTPUT_DIR {out}: {probe} is not a folder"]
    if not os.access(probe, os.W_OK | os.X_OK):
        return [f"OUTPUT_DIR {out}: {probe} is not writable"]
    return []
