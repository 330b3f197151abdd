"""TensorFlow and JAX train the same trial to the same numbers (float64)."""

import importlib.util
import json

import numpy as np
import pytest
import xarray as xr
from conftest import train_job

SPEC = {"depth": 2, "n": 40, "first_trial": 1, "trials": 2, "epochs": 60, "record_every": 20, "width": 16, "dtype": "float64"}


def train(backend, out, spec=SPEC, **env_vars):
    return train_job(spec, out, backend, **env_vars)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """``job(backend, spec, **env)``: the modules a job's process imported and
    its data set. Each (backend, spec, settings) trains once for the module:
    the tests below compare the same runs in several pairs (a job's numbers
    are the same on a rerun, tested apart)."""
    done = {}

    def run(backend, spec, **env_vars):
        key = (backend, json.dumps(spec, sort_keys=True), tuple(sorted(env_vars.items())))
        if key not in done:
            out = tmp_path_factory.mktemp("job") / "job.nc"
            done[key] = imported_by_job(spec, out, backend, **env_vars), xr.load_dataset(out)
        return done[key]

    return run


PACKED = {k: v for k, v in SPEC.items() if k != "n"} | {"ns": [20, 40]}
SHUFFLED = {**SPEC, "n": 45, "batch_size": 16, "batch_mode": "resample"}
PACKED_SHUFFLED = {**PACKED, "ns": [33, 45], "batch_size": 16, "batch_mode": "keep"}  # 3 steps an epoch each


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
@pytest.mark.parametrize(
    "spec", [SPEC, PACKED, SHUFFLED, PACKED_SHUFFLED], ids=["full-batch", "packed", "mini-batch", "packed-mini-batch"]
)
def test_tensorflow_and_jax_give_the_same_trial(job, spec):
    """Also the shuffles, drawn on the device by each backend's own ops:
    JAX's XLA loop (a GPU's path) against TensorFlow's graph."""
    _, tf = job("tensorflow", spec, EMPIRICAL_SIZE_PATH="graph")
    _, jx = job("jax", spec, EMPIRICAL_SIZE_PATH="jax")
    assert tf.attrs["backend"] == "tensorflow" and jx.attrs["backend"] == "jax"
    assert (tf.attrs["gradients"], jx.attrs["gradients"]) == ("tensorflow graph", "jax.grad")
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(tf[var].values, jx[var].values, rtol=1e-9, atol=0)


# Run as the workflow runs a job, reporting which backends its process imported.
IMPORTED = (
    "import atexit, json, runpy, sys;"
    " atexit.register(lambda: print(json.dumps([m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules])));"
    " sys.argv = ['empirical_size', *sys.argv[1:]]; runpy.run_module('empirical_size', run_name='__main__')"
)


def imported_by_job(spec, out, backend="tensorflow", **env_vars) -> list[str]:
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env_vars}
    env.pop("KERAS_BACKEND", None)
    command = ["train", "--job", "size", "--backend", backend, "--spec", json.dumps(spec), "--out", str(out)]
    proc = subprocess.run([sys.executable, "-c", IMPORTED, *command], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@pytest.mark.parametrize("spec", [SPEC, PACKED_SHUFFLED], ids=["full-batch", "packed-mini-batch"])
def test_a_cpu_kernel_job_imports_no_backend_and_equals_keras(job, spec, backend):
    """On a CPU, ``auto`` trains by the kernel whichever backend is named,
    in a process without TensorFlow, Keras or JAX; its file equals the same
    job's through Keras' loop (TensorFlow's graph; JAX's XLA loop)."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    imported, kernel = job(backend, spec)
    assert imported == []
    own = "graph" if backend == "tensorflow" else "jax"
    imported, keras = job(backend, spec, EMPIRICAL_SIZE_PATH=own)
    assert {"keras", backend} <= set(imported)
    assert (kernel.attrs["gradients"], kernel.attrs["backend"]) == ("cpu kernel", "numpy")
    assert keras.attrs["gradients"] == {"graph": "tensorflow graph", "jax": "jax.grad"}[own]
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(kernel[var].values, keras[var].values, rtol=1e-9, atol=0)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
@pytest.mark.parametrize(
    "spec", [SPEC, PACKED, SHUFFLED, PACKED_SHUFFLED], ids=["full-batch", "packed", "mini-batch", "packed-mini-batch"]
)
def test_the_fused_gpu_kernel_trains_the_same_trial(job, spec):
    """The JAX trainer's fused kernel (a GPU's path), run in Pallas'
    interpreter here: tiles of 16 samples, two a program, so n = 40 pads to
    64 and sums two tiles on chip; the CPU kernel's trial is the reference.
    Asked for by the path's option; its alias, on ``auto``, the same."""
    _, kernel = job("tensorflow", spec)
    _, fused = job("jax", spec, EMPIRICAL_SIZE_PATH="fused:interpret:16,2,1")
    assert fused.attrs["gradients"] == "fused 16,2,1 (interpreted)"
    assert kernel.attrs["gradients"] == "cpu kernel"
    for var in ("mse", "size", "sum_y2"):
        np.testing.assert_allclose(kernel[var].values, fused[var].values, rtol=1e-9, atol=0)
    if spec is SPEC:
        _, alias = job("jax", spec, EMPIRICAL_SIZE_FUSED="interpret:16,2,1")
        assert alias.attrs["gradients"] == fused.attrs["gradients"]
        np.testing.assert_array_equal(alias.mse.values, fused.mse.values)


def test_a_rerun_of_a_job_gives_identical_numbers(tmp_path):
    spec = {**SPEC, "dtype": "float32", "epochs": 40}
    a = train("tensorflow", tmp_path / "a.nc", spec)
    b = train("tensorflow", tmp_path / "b.nc", spec)
    np.testing.assert_array_equal(a.mse.values, b.mse.values)
    np.testing.assert_array_equal(a["size"].values, b["size"].values)
