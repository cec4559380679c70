"""Reading foreign checkpoint files and matching their weights to a darkvid model.

Four layouts reach `load_weights`: PySlowFast `.pyth` (`model_state`), UniFormer `.pth` (`model`,
keys maybe behind `module.`), the seed's SlowFast K700 `.pth` (`model` or `state_dict`, keys behind
`module.`/`backbone.`, classifier named `cls_head.pred`) and a bare state dict. Files are always read
with `weights_only=True`, so opening a checkpoint can never run code.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import nn

WEIGHT_KEYS = ("model_state", "model", "state_dict")
WRAPPER_PREFIXES = ("module.", "backbone.")
# mmaction-style classifier names; they become the model's own classifier (SF: `projection`).
HEAD_ALIASES = ("cls_head.pred.", "cls_head.fc_cls.")
# A counter, not a weight: old or FrozenBN checkpoints lack it and it does not change outputs.
TOLERATED_SUFFIX = "num_batches_tracked"
MAX_LISTED = 40


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read or does not fit the model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint path does not exist."""


def read_checkpoint(path: Path) -> dict:
    """Load a checkpoint file on the CPU without unpickling arbitrary objects."""
    if not path.is_file():
        raise CheckpointNotFoundError(f"checkpoint file {path} does not exist")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"checkpoint {path} holds objects other than tensors, numbers, strings and containers; "
            f"darkvid loads only such plain checkpoints (weights_only=True) so that a file cannot run code: {err}"
        ) from err
    except (RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f"checkpoint {path} is not a readable torch file (truncated or corrupt?): {err}") from err
    if not isinstance(raw, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(raw).__name__}, expected a dict")
    return raw


def extract_state_dict(raw: Mapping, path: Path) -> Dict[str, torch.Tensor]:
    """Find the weights in any supported layout: a wrapper key, or the dict itself."""
    for key in WEIGHT_KEYS:
        if isinstance(raw.get(key), Mapping):
            state = raw[key]
            break
    else:
        state = raw
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(
            f"checkpoint {path} has no weights under {list(WEIGHT_KEYS)} and is not a bare state dict: "
            f"top-level keys {_listed(sorted(map(str, raw)))}"
        )
    return dict(state)


def classifier_name(model: nn.Module) -> Optional[str]:
    """The model's classifier: its last `nn.Linear` in registration order (`head`, `projection`, ...)."""
    name = None
    for module_name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            name = module_name
    return name


def rename_keys(
    state: Mapping[str, torch.Tensor],
    model_keys: Sequence[str],
    prefixes: Sequence[str],
    head: Optional[str],
    path: Path,
) -> Dict[str, torch.Tensor]:
    """Strip wrapper prefixes and map mmaction classifier names, only where a key is not already a model key."""
    known = set(model_keys)
    renamed: Dict[str, torch.Tensor] = {}
    origin: Dict[str, str] = {}
    for key, value in state.items():
        new = _strip(key, known, prefixes)
        if new not in known and head is not None:
            new = next((head + "." + new[len(a):] for a in HEAD_ALIASES if new.startswith(a)), new)
        if new in renamed:
            raise CheckpointError(f"checkpoint {path}: keys {origin[new]!r} and {key!r} both become {new!r}")
        renamed[new] = value
        origin[new] = key
    return renamed


def _strip(key: str, known: set, prefixes: Sequence[str]) -> str:
    while key not in known:
        prefix = next((p for p in prefixes if p and key.startswith(p)), None)
        if prefix is None:
            break
        key = key[len(prefix):]
    return key


def inflate_2d_to_3d(weight_2d: torch.Tensor, time_dim: int) -> torch.Tensor:
    """Spread a 2D kernel evenly over `time_dim` frames (UniFormer/I3D averaging, not centring).

    On a temporally constant input the 3D convolution then gives the 2D convolution's output.
    """
    return weight_2d.unsqueeze(2).repeat(1, 1, time_dim, 1, 1) / time_dim


@dataclass
class Match:
    """How a renamed checkpoint fits the model: what to load and what went wrong."""

    load: Dict[str, torch.Tensor] = field(default_factory=dict)
    inflated: List[str] = field(default_factory=list)
    head_dropped: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)


def match_state(
    state: Mapping[str, torch.Tensor],
    model_state: Mapping[str, torch.Tensor],
    head: Optional[str],
    *,
    inflate: bool,
    strict_head: bool,
) -> Match:
    """Sort every key into loaded, inflated, dropped classifier, or an error category."""
    match = Match()
    head_keys = {k for k in model_state if head is not None and k.startswith(head + ".")}
    for key, value in state.items():
        if key not in model_state:
            if not key.endswith(TOLERATED_SUFFIX):
                match.unexpected.append(key)
            continue
        target = model_state[key]
        if value.shape == target.shape:
            match.load[key] = value
        elif inflate and _inflatable(value, target):
            match.load[key] = inflate_2d_to_3d(value, target.shape[2])
            match.inflated.append(key)
        elif key in head_keys and not strict_head and value.shape[1:] == target.shape[1:]:
            match.head_dropped.append(key)
        else:
            match.mismatched.append(f"{key}: file {tuple(value.shape)} vs model {tuple(target.shape)}")
    for key in model_state:
        if key in state or key.endswith(TOLERATED_SUFFIX):
            continue
        if key in head_keys and not strict_head:
            match.head_dropped.append(key)
        else:
            match.missing.append(key)
    return match


def _inflatable(value: torch.Tensor, target: torch.Tensor) -> bool:
    return (
        value.dim() == 4
        and target.dim() == 5
        and value.shape[:2] == target.shape[:2]
        and value.shape[2:] == target.shape[3:]
    )


def match_problems(match: Match) -> List[str]:
    """Human-readable lines for every key that makes the load fail."""
    lines = []
    for title, keys in (
        ("missing from the file", match.missing),
        ("unexpected in the file", match.unexpected),
        ("shape mismatch", match.mismatched),
    ):
        if keys:
            lines.append(f"{len(keys)} {title}: {_listed(keys)}")
    return lines


def _listed(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED])
    more = len(keys) - MAX_LISTED
    return shown + (f", ... and {more} more" if more > 0 else "")

