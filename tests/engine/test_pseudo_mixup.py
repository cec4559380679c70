"""MIXUP.PSEUDO: the seed's mixup on pseudo-labelled batches, scored with the source loss."""
import torch

from darkvid.engine.amp import Amp
from darkvid.engine.losses import source_loss_fn
from darkvid.engine.train_loop import LoopSettings, train_one_epoch
from tests.engine.standins import TinyLinear
from tests.engine.test_train_loop import _batches


def _epoch(pseudo_mixup: bool) -> list[torch.Tensor]:
    """Runs one epoch with a mixup stand-in that records the label batches it mixed."""
    mixed = []

    def mixup(clips: torch.Tensor, labels: torch.Tensor):
        mixed.append(labels.clone())
        return clips.flip(0) * 0.5 + clips * 0.5, torch.nn.functional.one_hot(labels, 11).float()

    model = TinyLinear()
    settings = LoopSettings(source_loss=source_loss_fn("soft_cross_entropy", 11), pseudo_mixup=pseudo_mixup)
    stats = train_one_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1), _batches(3), epoch=0,
                            lr_at=lambda e: 0.1, settings=settings, device=torch.device("cpu"), amp=Amp("cpu"),
                            mixup=mixup, pseudo_loader=_batches(2, probs=True))
    assert torch.isfinite(torch.tensor(stats["pseudo_loss"]))
    return mixed


def test_pseudo_batches_are_mixed_only_when_asked() -> None:
    assert len(_epoch(False)) == 3  # the source batches alone
    assert len(_epoch(True)) == 6  # and each pseudo-labelled batch
