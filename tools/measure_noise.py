"""Measure how noisy dark and normal-light videos are, and the DATA.NOISE_AUG_STD that matches them.

    python tools/measure_noise.py --cfg configs/tiny/uniformer.yaml DATA.PATH_PREFIX work_dirs/demo/data
    python tools/measure_noise.py --cfg CFG --dark total_unlabel arid --normal train_label --videos 60 [KEY VALUE ...]

Prints, per split, the median brightness and noise std in linear light (8-bit units) and their ratio,
then the suggested `DATA.NOISE_AUG_STD` (see darkvid/datasets/noise_level.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import load_config  # noqa: E402
from darkvid.datasets.noise_level import measure_split, suggested_noise_aug  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cfg", required=True, type=Path, help="config that names the data (DATA.PATH_PREFIX etc.)")
    parser.add_argument("--dark", nargs="+", default=["total_unlabel"], help="dark splits")
    parser.add_argument("--normal", default="train_label", help="the normal-light training split")
    parser.add_argument("--videos", type=int, default=40, help="videos decoded per split")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args()
    cfg = load_config(args.cfg, args.opts)
    dark = [measure_split(cfg, split, args.videos) for split in args.dark]
    normal = measure_split(cfg, args.normal, args.videos)
    print("| split | videos | brightness | noise std | noise / brightness |")
    print("| --- | --- | --- | --- | --- |")
    for level in (*dark, normal):
        print(f"| {level.split} | {level.videos} | {level.mean:.2f} | {level.noise_std:.3f} | {level.ratio:.4f} |")
    print(f"DATA.NOISE_AUG_STD {suggested_noise_aug(dark, normal):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
