"""How training takes its steps: one setting, read here and nowhere else.

``EMPIRICAL_SIZE_PATH`` (or ``make_trainer``'s ``path``, which wins):

- ``auto`` (unset): on a CPU the C++ kernel (:mod:`empirical_size.cpu_kernel`)
  where it builds and is not slower there than the backend's own loop, with
  no TensorFlow, Keras or JAX in the process; on a GPU the backend's own
  loop (TensorFlow's XLA loop; JAX's, or its fused kernel given a tiling);
- ``kernel`` or ``kernel:<arch>``: the kernel, built for ``arch`` (``native``,
  the default, or a lesser instruction set, ``cpu_kernel.VARIANTS``), or an
  error where it cannot be had;
- ``graph``, ``xla``: TensorFlow's loop as a graph or compiled by XLA;
- ``jax``: JAX's loop compiled by XLA, gradients from ``jax.grad``;
- ``fused`` or ``fused:<tiling>``: JAX's fused kernel
  (``[interpret:]block,tiles,warps[,dot]``, :class:`empirical_size.fused.Tiling`);
- ``own``: the backend's own loop for its device (``graph`` or ``xla``; ``jax``).

Earlier settings are read as aliases where ``EMPIRICAL_SIZE_PATH`` is unset
or ``auto``: ``EMPIRICAL_SIZE_CPU_KERNEL`` (``0``: ``own``, ``1``:
``kernel``), ``EMPIRICAL_SIZE_CPU_ARCH`` (the kernel's build on ``auto``
and ``kernel``) and ``EMPIRICAL_SIZE_FUSED`` (the fused tiling ``auto``
takes on a GPU under JAX). Changing the path changes float32 rounding, not
the science, so jobs are not rerun for it; each job records the path it took.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

SETTING = "EMPIRICAL_SIZE_PATH"
KINDS = ("auto", "kernel", "graph", "xla", "jax", "fused", "own")
KERAS_KINDS = ("graph", "xla", "jax", "fused", "own")  # the paths that train in Keras
# The backend each named path needs (``own`` and ``auto``: either).
BACKEND_OF = {"graph": "tensorflow", "xla": "tensorflow", "jax": "jax", "fused": "jax"}
ALIASES = {"EMPIRICAL_SIZE_CPU_KERNEL": "0: own, 1: kernel", "EMPIRICAL_SIZE_CPU_ARCH": "kernel:<arch>", "EMPIRICAL_SIZE_FUSED": "fused:<tiling>"}
ARCHES = ("native", "x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64", "armv8-a")  # cpu_kernel.VARIANTS and native


@dataclass(frozen=True)
class TrainingPath:
    """A parsed setting: the ``kind`` of path, the kernel's ``arch`` and the
    fused kernel's ``tiling`` (its text; empty: none asked for)."""

    kind: str = "auto"
    arch: str = ""  # resolved: native where nothing says
    tiling: str = ""

    @property
    def keras(self) -> bool:
        """Whether this path trains in Keras (``auto`` decides later)."""
        return self.kind in KERAS_KINDS

    @property
    def kernel_allowed(self) -> bool:
        """Whether the kernel may compute here: measures such as E1's dead
        neurons use it unless the path names a Keras loop."""
        return not self.keras


def _error(source: str, value: str, why: str) -> ValueError:
    return ValueError(
        f"{source}={value!r}: {why}; paths are auto, kernel[:<arch>], graph, xla, jax, fused[:<tiling>] or own"
        f" (arch: {', '.join(ARCHES)})"
    )


def parse(value: str | None, source: str = SETTING) -> TrainingPath:
    """``value`` as a path (None or empty: ``auto``); ``source`` names the
    setting in errors."""
    text = (value or "").strip()
    kind, _, option = text.partition(":")
    kind = kind.lower() or "auto"
    if kind not in KINDS:
        raise _error(source, text, f"no path {kind!r}")
    if kind == "kernel":
        arch = option.lower()
        if arch and arch not in ARCHES:
            raise _error(source, text, f"no kernel build {arch!r}")
        return TrainingPath("kernel", arch=arch)
    if kind == "fused":
        return TrainingPath("fused", tiling=option or "1")
    if option:
        raise _error(source, text, f"{kind} takes no option")
    return TrainingPath(kind)


def resolve(path: str | None = None, environ: Mapping[str, str] = os.environ) -> TrainingPath:
    """The path a trainer takes: ``path`` if given, else the setting; the
    aliases fill in what neither says (the kernel's build; on ``auto``, the
    kernel or not and the fused tiling)."""
    chosen = parse(path, "path") if path else parse(environ.get(SETTING))
    arch = chosen.arch or environ.get("EMPIRICAL_SIZE_CPU_ARCH", "").strip().lower() or "native"
    if arch not in ARCHES:
        raise _error("EMPIRICAL_SIZE_CPU_ARCH", arch, f"no kernel build {arch!r}")
    if chosen.kind != "auto":
        return replace(chosen, arch=arch)
    cpu_kernel = environ.get("EMPIRICAL_SIZE_CPU_KERNEL", "auto").strip().lower() or "auto"
    if cpu_kernel not in ("auto", "0", "1"):
        raise _error("EMPIRICAL_SIZE_CPU_KERNEL", cpu_kernel, "an alias of EMPIRICAL_SIZE_PATH, it takes auto, 0 (own) or 1 (kernel)")
    kind = {"0": "own", "1": "kernel"}.get(cpu_kernel, "auto")
    fused = environ.get("EMPIRICAL_SIZE_FUSED", "").strip()
    return TrainingPath(kind, arch=arch, tiling="" if kind != "auto" or fused in ("", "0") else fused)


def gpu_possible() -> bool:
    """Whether a GPU could be visible to a backend here, without importing
    one: an NVIDIA, AMD (ROCm) or WSL GPU device file, and CUDA devices not
    hidden. False means the CPU: ``auto`` then takes the kernel without
    asking TensorFlow or JAX."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "x").strip() in ("", "-1"):
        return False
    dev = Path("/dev")
    return any(dev.glob("nvidia[0-9]*")) or (dev / "kfd").exists() or (dev / "dxg").exists()


def likely_keras(path: TrainingPath, gpus: int = 0) -> bool:
    """Whether jobs with this setting will train in Keras, as a plan can tell
    before they run (for their memory requests): a Keras path, or ``auto``
    with GPUs asked for, or where no C++ compiler is found to build the kernel."""
    if path.keras:
        return True
    if path.kind == "kernel":
        return False
    import shutil

    compiler = any(shutil.which(c) for c in filter(None, (os.environ.get("CXX"), "c++", "g++", "clang++")))
    return bool(gpus) or not compiler
