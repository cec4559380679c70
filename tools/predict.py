#!/usr/bin/env python
"""Classify videos with a trained model, a work directory's ensemble or a bundle (see darkvid.inference.cli)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.inference.cli import predict_main

if __name__ == "__main__":
    sys.exit(predict_main())
