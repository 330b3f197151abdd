"""Measures of trained networks, in numpy, on stacked trials."""

from __future__ import annotations

import numpy as np

from .networks import Weights


def dead_neurons(weights: Weights, x: np.ndarray, chunk: int = 20_000) -> np.ndarray:
    """``(trials, hidden_layers, width)``: True where a hidden neuron's ReLU
    output is exactly 0 on every input of ``x (trials, n, inputs)``.

    A neuron is dead on ``x`` when its pre-activation is ``<= 0`` for all
    rows; ``x`` is processed in chunks of rows to bound memory.
    """
    hidden = weights[:-1]
    widths = {k.shape[-1] for k, _ in hidden}
    if len(widths) != 1:
        raise ValueError(f"hidden layers must have one width, got {sorted(widths)}")
    alive = np.zeros((x.shape[0], len(hidden), widths.pop()), dtype=bool)
    for start in range(0, x.shape[1], chunk):
        h = x[:, start : start + chunk]
        for layer, (kernel, bias) in enumerate(hidden):
            h = np.maximum(h @ kernel + bias[:, None, :], 0.0)
            alive[:, layer] |= (h > 0).any(axis=1)
    return ~alive
