"""build_loader: batch layout, repeated augmentation, samplers and reproducibility."""
import torch

from darkvid.datasets import build_loader, collate_clips
from darkvid.datasets.dataset import ClipItem
from darkvid.datasets.loader import Batch, OrderedShardSampler

from .conftest import tiny_cfg


def test_test_batches_keep_order_and_meta(layout):
    cfg = tiny_cfg(layout, "TEST.NUM_SPATIAL_CROPS", 3, "TEST.BATCH_SIZE", 4)
    loader = build_loader(cfg, "test")
    batches = list(loader)
    assert [len(b) for b in batches] == [4, 2]
    batch = batches[0]
    assert isinstance(batch, Batch) and batch.clips.shape == (4, 3, 4, 32, 32)
    assert batch.labels.dtype == torch.int64 and batch.labels.tolist() == [-1] * 4
    assert batch.indices.tolist() == [0, 1, 2, 3]
    assert batch.video_index.tolist() == [0, 0, 0, 1] and batch.crop.tolist() == [0, 1, 2, 0]
    assert batch.valid.dtype == torch.bool and batch.gamma.dtype == torch.float32
    assert batch.probs is None and batch.bad_videos == ()


def test_training_batches_flatten_repeated_augmentation(layout):
    cfg = tiny_cfg(layout, "AUG.ENABLE", True, "AUG.NUM_SAMPLE", 2, "TRAIN.BATCH_SIZE", 2)
    batches = list(build_loader(cfg, "train_pseudo_label"))
    assert len(batches) == 1  # drop_last
    batch = batches[0]
    indices = batch.indices
    assert batch.clips.shape == (4, 3, 4, 32, 32)
    assert indices[0] == indices[1] and indices[2] == indices[3] and indices[0] != indices[2]
    assert batch.labels.tolist() == [{0: 3, 1: 5}[int(i)] for i in indices]
    assert batch.probs.shape == (4, 11)


def test_a_fixed_seed_reproduces_the_training_stream_with_workers(layout):
    cfg = tiny_cfg(layout, "DATA_LOADER.NUM_WORKERS", 1, "AUG.ENABLE", True)

    def first_epoch():
        return [(b.indices.tolist(), b.clips.sum().item()) for b in build_loader(cfg, "train_label")]

    assert first_epoch() == first_epoch()
    other = tiny_cfg(layout, "DATA_LOADER.NUM_WORKERS", 1, "AUG.ENABLE", True, "RNG_SEED", 7)
    assert [(b.indices.tolist(), b.clips.sum().item()) for b in build_loader(other, "train_label")] != first_epoch()


def test_ordered_shards_are_contiguous_and_equal_sized():
    shards = [list(OrderedShardSampler(10, 4, r)) for r in range(4)]
    assert shards == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 9, 9]]
    assert [list(OrderedShardSampler(2, 3, r)) for r in range(3)] == [[0], [1], [1]]


def test_collate_of_single_clips():
    item = ClipItem(torch.zeros(3, 2, 4, 4), 1, 5, 5, probs=torch.ones(2), bad_videos=("x.mp4",))
    batch = collate_clips([item, item])
    assert batch.clips.shape == (2, 3, 2, 4, 4) and batch.labels.tolist() == [1, 1] and batch.indices.tolist() == [5, 5]
    assert batch.probs.shape == (2, 2) and batch.view.dtype == torch.int64
    assert batch.bad_videos == ("x.mp4", "x.mp4")
