"""How training takes its steps: one setting, read here and nowhere else.

``EMPIRICAL_SIZE_PATH`` (or ``make_trainer``'s ``path``, which wins):

- ``auto`` (unset): on a CPU the C++ kernel (:mod:`empirical_size.engine.cpu_kernel`)
  where it builds and is not slower there than the backend's own loop, with
  no TensorFlow, Keras or JAX in the process; on a GPU the backend's own
  loop (TensorFlow's XLA loop; JAX's, or its fused kernel given a tiling);
- ``kernel`` or ``kernel:<arch>``: the kernel, built for ``arch`` (``native``,
  the default, or a lesser instruction set, ``cpu_kernel.VARIANTS``), or an
  error where it cannot be had;
- ``blas``: the CPU trainer of wide networks, its products by numpy's BLAS
  and its update by the kernel (:mod:`empirical_size.engine.blas_trainer`), which
  ``auto`` takes on a CPU from :data:`empirical_size.engine.trainer.BLAS_FROM_WIDTH` on;
- ``graph``, ``xla``: TensorFlow's loop as a graph or compiled by XLA;
- ``jax``: JAX's loop compiled by XLA, gradients from ``jax.grad``;
- ``fused`` or ``fused:<tiling>``: JAX's fused kernel
  (``[interpret:]block,tiles,warps[,dot]``, :class:`empirical_size.engine.fused.Tiling`);
- ``own``: the backend's own loop for its device (``graph`` or ``xla``; ``jax``).

Earlier settings are read as aliases, with their old meanings:
``EMPIRICAL_SIZE_CPU_KERNEL`` on ``auto`` (``0``: never the kernel, ``1``:
the kernel or an error on a CPU; a GPU keeps its own loop either way),
``EMPIRICAL_SIZE_CPU_ARCH`` (the kernel's build on ``auto`` and ``kernel``
when the path names none) and ``EMPIRICAL_SIZE_FUSED`` (the fused tiling
``auto`` takes under JAX on a GPU, or off one in the interpreter). Changing the path changes float32 rounding, not
the science, so jobs are not rerun for it; each job records the path it took.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

SETTING = "EMPIRICAL_SIZE_PATH"
KINDS = ("auto", "kernel", "blas", "graph", "xla", "jax", "fused", "own")
KERAS_KINDS = ("graph", "xla", "jax", "fused", "own")  # the paths that train in Keras
# The backend each named path needs (``own`` and ``auto``: either).
BACKEND_OF = {"graph": "tensorflow", "xla": "tensorflow", "jax": "jax", "fused": "jax"}
# A fused tiling's shape ([interpret:]1 or block,tiles,warps[,dot]); fused.Tiling checks its values.
TILING = re.compile(r"(interpret:?)?(1|\d+,\d+,\d+(,\w+)?)?")
ARCHES = ("native", "x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64", "armv8-a")  # cpu_kernel.VARIANTS and native


@dataclass(frozen=True)
class TrainingPath:
    """A parsed setting: the ``kind`` of path, the kernel's ``arch`` and the
    fused kernel's ``tiling`` (its text; empty: none asked for)."""

    kind: str = "auto"
    arch: str = ""  # resolved: native where nothing says
    tiling: str = ""
    kernel: str = "auto"  # on auto, a CPU's kernel: auto, required or never (EMPIRICAL_SIZE_CPU_KERNEL's 1, 0)

    @property
    def keras(self) -> bool:
        """Whether this path trains in Keras (``auto`` decides later)."""
        return self.kind in KERAS_KINDS

    @property
    def kernel_allowed(self) -> bool:
        """Whether the kernel may compute here: measures such as E1's dead
        neurons use it unless the path names a Keras loop or ``auto`` without it."""
        return not self.keras and self.kernel != "never"


def _error(source: str, value: str, why: str) -> ValueError:
    return ValueError(
        f"{source}={value!r}: {why}; paths are auto, kernel[:<arch>], blas, graph, xla, jax, fused[:<tiling>] or own"
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
        return TrainingPath("fused", tiling=_tiling(option or "1", source, text))
    if option:
        raise _error(source, text, f"{kind} takes no option")
    return TrainingPath(kind)


def _tiling(value: str, source: str, text: str) -> str:
    if not TILING.fullmatch(value):
        raise _error(source, text, "a fused tiling is 1 or [interpret:]block,tiles,warps[,dot]")
    return value


def resolve(path: str | None = None, environ: Mapping[str, str] = os.environ) -> TrainingPath:
    """The path a trainer takes: ``path`` if given, else the setting; the
    aliases fill in what neither says (the kernel's build on ``auto`` and
    ``kernel``; on ``auto``, whether a CPU takes the kernel and the fused tiling)."""
    chosen = parse(path, "path") if path else parse(environ.get(SETTING))
    if chosen.kind not in ("auto", "kernel", "blas"):
        return chosen
    arch = chosen.arch or environ.get("EMPIRICAL_SIZE_CPU_ARCH", "").strip().lower() or "native"
    if arch not in ARCHES:
        raise _error("EMPIRICAL_SIZE_CPU_ARCH", arch, f"no kernel build {arch!r}")
    if chosen.kind in ("kernel", "blas"):
        return replace(chosen, arch=arch)
    cpu_kernel = environ.get("EMPIRICAL_SIZE_CPU_KERNEL", "auto").strip().lower() or "auto"
    if cpu_kernel not in ("auto", "0", "1"):
        raise _error("EMPIRICAL_SIZE_CPU_KERNEL", cpu_kernel, "an alias of EMPIRICAL_SIZE_PATH's auto, it takes auto, 0 or 1")
    fused = environ.get("EMPIRICAL_SIZE_FUSED", "").strip()
    tiling = "" if fused in ("", "0") else _tiling(fused, "EMPIRICAL_SIZE_FUSED", fused)
    return TrainingPath("auto", arch=arch, tiling=tiling, kernel={"0": "never", "1": "required"}.get(cpu_kernel, "auto"))


def gpu_possible(environ: Mapping[str, str] = os.environ, dev: Path = Path("/dev")) -> bool:
    """Whether a GPU could be visible to a backend here, without importing
    one: an NVIDIA, AMD (ROCm) or WSL GPU device file this process may open,
    CUDA devices not hidden, and on SLURM a GPU given to the job. False
    means the CPU: ``auto`` then takes the kernel without asking TensorFlow
    or JAX."""
    if environ.get("CUDA_VISIBLE_DEVICES", "x").strip() in ("", "-1"):
        return False
    if environ.get("SLURM_JOB_ID") and not any(environ.get(k) for k in ("SLURM_JOB_GPUS", "SLURM_STEP_GPUS", "CUDA_VISIBLE_DEVICES")):
        return False  # a SLURM job without GPUs, on a node that has some
    return any(_openable(p) for p in [*sorted(dev.glob("nvidia[0-9]*")), dev / "kfd", dev / "dxg"])


def _openable(device: Path) -> bool:
    """A device file that exists and this process may open (cgroups deny the rest)."""
    try:
        os.close(os.open(device, os.O_RDONLY))
    except OSError:
        return False
    return True


def likely_keras(path: TrainingPath, gpus: int = 0) -> bool:
    """Whether jobs with this setting will train in Keras, as a plan can tell
    before they run (for their memory requests): a Keras path, or ``auto``
    with GPUs asked for, or where no C++ compiler is found to build the kernel."""
    if path.keras:
        return True
    if path.kind in ("kernel", "blas"):
        return False
    return bool(gpus) or find_compiler() is None


def find_compiler() -> str | None:
    """The C++ compiler builds use: ``$CXX``, else ``c++``, ``g++``, ``clang++``; None if none is found."""
    for name in filter(None, (os.environ.get("CXX"), "c++", "g++", "clang++")):
        path = shutil.which(name)
        if path:
            return path
    return None
