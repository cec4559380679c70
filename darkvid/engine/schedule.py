"""Per-iteration learning rate: linear warm-up, then cosine decay (PySlowFast's `get_lr_at_epoch`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from fvcore.common.config import CfgNode

from darkvid.config import ConfigError


@dataclass(frozen=True)
class LRSchedule:
    """Learning rate as a function of the fractional epoch `epoch + iteration / iterations`.

    Attributes:
        base_lr: peak rate, reached at the end of warm-up.
        end_lr: rate of the cosine at `max_epoch`.
        max_epoch: training length in epochs.
        warmup_epochs: warm-up length (fractional allowed); 0 disables warm-up.
        warmup_start_lr: rate at epoch 0.
        cosine_after_warmup: the cosine spans [warmup_epochs, max_epoch] instead of [0, max_epoch].
        policy: "cosine" or "constant".
    """

    base_lr: float
    end_lr: float
    max_epoch: float
    warmup_epochs: float = 0.0
    warmup_start_lr: float = 0.0
    cosine_after_warmup: bool = True
    policy: str = "cosine"

    def _decay(self, epoch: float) -> float:
        if self.policy == "constant":
            return self.base_lr
        offset = self.warmup_epochs if self.cosine_after_warmup else 0.0
        progress = (epoch - offset) / (self.max_epoch - offset)
        return self.end_lr + (self.base_lr - self.end_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def __call__(self, epoch: float) -> float:
        if epoch < self.warmup_epochs:
            # The warm-up line ends where the decay curve is at the end of warm-up, as PySlowFast.
            target = self._decay(self.warmup_epochs)
            return self.warmup_start_lr + (target - self.warmup_start_lr) * epoch / self.warmup_epochs
        return self._decay(epoch)


def build_schedule(cfg: CfgNode, num_shards: int = 1) -> LRSchedule:
    """The schedule of `cfg.SOLVER`; every rate is multiplied by `num_shards` when BASE_LR_SCALE_NUM_SHARDS."""
    solver = cfg.SOLVER
    scale = num_shards if solver.BASE_LR_SCALE_NUM_SHARDS else 1
    if not 0 <= solver.WARMUP_EPOCHS < solver.MAX_EPOCH:
        raise ConfigError(
            f"config key 'SOLVER.WARMUP_EPOCHS' is {solver.WARMUP_EPOCHS}; it must be in [0, SOLVER.MAX_EPOCH "
            f"= {solver.MAX_EPOCH})"
        )
    if solver.LR_POLICY == "cosine" and solver.COSINE_END_LR > solver.BASE_LR * scale:
        raise ConfigError(
            f"config key 'SOLVER.COSINE_END_LR' ({solver.COSINE_END_LR}) exceeds 'SOLVER.BASE_LR' ({solver.BASE_LR})"
        )
    return LRSchedule(
        base_lr=solver.BASE_LR * scale,
        end_lr=solver.COSINE_END_LR * scale,
        max_epoch=float(solver.MAX_EPOCH),
        warmup_epochs=float(solver.WARMUP_EPOCHS),
        warmup_start_lr=solver.WARMUP_START_LR * scale,
        cosine_after_warmup=solver.COSINE_AFTER_WARMUP,
        policy=solver.LR_POLICY,
    )
