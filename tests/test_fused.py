"""The fused gradient kernel (a GPU path of the JAX trainer), run here in
Pallas' interpreter: its gradients are jax.grad's, its settings fail loudly.
End to end through a training job: tests/test_backends.py."""

import importlib.util
import itertools

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


@pytest.fixture
def x64():
    import jax

    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def reference_gradients(variables, x, y, mask):
    """jax.grad of the summed per-trial MSE of a ReLU network written out here."""
    import jax
    import jax.numpy as jnp

    def loss(variables):
        a = x
        for i in range(0, len(variables), 2):
            a = jnp.einsum("tni,tio->tno", a, variables[i]) + variables[i + 1][:, None, :]
            if i < len(variables) - 2:
                a = jnp.maximum(a, 0)
        err = (a[..., 0] - y[..., 0]) ** 2
        weight = jnp.ones_like(err) if mask is None else jnp.broadcast_to(mask, err.shape)
        return jnp.sum(jnp.sum(err * weight, axis=1) / jnp.sum(weight, axis=1))

    return jax.grad(loss)(variables)


@pytest.mark.parametrize("masking", ["none", "batch", "packed"])
@pytest.mark.parametrize("tiling", [(16, 1, 1), (16, 4, 1), (64, 1, 4)], ids=["16x1", "16x4", "64x1"])
def test_fused_gradients_equal_jax_grad_float64(x64, masking, tiling):
    import jax.numpy as jnp

    from empirical_size.engine import fused

    rng = np.random.default_rng(3)
    trials, n, sizes = 3, 70, [3, 16, 16, 16, 1]  # n pads to whole programs; relu kills some units
    variables = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        variables += [jnp.asarray(rng.normal(0, 0.5, (trials, fan_in, fan_out))), jnp.asarray(rng.normal(0, 0.5, (trials, fan_out)))]
    x = jnp.asarray(rng.uniform(-1, 1, (trials, n, 3)))
    y = jnp.asarray(rng.normal(size=(trials, n, 1)))
    mask = {
        "none": None,
        "batch": jnp.asarray((np.arange(n) < 50).astype(float)),  # a short last batch
        "packed": jnp.asarray((np.arange(n)[None] < np.array([[70], [33], [5]])).astype(float)),  # three sizes
    }[masking]
    t = fused.Tiling(*tiling, interpret=True).fit(n)
    got = fused.gradients(variables, fused.prepare(x, y, mask, t.samples), t)
    want = reference_gradients(variables, x, y, mask)
    assert [g.shape for g in got] == [w.shape for w in want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12, atol=1e-14)


def test_fused_kernel_is_off_unless_asked_and_bad_settings_name_the_variable(monkeypatch):
    from empirical_size.engine import fused, path_setting

    def tiling(**environ):
        return fused.Tiling.parse(path_setting.resolve(environ=environ).tiling)

    assert tiling() is None
    assert tiling(EMPIRICAL_SIZE_PATH="fused") == tiling(EMPIRICAL_SIZE_FUSED="1") == fused.Tiling()
    assert tiling(EMPIRICAL_SIZE_PATH="fused:interpret:32,2,8") == fused.Tiling(32, 2, 8, interpret=True)
    assert tiling(EMPIRICAL_SIZE_FUSED="interpret:32,2,8") == fused.Tiling(32, 2, 8, interpret=True)  # the alias
    assert tiling(EMPIRICAL_SIZE_PATH="fused:128,1,4,tf32x3") == fused.Tiling(128, 1, 4, dot="tf32x3")
    assert tiling(EMPIRICAL_SIZE_PATH="jax", EMPIRICAL_SIZE_FUSED="1") is None  # a named path wins over the alias
    for bad in ("48,1,4", "64,0,4", "sixty-four", "64,1", "64,1,4,fp8"):
        with pytest.raises(ValueError, match=f"EMPIRICAL_SIZE_PATH='?fused.*{bad}"):
            tiling(EMPIRICAL_SIZE_PATH=f"fused:{bad}")


def test_tiling_shrinks_to_small_n_but_never_below_a_triton_product():
    from empirical_size.engine.fused import Tiling

    assert Tiling(64, 4, 4).fit(2500) == Tiling(64, 4, 4)
    assert Tiling(64, 4, 4).fit(100) == Tiling(64, 1, 4)  # two tiles of 64 would be mostly padding
    assert Tiling(64, 1, 4).fit(20) == Tiling(32, 1, 4)
    assert Tiling(64, 1, 4).fit(5).block == 16


def test_supported_shapes():
    from empirical_size.engine.fused import supports

    assert supports([3, 64, 64, 64, 64, 1], "float32")
    assert not supports([3, 500, 1], "float32")  # not a power of two
    assert not supports([3] + [64] * 20 + [1], "float32")  # E1's depth: activations would not stay on chip
    assert not supports([3, 64, 2], "float32") and not supports([3, 64, 1], "float16")


def test_a_tiling_too_large_for_the_gpu_says_what_to_set(tmp_path):
    """On a GPU, XLA reports a kernel that asks for more shared memory than
    the chip has (as 128 samples at depth 4 did on an H200); the trainer
    turns that into advice. Simulated here: the kernel raises XLA's error."""
    import subprocess
    import sys

    from conftest import ROOT

    code = """
from empirical_size.engine import backend
backend.select("jax")
import jax, numpy as np
from empirical_size.engine import fused, trainer as trainers
def too_large(*args, **kwargs):
    raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Shared memory size limit exceeded: requested 237568")
fused.gradients = too_large
trainer = trainers.make_trainer([3, 16, 16, 1], 2)
x = trainer.cast(np.zeros((2, 20, 3))); y = trainer.cast(np.zeros((2, 20, 1)))
trainer.train_full(x, y, 1)
"""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), "EMPIRICAL_SIZE_FUSED": "interpret:128,1,4", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode != 0
    assert "RuntimeError: the fused kernel's tiling (fused 128,1,4 (interpreted)) needs more shared memory" in proc.stderr
    assert "set $EMPIRICAL_SIZE_PATH to a smaller block (fused:<block,tiles,warps>" in proc.stderr
