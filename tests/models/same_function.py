"""Checks shared by the tests of model switches that must leave the network's function unchanged."""
from __future__ import annotations

import torch


def assert_same_gradients(plain: torch.nn.Module, fast: torch.nn.Module, clip: torch.Tensor) -> None:
    """Both models' parameter gradients of one loss on `clip` agree (same weights assumed)."""
    for model in (plain, fast):
        model.zero_grad()
        model(clip).logsumexp(dim=1).sum().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(), fast.named_parameters()):
        if a.grad is not None:
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-3, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")
