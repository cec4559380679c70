import math

import pytest
import torch
import torch.nn.functional as F

from darkvid.engine.losses import confidence_mask, pseudo_loss, soft_pseudo_loss, source_loss_fn


def test_source_losses_accept_indices_and_mixed_targets():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 1])
    ce = source_loss_fn("soft_cross_entropy", 3)
    assert ce(logits, labels) == pytest.approx(float(F.cross_entropy(logits, labels)))
    soft = torch.tensor([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    expected = -(soft * F.log_softmax(logits, dim=1)).sum(1).mean()
    assert ce(logits, soft) == pytest.approx(float(expected))
    smooth = source_loss_fn("cross_entropy", 3, label_smoothing=0.1)(logits, labels)
    assert smooth == pytest.approx(float(F.cross_entropy(logits, labels, label_smoothing=0.1)))
    with pytest.raises(ValueError, match="labels must lie"):
        ce(logits, torch.tensor([0, 3]))


def test_threshold_mask_numbers():
    # two classes, so the top softmax probabilities are exactly `tops`: mean 0.7125, std 0.1652
    tops = torch.tensor([0.9, 0.8, 0.55, 0.6])
    logits = torch.stack([torch.log(tops), torch.log(1 - tops)], dim=1)
    assert torch.equal(confidence_mask(logits, -1), torch.ones(4))
    assert float(tops.mean() - 0.9 * tops.std()) == pytest.approx(0.5638, abs=1e-4)
    assert torch.equal(confidence_mask(logits, 0.9), torch.tensor([1.0, 1.0, 0.0, 1.0]))
    assert torch.equal(confidence_mask(logits, 2.0), torch.ones(4))
    assert torch.equal(confidence_mask(logits, 0.0), torch.tensor([1.0, 1.0, 0.0, 0.0]))


def test_hard_pseudo_loss_is_masked_mean():
    tops = torch.tensor([0.9, 0.8, 0.55, 0.6])
    logits = torch.stack([torch.log(tops), torch.log(1 - tops)], dim=1)
    labels = torch.tensor([0, 1, 0, 0])
    per = -torch.log(torch.tensor([0.9, 0.2, 0.55, 0.6]))
    all_kept = pseudo_loss(logits, labels, None, kind="hard", temperature=1.0, threshold=-1)
    assert all_kept == pytest.approx(float(per.mean()), rel=1e-5)
    masked = pseudo_loss(logits, labels, None, kind="hard", temperature=1.0, threshold=0.0)
    assert masked == pytest.approx(float(per[:2].mean()), rel=1e-5)


def test_soft_pseudo_loss_is_kl_with_temperature():
    logits = torch.tensor([[1.0, 2.0, 0.5]])
    probs = torch.tensor([[0.2, 0.5, 0.3]])
    q = F.softmax(logits, dim=1)
    kl = float((probs * (probs / q).log()).sum())
    assert soft_pseudo_loss(logits, probs, 1.0).item() == pytest.approx(kl, rel=1e-5)
    assert soft_pseudo_loss(torch.log(probs), probs, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    t = 2.0
    pt = F.softmax(probs.log() / t, dim=1)
    qt = F.softmax(logits / t, dim=1)
    expected = float((pt * (pt / qt).log()).sum()) * t * t
    assert soft_pseudo_loss(logits, probs, t).item() == pytest.approx(expected, rel=1e-5)
    loss = pseudo_loss(logits, torch.tensor([1]), probs, kind="soft", temperature=1.0, threshold=-1)
    assert loss.item() == pytest.approx(kl, rel=1e-5)
    with pytest.raises(ValueError, match="probabilities"):
        pseudo_loss(logits, torch.tensor([1]), None, kind="soft", temperature=1.0, threshold=-1)
    assert not math.isnan(loss.item())
