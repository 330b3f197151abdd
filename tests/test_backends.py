"""TensorFlow and JAX train the same trial to the same numbers (float64)."""

import importlib.util

import numpy as np
import pytest
from conftest import train_job

SPEC = {"depth": 2, "n": 40, "first_trial": 1, "trials": 2, "epochs": 60, "record_every": 20, "width": 16, "dtype": "float64"}


def train(backend, out, spec=SPEC, **env_vars):
    return train_job(spec, out, backend, **env_vars)


PACKED = {k: v for k, v in SPEC.items() if k != "n"} | {"ns": [20, 40]}
SHUFFLED = {**SPEC, "n": 45, "batch_size": 16, "batch_mode": "resample"}
PACKED_SHUFFLED = {**PACKED, "ns": [33, 45], "batch_size": 16, "batch_mode": "keep"}  # 3 steps an epoch each


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
@pytest.mark.parametrize(
    "spec", [SPEC, PACKED, SHUFFLED, PACKED_SHUFFLED], ids=["full-batch", "packed", "mini-batch", "packed-mini-batch"]
)
def test_tensorflow_and_jax_give_the_same_trial(tmp_path, spec):
    """Also the shuffles, drawn on the device by JAX's own ops: its XLA loop
    (a GPU's path; on this CPU only with the CPU kernel off) against
    TensorFlow's trainer (the CPU kernel)."""
    tf = train("tensorflow", tmp_path / "tf.nc", spec)
    jx = train("jax", tmp_path / "jax.nc", spec, EMPIRICAL_SIZE_CPU_KERNEL="0")
    assert tf.attrs["backend"] == "tensorflow" and jx.attrs["backend"] == "jax"
    assert (tf.attrs["gradients"], jx.attrs["gradients"]) == ("cpu kernel", "jax.grad")
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(tf[var].values, jx[var].values, rtol=1e-9, atol=0)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
@pytest.mark.parametrize("spec", [SPEC, PACKED_SHUFFLED], ids=["full-batch", "packed-mini-batch"])
def test_jax_on_a_cpu_trains_with_the_cpu_kernel(tmp_path, spec):
    """JAX's trainer hands its weights and Adadelta accumulators to the
    kernel and back between records, and evaluates in JAX: the same trial
    as JAX's XLA loop."""
    kernel = train("jax", tmp_path / "kernel.nc", spec)
    xla = train("jax", tmp_path / "xla.nc", spec, EMPIRICAL_SIZE_CPU_KERNEL="0")
    assert (kernel.attrs["gradients"], xla.attrs["gradients"]) == ("cpu kernel", "jax.grad")
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(kernel[var].values, xla[var].values, rtol=1e-9, atol=0)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
@pytest.mark.parametrize(
    "spec", [SPEC, PACKED, SHUFFLED, PACKED_SHUFFLED], ids=["full-batch", "packed", "mini-batch", "packed-mini-batch"]
)
def test_the_fused_gpu_kernel_trains_the_same_trial(tmp_path, spec):
    """The JAX trainer's fused kernel (a GPU's path), run in Pallas'
    interpreter here: tiles of 16 samples, two a program, so n = 40 pads to
    64 and sums two tiles on chip; TensorFlow's trial is the reference."""
    tf = train("tensorflow", tmp_path / "tf.nc", spec)
    fused = train("jax", tmp_path / "fused.nc", spec, EMPIRICAL_SIZE_FUSED="interpret:16,2,1")
    assert fused.attrs["gradients"] == "fused 16,2,1 (interpreted)"
    assert tf.attrs["gradients"] == "cpu kernel"  # TensorFlow's trainer, on a CPU
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(tf[var].values, fused[var].values, rtol=1e-9, atol=0)


def test_a_rerun_of_a_job_gives_identical_numbers(tmp_path):
    spec = {**SPEC, "dtype": "float32", "epochs": 40}
    a = train("tensorflow", tmp_path / "a.nc", spec)
    b = train("tensorflow", tmp_path / "b.nc", spec)
    np.testing.assert_array_equal(a.mse.values, b.mse.values)
    np.testing.assert_array_equal(a["size"].values, b["size"].values)
