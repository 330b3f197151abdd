"""Benchmark: our engine against plain per-trial Keras, and against the
machine's matrix-multiply rate, in one run on one machine and backend.

    python -m empirical_size.tools.bench                      # E2 shapes, default backend
    python -m empirical_size.tools.bench --backend jax        # JAX (GPU if present)
    python -m empirical_size.tools.bench --quick              # a smoke run in seconds
    python -m empirical_size.tools.bench --shapes paper       # E2's, E3's, E4's, E5's and E8's shapes

For each shape (E2's: each depth and n of ``--depths`` and ``--sizes``,
full batch; with ``--shapes paper`` each experiment's network, data size
and batches) it measures trial-epochs per second of
- the baseline: one ``keras.Sequential`` per trial, ``model.fit`` with the
  shape's batches and a callback recording MSE and size every ``record_every``
  epochs, as a Keras user would write it (steady state, after a warm-up fit);
- the engine: a chunk of trials in one compiled loop; on a
  CPU, each way it can train side by side: the backend's own loop
  (TensorFlow's graph, JAX's XLA loop), the C++ kernel built for this
  CPU (``native``) and for each lesser instruction set it runs
  (``EMPIRICAL_SIZE_PATH=kernel:<arch>``) and the BLAS trainer of wide
  networks (``blas``), each path's start-up first (a fresh process's start
  to its first step), the path ``auto`` takes there marked ``<- auto``;
and prints the ratio, the engine's GFLOP/s (6 x parameters x n flops per
trial-epoch) as a fraction of the measured float32 matmul rate (and, for a
kernel variant, of OpenBLAS's at that instruction set), its speed against
the backend's own loop, peak memory and the device. ``--check`` first verifies, in float64 on a short run, that
the engine's trial equals the baseline's.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from typing import NamedTuple

PARTS = ("E2 packed", "E2 unpacked", "E3 mini-batch", "E3 packed")  # of --estimate


class Shape(NamedTuple):
    """A shape the pipeline trains: ``batch`` None is full batch."""

    name: str
    depth: int
    width: int
    inputs: int
    n: int
    batch: int | None
    trials: int


# The paper's shapes, each in a chunk of trials as its jobs train them on a CPU.
PAPER_SHAPES = (
    Shape("E2", 4, 64, 3, 2500, None, 16),  # Figure 1's largest n, deepest network
    Shape("E3", 4, 64, 3, 1300, 256, 16),  # Figure 2: batches of 256 and a remainder of 20
    Shape("E4", 4, 500, 1, 1000, 500, 4),  # Figure 3: 4 x 500, two batches of 500
    Shape("E5", 4, 32, 1, 64, None, 16),  # Figures 4 and 5
    Shape("E8", 4, 128, 1, 64, None, 16),  # E8's wide network
    Shape("E8 500", 4, 500, 1, 64, None, 4),  # E8 (and E6) at E4's width
)


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m empirical_size.tools.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=("tensorflow", "jax"), default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    p.add_argument("--depths", type=int, nargs="+", default=[2, 4])
    p.add_argument("--sizes", type=int, nargs="+", default=[20, 500, 2500])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--inputs", type=int, default=3)
    p.add_argument("--trials", type=int, default=128, help="engine chunk (the pipeline's trials_per_job)")
    p.add_argument("--record-every", type=int, default=500)
    p.add_argument("--seconds", type=float, default=3.0, help="target seconds per timed measurement")
    p.add_argument("--baseline-trials", type=int, default=2, help="trials timed for the baseline (it is per trial)")
    p.add_argument("--no-check", dest="check", action="store_false", help="skip the float64 equality check")
    p.add_argument("--quick", action="store_true", help="tiny shapes and short timings (smoke test)")
    p.add_argument("--shapes", choices=("e2", "paper"), default="e2", help="e2: --depths x --sizes at --width (full batch); paper: each experiment's shape")
    p.add_argument(
        "--precision", nargs="+", default=["float32"], choices=("float32", "tensorfloat32"),
        help="float32 matmul precision(s) of the engine (tensorfloat32 differs only on NVIDIA Ampere and later GPUs)",
    )
    p.add_argument("--estimate", metavar="CONFIG", help="also estimate the device time of CONFIG's E2 and E3 (e.g. config/paper.yaml)")
    p.add_argument("--no-table", dest="table", action="store_false", help="skip the baseline table (with --estimate)")
    p.add_argument(
        "--parts", nargs="+", choices=PARTS, metavar="PART",
        help='estimate only these parts: "E2 packed", "E2 unpacked", "E3 mini-batch", "E3 packed"',
    )
    args = p.parse_args(argv)
    if args.quick:
        args.depths, args.sizes, args.trials, args.seconds, args.baseline_trials, args.record_every = [2], [20], 4, 0.2, 1, 5
    return args


def matmul_gflops(seconds: float) -> float:
    """float32 GEMM rate of this device (1024^2 on a CPU; 8192^2 on a GPU,
    which a 1024^2 product leaves mostly idle). On a CPU the best of the
    backend (as many products at once as it runs ops at once, since the
    engine gives each op one core) and numpy's BLAS on every core."""
    from ..engine.backend import import_keras

    keras = import_keras()

    from ..engine.backend import device, matmul_precision

    if ":cpu:" not in device():
        if keras.backend.backend() == "jax":  # JAX reads the precision when tracing, not from the environment
            import jax

            with jax.default_matmul_precision(matmul_precision()):
                return _matmul_rate(8192, seconds)
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(matmul_precision() == "tensorfloat32")
        return _matmul_rate(8192, seconds)
    concurrent = 1
    if keras.backend.backend() == "tensorflow":
        from ..engine.backend import cpu_threads

        concurrent = cpu_threads()
    return max(_matmul_rate(1024, seconds, concurrent), _matmul_rate(1024, seconds, numpy=True))


def _matmul_rate(size: int, seconds: float, concurrent: int = 1, numpy: bool = False) -> float:
    """GFLOP/s of ``concurrent`` independent size^2 products at a time
    (``numpy``: numpy's BLAS, without importing Keras)."""
    import numpy as np

    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((size, size)).astype("float32") for _ in range(concurrent)]
    if numpy:
        products = lambda: [a @ a for a in inputs]  # noqa: E731
    else:
        from ..engine.backend import import_keras

        keras = import_keras()

        if keras.backend.backend() == "tensorflow" and concurrent > 1:
            import tensorflow as tf

            tensors = [tf.Variable(a) for a in inputs]  # not constants, which the graph would fold
            # independent products in one graph: TensorFlow runs them side by side
            products = tf.function(lambda: [tf.matmul(a, a)[:1, :1] for a in tensors])
        else:
            tensors = [keras.ops.convert_to_tensor(a) for a in inputs]
            products = lambda: [keras.ops.matmul(a, a) for a in tensors]  # noqa: E731
    for out in products():
        _block(out)
    reps, elapsed = 1, 0.0
    while elapsed < seconds:
        start = time.perf_counter()
        for _ in range(reps):
            outs = products()
        for out in outs:
            _block(out)
        elapsed = time.perf_counter() - start
        if elapsed < seconds:
            reps *= 2
    return 2 * size**3 * concurrent * reps / elapsed / 1e9


# OpenBLAS's kernels for a variant's instruction set (OPENBLAS_CORETYPE of
# its DYNAMIC_ARCH builds, which numpy's wheels are): the matmul rate a
# CPU offers code built for that set. Its SSE kernels (Nehalem) stand for
# both SSE variants.
CORETYPES = {"x86-64-v4": "SkylakeX", "x86-64-v3": "Haswell", "x86-64-v2": "Nehalem", "x86-64": "Nehalem"}


def isa_matmul_gflops(arch: str, seconds: float, threads: int) -> float | None:
    """numpy's float32 GEMM rate on ``threads`` cores with OpenBLAS held to
    ``arch``'s instruction set (a fresh process; None where unknown)."""
    import subprocess

    if arch not in CORETYPES:
        return None
    from pathlib import Path

    code = f"from empirical_size.tools.bench import _matmul_rate; print(_matmul_rate(1024, {float(seconds)}, numpy=True))"
    src = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ, "OPENBLAS_CORETYPE": CORETYPES[arch], "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads), "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
    }  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    return float(done.stdout) if done.returncode == 0 else None


def engine_paths() -> list[tuple[str, object]]:
    """The ways the engine can train here, as (label, ``make_trainer``'s
    ``path``): on a GPU its one loop; on a CPU the backend's own loop, then
    the kernel built natively and for each variant this CPU runs."""
    from ..engine import cpu_kernel
    from ..engine.backend import import_keras
    from ..engine.keras_trainer import backend_on_gpu

    keras = import_keras()
    if backend_on_gpu():
        return [("engine", None)]
    own = {"tensorflow": "tensorflow graph", "jax": "jax xla loop"}[keras.backend.backend()]
    paths = [(own, "own")]
    for arch in ["native", *cpu_kernel.runnable_variants()]:
        try:
            target = cpu_kernel.library(arch).target().decode()
        except cpu_kernel.KernelUnavailable as err:
            print(f"kernel {arch}: not built ({err})", flush=True)
            continue
        paths.append((f"kernel {arch} ({target})", f"kernel:{arch}"))
    if cpu_kernel.available("native"):
        paths.append(("blas (numpy BLAS products, kernel native update)", "blas"))
    return paths


def auto_path(shape: Shape) -> str:
    """The path ``auto`` trains this shape with here, as :func:`engine_paths` names it."""
    from ..engine import blas_trainer, cpu_kernel
    from ..engine.trainer import make_trainer

    trainer = make_trainer(_sizes(shape), shape.trials, "float32", path="auto")
    if trainer.gradient_path == cpu_kernel.NAME:
        return f"kernel:{trainer.kernel_arch}"
    return "blas" if trainer.gradient_path == blas_trainer.NAME else "own"


def shapes(args) -> list[Shape]:
    """The shapes to measure: the paper's, or E2's grid of ``--depths`` x ``--sizes``."""
    if args.shapes == "paper":
        return [s._replace(trials=min(s.trials, args.trials)) for s in PAPER_SHAPES]
    return [Shape("E2", d, args.width, args.inputs, n, None, args.trials) for d in args.depths for n in args.sizes]


def _sizes(shape: Shape) -> list[int]:
    from ..science.networks import layer_sizes

    return layer_sizes(shape.inputs, shape.width, shape.depth)


def _block(x):
    import numpy as np

    np.asarray(x[:1, :1] if getattr(x, "ndim", 0) == 2 else x)


def problem(shape: Shape, trials: int, dtype="float32"):
    from ..experiments.size.job import SizeJob

    job = SizeJob.from_dict(dict(
        depth=shape.depth, n=shape.n, first_trial=0, trials=trials, epochs=1, record_every=1, width=shape.width,
        inputs=shape.inputs, dtype=dtype,
    ))  # fmt: skip
    x, y = job.data()
    return job.sizes, job.initial_weights(), x, y


def baseline_model(sizes, weights, t, dtype):
    from ..engine.backend import import_keras

    keras = import_keras()

    model = keras.Sequential(
        [keras.Input((sizes[0],), dtype=dtype)]
        + [keras.layers.Dense(u, activation="relu" if i < len(sizes) - 2 else None, dtype=dtype) for i, u in enumerate(sizes[1:])]
    )
    model.set_weights([a[t] for pair in weights for a in pair])
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-8), loss="mse")
    return model


class Recorder:
    """The callback a user would write: MSE and size every ``every`` epochs."""

    def __new__(cls, x, y, every):
        from ..engine.backend import import_keras

        keras = import_keras()
        import numpy as np

        class _Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.records = []

            def on_epoch_end(self, epoch, logs=None):
                if (epoch + 1) % every == 0:
                    f = np.asarray(self.model(x))
                    self.records.append((float(((f - y) ** 2).mean()), float((f**2).sum())))

        return _Recorder()


def baseline_rate(shape: Shape, args) -> float:
    """Trial-epochs per second of per-trial ``model.fit`` (steady state)."""
    sizes, weights, x, y = problem(shape, args.baseline_trials)
    x, y = x.astype("float32"), y.astype("float32")
    n = shape.batch or shape.n
    steps = done = 0
    elapsed = 0.0
    for t in range(args.baseline_trials):
        model = baseline_model(sizes, weights, t, "float32")
        model.fit(x[t], y[t], batch_size=n, epochs=2, shuffle=shape.batch is not None, verbose=0)  # build and compile
        epochs = max(args.record_every, 1)
        start = time.perf_counter()
        model.fit(
            x[t], y[t], batch_size=n, epochs=epochs, shuffle=shape.batch is not None, verbose=0,
            callbacks=[Recorder(x[t], y[t], args.record_every)],
        )  # fmt: skip
        elapsed += time.perf_counter() - start
        steps += epochs
        done += 1
        if elapsed > args.seconds * 2 and done >= 1:
            break
    return steps / elapsed


def engine_rate(shape: Shape, args, path=None) -> float:
    """Trial-epochs per second of the engine on a chunk of the shape's trials
    (``path``: how it trains, see :func:`engine_paths`), shuffled batches
    (the remainder kept) where the shape has them."""
    import numpy as np

    from ..engine.minibatch import BatchPlan, trial_keys
    from ..engine.trainer import make_trainer

    sizes, weights, x, y = problem(shape, shape.trials)
    trainer = make_trainer(sizes, shape.trials, "float32", path=path)
    trainer.set_weights(weights)
    xt, yt = trainer.cast(x), trainer.cast(y)
    plan = BatchPlan(shape.n, shape.batch, "keep")
    keys = trial_keys([np.random.default_rng(t) for t in range(shape.trials)])
    done = 0

    def train(epochs):
        nonlocal done
        if plan.full_batch:
            trainer.train_full(xt, yt, epochs)
        else:
            trainer.train_batches(xt, yt, plan, keys, done, epochs)
        done += epochs

    train(2)  # compile the loop
    trainer.evaluate(xt, yt)  # and the measures
    epochs = 4
    while True:
        start = time.perf_counter()
        train(epochs)
        trainer.evaluate(xt, yt)  # forces completion (and is what a record costs)
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            return shape.trials * epochs / elapsed
        epochs = int(epochs * max(2.0, 1.2 * args.seconds / max(elapsed, 1e-6)))


def check_equal(args) -> float:
    """Max |difference| of MSE between engine and baseline, float64, 20 epochs."""
    import numpy as np

    from ..engine.backend import import_keras
    from ..engine.trainer import make_trainer

    keras = import_keras()
    old = keras.config.floatx()
    keras.config.set_floatx("float64")  # fit casts numpy inputs to floatx
    try:
        sizes, weights, x, y = problem(Shape("check", 2, args.width, args.inputs, 50, None, 2), 2, "float64")
        trainer = make_trainer(sizes, 2, "float64")
        trainer.set_weights(weights)
        trainer.train_full(trainer.cast(x), trainer.cast(y), 20)
        mine, _ = trainer.evaluate(trainer.cast(x), trainer.cast(y))
        worst = 0.0
        for t in range(2):
            model = baseline_model(sizes, weights, t, "float64")
            model.fit(x[t], y[t], batch_size=50, epochs=20, shuffle=False, verbose=0)
            f = np.asarray(model(x[t]))
            worst = max(worst, abs(float(((f - y[t]) ** 2).mean()) - float(mine[t])))
        return worst
    finally:
        keras.config.set_floatx(old)


# A fresh process as a training job runs: the backend selected, the job's
# modules imported, a trainer made for the path, one step on a small problem.
STARTUP = """
import sys
from empirical_size.engine import backend
backend.select(sys.argv[1])
import numpy as np, xarray, netCDF4
from empirical_size.training import storage
from empirical_size.experiments.size import job as size
from empirical_size.engine.trainer import make_trainer
job = size.SizeJob.from_dict(dict(depth=2, n=20, first_trial=0, trials=2, epochs=1, record_every=1))
trainer = make_trainer(job.sizes, 2, path=sys.argv[2] or None)
trainer.set_weights(job.initial_weights())
x, y = job.data()
trainer.train_full(trainer.cast(x), trainer.cast(y), 1)
trainer.evaluate(trainer.cast(x), trainer.cast(y))
backend.device()
"""


def startup_seconds(backend_name: str, path: str | None = None) -> float:
    """Wall time from a fresh process's start to its first step (and record)
    on ``path``: a training job's fixed cost, imports and compiling included."""
    import subprocess

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP, backend_name, path or ""], check=True)
    return time.perf_counter() - start


def table(args, backend) -> bool:
    """The benchmark table; False if the float64 check failed."""
    from ..science import networks

    ok = True
    if args.check:
        diff = check_equal(args)
        print(f"check: engine vs per-trial model.fit, float64, 20 epochs: max |MSE difference| = {diff:.2e}", flush=True)
        if diff > 1e-9:
            print("check FAILED: the engine does not reproduce the baseline", file=sys.stderr, flush=True)
            ok = False
    peaks = {}
    for precision in args.precision:
        backend.set_matmul_precision(precision)
        peaks[precision] = matmul_gflops(args.seconds)
        print(f"matmul ({precision}, this device at its best): {peaks[precision]:.1f} GFLOP/s", flush=True)
    paths = engine_paths()
    from ..engine.backend import cpu_threads

    starts = ", ".join(f"{label} {startup_seconds(args.backend, path):.2f} s" for label, path in paths)
    print(f"start-up, process start to first step ({args.backend} selected): {starts}", flush=True)

    isa_peaks = {}
    for _, path in paths:
        arch = (path or "").partition("kernel:")[2]
        if arch in CORETYPES and CORETYPES[arch] not in isa_peaks:
            isa_peaks[CORETYPES[arch]] = isa_matmul_gflops(arch, args.seconds, cpu_threads())
            if isa_peaks[CORETYPES[arch]]:
                print(f"matmul (float32, OpenBLAS {CORETYPES[arch]} kernels, for {arch}): {isa_peaks[CORETYPES[arch]]:.1f} GFLOP/s", flush=True)
    header = (
        f"{'shape':<7} {'depth':>5} {'width':>5} {'n':>6} {'batch':>5} {'precision':>13} {'baseline t-e/s':>15} {'engine t-e/s':>13}"
        f" {'ratio':>8} {'engine GFLOP/s':>15} {'of matmul':>10} {'of ISA':>7} {'vs own':>7}  path"
    )
    print(header)
    print("-" * len(header))
    for shape in shapes(args):
        backend.set_matmul_precision("float32")
        base = baseline_rate(shape, args)  # Keras' own default precision, as a user runs it
        flops = 6 * networks.parameter_count(_sizes(shape)) * shape.n
        auto = auto_path(shape)
        for precision in args.precision:
            backend.set_matmul_precision(precision)
            own = None
            for label, path in paths:
                mine = engine_rate(shape, args, path)
                own = mine if path == "own" else own
                gflops = mine * flops / 1e9
                isa = isa_peaks.get(CORETYPES.get((path or "").partition("kernel:")[2]))
                print(
                    f"{shape.name:<7} {shape.depth:>5} {shape.width:>5} {shape.n:>6} {shape.batch or 'full':>5} {precision:>13}"
                    f" {base:>15.1f} {mine:>13.1f} {mine / base:>7.1f}x {gflops:>15.1f} {gflops / peaks[precision]:>9.0%}"
                    f" {f'{gflops / isa:.0%}' if isa else '-':>7} {f'{mine / own:.2f}x' if own else '-':>7}  {label}"
                    f"{'  <- auto' if path == auto or (path is None and auto == 'own') else ''}",
                    flush=True,
                )
    return ok


def load_config(path: str) -> dict:
    """``config/config.yaml`` with ``path`` merged over it key by key, as
    Snakemake merges ``--configfile``."""
    from pathlib import Path

    import yaml

    def merged(base, over):
        return {**base, **{k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v for k, v in over.items()}}

    base = Path(__file__).resolve().parents[3] / "config" / "config.yaml"
    config = yaml.safe_load(base.read_text()) if base.exists() else {}
    return merged(config, yaml.safe_load(Path(path).read_text()))


def print_estimate(args, backend) -> None:
    from .estimate import estimate

    config = load_config(args.estimate)
    startup = startup_seconds(args.backend)
    for i, precision in enumerate(args.precision):
        backend.set_matmul_precision(precision)
        print(f"estimate for {args.estimate} ({precision}); a job's process start and imports: {startup:.1f} s", flush=True)
        # further precisions: E2 as packed only (the mini-batch steps of E3 are launch-bound)
        parts = args.parts or (None if i == 0 else ("E2 packed",))
        result = estimate(config, seconds=min(args.seconds, 0.5), startup=startup, sample=3, parts=parts, log=lambda line: print(line, flush=True))
        print(f"{'part':<16} {'jobs':>6} {'device-minutes':>15} {'longest job, min':>17}   ({precision})")
        for part in PARTS:
            if part in result:
                print(f"{part:<16} {result[part + ' jobs']:>6} {result[part] / 60:>15.1f} {result[part + ' longest'] / 60:>17.1f}")
        e2 = [p for p in PARTS[:2] if p in result]
        e3 = [p for p in PARTS[2:] if p in result]
        if e2 and e3:
            e2, e3 = min(e2, key=result.get), min(e3, key=result.get)
            total = (result[e2] + result[e3]) / 60
            longest = max(result[e2 + " longest"], result[e3 + " longest"]) / 60
            print(f"E2 + E3 (each the faster way measured: {e2}, {e3}): {total:.1f} device-minutes", flush=True)
            for devices in (1, 2, 4, 8):  # the jobs are independent: a cluster runs them side by side
                print(f"  on {devices} such device(s): at least {max(total / devices, longest):.1f} minutes of wall time")


def main(argv=None) -> int:
    args = parse(argv)
    from ..engine import backend

    backend.select(args.backend, "float64" if args.check else "float32")  # x64 on JAX for the check
    backend.import_keras()  # the baseline is Keras' (and the device is named by it)
    print(f"device: {backend.device()}   backend: {args.backend}   engine chunk: {args.trials} trials", flush=True)
    ok = table(args, backend) if args.table else True
    if args.estimate:
        print_estimate(args, backend)
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
