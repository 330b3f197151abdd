"""Training on a CPU by a small C++ kernel (``cpu_kernel.cpp``).

TensorFlow's graph reaches about 45% of this machine's matrix-multiply rate
on the paper's shapes (depth 4, width 64, n = 500): its small batched
products run near 65% of it alone, and every bias add, ReLU and ReLU
gradient is a further pass over memory. The kernel trains one trial at a
time, all of a call's steps, so a trial's activations stay in the core's
cache, and applies those element-wise steps to a tile of a product while it
is in registers. Each core takes its own trials (no step synchronises
cores). Its arithmetic is Keras' (summed per-trial MSE, Adadelta's
``update_step``); the tests compare it with ``model.fit`` and the formula.
Mini-batch steps gather their samples by indices the caller draws.

The kernel is compiled on first use for the host CPU (``-march=native``)
with the C++ compiler ``$CXX`` names, else ``c++``/``g++``/``clang++``, and
cached under ``$EMPIRICAL_SIZE_CACHE`` (default ``~/.cache/empirical-size``),
keyed by its source, the compiler and the CPU. ``EMPIRICAL_SIZE_CPU_KERNEL``
chooses: unset or ``auto``, the kernel where it builds, else the backend's
own loop (TensorFlow's graph, JAX's XLA loop) with a warning; ``1``, the
kernel or an error; ``0``, never. Both backends' trainers use it.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

SOURCE = Path(__file__).with_name("cpu_kernel.cpp")
SETTING = "EMPIRICAL_SIZE_CPU_KERNEL"
FLAGS = ["-O3", "-std=c++17", "-fno-math-errno", "-shared", "-fPIC"]  # no -ffast-math: Keras' rounding
NAME = "cpu kernel"  # the gradient path jobs record
# Samples a step's forward and backward passes take at a time: 512 x 64
# units x (depth + 2) float32 buffers stay in a core's 2 MB L2 cache.
ROW_BLOCK = 512


class KernelUnavailable(RuntimeError):
    """The kernel could not be built or loaded here."""


def setting() -> str:
    value = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if value not in ("auto", "0", "1"):
        raise ValueError(f"{SETTING} must be auto, 0 or 1, got {value!r}")
    return value


def wanted() -> bool:
    """Whether CPU trainers should use the kernel: it builds here, or
    ``EMPIRICAL_SIZE_CPU_KERNEL`` says not to try (raises if it says ``1``
    and the kernel cannot be built)."""
    choice = setting()
    if choice == "0":
        return False
    try:
        library()
    except KernelUnavailable as err:
        if choice == "1":
            raise
        warnings.warn(f"{err}; training with the backend's own loop instead (set {SETTING}=0 to silence)", stacklevel=2)
        return False
    return True


def _compiler() -> str:
    for name in filter(None, (os.environ.get("CXX"), "c++", "g++", "clang++")):
        path = shutil.which(name)
        if path:
            return path
    raise KernelUnavailable("no C++ compiler found (set CXX, or install g++)")


def _cache_dir() -> Path:
    base = (
        os.environ.get("EMPIRICAL_SIZE_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "empirical-size"
    )
    return Path(base)


def _cpu_identity() -> str:
    """What ``-march=native`` depends on: the CPU's model and features."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return "\n".join(sorted({ln for ln in lines if ln.startswith(("model name", "flags", "Features", "CPU part"))}))
    except OSError:
        return platform.processor() or platform.machine()


def _build(compiler: str, target: Path, version: str = "") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    # -march=native where the compiler takes it (some ARM compilers want -mcpu)
    for arch in (["-march=native"], ["-mcpu=native"], []):
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
        os.close(fd)
        built_with = " ".join([version or Path(compiler).name, *FLAGS, *arch]).translate(
            {ord('"'): None, ord("\\"): None}
        )
        command = [compiler, *FLAGS, *arch, f'-DEMPIRICAL_SIZE_BUILD="{built_with}"', str(SOURCE), "-o", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            os.replace(tmp, target)  # atomic: jobs building at once never load half a file
            return
        os.unlink(tmp)
        errors.append(done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"])
    raise KernelUnavailable(f"{compiler} could not build {SOURCE.name}: {errors[-1][0]}")


@functools.cache
def library() -> ctypes.CDLL:
    """The compiled kernel, built on first use (raises KernelUnavailable)."""
    compiler = _compiler()
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    key = hashlib.sha256("\0".join([SOURCE.read_text(), *FLAGS, version, _cpu_identity()]).encode()).hexdigest()[:16]
    target = _cache_dir() / f"cpu_kernel-{key}.so"
    if not target.exists():
        try:
            _build(compiler, target, version.splitlines()[0] if version else "")
        except OSError as err:
            raise KernelUnavailable(f"cannot build the CPU kernel in {target.parent}: {err}") from err
    lib = ctypes.CDLL(str(target))
    pointer, i32, f64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    for dtype in ("float32", "float64"):
        train = getattr(lib, f"train_{dtype}")
        train.argtypes = [i32] * 5 + [pointer] * 3 + [i32] + [pointer] * 3 + [ctypes.c_long, i32, f64, f64, f64, i32]
        batches = getattr(lib, f"train_batches_{dtype}")
        batches.argtypes = (
            [i32] * 5
            + [pointer] * 3
            + [i32] * 2
            + [pointer]
            + [i32] * 2
            + [pointer] * 3
            + [ctypes.c_long, f64, f64, f64, i32]
        )
        train.restype = batches.restype = i32
        getattr(lib, f"vector_lanes_{dtype}").restype = i32
    lib.built_with.restype = ctypes.c_char_p
    return lib


def built_with() -> str | None:
    """The compiler and flags of the kernel this process loaded, if any."""
    if library.cache_info().currsize == 0:
        return None
    try:
        return library().built_with().decode()
    except KernelUnavailable:
        return None


def padded_width(width: int, dtype: str) -> int:
    """The hidden width the kernel computes with: whole vectors."""
    lanes = getattr(library(), f"vector_lanes_{dtype}")()
    return -(-width // lanes) * lanes


class Layout:
    """Per-trial parameter vectors for the kernel, from Keras' per-layer
    ``(trials, fan_in, fan_out)`` kernels and ``(trials, fan_out)`` biases,
    the hidden width padded with units whose weights are zero (they stay
    zero: their activations, and so their gradients, are exactly zero)."""

    def __init__(self, sizes, dtype: str):
        self.sizes, self.dtype = list(sizes), dtype
        self.width = padded_width(max(self.sizes[1:-1]), dtype)
        inner = [self.sizes[0]] + [self.width] * (len(self.sizes) - 2) + [1]
        self.slots, offset = [], 0  # (offset, padded shape, real shape) per variable
        for fan_in, fan_out, real_in, real_out in zip(inner[:-1], inner[1:], self.sizes[:-1], self.sizes[1:]):
            for shape, real in (((fan_in, fan_out), (real_in, real_out)), ((fan_out,), (real_out,))):
                self.slots.append((offset, shape, real))
                offset += int(np.prod(shape))
        self.parameters = offset

    def _real(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat (trials, parameters)``: each variable's real units."""
        trials, views = flat.shape[0], []
        for offset, shape, real in self.slots:
            view = flat[:, offset : offset + int(np.prod(shape))].reshape(trials, *shape)
            views.append(view[(slice(None), *(slice(0, r) for r in real))])
        return views

    def pack(self, arrays) -> np.ndarray:
        flat = np.zeros((arrays[0].shape[0], self.parameters), self.dtype)
        for view, a in zip(self._real(flat), arrays, strict=True):
            view[...] = a
        return flat

    def unpack(self, flat: np.ndarray) -> list[np.ndarray]:
        return self._real(flat)


def _address(a: np.ndarray | None, first: int):
    """Where row ``first`` (of the leading axis) of ``a`` starts."""
    return None if a is None else a.ctypes.data + first * a[0].nbytes


def split_trials(trials: int, threads: int, run) -> None:
    """``run(lo, hi)`` on contiguous trial ranges, one per thread (ctypes
    releases the GIL); each trial's numbers are the same in any split. A
    true return value is the kernel's failed allocation."""
    per = -(-trials // max(1, min(threads, trials)))

    def checked(lo: int) -> None:
        if run(lo, min(lo + per, trials)):
            raise MemoryError("the CPU kernel could not allocate its workspace")

    starts = range(0, trials, per)
    if len(starts) == 1:
        checked(0)
    else:
        with ThreadPoolExecutor(len(starts)) as pool:
            list(pool.map(checked, starts))


def _settings(optimizer) -> tuple[float, float, float]:
    return float(optimizer.learning_rate), float(optimizer.rho), float(optimizer.epsilon)


def train_full(
    layout: Layout, params, grad_acc, delta_acc, x, y, mask, steps: int, optimizer, threads: int, block: int = ROW_BLOCK
) -> None:
    """``steps`` full-batch Adadelta steps of every trial, in place on the
    packed ``(trials, parameters)`` arrays; ``x (T,n,i)``, ``y (T,n,1)``,
    ``mask`` None, ``(n,)`` or ``(T,n)``; trials split over ``threads``;
    a step's passes take ``block`` samples at a time."""
    train = getattr(library(), f"train_{layout.dtype}")
    x, y = (np.ascontiguousarray(a, layout.dtype) for a in (x, y))
    trials, n, inputs = x.shape
    per_trial = mask is not None and np.ndim(mask) == 2
    if mask is not None:
        mask = np.ascontiguousarray(mask, layout.dtype)

    def run(lo: int, hi: int) -> int:
        return train(
            hi - lo, len(layout.sizes) - 2, inputs, layout.width, n, _address(x, lo), _address(y, lo),
            _address(mask, lo if per_trial else 0), n if per_trial else 0,
            *(_address(a, lo) for a in (params, grad_acc, delta_acc)), layout.parameters, int(steps), *_settings(optimizer),
            int(block),
        )  # fmt: skip

    split_trials(trials, threads, run)


def train_batches(
    layout: Layout, params, grad_acc, delta_acc, x, y, batches, masks, optimizer, threads: int, block: int = ROW_BLOCK
) -> None:
    """One Adadelta step per mini-batch: ``batches (T, steps, width)``
    sample indices of each trial, in order, over epochs of ``masks``'
    steps; ``masks (steps_per_epoch, width)`` (shared) or ``(T,
    steps_per_epoch, width)``, 0 where a batch position is padding."""
    train = getattr(library(), f"train_batches_{layout.dtype}")
    x, y = (np.ascontiguousarray(a, layout.dtype) for a in (x, y))
    batches = np.ascontiguousarray(batches, np.int32)
    masks = np.ascontiguousarray(masks, layout.dtype)
    trials, n, inputs = x.shape
    _, steps, width = batches.shape
    per_trial = masks.ndim == 3
    per_epoch = masks.shape[-2]
    if masks.shape[-1] != width or steps % per_epoch or (per_trial and masks.shape[0] != trials):
        raise ValueError(f"batches {batches.shape} and masks {masks.shape} disagree")

    def run(lo: int, hi: int) -> int:
        return train(
            hi - lo, len(layout.sizes) - 2, inputs, layout.width, n, _address(x, lo), _address(y, lo),
            _address(batches, lo), steps, width, _address(masks, lo if per_trial else 0), per_epoch,
            per_epoch * width if per_trial else 0,
            *(_address(a, lo) for a in (params, grad_acc, delta_acc)), layout.parameters, *_settings(optimizer),
            int(block),
        )  # fmt: skip

    split_trials(trials, threads, run)
