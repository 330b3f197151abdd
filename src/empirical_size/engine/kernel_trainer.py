"""The CPU kernel's trainer: weights and Adadelta's accumulators as packed
numpy arrays (:class:`empirical_size.engine.cpu_kernel.Layout`), trained in place
by the C++ kernel, evaluated in numpy. Nothing here imports TensorFlow,
Keras or JAX: a job on this path starts in well under a second where
importing Keras took 4-7 s and 0.7 GB (benchmarks/README.md).

Its numbers are Keras' (the tests hold it to ``model.fit`` and the formula
in float64): the kernel's arithmetic is Keras' ``update_step``, with the
learning rate rounded to float32 as Keras stores it; outputs are numpy's
products, which equal TensorFlow's on the tested CPUs; a trial's MSE and
size are numpy sums, whose order differs from XLA's (the Keras trainers')
in the last bits.
"""

from __future__ import annotations

import numpy as np

from ..science.networks import Weights
from . import cpu_kernel
from .backend import cpu_threads
from .base import AdadeltaSettings, Trainer
from .minibatch import BatchPlan, packed_batch_masks, trial_batches


class NumpyEvaluation:
    """Outputs, MSE and size in numpy from a trainer's :meth:`get_weights`
    (the kernel's trainer and the BLAS one)."""

    def predict(self, x) -> np.ndarray:
        """Every trial's outputs: numpy's batched products, layer by layer."""
        h = np.asarray(x, self.dtype)
        weights = self.get_weights()  # contiguous copies: numpy's BLAS products, as on every path
        for i, (kernel, bias) in enumerate(weights):
            h = np.matmul(h, kernel)
            h += bias[:, None, :]
            if i < len(weights) - 1:
                np.maximum(h, 0, out=h)
        return h

    def evaluate(self, x, y, mask=None) -> tuple[np.ndarray, np.ndarray]:
        pred = self.predict(x)[..., 0]
        err = np.square(pred - np.asarray(y)[..., 0])
        square = np.square(pred)
        if mask is None:
            mse = err.sum(axis=1) / err.shape[1]
        else:
            mask = np.asarray(mask, self.dtype)
            mse, square = (err * mask).sum(axis=1) / mask.sum(axis=-1), square * mask
        return np.asarray(mse, np.float64), np.asarray(square.sum(axis=1), np.float64)


class KernelTrainer(NumpyEvaluation, Trainer):
    """A chunk of trials trained by the kernel built for ``arch``."""

    # Indices of at most this many batch positions are drawn ahead of the
    # kernel at a time (4 bytes each).
    INDEX_BLOCK = 1 << 24
    gradient_path = cpu_kernel.NAME

    def __init__(self, sizes, trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(), arch: str = "native"):
        self.sizes, self.trials, self.dtype = list(sizes), int(trials), dtype
        self.optimizer = optimizer
        self.kernel_arch = arch
        self.layout = cpu_kernel.Layout(self.sizes, dtype, arch)
        # parameters, Adadelta's accumulated squared gradients and updates: (trials, parameters) each
        self.params, self.grad_acc, self.delta_acc = (np.zeros((self.trials, self.layout.parameters), dtype) for _ in range(3))
        self.iterations = 0

    # -- state ----------------------------------------------------------------
    def _packed(self, arrays, what: str) -> np.ndarray:
        """``arrays`` (one per variable) packed, after checking their shapes:
        the kernel reads raw memory, so a wrong shape must fail here."""
        arrays = [np.asarray(a, self.dtype) for a in arrays]
        want = [(self.trials, *real) for _, _, real in self.layout.slots]
        got = [a.shape for a in arrays]
        if got != want:
            raise ValueError(f"{what} of shapes {got} do not fit {self.trials} trials of layer sizes {self.sizes} ({want})")
        return self.layout.pack(arrays)

    def set_weights(self, weights: Weights) -> None:
        self.params = self._packed([a for pair in weights for a in pair], "weights")

    def get_weights(self) -> Weights:
        flat = [np.array(a) for a in self.layout.unpack(self.params)]
        return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]

    def get_state(self) -> list[np.ndarray]:
        unpack = self.layout.unpack
        return self._numpy_state(unpack(self.params), unpack(self.grad_acc), unpack(self.delta_acc))

    def set_state(self, state: list[np.ndarray]) -> None:
        weights, self.iterations, grads, deltas = self._state_parts(state, len(self.layout.slots))
        self.params = self._packed(weights, "state weights")
        self.grad_acc = self._packed(grads, "state accumulators")
        self.delta_acc = self._packed(deltas, "state accumulators")

    # -- work -----------------------------------------------------------------
    def cast(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, self.dtype)

    def _check_data(self, x, y) -> None:
        if np.shape(x)[0] != self.trials or np.shape(y)[:2] != np.shape(x)[:2] or np.shape(x)[2] != self.sizes[0]:
            raise ValueError(f"data x {np.shape(x)}, y {np.shape(y)} do not fit {self.trials} trials of {self.sizes[0]} inputs")

    def train_full(self, x, y, steps: int, mask=None) -> None:
        self._check_data(x, y)
        if steps > 0:
            cpu_kernel.train_full(
                self.layout, self.params, self.grad_acc, self.delta_acc, x, y, mask, int(steps), self.optimizer, cpu_threads()
            )
            self.iterations += int(steps)

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """On the batches of the shuffles' numpy reference (:meth:`BatchPlan.indices`,
        which the compiled draws of the Keras paths are tested to equal),
        drawn a block of epochs ahead. Each thread draws its own trials'
        batches (numpy's sort and arithmetic release the GIL): drawn on one
        thread they took 3.5 ms of a 128-trial E3 epoch's 60 on two cores,
        while the kernel's share divides among the cores."""
        self._check_data(x, y)
        if epochs <= 0:
            return
        keys = np.asarray(keys, np.int32)
        lengths = None if lengths is None else np.asarray(lengths)
        if lengths is None:
            masks, per_trial = plan.mask(self.dtype), False
        else:  # packed: (trials, steps, width)
            masks, per_trial = packed_batch_masks(plan, lengths).astype(self.dtype).transpose(1, 0, 2), True
        block = max(1, self.INDEX_BLOCK // (plan.steps_per_epoch * plan.width * self.trials))
        state = (self.params, self.grad_acc, self.delta_acc)

        def own_trials(lo, hi):
            own = slice(lo, hi)
            for start in range(first_epoch, first_epoch + epochs, block):
                count = min(block, first_epoch + epochs - start)
                batches = trial_batches(plan, keys[own], start, count, None if lengths is None else lengths[own])
                cpu_kernel.train_batches(
                    self.layout, *(a[own] for a in state), x[own], y[own], batches,
                    masks[own] if per_trial else masks, self.optimizer, threads=1,
                )  # fmt: skip

        cpu_kernel.split_trials(self.trials, cpu_threads(), own_trials)
        self.iterations += int(epochs) * plan.steps_per_epoch
