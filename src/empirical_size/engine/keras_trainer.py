"""Keras' trainers: the networks as Keras layers on a leading trial axis
(:class:`TrialDense`) and Keras' Adadelta, trained by TensorFlow's graph or
XLA loop or JAX's (:mod:`empirical_size.engine.keras_steps`). They are the reference the
CPU kernel's trainer is held to, and the GPU's paths;
:func:`empirical_size.engine.trainer.make_trainer` makes them where the path asks
for Keras (see :mod:`empirical_size.engine.trainer` for the interface).

Import this module only after :func:`empirical_size.engine.backend.select`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..science.networks import Weights
from . import keras_steps
from .backend import import_keras, matmul_precision
from .base import AdadeltaSettings, Trainer
from .minibatch import BatchPlan, packed_batch_masks
from .path_setting import TrainingPath
from .trial_ops import dense, packed_sizes, per_trial_mse, per_trial_size

keras = import_keras()
ops = keras.ops


@keras.saving.register_keras_serializable(package="empirical_size")
class TrialDense(keras.layers.Layer):
    """A dense layer replicated over a leading trial axis.

    Input ``(trials, batch, fan_in)``, kernel ``(trials, fan_in, units)``,
    bias ``(trials, units)``, output ``(trials, batch, units)``.
    """

    def __init__(self, trials: int, units: int, relu: bool, **kwargs):
        super().__init__(**kwargs)
        self.trials, self.units, self.relu = int(trials), int(units), bool(relu)

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self.kernel = self.add_weight(shape=(self.trials, fan_in, self.units), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.trials, self.units), initializer="zeros", name="bias")

    def call(self, x):
        return dense(x, self.kernel, self.bias, self.relu)

    def get_config(self):
        return {**super().get_config(), "trials": self.trials, "units": self.units, "relu": self.relu}


def build_model(sizes: Sequence[int], trials: int, dtype: str = "float32") -> keras.Sequential:
    """ReLU hidden layers, linear output, ``sizes = [inputs, width..., outputs]``."""
    last = len(sizes) - 2
    model = keras.Sequential(
        [TrialDense(trials, units, relu=i < last, dtype=dtype, name=f"dense_{i}") for i, units in enumerate(sizes[1:])]
    )
    model.build((trials, None, sizes[0]))
    return model


class KerasTrainer(Trainer):
    """A chunk of trials as Keras' model and optimizer, trained by one way
    of taking steps (:mod:`empirical_size.engine.keras_steps`), chosen when it is made.
    Backend subclasses say where the state lives and how it is evaluated."""

    backend: str

    def __init__(
        self, sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
        path: TrainingPath = TrainingPath(),
    ):  # fmt: skip
        self.sizes, self.trials, self.dtype = list(sizes), int(trials), dtype
        self.precision = matmul_precision()
        self.model = build_model(self.sizes, self.trials, dtype)
        self.optimizer = optimizer.build()
        self.optimizer.build(self.model.trainable_variables)
        self._batch_cache = {}
        self._build()
        self.steps = keras_steps.choose(self, path)

    @property
    def gradient_path(self) -> str:
        return self.steps.name

    # -- state --------------------------------------------------------------
    @property
    def variables(self) -> list:
        """Keras' variables in a checkpoint's order: weights, then the optimizer's."""
        return [*self.model.trainable_variables, *self.optimizer.variables]

    def set_weights(self, weights: Weights) -> None:
        flat = [a for pair in weights for a in pair]
        self.to_keras()
        for var, value in zip(self.model.trainable_variables, flat, strict=True):
            var.assign(np.asarray(value, dtype=self.dtype))
        self.from_keras()

    def get_weights(self) -> Weights:
        self.to_keras()
        flat = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in self.model.get_weights()]
        return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]

    def get_state(self) -> list[np.ndarray]:
        self.to_keras()
        return [np.array(v.numpy() if hasattr(v, "numpy") else v) for v in self.variables]

    def set_state(self, state: list[np.ndarray]) -> None:
        for var, value in zip(self.variables, state, strict=True):
            var.assign(value)
        self.from_keras()

    def from_keras(self):
        """Take the state from Keras' variables (stateless backends copy it in)."""

    def to_keras(self):
        """Put the state into Keras' variables (stateless backends copy it out)."""

    # -- work -----------------------------------------------------------------
    def cast(self, a: np.ndarray):
        return ops.convert_to_tensor(np.asarray(a, dtype=self.dtype))

    def train_full(self, x, y, steps: int, mask=None) -> None:
        if steps > 0:
            self.steps.full(x, y, mask, int(steps))

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """Drawn on the device (:func:`empirical_size.engine.trial_ops.draw_order`)."""
        if epochs > 0:
            keys = ops.convert_to_tensor(np.asarray(keys, dtype=np.int32))
            self.steps.batches(x, y, plan, keys, *self._batch_inputs(plan, lengths), int(first_epoch), int(epochs))

    def _batch_inputs(self, plan: BatchPlan, lengths):
        """``plan``'s batch masks (and packed sizes) on the device, made once
        per plan rather than on every compiled call."""
        key = (plan, None if lengths is None else tuple(int(n) for n in lengths))
        if key not in self._batch_cache:
            if lengths is None:
                self._batch_cache[key] = (self.cast(plan.mask()), None, None)
            else:
                sizes = (ops.convert_to_tensor(a) for a in packed_sizes(lengths))
                self._batch_cache[key] = (self.cast(packed_batch_masks(plan, lengths)), *sizes)
        return self._batch_cache[key]

    def evaluate(self, x, y, mask=None) -> tuple[np.ndarray, np.ndarray]:
        mse, size = self._evaluate(x, y, mask)
        return np.asarray(mse, dtype=np.float64), np.asarray(size, dtype=np.float64)

    def predict(self, x) -> np.ndarray:
        self.to_keras()
        return np.asarray(self.model(x))


class _TensorFlowTrainer(KerasTrainer):
    """State in Keras' variables; measures compiled by XLA."""

    backend = "tensorflow"

    def _build(self):
        import tensorflow as tf

        model = self.model
        self.on_gpu = backend_on_gpu()
        tf.config.experimental.enable_tensor_float_32_execution(self.precision == "tensorfloat32")

        def evaluate(x, y, mask):
            pred = model(x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        self._evaluate = tf.function(evaluate, jit_compile=True, reduce_retracing=True)


class _JaxTrainer(KerasTrainer):
    """State as JAX arrays, :attr:`state` (weights and optimizer variables),
    on which JAX's steps act; copied to and from Keras' variables where they
    are read or set."""

    backend = "jax"

    def _build(self):
        import jax

        model = self.model
        self.on_gpu = backend_on_gpu()

        @jax.jit
        def evaluate(tv, x, y, mask):
            pred, _ = model.stateless_call(tv, [], x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        def run_evaluate(x, y, mask):
            with self.precision_scope():
                return evaluate(self.state[0], x, y, mask)

        self._evaluate = run_evaluate
        self.from_keras()

    def precision_scope(self):
        """The matmul precision, read when a call is traced (and keying jit's cache)."""
        import jax

        return jax.default_matmul_precision(self.precision)

    def from_keras(self):
        self.state = (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def to_keras(self):
        tv, ov = self.state
        for var, value in zip(self.model.trainable_variables, tv):
            var.assign(value)
        for var, value in zip(self.optimizer.variables, ov):
            var.assign(value)


def backend_on_gpu() -> bool:
    """Whether the selected Keras backend computes on a GPU."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].platform == "gpu"
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def make_keras_trainer(
    sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
    path: TrainingPath = TrainingPath(),
) -> KerasTrainer:  # fmt: skip
    """A Keras trainer for the backend Keras was imported with, taking
    ``path`` (:func:`empirical_size.engine.keras_steps.choose`)."""
    backend = keras.backend.backend()
    classes = {"tensorflow": _TensorFlowTrainer, "jax": _JaxTrainer}
    if backend not in classes:
        raise RuntimeError(f"unsupported Keras backend {backend!r}; use one of {sorted(classes)}")
    return classes[backend](sizes, trials, dtype, optimizer, path)
