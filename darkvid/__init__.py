"""darkvid: action recognition in dark videos (UG2+ / ARID), a clean re-implementation of the
top-2 UG2+ 2022 Track 2 pipeline.

Data flows one way and joins by video id: split CSV rows (`datasets.records`) -> clips
(`datasets.dataset`, `datasets.loader`) -> logits (`models`, `engine`) -> per-video predictions
(`predictions`) -> pseudo labels and the vote (`ensemble`). `pipeline` runs the whole method,
`inference` applies trained models to new videos.
"""

__version__ = "0.1.0"
