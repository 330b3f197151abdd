"""Packing trials of several grid points into one compiled call.

Trials of the same network shape but different ``n`` share one padded
batch: ``x`` and ``y`` are padded with zeros to the largest ``n`` and a 0/1
mask ``(trials, n_max)`` marks each trial's real samples. A masked sample
adds exactly zero to its trial's loss and gradient, so a packed trial trains
as it would alone, up to the order in which floating-point sums run over the
padded axis (float64 agrees to ~1e-15). On a GPU this turns many launch-bound
small calls into one that fills the device; see the README's benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Packed:
    x: np.ndarray  # (trials, n_max, inputs), zero-padded
    y: np.ndarray  # (trials, n_max, 1), zero-padded
    mask: np.ndarray  # (trials, n_max), 1 on real samples
    counts: tuple[int, ...]  # trials of each packed group, in order

    def split(self, values: np.ndarray) -> list[np.ndarray]:
        """Per-trial results (leading axis trials) back into the groups."""
        return np.split(np.asarray(values), np.cumsum(self.counts)[:-1])


def pack(groups: Sequence[tuple[np.ndarray, np.ndarray]], dtype="float64") -> Packed:
    """Stack groups of ``x (T_g, n_g, inputs)``, ``y (T_g, n_g, 1)`` along
    trials, padding each to the largest ``n``."""
    if not groups:
        raise ValueError("nothing to pack")
    n_max = max(x.shape[1] for x, _ in groups)
    trials = sum(x.shape[0] for x, _ in groups)
    inputs = groups[0][0].shape[2]
    x = np.zeros((trials, n_max, inputs), dtype)
    y = np.zeros((trials, n_max, 1), dtype)
    mask = np.zeros((trials, n_max), dtype)
    t = 0
    for gx, gy in groups:
        k, n = gx.shape[:2]
        x[t : t + k, :n], y[t : t + k, :n], mask[t : t + k, :n] = gx, gy, 1
        t += k
    return Packed(x, y, mask, tuple(x.shape[0] for x, _ in groups))
