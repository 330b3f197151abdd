"""One-dimensional target functions and inputs for E4 and E5."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLINGS = ("grid", "uniform")


def sample_inputs(rng: np.random.Generator, n: int, domain: Sequence[float], sampling: str) -> np.ndarray:
    """``(n, 1)`` sorted inputs on ``domain``: evenly spaced (``grid``) or
    uniformly at random (``uniform``)."""
    lo, hi = map(float, domain)
    if not lo < hi:
        raise ValueError(f"domain must be increasing, got {domain}")
    if sampling == "grid":
        x = np.linspace(lo, hi, n)
    elif sampling == "uniform":
        x = np.sort(rng.uniform(lo, hi, n))
    else:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    return x[:, None]


def sawtooth(x: np.ndarray, domain: Sequence[float], teeth: int, amplitude: float) -> np.ndarray:
    """A rising sawtooth with ``teeth`` teeth across ``domain``: each tooth
    rises linearly from ``-amplitude`` to ``amplitude``, then drops."""
    lo, hi = map(float, domain)
    t = (np.asarray(x, dtype=float) - lo) / (hi - lo) * teeth
    frac = t - np.floor(t)
    frac = np.where(t >= teeth, 1.0, frac)  # the right end closes the last tooth
    return amplitude * (2 * frac - 1)


def random_spline(rng: np.random.Generator, knots: int, domain: Sequence[float], scale: float, positions: str = "random"):
    """A random linear spline: knot positions (the domain's ends plus
    ``knots - 2`` interior points, uniform at random or evenly spaced) and
    knot values ``~ N(0, scale^2)``. Returns ``(knot_x, knot_y)``."""
    if knots < 2:
        raise ValueError(f"a spline needs at least 2 knots, got {knots}")
    lo, hi = map(float, domain)
    if positions == "random":
        inner = np.sort(rng.uniform(lo, hi, knots - 2))
    elif positions == "even":
        inner = np.linspace(lo, hi, knots)[1:-1]
    else:
        raise ValueError(f"knot positions must be 'random' or 'even', got {positions!r}")
    kx = np.concatenate([[lo], inner, [hi]])
    ky = rng.normal(0.0, scale, knots)
    return kx, ky


def spline(x: np.ndarray, knot_x: np.ndarray, knot_y: np.ndarray) -> np.ndarray:
    """The linear spline through the knots, evaluated at ``x``."""
    return np.interp(np.asarray(x, dtype=float), knot_x, knot_y)
