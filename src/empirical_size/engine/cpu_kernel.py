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

The kernel is compiled on first use with the C++ compiler ``$CXX`` names,
else ``c++``/``g++``/``clang++`` (C++20), for the host CPU
(``-march=native``) or, with ``EMPIRICAL_SIZE_PATH=kernel:<arch>``, for a
lesser instruction set the CPU runs (:data:`VARIANTS`); its vector width and
register tiles follow the target (``cpu_kernel.cpp``). Builds are cached
under ``$EMPIRICAL_SIZE_CACHE`` (default ``~/.cache/empirical-size``), keyed
by the source, the compiler, the variant and, for ``native``, the CPU.
:mod:`empirical_size.engine.path_setting` says when it trains (:func:`choose` decides
``auto``); :class:`empirical_size.engine.kernel_trainer.KernelTrainer` trains with
it, and E1's dead-neuron counts use it (:func:`dead_neurons`).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import subprocess
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import path_setting
from .path_setting import find_compiler  # here too for the kernel's users

SOURCE = Path(__file__).with_name("cpu_kernel.cpp")
# no -ffast-math: Keras' rounding; -ffp-contract=fast (GCC's own default) on
# every compiler, so a variant's numbers do not depend on which one built it
FLAGS = ["-O3", "-std=c++20", "-fno-math-errno", "-ffp-contract=fast", "-shared", "-fPIC"]
NAME = "cpu kernel"  # the gradient path jobs record
log = logging.getLogger("empirical_size")
# Samples a step's forward and backward passes take at a time: 512 x 64
# units x (depth + 2) float32 buffers stay in a core's 2 MB L2 cache.
ROW_BLOCK = 512

# The instruction sets the kernel can be built for besides ``native``
# (``-march`` names), each with the CPU flags (/proc/cpuinfo) it needs:
# x86-64 is the floor (SSE2), v2 adds SSE4.2, v3 AVX2 + FMA, v4 AVX-512.
_V2 = frozenset({"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"})
_V3 = _V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
VARIANTS = {
    "x86-64-v4": ("x86_64", _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    "x86-64-v3": ("x86_64", _V3),
    "x86-64-v2": ("x86_64", _V2),
    "x86-64": ("x86_64", frozenset()),
    "armv8-a": ("aarch64", frozenset()),  # NEON
}


class KernelUnavailable(RuntimeError):
    """The kernel could not be built or loaded here."""


def _machine() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def slower_than_own_loop(arch: str, own_loop: str = "tensorflow") -> str | None:
    """Why the kernel built for ``arch`` trains slower on this CPU than the
    backend's own loop (``tensorflow``'s graph or ``jax.grad``'s XLA loop),
    or None. Measured (``python -m empirical_size.tools.bench``, benchmarks/README.md,
    AMD Zen 3): a build without FMA (the SSE variants, 16-byte vectors) on a
    CPU with AVX2 and FMA, whose full width TensorFlow's oneDNN uses, ran at
    0.5x-0.9x TensorFlow's graph at n >= 500 (1.3x-1.7x at n = 20, where the
    graph's per-op cost dominates; the graph is taken at every n, so never
    slower than it), yet 1.3x JAX's XLA loop at n = 500; every build that
    uses the CPU's FMA beat both, 2x-5x."""
    target = library(arch).target().decode()
    if own_loop == "tensorflow" and target.startswith("sse") and {"avx2", "fma"} <= _cpu_flags():
        return f"its {target} vectors have no FMA, and TensorFlow's graph uses this CPU's AVX2 and FMA"
    return None


def cannot_run(arch: str) -> str | None:
    """Why this CPU cannot run the kernel built for ``arch``, or None."""
    if arch == "native":
        return None
    machine, needs = VARIANTS[arch]
    if _machine() != machine:
        return f"{arch} is for {machine} CPUs, this one is {_machine()}"
    if needs and not _cpu_flags():
        return f"cannot read this CPU's flags to tell whether it runs {arch}"
    missing = sorted(needs - _cpu_flags())
    return f"this CPU lacks {', '.join(missing)}, which {arch} needs" if missing else None


def runnable_variants() -> list[str]:
    """The named variants this CPU runs, widest first."""
    return [arch for arch in VARIANTS if cannot_run(arch) is None]


def require(arch: str) -> str:
    """``arch``, once its build is loaded (raises KernelUnavailable)."""
    library(arch)
    return arch


def choose(own_loop: str = "tensorflow", arch: str = "native") -> str | None:
    """``auto``'s choice on a CPU: ``arch`` where its build builds and runs
    here and is not slower here than the backend's own loop, ``own_loop``
    (:func:`slower_than_own_loop`); else None (that loop), saying why once."""
    try:
        library(arch)
    except KernelUnavailable as err:
        warnings.warn(f"{err}; training with the backend's own loop instead (set EMPIRICAL_SIZE_PATH=own to silence)", stacklevel=2)
        return None
    reason = slower_than_own_loop(arch, own_loop)
    if reason:
        if arch not in _TOLD:
            _TOLD.add(arch)
            log.warning(
                "the CPU kernel built for %s is slower on this CPU than the backend's own loop (%s); training with the"
                " backend's own loop (set EMPIRICAL_SIZE_PATH=kernel:%s to use the kernel anyway)", arch, reason, arch,
            )  # fmt: skip
        return None
    return arch


_TOLD: set[str] = set()  # variants whose fallback the log has told


def available(arch: str | None = None) -> bool:
    """Whether the kernel for ``arch`` builds and runs here, quietly (for
    measures, which fall back to numpy), unless the training path names a
    Keras loop (``EMPIRICAL_SIZE_PATH=graph``...)."""
    if not path_setting.resolve().kernel_allowed:
        return False
    try:
        library(arch)
    except KernelUnavailable:
        return False
    return True


def _compiler() -> str:
    path = find_compiler()
    if path is None:
        raise KernelUnavailable("no C++ compiler found (set CXX, or install g++)")
    return path


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


def arch_flags(arch: str) -> list[list[str]]:
    """The ``-march`` flags to try for ``arch``, in order."""
    if arch == "native":  # some ARM compilers want -mcpu; else the compiler's default target
        return [["-march=native"], ["-mcpu=native"], []]
    return [[f"-march={arch}"]]


def _build(compiler: str, target: Path, version: str = "", arch: str = "native", source: Path = SOURCE, shared=True) -> None:
    """Compile ``source`` for ``arch`` into ``target`` (a shared library, or
    with ``shared=False`` a program), written whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = FLAGS if shared else [f for f in FLAGS if f not in ("-shared", "-fPIC")]
    errors = []
    for march in arch_flags(arch):
        fd, tmp = tempfile.mkstemp(suffix=target.suffix, dir=target.parent)
        os.close(fd)
        built_with = " ".join([version or Path(compiler).name, *flags, *march]).translate(
            {ord('"'): None, ord("\\"): None}
        )
        command = [compiler, *flags, *march, f'-DEMPIRICAL_SIZE_BUILD="{built_with}"', str(source), "-o", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            os.replace(tmp, target)  # atomic: jobs building at once never load half a file
            return
        os.unlink(tmp)
        errors.append(done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"])
    raise KernelUnavailable(f"{compiler} could not build {source.name} for {arch}: {errors[-1][0]}")


def build_key(compiler: str, version: str, arch: str, *sources: Path) -> str:
    """Cache key of a build: its sources, flags, compiler, target and, for
    ``native``, this CPU."""
    cpu = _cpu_identity() if arch == "native" else arch
    return hashlib.sha256("\0".join([*(p.read_text() for p in sources), *FLAGS, version, cpu]).encode()).hexdigest()[:16]


def compiler_version(compiler: str) -> str:
    return subprocess.run([compiler, "--version"], capture_output=True, text=True, check=False).stdout.strip()


_LOADED: dict[str, ctypes.CDLL] = {}  # by arch: the builds this process loaded
_USED: dict[str, ctypes.CDLL] = {}  # those it computed with (a Layout was made for them)
_BUILDING = threading.Lock()


def library(arch: str | None = None) -> ctypes.CDLL:
    """The compiled kernel for ``arch`` (default: the training path's,
    :func:`empirical_size.engine.path_setting.resolve`), built on first use (raises
    KernelUnavailable, also when this CPU cannot run ``arch``)."""
    arch = arch or path_setting.resolve().arch
    with _BUILDING:
        if arch not in _LOADED:
            _LOADED[arch] = _load(arch)
        return _LOADED[arch]


def _load(arch: str) -> ctypes.CDLL:
    if arch != "native" and arch not in VARIANTS:
        raise ValueError(f"unknown CPU kernel variant {arch!r}; known: native, {', '.join(VARIANTS)}")
    reason = cannot_run(arch)
    if reason:
        raise KernelUnavailable(f"the CPU kernel built for {arch} cannot run here: {reason}")
    compiler = _compiler()
    version = compiler_version(compiler)
    target = _cache_dir() / f"cpu_kernel-{arch}-{build_key(compiler, version, arch, SOURCE)}.so"
    if not target.exists():
        try:
            _build(compiler, target, version.splitlines()[0] if version else "", arch)
        except OSError as err:
            raise KernelUnavailable(f"cannot build the CPU kernel in {target.parent}: {err}") from err
    lib = ctypes.CDLL(str(target))
    pointer, i32, f64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    for dtype in ("float32", "float64"):
        train = getattr(lib, f"train_{dtype}")
        train.argtypes = [i32] * 5 + [pointer] * 3 + [i32] + [pointer] * 3 + [ctypes.c_long, i32, f64, f64, f64, f64, i32]
        batches = getattr(lib, f"train_batches_{dtype}")
        batches.argtypes = (
            [i32] * 5
            + [pointer] * 3
            + [i32] * 2
            + [pointer]
            + [i32] * 2
            + [pointer] * 3
            + [ctypes.c_long, f64, f64, f64, f64, i32]
        )
        update = getattr(lib, f"adadelta_{dtype}")
        update.argtypes = [pointer] * 4 + [ctypes.c_long, f64, f64, f64, f64]
        update.restype = i32
        alive = getattr(lib, f"alive_{dtype}")
        alive.argtypes = [i32] * 5 + [pointer] * 2 + [ctypes.c_long, pointer, i32]
        train.restype = batches.restype = alive.restype = i32
        getattr(lib, f"vector_lanes_{dtype}").restype = i32
    lib.built_with.restype = lib.target.restype = ctypes.c_char_p
    lib.arch = arch
    return lib


def describe(lib: ctypes.CDLL) -> str:
    """A build in words: what it was asked for, the layout it chose, and the
    compiler and flags (jobs record it)."""
    return f"{lib.arch} ({lib.target().decode()}, tiles {lib.tile_rows()}x{lib.tile_vectors()}): {lib.built_with().decode()}"


def built_with() -> str | None:
    """The kernel builds this process computed with, if any, described (not
    those only loaded to decide, as a variant ``auto`` turned down)."""
    return "; ".join(describe(lib) for lib in _USED.values()) or None


class Layout:
    """Per-trial parameter vectors for the kernel, from Keras' per-layer
    ``(trials, fan_in, fan_out)`` kernels and ``(trials, fan_out)`` biases,
    the hidden width padded with units whose weights are zero (they stay
    zero: their activations, and so their gradients, are exactly zero).
    It trains with the kernel built for ``arch`` (default: the setting's);
    given only ``lanes``, it lays out for a build this process cannot load
    (another CPU's) and cannot train."""

    def __init__(self, sizes, dtype: str, arch: str | None = None, lanes: int | None = None):
        self.sizes, self.dtype = list(sizes), dtype
        self.library = None if lanes else library(arch)
        if self.library is not None:
            _USED[self.library.arch] = self.library
        lanes = lanes or getattr(self.library, f"vector_lanes_{dtype}")()
        self.width = -(-max(self.sizes[1:-1]) // lanes) * lanes
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


def _settings(optimizer) -> tuple[float, float, float, float]:
    """``(learning_rate, rho, epsilon)`` of an
    :class:`empirical_size.engine.trainer.AdadeltaSettings` as Keras' update applies
    them, and the loss scale the gradients are multiplied by."""
    return (*optimizer.as_keras_applies(), float(optimizer.loss_scale))


def train_full(
    layout: Layout, params, grad_acc, delta_acc, x, y, mask, steps: int, optimizer, threads: int, block: int = ROW_BLOCK
) -> None:
    """``steps`` full-batch Adadelta steps of every trial, in place on the
    packed ``(trials, parameters)`` arrays; ``x (T,n,i)``, ``y (T,n,1)``,
    ``mask`` None, ``(n,)`` or ``(T,n)``; trials split over ``threads``;
    a step's passes take ``block`` samples at a time."""
    train = getattr(layout.library, f"train_{layout.dtype}")
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
    train = getattr(layout.library, f"train_batches_{layout.dtype}")
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


def adadelta(lib, weights, grad_acc, delta_acc, gradients, optimizer) -> None:
    """One Adadelta update of contiguous arrays in place (the kernel's own
    arithmetic, vectorised), for trainers that take their products elsewhere."""
    update = getattr(lib, f"adadelta_{weights.dtype}")
    if update(*(_address(a, 0) for a in (weights, grad_acc, delta_acc, gradients)), weights.size, *_settings(optimizer)):
        raise MemoryError("the CPU kernel ran out of memory")


def dead_neurons(weights, x: np.ndarray, threads: int = 1, arch: str | None = None, block: int = ROW_BLOCK) -> np.ndarray:
    """:func:`empirical_size.experiments.degenerate.measures.dead_neurons` by the kernel: ``(trials,
    hidden_layers, width)``, True where a hidden unit's pre-activation is
    ``<= 0`` on every row of ``x (trials, n, inputs)`` (NaN rows count for
    nothing and stay NaN downstream, as in numpy); one pass of the forward
    products (NaN-keeping ReLU in the tiles), each unit's largest output kept
    as it goes. One difference from numpy: where the width is not whole
    vectors, an infinite activation makes the padded units NaN (inf x 0) and
    so the rest of its row, which then counts for nothing (an overflowed
    network; E1's width 64 is whole vectors on every build)."""
    kernels = [k for k, _ in weights]
    dtype = np.result_type(x, *(a for pair in weights for a in pair)).name
    sizes = [kernels[0].shape[1], *(k.shape[2] for k in kernels)]
    if np.ndim(x) != 3 or x.shape[2] != sizes[0] or any(a.shape[0] != x.shape[0] for pair in weights for a in pair):
        raise ValueError(f"inputs {np.shape(x)} do not fit weights of {x.shape[0] if np.ndim(x) else '?'} trials and layer sizes {sizes}")
    layout = Layout(sizes, dtype, arch)
    params = layout.pack([np.asarray(a, dtype) for pair in weights for a in pair])
    x = np.ascontiguousarray(x, dtype)
    trials, n, inputs = x.shape
    depth = len(sizes) - 2
    live = np.zeros((trials, depth, layout.width), np.uint8)
    run = getattr(layout.library, f"alive_{dtype}")
    split_trials(
        trials, threads,
        lambda lo, hi: run(hi - lo, depth, inputs, layout.width, n, _address(x, lo), _address(params, lo), layout.parameters,
                           _address(live, lo), int(block)),
    )  # fmt: skip
    return live[:, :, : sizes[1]] == 0
