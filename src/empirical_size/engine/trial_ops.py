"""Computations on stacked trials in Keras ops, shared by the Keras trainers
(:mod:`empirical_size.engine.keras_trainer`) and their ways of taking steps
(:mod:`empirical_size.engine.keras_steps`): a dense layer on a leading trial axis, each
trial's MSE and size, and the counter-based mini-batch shuffles drawn on the
device (reference: :meth:`empirical_size.engine.minibatch.BatchPlan.indices`).
The CPU kernel's trainer computes the same in numpy and C++ without them.

Import this module only after :func:`empirical_size.engine.backend.select`.
"""

from __future__ import annotations

import numpy as np

from .backend import import_keras
from .minibatch import HASH_MULTIPLIERS, RESAMPLE_SALT, BatchPlan, index_bits

keras = import_keras()
ops = keras.ops


def dense(x, kernel, bias, relu: bool):
    """:class:`TrialDense`'s computation on given weights (or a slice of them)."""
    y = ops.matmul(x, kernel) + bias[:, None, :]
    return ops.relu(y) if relu else y


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
    """:func:`empirical_size.engine.minibatch.mix32` on int32 tensors; products wrap
    (XLA's integer semantics, which both backends compile this with)."""
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = x * _int32(HASH_MULTIPLIERS[0])
    x = ops.bitwise_xor(x, _shift_right(x, 15))
    x = x * _int32(HASH_MULTIPLIERS[1])
    return ops.bitwise_xor(x, _shift_right(x, 16))


INT32_MAX = 2**31 - 1


def packed_sizes(lengths) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial ``n`` of packed mini-batch trials, and the high bits their
    sort keys keep (:func:`empirical_size.engine.minibatch.sort_keys` of each ``n``
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


