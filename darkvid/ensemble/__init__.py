"""Ensembles of prediction files: pseudo labels, the final vote and scoring."""
