"""Choosing the Keras backend before Keras is imported, and describing it.

Keras reads ``KERAS_BACKEND`` once, at import. Every entry point that trains
calls :func:`select` first; importing :mod:`empirical_size.engine.keras_trainer` before that
uses whatever backend the environment names (TensorFlow if none). Selecting
imports nothing: a job on the CPU kernel's path never imports TensorFlow,
Keras or JAX (:func:`empirical_size.engine.trainer.make_trainer`); a Keras path
imports them through :func:`import_keras`.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

BACKENDS = ("tensorflow", "jax")
DTYPES = ("float32", "float64")
# How float32 matrix products are computed on GPUs that offer a choice
# (NVIDIA Ampere and later); CPUs always compute in float32. JAX and
# TensorFlow default to TensorFloat-32 there (10-bit mantissa inputs); the
# paper's 2017 hardware had only true float32, our default.
MATMUL_PRECISIONS = ("float32", "tensorfloat32")


def select(backend: str, dtype: str = "float32", threads: int | None = None, matmul_precision: str = "float32") -> None:
    """Point Keras at ``backend``; must run before ``import keras``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    set_matmul_precision(matmul_precision)
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != backend:
            raise RuntimeError(
                f"Keras was already imported with backend {keras.backend.backend()!r};"
                f" cannot switch to {backend!r} in the same process"
            )
    os.environ["KERAS_BACKEND"] = backend
    global _QUIET_TENSORFLOW
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:  # the user's level, where set, is theirs (a second call sees ours)
        _QUIET_TENSORFLOW = True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if backend == "jax" and dtype == "float64":
        # JAX silently truncates float64 to float32 unless x64 is enabled.
        os.environ["JAX_ENABLE_X64"] = "1"
        if "jax" in sys.modules:
            import jax

            jax.config.update("jax_enable_x64", True)
    # TensorFlow: one thread per op, ``threads`` ops at once (the engine's
    # lanes of trials, see steps.TensorFlowSteps); all cores by default.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ["TF_NUM_INTEROP_THREADS"] = str(threads or os.environ.get("TF_NUM_INTEROP_THREADS") or os.cpu_count() or 1)


_QUIET_TENSORFLOW = False  # select() found no TF_CPP_MIN_LOG_LEVEL of the user's


def import_keras():
    """Keras, for the backend :func:`select` chose (TensorFlow imported
    first with its start-up banner quieted, unless the user set its log level)."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow" and _QUIET_TENSORFLOW and "tensorflow" not in sys.modules:
        import_tensorflow_quietly()
    import keras

    return keras


def cpu_threads() -> int:
    """Cores a job's CPU work may use side by side: TensorFlow's inter-op
    threads where TensorFlow is loaded (its config), else the environment
    variable ``select`` sets from the job's ``threads``, else one per core."""
    configured = 0
    if "tensorflow" in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf

        configured = tf.config.threading.get_inter_op_parallelism_threads()
    return configured or int(os.environ.get("TF_NUM_INTEROP_THREADS") or 0) or os.cpu_count() or 1


# What TensorFlow's C++ start-up writes to stderr before it reads its log
# level (TensorFlow 2.21 logs through absl: TF_CPP_MIN_LOG_LEVEL does not
# reach these), on every job's log.
_BANNER = ("All log messages before absl::InitializeLog()", "oneDNN custom operations are on", "cpu_feature_guard.cc", "To enable the following instructions")


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up notices left out of stderr;
    every other line it writes there is passed on."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines(keepends=True):
                if not any(b in line for b in _BANNER):
                    sys.stderr.write(line)
            sys.stderr.flush()


def set_matmul_precision(precision: str) -> None:
    """Use ``precision`` for float32 matrix products in trainers made from now on."""
    if precision not in MATMUL_PRECISIONS:
        raise ValueError(f"matmul_precision must be one of {MATMUL_PRECISIONS}, got {precision!r}")
    os.environ["EMPIRICAL_SIZE_MATMUL_PRECISION"] = precision
    os.environ["JAX_DEFAULT_MATMUL_PRECISION"] = precision  # read by JAX at import


def matmul_precision() -> str:
    return os.environ.get("EMPIRICAL_SIZE_MATMUL_PRECISION", "float32")


def versions() -> dict[str, str]:
    """Versions of the packages that can change a result."""
    out = {"python": platform.python_version()}
    for pkg in ("empirical-size", "keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "numpy", "xarray"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    kernel = sys.modules.get("empirical_size.engine.cpu_kernel")
    if kernel is not None and kernel.built_with():
        out["cpu kernel"] = kernel.built_with()
    return out


def host_cpu() -> str:
    """This machine's CPU, in words."""
    return f"cpu:{platform.processor() or platform.machine()} x{os.cpu_count()}"


def device() -> str:
    """The device the current Keras backend computes on, in words; the host
    CPU where no Keras was imported (the CPU kernel's jobs)."""
    if "keras" not in sys.modules:
        return host_cpu()
    import keras

    name = keras.backend.backend()
    if name == "jax":
        import jax

        d = jax.devices()[0]
        return f"jax:{d.platform}:{getattr(d, 'device_kind', d)}"
    if name == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            return f"tensorflow:gpu:{details.get('device_name', gpus[0].name)}"
        return f"tensorflow:{host_cpu()}"
    return name


def available_memory() -> float | None:
    """Bytes a job may use on its device: $EMPIRICAL_SIZE_MEMORY_LIMIT if set,
    else the GPU's limit (JAX) or the machine's available memory; None if unknown."""
    if os.environ.get("EMPIRICAL_SIZE_MEMORY_LIMIT"):
        return float(os.environ["EMPIRICAL_SIZE_MEMORY_LIMIT"])
    keras = sys.modules.get("keras")  # no Keras: the CPU kernel's job, on this machine's memory
    if keras is None:
        pass
    elif keras.backend.backend() == "jax":
        import jax

        d = jax.devices()[0]
        if d.platform != "cpu":
            stats = d.memory_stats() or {}
            if "bytes_limit" in stats:
                return float(stats["bytes_limit"])
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return None  # TensorFlow tells a GPU's size only after allocating
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None
