"""Decoded-frame cache: same frames as decoding, keyed by file version, written atomically."""
import multiprocessing
import os
from pathlib import Path

import numpy as np
import torch

from darkvid.datasets import build_dataset
from darkvid.datasets.cache import FrameCache, resize_short_side_uint8
from darkvid.datasets.decoding import PyAVReader

from .conftest import tiny_cfg, write_video

CHOSEN = [0, 4, 4, 13, 19]


def test_cached_frames_equal_decoded_frames(tmp_path, coded_video):
    cache = FrameCache(tmp_path / "cache", PyAVReader())
    first = cache.read(coded_video, lambda n: CHOSEN)
    again = cache.read(coded_video, lambda n: CHOSEN)
    decoded = PyAVReader().read(coded_video, lambda n: CHOSEN)
    np.testing.assert_array_equal(first, decoded)
    np.testing.assert_array_equal(again, decoded)
    entries = list((tmp_path / "cache").rglob("*"))
    assert [p.suffix for p in entries if p.is_file()] == [".npy"]
    assert isinstance(cache.load(coded_video), np.memmap)


def test_resized_cache_equals_decoding_plus_the_same_resize(tmp_path, coded_video):
    cache = FrameCache(tmp_path, PyAVReader(), short_side=24)
    frames = cache.read(coded_video, lambda n: CHOSEN)
    expected = resize_short_side_uint8(PyAVReader().read(coded_video, lambda n: CHOSEN), 24)
    assert frames.shape == (5, 24, 32, 3)
    np.testing.assert_array_equal(frames, expected)


def test_a_changed_video_gets_a_new_entry(tmp_path):
    video = write_video(tmp_path / "v.mp4", num_frames=5)
    cache = FrameCache(tmp_path / "cache", PyAVReader())
    before = cache.entry_path(video)
    assert cache.load(video).shape[0] == 5
    write_video(video, num_frames=7)
    os.utime(video, ns=(1, 1))
    assert cache.entry_path(video) != before
    assert cache.load(video).shape[0] == 7


def test_an_unreadable_entry_is_rebuilt(tmp_path, coded_video):
    cache = FrameCache(tmp_path, PyAVReader())
    entry = cache.entry_path(coded_video)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"truncated")
    assert cache.load(coded_video).shape == (20, 48, 64, 3)


def _fill(args):
    cache_dir, video = args
    return FrameCache(Path(cache_dir), PyAVReader()).read(Path(video), lambda n: CHOSEN).sum()


def test_concurrent_processes_fill_one_entry_safely(tmp_path, coded_video):
    with multiprocessing.get_context("fork").Pool(2) as pool:
        sums = pool.map(_fill, [(str(tmp_path), str(coded_video))] * 4)
    assert len(set(sums)) == 1
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".npy"


def test_a_cached_dataset_gives_the_same_items(layout, tmp_path):
    plain = build_dataset(tiny_cfg(layout), "test")
    cached = build_dataset(tiny_cfg(layout, "DATA.CACHE_DIR", str(tmp_path)), "test")
    assert isinstance(cached.reader, FrameCache)
    for i in range(len(plain)):
        assert torch.equal(plain[i].clip, cached[i].clip)


def test_reads_after_the_first_touch_only_the_video_stat_and_the_entry(tmp_path, coded_video, monkeypatch):
    cache = FrameCache(tmp_path, PyAVReader())
    first = cache.read(coded_video, lambda n: CHOSEN)
    monkeypatch.setattr(FrameCache, "load", lambda *a: (_ for _ in ()).throw(AssertionError("reloaded")))
    monkeypatch.setattr(FrameCache, "entry_path", lambda *a: (_ for _ in ()).throw(AssertionError("rehashed")))
    np.testing.assert_array_equal(cache.read(coded_video, lambda n: [19, 0]), first[[4, 0]])


def test_a_removed_entry_is_rebuilt_by_a_remembering_reader(tmp_path, coded_video):
    cache = FrameCache(tmp_path, PyAVReader())
    first = cache.read(coded_video, lambda n: CHOSEN)
    cache.entry_path(coded_video).unlink()
    np.testing.assert_array_equal(cache.read(coded_video, lambda n: CHOSEN), first)
    assert cache.entry_path(coded_video).is_file()


def test_an_edited_video_is_noticed_by_a_remembering_reader(tmp_path):
    video = write_video(tmp_path / "v.mp4", num_frames=5)
    cache = FrameCache(tmp_path / "cache", PyAVReader())
    assert cache.read(video, lambda n: [n - 1]).shape[0] == 1
    write_video(video, num_frames=7)
    os.utime(video, ns=(1, 1))
    lengths = []
    cache.read(video, lambda n: lengths.append(n) or [0])
    assert lengths == [7]


def test_a_truncated_entry_is_rebuilt_by_a_remembering_reader(tmp_path, coded_video):
    cache = FrameCache(tmp_path, PyAVReader())
    first = cache.read(coded_video, lambda n: CHOSEN)
    entry = cache.entry_path(coded_video)
    entry.write_bytes(entry.read_bytes()[:1000])
    np.testing.assert_array_equal(cache.read(coded_video, lambda n: CHOSEN), first)
