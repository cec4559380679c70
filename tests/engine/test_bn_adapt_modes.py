"""BN.ADAPT_MODE / BN.ADAPT_SYNC: the seed's BN pass (whole network in train mode, rank 0's statistics)."""
import pytest
import torch
from torch import nn

from darkvid.config import ConfigError, load_config
from darkvid.engine.bn_adapt import adapt_bn


class _Net(nn.Module):
    """BN then dropout: records whether dropout was active while BN statistics were gathered."""

    def __init__(self) -> None:
        super().__init__()
        self.bn, self.drop = nn.BatchNorm1d(4), nn.Dropout(0.5)
        self.dropout_active: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.dropout_active.append(self.drop.training)
        return self.drop(self.bn(x))


class _Batch:
    def __init__(self, clips: torch.Tensor) -> None:
        self.clips = clips


@pytest.mark.parametrize("train_mode", [False, True])
def test_mode_of_the_rest_of_the_network(train_mode: bool) -> None:
    net = _Net()
    net.eval()
    batches = [_Batch(torch.randn(8, 4) * 3 + 2) for _ in range(3)]
    assert adapt_bn(net, batches, 3, torch.device("cpu"), train_mode=train_mode, sync=False)
    assert net.dropout_active == [train_mode] * 3
    assert not net.training  # restored
    expected = torch.cat([b.clips for b in batches]).mean(0)
    assert torch.allclose(net.bn.running_mean, expected, atol=1e-5)


def test_unknown_mode_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("BN:\n  ADAPT_MODE: training\n")
    with pytest.raises(ConfigError, match="BN.ADAPT_MODE"):
        load_config(path)
