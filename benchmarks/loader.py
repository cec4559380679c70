"""Clips per second of the training loader: PyAV, decord, the frame cache and the seed's way.

The seed's way is its `Ug2_sparse.__getitem__` read path rebuilt in a few lines: open the video
with decord (PyAV where decord is absent) and fetch the sampled frames one index at a time, every
epoch. All variants share darkvid's sampler and transforms, so only the reading differs.

Examples:
    python tools/make_synthetic_arid.py --root data/synthetic_demo --preset demo
    python benchmarks/loader.py --root data/synthetic_demo
    python benchmarks/loader.py --make-arid-like /tmp/arid_like --root /tmp/arid_like --cache-short-side 96
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import av
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import get_cfg, merge_overrides, merge_yaml_file, validate_config  # noqa: E402
from darkvid.datasets import build_dataset, build_loader  # noqa: E402
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


class InMemoryReader:
    """Every video's frames served from memory (the first video's, decoded once): what is left of
    an epoch when reading costs nothing, i.e. sampling, transforms, collation and worker transfer."""

    name = "frames in memory (no reading: transform + loader floor)"

    def __init__(self) -> None:
        self.frames: np.ndarray | None = None

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        if self.frames is None:
            self.frames = PyAVReader().read(path, lambda n: range(n))
        return self.frames[list(choose(len(self.frames)))]


def make_arid_like(root: Path, count: int = 20, seed: int = 0) -> None:
    """`count` ARID-sized train_label videos (320x240, 100-150 frames, dark, H.264) under `root`.

    A bright blob wanders over a dark textured background with sensor-like noise, so the encoder
    has real motion and texture to code, as in ARID's night clips.
    """
    rng = np.random.default_rng(seed)
    folder = root / "labeled_train" / "Train"
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:240, 0:320]
    rows = []
    for i in range(count):
        background = rng.integers(5, 40, (240, 320, 3)).astype(np.float32)
        centre, velocity = rng.uniform((60, 40), (260, 200)), rng.uniform(-3, 3, 2)
        name = f"arid_like_{i:03d}.mp4"
        with av.open(str(folder / name), "w") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            for _ in range(int(rng.integers(100, 151))):
                centre = np.clip(centre + velocity, (20, 20), (300, 220))
                blob = 50 * np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / 800.0)
                noise = rng.normal(0, 4, (240, 320, 1))
                image = np.clip(background + blob[..., None] + noise, 0, 255).astype(np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        rows.append(f"{name},{i % 11}\n")
    (root / "train_label+val_dry.csv").write_text("".join(rows))


def time_epochs(cfg, workers: int, epochs: int, reader=None) -> float:
    """Clips per second over `epochs` epochs after one warm-up epoch (which also fills a cache)."""
    loader = build_loader(cfg, "train_label", num_workers=workers, drop_last=False)
    if reader is not None:
        loader.dataset.reader = reader
    for _ in loader:
        pass
    clips, start = 0, time.perf_counter()
    for _ in range(epochs):
        for batch in loader:
            clips += len(batch)
    return clips / (time.perf_counter() - start)


def cpu_ms_per_clip(cfg, epochs: int, reader=None) -> float:
    """CPU milliseconds per clip of `__getitem__` in this process (no loader) after a warm-up pass.

    CPU time hardly depends on what other jobs run on the machine, unlike clips per second.
    """
    dataset = build_dataset(cfg, "train_label")
    if reader is not None:
        dataset.reader = reader
    for index in range(len(dataset)):
        dataset[index]
    start = time.process_time()
    for _ in range(epochs):
        for index in range(len(dataset)):
            dataset[index]
    return 1000 * (time.process_time() - start) / (epochs * len(dataset))


def make_cfg(root: str, cfg_file: str | None, opts: Sequence[str], extra: Sequence[str]):
    """Benchmark defaults (tiny clips, as configs/tiny), then the YAML file, overrides and `extra`."""
    cfg = get_cfg()
    if cfg_file:
        merge_yaml_file(cfg, cfg_file)
    merge_overrides(cfg, [*DEFAULT_OPTS, *opts, "DATA.PATH_PREFIX", root, *extra])
    validate_config(cfg)
    return cfg


Variant = Tuple[str, List[str], object]


def build_variants(cache_dir: str, cache_short_side: int) -> List[Variant]:
    """(name, extra overrides, reader replacing the dataset's or None) of every way of reading."""
    variants: List[Variant] = [("pyav", ["DATA.DECODING_BACKEND", "pyav"], None)]
    if decord_available():
        variants.append(("decord", ["DATA.DECODING_BACKEND", "decord"], None))
    variants.append(("cache (filled by pyav, decoded size)", ["DATA.CACHE_DIR", cache_dir], None))
    if cache_short_side > 0:
        side = str(cache_short_side)
        variants.append((f"cache (filled by pyav, short side {side})",
                         ["DATA.CACHE_DIR", cache_dir, "DATA.CACHE_SHORT_SIDE", side], None))
    floor = InMemoryReader()
    variants.append((floor.name, [], floor))
    seed_way = SeedWayReader()
    variants.append((seed_way.name, [], seed_way))
    return variants


def measure(args: argparse.Namespace, variants: List[Variant]) -> Dict[str, List[float]]:
    """Best clips/s of each variant per worker count, then (last column) the least CPU ms per clip
    in one process; repeats go round all variants in turn, so a burst of load from other jobs hits
    every variant rather than one."""
    best: Dict[str, List[float]] = {name: [0.0] * len(args.workers) + [float("inf")] for name, _, _ in variants}
    for _ in range(args.repeats):
        for name, extra, reader in variants:
            cfg = make_cfg(args.root, args.cfg, args.opts, extra)
            for column, workers in enumerate(args.workers):
                rate = time_epochs(cfg, workers, args.epochs, reader)
                best[name][column] = max(best[name][column], rate)
            best[name][-1] = min(best[name][-1], cpu_ms_per_clip(cfg, args.epochs, reader))
    return best


def print_table(best: Dict[str, List[float]], workers: Sequence[int], seed_name: str) -> None:
    """Markdown table of the measures with each one's speed-up over the seed's way."""
    columns = [f"{w} worker{'s' * (w > 1)}: clips/s" for w in workers] + ["CPU ms/clip, no loader"]
    print("| reader | " + " | ".join(f"{c} (x seed's way)" for c in columns) + " |")
    print("|" + " --- |" * (len(columns) + 1))
    seed = best[seed_name]
    for name, values in best.items():
        cells = [f"{rate:.1f} ({rate / base:.2f}x)" for rate, base in zip(values[:-1], seed)]
        cells.append(f"{values[-1]:.2f} ({seed[-1] / values[-1]:.2f}x)")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="data/synthetic_demo", help="dataset root in the seed's layout")
    parser.add_argument("--cfg", default=None, help="optional YAML config (defaults: tiny clips)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="loader worker counts")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs after one warm-up epoch")
    parser.add_argument("--repeats", type=int, default=1, help="report the best of this many runs (shared machines)")
    parser.add_argument("--make-arid-like", type=Path, default=None, metavar="DIR",
                        help="first write 20 ARID-sized videos (320x240, 100-150 frames) and their CSV to DIR")
    parser.add_argument("--cache-short-side", type=int, default=0,
                        help="also time a cache whose frames are stored at this short side (DATA.CACHE_SHORT_SIDE)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.make_arid_like is not None:
        make_arid_like(args.make_arid_like)
    cache_dir = tempfile.mkdtemp(prefix="darkvid_frame_cache_")
    variants = build_variants(cache_dir, args.cache_short_side)
    load_before = os.getloadavg()
    try:
        best = measure(args, variants)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print_table(best, args.workers, variants[-1][0])
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])}")
    print(f"best of {args.repeats} run(s) of {args.epochs} epoch(s) after a warm-up epoch")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch thread, "
          f"decord {'installed' if decord_available() else 'absent'}, python {platform.python_version()}")
    load = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(load_before, os.getloadavg()))
    print(f"load average (1, 5, 15 min) before/after: {load}")


if __name__ == "__main__":
    main()
