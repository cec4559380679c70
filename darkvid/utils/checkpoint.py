"""Loading weights into a model and writing resumable training checkpoints.

Checkpoints are written in PySlowFast's layout (`model_state`, `optimizer_state`, `epoch`, `cfg`)
so the seed's published `best.pyth` files and darkvid's own files read the same way. A write is
atomic: a crash mid-write leaves the previous file, never a truncated one that auto-resume would pick.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
from torch import nn

from .checkpoint_formats import (
    WRAPPER_PREFIXES,
    CheckpointError,
    CheckpointNotFoundError,
    classifier_name,
    extract_state_dict,
    match_problems,
    match_state,
    read_checkpoint,
    rename_keys,
)

__all__ = [
    "CheckpointError",
    "CheckpointNotFoundError",
    "checkpoint_path",
    "has_checkpoint",
    "latest_checkpoint",
    "load_weights",
    "remove_older_checkpoints",
    "save_checkpoint",
    "unwrap_model",
]

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
RESERVED_KEYS = ("model_state", "optimizer_state", "scaler_state", "epoch", "cfg")
_EPOCH_FILE = re.compile(r"^checkpoint_epoch_(\d+)\.pyth$")
_PLAIN_TYPES = (torch.Tensor, int, float, bool, str, bytes, type(None))


def unwrap_model(model: nn.Module) -> nn.Module:
    """The bare network inside DistributedDataParallel / DataParallel / torch.compile wrappers."""
    while True:
        if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            model = model.module
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):
            model = model._orig_mod
        else:
            return model


def load_weights(
    path: PathLike,
    model: nn.Module,
    *,
    clear_prefixes: Sequence[str] = (),
    strict_head: bool = False,
    inflate: bool = True,
) -> dict:
    """Load the weights of any supported checkpoint layout into `model`, exactly.

    Every key must match by name and shape, with three allowances: wrapper prefixes
    (`module.`, `backbone.` and `clear_prefixes`) are stripped; 2D kernels are inflated where the
    model has 3D ones (`inflate`); and a classifier whose class count differs, or that the file
    lacks, is left at its initial values with one warning (unless `strict_head`).

    Args:
        path: checkpoint file.
        model: the network, possibly wrapped in DDP.
        clear_prefixes: extra key prefixes to strip (TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN).
        strict_head: make a classifier mismatch an error too (resuming, testing).
        inflate: allow 2D -> 3D kernel inflation.

    Returns:
        The raw loaded dict, so callers can read `epoch`, `optimizer_state`, `scaler_state`.

    Raises:
        CheckpointNotFoundError: the file does not exist.
        CheckpointError: unreadable file, or keys missing / unexpected / of the wrong shape.
    """
    path = Path(path)
    raw = read_checkpoint(path)
    target = unwrap_model(model)
    model_state = target.state_dict()
    head = classifier_name(target)
    prefixes = tuple(clear_prefixes) + WRAPPER_PREFIXES
    state = rename_keys(extract_state_dict(raw, path), list(model_state), prefixes, head, path)
    match = match_state(state, model_state, head, inflate=inflate, strict_head=strict_head)
    problems = match_problems(match)
    if problems:
        raise CheckpointError(f"checkpoint {path} does not fit {type(target).__name__}:\n  " + "\n  ".join(problems))
    if match.head_dropped:
        logger.warning(
            "classifier not loaded from %s, it keeps its initial values: %s",
            path,
            "; ".join(_head_note(k, state, model_state) for k in match.head_dropped),
        )
    if match.inflated:
        logger.info("inflated 2D kernels to 3D (averaged over time) from %s: %s", path, ", ".join(match.inflated))
    full = dict(model_state)
    full.update(match.load)
    target.load_state_dict(full, strict=True)
    logger.info("loaded %d tensors from %s", len(match.load), path)
    return raw


def _head_note(key: str, state: Mapping[str, torch.Tensor], model_state: Mapping[str, torch.Tensor]) -> str:
    found = f"file {tuple(state[key].shape)}" if key in state else "absent from the file"
    return f"{key} ({found}, model {tuple(model_state[key].shape)})"


def save_checkpoint(
    path: PathLike,
    *,
    model: nn.Module,
    optimizer: Optional[torch.optim.Optimizer] = None,
    scaler: Optional[Any] = None,
    epoch: int,
    cfg: Optional[Any] = None,
    extra: Optional[Mapping[str, Any]] = None,
) -> Path:
    """Atomically write a PySlowFast-layout checkpoint that loads with `weights_only=True`.

    Args:
        path: destination file; its folder is created.
        model: the network (DDP and compile wrappers are removed, so keys have no `module.`).
        optimizer: its state is stored for resuming.
        scaler: a `torch.amp.GradScaler` (or anything with `state_dict()`).
        epoch: stored as is under `epoch`.
        cfg: a CfgNode, stored as its YAML dump.
        extra: more plain entries (numbers, strings, tensors, containers), e.g. a best score.

    Returns:
        The written path.
    """
    path = Path(path)
    extra = dict(extra or {})
    clash = sorted(set(extra) & set(RESERVED_KEYS))
    if clash:
        raise ValueError(f"extra checkpoint entries {clash} would overwrite reserved keys {list(RESERVED_KEYS)}")
    checkpoint = {
        "model_state": unwrap_model(model).state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "scaler_state": scaler.state_dict() if scaler is not None else None,
        "epoch": epoch,
        "cfg": cfg.dump() if cfg is not None else None,
        **extra,
    }
    _check_plain(checkpoint, "checkpoint")
    _atomic_save(checkpoint, path)
    return path


def _check_plain(obj: Any, where: str) -> None:
    """Refuse, before writing, anything `weights_only=True` could not read back."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; use str or int keys")
            _check_plain(value, f"{where}[{key!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check_plain(value, f"{where}[{i}]")
    elif not isinstance(obj, _PLAIN_TYPES):
        raise TypeError(
            f"{where} is a {type(obj).__name__}; checkpoints hold only tensors, numbers, strings, "
            "None and containers of them so that they load with weights_only=True"
        )


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); not possible on every platform, so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def checkpoint_path(output_dir: PathLike, epoch: int) -> Path:
    """OUTPUT_DIR/checkpoints/checkpoint_epoch_{epoch:05d}.pyth, as PySlowFast names them."""
    return Path(output_dir) / "checkpoints" / f"checkpoint_epoch_{epoch:05d}.pyth"


def _epoch_files(output_dir: PathLike) -> Dict[int, Path]:
    folder = Path(output_dir) / "checkpoints"
    if not folder.is_dir():
        return {}
    found = {}
    for entry in folder.iterdir():
        hit = _EPOCH_FILE.match(entry.name)
        if hit and entry.is_file():
            found[int(hit.group(1))] = entry
    return found


def latest_checkpoint(output_dir: PathLike) -> Optional[Path]:
    """The periodic checkpoint with the highest epoch (by number, not name), or None."""
    files = _epoch_files(output_dir)
    return files[max(files)] if files else None


def has_checkpoint(output_dir: PathLike) -> bool:
    """Whether OUTPUT_DIR holds a periodic checkpoint to resume from."""
    return bool(_epoch_files(output_dir))


def remove_older_checkpoints(output_dir: PathLike, keep_epoch: int) -> List[Path]:
    """Delete periodic checkpoints of epochs before `keep_epoch` (TRAIN.SAVE_LATEST); returns them."""
    removed = [p for e, p in sorted(_epoch_files(output_dir).items()) if e < keep_epoch]
    for file in removed:
        file.unlink()
    return removed
