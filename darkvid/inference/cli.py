"""Command lines: `darkvid-predict` (tools/predict.py) and `darkvid-export-bundle` (tools/export_bundle.py)."""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .bundle import BundleError, export_bundle
from .ensemble import InferenceSetupError
from .inputs import VIDEO_EXTENSIONS
from .output import RowWriter
from .predictor import Predictor, paths_of

EXIT_FAILED_ROWS, EXIT_SETUP = 1, 2


def predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Classify dark videos with one trained model, a work directory's "
                                     "final ensemble, or an exported bundle.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="a run folder (config.yaml + best.pyth) or a checkpoint")
    source.add_argument("--ensemble", type=Path, metavar="WORK_DIR", help="a pipeline work directory")
    source.add_argument("--bundle", type=Path, metavar="DIR", help="a folder written by darkvid-export-bundle")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders, glob patterns, split CSVs")
    parser.add_argument("--cfg", type=Path, help="config of --model when it is a checkpoint")
    parser.add_argument("--out", type=Path, help="FILE.csv or FILE.json (default: CSV on stdout)")
    parser.add_argument("--topk", type=int, default=3, help="classes listed per video")
    parser.add_argument("--views", type=int, help="temporal views (--model; default TEST.NUM_ENSEMBLE_VIEWS)")
    parser.add_argument("--crops", type=int, help="spatial crops, 1 or 3 (--model; default TEST.NUM_SPATIAL_CROPS)")
    parser.add_argument("--gamma", help="a number, 'auto' (adaptive) or 'none'; default: as the test split was")
    parser.add_argument("--video-dir", type=Path, help="folder a split CSV's paths are relative to (default: its own)")
    parser.add_argument("--ext", default=",".join(VIDEO_EXTENSIONS), help="video suffixes taken from folders, globs")
    parser.add_argument("--workers", type=int, default=2, help="decoding worker processes")
    parser.add_argument("--batch-size", type=int, help="clips per forward pass (default TEST.BATCH_SIZE)")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    return parser


def _predictor(args: argparse.Namespace) -> Predictor:
    common = {"gamma": args.gamma, "topk": args.topk, "device": args.device}
    if args.model is not None:
        return Predictor.from_model(args.model, args.cfg, args.views, args.crops, **common)
    if args.views is not None or args.crops is not None or args.cfg is not None:
        raise InferenceSetupError("--views, --crops and --cfg apply to --model: an ensemble's views are in its vote")
    if args.ensemble is not None:
        return Predictor.from_ensemble(args.ensemble, **common)
    return Predictor.from_bundle(args.bundle, **common)


def predict_main(argv: list[str] | None = None) -> int:
    """Predict every input; exit status 1 when any video failed, 2 when the models cannot be used."""
    args = predict_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        predictor = _predictor(args)
        writer = RowWriter(args.out, predictor.scorer.topk, predictor.vote is not None)
    except (InferenceSetupError, BundleError, ValueError, FileNotFoundError) as err:
        print(f"darkvid-predict: {err}", file=sys.stderr)
        return EXIT_SETUP
    for line in predictor.describe():
        print(line, file=sys.stderr)
    paths = paths_of(args.inputs, extensions=args.ext.split(","), num_classes=predictor.num_classes,
                     video_dir=args.video_dir)
    failed, start = 0, time.perf_counter()
    progress = _progress()
    try:
        for row in predictor.rows(paths, workers=args.workers, batch_size=args.batch_size):
            writer.write(row)
            failed += bool(row["error"])
            if row["error"]:
                print(f"failed: {row['path']}: {row['error']}", file=sys.stderr)
            if progress is not None:
                progress.update(1)
    except BaseException:
        writer.close(keep=False)
        raise
    finally:
        if progress is not None:
            progress.close()
    writer.close()
    seconds = time.perf_counter() - start
    target = f" -> {args.out}" if args.out else ""
    print(f"{writer.count} videos, {writer.count - failed} predicted, {failed} failed in {seconds:.1f} s "
          f"({writer.count / max(seconds, 1e-9):.2f} videos/s){target}", file=sys.stderr)
    return EXIT_FAILED_ROWS if failed else 0


def _progress():
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit="video", desc="predict", file=sys.stderr)


def export_main(argv: list[str] | None = None) -> int:
    """Write a bundle of a work directory's final ensemble."""
    parser = argparse.ArgumentParser(description="Export a work directory's final ensemble as a checked bundle.")
    parser.add_argument("work_dir", type=Path, help="a pipeline work directory (after its ensemble step)")
    parser.add_argument("out", type=Path, help="the bundle folder to create")
    args = parser.parse_args(argv)
    try:
        out = export_bundle(args.work_dir, args.out)
    except (InferenceSetupError, BundleError, ValueError) as err:
        print(f"darkvid-export-bundle: {err}", file=sys.stderr)
        return EXIT_SETUP
    print(f"bundle written: {out}", file=sys.stderr)
    return 0
