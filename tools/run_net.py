"""Train and/or test a model: `python tools/run_net.py --cfg FILE [--base FILE] [--init_method URL] [KEY VALUE ...]`.

TRAIN.ENABLE trains (resuming where a previous run stopped), then TEST.ENABLE writes the
prediction files. Multi-process runs: under `torchrun --nproc_per_node N`, or with NUM_GPUS > 1
on a GPU machine, where this script starts one process per GPU itself (as PySlowFast did).
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402

from darkvid.config import load_config  # noqa: E402
from darkvid.engine import distributed as du  # noqa: E402
from darkvid.engine.tester import run_test  # noqa: E402
from darkvid.engine.trainer import fit  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cfg", dest="cfg_file", required=True, help="YAML config file")
    parser.add_argument(
        "--base", default=None, help="YAML file that replaces the config's _BASE_ (e.g. a configs/tiny preset)"
    )
    parser.add_argument("--init_method", default=None, help="process-group address, e.g. tcp://localhost:10234")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    return parser.parse_args(argv)


def run(cfg, init_method: Optional[str] = None, rank: Optional[int] = None, world_size: Optional[int] = None) -> None:
    """Join the process group, then train and test as the config asks."""
    du.init_distributed(cfg, init_method, rank=rank, world_size=world_size)
    try:
        if cfg.TRAIN.ENABLE:
            fit(cfg)
        if cfg.TEST.ENABLE:
            run_test(cfg)
    finally:
        du.cleanup()


def _spawned(local_rank: int, cfg, init_method: str) -> None:
    os.environ["LOCAL_RANK"] = str(local_rank)
    world_size = cfg.NUM_GPUS * cfg.NUM_SHARDS
    run(cfg, init_method, rank=cfg.SHARD_ID * cfg.NUM_GPUS + local_rank, world_size=world_size)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.cfg_file, args.opts, base=args.base)
    launched = "WORLD_SIZE" in os.environ
    spawn = not launched and du.use_cuda(cfg) and cfg.NUM_GPUS * cfg.NUM_SHARDS > 1
    if not spawn:
        run(cfg, args.init_method if launched else None, rank=None if launched else 0,
            world_size=None if launched else 1)
        return
    if cfg.NUM_GPUS > torch.cuda.device_count():
        raise SystemExit(f"NUM_GPUS is {cfg.NUM_GPUS} but this machine has {torch.cuda.device_count()} GPUs")
    init_method = args.init_method or f"tcp://127.0.0.1:{_free_port()}"
    mp.spawn(_spawned, nprocs=cfg.NUM_GPUS, args=(cfg, init_method), join=True)


if __name__ == "__main__":
    main()
