"""Videos/s of darkvid-predict on the tiny final ensemble against the test path called one video at a time.

The ensemble is the pipeline's final vote (configs/ensemble/final_vote.yaml: five networks, each
tested 1x3 and 3x3, ten members) over the CPU presets of configs/tiny, with seeded random weights
(speed does not depend on the weights). Both ways load every network once and use the same clips
and vote:

- streamed: `Predictor.rows` over the folder, decoding in loader workers, clips batched across videos;
- one at a time: per video, a one-row test.csv, then for each member `darkvid.datasets.build_loader`
  and `darkvid.engine.predict.predict` (the tester's path), then the vote on the logits.

    python benchmarks/predict_speed.py --data DIR [--videos 16] [--workers 2]

DIR is a synthetic set (tools/make_synthetic_arid.py --preset micro); its dark videos are used.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runs from a checkout without an install, so darkvid imports come after this

from darkvid.config import load_config  # noqa: E402
from darkvid.datasets import build_loader  # noqa: E402
from darkvid.engine.predict import predict  # noqa: E402
from darkvid.inference import Predictor  # noqa: E402
from darkvid.models import build_model  # noqa: E402

PRESETS = {"ssv2": "uniformer_ssv2", "k600": "uniformer", "mvit": "mvit", "sf": "sf", "dense": "uniformer_dense"}


def make_work_dir(work: Path) -> None:
    """Run folders of the five tiny networks and the final vote over them."""
    vote = yaml.safe_load((REPO / "configs" / "ensemble" / "final_vote.yaml").read_text())
    predictions = {}
    for seed, (short, preset) in enumerate(PRESETS.items()):
        run = work / "runs" / short
        cfg = load_config(REPO / "configs" / "tiny" / f"{preset}.yaml", ["OUTPUT_DIR", str(run)])
        torch.manual_seed(seed)
        run.mkdir(parents=True)
        torch.save({"model_state": build_model(cfg).state_dict()}, run / "best.pyth")
        (run / "config.yaml").write_text(cfg.dump())
        for name in vote["predictions"]:
            if name.startswith(short + "_"):
                views, crops = name.split("_")[1].split("x")
                frames, size = cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE
                predictions[name] = f"runs/{short}/testx{frames}x{size}x{views}x{crops}.pkl"
    vote.update(root=".", predictions=predictions)
    (work / "configs").mkdir()
    (work / "configs" / "vote_fixed.yaml").write_text(yaml.safe_dump(vote, sort_keys=False))


def streamed(predictor: Predictor, videos: list, workers: int) -> list:
    return list(predictor.rows(lambda: videos, workers=workers))


def one_at_a_time(predictor: Predictor, videos: list, scratch: Path) -> list:
    """The tester's loader and predict per video and member, then the same vote."""
    answers = []
    for video in videos:
        (scratch / "test.csv").write_text(f"{video.name},-1\n")
        logits = []
        for member, network in zip(predictor.members, predictor.member_networks):
            cfg = member.cfg.clone()
            cfg.defrost()
            cfg.DATA.PATH_PREFIX, cfg.DATA.VIDEO_DIR.TEST = str(scratch), str(video.parent)
            cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS = member.views, member.crops
            loader = build_loader(cfg, "test", training=False, shuffle=False, drop_last=False, num_workers=0)
            preds = predict(predictor.networks[network], loader, num_videos=1,
                            clips_per_video=member.views * member.crops, method=cfg.DATA.ENSEMBLE_METHOD)
            logits.append(preds.logits[0].numpy())
        answers.append(predictor.scorer(logits))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a synthetic dataset root")
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    videos = sorted(p for folder in ("Test", "ARID_v1.5", "dark_train") for p in (args.data / folder).rglob("*.mp4"))
    videos = videos[:args.videos]
    with tempfile.TemporaryDirectory() as tmp:
        make_work_dir(Path(tmp) / "work")
        predictor = Predictor.from_ensemble(Path(tmp) / "work", device="cpu")
        clips = sum(m.views * m.crops for m in predictor.members)
        print(f"{len(videos)} videos, {len(predictor.members)} members, {len(predictor.networks)} networks, "
              f"{clips} clips per video, torch threads {torch.get_num_threads()}")
        start = time.perf_counter()
        rows = streamed(predictor, videos, args.workers)
        fast = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        answers = one_at_a_time(predictor, videos, Path(tmp))
        slow = time.perf_counter() - start
    same = all(row["vote"] == predictor.classes[a.vote] for row, a in zip(rows, answers))
    print(f"streamed ({args.workers} workers): {len(videos) / fast:.2f} videos/s ({fast:.1f} s), peak RSS {rss:.0f} MB")
    print(f"one at a time (test path): {len(videos) / slow:.2f} videos/s ({slow:.1f} s)")
    print(f"ratio: {slow / fast:.2f}x; same votes: {same}")


if __name__ == "__main__":
    main()
