"""Generate a whole synthetic dark-action dataset under a root folder.

Completion is marked by `summary.json`, written last. A marker file holds the settings while a
run is under way, so an interrupted run resumes (videos are renamed into place only when whole)
and a run with other settings refuses to mix with it unless forced.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from darkvid.synthetic.actions import CLASS_NAMES, pose_sequence, sample_action_params
from darkvid.synthetic.darkness import (
    CameraParams,
    capture,
    gamma_correct,
    sample_dark_camera,
    sample_normal_camera,
    srgb_to_linear,
)
from darkvid.synthetic.layout import (
    DARK_SPLITS,
    SPLIT_CODES,
    VideoJob,
    link_copies,
    plan_videos,
    remove_outputs,
    write_csvs,
)
from darkvid.synthetic.presets import SynthSettings
from darkvid.synthetic.render import render_clip
from darkvid.synthetic.scene import sample_scene
from darkvid.synthetic.writer import read_mp4, write_mp4

FORMAT_VERSION = 2  # bump when the same settings would produce different videos
SUMMARY, MARKER = "summary.json", ".synthetic_in_progress.json"
_LEVELS = np.arange(256, dtype=np.float64)
_GAMMA_LEVELS = gamma_correct(_LEVELS, 0.25)
_LINEAR_LEVELS = srgb_to_linear(_LEVELS / 255.0)


def video_rngs(seed: int, split: str, index: int) -> list[np.random.Generator]:
    """Independent streams (action, scene, camera, noise) of one video, whatever the generation order."""
    seq = np.random.SeedSequence([seed, SPLIT_CODES[split], index])
    return [np.random.default_rng(s) for s in seq.spawn(4)]


def make_video(job: VideoJob, settings: SynthSettings, seed: int) -> np.ndarray:
    """Frames [T, H, W, 3] uint8 of one video as the camera records them (before compression)."""
    action_rng, scene_rng, camera_rng, noise_rng = video_rngs(seed, job.split, job.index)
    pose = pose_sequence(CLASS_NAMES[job.label], settings.frames, sample_action_params(action_rng))
    scene = sample_scene(scene_rng, pose, settings.width, settings.height, settings.placement)
    return capture(render_clip(pose, scene), sample_camera(job, settings, camera_rng), noise_rng)


def sample_camera(job: VideoJob, settings: SynthSettings, rng: np.random.Generator) -> CameraParams:
    """The capture settings of one video: a night camera for the dark splits, daylight otherwise."""
    if job.split in DARK_SPLITS:
        return sample_dark_camera(rng, settings.exposure, settings.blur, settings.full_well, settings.noise)
    return sample_normal_camera(rng, settings.full_well, settings.noise)


def _produce(task: tuple[VideoJob, SynthSettings, int, str]) -> dict:
    """Write one video unless a whole one is already there; measure it as decoded."""
    job, settings, seed, root = task
    path = Path(root) / job.path
    if not path.exists():
        write_mp4(path, make_video(job, settings, seed), settings.fps, settings.crf)
    decoded = read_mp4(path)
    if decoded.shape != (settings.frames, settings.height, settings.width, 3):
        raise ValueError(f"{path}: decoded shape {decoded.shape} does not match the settings")
    share = np.bincount(decoded.ravel(), minlength=256) / decoded.size  # means via the histogram: cheap
    return {"split": job.split, "mean": float(share @ _LEVELS), "gamma_mean": float(share @ _GAMMA_LEVELS),
            "linear_mean": float(share @ _LINEAR_LEVELS)}


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _run_jobs(tasks: list, workers: int, log: Callable[[str], None]) -> list[dict]:
    if workers <= 1:
        return [_produce(t) for t in tasks]
    results = []
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_init) as pool:
        for i, res in enumerate(pool.imap(_produce, tasks, chunksize=4), 1):
            results.append(res)
            if i % max(1, len(tasks) // 5) == 0:
                log(f"  {i}/{len(tasks)} videos")
    return results


def _brightness(stats: list[dict]) -> dict:
    def mean(key: str, splits: tuple[str, ...]) -> float | None:
        vals = [s[key] for s in stats if s["split"] in splits]
        return round(float(np.mean(vals)), 6) if vals else None

    out = {"per_split": {s: mean("mean", (s,)) for s in SPLIT_CODES}}
    normal, dark = ("train", "val"), DARK_SPLITS
    out.update(normal=mean("mean", normal), dark=mean("mean", dark), dark_gamma=mean("gamma_mean", dark),
               normal_linear=mean("linear_mean", normal), dark_linear=mean("linear_mean", dark))
    if out["dark_linear"] is not None:
        out["linear_ratio"] = round(out["dark_linear"] / out["normal_linear"], 4)
    return out


def _check_existing(root: Path, wanted: dict, force: bool) -> dict | None:
    """The finished summary when `root` already holds this dataset; clears or refuses otherwise."""
    for name in (SUMMARY, MARKER):
        path = root / name
        if not path.exists():
            continue
        found = json.loads(path.read_text())
        same = {k: found.get(k) for k in wanted} == wanted
        if same and not force:
            return found if name == SUMMARY else None
        if not force:
            raise FileExistsError(f"{path}: {root} holds a dataset made with other settings "
                                  f"(seed {found.get('seed')}, {found.get('settings')}); pass --force to replace it")
        remove_outputs(root)
        (root / MARKER).unlink(missing_ok=True)
        return None
    return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def generate(root: Path, settings: SynthSettings, seed: int = 0, workers: int = 2, force: bool = False,
             log: Callable[[str], None] = print) -> dict:
    """Write the dataset under `root` and return its summary (also saved as root/summary.json)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    settings.validate()
    wanted = {"version": FORMAT_VERSION, "seed": seed, "settings": settings.to_dict()}
    done = _check_existing(root, wanted, force)
    if done is not None:
        log(f"{root / SUMMARY} already describes this dataset (seed {seed}); nothing to do")
        return done
    _write_json(root / MARKER, wanted)
    start = time.time()
    jobs = plan_videos(settings, seed)
    for folder in {str(Path(j.path).parent) for j in jobs}:
        (root / folder).mkdir(parents=True, exist_ok=True)
    log(f"rendering {len(jobs)} videos with {workers} worker(s) into {root}")
    stats = _run_jobs([(j, settings, seed, str(root)) for j in jobs], workers, log)
    link_copies(root, jobs)
    rows = write_csvs(root, jobs)
    counts = {s: {c: sum(1 for j in jobs if j.split == s and j.label == k) for k, c in enumerate(CLASS_NAMES)}
              for s in SPLIT_CODES}
    summary = dict(wanted, classes=list(CLASS_NAMES), videos=len(jobs), counts=counts, csv_rows=rows,
                   brightness=_brightness(stats), seconds=round(time.time() - start, 1), workers=workers)
    _write_json(root / SUMMARY, summary)
    (root / MARKER).unlink()
    return summary


def format_summary(summary: dict) -> str:
    """A few lines for people: sizes, counts and the brightness the camera produced."""
    s, b = summary["settings"], summary["brightness"]
    per_split = ", ".join(f"{k} {sum(v.values())}" for k, v in summary["counts"].items())
    lines = [
        f"synthetic ARID: {summary['videos']} videos ({per_split}), {s['frames']} frames "
        f"{s['width']}x{s['height']} @ {s['fps']} fps, seed {summary['seed']}, {summary.get('seconds', '?')} s",
    ]
    if b["dark"] is not None:
        lines.append(f"mean brightness (0-255): normal {b['normal']:.1f}, dark {b['dark']:.1f}, "
                     f"dark after gamma 0.25 {b['dark_gamma']:.1f}")
        lines.append(f"dark / normal in linear light: {b['linear_ratio']} (exposure range {s['exposure']})")
    return "\n".join(lines)
