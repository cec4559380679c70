"""Where the synthetic generator's time goes, per video: pose and scene, render, camera, encode, decode.

The camera (`darkvid.synthetic.darkness.capture`) is also compared with the random draws it makes
(Poisson photon counts of the dim pixels, normal draws for the bright ones and for the read noise),
drawn alone at the same sizes: that part cannot be made faster without changing every video, since
the generated sets are defined by those exact draws.

Videos are sampled from every split of the preset's plan (dark and normal light alike) and each is
made exactly as `tools/make_synthetic_arid.py` makes it, in one process with one OpenCV thread (as
each worker of the data step runs).

Example:
    python benchmarks/generator.py --preset demo --videos 40
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.synthetic.actions import CLASS_NAMES, pose_sequence, sample_action_params  # noqa: E402
from darkvid.synthetic.builder import sample_camera, video_rngs  # noqa: E402
from darkvid.synthetic.darkness import POISSON_LIMIT, capture, exposed_light  # noqa: E402
from darkvid.synthetic.layout import DARK_SPLITS, plan_videos  # noqa: E402
from darkvid.synthetic.presets import PRESETS  # noqa: E402
from darkvid.synthetic.render import render_clip  # noqa: E402
from darkvid.synthetic.scene import sample_scene  # noqa: E402
from darkvid.synthetic.writer import read_mp4, write_mp4  # noqa: E402

PARTS = ("pose and scene", "render", "camera", "camera's random draws alone", "encode (H.264)", "decode")


def _draws_alone(light: np.ndarray, rng: np.random.Generator) -> float:
    """Seconds for the camera's random draws on these expected photons (`exposed_light`), nothing else timed."""
    bright = light > POISSON_LIMIT
    dim_light, bright_count = light[~bright], int(bright.sum())
    start = time.perf_counter()
    rng.poisson(dim_light)
    rng.standard_normal(bright_count, dtype=np.float32)
    rng.standard_normal(light.shape, dtype=np.float32)
    return time.perf_counter() - start


def time_video(job, settings, seed: int, scratch: Path) -> dict[str, float]:
    """Seconds of each part of making one video."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    action_rng, scene_rng, camera_rng, noise_rng = video_rngs(seed, job.split, job.index)
    pose = pose_sequence(CLASS_NAMES[job.label], settings.frames, sample_action_params(action_rng))
    scene = sample_scene(scene_rng, pose, settings.width, settings.height, settings.placement)
    times["pose and scene"] = time.perf_counter() - start
    start = time.perf_counter()
    frames = render_clip(pose, scene)
    times["render"] = time.perf_counter() - start
    cam = sample_camera(job, settings, camera_rng)
    before = noise_rng.bit_generator.state
    start = time.perf_counter()
    recorded = capture(frames, cam, noise_rng)
    times["camera"] = time.perf_counter() - start
    noise_rng.bit_generator.state = before
    times["camera's random draws alone"] = _draws_alone(exposed_light(frames, cam), noise_rng)
    path = scratch / "video.mp4"
    start = time.perf_counter()
    write_mp4(path, recorded, settings.fps, settings.crf)
    times["encode (H.264)"] = time.perf_counter() - start
    start = time.perf_counter()
    read_mp4(path)
    times["decode"] = time.perf_counter() - start
    return times


def sample_jobs(preset: str, seed: int, count: int) -> list:
    """`count` videos spread evenly over the preset's plan (its splits in their proportions)."""
    jobs = plan_videos(PRESETS[preset], seed)
    step = max(1, len(jobs) // count)
    return jobs[::step][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo", choices=sorted(PRESETS))
    parser.add_argument("--videos", type=int, default=40, help="videos to time, spread over the splits")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    settings = PRESETS[args.preset]
    jobs = sample_jobs(args.preset, args.seed, args.videos)
    per_part: dict[str, dict[str, list[float]]] = {"dark": {p: [] for p in PARTS}, "normal": {p: [] for p in PARTS}}
    with tempfile.TemporaryDirectory() as scratch:
        time_video(jobs[0], settings, args.seed, Path(scratch))  # warm-up: library loading, first allocations
        for job in jobs:
            kind = "dark" if job.split in DARK_SPLITS else "normal"
            for part, seconds in time_video(job, settings, args.seed, Path(scratch)).items():
                per_part[kind][part].append(seconds)
    print(f"{platform.processor() or platform.machine()}, {args.preset} preset ({settings.width}x{settings.height}, "
          f"{settings.frames} frames), seed {args.seed}; mean ms per video, one thread")
    kinds = [k for k, v in per_part.items() if v["render"]]
    print("| part | " + " | ".join(f"{k} ({len(per_part[k]['render'])} videos)" for k in kinds) + " |")
    print("| --- |" + " --- |" * sum(1 for v in per_part.values() if v["render"]))
    for part in PARTS:
        cells = [f"{1000 * statistics.mean(v[part]):.1f}" for v in per_part.values() if v["render"]]
        print(f"| {part} | " + " | ".join(cells) + " |")
    totals = [1000 * sum(statistics.mean(v[p]) for p in PARTS if p != "camera's random draws alone")
              for v in per_part.values() if v["render"]]
    print("| total (draws counted once, in the camera) | " + " | ".join(f"{t:.1f}" for t in totals) + " |")


if __name__ == "__main__":
    main()
