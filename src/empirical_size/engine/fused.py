"""One training step's gradients as one fused GPU kernel (JAX, Pallas;
opt-in and experimental, see below).

XLA computes a step of many small ReLU networks as a chain of batched matrix
products with element-wise passes between them (bias, ReLU, their
gradients), each reading and writing every activation of every trial: at
width 64 a product does about 16 flops a byte, so on a GPU the step is bound
by memory as much as by arithmetic. This kernel runs the whole forward and
backward pass of one tile of one trial's samples in one program, activations
kept on chip, and writes only that tile's share of the weight gradients,
which XLA then sums over tiles. It computes what ``jax.grad`` of the summed
per-trial MSE does, the sums in another order (tests compare them in
float64, in Pallas' interpreter; on an H200 they agreed to 8e-16 in float64).

Measured on an H200 (README, "Fused kernel"): in true float32 Triton's
products run on the CUDA cores and the kernel was 3.5x *slower* than XLA's
cuBLAS at the benchmark's target shape; with ``matmul_precision:
tensorfloat32`` it ran 1.4x-2x faster than XLA at depth 2. So it is off
unless ``EMPIRICAL_SIZE_PATH=fused[:<tiling>]`` asks for it (:meth:`Tiling.parse`), and
``benchmarks/device_fused.sh`` measures its tilings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

MAX_HIDDEN = 4  # activations of deeper networks would not stay on chip
WIDTHS = (16, 32, 64, 128)  # Triton's tiles are powers of two
INPUT_COLUMNS = 16  # inputs padded to the smallest side of a Triton product
DOTS = ("", "ieee", "tf32", "tf32x3")


@dataclass(frozen=True)
class Tiling:
    """``block`` samples a tile; ``tiles`` consecutive tiles a program (their
    gradients summed on chip); ``warps`` a program; ``interpret``: run in
    Pallas' interpreter, on any device (tests); ``dot``: how float32
    products are computed, ``tf32x3`` being three TensorFloat-32 products
    that give about float32's accuracy on the tensor cores (GPU only)."""

    block: int = 64  # 128 ran at depth 2 but asked too much shared memory at depth 4
    tiles: int = 1
    warps: int = 4
    interpret: bool = False
    dot: str = ""  # Triton's products: "ieee", "tf32" or "tf32x3"; "" follows matmul_precision

    @property
    def samples(self) -> int:
        """Samples a program trains on (the data is padded to a multiple)."""
        return self.block * self.tiles

    def fit(self, n: int) -> Tiling:
        """This tiling for ``n`` samples a trial: no tile larger than ``n``
        needs (at least 16, the smallest Triton product), and no more tiles
        a program than ``n`` fills."""
        block = min(self.block, max(16, 1 << (n - 1).bit_length()))
        tiles = self.tiles
        while tiles > 1 and block * tiles > n:
            tiles //= 2
        return Tiling(block, tiles, self.warps, self.interpret, self.dot)

    def describe(self) -> str:
        dot = f",{self.dot}" if self.dot else ""
        interpreted = " (interpreted)" if self.interpret else ""
        return f"fused {self.block},{self.tiles},{self.warps}{dot}{interpreted}"

    @classmethod
    def parse(cls, text: str) -> Tiling | None:
        """The tiling ``text`` asks for (``EMPIRICAL_SIZE_PATH=fused:<text>``,
        or its alias ``EMPIRICAL_SIZE_FUSED``): ``1`` the default,
        ``block,tiles,warps[,dot]`` another, either after ``interpret:`` to
        run in Pallas' interpreter on any device; None (``jax.grad``) when
        empty or ``0``."""
        value = text.strip()
        if value in ("", "0"):
            return None
        interpret = value.startswith("interpret")
        value = value.removeprefix("interpret").lstrip(":")
        if value in ("", "1"):
            return cls(interpret=interpret)
        fields = value.split(",")
        dot = fields.pop() if len(fields) == 4 else ""
        try:
            block, tiles, warps = (int(v) for v in fields)
        except ValueError:
            block = tiles = warps = 0
        if min(block, tiles, warps) < 1 or block & (block - 1) or block < 16 or dot not in DOTS:
            raise ValueError(
                "a fused tiling (EMPIRICAL_SIZE_PATH=fused:<tiling>) must be 1 or [interpret:]block,tiles,warps[,dot]"
                f" (block a power of two >= 16, dot one of {DOTS[1:]}), got {text!r}"
            )
        return cls(block, tiles, warps, interpret, dot)


def supports(sizes, dtype: str) -> bool:
    """Whether the kernel handles ``sizes = [inputs, width..., 1]`` in ``dtype``."""
    hidden = sizes[1:-1]
    return (
        dtype in ("float32", "float64")
        and sizes[-1] == 1
        and 1 <= len(hidden) <= MAX_HIDDEN
        and len(set(hidden)) == 1
        and hidden[0] in WIDTHS
        and sizes[0] <= INPUT_COLUMNS
    )


def prepare(x, y, mask, block_samples: int):
    """Pad a step's data once (outside a loop when it is loop-invariant):
    inputs to 16 columns, samples to whole programs; the mask becomes each
    sample's weight in d(loss)/d(prediction), ``2 / n_trial`` or 0."""
    trials, n, inputs = x.shape
    if mask is None:
        weight = jnp.full((trials, n), 2.0 / n, x.dtype)
    elif mask.ndim == 1:
        weight = jnp.broadcast_to(2.0 * mask / jnp.sum(mask), (trials, n)).astype(x.dtype)
    else:
        weight = (2.0 * mask / jnp.sum(mask, axis=-1, keepdims=True)).astype(x.dtype)
    padded = -(-n // block_samples) * block_samples
    x = jnp.pad(x, ((0, 0), (0, padded - n), (0, INPUT_COLUMNS - inputs)))
    return x, jnp.pad(y[..., 0], ((0, 0), (0, padded - n))), jnp.pad(weight, ((0, 0), (0, padded - n)))


def _kernel(*refs, hidden: int, block: int, tiles: int, precision):
    x_ref, y_ref, w_ref = refs[:3]
    weights = refs[3 : 3 + 2 * (hidden + 1)]
    grads = refs[3 + 2 * (hidden + 1) :]
    # weights are read where they are used (cached), not held in registers
    kernel = [weights[2 * i] for i in range(hidden)]
    bias = [weights[2 * i + 1] for i in range(hidden)]
    w_out, b_out = weights[-2], weights[-1]

    def dot(a, b, contract):  # contract: which axis of a and of b
        return jax.lax.dot_general(a, b, ((contract[:1], contract[1:]), ((), ())), precision=precision)

    def tile(j, acc):
        rows = pl.ds(j * block, block)
        acts = [x_ref[rows, :]]
        for i in range(hidden):
            acts.append(jnp.maximum(dot(acts[-1], kernel[i][...], (1, 0)) + bias[i][...][None, :], 0))
        top = acts[-1]
        pred = jnp.sum(top * w_out[...][None, :], axis=1) + b_out[...][0]
        d = w_ref[rows] * (pred - y_ref[rows])  # d(loss)/d(prediction)
        new = [jnp.sum(top * d[:, None], axis=0), jnp.sum(d, keepdims=True)]
        dz = jnp.where(top > 0, d[:, None] * w_out[...][None, :], 0)
        for i in reversed(range(hidden)):
            new[:0] = [dot(acts[i], dz, (0, 0)), jnp.sum(dz, axis=0)]
            if i > 0:
                dz = jnp.where(acts[i] > 0, dot(dz, kernel[i][...], (1, 1)), 0)
        return [a + g for a, g in zip(acc, new)]

    zeros = [jnp.zeros(g.shape, g.dtype) for g in grads]
    total = tile(0, zeros) if tiles == 1 else jax.lax.fori_loop(0, tiles, tile, zeros)
    for ref, value in zip(grads, total):
        ref[...] = value


def gradients(variables, prepared, tiling: Tiling, precision: str = "float32"):
    """Each trial's gradient of its own MSE, in the order of the model's
    variables (kernels ``(T, in, out)``, biases ``(T, out)``); ``prepared``
    comes from :func:`prepare` with ``tiling.samples``."""
    x, y, weight = prepared
    trials, padded, in_p = x.shape
    hidden = len(variables) // 2 - 1
    inputs, width = variables[0].shape[1:]
    per_program = tiling.samples
    programs = padded // per_program

    weights = [jnp.pad(variables[0], ((0, 0), (0, in_p - inputs), (0, 0))), *variables[1:-2]]
    weights += [variables[-2][..., 0], variables[-1]]  # output kernel (T, width), bias (T, 1)

    def spec(shape, samples=False):
        # one trial's block; ``samples``: its program's slice of the samples
        if samples:
            return pl.BlockSpec((None, per_program, *shape), lambda t, p: (t, p, *[0] * len(shape)))
        return pl.BlockSpec((None, *shape), lambda t, p: (t, *[0] * len(shape)))

    def out_spec(shape):
        return pl.BlockSpec((None, None, *shape), lambda t, p: (t, p, *[0] * len(shape)))

    grad_shapes = []
    for i in range(hidden):
        grad_shapes += [(in_p if i == 0 else width, width), (width,)]
    grad_shapes += [(width,), (1,)]
    dot = tiling.dot or ("tf32" if precision == "tensorfloat32" else "ieee")
    dot_precision = {  # as Pallas' Triton lowering reads them
        "ieee": jax.lax.Precision.HIGHEST,
        "tf32": jax.lax.Precision.DEFAULT,
        "tf32x3": jax.lax.DotAlgorithmPreset.TF32_TF32_F32_X3,
    }[dot]
    kwargs = {}
    if not tiling.interpret:
        from jax.experimental.pallas import triton as plt

        kwargs["compiler_params"] = plt.CompilerParams(num_warps=tiling.warps, num_stages=1)
    partial = pl.pallas_call(
        functools.partial(_kernel, hidden=hidden, block=tiling.block, tiles=tiling.tiles, precision=dot_precision),
        grid=(trials, programs),
        in_specs=[spec((in_p,), True), spec((), True), spec((), True), *[spec(w.shape[1:]) for w in weights]],
        out_specs=[out_spec(s) for s in grad_shapes],
        out_shape=[jax.ShapeDtypeStruct((trials, programs, *s), x.dtype) for s in grad_shapes],
        interpret=tiling.interpret,
        **kwargs,
    )(x, y, weight, *weights)
    summed = [jnp.sum(g, axis=1) for g in partial]
    summed[0] = summed[0][:, :inputs]
    summed[-2] = summed[-2][..., None]
    return summed
