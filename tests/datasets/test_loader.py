"""build_loader: batch layout, repeated augmentation, samplers and reproducibility."""
import torch

from darkvid.datasets import build_loader, collate_clips
from darkvid.datasets.loader import OrderedShardSampler

from .conftest import tiny_cfg


def test_test_batches_keep_order_and_meta(layout):
    cfg = tiny_cfg(layout, "TEST.NUM_SPATIAL_CROPS", 3, "TEST.BATCH_SIZE", 4)
    loader = build_loader(cfg, "test")
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [4, 2]
    inputs, labels, indices, meta = batches[0]
    assert len(inputs) == 1 and inputs[0].shape == (4, 3, 4, 32, 32)
    assert labels.dtype == torch.int64 and labels.tolist() == [-1] * 4
    assert indices.tolist() == [0, 1, 2, 3]
    assert meta["video_index"].tolist() == [0, 0, 0, 1] and meta["crop"].tolist() == [0, 1, 2, 0]
    assert meta["valid"].dtype == torch.bool and meta["gamma"].dtype == torch.float32


def test_training_batches_flatten_repeated_augmentation(layout):
    cfg = tiny_cfg(layout, "AUG.ENABLE", True, "AUG.NUM_SAMPLE", 2, "TRAIN.BATCH_SIZE", 2)
    batches = list(build_loader(cfg, "train_pseudo_label"))
    assert len(batches) == 1  # drop_last
    inputs, labels, indices, meta = batches[0]
    assert inputs[0].shape == (4, 3, 4, 32, 32)
    assert indices[0] == indices[1] and indices[2] == indices[3] and indices[0] != indices[2]
    assert labels.tolist() == [{0: 3, 1: 5}[int(i)] for i in indices]
    assert meta["probs"].shape == (4, 11)


def test_a_fixed_seed_reproduces_the_training_stream_with_workers(layout):
    cfg = tiny_cfg(layout, "DATA_LOADER.NUM_WORKERS", 1, "AUG.ENABLE", True)

    def first_epoch():
        return [(b[2].tolist(), b[0][0].sum().item()) for b in build_loader(cfg, "train_label")]

    assert first_epoch() == first_epoch()
    other = tiny_cfg(layout, "DATA_LOADER.NUM_WORKERS", 1, "AUG.ENABLE", True, "RNG_SEED", 7)
    assert [(b[2].tolist(), b[0][0].sum().item()) for b in build_loader(other, "train_label")] != first_epoch()


def test_ordered_shards_are_contiguous_and_equal_sized():
    shards = [list(OrderedShardSampler(10, 4, r)) for r in range(4)]
    assert shards == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 9, 9]]
    assert [list(OrderedShardSampler(2, 3, r)) for r in range(3)] == [[0], [1], [1]]


def test_collate_of_single_clips():
    item = ([torch.zeros(3, 2, 4, 4)], 1, 5, {"valid": True, "view": 0, "probs": torch.ones(2)})
    inputs, labels, indices, meta = collate_clips([item, item])
    assert inputs[0].shape == (2, 3, 2, 4, 4) and labels.tolist() == [1, 1] and indices.tolist() == [5, 5]
    assert meta["probs"].shape == (2, 2) and meta["view"].dtype == torch.int64
