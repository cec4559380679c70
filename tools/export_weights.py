#!/usr/bin/env python
"""Keep only the model weights of a training checkpoint, for shipping as pre-trained weights.

    python tools/export_weights.py RUN/best.pyth pretrained/tiny/NAME.pyth [--note TEXT]

The output holds `model_state` (what TRAIN.CHECKPOINT_FILE_PATH loads) and a `source` note; the
optimizer state, epoch and config are dropped. It is written to a side file and renamed, so a
half-written file never takes the target's place.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch


def export(source: Path, target: Path, note: str = "") -> int:
    """Write `source`'s model_state to `target`; returns the number of tensors written."""
    raw = torch.load(source, map_location="cpu", weights_only=True)
    if not isinstance(raw, dict) or not isinstance(raw.get("model_state"), dict):
        raise ValueError(f"{source}: not a darkvid checkpoint (no 'model_state' mapping)")
    state = {k: v.detach().clone() for k, v in raw["model_state"].items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save({"model_state": state, "source": note or str(source)}, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(state)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a checkpoint written by tools/run_net.py")
    parser.add_argument("target", type=Path, help="where the weights-only file goes")
    parser.add_argument("--note", default="", help="how the weights were made (stored in the file)")
    args = parser.parse_args(argv)
    try:
        count = export(args.source, args.target, args.note)
    except (OSError, ValueError, RuntimeError) as err:
        print(f"export_weights: {err}", file=sys.stderr)
        return 1
    print(f"{args.target}: {count} tensors from {args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
