"""Many small ReLU networks trained at once: the trainer's interface, and
:func:`make_trainer`, which picks the trainer for the path training takes.

Every weight carries a leading trial axis (kernels ``(trials, fan_in,
fan_out)``, biases ``(trials, fan_out)``). The loss is the *sum* over trials
of each trial's own MSE, so each trial's gradient is exactly its own;
Adadelta acts element-wise, so a chunk of trials trains exactly as each
trial would alone. Two trainers implement it:

- :class:`empirical_size.engine.kernel_trainer.KernelTrainer`: the C++ CPU kernel
  on numpy arrays, evaluated in numpy; it imports no TensorFlow, Keras or JAX;
- :mod:`empirical_size.engine.keras_trainer`'s Keras trainers: Keras' model and optimizer,
  trained by TensorFlow's graph or XLA loop or JAX's (the GPU's paths, and
  the CPU's where the kernel is not taken). Keras is the reference: the
  tests hold the kernel to ``model.fit`` and the formula.

The path is :mod:`empirical_size.engine.path_setting`' setting; this module imports no
backend itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from . import path_setting
from .base import AdadeltaSettings, Trainer  # the interface, here too for its users


def _own_loop() -> str:
    """The backend's own CPU loop, against which ``auto`` weighs the kernel."""
    return "jax.grad" if os.environ.get("KERAS_BACKEND") == "jax" else "tensorflow"


def make_trainer(
    sizes: Sequence[int], trials: int, dtype: str = "float32", optimizer: AdadeltaSettings = AdadeltaSettings(),
    path: str | None = None,
) -> Trainer:  # fmt: skip
    """A trainer for :mod:`empirical_size.engine.path_setting`' setting (``path`` wins
    over it): the CPU kernel's where it is asked for, or where ``auto`` finds
    no GPU and the kernel is to be had (:func:`empirical_size.engine.cpu_kernel.choose`),
    with no backend imported; else a Keras trainer of the selected backend."""
    from . import cpu_kernel

    choice = path_setting.resolve(path)
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
    from .keras_trainer import make_keras_trainer

    return make_keras_trainer(sizes, trials, dtype, optimizer, choice)


# From this hidden width on, ``auto`` trains on a CPU with the BLAS trainer:
# a layer's weights and a batch's activations outgrow a core's cache and the
# kernel's products fall behind a BLAS's. Measured on one CPU (an AMD EPYC,
# AVX2: benchmarks/README.md) by ``python benchmarks/crossover.py``, which
# prints this machine's crossing: 256 at batches of 500; at n = 64 the
# kernel stays ahead to width 384, a shape the paper does not train.
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


def _fused_asked(choice: path_setting.TrainingPath) -> bool:
    """``auto`` with a fused tiling to run in the interpreter, under JAX:
    the fused kernel, off a GPU too."""
    return bool(choice.tiling) and choice.tiling.startswith("interpret") and os.environ.get("KERAS_BACKEND") == "jax"


def _on_gpu() -> bool:
    """Whether the selected backend computes on a GPU; asked of it (importing
    it) only where a GPU could be there (:func:`empirical_size.engine.path_setting.gpu_possible`)."""
    if not path_setting.gpu_possible():
        return False
    from .keras_trainer import backend_on_gpu

    return backend_on_gpu()
