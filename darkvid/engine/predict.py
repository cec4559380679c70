"""Per-video predictions: run every test clip and aggregate its views x crops into one logit row."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Sequence

import torch
from torch import nn

from .amp import Amp
from .distributed import all_gather_cat

_CPU = torch.device("cpu")  # predict()'s default device


@dataclass
class Predictions:
    """Aggregated predictions of one split, in CSV row order.

    Attributes:
        logits: float32 [N, C] per-video logits (summed or maxed over clips; never softmaxed).
        labels: int64 [N], -1 where the split has no labels.
        valid: bool [N], False for a video whose clips could not all be decoded.
    """

    logits: torch.Tensor
    labels: torch.Tensor
    valid: torch.Tensor

    def accuracy(self, ks: Sequence[int] = (1, 5)) -> Dict[str, float]:
        """Top-k accuracy in percent over valid, labelled videos ({} when there are none)."""
        keep = self.valid & (self.labels >= 0)
        if not keep.any():
            return {}
        logits, labels = self.logits[keep], self.labels[keep]
        top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
        hits = top == labels[:, None]
        return {f"top{k}": float(hits[:, :k].any(dim=1).float().mean() * 100) for k in ks}


@torch.no_grad()
def predict(
    model: nn.Module,
    loader: Iterable,
    *,
    num_videos: int,
    clips_per_video: int,
    method: str = "sum",
    device: torch.device = _CPU,
    amp: Optional[Amp] = None,
) -> Predictions:
    """Predict every clip of a test-mode loader and aggregate clips per video.

    Item `i` of the dataset is clip `i % clips_per_video` of video `i // clips_per_video`, so
    the batch indices place each clip exactly, whatever order or process it came from (a
    DistributedSampler's padding repeats clips; repeats overwrite with the same values).

    Args:
        model: the network (DDP-wrapped or not); it is put in eval mode.
        loader: `Batch`es (darkvid/datasets/loader.py); rows with `valid` False make their video invalid.
        num_videos: videos in the split.
        clips_per_video: NUM_ENSEMBLE_VIEWS * NUM_SPATIAL_CROPS.
        method: DATA.ENSEMBLE_METHOD, "sum" or "max" of clip logits.
        device: where the model lives.
        amp: autocast settings (full precision when None).

    Returns:
        Predictions of every video, identical on every process.
    """
    _check_method(method)
    clips = predict_clips(model, loader, num_videos=num_videos, clips_per_video=clips_per_video, device=device,
                          amp=amp)
    return clips.reduce(method)


@dataclass
class ClipPredictions:
    """Logits of every clip of a split before aggregation: [videos, clips per video, classes]."""

    logits: torch.Tensor
    labels: torch.Tensor
    valid: torch.Tensor

    def reduce(self, method: str, positions: Optional[Sequence[int]] = None) -> Predictions:
        """Aggregate the clips at `positions` of every video (all when None) by sum or max.

        A subset gives the predictions of a smaller views x crops setting whose clips are among
        these ones (see darkvid/datasets/clip_subsets.py), without running the model again.
        """
        _check_method(method)
        keep = list(range(self.logits.shape[1])) if positions is None else list(positions)
        clips = self.logits[:, keep]
        video_logits = clips.sum(dim=1) if method == "sum" else clips.max(dim=1).values
        return Predictions(logits=video_logits.float(), labels=self.labels[:, 0].clone(),
                           valid=self.valid[:, keep].all(dim=1))

    def take_videos(self, rows: Sequence[int], labels: torch.Tensor) -> "ClipPredictions":
        """The clips of the videos at `rows`, in that order, with `labels` [len(rows)] as their labels.

        For a split whose videos are the same files as some of this split's (see
        darkvid/datasets/clip_subsets.py `same_files`): its labels are its own, not this split's.
        """
        index = torch.as_tensor(list(rows), dtype=torch.long)
        if labels.shape != index.shape:
            raise ValueError(f"{index.numel()} videos taken but {labels.numel()} labels given")
        clips = self.logits.shape[1]
        return ClipPredictions(logits=self.logits[index], labels=labels.long()[:, None].repeat(1, clips),
                               valid=self.valid[index])


@torch.no_grad()
def predict_clips(
    model: nn.Module,
    loader: Iterable,
    *,
    num_videos: int,
    clips_per_video: int,
    device: torch.device = _CPU,
    amp: Optional[Amp] = None,
) -> ClipPredictions:
    """`predict` without the aggregation: every clip's logits, in dataset order, on every process."""
    model.eval()
    parts = {"logits": [], "labels": [], "indices": [], "valid": []}
    for batch in loader:
        with (amp or Amp(device.type)).autocast():
            logits = model(batch.clips.to(device, non_blocking=True))
        parts["logits"].append(logits.float().cpu())
        parts["labels"].append(batch.labels.long().cpu())
        parts["indices"].append(batch.indices.long().cpu())
        parts["valid"].append(batch.valid.to(torch.uint8).cpu())
    gathered = {key: _gather(values, device) for key, values in parts.items()}
    return place_clips(
        gathered["logits"], gathered["labels"], gathered["indices"], gathered["valid"].bool(),
        num_videos=num_videos, clips_per_video=clips_per_video,
    )


def _check_method(method: str) -> None:
    if method not in ("sum", "max"):
        raise ValueError(f"DATA.ENSEMBLE_METHOD must be sum or max; got {method!r}")


def _gather(values: list, device: torch.device) -> torch.Tensor:
    local = torch.cat(values) if values else torch.zeros(0)
    # nccl gathers only GPU tensors; gloo gathers CPU tensors.
    return all_gather_cat(local.to(device)).cpu()


def place_clips(
    logits: torch.Tensor,
    labels: torch.Tensor,
    indices: torch.Tensor,
    valid: torch.Tensor,
    *,
    num_videos: int,
    clips_per_video: int,
) -> ClipPredictions:
    """Clip rows placed by dataset index into [videos, clips per video, ...]; every clip must be there."""
    total = num_videos * clips_per_video
    if indices.numel() and (indices.min() < 0 or indices.max() >= total):
        raise ValueError(f"clip index {int(indices.max())} outside the {total} clips of {num_videos} videos")
    num_classes = logits.shape[1] if logits.ndim == 2 else 0
    clips = torch.zeros(total, num_classes)
    clip_labels = torch.full((total,), -1, dtype=torch.long)
    clip_valid = torch.zeros(total, dtype=torch.bool)
    seen = torch.zeros(total, dtype=torch.bool)
    clips[indices] = logits
    clip_labels[indices] = labels
    clip_valid[indices] = valid
    seen[indices] = True
    if not seen.all():
        missing = torch.nonzero(~seen).flatten()[:10].tolist()
        raise RuntimeError(f"{int((~seen).sum())} of {total} clips were never predicted (first: {missing})")
    return ClipPredictions(
        logits=clips.view(num_videos, clips_per_video, num_classes),
        labels=clip_labels.view(num_videos, clips_per_video),
        valid=clip_valid.view(num_videos, clips_per_video),
    )
