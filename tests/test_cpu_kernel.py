"""The C++ CPU kernel: Keras' arithmetic on any shape, for every
instruction set it is built for, and its fallbacks."""

import logging
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT
from test_engine import PAPER, numpy_adadelta, numpy_adadelta_batches, small_problem

from empirical_size.engine import cpu_kernel

ARCHES = ["native", *cpu_kernel.VARIANTS]


@pytest.fixture(params=ARCHES)
def arch(request):
    """Each build of the kernel this CPU runs; the others are skipped, saying why."""
    reason = cpu_kernel.cannot_run(request.param)
    if reason:
        pytest.skip(reason)
    try:
        cpu_kernel.library(request.param)
    except cpu_kernel.KernelUnavailable as err:  # no compiler, or one that cannot target it
        pytest.skip(str(err))
    return request.param


def trained(sizes, dtype, trials=3, n=41, steps=10, mask=None, threads=1, seed=0, block=cpu_kernel.ROW_BLOCK, arch=None):
    """Weights before and after ``steps`` kernel steps, and the data."""
    _, weights, x, y = small_problem(trials, n, sizes, seed)
    layout = cpu_kernel.Layout(sizes, dtype, arch)
    params = layout.pack([a.astype(dtype) for pair in weights for a in pair])
    grad_acc, delta_acc = np.zeros_like(params), np.zeros_like(params)
    cpu_kernel.train_full(layout, params, grad_acc, delta_acc, x, y, mask, steps, PAPER, threads, block)
    after = layout.unpack(params)
    return weights, [(after[i], after[i + 1]) for i in range(0, len(after), 2)], x, y, layout, params


@pytest.mark.parametrize(
    "sizes",
    [
        (3, 16, 16, 1),  # whole vectors
        (3, 10, 10, 10, 1),  # width padded to a vector: padded units must stay zero
        (2, 13, 13, 1),  # an odd width: padded on every build
        (3, 20, 20, 1),  # 5 float64 vectors of AVX2: whole tiles of 2 vectors and one left over
        (7, 40, 1),  # one hidden layer, a tile and a half of columns
        (1, 64, 64, 64, 64, 1),  # the paper's width, depth 4
        (1, 500, 500, 1),  # E4's width: a layer's weights outgrow a core's L2 cache
    ],
)
@pytest.mark.parametrize("block", [cpu_kernel.ROW_BLOCK, 7], ids=["one-block", "blocks-of-7"])
def test_kernel_steps_are_the_adadelta_formula_float64(sizes, block, arch):
    """n = 41 samples (whole tiles of rows and a remainder on every build)
    in one pass, or in six passes whose gradients add up."""
    weights, got, x, y, layout, params = trained(list(sizes), "float64", block=block, arch=arch)
    for t in range(3):
        want = numpy_adadelta([(k[t], b[t]) for k, b in weights], x[t], y[t], steps=10)
        for (gk, gb), (wk, wb) in zip(got, want):
            np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)
    assert np.abs(got[0][0] - weights[0][0]).max() > 1e-3  # it trained
    # padded units' weights are still exactly zero: repacking changes nothing
    np.testing.assert_array_equal(layout.pack(layout.unpack(params)), params)


@pytest.mark.parametrize("n", [64, 150])
def test_gradients_summed_over_chunks_of_rows_are_the_formula_float64(n, arch):
    """A pass's kernel gradients add up 64 rows at a time (the kernel's
    cache chunks): exactly one chunk, and two and a remainder."""
    weights, got, x, y, *_ = trained([2, 24, 24, 1], "float64", n=n, arch=arch)
    for t in range(3):
        want = numpy_adadelta([(k[t], b[t]) for k, b in weights], x[t], y[t], steps=10)
        for (gk, gb), (wk, wb) in zip(got, want):
            np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)


def test_batches_of_500_at_width_500_are_the_formula_float64(arch):
    """E4's shape on every build: 1,000 points in two shuffled batches of
    500 a step, width 500 (a layer outgrows the first-level cache: the
    products' panels and the gradients' chunks of rows both wrap)."""
    sizes, dtype, n, width = [1, 500, 500, 1], "float64", 1000, 500
    _, weights, x, y = small_problem(1, n, sizes, seed=3)
    batches = np.random.default_rng(4).permutation(n).reshape(1, 2, width).astype(np.int32)
    layout = cpu_kernel.Layout(sizes, dtype, arch)
    params = layout.pack([a for pair in weights for a in pair])
    cpu_kernel.train_batches(layout, params, np.zeros_like(params), np.zeros_like(params), x, y, batches, np.ones((2, width)), PAPER, 1)
    got = layout.unpack(params)
    p = numpy_adadelta_batches([(k[0], b[0]) for k, b in weights], x[0], y[0], batches[0])
    for mine, want in zip(got, p):
        np.testing.assert_allclose(mine[0], want, rtol=1e-10, atol=1e-12)


def test_kernel_float32_follows_the_formula_for_a_few_steps(arch):
    # float32 at learning rate 1 drifts chaotically later; 3 steps stay close
    weights, got, x, y, *_ = trained([3, 64, 64, 1], "float32", steps=3, arch=arch)
    want = numpy_adadelta([(k[1], b[1]) for k, b in weights], x[1], y[1], steps=3)
    for (gk, _), (wk, _) in zip(got, want):
        np.testing.assert_allclose(gk[1], wk, rtol=0, atol=1e-4)
    assert got[0][0].dtype == np.float32


@pytest.mark.parametrize("block", [cpu_kernel.ROW_BLOCK, 8])
def test_masked_trials_train_as_their_real_samples_alone(block, arch):
    n, lengths = 30, [30, 17, 1]
    mask = (np.arange(n)[None, :] < np.array(lengths)[:, None]).astype(float)
    weights, got, x, y, *_ = trained([2, 16, 16, 1], "float64", n=n, mask=mask, block=block, arch=arch)
    for t, m in enumerate(lengths):
        want = numpy_adadelta([(k[t], b[t]) for k, b in weights], x[t, :m], y[t, :m], steps=10)
        for (gk, gb), (wk, wb) in zip(got, want):
            np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)


def test_threads_split_trials_without_changing_a_bit():
    one = trained([3, 16, 16, 1], "float32", trials=5, steps=50, threads=1)[-1]
    three = trained([3, 16, 16, 1], "float32", trials=5, steps=50, threads=3)[-1]
    np.testing.assert_array_equal(one, three)


def test_threads_drawing_their_own_trials_batches_change_no_bit(monkeypatch):
    """The engine's mini-batches on the kernel: each thread draws its own
    trials' shuffles (packed sizes, one epoch a block) and trains them."""
    from empirical_size.engine import kernel_trainer
    from empirical_size.engine.minibatch import BatchPlan, trial_keys
    from empirical_size.engine.trainer import make_trainer

    sizes, weights, x, y = small_problem(trials=5, n=48)
    lengths = np.array([48, 33, 36, 48, 40])  # three batches of 16 an epoch each
    keys = trial_keys([np.random.default_rng(s) for s in range(5)])
    monkeypatch.setattr(kernel_trainer.KernelTrainer, "INDEX_BLOCK", 5 * 3 * 16)
    states = []
    for threads in (1, 4):
        monkeypatch.setattr(kernel_trainer, "cpu_threads", lambda threads=threads: threads)
        trainer = make_trainer(sizes, 5, "float32", PAPER, path="kernel")
        trainer.set_weights(weights)
        trainer.train_batches(trainer.cast(x), trainer.cast(y), BatchPlan(48, 16, "keep"), keys, 0, 6, lengths)
        states.append(trainer.get_state())
        assert trainer.gradient_path == cpu_kernel.NAME
    for one, four in zip(*states, strict=True):
        np.testing.assert_array_equal(one, four)
    assert not np.array_equal(states[0][0], weights[0][0].astype("float32"))  # it trained


def test_without_a_compiler_auto_falls_back_and_a_forced_kernel_fails(monkeypatch):
    from empirical_size.engine.trainer import make_trainer

    def unavailable(arch=None):
        raise cpu_kernel.KernelUnavailable("no C++ compiler found")

    monkeypatch.setattr(cpu_kernel, "library", unavailable)
    with pytest.warns(UserWarning, match="backend's own loop"):
        assert cpu_kernel.choose() is None
    monkeypatch.setenv("EMPIRICAL_SIZE_PATH", "auto")
    with pytest.warns(UserWarning, match="backend's own loop"):
        assert make_trainer([3, 4, 1], 2, "float64").gradient_path != cpu_kernel.NAME
    with pytest.raises(cpu_kernel.KernelUnavailable):
        make_trainer([3, 4, 1], 2, "float64", path="kernel")
    assert not cpu_kernel.available()  # E1's measures fall back to numpy


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    target = tmp_path / "kernel.so"
    with pytest.raises(cpu_kernel.KernelUnavailable, match="could not build"):
        cpu_kernel._build("false", target)  # a "compiler" that always fails
    assert list(tmp_path.iterdir()) == []


def test_a_batch_trains_on_its_real_positions_only(arch):
    """Mini-batch steps: positions a batch mask marks as padding may index
    any sample, and every batch averages over its own real samples."""
    sizes, dtype, trials, n = [3, 16, 16, 1], "float64", 2, 30
    _, weights, x, y = small_problem(trials, n, sizes, seed=1)
    rng = np.random.default_rng(2)
    masks = np.array([[1.0] * 8, [1.0] * 5 + [0.0] * 3])  # an epoch: a full batch, then one of 5
    batches = rng.integers(0, n, (trials, 6, 8)).astype(np.int32)  # three epochs
    layout = cpu_kernel.Layout(sizes, dtype, arch)

    def train(index):
        params = layout.pack([a for pair in weights for a in pair])
        cpu_kernel.train_batches(
            layout, params, np.zeros_like(params), np.zeros_like(params), x, y, index, masks, PAPER, 2
        )
        return params

    other = batches.copy()
    other[:, 1::2, 5:] = (other[:, 1::2, 5:] + 7) % n  # only padding positions differ
    np.testing.assert_array_equal(train(batches), train(other))
    # and it equals one step per batch on just that batch's real samples
    params = layout.pack([a for pair in weights for a in pair])
    state = [params, np.zeros_like(params), np.zeros_like(params)]
    for s in range(6):
        real = int(masks[s % 2].sum())
        one = np.ascontiguousarray(batches[:, s : s + 1, :real])
        cpu_kernel.train_batches(layout, *state, x, y, one, np.ones((1, real)), PAPER, 1)
    np.testing.assert_allclose(train(batches), state[0], rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="disagree"):
        cpu_kernel.train_batches(layout, *state, x, y, batches[:, :5], masks, PAPER, 1)  # 5 steps, epochs of 2


def test_jobs_record_the_compiler_that_built_the_kernel(arch, monkeypatch):
    """For every build this CPU runs: what a job records names the build,
    the instruction set it reports and its flags."""
    from empirical_size.engine import backend

    monkeypatch.setattr(cpu_kernel, "_USED", {})
    cpu_kernel.Layout([3, 8, 1], "float32", arch)  # computing with a build records it
    built = cpu_kernel.built_with()
    lib = cpu_kernel.library(arch)
    assert "-O3" in built and "-ffast-math" not in built
    assert built.startswith(f"{arch} ({lib.target().decode()}, tiles ")  # the variant and the layout it chose
    assert built == cpu_kernel.describe(lib)
    assert backend.versions()["cpu kernel"] == built


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dead_neuron_counts_equal_numpys_on_every_variant(arch, dtype):
    """E1's counts by the kernel's fused pass equal the numpy definition's,
    at a width that is not whole vectors, over 2 row blocks, with NaN rows."""
    from empirical_size.experiments.degenerate.measures import dead_neurons

    rng = np.random.default_rng(3)
    sizes = [3, 13, 13, 13, 1]
    weights = [(rng.normal(size=(2, a, b)).astype(dtype), rng.normal(-0.5, 1.0, size=(2, b)).astype(dtype))
               for a, b in zip(sizes[:-1], sizes[1:])]  # fmt: skip
    x = rng.normal(size=(2, 900, 3)).astype(dtype)
    x[1, 5] = np.nan
    got = cpu_kernel.dead_neurons(weights, x, arch=arch)
    want = dead_neurons(weights, x, kernel=False)
    assert 0 < want.sum() < want.size and got.shape == want.shape == (2, 3, 13)
    np.testing.assert_array_equal(got, want)
    # NaN stays NaN downstream: m = relu(1 - relu(x)) is dead on x = 2, 3 and
    # NaN (were NaN's ReLU 0, m would be 1 on that row, alive)
    one = [(np.ones((1, 1, 1), dtype), np.zeros((1, 1), dtype)), (-np.ones((1, 1, 1), dtype), np.ones((1, 1), dtype)),
           (np.ones((1, 1, 1), dtype), np.zeros((1, 1), dtype))]  # fmt: skip
    rows = np.array([[[2.0], [3.0], [np.nan]]], dtype)
    assert cpu_kernel.dead_neurons(one, rows, arch=arch)[0].tolist() == [[False], [True]]


def test_each_variant_builds_for_its_own_instruction_set(arch):
    """The layout follows what the compiler targets, never one for all."""
    lib = cpu_kernel.library(arch)
    vector_bytes = 8 * lib.vector_lanes_float64()
    target = lib.target().decode()
    expected = {"x86-64-v4": ("avx512", 64), "x86-64-v3": ("avx2+fma", 32), "x86-64-v2": ("sse4.2", 16),
                "x86-64": ("sse2", 16), "armv8-a": ("neon", 16)}  # fmt: skip
    if arch in expected:
        assert (target, vector_bytes) == expected[arch]
        assert f"-march={arch}" in lib.built_with().decode()
    assert lib.tile_rows() * lib.tile_vectors() + lib.tile_vectors() + 1 <= (32 if target in ("avx512", "neon") else 16)


def test_an_unknown_variant_fails_naming_the_setting(monkeypatch):
    from empirical_size.engine.trainer import make_trainer

    monkeypatch.setenv("EMPIRICAL_SIZE_PATH", "kernel:x86-64-v9")
    with pytest.raises(ValueError, match="EMPIRICAL_SIZE_PATH='kernel:x86-64-v9'.*no kernel build"):
        make_trainer([3, 4, 1], 2)
    monkeypatch.delenv("EMPIRICAL_SIZE_PATH")
    monkeypatch.setenv("EMPIRICAL_SIZE_CPU_ARCH", "x86-64-v9")  # the alias
    with pytest.raises(ValueError, match="EMPIRICAL_SIZE_CPU_ARCH.*x86-64-v9"):
        make_trainer([3, 4, 1], 2)


def test_a_variant_this_cpu_lacks_is_refused_naming_what_it_lacks(monkeypatch):
    monkeypatch.setattr(cpu_kernel, "_machine", lambda: "x86_64")
    monkeypatch.setattr(cpu_kernel, "_cpu_flags", lambda: set(cpu_kernel.VARIANTS["x86-64-v3"][1]))  # AVX2, no AVX-512
    assert cpu_kernel.cannot_run("x86-64-v3") is None
    assert "avx512f" in cpu_kernel.cannot_run("x86-64-v4")
    assert "aarch64" in cpu_kernel.cannot_run("armv8-a")
    assert cpu_kernel.runnable_variants() == ["x86-64-v3", "x86-64-v2", "x86-64"]
    monkeypatch.setattr(cpu_kernel, "_LOADED", {})
    with pytest.raises(cpu_kernel.KernelUnavailable, match="avx512f"):
        cpu_kernel.library("x86-64-v4")


@pytest.mark.skipif(cpu_kernel.cannot_run("x86-64") is not None, reason="needs an x86-64 CPU")
def test_auto_trains_with_the_backend_where_a_variant_is_slower(monkeypatch, caplog):
    """An SSE build on a CPU with AVX2 and FMA lost to TensorFlow's graph:
    ``auto`` takes the graph and says so once (not JAX's XLA loop, which it
    beat); ``1`` takes the kernel."""
    monkeypatch.setattr(cpu_kernel, "_cpu_flags", lambda: set(cpu_kernel.VARIANTS["x86-64-v3"][1]))
    monkeypatch.setattr(cpu_kernel, "_TOLD", set())
    monkeypatch.setattr(cpu_kernel, "_USED", {})
    monkeypatch.setenv("EMPIRICAL_SIZE_CPU_ARCH", "x86-64")  # auto's build, by the alias
    with caplog.at_level(logging.WARNING, logger="empirical_size"):
        assert cpu_kernel.choose(arch="x86-64") is None
        assert cpu_kernel.choose(arch="x86-64") is None
    told = [r for r in caplog.records if "slower" in r.getMessage()]
    assert len(told) == 1 and "x86-64" in told[0].getMessage()
    assert cpu_kernel.choose("jax.grad", "x86-64") == "x86-64"  # it beat JAX's XLA loop
    assert cpu_kernel.describe(cpu_kernel.library("x86-64")) not in (cpu_kernel.built_with() or "")  # loaded, not used
    # and TensorFlow's trainer, choosing once, takes its graph
    from empirical_size.engine.trainer import make_trainer

    assert make_trainer([3, 8, 1], 2, "float64").kernel_arch is None
    monkeypatch.setenv("EMPIRICAL_SIZE_PATH", "kernel")  # forced: the alias's build
    assert make_trainer([3, 8, 1], 2, "float64").kernel_arch == "x86-64"
    monkeypatch.setenv("EMPIRICAL_SIZE_PATH", "auto")
    monkeypatch.delenv("EMPIRICAL_SIZE_CPU_ARCH")
    if cpu_kernel.library("native").target().decode() in ("avx2+fma", "avx512"):
        assert cpu_kernel.choose() == "native"  # a build with FMA is kept
        assert make_trainer([3, 8, 1], 2, "float64").kernel_arch == "native"


CROSS = shutil.which("aarch64-linux-gnu-g++")
QEMU = shutil.which("qemu-aarch64")


@pytest.mark.skipif(
    cpu_kernel.cannot_run("armv8-a") is None or not (CROSS and QEMU),
    reason="on an ARM64 CPU the variant tests run natively; elsewhere this needs Debian's g++-aarch64-linux-gnu and qemu-user",
)
def test_the_arm64_build_is_the_adadelta_formula_under_emulation(tmp_path):
    """Correctness of the NEON layout on an x86 machine: the kernel built for
    armv8-a, run by qemu, equals Adadelta by hand in float64."""
    program = tmp_path / "kernel_driver"
    cpu_kernel._build(CROSS, program, arch="armv8-a", source=ROOT / "tests" / "native" / "kernel_driver.cpp", shared=False)

    def run(*args):
        done = subprocess.run([QEMU, "-L", "/usr/aarch64-linux-gnu", str(program), *args], capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return done.stdout.decode()

    lanes, target = run("lanes").split()
    assert (lanes, target) == ("2", "neon")
    trials, n, steps = 2, 43, 10  # 43 = 7 tiles of 6 rows + 1
    for sizes in ([2, 13, 13, 1], [3, 10, 10, 1], [3, 64, 64, 1]):  # 7, 5 (4 + 1) and 32 float64 vectors
        _, weights, x, y = small_problem(trials, n, sizes)
        layout = cpu_kernel.Layout(sizes, "float64", lanes=int(lanes))
        params = layout.pack([a for pair in weights for a in pair])
        header = np.array([trials, len(sizes) - 2, sizes[0], layout.width, n, steps, layout.parameters], np.int32)
        settings = np.array([PAPER.learning_rate, PAPER.rho, PAPER.epsilon])
        state = np.concatenate([params, np.zeros_like(params), np.zeros_like(params)])
        (tmp_path / "in").write_bytes(b"".join(a.tobytes() for a in (header, settings, x, y, state)))
        run(str(tmp_path / "in"), str(tmp_path / "out"))
        after = layout.unpack(np.fromfile(tmp_path / "out").reshape(3 * trials, -1)[:trials])
        got = [(after[i], after[i + 1]) for i in range(0, len(after), 2)]
        for t in range(trials):
            want = numpy_adadelta([(k[t], b[t]) for k, b in weights], x[t], y[t], steps=steps)
            for (gk, gb), (wk, wb) in zip(got, want):
                np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
                np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)
        assert np.abs(got[0][0] - weights[0][0]).max() > 1e-3  # it trained
