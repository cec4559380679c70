import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from darkvid.datasets.dataset import ClipItem
from darkvid.datasets.loader import collate_clips
from darkvid.engine.predict import Predictions, place_clips, predict


class _Echo(nn.Module):
    """Logits are the first 3 values of the clip, so the expected aggregate is known exactly."""

    def forward(self, x):
        return x.flatten(1)[:, :3]


class _Clips(Dataset):
    def __init__(self, logits, labels, clips):
        self.logits, self.labels, self.clips = logits, labels, clips

    def __len__(self):
        return self.logits.shape[0]

    def __getitem__(self, i):
        frames = self.logits[i].view(3, 1, 1, 1)
        return ClipItem(frames, int(self.labels[i // self.clips]), i, i // self.clips, valid=i != 7)


def _data(num_videos=4, clips=3):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(num_videos * clips, 3, generator=gen)
    labels = torch.tensor([2, 0, -1, 1])[:num_videos]
    return logits, labels


@pytest.mark.parametrize("method", ["sum", "max"])
def test_views_are_aggregated_per_video_in_csv_order(method):
    logits, labels = _data()
    # shuffled loader: order of arrival must not matter
    loader = DataLoader(_Clips(logits, labels, 3), batch_size=5, shuffle=True,
                        generator=torch.Generator().manual_seed(0), collate_fn=collate_clips)
    preds = predict(_Echo(), loader, num_videos=4, clips_per_video=3, method=method)
    per_video = logits.view(4, 3, 3)
    expected = per_video.sum(1) if method == "sum" else per_video.max(1).values
    torch.testing.assert_close(preds.logits, expected)
    assert preds.labels.tolist() == [2, 0, -1, 1]
    assert preds.valid.tolist() == [True, True, False, True]  # clip 7 belongs to video 2
    assert preds.logits.dtype == torch.float32 and preds.labels.dtype == torch.int64


def test_repeated_clips_are_deduplicated_and_missing_ones_raise():
    logits, labels = _data(2, 2)
    idx = torch.tensor([0, 1, 2, 3, 0])
    preds = place_clips(logits[idx], torch.tensor([2, 2, 0, 0, 2]), idx, torch.ones(5, dtype=torch.bool),
                        num_videos=2, clips_per_video=2).reduce("sum")
    torch.testing.assert_close(preds.logits, logits.view(2, 2, 3).sum(1))
    with pytest.raises(RuntimeError, match="never predicted"):
        place_clips(logits[:3], torch.zeros(3, dtype=torch.long), torch.arange(3), torch.ones(3, dtype=torch.bool),
                    num_videos=2, clips_per_video=2)


def test_accuracy_uses_labelled_valid_videos():
    preds = Predictions(
        logits=torch.tensor([[3.0, 2, 1], [3.0, 2, 1], [3.0, 2, 1], [1.0, 2, 3]]),
        labels=torch.tensor([0, 1, -1, 0]),
        valid=torch.tensor([True, True, True, True]),
    )
    acc = preds.accuracy((1, 2))
    assert acc == {"top1": pytest.approx(100 / 3), "top2": pytest.approx(200 / 3)}
    preds.labels[:] = -1
    assert preds.accuracy() == {}


def test_reduce_over_chosen_clip_positions():
    logits, _ = _data(2, 3)
    valid = torch.tensor([1, 1, 0, 1, 1, 1]).bool()
    placed = place_clips(logits, torch.tensor([1, 1, 1, 0, 0, 0]), torch.arange(6), valid, num_videos=2,
                         clips_per_video=3)
    subset = placed.reduce("max", positions=[0, 1])
    torch.testing.assert_close(subset.logits, logits.view(2, 3, 3)[:, :2].max(1).values)
    assert subset.valid.tolist() == [True, True]  # the invalid clip (video 0, clip 2) is not among them
    assert placed.reduce("sum").valid.tolist() == [False, True]
    with pytest.raises(ValueError, match="ENSEMBLE_METHOD"):
        placed.reduce("mean")
