"""Numpy science shared by every experiment: initial weights and data, targets, linear pieces,
per-trial random streams."""
