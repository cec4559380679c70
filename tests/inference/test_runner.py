"""StreamPredictor: input order kept, clips batched across videos, memory bounded by the batch."""
from __future__ import annotations

import torch
from torch import nn

from darkvid.inference.clips import VideoClips
from darkvid.inference.runner import StreamPredictor


class _Echo(nn.Module):
    """Logits = the clip's two values; records each batch size."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def forward(self, inputs: list) -> torch.Tensor:
        self.batches.append(len(inputs[0]))
        return inputs[0].flatten(1)[:, :2]


def _videos(count: int, produced: list):
    for i in range(count):
        produced[0] += 1
        if i % 7 == 3:
            yield VideoClips(i, f"{i}.mp4", error="video file is empty")
            continue
        # Two distinct clips; the member reads clip 0 twice and clip 1 once (a shared clip).
        clips = torch.tensor([[float(i), 1.0], [float(i), 2.0]])
        yield VideoClips(i, f"{i}.mp4", clips=[clips], slots=[[0, 0, 1]], frames=5)


def test_thousands_of_videos_stream_in_order_with_bounded_holding():
    model, produced, held = _Echo(), [0], []
    runner = StreamPredictor([model], [0], ["sum"], batch_size=8, device=torch.device("cpu"))
    results = []
    for result in runner.run(_videos(3000, produced)):
        results.append(result)
        held.append(produced[0] - len(results))
    assert [r.video.index for r in results] == list(range(3000))
    assert max(held) <= 8  # never more videos in flight than a batch of clips
    assert max(model.batches) == 8 and sum(model.batches) == 2 * sum(1 for i in range(3000) if i % 7 != 3)
    good = results[11]
    assert good.logits[0].tolist() == [33.0, 4.0]  # i=11: 3 * 11, then 1 + 1 + 2
    assert results[3].logits is None and results[3].video.error


def test_max_aggregation():
    runner = StreamPredictor([_Echo()], [0], ["max"], batch_size=3, device=torch.device("cpu"))
    (result,) = runner.run(iter([VideoClips(0, "a.mp4", clips=[torch.tensor([[1.0, 5.0], [2.0, 0.0]])],
                                            slots=[[0, 1]])]))
    assert result.logits[0].tolist() == [2.0, 5.0]
