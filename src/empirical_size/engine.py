"""The training engine: many small ReLU networks trained at once.

Every weight carries a leading trial axis (kernels ``(trials, fan_in,
fan_out)``). The loss is the *sum* over trials of each trial's own MSE, so
each trial's gradient is exactly its own; Adadelta acts element-wise, so a
chunk of trials trains exactly as each trial would alone. Keras defines the
layers and the optimizer; the loop runs many steps per call (on a CPU, a
C++ kernel for either backend, :mod:`empirical_size.cpu_kernel`; else
``tf.function`` on TensorFlow: XLA on a GPU, a graph in lanes of trials on
a CPU, see :class:`_TensorFlowTrainer`; ``jax.jit`` + ``fori_loop`` on JAX).
Trials of different ``n`` can share a call, padded with a per-trial mask
(:mod:`empirical_size.packing`), in full batch or in mini-batches (sizes
taking the same steps an epoch, :func:`packed_batch_masks`); mini-batch
shuffles are drawn inside the loop from one key per trial
(:func:`draw_order`, reference in :mod:`empirical_size.batching`), so the
host never feeds indices. On a GPU, JAX can take a step's gradients from
one fused kernel (:mod:`empirical_size.fused`, opt-in).

Import this module only after :func:`empirical_size.backend.select`.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from . import cpu_kernel
from .batching import HASH_MULTIPLIERS, RESAMPLE_SALT, BatchPlan, index_bits, trial_batches
from .networks import Weights


@dataclass(frozen=True)
class AdadeltaSettings:
    """The paper's Adadelta (Keras 1.x defaults), not Keras 3's."""

    learning_rate: float = 1.0
    rho: float = 0.95
    epsilon: float = 1e-8

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
    """:func:`empirical_size.batching.mix32` on int32 tensors; products wrap
    (XLA's integer semantics, which both backends compile this with)."""
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = x * _int32(HASH_MULTIPLIERS[0])
    x = ops.bitwise_xor(x, _shift_right(x, 15))
    x = x * _int32(HASH_MULTIPLIERS[1])
    return ops.bitwise_xor(x, _shift_right(x, 16))


INT32_MAX = 2**31 - 1


def packed_sizes(lengths) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial ``n`` of packed mini-batch trials, and the high bits their
    sort keys keep (:func:`empirical_size.batching.sort_keys` of each ``n``
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


# How this process's trainers took their gradients (jobs record it).
GRADIENT_PATHS: set[str] = set()


class Trainer:
    """Trains a chunk of trials; backend-specific loops live in subclasses."""

    gradient_path: str  # how the subclass takes gradients (jobs record those used, GRADIENT_PATHS)
    # Steps on a CPU by :mod:`empirical_size.cpu_kernel`: True, the kernel
    # built for $EMPIRICAL_SIZE_CPU_ARCH; a variant's name, that build;
    # False, never; None: as the settings choose (cpu_kernel.choose).
    cpu_kernel: bool | str | None = None
    # Indices of at most this many batch positions are drawn ahead of the
    # CPU kernel at a time (4 bytes each).
    KERNEL_INDEX_BLOCK = 1 << 24

    def __init__(
        self, sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
        kernel: bool | str | None = None,
    ):  # fmt: skip
        from .backend import matmul_precision

        if kernel is not None:
            self.cpu_kernel = kernel
        self.kernel_arch = None  # the CPU kernel's variant, where it trains

        self.sizes, self.trials, self.dtype = list(sizes), int(trials), dtype
        self.precision = matmul_precision()
        self.model = build_model(self.sizes, self.trials, dtype)
        self.optimizer = optimizer.build()
        self.optimizer.build(self.model.trainable_variables)
        self._batch_cache = {}
        self._compile()

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
            self._full(x, y, mask, steps)

    def train_batches(self, x, y, plan: BatchPlan, keys: np.ndarray, first_epoch: int, epochs: int, lengths=None) -> None:
        """Epochs ``first_epoch .. first_epoch + epochs - 1`` of ``plan``'s
        mini-batches, one step per batch, drawn on the device from the trials'
        shuffle ``keys`` (:func:`empirical_size.batching.trial_keys`).
        Packed trials of different sizes give their own ``lengths (T,)``
        (``x``, ``y`` padded to ``plan.n``, the largest); each trains as it
        would alone (:func:`packed_batch_masks` says which sizes can share)."""
        if epochs > 0:
            keys = ops.convert_to_tensor(np.asarray(keys, dtype=np.int32))
            self._batched(x, y, plan, keys, *self._batch_inputs(plan, lengths), int(first_epoch), int(epochs))

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

    # -- the CPU kernel (either backend, on a CPU) ------------------------------
    def _plain_updates(self) -> bool:
        """Whether a step is Keras' ``update_step`` alone: nothing that
        ``optimizer.apply`` adds to it (clipping, decay, EMA...) is set."""
        extras = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema", "gradient_accumulation_steps", "loss_scale_factor")
        return not any(getattr(self.optimizer, name, None) for name in extras)

    def _on_cpu(self) -> None:
        """Called by a subclass's ``_compile`` on a CPU: every step goes to the
        CPU kernel where it can take it."""
        forced = self.cpu_kernel
        if forced is None:
            arch = cpu_kernel.choose(self.gradient_path)
        else:
            arch = cpu_kernel.arch_setting() if forced is True else forced or None
        if arch and self._plain_updates():
            self.kernel_arch = arch
            self._full, self._batched = self._kernel_full, self._kernel_batches

    def _optimizer_slots(self):
        """Keras' Adadelta accumulators, in the order of the variables
        (private to Keras 3.15, pinned; the tests against ``model.fit`` and
        checkpoints would fail if they moved)."""
        opt = self.optimizer
        index = [opt._get_variable_index(v) for v in self.model.trainable_variables]
        return [opt._accumulated_grads[i] for i in index], [opt._accumulated_delta_vars[i] for i in index]

    def _on_kernel_state(self, train, steps: int) -> None:
        """``train(params, grad_acc, delta_acc)``, ``steps`` steps on the CPU
        kernel's packed copies of Keras' own variables (weights and Adadelta's
        accumulators), copied back after: a few MB a call, against seconds of
        training."""
        if not hasattr(self, "_layout"):
            self._layout = cpu_kernel.Layout(self.sizes, self.dtype, self.kernel_arch)
        GRADIENT_PATHS.add(cpu_kernel.NAME)
        self._sync_to_keras()
        groups = [self.model.trainable_variables, *self._optimizer_slots()]
        packed = [self._layout.pack([np.asarray(v.numpy()) for v in group]) for group in groups]
        train(*packed)
        for group, flat in zip(groups, packed):
            for var, value in zip(group, self._layout.unpack(flat), strict=True):
                var.assign(value)
        self.optimizer.iterations.assign_add(steps)
        self._sync_from_keras()

    def _kernel_full(self, x, y, mask, steps):
        data = [None if a is None else np.asarray(a) for a in (x, y, mask)]
        self._on_kernel_state(
            lambda *state: cpu_kernel.train_full(self._layout, *state, *data, steps, self.optimizer, cpu_threads()),
            steps,
        )

    def _kernel_batches(self, x, y, plan, keys, mask, lengths, highs, first_epoch, epochs):
        """Mini-batch steps by the CPU kernel, on the batches of the shuffles'
        numpy reference (:meth:`BatchPlan.indices`, which the compiled draws
        are tested to equal; on a CPU it is 5x faster than XLA's sort), drawn
        a block of epochs ahead. Each thread draws its own trials' batches
        (numpy's sort and arithmetic release the GIL): drawn on one thread,
        as before, they took 3.5 ms of a 128-trial E3 epoch's 60 on two
        cores, while the kernel's share divides among the cores."""
        x, y, masks = np.asarray(x), np.asarray(y), np.asarray(mask)
        per_trial = masks.ndim == 3
        if per_trial:  # packed: (steps, trials, width) to (trials, steps, width)
            masks = masks.transpose(1, 0, 2)
        keys = np.asarray(keys)
        lengths = None if lengths is None else np.asarray(lengths)
        block = max(1, self.KERNEL_INDEX_BLOCK // (plan.steps_per_epoch * plan.width * self.trials))

        def train(*state):
            def trials(lo, hi):
                own = slice(lo, hi)
                for start in range(first_epoch, first_epoch + epochs, block):
                    count = min(block, first_epoch + epochs - start)
                    batches = trial_batches(plan, keys[own], start, count, None if lengths is None else lengths[own])
                    cpu_kernel.train_batches(
                        self._layout, *(a[own] for a in state), x[own], y[own], batches,
                        masks[own] if per_trial else masks, self.optimizer, threads=1,
                    )  # fmt: skip

            cpu_kernel.split_trials(self.trials, cpu_threads(), trials)

        self._on_kernel_state(train, epochs * plan.steps_per_epoch)


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
    """On a GPU, XLA compiles the whole loop. On a CPU the C++ kernel of
    :mod:`empirical_size.cpu_kernel` takes every step where it builds, on
    Keras' own variables (:meth:`_on_kernel_state`). Otherwise the loop runs as a
    TensorFlow graph whose batched matmuls go to oneDNN (XLA's CPU batched
    matmul is slow for the kernel gradient, a contraction over the samples),
    with the optimizer update compiled by XLA (its fusion of Adadelta's
    element-wise ops saves passes over memory). The graph takes the chunk's
    gradient in independent lanes of trials, which TensorFlow's inter-op
    threads run side by side, one op per core (``backend.select`` sets one
    intra-op thread): a lane of about ``LANE_SAMPLES`` samples x 64 units
    stays in a core's cache, where one chunk-wide op streams every tensor
    through memory and splits small matmuls across cores. Within a lane the
    backward pass is written out (ReLU gradients from the saved activations;
    the one-unit output layer and the loss fused by XLA) instead of taped,
    and Keras' ``update_step`` runs per variable as soon as its gradient is
    complete, alongside the lanes' work on earlier layers. Both give Keras'
    own training: tests compare them with ``model.fit`` and the formula.
    (Measured with ``python -m empirical_size.bench``; see README.)"""

    LANE_SAMPLES = 8192
    gradient_path = "tensorflow"
    compile_loop: bool | None = None  # force one way (tests); None: XLA on a GPU only

    def lanes(self, samples: int) -> list[tuple[int, int]]:
        """Trial ranges whose gradients the CPU graph takes separately: at
        least one per inter-op thread, at most ``LANE_SAMPLES`` samples each."""
        threads = cpu_threads()
        width = max(1, min(-(-self.trials // threads), self.LANE_SAMPLES // max(samples, 1)))
        return [(lo, min(lo + width, self.trials)) for lo in range(0, self.trials, width)]

    def _compile(self):
        import tensorflow as tf

        model, optimizer = self.model, self.optimizer
        variables = model.trainable_variables
        hidden = len(model.layers) - 1  # ReLU layers; the output layer is linear
        on_gpu = bool(tf.config.list_logical_devices("GPU"))
        tf.config.experimental.enable_tensor_float_32_execution(self.precision == "tensorfloat32")

        @tf.function(jit_compile=True)
        def update(grads):
            optimizer.apply(grads, variables)

        def chunk_gradients(x, y, mask):
            with tf.GradientTape() as tape:
                loss = ops.sum(per_trial_mse(model(x), y, mask))
            return tape.gradient(loss, variables)

        @tf.function(jit_compile=True)
        def output_gradients(a, kernel, bias, y, mask):
            """The output layer's and the loss's backward pass, fused by XLA
            (its matmuls have one output unit): the output layer's kernel and
            bias gradients and the last hidden layer's pre-ReLU gradient."""
            with tf.GradientTape() as tape:
                tape.watch([a, kernel, bias])
                loss = ops.sum(per_trial_mse(dense(a, kernel, bias, relu=False), y, mask))
            g_a, g_kernel, g_bias = tape.gradient(loss, [a, kernel, bias])
            return g_kernel, g_bias, tf.where(a > 0, g_a, tf.zeros_like(g_a))

        def lane_gradients(lanes, x, y, mask):
            # Each trial's gradient is its own, so lanes change no number.
            # Backpropagation written out: ReLU gradients from the saved
            # activations, no tape bookkeeping between the lanes' ops.
            per_lane = []
            for lo, hi in lanes:
                w = [v.value[lo:hi] for v in variables]
                own = mask[lo:hi] if mask is not None and len(mask.shape) == 2 else mask  # packed: (T, n)
                acts = [x[lo:hi]]
                for i in range(hidden):
                    acts.append(dense(acts[-1], w[2 * i], w[2 * i + 1], relu=True))
                g_kernel, g_bias, dz = output_gradients(acts[-1], w[-2], w[-1], y[lo:hi], own)
                grads = [g_kernel, g_bias]
                for i in reversed(range(hidden)):
                    grads[:0] = [tf.matmul(acts[i], dz, transpose_a=True), tf.reduce_sum(dz, axis=1)]
                    if i > 0:
                        dz = tf.raw_ops.ReluGrad(gradients=tf.matmul(dz, w[2 * i], transpose_b=True), features=acts[i])
                per_lane.append(grads)
            return [tf.concat(parts, axis=0) for parts in zip(*per_lane)]

        def variable_update(var):
            return tf.function(lambda grad: optimizer.update_step(grad, var, optimizer.learning_rate), jit_compile=True)

        variable_updates = [variable_update(v) for v in variables]
        plain_updates = self._plain_updates()

        def update_each(grads):
            # Keras' own update, one call per variable: each starts as soon as
            # its gradient is complete, while lanes still work on earlier layers.
            for apply, grad in zip(variable_updates, grads):
                apply(grad)
            optimizer.iterations.assign_add(1)

        def make_step(jit: bool, samples: int):
            lanes = self.lanes(samples)
            if jit or len(lanes) == 1:
                return lambda x, y, mask: update(chunk_gradients(x, y, mask))
            apply = update_each if plain_updates else update
            return lambda x, y, mask: apply(lane_gradients(lanes, x, y, mask))

        # Counted while loops, not ``for _ in tf.range(steps)``: XLA treats a
        # range's limit as a compile-time constant, so every new step count
        # would compile the loop again.
        def full_loop(step):
            def full(x, y, mask, steps):  # mask None: traced without one
                i = tf.constant(0)
                while i < steps:
                    step(x, y, mask)
                    i += 1

            return full

        def batched_loop(plan):
            # The shuffles' integer hash runs compiled by XLA on either path:
            # its wrapping products are XLA's semantics, as on JAX.
            epoch_draw = tf.function(lambda *a: epoch_batches(plan, *a), jit_compile=True)
            step_draw = tf.function(lambda *a: resample_batch(plan, *a), jit_compile=True)
            per_epoch = plan.steps_per_epoch

            def with_step(step):
                def epoch_of(x, y, mask, batch):
                    s = tf.constant(0)
                    while s < per_epoch:
                        b = batch(s)
                        step(tf.gather(x, b, batch_dims=1), tf.gather(y, b, batch_dims=1), mask[s])
                        s += 1

                def batched(x, y, keys, mask, first_epoch, epochs, lengths, highs):
                    e = tf.constant(0)
                    while e < epochs:
                        epoch = first_epoch + e
                        if plan.mode == "resample":
                            epoch_of(x, y, mask, lambda s, epoch=epoch: step_draw(keys, epoch, s, lengths, highs))
                        else:
                            batches = epoch_draw(keys, epoch, lengths, highs)
                            epoch_of(x, y, mask, lambda s, batches=batches: batches[s])
                        e += 1

                return batched

            return with_step

        # one traced function per (loop, way), built on first use
        loops = {}

        def loop(key, make_body, samples: int):
            jit = bool(self.compile_loop if self.compile_loop is not None else on_gpu)
            if (key, jit, samples) not in loops:
                loops[key, jit, samples] = tf.function(make_body(make_step(jit, samples)), jit_compile=jit, reduce_retracing=True)
            return loops[key, jit, samples]

        def evaluate(x, y, mask):
            pred = model(x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        def run_full(x, y, mask, steps):
            GRADIENT_PATHS.add(self.gradient_path)
            loop("full", full_loop, x.shape[1])(x, y, mask, tf.constant(steps, tf.int32))

        self._full = run_full

        def run_batched(x, y, plan, keys, mask, lengths, highs, first_epoch, epochs):
            GRADIENT_PATHS.add(self.gradient_path)
            # the plan's loop is built once, on first use (not on every call)
            loop(plan, lambda step: batched_loop(plan)(step), plan.width)(
                x, y, keys, mask, tf.constant(first_epoch, tf.int32), tf.constant(epochs, tf.int32), lengths, highs
            )

        self._batched = run_batched
        self._evaluate = tf.function(evaluate, jit_compile=True, reduce_retracing=True)
        if not on_gpu:
            self._on_cpu()


class _JaxTrainer(Trainer):
    """On a GPU, a step's gradients come from one fused kernel
    (:mod:`empirical_size.fused`) where it supports the shapes; elsewhere
    from ``jax.grad`` of the summed per-trial MSE. Keras' optimizer applies
    them either way. On a CPU the steps go to the C++ kernel, as
    TensorFlow's do (3.4x XLA's loop there), unless it is turned off."""

    def fused_tiling(self):
        """The fused kernel's tiling for this trainer, or None for ``jax.grad``."""
        import jax

        from . import fused

        tiling = fused.Tiling.from_env()
        on_gpu = jax.devices()[0].platform == "gpu"
        if tiling is None or not (on_gpu or tiling.interpret) or not fused.supports(self.sizes, self.dtype):
            return None
        return tiling

    def _compile(self):
        import jax

        from . import fused

        model, optimizer = self.model, self.optimizer
        tiling = self.fused_tiling()
        self.gradient_path = "jax.grad" if tiling is None else tiling.describe()

        def loss_fn(tv, x, y, mask):
            pred, _ = model.stateless_call(tv, [], x)
            return ops.sum(per_trial_mse(pred, y, mask))

        grad = jax.grad(loss_fn)

        def prepare(x, y, mask):
            # the fused kernel's padded data and tiling; for jax.grad, the data as given
            if tiling is None:
                return (x, y, mask), None
            fit = tiling.fit(x.shape[1])
            return fused.prepare(x, y, mask, fit.samples), fit

        def gradients(tv, prepared):
            data, fit = prepared
            if fit is None:
                return grad(tv, *data)
            return fused.gradients(tv, data, fit, self.precision)

        def step(state, data):
            tv, ov = state
            tv, ov = optimizer.stateless_apply(ov, gradients(tv, data), tv)
            return tv, ov

        @jax.jit
        def full(state, x, y, mask, steps):
            data = prepare(x, y, mask)  # once: the loop's data does not change
            return jax.lax.fori_loop(0, steps, lambda i, s: step(s, data), state)

        take = jax.vmap(lambda a, j: a[j])

        @functools.partial(jax.jit, static_argnames="plan")
        def batched(state, x, y, keys, mask, first_epoch, epochs, lengths, highs, plan):
            def epoch_body(e, state):
                epoch = first_epoch + e
                if plan.mode == "resample":
                    batch = lambda s: resample_batch(plan, keys, epoch, s, lengths, highs)  # noqa: E731
                else:
                    batches = epoch_batches(plan, keys, epoch, lengths, highs)
                    batch = lambda s: batches[s]  # noqa: E731

                def step_body(s, state):
                    b = batch(s)
                    return step(state, prepare(take(x, b), take(y, b), mask[s]))

                return jax.lax.fori_loop(0, plan.steps_per_epoch, step_body, state)

            return jax.lax.fori_loop(0, epochs, epoch_body, state)

        @jax.jit
        def evaluate(tv, x, y, mask):
            pred, _ = model.stateless_call(tv, [], x)
            return per_trial_mse(pred, y, mask), per_trial_size(pred, mask)

        # Block so that callers time real work, not an asynchronous dispatch.
        @contextlib.contextmanager
        def precision():
            # The precision is read when a call is traced (and keys jit's cache).
            with jax.default_matmul_precision(self.precision):
                try:
                    yield
                except jax.errors.JaxRuntimeError as err:
                    if tiling is None or "hared memory" not in str(err):
                        raise
                    raise RuntimeError(
                        f"the fused kernel's tiling ({tiling.describe()}) needs more shared memory than this GPU has"
                        f" for {self.dtype} networks of {len(self.sizes) - 2} hidden layers of {self.sizes[1]}:"
                        " set EMPIRICAL_SIZE_FUSED to a smaller block (block,tiles,warps, e.g. 32,1,4) or to 0"
                    ) from err

        def run_full(x, y, mask, steps):
            GRADIENT_PATHS.add(self.gradient_path)
            with precision():
                self._state = jax.block_until_ready(full(self._state, x, y, mask, np.int32(steps)))

        def run_batched(x, y, plan, keys, mask, lengths, highs, first_epoch, epochs):
            GRADIENT_PATHS.add(self.gradient_path)
            with precision():
                self._state = jax.block_until_ready(
                    batched(self._state, x, y, keys, mask, np.int32(first_epoch), np.int32(epochs), lengths, highs, plan=plan)
                )

        def run_evaluate(x, y, mask):
            with precision():
                return evaluate(self._state[0], x, y, mask)

        self._full, self._batched, self._evaluate = run_full, run_batched, run_evaluate
        self._sync_from_keras()
        if tiling is None and jax.devices()[0].platform == "cpu":
            self._on_cpu()

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
    kernel: bool | str | None = None,
) -> Trainer:  # fmt: skip
    """A trainer for the backend Keras was imported with (``kernel``: see
    :attr:`Trainer.cpu_kernel`)."""
    backend = keras.backend.backend()
    classes = {"tensorflow": _TensorFlowTrainer, "jax": _JaxTrainer}
    if backend not in classes:
        raise RuntimeError(f"unsupported Keras backend {backend!r}; use one of {sorted(classes)}")
    return classes[backend](sizes, trials, dtype, optimizer, kernel)
