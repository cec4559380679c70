"""darkvid: action recognition in dark videos (UG2+ / ARID), a clean re-implementation of the
top-2 UG2+ 2022 Track 2 pipeline."""

__version__ = "0.1.0"
