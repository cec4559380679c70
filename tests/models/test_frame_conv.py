"""MODEL.FRAME_CONV_STEM computes the clip-reading Conv3d layers through 2D convolutions: same function, same keys."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from darkvid.config import load_config
from darkvid.models import build_model
from darkvid.models.frame_conv import FrameConv3d, frame_conv3d, use_frame_convs
from tests.conftest import REPO_ROOT
from tests.models.same_function import assert_same_gradients

# (out channels, kernel, stride, padding): SlowFast's fast and slow stems, UniFormer's and MViT's patch embeddings
LAYERS = [
    (2, (5, 7, 7), (1, 2, 2), (2, 3, 3)),
    (16, (1, 7, 7), (1, 2, 2), (0, 3, 3)),
    (16, (3, 4, 4), (2, 4, 4), (1, 0, 0)),
    (32, (3, 7, 7), (2, 4, 4), (1, 3, 3)),
    (4, (4, 3, 3), (3, 1, 1), (0, 1, 1)),  # more taps than padding covers, a stride that skips frames
]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("frames", [8, 9])
def test_same_output_and_weight_gradient_as_conv3d(layer, channels_last: bool, frames: int) -> None:
    out_channels, kernel, stride, padding = layer
    gen = torch.Generator().manual_seed(0)
    clip = torch.randn(2, 3, frames, 20, 24, generator=gen)
    if channels_last:
        clip = clip.contiguous(memory_format=torch.channels_last_3d)
    weight = torch.randn(out_channels, 3, *kernel, generator=gen).requires_grad_()
    bias = torch.randn(out_channels, generator=gen).requires_grad_()
    expected = F.conv3d(clip, weight, bias, stride, padding)
    (g_w, g_b) = torch.autograd.grad(expected.square().sum(), (weight, bias))
    got = frame_conv3d(clip, weight, bias, stride, padding)
    assert got.shape == expected.shape
    assert got.is_contiguous(memory_format=torch.channels_last_3d if channels_last else torch.contiguous_format)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    (f_w, f_b) = torch.autograd.grad(got.square().sum(), (weight, bias))
    # float sums in another order: compare against the gradient's scale
    torch.testing.assert_close(f_w, g_w, rtol=0, atol=1e-5 * g_w.abs().max().item())
    torch.testing.assert_close(f_b, g_b, rtol=0, atol=1e-5 * g_b.abs().max().item())


def test_only_plain_convs_reading_the_clip_are_replaced_and_parameters_are_shared() -> None:
    model = nn.Sequential(nn.Conv3d(3, 4, (3, 3, 3), padding=1), nn.Conv3d(4, 4, 1),
                          nn.Conv3d(3, 4, 3, dilation=2), nn.Conv3d(3, 3, 3, groups=3))
    weight = model[0].weight
    assert use_frame_convs(model) == ["0"]
    assert isinstance(model[0], FrameConv3d) and model[0].weight is weight
    assert [type(m) for m in model[1:]] == [nn.Conv3d] * 3
    with pytest.raises(ValueError, match="dilation"):
        FrameConv3d.from_conv(model[2])


def test_a_clip_shorter_than_the_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than the kernel"):
        frame_conv3d(torch.zeros(1, 3, 2, 8, 8), torch.zeros(2, 3, 5, 3, 3), None, (1, 1, 1), (0, 1, 1))


@pytest.mark.parametrize("arch", ["uniformer", "mvit", "sf"])
def test_tiny_networks_compute_the_same_function_and_load_the_same_checkpoints(arch: str) -> None:
    path = REPO_ROOT / "configs" / "tiny" / f"{arch}.yaml"
    plain = build_model(load_config(path, ["MODEL.FRAME_CONV_STEM", "False"]))
    fast = build_model(load_config(path, ["MODEL.FRAME_CONV_STEM", "True"]))
    assert any(isinstance(m, FrameConv3d) for m in fast.modules())
    assert list(fast.state_dict()) == list(plain.state_dict())
    fast.load_state_dict(plain.state_dict())
    cfg = load_config(path)
    size = cfg.DATA.TRAIN_CROP_SIZE
    clip = torch.randn(2, 3, cfg.DATA.NUM_FRAMES, size, size, generator=torch.Generator().manual_seed(3))
    plain.eval(), fast.eval()
    with torch.no_grad():
        torch.testing.assert_close(fast(clip), plain(clip), rtol=1e-4, atol=1e-5)
    assert_same_gradients(plain, fast, clip)
