"""Final submission: ensemble modes over test prediction files, decision rules, a majority vote.

`python test_ensemble_vote.py --config configs/ensemble/final_vote.yaml` writes each mode's CSV
(out_dir/arid_pred_<mode>.csv) and the voted submission (out). With `--search --save FILE`, each mode's
weights and the set of voting modes are searched on the config's `search` predictions (labelled) and
the resulting config is saved for a later plain run; nothing else is written.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

import yaml

from darkvid.ensemble.combine import EnsembleConfigError
from darkvid.ensemble.io import atomic_write_text
from darkvid.ensemble.predictions import PredictionError
from darkvid.ensemble.vote_config import load_vote_config, run_vote, search_vote


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the vote (or the search); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="YAML/JSON vote config")
    parser.add_argument("--root", help="experiment root holding the exp_* folders (overrides the config)")
    parser.add_argument("--data-root", help="folder of test.csv and the labels CSV (overrides the config)")
    parser.add_argument("--search", action="store_true", help="search weights and voting modes on validation")
    parser.add_argument("--save", type=Path, help="where --search writes the searched config")
    args = parser.parse_args(argv)
    if args.search and args.save is None:
        parser.error("--search needs --save FILE")
    try:
        config = load_vote_config(args.config, root=args.root, data_root=args.data_root)
        if args.search:
            raw, scores = search_vote(config)
            atomic_write_text(args.save, yaml.safe_dump(raw, sort_keys=False))
            print(f"validation top-1 per mode and vote: {json.dumps(scores)}")
            print(f"searched config -> {args.save}")
            return 0
        outputs = run_vote(config)
    except (EnsembleConfigError, PredictionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, path in outputs.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
