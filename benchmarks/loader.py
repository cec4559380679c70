"""Clips per second of the training loader: PyAV, decord, the frame cache and the seed's way.

The seed's way is its `Ug2_sparse.__getitem__` read path rebuilt in a few lines: open the video
with decord (PyAV where decord is absent) and fetch the sampled frames one index at a time, every
epoch. All variants share darkvid's sampler and transforms, so only the reading differs.

Example:
    python tools/make_synthetic_arid.py --root data/synthetic_demo --preset demo
    python benchmarks/loader.py --root data/synthetic_demo
"""
from __future__ import annotations

import argparse
import platform
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import get_cfg, merge_overrides, merge_yaml_file, validate_config  # noqa: E402
from darkvid.datasets import build_loader  # noqa: E402
from darkvid.datasets.decoding import IndexChooser, PyAVReader, check_video_file, decord_available  # noqa: E402

DEFAULT_OPTS = [
    "DATA.NUM_FRAMES", "8", "DATA.TRAIN_JITTER_SCALES", "[72, 96]", "DATA.TRAIN_CROP_SIZE", "64",
    "TRAIN.BATCH_SIZE", "8", "DATA_LOADER.PIN_MEMORY", "False",
]


class SeedWayReader:
    """One frame index at a time, as the seed read `video_container[i] for i in seq`."""

    def __init__(self) -> None:
        self.decord = None
        if decord_available():
            import decord

            self.decord = decord

    @property
    def name(self) -> str:
        return "seed's way (decord, frame by frame)" if self.decord else "seed's way (PyAV, whole video)"

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        check_video_file(path)
        if self.decord is None:
            every = PyAVReader().read(path, lambda n: range(n))
            return every[list(choose(len(every)))]
        reader = self.decord.VideoReader(str(path), num_threads=1)
        return np.stack([reader[i].asnumpy() for i in choose(len(reader))])


def time_epochs(cfg, workers: int, epochs: int, reader=None) -> float:
    """Clips per second over `epochs` epochs after one warm-up epoch (which also fills a cache)."""
    loader = build_loader(cfg, "train_label", num_workers=workers, drop_last=False)
    if reader is not None:
        loader.dataset.reader = reader
    for _ in loader:
        pass
    clips, start = 0, time.perf_counter()
    for _ in range(epochs):
        for inputs, *_ in loader:
            clips += inputs[0].shape[0]
    return clips / (time.perf_counter() - start)


def make_cfg(root: str, cfg_file: str | None, opts: Sequence[str], extra: Sequence[str]):
    """Benchmark defaults (tiny clips, as configs/tiny), then the YAML file, overrides and `extra`."""
    cfg = get_cfg()
    if cfg_file:
        merge_yaml_file(cfg, cfg_file)
    merge_overrides(cfg, [*DEFAULT_OPTS, *opts, "DATA.PATH_PREFIX", root, *extra])
    validate_config(cfg)
    return cfg


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="data/synthetic_demo", help="dataset root in the seed's layout")
    parser.add_argument("--cfg", default=None, help="optional YAML config (defaults: tiny clips)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="loader worker counts")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs after one warm-up epoch")
    parser.add_argument("--repeats", type=int, default=1, help="report the best of this many runs (shared machines)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cache_dir = tempfile.mkdtemp(prefix="darkvid_frame_cache_")
    variants = [("pyav", ["DATA.DECODING_BACKEND", "pyav"], None)]
    if decord_available():
        variants.append(("decord", ["DATA.DECODING_BACKEND", "decord"], None))
    variants.append(("cache (filled by pyav, memory-mapped)", ["DATA.CACHE_DIR", cache_dir], None))
    seed_way = SeedWayReader()
    variants.append((seed_way.name, [], seed_way))
    rows = []
    try:
        for name, extra, reader in variants:
            cfg = make_cfg(args.root, args.cfg, args.opts, extra)
            rates = [max(time_epochs(cfg, w, args.epochs, reader) for _ in range(args.repeats)) for w in args.workers]
            rows.append((name, rates))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    header = "| reader | " + " | ".join(f"{w} worker{'s' * (w > 1)} (clips/s)" for w in args.workers) + " |"
    print(header)
    print("|" + " --- |" * (len(args.workers) + 1))
    for name, rates in rows:
        print(f"| {name} | " + " | ".join(f"{r:.1f}" for r in rates) + " |")
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])}")
    print(f"best of {args.repeats} run(s) of {args.epochs} epoch(s) after a warm-up epoch")
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch thread, "
          f"decord {'installed' if decord_available() else 'absent'}, python {platform.python_version()}")


if __name__ == "__main__":
    main()
