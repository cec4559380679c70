"""Video data: split CSVs -> frame indices -> decoded frames -> (gamma) -> clips -> batches.

The names below load on first use, so `darkvid.datasets.records` (numpy only) can be imported by
the ensemble tools without importing torch.
"""
from importlib import import_module
from typing import Any

_EXPORTS = {
    "SPLITS": "build",
    "build_dataset": "build",
    "VideoDataset": "dataset",
    "VideoDecodeError": "decoding",
    "build_loader": "loader",
    "collate_clips": "loader",
    "SplitFileError": "records",
    "VideoRecord": "records",
    "read_split_csv": "records",
}

__all__ = ["SPLITS", "SplitFileError", "VideoDataset", "VideoDecodeError", "VideoRecord", "build_dataset",
           "build_loader", "collate_clips", "read_split_csv"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'darkvid.datasets' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
