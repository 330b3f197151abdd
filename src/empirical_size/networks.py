"""Initial weights and noise data, in numpy, one trial at a time.

Arrays carry a leading trial axis: kernels ``(trials, fan_in, fan_out)``,
biases ``(trials, fan_out)``, inputs ``(trials, n, inputs)``, targets
``(trials, n, 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Weights = list[tuple[np.ndarray, np.ndarray]]


def layer_sizes(inputs: int, width: int, depth: int, outputs: int = 1) -> list[int]:
    """``[inputs, width, ..., width, outputs]`` for ``depth`` hidden layers."""
    if depth < 1 or width < 1 or inputs < 1:
        raise ValueError(f"need depth, width, inputs >= 1; got {depth}, {width}, {inputs}")
    return [inputs] + [width] * depth + [outputs]


def parameter_count(sizes: Sequence[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def glorot_uniform(rng: np.random.Generator, sizes: Sequence[int], bias_scale: float = 0.0) -> Weights:
    """Glorot-uniform kernels (limit ``sqrt(6/(fan_in+fan_out))``), zero biases.

    With ``bias_scale > 0`` biases are drawn uniformly from
    ``[-bias_scale, bias_scale]`` instead (the non-zero-bias variant).
    Drawn in float64 so that float32 and float64 runs start from the same
    numbers up to rounding.
    """
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        if bias_scale > 0:
            bias = rng.uniform(-bias_scale, bias_scale, size=fan_out)
        else:
            bias = np.zeros(fan_out)
        weights.append((kernel, bias))
    return weights


def stack_trials(per_trial: Sequence[Weights]) -> Weights:
    """Stack single-trial weights into arrays with a leading trial axis."""
    return [
        (np.stack([w[i][0] for w in per_trial]), np.stack([w[i][1] for w in per_trial]))
        for i in range(len(per_trial[0]))
    ]


def noise_data(rng: np.random.Generator, n: int, inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """``x ~ N(0, I)`` of shape ``(n, inputs)`` and ``y ~ N(0, 1)`` of shape ``(n, 1)``."""
    x = rng.standard_normal((n, inputs))
    y = rng.standard_normal((n, 1))
    return x, y


def forward(weights: Weights, x: np.ndarray) -> np.ndarray:
    """Reference forward pass in numpy (ReLU hidden layers, linear output).

    Works on one trial (``kernel (fi, fo)``, ``x (n, fi)``) or stacked trials.
    """
    h = x
    for i, (kernel, bias) in enumerate(weights):
        h = h @ kernel + bias[..., None, :] if kernel.ndim == 3 else h @ kernel + bias
        if i < len(weights) - 1:
            h = np.maximum(h, 0.0)
    return h
