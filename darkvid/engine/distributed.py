"""Process groups and collectives: one process per GPU (nccl) or per CPU worker (gloo).

Every helper also works without a process group (a single process), so the engine code
calls them unconditionally.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any, List, Optional

import torch
import torch.distributed as dist
from fvcore.common.config import CfgNode


@dataclass(frozen=True)
class DistEnv:
    """Where this process runs: its rank among `world_size` processes and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def use_cuda(cfg: CfgNode) -> bool:
    """Whether to run on GPUs: NUM_GPUS > 0 and CUDA present; otherwise the CPU."""
    return cfg.NUM_GPUS > 0 and torch.cuda.is_available()


def init_distributed(
    cfg: CfgNode, init_method: Optional[str] = None, rank: Optional[int] = None, world_size: Optional[int] = None
) -> DistEnv:
    """Join the process group described by torchrun's variables or by the explicit arguments.

    Args:
        cfg: reads NUM_GPUS and DIST_BACKEND.
        init_method: e.g. tcp://localhost:10234; None uses env:// (torchrun's MASTER_ADDR/PORT).
        rank, world_size: given by a launcher that spawned the processes itself; None reads
            RANK / WORLD_SIZE (1 process when unset).
    """
    rank = int(os.environ.get("RANK", 0)) if rank is None else rank
    world_size = int(os.environ.get("WORLD_SIZE", 1)) if world_size is None else world_size
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    cuda = use_cuda(cfg)
    if cuda:
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        backend = cfg.DIST_BACKEND or ("nccl" if cuda else "gloo")
        dist.init_process_group(
            backend=backend,
            init_method=init_method or "env://",
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(minutes=30),
        )
    return DistEnv(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def current_env(cfg: CfgNode) -> DistEnv:
    """The DistEnv of an already set-up process (or of a single process when there is no group)."""
    rank, world = get_rank(), get_world_size()
    cuda = use_cuda(cfg)
    device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
    return DistEnv(rank=rank, world_size=world, local_rank=int(os.environ.get("LOCAL_RANK", rank)), device=device)


def get_rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def get_world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main_process() -> bool:
    return get_rank() == 0


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """Mean of `tensor` over processes (a copy; the input is unchanged)."""
    out = tensor.detach().clone()
    if dist.is_initialized():
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        out /= get_world_size()
    return out


def all_gather_cat(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every process's tensor along dim 0, in rank order (lengths may differ)."""
    if not dist.is_initialized():
        return tensor
    length = torch.tensor([tensor.shape[0]], device=tensor.device)
    lengths = [torch.zeros_like(length) for _ in range(get_world_size())]
    dist.all_gather(lengths, length)
    longest = int(max(n.item() for n in lengths))
    padded = tensor.new_zeros((longest, *tensor.shape[1:]))
    padded[: tensor.shape[0]] = tensor
    parts = [torch.zeros_like(padded) for _ in lengths]
    dist.all_gather(parts, padded)
    return torch.cat([part[: int(n.item())] for part, n in zip(parts, lengths)])


def all_gather_objects(obj: Any) -> List[Any]:
    """Every process's picklable `obj`, in rank order."""
    if not dist.is_initialized():
        return [obj]
    out: List[Any] = [None] * get_world_size()
    dist.all_gather_object(out, obj)
    return out


def cleanup() -> None:
    """Leave the process group (at the end of tools/run_net.py)."""
    if dist.is_initialized():
        dist.destroy_process_group()
