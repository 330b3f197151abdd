"""The science of the engine, in float64 where equality must be exact."""

import keras
import numpy as np
import pytest

from empirical_size.engine.minibatch import BatchPlan
from empirical_size.engine.trainer import AdadeltaSettings, make_trainer
from empirical_size.experiments.size.job import SizeJob, run
from empirical_size.science import networks
from empirical_size.training.loop import train_and_record

PAPER = AdadeltaSettings(learning_rate=1.0, rho=0.95, epsilon=1e-8)


def numpy_gradients(weights, x, y):
    """Backpropagation by hand for one trial: MSE of a ReLU net."""
    acts, pre = [x], []
    for i, (k, b) in enumerate(weights):
        z = acts[-1] @ k + b
        pre.append(z)
        acts.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
    delta = 2 * (acts[-1] - y) / len(x)
    grads = []
    for i in reversed(range(len(weights))):
        grads.append((acts[i].T @ delta, delta.sum(axis=0)))
        if i:
            delta = (delta @ weights[i][0].T) * (pre[i - 1] > 0)
    return grads[::-1]


def numpy_adadelta(weights, x, y, steps, lr=1.0, rho=0.95, eps=1e-8, scale=1.0):
    """The update rule of EXPERIMENTS.md, literally, on the full batch;
    ``scale`` multiplies the loss, so every gradient (E7's loss scale)."""
    p = numpy_adadelta_batches(weights, x, y, [slice(None)] * steps, lr, rho, eps, scale)
    return [(p[i], p[i + 1]) for i in range(0, len(p), 2)]


def numpy_adadelta_batches(weights, x, y, batches, lr=1.0, rho=0.95, eps=1e-8, scale=1.0):
    """The same rule, one step per batch of sample indices (each batch's own
    mean), the accumulators carried across batches: flat [k0, b0, k1, ...]."""
    p = [a.copy() for pair in weights for a in pair]
    acc, dacc = [np.zeros_like(a) for a in p], [np.zeros_like(a) for a in p]
    for batch in batches:
        pairs = [(p[i], p[i + 1]) for i in range(0, len(p), 2)]
        g = [scale * a for pair in numpy_gradients(pairs, x[batch], y[batch]) for a in pair]
        for i in range(len(p)):
            acc[i] = rho * acc[i] + (1 - rho) * g[i] ** 2
            u = g[i] * np.sqrt(dacc[i] + eps) / np.sqrt(acc[i] + eps)
            p[i] = p[i] - lr * u
            dacc[i] = rho * dacc[i] + (1 - rho) * u**2
    return p


def small_problem(trials=3, n=40, sizes=(3, 16, 16, 1), seed=0):
    rng = np.random.default_rng(seed)
    weights = networks.stack_trials([networks.glorot_uniform(rng, sizes) for _ in range(trials)])
    x = rng.standard_normal((trials, n, sizes[0]))
    y = rng.standard_normal((trials, n, 1))
    return list(sizes), weights, x, y


def test_a_step_matches_the_adadelta_formula_by_hand(loop):
    sizes, weights, x, y = small_problem()
    trainer = make_trainer(sizes, 3, "float64", PAPER)
    trainer.set_weights(weights)
    trainer.train_full(trainer.cast(x), trainer.cast(y), 10)
    got = trainer.get_weights()
    for t in range(3):
        want = numpy_adadelta([(k[t], b[t]) for k, b in weights], x[t], y[t], steps=10)
        for (gk, gb), (wk, wb) in zip(got, want):
            np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)
    # and training did move the weights, one optimizer iteration a step
    assert np.abs(got[0][0] - weights[0][0]).max() > 1e-3
    assert int(trainer.get_state()[2 * (len(sizes) - 1)]) == 10  # the iteration count follows the weights


def test_a_loss_scale_is_adadelta_on_the_gradients_times_it(loop):
    """E7's loss scale on every path: the formula with each gradient times
    c. Adadelta is scale-free but for epsilon, which c moves into the
    denominator alone: c = 1/1000 must differ from c = 1."""
    sizes, weights, x, y = small_problem()
    scale = 1e-3
    trainer = make_trainer(sizes, 3, "float64", AdadeltaSettings(loss_scale=scale))
    trainer.set_weights(weights)
    trainer.train_full(trainer.cast(x), trainer.cast(y), 10)
    got = trainer.get_weights()
    for t in range(3):
        one = [(k[t], b[t]) for k, b in weights]
        want = numpy_adadelta(one, x[t], y[t], steps=10, scale=scale)
        for (gk, gb), (wk, wb) in zip(got, want):
            np.testing.assert_allclose(gk[t], wk, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gb[t], wb, rtol=0, atol=1e-12)
        plain = numpy_adadelta(one, x[t], y[t], steps=10)
        assert np.abs(plain[0][0] - want[0][0]).max() > 1e-3


def test_a_reset_is_a_fresh_optimizer_on_the_same_weights(loop):
    sizes, weights, x, y = small_problem()
    trainer = make_trainer(sizes, 3, "float64", PAPER)
    trainer.set_weights(weights)
    xt, yt = trainer.cast(x), trainer.cast(y)
    trainer.train_full(xt, yt, 5)
    halfway = trainer.get_weights()
    trainer.reset_optimizer()
    trainer.train_full(xt, yt, 5)
    fresh = make_trainer(sizes, 3, "float64", PAPER)
    fresh.set_weights(halfway)
    fresh.train_full(xt, yt, 5)
    for (gk, gb), (wk, wb) in zip(trainer.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(gk, wk)
        np.testing.assert_array_equal(gb, wb)
    kept = make_trainer(sizes, 3, "float64", PAPER)  # without the reset: other numbers
    kept.set_weights(weights)
    kept.train_full(xt, yt, 10)
    assert np.abs(kept.get_weights()[0][0] - trainer.get_weights()[0][0]).max() > 1e-6
    assert float(trainer.get_state()[2 * (len(sizes) - 1) + 1]) == 1.0  # the learning rate survives a reset


def test_an_e2_job_with_resets_restarts_its_optimizer_after_every_record():
    """The job's loop resets after each record: 2 records of 25 epochs equal
    25 epochs, a fresh optimizer, and 25 more."""
    reset = job(epochs=50, record_every=25, trials=2, optimizer={**PAPER.__dict__, "reset_at_records": True})
    ds = run(reset)
    x, y = reset.data()
    trainer = make_trainer(reset.sizes, 2, "float64", PAPER)
    trainer.set_weights(reset.initial_weights())
    xt, yt = trainer.cast(x), trainer.cast(y)
    trainer.train_full(xt, yt, 25)
    trainer.reset_optimizer()
    trainer.train_full(xt, yt, 25)
    np.testing.assert_allclose(ds.mse.isel(epoch=-1).values, trainer.evaluate(xt, yt)[0], rtol=1e-12)
    plain = run(job(epochs=50, record_every=25, trials=2))
    assert not np.allclose(plain.mse.isel(epoch=-1).values, ds.mse.isel(epoch=-1).values, rtol=1e-6)


def test_the_optimizer_is_the_papers_not_keras_3_defaults():
    opt = PAPER.build()
    assert float(opt.learning_rate) == 1.0 and opt.epsilon == 1e-8 and opt.rho == 0.95
    assert AdadeltaSettings() == PAPER


def test_evaluate_measures_mse_and_size_of_the_network(loop):
    sizes, weights, x, y = small_problem(trials=2)
    trainer = make_trainer(sizes, 2, "float64", PAPER)
    trainer.set_weights(weights)
    mse, size = trainer.evaluate(trainer.cast(x), trainer.cast(y))
    f = networks.forward(weights, x)
    np.testing.assert_allclose(mse, ((f - y) ** 2).mean(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(size, (f**2).sum(axis=(1, 2)), rtol=1e-12)


def job(**kw):
    base = dict(depth=2, n=60, first_trial=0, trials=6, epochs=200, record_every=50, width=32, dtype="float64")
    return SizeJob.from_dict({**base, **kw})


@pytest.fixture(params=["xla", "graph", "kernel", "blas", "jax"], ids=["xla-loop", "graph-loop", "cpu-kernel", "cpu-blas", "jax-loop"])
def loop(request, monkeypatch):
    """TensorFlow compiles the loop with XLA or runs it as a graph, depending
    on the work per step, and a CPU takes its steps by its own kernel
    (cpu_kernel.py), or, for wide networks, by numpy's BLAS (blas_trainer.py);
    every way must give the same numbers."""
    import keras

    from empirical_size.engine import path_setting

    if (request.param == "jax") != (keras.backend.backend() == "jax") and request.param not in ("kernel", "blas"):
        pytest.skip(f"the {request.param} loop is another backend's")
    monkeypatch.setenv(path_setting.SETTING, request.param)
    return request.param


def test_a_trial_in_a_chunk_equals_the_trial_alone_float64(loop, monkeypatch):
    from empirical_size.engine import keras_steps

    # lanes of 5 trials on the graph path: 26 lanes, the last of 3
    monkeypatch.setattr(keras_steps.TensorFlowSteps, "LANE_SAMPLES", 5 * 60)
    chunk = run(job(trials=128))
    for t in (0, 4, 5, 64, 127):  # lane edges and the last, short lane
        alone = run(job(first_trial=t, trials=1))
        for var in ("mse", "size", "sum_y2"):
            np.testing.assert_allclose(chunk[var].sel(trial=t).values, alone[var].sel(trial=t).values, rtol=0, atol=1e-9)
    # 200 full-batch steps really trained the networks
    assert (chunk.mse.isel(epoch=-1) < chunk.mse.isel(epoch=0)).all()


def test_cpu_lanes_cover_every_trial_once_within_the_sample_budget():
    from empirical_size.engine.backend import cpu_threads

    if keras.backend.backend() != "tensorflow":
        pytest.skip("lanes are TensorFlow's graph's")
    trainer = make_trainer([3, 8, 1], 37, path="graph")
    threads = cpu_threads()
    for samples in (1, 20, 300, 5000, 10**6):
        lanes = trainer.steps.lanes(samples)
        assert [t for lo, hi in lanes for t in range(lo, hi)] == list(range(37))
        assert len(lanes) >= min(threads, 37)  # every inter-op thread has work
        widths = {hi - lo for lo, hi in lanes[:-1]}
        assert len(widths) <= 1 and max(hi - lo for lo, hi in lanes) * samples <= max(trainer.steps.LANE_SAMPLES, samples)


def test_a_chunk_and_single_trials_agree_statistically_float32():
    trials = 6
    chunk = run(job(trials=trials, dtype="float32", epochs=300, record_every=100))
    singles = [run(job(first_trial=t, trials=1, dtype="float32", epochs=300, record_every=100)) for t in range(trials)]
    for var in ("mse", "size"):
        a = chunk[var].isel(epoch=-1).values
        b = np.array([s[var].isel(epoch=-1).item() for s in singles])
        se = np.sqrt(a.var(ddof=1) / trials + b.var(ddof=1) / trials)
        assert abs(a.mean() - b.mean()) <= 2 * se, (var, a.mean(), b.mean(), se)


@pytest.fixture
def float64_keras():
    """Keras' fit casts numpy inputs to floatx: make that float64 here."""
    old = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(old)


@pytest.mark.parametrize("n, batch_size", [(50, None), (1100, 256)])
def test_engine_equals_keras_sequential_fit(n, batch_size, float64_keras, loop):
    """Same initial weights and data: our trainer and plain Keras agree (float64).

    With n=1100 and batch 256 each epoch has 5 steps, the last of 76 samples,
    in Keras' unshuffled order.
    """
    sizes, weights, x, y = small_problem(trials=2, n=n, sizes=(3, 16, 16, 1), seed=3)
    epochs = 20
    plan = BatchPlan(n, batch_size, shuffle=False)
    trainer = make_trainer(sizes, 2, "float64", PAPER)
    trainer.set_weights(weights)
    rec = train_and_record(trainer, x, y, epochs=epochs, record_every=epochs, plan=plan,
                           shuffle_rngs=[np.random.default_rng(0)] * 2)
    for t in range(2):
        model = keras.Sequential(
            [keras.Input((3,), dtype="float64")]
            + [keras.layers.Dense(u, activation="relu" if i < len(sizes) - 2 else None, dtype="float64") for i, u in enumerate(sizes[1:])]
        )
        model.set_weights([a[t] for pair in weights for a in pair])
        model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-8), loss="mse")
        model.fit(x[t], y[t], batch_size=batch_size or n, epochs=epochs, shuffle=False, verbose=0)
        f = model.predict(x[t], batch_size=n, verbose=0)
        # 100 mini-batch steps at learning rate 1 grow the rounding of another
        # order of sums (XLA's, under JAX) to about 1e-9 even in float64
        rtol = 1e-9 if batch_size is None else 1e-8
        np.testing.assert_allclose(rec["mse"][t, -1], ((f - y[t]) ** 2).mean(), rtol=rtol)
        np.testing.assert_allclose(rec["size"][t, -1], (f**2).sum(), rtol=rtol)
        mine = trainer.get_weights()
        for (k, b), (kk, bb) in zip(mine, zip(model.get_weights()[::2], model.get_weights()[1::2])):
            np.testing.assert_allclose(k[t], kk, atol=1e-9)
            np.testing.assert_allclose(b[t], bb, atol=1e-9)


def test_records_fall_every_record_every_epochs():
    ds = run(job(trials=2, epochs=100, record_every=25))
    assert ds.epoch.values.tolist() == [25, 50, 75, 100]
    assert ds.mse.dims == ("trial", "epoch") and ds.trial.values.tolist() == [0, 1]


@pytest.mark.parametrize("mode", ["keep", "resample"])
def test_mini_batch_trial_in_a_chunk_equals_the_trial_alone_float64(mode, monkeypatch):
    """Also through the padded, multi-epoch compiled calls."""
    from empirical_size.training import loop

    monkeypatch.setattr(loop, "TARGET_CALL_SECONDS", 1e6)  # blocks as long as a record interval
    spec = dict(n=50, batch_size=16, batch_mode=mode, epochs=30, record_every=10)
    chunk = run(job(trials=4, **spec))
    alone = run(job(first_trial=2, trials=1, **spec))
    assert int(chunk.steps_per_epoch) == 4  # keep: 16, 16, 16, 2; resample: ceil(50 / 16) batches of 16
    for var in ("mse", "size"):
        np.testing.assert_allclose(chunk[var].sel(trial=2).values, alone[var].sel(trial=2).values, rtol=0, atol=1e-9)
    assert (chunk.mse.isel(epoch=-1) < chunk.mse.isel(epoch=0)).all()


def test_a_diverging_trial_is_flagged_and_leaves_its_chunk_alone():
    from empirical_size.training.loop import divergence

    sizes, weights, x, y = small_problem(trials=3, n=30)
    y_bad = y.copy()
    y_bad[1, 0, 0] = np.inf  # trial 1's loss is infinite from the first step
    trainer = make_trainer(sizes, 3, "float64", PAPER)
    trainer.set_weights(weights)
    rec = train_and_record(trainer, x, y_bad, epochs=20, record_every=5)
    diverged, first = divergence(rec, rec["epoch"])
    assert diverged.tolist() == [False, True, False] and first.tolist() == [-1, 5, -1]
    pair = make_trainer(sizes, 2, "float64", PAPER)
    pair.set_weights([(k[[0, 2]], b[[0, 2]]) for k, b in weights])
    alone = train_and_record(pair, x[[0, 2]], y[[0, 2]], epochs=20, record_every=5)
    # No inf or nan leaks into the others; equal to rounding (a chunk of
    # another shape may run kernels that sum in another order).
    for var in ("mse", "size"):
        np.testing.assert_allclose(rec[var][[0, 2]], alone[var], rtol=1e-13, atol=0)


def test_divergence_flags_the_first_bad_record():
    from empirical_size.training.loop import divergence

    mse = np.array([[1.0, 0.5, 0.4], [1.0, np.nan, np.nan], [1.0, 0.9, np.inf]])
    size = np.ones_like(mse)
    diverged, first = divergence({"mse": mse, "size": size}, np.array([10, 20, 30]))
    assert diverged.tolist() == [False, True, True] and first.tolist() == [-1, 20, 30]


@pytest.mark.parametrize("mode, shuffle", [("keep", True), ("drop", True), ("resample", True), ("keep", False)])
def test_device_batches_are_the_reference_batches(mode, shuffle):
    """The shuffles drawn inside the compiled loop equal BatchPlan.indices."""
    from keras import ops

    from empirical_size.engine.minibatch import trial_keys
    from empirical_size.engine.trial_ops import epoch_batches, resample_batch

    plan = BatchPlan(n=1100, batch_size=256, mode=mode, shuffle=shuffle)
    keys = trial_keys([np.random.default_rng(s) for s in (1, 2, 3)])
    ref = plan.indices(keys, 7, 2)
    k = ops.convert_to_tensor(keys)
    for e in range(2):
        if mode == "resample":
            got = np.stack([np.asarray(resample_batch(plan, k, 7 + e, s)) for s in range(plan.steps_per_epoch)])
        else:
            got = np.asarray(epoch_batches(plan, k, 7 + e))
        mask = plan.mask(bool)[:, None, :].repeat(3, axis=1)
        np.testing.assert_array_equal(got[mask], ref[e][mask])  # padding positions may hold anything


@pytest.mark.parametrize(
    "mode, sizes, n, batch",
    [("keep", (3, 8, 1), 37, 16), ("resample", (3, 8, 1), 37, 16), ("keep", (1, 500, 500, 500, 500, 1), 1000, 500)],
    ids=["keep", "resample", "e4-width-500"],
)
def test_mini_batch_training_is_adadelta_over_the_reference_batches(mode, sizes, n, batch, loop):
    """Engine, shuffles drawn on the device, against the formula by hand on
    the batches of BatchPlan.indices (float64): each step is one batch's
    gradient, the remainder batch averaging over its own samples; and E4's
    network (4 x 500, 2 batches of 500), the wide shape."""
    from empirical_size.engine.minibatch import trial_keys

    sizes, weights, x, y = small_problem(trials=2, n=n, sizes=sizes, seed=5)
    plan = BatchPlan(n=n, batch_size=batch, mode=mode)
    keys = trial_keys([np.random.default_rng(s) for s in (4, 9)])
    trainer = make_trainer(sizes, 2, "float64", PAPER)
    trainer.set_weights(weights)
    trainer.train_batches(trainer.cast(x), trainer.cast(y), plan, keys, 0, 2)
    trainer.train_batches(trainer.cast(x), trainer.cast(y), plan, keys, 2, 1)  # a later call goes on counting
    idx = plan.indices(keys, 0, 3)
    lengths = plan.batch_lengths
    for t in range(2):
        batches = [idx[e, s, t, :length] for e in range(3) for s, length in enumerate(lengths)]
        p = numpy_adadelta_batches([(k[t], b[t]) for k, b in weights], x[t], y[t], batches)
        mine = [a[t] for pair in trainer.get_weights() for a in pair]
        for a, b in zip(mine, p):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_packed_sizes_train_as_each_size_alone_float64(loop):
    """Several n padded into one call (masks): every trial as in its own job,
    up to the order of sums over the padded axis."""
    from empirical_size.experiments.size import job as size_experiment

    base = dict(depth=2, first_trial=3, trials=2, epochs=60, record_every=20, width=16, dtype="float64")
    packed = size_experiment.run(size_experiment.Job.from_dict({**base, "ns": [9, 31, 20]}))
    assert packed.mse.dims == ("n", "trial", "epoch") and packed.n.values.tolist() == [9, 31, 20]
    for n in (9, 31, 20):
        alone = size_experiment.run(size_experiment.Job.from_dict({**base, "n": n}))
        for var in ("mse", "size", "sum_y2"):
            np.testing.assert_allclose(packed[var].sel(n=n).values, alone[var].values, rtol=1e-12, atol=0)
        assert not np.allclose(packed.mse.sel(n=n).values, packed.mse.sel(n=9 if n != 9 else 31).values)


@pytest.mark.parametrize("mode", ["keep", "drop", "resample"])
def test_packed_mini_batch_sizes_train_as_each_size_alone_float64(mode, loop):
    """Sizes taking the same steps an epoch share one call: each trial draws
    its batches from its own samples (its own shuffle, its own last batch),
    padded and masked, and trains as in its own job."""
    from empirical_size.experiments.size import job as size_experiment

    ns = {"keep": [36, 33, 48], "drop": [48, 63, 50], "resample": [36, 33, 48]}[mode]  # 3 steps of 16 each
    base = dict(depth=2, first_trial=1, trials=2, epochs=12, record_every=4, width=16, dtype="float64", batch_size=16, batch_mode=mode)
    packed = size_experiment.run(size_experiment.Job.from_dict({**base, "ns": ns}))
    assert packed.n.values.tolist() == ns and packed.steps_per_epoch.values.tolist() == [3, 3, 3]
    for n in ns:
        alone = size_experiment.run(size_experiment.Job.from_dict({**base, "n": n}))
        for var in ("mse", "size", "sum_y2"):
            np.testing.assert_allclose(packed[var].sel(n=n).values, alone[var].values, rtol=1e-12, atol=0)


def test_sizes_with_different_steps_an_epoch_refuse_to_share_a_call():
    from empirical_size.engine.minibatch import packed_batch_masks

    with pytest.raises(ValueError, match="n=33 takes 3 of 16, n=50 4 of 16"):
        packed_batch_masks(BatchPlan(50, 16, "keep"), [50, 50, 33])
    masks = packed_batch_masks(BatchPlan(48, 16, "keep"), [48, 33])
    assert masks.shape == (3, 2, 16) and masks[:, 1].sum() == 33 and masks[2, 1].sum() == 1


def test_checkpoint_states_are_the_same_on_the_kernel_and_keras_paths():
    """The kernel's trainer keeps Keras' state, in Keras' order and dtypes:
    a state saved on one path resumes on the other to the same numbers."""
    sizes, weights, x, y = small_problem(trials=3, n=30)
    own = "jax" if keras.backend.backend() == "jax" else "graph"  # the backend's own loop
    trainers = {path: make_trainer(sizes, 3, "float64", PAPER, path=path) for path in ("kernel", own)}
    trainers["graph"] = trainers.pop(own)
    for trainer in trainers.values():
        trainer.set_weights(weights)
        trainer.train_full(trainer.cast(x), trainer.cast(y), 5)
    kernel, graph = (trainers[p].get_state() for p in ("kernel", "graph"))
    assert [a.shape for a in kernel] == [a.shape for a in graph]
    # the same dtypes, but for the step counter's integer width (JAX's is 32 bits without x64)
    assert [a.dtype if a.dtype.kind == "f" else a.dtype.kind for a in kernel] == [a.dtype if a.dtype.kind == "f" else a.dtype.kind for a in graph]
    for a, b in zip(kernel, graph):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # swapped: each resumes from the other's state
    trainers["kernel"].set_state(graph)
    trainers["graph"].set_state(kernel)
    for trainer in trainers.values():
        trainer.train_full(trainer.cast(x), trainer.cast(y), 3)
    for a, b in zip(trainers["kernel"].get_state(), trainers["graph"].get_state()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert int(trainers["kernel"].get_state()[2 * (len(sizes) - 1)]) == 8


def test_the_kernel_trainer_refuses_arrays_of_another_shape():
    """The kernel reads raw memory: a wrong shape fails in Python, naming it."""
    sizes, weights, x, y = small_problem(trials=3)
    trainer = make_trainer(sizes, 3, "float64", PAPER, path="kernel")
    with pytest.raises(ValueError, match="do not fit 3 trials"):
        trainer.set_weights([(k[:1], b[:1]) for k, b in weights])
    with pytest.raises(ValueError, match="state weights"):
        trainer.set_state([a[:2] if a.ndim else a for a in trainer.get_state()])
    with pytest.raises(ValueError, match="do not fit 3 trials"):
        trainer.train_full(trainer.cast(x[:2]), trainer.cast(y[:2]), 1)



def test_the_blas_trainer_gives_every_trial_the_same_numbers_in_any_split_and_with_numpy_s_update(monkeypatch):
    """Trials split over threads (each its own rows of every array) train
    bit for bit as on one thread; where the kernel cannot be built, numpy's
    update (the loss scale too) is the kernel's to rounding (float64)."""
    from empirical_size.engine import blas_trainer, cpu_kernel

    if not cpu_kernel.available("native"):
        pytest.skip("no C++ compiler here: the kernel's update cannot be built")
    sizes, weights, x, y = small_problem(trials=5, n=30, sizes=(3, 12, 12, 1), seed=3)
    settings = AdadeltaSettings(loss_scale=0.25)

    def trained(threads, arch="native"):
        monkeypatch.setattr(blas_trainer, "cpu_threads", lambda: threads)
        trainer = blas_trainer.BlasTrainer(sizes, 5, "float64", settings, arch)
        trainer.set_weights(weights)
        trainer.train_full(trainer.cast(x), trainer.cast(y), 8)
        return [a for pair in trainer.get_weights() for a in pair]

    one = trained(1)
    for a, b in zip(one, trained(3)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(one, trained(2, arch=None)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    want = numpy_adadelta([(k[4], b[4]) for k, b in weights], x[4], y[4], steps=8, scale=0.25)
    np.testing.assert_allclose(one[0][4], want[0][0], rtol=0, atol=1e-12)


def test_a_reset_comes_before_the_checkpoint_so_a_resumed_job_resets_as_an_unbroken_one(tmp_path):
    from empirical_size.training.checkpoint import Checkpoint

    sizes, weights, x, y = small_problem(trials=2, n=20, sizes=(3, 8, 1))
    trainer = make_trainer(sizes, 2, "float64", PAPER)
    trainer.set_weights(weights)
    checkpoint = Checkpoint(tmp_path / "job.npz", {"test": 1})
    train_and_record(trainer, x, y, epochs=30, record_every=10, checkpoint=checkpoint, reset_at_records=True)
    done, state, records = checkpoint.load()  # saved at epoch 20, after that record's reset
    weights_count = 2 * (len(sizes) - 1)
    assert done == 20 and int(state[weights_count]) == 0 and float(state[weights_count + 1]) == 1.0
    assert all(not a.any() for a in state[weights_count + 2 :])  # every accumulator zero
    assert np.abs(state[0] - weights[0][0]).max() > 1e-6  # and the weights trained
