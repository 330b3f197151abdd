"""Initial weights and noise data, in numpy, one trial at a time.

Arrays carry a leading trial axis: kernels ``(trials, fan_in, fan_out)``,
biases ``(trials, fan_out)``, inputs ``(trials, n, inputs)``, targets
``(trials, n, 1)``.
"""

from __future__ import annotations

import math
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


# The paper does not say how its inputs were drawn. Each distribution is a
# transform of the same standard normal draws, so that the data sets of one
# seed share their targets and differ only in where the inputs lie (paired
# across distributions as well as depths).
INPUT_DISTRIBUTIONS = {
    "normal": "N(0, I)",
    "uniform_symmetric": "uniform on [-1, 1]^d",
    "uniform_positive": "uniform on [0, 1]^d",
}
_ERF = np.vectorize(math.erf, otypes=[np.float64])


def inputs_from_normal(z: np.ndarray, distribution: str = "normal") -> np.ndarray:
    """Inputs of ``distribution`` from standard normal draws ``z``: ``z``
    itself, or through the normal CDF, ``Phi(z)``, uniform on ``(0, 1)``
    (``2 Phi(z) - 1 = erf(z / sqrt 2)`` on ``(-1, 1)``)."""
    if distribution == "normal":
        return z
    if distribution not in INPUT_DISTRIBUTIONS:
        raise ValueError(f"unknown input distribution {distribution!r}; known: {sorted(INPUT_DISTRIBUTIONS)}")
    symmetric = _ERF(z / math.sqrt(2.0))
    return symmetric if distribution == "uniform_symmetric" else 0.5 * (symmetric + 1.0)


def noise_data(rng: np.random.Generator, n: int, inputs: int, distribution: str = "normal") -> tuple[np.ndarray, np.ndarray]:
    """Inputs of shape ``(n, inputs)`` (``x ~ N(0, I)``, or another of
    :data:`INPUT_DISTRIBUTIONS`) and ``y ~ N(0, 1)`` of shape ``(n, 1)``."""
    x = inputs_from_normal(rng.standard_normal((n, inputs)), distribution)
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
