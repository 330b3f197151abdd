"""Many small ReLU networks trained at once: the trainer's interface, and
:func:`make_trainer`, which picks the trainer for the path training takes.

Every weight carries a leading trial axis (kernels ``(trials, fan_in,
fan_out)``, biases ``(trials, fan_out)``). The loss is the *sum* over trials
of each trial's own MSE, so each trial's gradient is exactly its own;
Adadelta acts element-wise, so a chunk of trials trains exactly as each
trial would alone. Two trainers implement it:

- :class:`empirical_size.kernel_trainer.KernelTrainer`: the C++ CPU kernel
  on numpy arrays, evaluated in numpy; it imports no TensorFlow, Keras or JAX;
- :mod:`empirical_size.engine`'s Keras trainers: Keras' model and optimizer,
  trained by TensorFlow's graph or XLA loop or JAX's (the GPU's paths, and
  the CPU's where the kernel is not taken). Keras is the reference: the
  tests hold the kernel to ``model.fit`` and the formula.

The path is :mod:`empirical_size.paths`' setting; this module imports no
backend itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import paths
from .minibatch import BatchPlan
from .networks import Weights
from .paper import ADADELTA


@dataclass(frozen=True)
class AdadeltaSettings:
    """The paper's Adadelta (Keras 1.x defaults, :mod:`empirical_size.paper`), not Keras 3's.

    Two ways a 2016 script may have differed from its stated settings (E7's
    knobs; the paper's are 1 and False): ``loss_scale``, the factor the
    loss, so every gradient, is multiplied by (``1/128``: 128 trials as
    towers of one model whose ``mse`` averages over their outputs); and
    ``reset_at_records``, Adadelta's accumulators zeroed after every record
    (a new optimizer compiled for each ``fit`` call), done by the training
    loop (:func:`empirical_size.training.train_and_record`)."""

    learning_rate: float = ADADELTA["learning_rate"]
    rho: float = ADADELTA["rho"]
    epsilon: float = ADADELTA["epsilon"]
    loss_scale: float = 1.0
    reset_at_records: bool = False

    def build(self):
        """Keras' optimizer with these settings (imports Keras); with a loss
        scale, Keras' Adadelta on the gradients times it."""
        from .backend import import_keras

        keras = import_keras()
        settings = dict(learning_rate=self.learning_rate, rho=self.rho, epsilon=self.epsilon)
        if self.loss_scale == 1.0:
            return keras.optimizers.Adadelta(**settings)
        scale = self.loss_scale

        class ScaledAdadelta(keras.optimizers.Adadelta):
            def update_step(self, gradient, variable, learning_rate):
                return super().update_step(gradient * scale, variable, learning_rate)

        return ScaledAdadelta(**settings)

    def as_keras_applies(self) -> tuple[float, float, float]:
        """``(learning_rate, rho, epsilon)`` as Keras' update uses them: its
        learning rate is a float32 variable (0.1 is 0.10000000149...)."""
        return float(np.float32(self.learning_rate)), float(self.rho), float(self.epsilon)


class Trainer:
    """A chunk of ``trials`` networks of layer ``sizes`` in ``dtype``.

    ``gradient_path`` says how it takes its steps (jobs record it),
    ``kernel_arch`` the CPU kernel's build where it trains, ``on_gpu``
    whether it computes on a GPU. State: :meth:`set_weights`,
    :meth:`get_weights`, and for checkpoints :meth:`get_state` /
    :meth:`set_state` (weights, then the optimizer's iteration count,
    learning rate and per variable its two accumulators, Keras' order, the
    same on every path). Work: :meth:`cast` data once, then
    :meth:`train_full`, :meth:`train_batches`, :meth:`evaluate`,
    :meth:`predict`."""

    sizes: list[int]
    trials: int
    dtype: str
    on_gpu: bool = False
    gradient_path: str
    kernel_arch: str | None = None

    def set_weights(self, weights: Weights) -> None:
        raise NotImplementedError

    def get_weights(self) -> Weights:
        raise NotImplementedError

    def get_state(self) -> list[np.ndarray]:
        raise NotImplementedError

    def set_state(self, state: list[np.ndarray]) -> None:
        raise NotImplementedError

    def _numpy_state(self, weights, grads, deltas) -> list[np.ndarray]:
        """A state in the order above from numpy arrays (copies): the CPU trainers'."""
        counters = [np.array(self.iterations, np.int64), np.array(self.optimizer.learning_rate, np.float32)]
        return [*(np.array(a) for a in weights), *counters, *(np.array(a) for pair in zip(grads, deltas) for a in pair)]

    @staticmethod
    def _state_parts(state: list[np.ndarray], variables: int) -> tuple[list, int, list, list]:
        """``(weights, iterations, grads, deltas)`` of a state of ``variables``
        variables, after checking its length."""
        if len(state) != 3 * variables + 2:
            raise ValueError(f"a state of {len(state)} arrays is not one of this trainer's ({3 * variables + 2})")
        slots = state[variables + 2 :]
        return state[:variables], int(state[variables]), slots[0::2], slots[1::2]

    def reset_optimizer(self) -> None:
        """A fresh optimizer on the same weights: the iteration count and
        every accumulator zero, the learning rate kept (a state's order:
        weights, iterations, learning rate, accumulators)."""
        state = self.get_state()
        weights = 2 * (len(self.sizes) - 1)
        fresh = [np.zeros_like(a) for a in state[weights + 2 :]]
        self.set_state([*state[:weights], np.zeros_like(state[weights]), state[weights + 1], *fresh])

    def cast(self, a: np.ndarray):
        """``a`` as this trainer computes on it (its dtype, its device)."""
        raise NotImplementedError

    def train_full(self, x, y, steps: int, mask=None) -> None:
        """``steps`` full-batch gradient steps on ``x (T,n,i)``, ``y (T,n,1)``;
        ``mask (T,n)`` marks each trial's real samples when trials of
        different ``n`` are packed (see :mod:`empirical_size.packing`)."""
        raise NotImplementedError

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """Epochs ``first_epoch .. first_epoch + epochs - 1`` of ``plan``'s
        mini-batches, one step per batch, drawn from the trials' shuffle
        ``keys`` (:func:`empirical_size.minibatch.trial_keys`). Packed trials
        of different sizes give their own ``lengths (T,)`` (``x``, ``y``
        padded to ``plan.n``, the largest); each trains as it would alone
        (:func:`empirical_size.minibatch.packed_batch_masks` says which sizes can share)."""
        raise NotImplementedError

    def evaluate(self, x, y, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-trial training MSE and size ``sum_i f(x_i)^2`` on ``x`` (on
        each trial's real samples where a ``mask (T,n)`` is given), float64."""
        raise NotImplementedError

    def predict(self, x) -> np.ndarray:
        """``(T, n, 1)`` outputs of every trial's network on ``x (T,n,i)``."""
        raise NotImplementedError


def _own_loop() -> str:
    """The backend's own CPU loop, against which ``auto`` weighs the kernel."""
    return "jax.grad" if os.environ.get("KERAS_BACKEND") == "jax" else "tensorflow"


def make_trainer(
    sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
    path: str | None = None,
) -> Trainer:  # fmt: skip
    """A trainer for :mod:`empirical_size.paths`' setting (``path`` wins
    over it): the CPU kernel's where it is asked for, or where ``auto`` finds
    no GPU and the kernel is to be had (:func:`empirical_size.cpu_kernel.choose`),
    with no backend imported; else a Keras trainer of the selected backend."""
    from . import cpu_kernel

    choice = paths.resolve(path)
    if choice.kind == "blas":
        return _blas_trainer(sizes, trials, dtype, optimizer, choice.arch)
    arch = None
    if choice.kind == "kernel":
        arch = cpu_kernel.require(choice.arch)
    elif choice.kind == "auto" and choice.kernel != "never" and not _fused_asked(choice) and not _on_gpu():
        arch = cpu_kernel.require(choice.arch) if choice.kernel == "required" else cpu_kernel.choose(_own_loop(), choice.arch)
        if arch is not None and cpu_path_for(sizes) == "blas":
            return _blas_trainer(sizes, trials, dtype, optimizer, arch)
    if arch is not None:
        from .kernel_trainer import KernelTrainer

        return KernelTrainer(sizes, trials, dtype, optimizer, arch)
    from .engine import make_keras_trainer

    return make_keras_trainer(sizes, trials, dtype, optimizer, choice)


# From this hidden width on, ``auto`` trains on a CPU with the BLAS trainer:
# a layer's weights and a batch's activations outgrow a core's cache and the
# kernel's unblocked products fall behind a BLAS. Measured on one CPU (an AMD
# EPYC, AVX2: benchmarks/README.md), at n = 64 and batches of 500 alike, by
# ``python benchmarks/crossover.py``, which prints this machine's crossing.
BLAS_FROM_WIDTH = 256


def cpu_path_for(sizes: Sequence[int], from_width: int = BLAS_FROM_WIDTH) -> str:
    """``auto``'s CPU path for networks of layer ``sizes``: ``kernel``, or
    ``blas`` for hidden layers of ``from_width`` units or more."""
    return "blas" if max(sizes[1:-1], default=0) >= from_width else "kernel"


def crossover_width(table: Sequence[tuple[int, float, float]]) -> int | None:
    """The smallest width from which the BLAS trainer is at least as fast as
    the kernel at every measured width: ``table`` holds ``(width, kernel's
    seconds, BLAS trainer's seconds)`` at one shape each; None where it never is."""
    rows = sorted(table)
    for i, (width, _, _) in enumerate(rows):
        if all(blas <= kernel for _, kernel, blas in rows[i:]):
            return width
    return None


def _blas_trainer(sizes, trials, dtype, optimizer, arch):
    """The BLAS trainer, its update by the kernel built for ``arch`` where
    that builds (numpy's otherwise)."""
    from . import cpu_kernel
    from .blas_trainer import BlasTrainer

    try:
        cpu_kernel.library(arch)
    except cpu_kernel.KernelUnavailable:
        arch = None
    return BlasTrainer(sizes, trials, dtype, optimizer, arch)


def _fused_asked(choice: paths.TrainingPath) -> bool:
    """``auto`` with a fused tiling to run in the interpreter, under JAX:
    the fused kernel, off a GPU too."""
    return bool(choice.tiling) and choice.tiling.startswith("interpret") and os.environ.get("KERAS_BACKEND") == "jax"


def _on_gpu() -> bool:
    """Whether the selected backend computes on a GPU; asked of it (importing
    it) only where a GPU could be there (:func:`empirical_size.paths.gpu_possible`)."""
    if not paths.gpu_possible():
        return False
    from .engine import backend_on_gpu

    return backend_on_gpu()
