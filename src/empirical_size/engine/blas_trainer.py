"""The wide networks' CPU trainer: each step's products handed to numpy's
BLAS, Adadelta's update by the C++ kernel (numpy's where it cannot be built).

Where a layer's weights and a batch's activations outgrow a core's cache
(width 500: about 1 MB a layer per trial), the kernel's products, blocked
only by column panels, fall behind a BLAS that packs and
blocks them for every cache level (at batches of 500: 73% of the matmul
rate against 87%; benchmarks/README.md). The arithmetic is the kernel's and Keras':
the loss is each trial's own MSE (over its real samples where a mask
marks padding), its gradients by backpropagation, Adadelta as Keras'
``update_step`` (tested against the formula in float64). Nothing here
imports TensorFlow, Keras or JAX.
"""

from __future__ import annotations

import numpy as np

from ..science.networks import Weights
from . import cpu_kernel
from .backend import cpu_threads
from .base import AdadeltaSettings, Trainer
from .kernel_trainer import NumpyEvaluation
from .minibatch import BatchPlan, packed_batch_masks, trial_batches

NAME = "numpy BLAS"


class BlasTrainer(NumpyEvaluation, Trainer):
    """A chunk of trials as per-layer ``(trials, fan_in, fan_out)`` kernels and
    ``(trials, fan_out)`` biases; ``arch``: the kernel build whose Adadelta
    update it uses (None: numpy's)."""

    gradient_path = NAME
    INDEX_BLOCK = 1 << 24  # batch positions drawn ahead at a time (4 bytes each)

    def __init__(self, sizes, trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(), arch: str | None = None):
        self.sizes, self.trials, self.dtype = list(sizes), int(trials), dtype
        self.optimizer = optimizer
        self.kernel_arch = arch
        self._lib = None if arch is None else cpu_kernel.library(arch)
        shapes = [s for a, b in zip(self.sizes[:-1], self.sizes[1:]) for s in ((self.trials, a, b), (self.trials, b))]
        self.params = [np.zeros(s, dtype) for s in shapes]
        self.grad_acc = [np.zeros(s, dtype) for s in shapes]
        self.delta_acc = [np.zeros(s, dtype) for s in shapes]
        self.iterations = 0

    # -- state ----------------------------------------------------------------
    def _fit(self, arrays, what: str) -> list[np.ndarray]:
        arrays = [np.ascontiguousarray(a, self.dtype) for a in arrays]
        want, got = [p.shape for p in self.params], [a.shape for a in arrays]
        if got != want:
            raise ValueError(f"{what} of shapes {got} do not fit {self.trials} trials of layer sizes {self.sizes} ({want})")
        return [a.copy() for a in arrays]

    def set_weights(self, weights: Weights) -> None:
        self.params = self._fit([a for pair in weights for a in pair], "weights")

    def get_weights(self) -> Weights:
        return [(self.params[i].copy(), self.params[i + 1].copy()) for i in range(0, len(self.params), 2)]

    def get_state(self) -> list[np.ndarray]:
        return self._numpy_state(self.params, self.grad_acc, self.delta_acc)

    def set_state(self, state: list[np.ndarray]) -> None:
        weights, self.iterations, grads, deltas = self._state_parts(state, len(self.params))
        self.params = self._fit(weights, "state weights")
        self.grad_acc = self._fit(grads, "state accumulators")
        self.delta_acc = self._fit(deltas, "state accumulators")

    # -- work -----------------------------------------------------------------
    def cast(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, self.dtype)

    def _step(self, own: slice, x, y, weight) -> None:
        """One step of the trials ``own`` on their data ``x``, ``y`` (and
        ``weight`` (:func:`_loss_weights`, or None: every sample real)."""
        params = [p[own] for p in self.params]
        grads = _gradients(params, x, y, weight)
        for w, ag, ad, g in zip(params, (a[own] for a in self.grad_acc), (a[own] for a in self.delta_acc), grads):
            g = np.ascontiguousarray(g, self.dtype)
            if self._lib is not None:
                cpu_kernel.adadelta(self._lib, w, ag, ad, g, self.optimizer)
            else:
                _numpy_adadelta(w, ag, ad, g, self.optimizer)

    def _each_thread(self, train) -> None:
        """``train(own)`` on a contiguous range of trials per thread, each
        thread's BLAS on its share of the cores (one where there are as many
        trials as threads): BLAS threads inside one 500 x 500 product wait
        for each other, and numpy's element-wise work then runs side by side."""
        from threadpoolctl import threadpool_limits

        threads = cpu_threads()
        with threadpool_limits(limits=max(1, threads // min(threads, self.trials)), user_api="blas"):
            cpu_kernel.split_trials(self.trials, threads, lambda lo, hi: train(slice(lo, hi)))

    def _check_data(self, x, y) -> None:
        if np.shape(x)[0] != self.trials or np.shape(y)[:2] != np.shape(x)[:2] or np.shape(x)[2] != self.sizes[0]:
            raise ValueError(f"data x {np.shape(x)}, y {np.shape(y)} do not fit {self.trials} trials of {self.sizes[0]} inputs")

    def train_full(self, x, y, steps: int, mask=None) -> None:
        self._check_data(x, y)
        weight = _loss_weights(None if mask is None else np.broadcast_to(self.cast(mask), np.shape(x)[:2]))

        def own_trials(own):
            for _ in range(int(steps)):
                self._step(own, x[own], y[own], None if weight is None else weight[own])

        self._each_thread(own_trials)
        self.iterations += int(steps)

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """On the batches of the shuffles' numpy reference, as the kernel's
        trainer draws them (:meth:`KernelTrainer.train_batches`), each thread
        its own trials'."""
        self._check_data(x, y)
        keys = np.asarray(keys, np.int32)
        lengths = None if lengths is None else np.asarray(lengths)
        if lengths is None:
            masks = np.broadcast_to(plan.mask(self.dtype)[:, None, :], (plan.steps_per_epoch, self.trials, plan.width))
        else:
            masks = packed_batch_masks(plan, lengths).astype(self.dtype)  # (steps, trials, width)
        per_epoch = plan.steps_per_epoch
        block = max(1, self.INDEX_BLOCK // (per_epoch * plan.width * self.trials))
        weights = [_loss_weights(m) for m in masks]  # each step of an epoch's, once

        def own_trials(own):
            rows = np.arange(own.start, own.stop)[:, None]
            for start in range(first_epoch, first_epoch + epochs, block):
                count = min(block, first_epoch + epochs - start)
                batches = trial_batches(plan, keys[own], start, count, None if lengths is None else lengths[own])
                for s in range(batches.shape[1]):
                    index, weight = batches[:, s, :], weights[s % per_epoch]
                    self._step(own, x[rows, index], y[rows, index], None if weight is None else weight[own])

        self._each_thread(own_trials)
        self.iterations += int(epochs) * per_epoch


def _loss_weights(mask):
    """Each sample's factor in its trial's MSE gradient, ``2 mask / (its
    trial's real samples)`` as ``(T,m,1)``, from ``mask (T,m)`` (1 on real
    samples); None where every sample is real (the factor is then 2 / m)."""
    if mask is None or mask.all():
        return None
    return (2 * mask / mask.sum(axis=-1, keepdims=True))[..., None].astype(mask.dtype)


def _gradients(params, x, y, weight) -> list[np.ndarray]:
    """Each trial's gradients of its own MSE on ``x (T,m,i)``, ``y (T,m,1)``
    (``weight``: :func:`_loss_weights`), Keras' order."""
    acts, layers = [x], len(params) // 2
    for i in range(layers):
        z = np.matmul(acts[-1], params[2 * i])
        z += params[2 * i + 1][:, None, :]
        if i < layers - 1:
            np.maximum(z, 0, out=z)
        acts.append(z)
    delta = acts[-1] - y
    if weight is None:
        delta *= 2 / x.shape[1]
    else:
        delta *= weight
    grads = [None] * len(params)
    for i in reversed(range(layers)):
        grads[2 * i] = np.matmul(acts[i].transpose(0, 2, 1), delta)
        grads[2 * i + 1] = delta.sum(axis=1)
        if i:
            delta = np.matmul(delta, params[2 * i].transpose(0, 2, 1))
            delta *= acts[i] > 0
    return grads


def _numpy_adadelta(w, ag, ad, g, optimizer: AdadeltaSettings) -> None:
    """Keras' ``update_step`` in numpy, in place (where the kernel cannot be built)."""
    lr, rho, eps = optimizer.as_keras_applies()
    g = g * g.dtype.type(optimizer.loss_scale)
    ag *= rho
    ag += (1 - rho) * g * g
    delta = -(np.sqrt(ad + eps) * g) / np.sqrt(ag + eps)
    ad *= rho
    ad += (1 - rho) * delta * delta
    w += w.dtype.type(lr) * delta
