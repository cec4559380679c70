"""Write a synthetic dark-action dataset in the UG2+ 2022 Track 2 / ARID v1.5 layout.

Example: python tools/make_synthetic_arid.py --root data/synthetic_demo --preset demo --seed 0
Settings not given on the command line come from the preset; see DATASET.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.synthetic.builder import format_summary, generate  # noqa: E402
from darkvid.synthetic.presets import PRESETS, get_preset  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", required=True, type=Path, help="output folder (created if missing)")
    p.add_argument("--preset", default="demo", choices=sorted(PRESETS),
                   help="base settings: micro (tests, seconds), demo (CPU, under a minute), full (GPU)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed; same seed and settings give the same data")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (the output does not depend on it)")
    p.add_argument("--force", action="store_true",
                   help="replace a dataset made with other settings (or regenerate the same one)")
    g = p.add_argument_group("video format")
    g.add_argument("--width", type=int, help="frame width in pixels (even)")
    g.add_argument("--height", type=int, help="frame height in pixels (even)")
    g.add_argument("--frames", type=int, help="frames per video")
    g.add_argument("--fps", type=int, help="frame rate stored in the file")
    g.add_argument("--crf", type=int, help="H.264 constant-rate factor, 0-51 (lower: higher quality)")
    g = p.add_argument_group("videos per class in each split")
    g.add_argument("--train-per-class", type=int, help="normal-light labelled training (labeled_train/Train)")
    g.add_argument("--val-per-class", type=int, help="normal-light validation (dry_run/Validation)")
    g.add_argument("--dark-per-class", type=int, help="dark unlabelled training (dark_train/Train/N.mp4)")
    g.add_argument("--arid-per-class", type=int, help="dark labelled validation (ARID_v1.5/clips_v1.5)")
    g.add_argument("--test-per-class", type=int, help="dark test (Test/N.mp4)")
    g = p.add_argument_group("scene")
    g.add_argument("--placement", type=float,
                   help="spread of the actor's position around the frame centre, 0 (centred) to 1 (anywhere)")
    g = p.add_argument_group("dark camera")
    g.add_argument("--exposure", type=float, nargs=2, metavar=("LO", "HI"),
                   help="dark exposure range as a fraction of normal light (log-uniform), e.g. 0.02 0.06")
    g.add_argument("--noise", type=float, help="read-noise std in 8-bit units of linear light")
    g.add_argument("--full-well", type=float, help="photons of a full-scale pixel (lower: more shot noise)")
    g.add_argument("--blur", type=float, nargs=2, metavar=("LO", "HI"),
                   help="optical blur sigma range of dark videos, in pixels")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    knobs = ("width", "height", "frames", "fps", "crf", "train_per_class", "val_per_class", "dark_per_class",
             "arid_per_class", "test_per_class", "placement", "exposure", "noise", "full_well", "blur")
    try:
        settings = get_preset(args.preset, **{k: getattr(args, k) for k in knobs})
        summary = generate(args.root, settings, seed=args.seed, workers=args.workers, force=args.force)
    except (ValueError, KeyError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
