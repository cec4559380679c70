#!/usr/bin/env python
"""Export a work directory's final ensemble as a self-contained, checksummed bundle (see darkvid.inference.cli)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.inference.cli import export_main

if __name__ == "__main__":
    sys.exit(export_main())
