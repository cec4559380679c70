"""Training steps and test clips per second of each tiny network, contiguous against channels-last memory.

MODEL.CHANNELS_LAST keeps weights and clips in NDHWC memory. The network computes the same function;
only which convolution kernels the CPU runs changes. Both layouts are built from the same weights
in one process and timed alternately, repeat by repeat, so a busy machine slows both alike: report
the ratio, not the absolute numbers.

Example:
    python benchmarks/channels_last.py                 # the tiny CPU networks, batch 8, one thread
    python benchmarks/channels_last.py --threads 2 --repeats 5
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import load_config  # noqa: E402
from darkvid.models import build_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = {"uniformer": "configs/tiny/uniformer.yaml", "mvit": "configs/tiny/mvit.yaml", "sf": "configs/tiny/sf.yaml"}


def _models(config: str) -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor]:
    path = REPO / config
    plain = build_model(load_config(path, ["MODEL.CHANNELS_LAST", "False"]))
    fast = build_model(load_config(path, ["MODEL.CHANNELS_LAST", "True"]))
    fast.load_state_dict(plain.state_dict())
    cfg = load_config(path)
    return plain, fast, torch.randn(8, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE)


def _train_step(model: torch.nn.Module, clip: torch.Tensor) -> Callable[[], None]:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        model(clip).logsumexp(dim=1).mean().backward()
        optimizer.step()
    return step


def _test_batch(model: torch.nn.Module, clip: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.eval()
        with torch.no_grad():
            model(clip)
    return run


def _seconds(fn: Callable[[], None], calls: int) -> float:
    fn()  # warm-up: first-call allocations and kernel choice
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(config: str, repeats: int, calls: int) -> dict[str, float]:
    """Median seconds per training step and per test batch of 8 clips, each layout, alternating."""
    plain, fast, clip = _models(config)
    times: dict[str, list[float]] = {k: [] for k in ("train_plain", "train_cl", "test_plain", "test_cl")}
    for _ in range(repeats):
        times["train_plain"].append(_seconds(_train_step(plain, clip), calls))
        times["train_cl"].append(_seconds(_train_step(fast, clip), calls))
        times["test_plain"].append(_seconds(_test_batch(plain, clip), calls))
        times["test_cl"].append(_seconds(_test_batch(fast, clip), calls))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the demo runs two 1-thread steps)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats; the median is reported")
    parser.add_argument("--calls", type=int, default=5, help="steps per repeat")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"batch 8, median of {args.repeats} x {args.calls}")
    print("| network | train step: contiguous / channels-last (s) | speed-up | test batch: contiguous / "
          "channels-last (s) | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for name, config in TINY.items():
        t = measure(config, args.repeats, args.calls)
        print(f"| {name} | {t['train_plain']:.3f} / {t['train_cl']:.3f} | {t['train_plain'] / t['train_cl']:.2f}x "
              f"| {t['test_plain']:.3f} / {t['test_cl']:.3f} | {t['test_plain'] / t['test_cl']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
