"""build_dataset: splits, items, gamma per split and bad inputs."""
import logging
import random
import shutil

import numpy as np
import pytest
import torch

from darkvid.datasets import VideoDecodeError, build_dataset
from darkvid.datasets.dataset import BadVideosError
from darkvid.datasets.gamma import gamma_lut
from tests.conftest import shared_path

from .conftest import make_layout, tiny_cfg


@pytest.fixture
def own_layout(tmp_path):
    """A layout this test may break."""
    return make_layout(tmp_path, frames_per_video=8)


def test_training_item_layout(layout):
    dataset = build_dataset(tiny_cfg(layout), "train_label")
    assert dataset.training and len(dataset) == dataset.num_videos == 4
    item = dataset[2]
    assert item.clip.shape == (3, 4, 32, 32) and item.clip.dtype == torch.float32
    assert (item.label, item.index, item.video_index, item.view, item.crop) == (2, 2, 2, 0, 0)
    assert item.valid and item.gamma == 1.0 and item.probs is None and item.bad_videos == ()
    record = dataset.records[1]
    assert record.rel_path == "t1.mp4" and record.path == layout / "labeled_train/Train/t1.mp4"


def test_test_items_enumerate_views_then_crops(layout):
    cfg = tiny_cfg(layout, "TEST.NUM_ENSEMBLE_VIEWS", 2, "TEST.NUM_SPATIAL_CROPS", 3)
    dataset = build_dataset(cfg, "val_dry")
    assert not dataset.training and len(dataset) == 2 * 2 * 3
    items = [dataset[i] for i in range(len(dataset))]
    assert [(m.video_index, m.view, m.crop) for m in items[:7]] == [
        (0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0), (0, 1, 1), (0, 1, 2), (1, 0, 0)]
    assert [dataset[i].label for i in (0, 11)] == [1, 2]
    crops = [dataset[i].clip for i in range(3)]
    assert crops[0].shape == (3, 4, 32, 32) and not torch.equal(crops[0], crops[2])


def test_test_view_samples_the_seed_frames(layout, monkeypatch):
    cfg = tiny_cfg(layout, "TEST.NUM_ENSEMBLE_VIEWS", 2)
    dataset = build_dataset(cfg, "test")
    asked = []
    real = dataset.reader.read
    monkeypatch.setattr(dataset.reader, "read", lambda p, choose: asked.append(list(choose(20))) or real(p, choose))
    dataset[1]
    assert asked == [[3, 8, 13, 17]]  # 4 segments of 19/4, view 1 of 2


def test_pseudo_split_carries_probs_and_gamma(layout):
    dataset = build_dataset(tiny_cfg(layout), "train_pseudo_label")
    assert [r.label for r in dataset.records] == [3, 5]
    item = dataset[1]
    assert item.label == 5 and item.gamma == 0.25
    assert item.probs.dtype == torch.float32 and item.probs.shape == (11,)
    assert item.probs[10] == 0 and item.probs[0] == pytest.approx(0.1)


def test_gamma_follows_the_split_list_and_the_argument(layout):
    cfg = tiny_cfg(layout, "DATA.MEAN", [0.0, 0.0, 0.0], "DATA.STD", [1.0, 1.0, 1.0])
    plain = build_dataset(cfg, "val_dry")[0].clip
    corrected = build_dataset(cfg, "val_dry", gamma=True)[0].clip
    grey = int(round(plain[1, 0, 0, -1].item() * 255))
    assert build_dataset(cfg, "test")[0].gamma == 0.25
    assert corrected[1, 0, 0, -1].item() * 255 == pytest.approx(gamma_lut(0.25)[grey], abs=1)
    off = tiny_cfg(layout, "DATA.GAMMA_MODE", "off")
    assert build_dataset(off, "test")[0].gamma == 1.0
    adaptive = tiny_cfg(layout, "DATA.GAMMA_MODE", "adaptive", "DATA.GAMMA_TARGET_MEAN", 0.9)
    assert 0.1 <= build_dataset(adaptive, "test")[0].gamma < 1.0


def test_repeated_augmentation_stacks_copies(layout):
    cfg = tiny_cfg(layout, "AUG.ENABLE", True, "AUG.NUM_SAMPLE", 3, "AUG.RE_PROB", 1.0)
    clip = build_dataset(cfg, "train_label")[0].clip
    assert clip.shape == (3, 3, 4, 32, 32)
    assert not torch.equal(clip[0], clip[1])
    assert build_dataset(cfg, "val_dry")[0].clip.shape == (3, 4, 32, 32)


def test_a_bad_training_video_fails_by_default_naming_it(own_layout):
    (own_layout / "labeled_train/Train/t1.mp4").unlink()
    dataset = build_dataset(tiny_cfg(own_layout), "train_label")
    dataset[0]
    with pytest.raises(BadVideosError,
                       match=r"1 bad training video\(s\), DATA.MAX_BAD_VIDEOS allows 0: .*Train/t1.mp4"):
        dataset[1]


def test_an_allowed_bad_training_video_is_replaced_named_warned_once_and_counted(own_layout, caplog):
    bad = own_layout / "labeled_train/Train/t1.mp4"
    bad.write_bytes(b"")
    dataset = build_dataset(tiny_cfg(own_layout, "DATA.MAX_BAD_VIDEOS", 1), "train_label")
    random.seed(0)
    with caplog.at_level(logging.WARNING):
        items = [dataset[1] for _ in range(3)]
    assert all(item.video_index != 1 and item.index == 1 for item in items)
    assert all(item.bad_videos == (str(bad),) for item in items)
    assert dataset.skipped_videos == 3
    assert sum(str(bad) in r.message for r in caplog.records) == 1
    (own_layout / "labeled_train/Train/t2.mp4").unlink()
    with pytest.raises(BadVideosError,
                       match=r"2 bad training video\(s\), DATA.MAX_BAD_VIDEOS allows 1: .*t1.mp4, .*t2.mp4"):
        dataset[2]


def test_training_gives_up_after_the_retry_budget(own_layout):
    shutil.rmtree(own_layout / "labeled_train/Train")
    cfg = tiny_cfg(own_layout, "DATA_LOADER.NUM_RETRIES", 2, "DATA.MAX_BAD_VIDEOS", 10)
    dataset = build_dataset(cfg, "train_label")
    with pytest.raises(RuntimeError, match=r"no decodable video after 3 tries: .*labeled_train/Train/t0.mp4"):
        dataset[0]


def test_a_bad_test_video_is_an_error_or_an_invalid_item(own_layout):
    (own_layout / "Test/1.mp4").write_bytes(b"\x00" * 100)
    cfg = tiny_cfg(own_layout, "TEST.NUM_SPATIAL_CROPS", 3)
    with pytest.raises(VideoDecodeError, match="Test/1.mp4"):
        build_dataset(cfg, "test")[3]
    dataset = build_dataset(tiny_cfg(own_layout, "TEST.NUM_SPATIAL_CROPS", 3, "TEST.SKIP_BAD_VIDEOS", True), "test")
    items = [dataset[i] for i in range(6)]
    assert [item.valid for item in items] == [True] * 3 + [False] * 3
    assert items[4].clip.shape == (3, 4, 32, 32) and not items[4].clip.any()
    assert dataset.skipped_videos == 1


def test_missing_split_files_name_the_path_and_key(own_layout):
    (own_layout / "arid.csv").unlink(missing_ok=True)
    with pytest.raises(FileNotFoundError, match=r"arid.csv.*DATA.SPLIT_CSV.ARID"):
        build_dataset(tiny_cfg(own_layout), "arid")
    with pytest.raises(FileNotFoundError, match="DATA.PSEUDO_CSV"):
        build_dataset(tiny_cfg(own_layout, "DATA.PSEUDO_CSV", ""), "train_pseudo_label")
    with pytest.raises(ValueError, match="unknown split"):
        build_dataset(tiny_cfg(own_layout), "train")


def test_absolute_pseudo_csv_and_dense_sampling(own_layout, monkeypatch):
    cfg = tiny_cfg(own_layout, "DATA.PSEUDO_CSV", str(own_layout / "pseudo.csv"), "TRAIN.DATASET", "ug2",
                   "DATA.SAMPLING_RATE", 1)
    dataset = build_dataset(cfg, "train_pseudo_label")
    asked = []
    real = dataset.reader.read
    monkeypatch.setattr(dataset.reader, "read", lambda p, choose: asked.append(list(choose(8))) or real(p, choose))
    dataset[0]
    assert dataset.sampler.kind == "dense" and np.diff(asked[0]).tolist() == [1, 1, 1]


def test_the_seed_splits_build_with_their_real_sizes():
    root = shared_path("seed_data")
    cfg = tiny_cfg(root, "DATA.PSEUDO_CSV", "pseudo/stage2.csv", "TEST.NUM_ENSEMBLE_VIEWS", 2,
                   "TEST.NUM_SPATIAL_CROPS", 3)
    sizes = {split: len(build_dataset(cfg, split)) for split in
             ("train_label", "train_unlabel", "train_pseudo_label", "val_dry", "arid", "dark_unlabel",
              "total_unlabel", "test")}
    assert sizes == {"train_label": 2955, "train_unlabel": 9295, "train_pseudo_label": 7051,
                     "val_dry": 330 * 6, "arid": 6207 * 6, "dark_unlabel": 3088 * 6,
                     "total_unlabel": 9295 * 6, "test": 3103 * 6}
    arid = build_dataset(cfg, "arid")
    assert arid.records[0].path == root / "ARID_v1.5/clips_v1.5/Drink/Drink_16_13.mp4"
