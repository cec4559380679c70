import torch
from torch import nn

from darkvid.config import get_cfg, merge_overrides
from darkvid.engine.optim import build_optimizer, param_groups


class _WithPos(nn.Module):
    def __init__(self):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, 4, 8))
        self.conv = nn.Conv3d(3, 8, 1)
        self.bn = nn.BatchNorm3d(8)
        self.fc = nn.Linear(8, 2)
        self.frozen = nn.Parameter(torch.zeros(3, 3), requires_grad=False)

    def no_weight_decay(self):
        return {"pos_embed"}


def _groups(optimizer):
    return {g["weight_decay"]: set(g["names"]) for g in optimizer.param_groups}


def test_one_dim_params_and_named_params_get_no_decay():
    groups = param_groups(_WithPos(), 0.05, zero_wd_1d=True, no_decay_names={"pos_embed"})
    by_wd = {g["weight_decay"]: set(g["names"]) for g in groups}
    assert by_wd[0.05] == {"conv.weight", "fc.weight"}
    assert by_wd[0.0] == {"pos_embed", "conv.bias", "bn.weight", "bn.bias", "fc.bias"}


def test_without_zero_wd_1d_only_hook_names_are_exempt():
    groups = param_groups(_WithPos(), 0.1, zero_wd_1d=False, no_decay_names={"pos_embed"})
    by_wd = {g["weight_decay"]: set(g["names"]) for g in groups}
    assert by_wd[0.0] == {"pos_embed"}
    assert "bn.weight" in by_wd[0.1]


def test_build_optimizer_uses_hook_and_respects_mvit_switch():
    cfg = get_cfg()
    merge_overrides(cfg, ["SOLVER.WEIGHT_DECAY", "0.03"])
    opt = build_optimizer(cfg, _WithPos())
    assert isinstance(opt, torch.optim.AdamW)
    assert "pos_embed" in _groups(opt)[0.0]
    merge_overrides(cfg, ["MODEL.ARCH", "mvit", "MVIT.ZERO_DECAY_POS_CLS", "False", "SOLVER.OPTIMIZING_METHOD", "sgd"])
    opt = build_optimizer(cfg, _WithPos())
    assert isinstance(opt, torch.optim.SGD)
    assert "pos_embed" in _groups(opt)[0.03]
