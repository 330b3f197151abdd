"""Exact linear pieces of ReLU networks with one input and one output.

Such a network is a continuous piecewise linear function. We propagate it
layer by layer: each neuron's pre-activation is held exactly by its values
at a sorted set of points (the breakpoints found so far) and its slopes
beyond the first and last point; the ReLU adds each neuron's zero crossings
(inside every piece and on the two unbounded ends); the next layer's
pre-activations are affine in the ReLU outputs, so their values and end
slopes follow by one matrix product. At the output, neighbouring pieces whose
slopes agree within ``rtol`` of the largest slope are merged. No sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .networks import Weights


@dataclass(frozen=True)
class Pieces:
    breakpoints: np.ndarray  # where the slope changes, sorted
    slopes: np.ndarray  # one per piece: len(breakpoints) + 1

    @property
    def count(self) -> int:
        return len(self.slopes)


def _evaluate(points, values, left, right, x):
    """``(len(x), N)`` values of the piecewise linear columns at ``x``."""
    if len(points) == 1:
        dx = (x - points[0])[:, None]
        return values[0] + dx * np.where(dx < 0, left, right)
    idx = np.clip(np.searchsorted(points, x) - 1, 0, len(points) - 2)
    t = ((x - points[idx]) / (points[idx + 1] - points[idx]))[:, None]
    out = values[idx] + t * (values[idx + 1] - values[idx])
    below, above = x < points[0], x > points[-1]
    out[below] = values[0] + (x[below] - points[0])[:, None] * left
    out[above] = values[-1] + (x[above] - points[-1])[:, None] * right
    return out


def _crossings(points, values, left, right, lo, hi):
    """Zero crossings of every column strictly inside ``(lo, hi)``."""
    v0, v1 = values[:-1], values[1:]
    i, j = np.nonzero((np.sign(v0) * np.sign(v1)) < 0)  # no underflow for tiny values
    roots = [points[i] + v0[i, j] / (v0[i, j] - v1[i, j]) * (points[i + 1] - points[i])]
    with np.errstate(divide="ignore", invalid="ignore"):
        root = points[0] - values[0] / left
        roots.append(root[(left != 0) & (root < points[0])])
        root = points[-1] - values[-1] / right
        roots.append(root[(right != 0) & (root > points[-1])])
    roots = np.concatenate(roots)
    return roots[(roots > lo) & (roots < hi)]


def _merge_close(x, rtol=1e-12):
    """Sorted unique points, those closer than ``rtol`` (relative) taken as one:
    breakpoints of different neurons that coincide mathematically."""
    x = np.sort(x)
    if x.size < 2:
        return x
    keep = np.concatenate([[True], np.diff(x) > rtol * np.maximum(1.0, np.abs(x[1:]))])
    return x[keep]


def pieces(weights: Weights, interval: tuple[float, float] = (-math.inf, math.inf), rtol: float = 1e-9, atol: float = 1e-12) -> Pieces:
    """The exact linear pieces of one network ``[(kernel (fi, fo), bias (fo,)), ...]``
    with one input and one output, on ``interval`` (the whole line by default).
    Slopes closer than ``rtol`` times the largest slope plus ``atol`` count as equal."""
    lo, hi = map(float, interval)
    if not lo < hi:
        raise ValueError(f"interval must be increasing, got {interval}")
    layers = [(np.asarray(k, dtype=np.float64), np.asarray(b, dtype=np.float64)) for k, b in weights]
    if layers[0][0].shape[0] != 1 or layers[-1][0].shape[1] != 1:
        raise ValueError("pieces() needs a network with one input and one output")
    points = np.array([p for p in (lo, hi) if math.isfinite(p)] or [0.0])
    kernel, bias = layers[0]
    values = points[:, None] * kernel[0] + bias
    left, right = kernel[0].copy(), kernel[0].copy()
    for kernel, bias in layers[1:]:
        new = _crossings(points, values, left, right, lo, hi)
        if new.size:
            merged = _merge_close(np.concatenate([points, new]))
            values = _evaluate(points, values, left, right, merged)
            points = merged
        # Beyond the end points each neuron keeps one sign (its crossings there
        # are points now): the sign of its slope towards infinity, or of its
        # value where it is flat. Not the value at the end point: a crossing
        # just added there evaluates to about +-1e-17, not exactly 0.
        alive_left = np.where(left != 0, left < 0, values[0] > 0)
        alive_right = np.where(right != 0, right > 0, values[-1] > 0)
        left, right = np.where(alive_left, left, 0.0) @ kernel, np.where(alive_right, right, 0.0) @ kernel
        values = np.maximum(values, 0.0) @ kernel + bias
    f = values[:, 0]
    slopes = np.concatenate(
        [left[:1] if math.isinf(lo) else [], np.diff(f) / np.diff(points), right[:1] if math.isinf(hi) else []]
    )
    candidates = points[int(math.isfinite(lo)) : len(points) - int(math.isfinite(hi))]
    scale = max(float(np.abs(slopes).max(initial=0.0)), np.finfo(float).tiny)
    change = np.abs(np.diff(slopes)) > rtol * scale + atol
    return Pieces(breakpoints=candidates[change], slopes=np.concatenate([slopes[:1], slopes[1:][change]]))


def count_pieces(weights: Weights, interval=(-math.inf, math.inf), rtol: float = 1e-9) -> np.ndarray:
    """Pieces of each trial of stacked weights ``[(kernel (T, fi, fo), bias (T, fo)), ...]``."""
    trials = weights[0][0].shape[0]
    return np.array([pieces([(k[t], b[t]) for k, b in weights], interval, rtol).count for t in range(trials)])
