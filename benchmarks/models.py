"""Clips per second of each network, darkvid's way against the seed's way, on the same weights.

The seed's way is emulated on darkvid's own modules, so weights, input and everything else are
shared and only the two differences are timed:
- attention as explicit products, softmax(q k^T * scale) v, instead of
  `F.scaled_dot_product_attention` (UniFormer, MViT);
- SlowFast's fast-pathway res5, which the seed ran and threw away (darkvid skips it).
Both ways run in the same process, alternating repeat by repeat, so a busy machine slows both.

Examples:
    python benchmarks/models.py                                  # CPU defaults, see --help
    python benchmarks/models.py --device cuda --amp bf16 --batch 8 --frames 32 --size 224 --train-full
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import load_config  # noqa: E402
from darkvid.models import build_model  # noqa: E402
from darkvid.models.slowfast import SF  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FULL = ("uniformer_b32_k600", "mvit_b32_k600", "sf32_k700")  # uniformer_b32_ssv2: same network
TINY = ("uniformer", "mvit", "sf")  # uniformer_dense: same network and clip size as uniformer
_FUSED_SDPA = F.scaled_dot_product_attention


def explicit_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                       dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                       enable_gqa: bool = False) -> torch.Tensor:
    """The seed's attention: (q @ k^T) * scale, softmax, dropout, @ v."""
    if attn_mask is not None or is_causal or enable_gqa:
        raise NotImplementedError("the seed's attention had no mask, causal or grouped-query mode")
    attn = (q @ k.transpose(-2, -1)) * (scale if scale is not None else q.shape[-1] ** -0.5)
    attn = F.dropout(attn.softmax(dim=-1), p=dropout_p)
    return attn @ v


@contextlib.contextmanager
def seed_way(model: nn.Module) -> Iterator[None]:
    """Run `model` the seed's way inside the block (explicit attention; SF also runs fast res5)."""
    hook = None
    if isinstance(model, SF):
        hook = model.fast.res_nl3.register_forward_hook(partial(_run_and_drop, model.fast.res_nl4))
        model.fast.res_nl4.requires_grad_(True)  # trainable in the seed, so autograd kept its graph
    F.scaled_dot_product_attention = explicit_attention
    try:
        yield
    finally:
        F.scaled_dot_product_attention = _FUSED_SDPA
        if hook is not None:
            hook.remove()
            model.fast.res_nl4.requires_grad_(False)


def _run_and_drop(stage: nn.Module, _module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
    """Forward hook (on the fast res4): run `stage` (the fast res5) on the output, drop the result."""
    stage(output)


def make_step(model: nn.Module, clip: torch.Tensor, train: bool, amp: Optional[torch.dtype]) -> Callable[[], None]:
    """One timed call: forward without grad (eval) or forward + backward of a cross-entropy loss."""
    labels = torch.zeros(clip.shape[0], dtype=torch.long, device=clip.device)

    def step() -> None:
        with torch.autocast(clip.device.type, dtype=amp, enabled=amp is not None):
            if not train:
                with torch.no_grad():
                    model([clip])
                return
            loss = F.cross_entropy(model([clip]).float(), labels)
        model.zero_grad(set_to_none=True)
        loss.backward()

    return step


def timed(step: Callable[[], None], device: torch.device) -> float:
    """Seconds of one step, synchronising a GPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def peak_memory(step: Callable[[], None], device: torch.device) -> Optional[float]:
    """GiB allocated at the peak of one step (GPU only)."""
    if device.type != "cuda":
        return None
    torch.cuda.reset_peak_memory_stats(device)
    step()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / 2**30


def compare(model: nn.Module, clip: torch.Tensor, train: bool, args: argparse.Namespace) -> Dict[str, float]:
    """Median clips/s (and GPU peak memory) of darkvid's way and the seed's way, interleaved."""
    model.train(train)
    amp = torch.bfloat16 if args.amp == "bf16" else None
    step = make_step(model, clip, train, amp)
    times: Dict[str, List[float]] = {"darkvid": [], "seed": []}
    memory: Dict[str, Optional[float]] = {}
    for way in times:
        with seed_way(model) if way == "seed" else contextlib.nullcontext():
            for _ in range(args.warmup):
                step()
            memory[way] = peak_memory(step, clip.device)
    for _ in range(args.repeats):
        for way in times:
            with seed_way(model) if way == "seed" else contextlib.nullcontext():
                times[way].append(timed(step, clip.device))
    result = {f"{way}_clips_s": clip.shape[0] / statistics.median(t) for way, t in times.items()}
    result.update({f"{way}_gib": m for way, m in memory.items() if m is not None})
    return result


def logits_gap(model: nn.Module, clip: torch.Tensor) -> float:
    """Largest |logit difference| between the two ways in eval (they compute the same function)."""
    model.eval()
    with torch.no_grad():
        ours = model([clip]).float()
        with seed_way(model):
            theirs = model([clip]).float()
    return (ours - theirs).abs().max().item()


def run_preset(config: Path, frames: int, size: int, batch: int, args: argparse.Namespace) -> List[dict]:
    """Rows (eval, and train where asked) for one preset."""
    cfg = load_config(config)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = build_model(cfg).to(device)
    clip = torch.randn(batch, 3, frames, size, size, generator=torch.Generator().manual_seed(0)).to(device)
    gap = logits_gap(model, clip)
    full = config.parent.name == "gpu"
    rows = []
    for train in (False, True):
        if train and full and not args.train_full:
            continue
        row = {"preset": f"{config.parent.name}/{config.stem}", "input": f"{batch}x{frames}x{size}x{size}",
               "mode": "train (fwd+bwd)" if train else "eval (fwd)", "gap": gap}
        row.update(compare(model, clip, train, args))
        rows.append(row)
        print(f"  {row['preset']} {row['mode']}: {row['darkvid_clips_s']:.3g} vs {row['seed_clips_s']:.3g} clips/s",
              file=sys.stderr, flush=True)
    return rows


def markdown(rows: List[dict], gpu: bool) -> str:
    """The result table."""
    head = ("| preset | input (BxTxHxW) | mode | darkvid clips/s | seed's way clips/s | darkvid / seed "
            "| max abs logit gap |")
    if gpu:
        head += " darkvid peak GiB | seed's way peak GiB |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for r in rows:
        line = (f"| {r['preset']} | {r['input']} | {r['mode']} | {r['darkvid_clips_s']:.3g} | "
                f"{r['seed_clips_s']:.3g} | {r['darkvid_clips_s'] / r['seed_clips_s']:.2f} | {r['gap']:.1e} |")
        if gpu:
            line += f" {r['darkvid_gib']:.2f} | {r['seed_gib']:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo where there is one."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def load_average() -> str:
    """`uptime`'s load averages (other jobs may share the CPU)."""
    return " ".join(subprocess.run(["uptime"], capture_output=True, text=True).stdout.split()[-3:])


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", nargs="*", default=list(FULL), help="configs/gpu presets (none: skip)")
    parser.add_argument("--tiny", nargs="*", default=list(TINY), help="configs/tiny presets (none: skip)")
    parser.add_argument("--frames", type=int, default=16, help="frames of the full presets' clips")
    parser.add_argument("--size", type=int, default=112, help="crop size of the full presets' clips")
    parser.add_argument("--batch", type=int, default=1, help="batch of the full presets")
    parser.add_argument("--tiny-batch", type=int, default=8, help="batch of the tiny presets (their own clip size)")
    parser.add_argument("--train-full", action="store_true", help="also time forward+backward of the full presets")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per way (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per way first")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--amp", choices=("none", "bf16"), default="none", help="autocast dtype")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before, rows = load_average(), []
    for name in args.full:
        rows += run_preset(REPO / "configs" / "gpu" / f"{name}.yaml", args.frames, args.size, args.batch, args)
    for name in args.tiny:
        cfg = load_config(REPO / "configs" / "tiny" / f"{name}.yaml")
        rows += run_preset(REPO / "configs" / "tiny" / f"{name}.yaml", cfg.DATA.NUM_FRAMES,
                           cfg.DATA.TEST_CROP_SIZE, args.tiny_batch, args)
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else cpu_name()
    print(f"Command: `{' '.join(shlex.quote(a) for a in ['python', 'benchmarks/models.py', *sys.argv[1:]])}`")
    print(f"torch {torch.__version__}, {args.device} ({device}, {os.cpu_count()} CPUs), {args.threads} torch "
          f"threads, amp {args.amp}, warm-up {args.warmup}, median of {args.repeats}; "
          f"load average before {load_before}, after {load_average()}\n")
    print(markdown(rows, args.device.startswith("cuda")))


if __name__ == "__main__":
    main()
