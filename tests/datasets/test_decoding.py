"""Decoding: the chosen frames, in order, from PyAV and decord; bad files are named."""
import logging

import av
import numpy as np
import pytest

from darkvid.datasets import decoding
from darkvid.datasets.decoding import PyAVReader, VideoDecodeError, make_reader, read_all_frames

from .conftest import coded_frame, frame_ids, write_video


def test_pyav_returns_the_chosen_frames_in_order(coded_video):
    lengths = []
    frames = PyAVReader().read(coded_video, lambda n: lengths.append(n) or [19, 0, 7, 7])
    assert lengths == [20]
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.uint8
    assert frame_ids(frames) == [19, 0, 7, 7]
    assert np.abs(frames[1].astype(int) - coded_frame(0)).max() <= 3


def test_container_without_frame_count_is_counted_by_decoding(tmp_path):
    video = write_video(tmp_path / "no_count.mkv", num_frames=9)
    lengths = []
    frames = PyAVReader().read(video, lambda n: lengths.append(n) or [0, 8])
    assert lengths == [9] and frame_ids(frames) == [0, 8]


def test_indices_past_the_real_frames_repeat_the_last_one(coded_video):
    frames = PyAVReader().read(coded_video, lambda n: [18, 25, 40])
    assert frame_ids(frames) == [18, 19, 19]


def test_read_all_frames(coded_video):
    assert frame_ids(read_all_frames(PyAVReader(), coded_video)) == list(range(20))


def test_decord_reads_the_same_pixels_as_pyav(coded_video):
    pytest.importorskip("decord")
    decord_frames = make_reader("decord").read(coded_video, lambda n: [0, 3, 3, 19])
    np.testing.assert_array_equal(decord_frames, PyAVReader().read(coded_video, lambda n: [0, 3, 3, 19]))


@pytest.mark.parametrize("backend", ["pyav", "decord"])
def test_missing_empty_and_garbage_files_are_named(tmp_path, backend):
    if backend == "decord":
        pytest.importorskip("decord")
    reader = make_reader(backend)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 100)
    cases = [(tmp_path / "missing.mp4", "not found"), (empty, "empty"),
             (garbage, "cannot decode|no video stream|no frames")]
    for path, message in cases:
        with pytest.raises(VideoDecodeError, match=message) as err:
            reader.read(path, lambda n: [0])
        assert str(path) in str(err.value)


def test_decord_falls_back_to_pyav_with_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(decoding, "decord_available", lambda: False)
    monkeypatch.setattr(decoding, "_warned_decord_missing", False)
    with caplog.at_level(logging.WARNING):
        readers = [make_reader("decord") for _ in range(3)]
    assert all(isinstance(r, PyAVReader) for r in readers)
    assert sum("decord is not installed" in r.message for r in caplog.records) == 1
    with pytest.raises(ValueError, match="DECODING_BACKEND"):
        make_reader("opencv")


def _noise_video(path, num_frames=6):
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(num_frames):
            image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_pyav_pixels_equal_per_frame_to_ndarray(tmp_path):
    # One reused reformatter per video must convert exactly as `to_ndarray(format="rgb24")` does.
    video = _noise_video(tmp_path / "noise.mp4")
    with av.open(str(video)) as container:
        expected = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    for multi_thread in (False, True):
        frames = PyAVReader(multi_thread).read(video, lambda n: [5, 0, 2, 2])
        np.testing.assert_array_equal(frames, expected[[5, 0, 2, 2]])
