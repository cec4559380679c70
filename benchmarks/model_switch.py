"""Training steps and test clips per second of each tiny network with a model switch off and on.

The switches compared here compute the same function and change only which CPU kernels run:
MODEL.CHANNELS_LAST (weights and clips in NDHWC memory) and MODEL.FRAME_CONV_STEM (the convolutions
that read the clip as per-frame 2D convolutions). Both variants are built from the tiny preset
(all its other keys as configured) with the same weights in one process and timed alternately,
repeat by repeat, so a busy machine slows both alike: report the ratio, not the absolute numbers.

Example:
    python benchmarks/model_switch.py                  # MODEL.CHANNELS_LAST, batch 8, one thread
    python benchmarks/model_switch.py --key MODEL.FRAME_CONV_STEM --repeats 5
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
SWITCHES = ("MODEL.CHANNELS_LAST", "MODEL.FRAME_CONV_STEM")
TINY = {"uniformer": "configs/tiny/uniformer.yaml", "mvit": "configs/tiny/mvit.yaml", "sf": "configs/tiny/sf.yaml"}


def _models(config: str, key: str) -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor]:
    path = REPO / config
    plain = build_model(load_config(path, [key, "False"]))
    fast = build_model(load_config(path, [key, "True"]))
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


def measure(config: str, key: str, repeats: int, calls: int) -> dict[str, float]:
    """Median seconds per training step and per test batch of 8 clips, `key` off and on, alternating."""
    plain, fast, clip = _models(config, key)
    times: dict[str, list[float]] = {k: [] for k in ("train_off", "train_on", "test_off", "test_on")}
    for _ in range(repeats):
        times["train_off"].append(_seconds(_train_step(plain, clip), calls))
        times["train_on"].append(_seconds(_train_step(fast, clip), calls))
        times["test_off"].append(_seconds(_test_batch(plain, clip), calls))
        times["test_on"].append(_seconds(_test_batch(fast, clip), calls))
    return {k: statistics.median(v) for k, v in times.items()}


def cpu_kernels() -> str:
    """The CPU capability PyTorch dispatches to, and whether the CPU has AMX: which switch pays depends on it."""
    flags = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "")
    amx = "with AMX" if "amx_tile" in flags.split() else "no AMX"
    return f"{platform.machine()} {torch.backends.cpu.get_cpu_capability()} ({amx})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--key", default="MODEL.CHANNELS_LAST", choices=SWITCHES, help="the switch to compare")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the demo runs two 1-thread steps)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats; the median is reported")
    parser.add_argument("--calls", type=int, default=5, help="steps per repeat")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# {cpu_kernels()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"batch 8, median of {args.repeats} x {args.calls}, {args.key} off / on")
    print("| network | train step: off / on (s) | speed-up | test batch: off / on (s) | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for name, config in TINY.items():
        t = measure(config, args.key, args.repeats, args.calls)
        print(f"| {name} | {t['train_off']:.3f} / {t['train_on']:.3f} | {t['train_off'] / t['train_on']:.2f}x "
              f"| {t['test_off']:.3f} / {t['test_on']:.3f} | {t['test_off'] / t['test_on']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
