"""The training engine: many small ReLU networks trained at once.

Every weight carries a leading trial axis (kernels ``(trials, fan_in,
fan_out)``). The loss is the *sum* over trials of each trial's own MSE, so
each trial's gradient is exactly its own; Adadelta acts element-wise, so a
chunk of trials trains exactly as each trial would alone. Keras defines the
layers and the optimizer; a trainer takes many steps per call, one way
chosen when it is made (:mod:`empirical_size.steps`: the C++ CPU kernel, a
TensorFlow graph or XLA loop, JAX's XLA loop or fused kernel). Trials of different ``n`` can share a call, padded with a per-trial mask
(:mod:`empirical_size.packing`), in full batch or in mini-batches (sizes
taking the same steps an epoch, :func:`packed_batch_masks`); mini-batch
shuffles are drawn inside the loop from one key per trial
(:func:`draw_order`, reference in :mod:`empirical_size.minibatch`), so the
host never feeds indices.

Import this module only after :func:`empirical_size.backend.select`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from .minibatch import HASH_MULTIPLIERS, RESAMPLE_SALT, BatchPlan, index_bits
from .networks import Weights
from .paper import ADADELTA


@dataclass(frozen=True)
class AdadeltaSettings:
    """The paper's Adadelta (Keras 1.x defaults, :mod:`empirical_size.paper`), not Keras 3's."""

    learning_rate: float = ADADELTA["learning_rate"]
    rho: float = ADADELTA["rho"]
    epsilon: float = ADADELTA["epsilon"]

    def build(self) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adadelta(learning_rate=self.learning_rate, rho=self.rho, epsilon=self.epsilon)


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


def dense(x, kernel, bias, relu: bool):
    """:class:`TrialDense`'s computation on given weights (or a slice of them)."""
    y = ops.matmul(x, kernel) + bias[:, None, :]
    return ops.relu(y) if relu else y


def build_model(sizes: Sequence[int], trials: int, dtype: str = "float32") -> keras.Sequential:
    """ReLU hidden layers, linear output, ``sizes = [inputs, width..., outputs]``."""
    last = len(sizes) - 2
    model = keras.Sequential(
        [TrialDense(trials, units, relu=i < last, dtype=dtype, name=f"dense_{i}") for i, units in enumerate(sizes[1:])]
    )
    model.build((trials, None, sizes[0]))
    return model


def per_trial_mse(pred, y, mask=None):
    """``(trials,)`` mean squared error over the (masked) samples of each
    trial; ``mask`` is ``(batch,)`` (the same for every trial) or
    ``(trials, batch)`` (packed trials of different ``n``)."""
    err = ops.square(pred - y)[..., 0]
    if mask is None:
        # Not ops.mean: Keras' JAX backend computes it in float32 (Keras 3.15).
        return ops.sum(err, axis=1) / ops.cast(ops.shape(err)[1], err.dtype)
    return ops.sum(err * mask, axis=1) / ops.sum(mask, axis=-1)


def per_trial_size(pred, mask=None):
    """``(trials,)`` empirical size ``sum_i f(x_i)^2`` over the (masked) samples."""
    square = ops.square(pred)[..., 0]
    return ops.sum(square if mask is None else square * mask, axis=1)


# -- counter-based shuffles on the device (reference: BatchPlan.indices) -----
def _int32(value: int) -> int:
    """The signed value of 32 bits."""
    return int(np.uint32(value & 0xFFFFFFFF).view(np.int32))


def _shift_right(x, bits: int):
    """Logical right shift of int32 bits (ops.right_shift is arithmetic)."""
    return ops.bitwise_and(ops.right_shift(x, bits), (1 << (32 - bits)) - 1)


def _mix32(x):
    """:func:`empirical_size.minibatch.mix32` on int32 tensors; products wrap
    (XLA's integer semantics, which both backends compile this with)."""
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = x * _int32(HASH_MULTIPLIERS[0])
    x = ops.bitwise_xor(x, _shift_right(x, 15))
    x = x * _int32(HASH_MULTIPLIERS[1])
    return ops.bitwise_xor(x, _shift_right(x, 16))


INT32_MAX = 2**31 - 1


def packed_sizes(lengths) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial ``n`` of packed mini-batch trials, and the high bits their
    sort keys keep (:func:`empirical_size.minibatch.sort_keys` of each ``n``
    alone), both int32, for :func:`draw_order`."""
    lengths = np.asarray(lengths, dtype=np.int64)
    highs = [_int32(0xFFFFFFFF << index_bits(int(n))) for n in lengths]
    return lengths.astype(np.int32), np.asarray(highs, dtype=np.int32)


def _argsort(keys):
    """Row-wise argsort, ties to the lower index (TensorFlow's is stable, as
    JAX's; only packed padding can tie with a real key)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.argsort(keys, axis=-1, stable=True)
    return ops.argsort(keys, axis=-1)


def draw_order(keys, counter, n: int, lengths=None, highs=None):
    """``(trials, n)`` sample order of draw ``counter`` (int32 scalar).
    Packed trials of different sizes (``lengths``, ``highs``: :func:`packed_sizes`)
    get their own order of their own samples, padding positions after it."""
    i = ops.arange(n, dtype="int32")
    inner = _mix32(ops.bitwise_xor(keys, _mix32(ops.cast(counter, "int32"))))
    h = _mix32(ops.bitwise_xor(inner[:, None], i[None, :]))
    high = _int32(0xFFFFFFFF << index_bits(n)) if highs is None else highs[:, None]
    sort_keys = ops.bitwise_or(ops.bitwise_and(h, high), i)
    if lengths is not None:
        sort_keys = ops.where(i[None, :] < lengths[:, None], sort_keys, INT32_MAX)
    return ops.cast(_argsort(sort_keys), "int32")


def epoch_batches(plan: BatchPlan, keys, epoch, lengths=None, highs=None):
    """``(steps, trials, width)`` indices of one keep/drop epoch; packed
    trials (``lengths``) run past their own samples into padding, masked."""
    steps, width = plan.steps_per_epoch, plan.width
    if plan.shuffle:
        order = draw_order(keys, epoch, plan.n, lengths, highs)
    else:
        order = ops.zeros_like(keys)[:, None] + ops.arange(plan.n, dtype="int32")[None, :]
    used = sum(plan.batch_lengths)
    order = order[:, :used]
    if used < steps * width:
        order = ops.concatenate([order, ops.zeros((ops.shape(keys)[0], steps * width - used), "int32")], axis=1)
    return ops.transpose(ops.reshape(order, (-1, steps, width)), (1, 0, 2))


def resample_batch(plan: BatchPlan, keys, epoch, step, lengths=None, highs=None):
    """``(trials, width)`` indices of one resample step."""
    counter = ops.bitwise_xor(epoch * plan.steps_per_epoch + step, _int32(RESAMPLE_SALT))
    return draw_order(keys, counter, plan.n, lengths, highs)[:, : plan.width]


def packed_batch_masks(plan: BatchPlan, lengths) -> np.ndarray:
    """``(steps, trials, width)`` batch masks of packed trials of sizes
    ``lengths`` batched as ``plan`` (whose ``n`` is the largest): every size
    must take ``plan``'s steps an epoch, each its own last batch."""
    by_n = {}
    for n in dict.fromkeys(int(v) for v in lengths):
        own = BatchPlan(n, plan.batch_size, plan.mode, plan.shuffle)
        if own.steps_per_epoch != plan.steps_per_epoch or own.width != plan.width:
            raise ValueError(
                f"packed mini-batch sizes must take the same steps an epoch: n={n} takes {own.steps_per_epoch}"
                f" of {own.width}, n={plan.n} {plan.steps_per_epoch} of {plan.width}"
            )
        by_n[n] = own.mask()
    return np.stack([by_n[int(n)] for n in lengths], axis=1)


class Trainer:
    """A chunk of trials: Keras' model and optimizer, trained by one way of
    taking steps (:mod:`empirical_size.steps`), chosen when it is made.
    Backend subclasses say where the state lives and how it is evaluated."""

    backend: str

    def __init__(
        self, sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
        path: str | None = None,
    ):  # fmt: skip
        from . import steps
        from .backend import matmul_precision

        self.sizes, self.trials, self.dtype = list(sizes), int(trials), dtype
        self.precision = matmul_precision()
        self.model = build_model(self.sizes, self.trials, dtype)
        self.optimizer = optimizer.build()
        self.optimizer.build(self.model.trainable_variables)
        self._batch_cache = {}
        self._build()
        self.steps = steps.choose(self, path)

    @property
    def gradient_path(self) -> str:
        """How this trainer takes its gradients (jobs record it)."""
        return self.steps.name

    @property
    def kernel_arch(self) -> str | None:
        """The CPU kernel's build, where it trains."""
        return getattr(self.steps, "arch", None)

    # -- state --------------------------------------------------------------
    def set_weights(self, weights: Weights) -> None:
        flat = [a for pair in weights for a in pair]
        for var, value in zip(self.model.trainable_variables, flat, strict=True):
            var.assign(np.asarray(value, dtype=self.dtype))
        self._sync_from_keras()

    def get_weights(self) -> Weights:
        self._sync_to_keras()
        flat = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in self.model.get_weights()]
        return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]

    def get_state(self) -> list[np.ndarray]:
        """Every number training depends on: weights and optimizer variables
        (accumulators and the iteration count), for checkpoints."""
        self._sync_to_keras()
        return [np.array(v.numpy() if hasattr(v, "numpy") else v) for v in [*self.model.trainable_variables, *self.optimizer.variables]]

    def set_state(self, state: list[np.ndarray]) -> None:
        for var, value in zip([*self.model.trainable_variables, *self.optimizer.variables], state, strict=True):
            var.assign(value)
        self._sync_from_keras()

    def _sync_from_keras(self):  # stateless backends copy Keras' variables in
        pass

    def _sync_to_keras(self):
        pass

    # -- work -----------------------------------------------------------------
    def cast(self, a: np.ndarray):
        return ops.convert_to_tensor(np.asarray(a, dtype=self.dtype))

    def train_full(self, x, y, steps: int, mask=None) -> None:
        """``steps`` full-batch gradient steps on ``x (T,n,i)``, ``y (T,n,1)``;
        ``mask (T,n)`` marks each trial's real samples when trials of
        different ``n`` are packed (see :mod:`empirical_size.packing`)."""
        if steps > 0:
            self.steps.full(x, y, mask, int(steps))

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """Epochs ``first_epoch .. first_epoch + epochs - 1`` of ``plan``'s
        mini-batches, one step per batch, drawn on the device from the trials'
        shuffle ``keys`` (:func:`empirical_size.minibatch.trial_keys`).
        Packed trials of different sizes give their own ``lengths (T,)``
        (``x``, ``y`` padded to ``plan.n``, the largest); each trains as it
        would alone (:func:`packed_batch_masks` says which sizes can share)."""
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
        """Per-trial training MSE and size ``sum_i f(x_i)^2`` on ``x`` (on
        each trial's real samples where a ``mask (T,n)`` is given)."""
        mse, size = self._evaluate(x, y, mask)
        return np.asarray(mse, dtype=np.float64), np.asarray(size, dtype=np.float64)

    def predict(self, x) -> np.ndarray:
        self._sync_to_keras()
        return np.asarray(self.model(x))


def cpu_threads() -> int:
    """Cores a job's CPU work may use side by side: TensorFlow's inter-op
    threads (its config, else the environment variable ``backend.select``
    sets from the job's ``threads``, on either backend), else one per core."""
    configured = 0
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        configured = tf.config.threading.get_inter_op_parallelism_threads()
    return configured or int(os.environ.get("TF_NUM_INTEROP_THREADS") or 0) or os.cpu_count() or 1


class _TensorFlowTrainer(Trainer):
    """State in Keras' variables; measures compiled by XLA."""

    backend = "tensorflow"

    def _build(self):
        import tensorflow as tf

        model = self.model
        self.on_gpu = bool(tf.config.list_logical_devices("GPU"))
        tf.config.experimental.enable_tensor_float_32_execution(self.precision == "tensorfloat32")

        def evaluate(x, y, mask):
            pred = model(x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        self._evaluate = tf.function(evaluate, jit_compile=True, reduce_retracing=True)


class _JaxTrainer(Trainer):
    """State as JAX arrays (``_state``: weights and optimizer variables),
    copied to and from Keras' variables where they are read or set."""

    backend = "jax"

    def _build(self):
        import jax

        model = self.model
        self.on_gpu = jax.devices()[0].platform == "gpu"

        @jax.jit
        def evaluate(tv, x, y, mask):
            pred, _ = model.stateless_call(tv, [], x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        def run_evaluate(x, y, mask):
            with self.precision_scope():
                return evaluate(self._state[0], x, y, mask)

        self._evaluate = run_evaluate
        self._sync_from_keras()

    def precision_scope(self):
        """The matmul precision, read when a call is traced (and keying jit's cache)."""
        import jax

        return jax.default_matmul_precision(self.precision)

    def _sync_from_keras(self):
        self._state = (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def _sync_to_keras(self):
        tv, ov = self._state
        for var, value in zip(self.model.trainable_variables, tv):
            var.assign(value)
        for var, value in zip(self.optimizer.variables, ov):
            var.assign(value)


def make_trainer(
    sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
    path: str | None = None,
) -> Trainer:  # fmt: skip
    """A trainer for the backend Keras was imported with; ``path`` forces
    one way of taking steps (:func:`empirical_size.steps.choose`)."""
    backend = keras.backend.backend()
    classes = {"tensorflow": _TensorFlowTrainer, "jax": _JaxTrainer}
    if backend not in classes:
        raise RuntimeError(f"unsupported Keras backend {backend!r}; use one of {sorted(classes)}")
    return classes[backend](sizes, trials, dtype, optimizer, path)
