"""Video data: split CSVs -> frame indices -> decoded frames -> (gamma) -> clips -> batches."""
from .build import SPLITS, build_dataset
from .dataset import VideoDataset
from .decoding import VideoDecodeError
from .loader import build_loader, collate_clips
from .records import SplitFileError, VideoRecord, read_split_csv

__all__ = [
    "SPLITS",
    "SplitFileError",
    "VideoDataset",
    "VideoDecodeError",
    "VideoRecord",
    "build_dataset",
    "build_loader",
    "collate_clips",
    "read_split_csv",
]
