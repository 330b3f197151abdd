"""How a Keras trainer (:mod:`empirical_size.engine.keras_trainer`) takes its gradient
steps: one object per way, chosen once when the trainer is made
(:func:`choose`), each with the same interface:

- :class:`TensorFlowSteps`: TensorFlow's loop as a graph in lanes of trials
  (a CPU) or compiled whole by XLA (a GPU);
- :class:`JaxSteps`: JAX's loop compiled by XLA, its gradients from
  ``jax.grad`` or, on a GPU, one fused kernel (:mod:`empirical_size.engine.fused`).

(The CPU kernel's way is a trainer of its own,
:class:`empirical_size.engine.kernel_trainer.KernelTrainer`, without Keras.)
``steps.name`` is what a job records as its gradients. Every way gives
Keras' own training: tests compare each with ``model.fit`` and the formula.
"""

from __future__ import annotations

import functools

import numpy as np

from .backend import cpu_threads
from .path_setting import BACKEND_OF, SETTING, TrainingPath
from .trial_ops import dense, epoch_batches, per_trial_mse, resample_batch


class Steps:
    """The interface: ``full`` and ``batches`` take steps on the trainer's state."""

    name: str

    def __init__(self, trainer):
        self.trainer = trainer

    def full(self, x, y, mask, steps: int) -> None:
        raise NotImplementedError

    def batches(self, x, y, plan, keys, mask, lengths, highs, first_epoch: int, epochs: int) -> None:
        raise NotImplementedError


def plain_updates(optimizer) -> bool:
    """Whether a step is Keras' ``update_step`` alone: nothing that
    ``optimizer.apply`` adds to it (clipping, decay, EMA...) is set."""
    extras = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema", "gradient_accumulation_steps", "loss_scale_factor")
    return not any(getattr(optimizer, name, None) for name in extras)


def choose(trainer, path: TrainingPath) -> Steps:
    """The way a Keras ``trainer`` trains, once, for ``path``
    (:mod:`empirical_size.engine.path_setting`): a named loop, or for ``auto`` and ``own``
    the backend's own loop for its device (on a GPU: TensorFlow's XLA loop,
    JAX's fused kernel where a tiling is given)."""
    backend, kind = trainer.backend, path.kind
    if kind == "kernel":
        raise ValueError("the CPU kernel trains without Keras: make the trainer with empirical_size.engine.trainer.make_trainer")
    if kind == "auto":
        kind = "fused" if backend == "jax" and JaxSteps.tiling(trainer, path.tiling) else "own"
    if kind == "own":
        kind = ("xla" if trainer.on_gpu else "graph") if backend == "tensorflow" else "jax"
    if BACKEND_OF[kind] != backend:
        raise ValueError(f"training path {kind!r} needs the {BACKEND_OF[kind]} backend, not {backend} (${SETTING})")
    if backend == "tensorflow":
        return TensorFlowSteps(trainer, jit=kind == "xla")
    tiling = JaxSteps.tiling(trainer, path.tiling) if kind == "fused" else None
    if kind == "fused" and tiling is None:
        raise ValueError(
            f"the fused path (${SETTING}=fused[:<tiling>]) needs a GPU (or an interpret: tiling off a GPU)"
            " and networks it supports (empirical_size.engine.fused.supports)"
        )
    return JaxSteps(trainer, tiling)


class TensorFlowSteps(Steps):
    """TensorFlow's loop. With ``jit`` (a GPU), XLA compiles the whole loop.
    Otherwise (a CPU without the kernel) it runs as a TensorFlow graph whose
    batched matmuls go to oneDNN (XLA's CPU batched matmul is slow for the
    kernel gradient, a contraction over the samples), with the optimizer
    update compiled by XLA (its fusion of Adadelta's element-wise ops saves
    passes over memory). The graph takes the chunk's gradient in independent
    lanes of trials, which TensorFlow's inter-op threads run side by side,
    one op per core (``backend.select`` sets one intra-op thread): a lane of
    about ``LANE_SAMPLES`` samples x 64 units stays in a core's cache, where
    one chunk-wide op streams every tensor through memory and splits small
    matmuls across cores. Within a lane the backward pass is written out
    (ReLU gradients from the saved activations; the one-unit output layer
    and the loss fused by XLA) instead of taped, and Keras' ``update_step``
    runs per variable as soon as its gradient is complete, alongside the
    lanes' work on earlier layers. (Measured with ``python -m
    empirical_size.tools.bench``; see benchmarks/README.md.)"""

    LANE_SAMPLES = 8192

    def __init__(self, trainer, jit: bool):
        import tensorflow as tf

        super().__init__(trainer)
        self.jit = jit
        self.name = "tensorflow xla" if jit else "tensorflow graph"
        model, optimizer = trainer.model, trainer.optimizer
        self.variables = model.trainable_variables
        self.hidden = len(model.layers) - 1  # ReLU layers; the output layer is linear
        self.update = tf.function(lambda grads: optimizer.apply(grads, self.variables), jit_compile=True)
        self.output_gradients = tf.function(self._output_gradients, jit_compile=True)
        self.variable_updates = [self._variable_update(v) for v in self.variables]
        self.plain = plain_updates(optimizer)
        self.loops = {}  # one traced function per (loop, samples), built on first use

    def lanes(self, samples: int) -> list[tuple[int, int]]:
        """Trial ranges whose gradients the CPU graph takes separately: at
        least one per inter-op thread, at most ``LANE_SAMPLES`` samples each."""
        trials, threads = self.trainer.trials, cpu_threads()
        width = max(1, min(-(-trials // threads), self.LANE_SAMPLES // max(samples, 1)))
        return [(lo, min(lo + width, trials)) for lo in range(0, trials, width)]

    # -- one step ------------------------------------------------------------
    def _chunk_gradients(self, x, y, mask):
        import tensorflow as tf
        from keras import ops

        with tf.GradientTape() as tape:
            loss = ops.sum(per_trial_mse(self.trainer.model(x), y, mask))
        return tape.gradient(loss, self.variables)

    @staticmethod
    def _output_gradients(a, kernel, bias, y, mask):
        """The output layer's and the loss's backward pass, fused by XLA (its
        matmuls have one output unit): the output layer's kernel and bias
        gradients and the last hidden layer's pre-ReLU gradient."""
        import tensorflow as tf
        from keras import ops

        with tf.GradientTape() as tape:
            tape.watch([a, kernel, bias])
            loss = ops.sum(per_trial_mse(dense(a, kernel, bias, relu=False), y, mask))
        g_a, g_kernel, g_bias = tape.gradient(loss, [a, kernel, bias])
        return g_kernel, g_bias, tf.where(a > 0, g_a, tf.zeros_like(g_a))

    def _lane_gradients(self, lanes, x, y, mask):
        """Each trial's gradient is its own, so lanes change no number.
        Backpropagation written out: ReLU gradients from the saved
        activations, no tape bookkeeping between the lanes' ops."""
        import tensorflow as tf

        per_lane = []
        for lo, hi in lanes:
            w = [v.value[lo:hi] for v in self.variables]
            own = mask[lo:hi] if mask is not None and len(mask.shape) == 2 else mask  # packed: (T, n)
            acts = [x[lo:hi]]
            for i in range(self.hidden):
                acts.append(dense(acts[-1], w[2 * i], w[2 * i + 1], relu=True))
            g_kernel, g_bias, dz = self.output_gradients(acts[-1], w[-2], w[-1], y[lo:hi], own)
            grads = [g_kernel, g_bias]
            for i in reversed(range(self.hidden)):
                grads[:0] = [tf.matmul(acts[i], dz, transpose_a=True), tf.reduce_sum(dz, axis=1)]
                if i > 0:
                    dz = tf.raw_ops.ReluGrad(gradients=tf.matmul(dz, w[2 * i], transpose_b=True), features=acts[i])
            per_lane.append(grads)
        return [tf.concat(parts, axis=0) for parts in zip(*per_lane)]

    def _variable_update(self, var):
        import tensorflow as tf

        optimizer = self.trainer.optimizer
        return tf.function(lambda grad: optimizer.update_step(grad, var, optimizer.learning_rate), jit_compile=True)

    def _update_each(self, grads):
        """Keras' own update, one call per variable: each starts as soon as
        its gradient is complete, while lanes still work on earlier layers."""
        for apply, grad in zip(self.variable_updates, grads):
            apply(grad)
        self.trainer.optimizer.iterations.assign_add(1)

    def _step(self, samples: int):
        lanes = self.lanes(samples)
        if self.jit or len(lanes) == 1:
            return lambda x, y, mask: self.update(self._chunk_gradients(x, y, mask))
        apply = self._update_each if self.plain else self.update
        return lambda x, y, mask: apply(self._lane_gradients(lanes, x, y, mask))

    # -- loops -----------------------------------------------------------------
    # Counted while loops, not ``for _ in tf.range(steps)``: XLA treats a
    # range's limit as a compile-time constant, so every new step count
    # would compile the loop again.
    @staticmethod
    def _full_loop(step):
        import tensorflow as tf

        def full(x, y, mask, steps):  # mask None: traced without one
            i = tf.constant(0)
            while i < steps:
                step(x, y, mask)
                i += 1

        return full

    @staticmethod
    def _batched_loop(plan, step):
        import tensorflow as tf

        # The shuffles' integer hash runs compiled by XLA on either path:
        # its wrapping products are XLA's semantics, as on JAX.
        epoch_draw = tf.function(lambda *a: epoch_batches(plan, *a), jit_compile=True)
        step_draw = tf.function(lambda *a: resample_batch(plan, *a), jit_compile=True)
        per_epoch = plan.steps_per_epoch

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

    def _loop(self, key, make_body, samples: int):
        import tensorflow as tf

        if (key, samples) not in self.loops:
            self.loops[key, samples] = tf.function(make_body(self._step(samples)), jit_compile=self.jit, reduce_retracing=True)
        return self.loops[key, samples]

    def full(self, x, y, mask, steps):
        import tensorflow as tf

        self._loop("full", self._full_loop, x.shape[1])(x, y, mask, tf.constant(steps, tf.int32))

    def batches(self, x, y, plan, keys, mask, lengths, highs, first_epoch, epochs):
        import tensorflow as tf

        # the plan's loop is built once, on first use (not on every call)
        loop = self._loop(plan, functools.partial(self._batched_loop, plan), plan.width)
        loop(x, y, keys, mask, tf.constant(first_epoch, tf.int32), tf.constant(epochs, tf.int32), lengths, highs)


class JaxSteps(Steps):
    """JAX's loop, ``jax.jit`` + ``fori_loop``, on the trainer's stateless
    state; a step's gradients from ``jax.grad`` of the summed per-trial MSE,
    or, with a ``tiling``, from one fused kernel. Keras' optimizer applies
    them either way."""

    @staticmethod
    def tiling(trainer, text: str):
        """The fused kernel's tiling ``text`` asks for (:meth:`empirical_size.engine.fused.Tiling.parse`)
        where this trainer can take it, or None for ``jax.grad``."""
        if not text:
            return None
        from . import fused

        tiling = fused.Tiling.parse(text)
        if tiling is None or not (trainer.on_gpu or tiling.interpret) or not fused.supports(trainer.sizes, trainer.dtype):
            return None
        return tiling

    def __init__(self, trainer, tiling=None):
        import jax

        from . import fused

        super().__init__(trainer)
        self.tiling_used = tiling
        self.name = "jax.grad" if tiling is None else tiling.describe()
        model, optimizer = trainer.model, trainer.optimizer
        from keras import ops

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
            return fused.gradients(tv, data, fit, trainer.precision)

        def step(state, data):
            tv, ov = state
            tv, ov = optimizer.stateless_apply(ov, gradients(tv, data), tv)
            return tv, ov

        @jax.jit
        def full(state, x, y, mask, steps):
            data = prepare(x, y, mask)  # once: the loop's data does not change
            return jax.lax.fori_loop(0, steps, lambda i, s: step(s, data), state)

        self._full, self._batched = full, self._batched_loop(step, prepare)

    @staticmethod
    def _batched_loop(step, prepare):
        """The mini-batch epochs as one compiled loop: each epoch's batches
        (drawn anew per step where the plan resamples), a step a batch."""
        import jax

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

        return batched

    def _run(self, compiled, *args, **kwargs):
        """Blocks, so that callers time real work, not an asynchronous dispatch."""
        import jax

        t = self.trainer
        with t.precision_scope():
            try:
                t.state = jax.block_until_ready(compiled(t.state, *args, **kwargs))
            except jax.errors.JaxRuntimeError as err:
                if self.tiling_used is None or "hared memory" not in str(err):
                    raise
                raise RuntimeError(
                    f"the fused kernel's tiling ({self.tiling_used.describe()}) needs more shared memory than this GPU has"
                    f" for {t.dtype} networks of {len(t.sizes) - 2} hidden layers of {t.sizes[1]}:"
                    f" set ${SETTING} to a smaller block (fused:<block,tiles,warps>, e.g. fused:32,1,4) or to jax"
                ) from err

    def full(self, x, y, mask, steps):
        self._run(self._full, x, y, mask, np.int32(steps))

    def batches(self, x, y, plan, keys, mask, lengths, highs, first_epoch, epochs):
        self._run(self._batched, x, y, keys, mask, np.int32(first_epoch), np.int32(epochs), lengths, highs, plan=plan)
