"""Build a configuration from the defaults, a YAML file and `KEY VALUE` overrides.

Every value is checked against the default of its key: an unknown key or a value of another type
is a `ConfigError` that names the key and where the value came from.
"""
from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import yaml
from fvcore.common.config import CfgNode

from .defaults import get_defaults

BASE_KEY = "_BASE_"


class ConfigError(ValueError):
    """A configuration value that darkvid cannot accept."""


def get_cfg() -> CfgNode:
    """Return a fresh, mutable copy of the default configuration."""
    return get_defaults().clone()


def load_config(
    cfg_file: Optional[str | Path] = None,
    opts: Optional[Sequence[str]] = None,
    base: Optional[str | Path] = None,
) -> CfgNode:
    """Return the defaults merged with `cfg_file` and then `opts`, validated and frozen.

    Args:
        cfg_file: a YAML file in PySlowFast's format; None uses the defaults alone.
        opts: flat `KEY VALUE` pairs, as given after `--cfg FILE` on the command line.
        base: a YAML file that replaces the `_BASE_` of `cfg_file` (see `merge_yaml_file`).
    """
    cfg = get_cfg()
    if cfg_file is not None:
        merge_yaml_file(cfg, cfg_file, base=base)
    elif base is not None:
        raise ConfigError("a base config needs a config file to apply to")
    if opts:
        merge_overrides(cfg, opts)
    validate_config(cfg)
    cfg.freeze()
    return cfg


def merge_yaml_file(cfg: CfgNode, cfg_file: str | Path, base: Optional[str | Path] = None) -> None:
    """Merge a YAML file into `cfg`, checking every key and type.

    A file may start from another one with a top-level `_BASE_: PATH` (relative to the file): the
    base is merged first, then the file's own values. `base` replaces the top file's `_BASE_`
    (this is how an experiment switches between its GPU settings and a CPU preset).
    """
    path = Path(cfg_file)
    data = _read_yaml(path)
    base_path = _base_of(path, data.pop(BASE_KEY, None), base)
    if base_path is not None:
        merge_yaml_file(cfg, base_path)
    _merge_dict(cfg, data, prefix="", source=str(path))


def config_files(cfg_file: str | Path, base: str | Path | None = None) -> list[Path]:
    """The YAML files `load_config(cfg_file, base=base)` reads: `cfg_file` first, then its bases in turn.

    Tools that must notice a changed setting (the pipeline's step fingerprints) hash these files.
    """
    files: list[Path] = []
    path: Path | None = Path(cfg_file)
    while path is not None:
        files.append(path)
        path, base = _base_of(path, _read_yaml(path).get(BASE_KEY), base), None
    return files


def _base_of(path: Path, base_name: Any, base: str | Path | None) -> Path | None:
    """The file `path` starts from: `base` when given, else its `_BASE_` (relative to it), else None."""
    if base is not None:
        base_path = Path(base)
    elif base_name is not None:
        if not isinstance(base_name, str):
            raise ConfigError(f"{path}: {BASE_KEY} must be a file path; got {base_name!r}")
        base_path = path.parent / base_name
    else:
        return None
    if base_path.resolve() == path.resolve():
        raise ConfigError(f"{path}: {BASE_KEY} names the file itself")
    return base_path


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def merge_overrides(cfg: CfgNode, opts: Sequence[str]) -> None:
    """Merge flat `KEY VALUE` pairs (as from the command line) into `cfg`."""
    if len(opts) % 2:
        raise ConfigError(f"overrides must be KEY VALUE pairs; got an odd count: {list(opts)}")
    for key, raw in zip(opts[0::2], opts[1::2]):
        node = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, CfgNode):
                raise ConfigError(f"unknown config key {key!r} (command-line override)")
            node = child
        _set_checked(node, parts[-1], raw, full_key=key, source="command-line override")


def _merge_dict(node: CfgNode, data: dict, prefix: str, source: str) -> None:
    for name, value in data.items():
        full_key = f"{prefix}{name}"
        if isinstance(value, dict):
            child = node.get(name)
            if not isinstance(child, CfgNode):
                raise ConfigError(f"unknown config section {full_key!r} in {source}")
            _merge_dict(child, value, prefix=f"{full_key}.", source=source)
        else:
            _set_checked(node, name, value, full_key=full_key, source=source)


def _set_checked(node: CfgNode, name: str, value: Any, full_key: str, source: str) -> None:
    if name not in node:
        raise ConfigError(f"unknown config key {full_key!r} in {source}")
    default = node[name]
    if isinstance(default, CfgNode):
        raise ConfigError(f"{full_key!r} is a section, not a value ({source})")
    node[name] = coerce_value(value, default, full_key, source)


def coerce_value(value: Any, default: Any, full_key: str, source: str) -> Any:
    """Return `value` converted to the type of `default`, or raise `ConfigError`.

    Strings are read as Python literals where the default is not a string (so `1e-4`, `True`,
    `(3, 7, 7)` and `[1, 2]` work from YAML and the command line). Integers are accepted for
    floats and tuples for lists; a default of None accepts any value.
    """
    if isinstance(value, str) and not isinstance(default, str):
        value = _literal(value)
    if default is None or value is None and _nullable(default):
        return copy.deepcopy(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            return _plain(value)
    raise ConfigError(
        f"config key {full_key!r} expects {type(default).__name__} (default {default!r}); "
        f"got {type(value).__name__} {value!r} from {source}"
    )


def _nullable(default: Any) -> bool:
    return isinstance(default, str) and default == ""


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _plain(value: Iterable) -> list:
    return [_plain(v) if isinstance(v, (list, tuple)) else v for v in value]


def validate_config(cfg: CfgNode) -> None:
    """Check values whose meaning depends on other values; raise `ConfigError` naming the key."""
    choices = {
        "TRAIN.DATASET": ("ug2_sparse", "ug2"),
        "TEST.DATASET": ("ug2_sparse", "ug2"),
        "TRAIN.PSEUDO_STEP": ("alternate", "sum"),
        "TRAIN.MIXED_PRECISION_DTYPE": ("auto", "fp16", "bf16"),
        "BN.ADAPT_MODE": ("eval", "train"),
        "DATA.DECODING_BACKEND": ("pyav", "decord"),
        "DATA.ENSEMBLE_METHOD": ("sum", "max"),
        "DATA.GAMMA_MODE": ("fixed", "adaptive", "off"),
        "MODEL.LOSS_FUNC": ("cross_entropy", "soft_cross_entropy"),
        "MODEL.PSEUDO_LOSS_FUNC": ("hard", "soft"),
        "SOLVER.OPTIMIZING_METHOD": ("adamw", "sgd"),
        "SOLVER.LR_POLICY": ("cosine", "constant"),
        "TEST.DATA_SELECT": ("val_dry", "arid", "dark_unlabel", "total_unlabel", "test"),
    }
    for key, allowed in choices.items():
        value = _get(cfg, key)
        if value not in allowed:
            raise ConfigError(f"config key {key!r} is {value!r}; expected one of {list(allowed)}")
    positive = ("DATA.NUM_FRAMES", "DATA.SAMPLING_RATE", "TRAIN.BATCH_SIZE", "TEST.BATCH_SIZE",
                "TEST.NUM_ENSEMBLE_VIEWS", "AUG.NUM_SAMPLE", "MODEL.NUM_CLASSES",
                "TRAIN.GRAD_ACCUM_STEPS", "DATA.TRAIN_CROP_SIZE", "DATA.TEST_CROP_SIZE")
    for key in positive:
        if _get(cfg, key) <= 0:
            raise ConfigError(f"config key {key!r} must be positive; got {_get(cfg, key)!r}")
    if cfg.TEST.NUM_SPATIAL_CROPS not in (1, 3):
        raise ConfigError(f"config key 'TEST.NUM_SPATIAL_CROPS' must be 1 or 3; got {cfg.TEST.NUM_SPATIAL_CROPS}")
    for key in ("DATA.MEAN", "DATA.STD"):
        if len(_get(cfg, key)) != 3:
            raise ConfigError(f"config key {key!r} needs 3 values (RGB); got {_get(cfg, key)!r}")
    if len(cfg.DATA.TRAIN_JITTER_SCALES) != 2:
        raise ConfigError("config key 'DATA.TRAIN_JITTER_SCALES' needs [min, max]")
    if len(cfg.DATA.CLASS_NAMES) != cfg.MODEL.NUM_CLASSES:
        raise ConfigError(
            f"config key 'DATA.CLASS_NAMES' has {len(cfg.DATA.CLASS_NAMES)} names but "
            f"'MODEL.NUM_CLASSES' is {cfg.MODEL.NUM_CLASSES}"
        )
    if not 0 < cfg.DATA.GAMMA:
        raise ConfigError(f"config key 'DATA.GAMMA' must be positive; got {cfg.DATA.GAMMA}")
    if cfg.BN.NUM_BATCHES_SOURCE < 0:
        raise ConfigError(f"config key 'BN.NUM_BATCHES_SOURCE' must be 0 or more; got {cfg.BN.NUM_BATCHES_SOURCE}")


def _get(cfg: CfgNode, key: str) -> Any:
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node
