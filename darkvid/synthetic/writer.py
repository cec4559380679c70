"""H.264 MP4 files through PyAV: written to a side file and renamed, so a file that exists is whole."""
from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np

# No macroblock-tree lookahead: on clips shorter than the lookahead it was the one part of x264
# seen to give different bytes for the same input from run to run.
X264_PARAMS = "mbtree=0:rc-lookahead=0"
def rgb_to_yuv420p(frame: np.ndarray) -> np.ndarray:
    """One RGB frame [H, W, 3] as the planar yuv420p array PyAV expects ([H * 3 / 2, W] uint8).

    BT.601 limited range (what decoders assume for untagged H.264), in OpenCV's fixed-point
    arithmetic: the encoder's own scaler was seen to vary in the last bit from run to run, and
    one flipped level changes the whole stream. Chroma is the mean of each 2x2 block, obtained
    by converting a copy whose blocks were averaged (OpenCV's I420 would subsample instead).
    """
    h, w = frame.shape[:2]
    luma = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    blocks = cv2.resize(cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA), (w, h),
                        interpolation=cv2.INTER_NEAREST)
    out = cv2.cvtColor(blocks, cv2.COLOR_RGB2YUV_I420)
    out[:h] = luma[:h]
    return out


def write_mp4(path: Path, frames: np.ndarray, fps: int, crf: int) -> None:
    """Encode RGB frames [T, H, W, 3] uint8 as H.264 (yuv420p) at constant quality `crf`.

    One encoder thread keeps the bytes independent of the machine's core count (see also X264_PARAMS).
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    height, width = frames.shape[1:3]
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.options = {"crf": str(crf), "preset": "medium", "x264-params": X264_PARAMS}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb_to_yuv420p(frame), format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def read_mp4(path: Path) -> np.ndarray:
    """Decode every frame of a video to RGB uint8 [T, H, W, 3]."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    if not frames:
        raise ValueError(f"{path}: no video frames decoded")
    return np.stack(frames)
