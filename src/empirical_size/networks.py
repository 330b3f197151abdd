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
    pairs = list(zip(sizes[:-1], sizes[1:]))
    # All kernels first, then biases: the zero- and non-zero-bias variants
    # of one seed share their kernels.
    kernels = [rng.uniform(-np.sqrt(6.0 / (a + b)), np.sqrt(6.0 / (a + b)), size=(a, b)) for a, b in pairs]
    if bias_scale > 0:
        biases = [rng.uniform(-bias_scale, bias_scale, size=b) for _, b in pairs]
    else:
        biases = [np.zeros(b) for _, b in pairs]
    return list(zip(kernels, biases))


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
