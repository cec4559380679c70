"""The report's figures: accuracy per stage, pseudo-label quality per stage, a strip of frames."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from darkvid.ensemble.io import save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_plot(path: Path, table: dict[str, dict[str, dict[str, Optional[float]]]]) -> Path:
    """Dark-validation and test top-1 of each model across the stages (one line per model)."""
    plt = _pyplot()
    stages = list(table)
    models = sorted({m for row in table.values() for m in row})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, key, title in zip(axes, ("dark_val_top1", "test_top1"), ("dark validation (arid)", "dark test")):
        for model in models:
            ys = [table[s].get(model, {}).get(key) for s in stages]
            xs = [i for i, y in enumerate(ys) if y is not None]
            ax.plot(xs, [ys[i] for i in xs], marker="o", label=model)
        ax.set_xticks(range(len(stages)), stages, rotation=30)
        ax.set_title(f"top-1 on {title}")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 (%)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    save_figure(path, fig)
    plt.close(fig)
    return path


def pseudo_plot(path: Path, pseudo: dict[str, dict[str, Any]]) -> Path:
    """Coverage and precision (on the labelled ARID videos) of each stage's pseudo labels."""
    plt = _pyplot()
    stages = list(pseudo)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("coverage", "coverage"), ("precision", "precision"), ("pool_coverage", "pool share selected")):
        ys = [pseudo[s].get(key) for s in stages]
        ax.plot(range(len(stages)), [np.nan if y is None else y for y in ys], marker="o", label=label)
    ax.set_xticks(range(len(stages)), stages)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title("pseudo labels per stage")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(path, fig)
    plt.close(fig)
    return path


def _normal_twin(data: Path, index: int) -> Optional[np.ndarray]:
    """The test video re-rendered in normal light by the synthetic generator (None for real data)."""
    summary = data / "summary.json"
    if not summary.exists():
        return None
    from darkvid.synthetic import CLASS_NAMES, capture, get_preset, pose_sequence
    from darkvid.synthetic.actions import sample_action_params
    from darkvid.synthetic.builder import video_rngs
    from darkvid.synthetic.darkness import sample_normal_camera
    from darkvid.synthetic.layout import plan_videos
    from darkvid.synthetic.render import render_clip
    from darkvid.synthetic.scene import sample_scene

    info = json.loads(summary.read_text())
    settings, seed = get_preset("demo", **info["settings"]), info["seed"]
    job = next(j for j in plan_videos(settings, seed) if j.split == "test" and j.index == index)
    action_rng, scene_rng, camera_rng, noise_rng = video_rngs(seed, "test", index)
    pose = pose_sequence(CLASS_NAMES[job.label], settings.frames, sample_action_params(action_rng))
    scene = sample_scene(scene_rng, pose, settings.width, settings.height)
    camera = sample_normal_camera(camera_rng, settings.full_well, settings.noise)
    return capture(render_clip(pose, scene), camera, noise_rng)


def frames_strip(path: Path, data: Path, video: str, gamma: float, count: int = 6) -> Path:
    """Frame rows of one test video (relative to `data`): normal light (synthetic data only), dark, gamma-corrected."""
    from darkvid.datasets.decoding import make_reader, read_all_frames
    from darkvid.datasets.gamma import apply_gamma

    plt = _pyplot()
    dark = read_all_frames(make_reader("pyav"), data / video)
    rows = [("dark", dark), (f"gamma {gamma}", apply_gamma(dark, gamma))]
    try:
        normal = _normal_twin(data, int(Path(video).stem))
    except (KeyError, StopIteration, ValueError, ImportError):
        normal = None
    if normal is not None:
        rows.insert(0, ("same scene, normal light (re-rendered)", normal))
    picks = np.linspace(0, len(dark) - 1, count).round().astype(int)
    fig, axes = plt.subplots(len(rows), count, figsize=(2 * count, 1.7 * len(rows)), squeeze=False)
    for r, (label, frames) in enumerate(rows):
        for c, i in enumerate(picks):
            axes[r][c].imshow(frames[min(i, len(frames) - 1)])
            axes[r][c].axis("off")
        axes[r][0].set_title(label, fontsize=9, loc="left")
    fig.tight_layout()
    save_figure(path, fig)
    plt.close(fig)
    return path
