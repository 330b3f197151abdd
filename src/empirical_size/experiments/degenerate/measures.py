"""Measures of trained networks, in numpy, on stacked trials."""

from __future__ import annotations

import numpy as np

from ...engine import cpu_kernel
from ...science.networks import Weights


def dead_neurons(weights: Weights, x: np.ndarray, chunk: int = 4096, kernel: bool | None = None) -> np.ndarray:
    """``(trials, hidden_layers, width)``: True where a hidden neuron's ReLU
    output is exactly 0 on every input of ``x (trials, n, inputs)``.

    A neuron is dead on ``x`` when its pre-activation is ``<= 0`` for all
    rows. One trial and ``chunk`` rows at a time, in two reused buffers: a
    layer's activations then stay in cache, where a pass over all trials'
    rows at once went to memory for every bias add, ReLU and test (2.7x
    slower on E1's 100,000 fresh samples). Where the CPU kernel builds
    (``kernel`` None: unless the training path names a Keras loop; True, False:
    force), its forward products do it, 1.9x faster again (AVX2).
    """
    hidden = weights[:-1]
    widths = {k.shape[-1] for k, _ in hidden}
    if len(widths) != 1:
        raise ValueError(f"hidden layers must have one width, got {sorted(widths)}")
    if kernel is None:
        kernel = cpu_kernel.available()
    if kernel:
        return cpu_kernel.dead_neurons(weights, x)
    width = widths.pop()
    alive = np.zeros((x.shape[0], len(hidden), width), dtype=bool)
    dtype = np.result_type(x, *(a for pair in hidden for a in pair))
    buffers = [np.empty((min(chunk, x.shape[1]), width), dtype) for _ in range(2)]
    for trial in range(x.shape[0]):
        for start in range(0, x.shape[1], chunk):
            h = x[trial, start : start + chunk]
            for layer, (kernel, bias) in enumerate(hidden):
                out = buffers[layer % 2][: h.shape[0]]
                np.matmul(h, kernel[trial], out=out)
                out += bias[trial]
                # fmax skips NaN (a diverged network's rows), as ReLU(NaN) > 0 does
                alive[trial, layer] |= np.fmax.reduce(out, axis=0) > 0
                h = np.maximum(out, 0.0, out=out)
    return ~alive
