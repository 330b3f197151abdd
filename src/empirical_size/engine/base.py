"""What every trainer is: Adadelta's settings and the interface the training
loop calls. :mod:`empirical_size.engine.trainer` chooses and makes one; the
kernel's, BLAS' and Keras' trainers implement it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..paper import ADADELTA
from ..science.networks import Weights
from .minibatch import BatchPlan


@dataclass(frozen=True)
class AdadeltaSettings:
    """The paper's Adadelta (Keras 1.x defaults, :mod:`empirical_size.paper`), not Keras 3's.

    Two ways a 2016 script may have differed from its stated settings (E7's
    knobs; the paper's are 1 and False): ``loss_scale``, the factor the
    loss, so every gradient, is multiplied by (``1/128``: 128 trials as
    towers of one model whose ``mse`` averages over their outputs); and
    ``reset_at_records``, Adadelta's accumulators zeroed after every record
    (a new optimizer compiled for each ``fit`` call), done by the training
    loop (:func:`empirical_size.training.loop.train_and_record`)."""

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
        different ``n`` are packed (see :mod:`empirical_size.training.packing`)."""
        raise NotImplementedError

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """Epochs ``first_epoch .. first_epoch + epochs - 1`` of ``plan``'s
        mini-batches, one step per batch, drawn from the trials' shuffle
        ``keys`` (:func:`empirical_size.engine.minibatch.trial_keys`). Packed trials
        of different sizes give their own ``lengths (T,)`` (``x``, ``y``
        padded to ``plan.n``, the largest); each trains as it would alone
        (:func:`empirical_size.engine.minibatch.packed_batch_masks` says which sizes can share)."""
        raise NotImplementedError

    def evaluate(self, x, y, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """Per-trial training MSE and size ``sum_i f(x_i)^2`` on ``x`` (on
        each trial's real samples where a ``mask (T,n)`` is given), float64."""
        raise NotImplementedError

    def predict(self, x) -> np.ndarray:
        """``(T, n, 1)`` outputs of every trial's network on ``x (T,n,i)``."""
        raise NotImplementedError
