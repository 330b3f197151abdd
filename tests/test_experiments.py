"""The measures and generators of E1, E4 and E5, on cases with known answers."""

from itertools import pairwise

import numpy as np
import pytest
import xarray as xr

from empirical_size.engine import cpu_kernel
from empirical_size.engine.minibatch import BatchPlan, trial_keys
from empirical_size.experiments.degenerate import analysis as degenerate_analysis
from empirical_size.experiments.degenerate.measures import dead_neurons
from empirical_size.experiments.linearity import analysis as linearity_analysis
from empirical_size.experiments.linearity import job as linearity
from empirical_size.science import targets


def stacked(layers):
    """One trial's [(kernel, bias), ...] as a stack of one trial."""
    return [(np.asarray(k, float)[None], np.asarray(b, float)[None]) for k, b in layers]


def test_dead_neurons_on_a_network_built_by_hand():
    # 1 input, two hidden layers of 3, one output.
    # layer 1: n0 = relu(x) (alive where x > 0), n1 = relu(-x - 10) (dead for x > -10),
    #          n2 = relu(-x) (alive where x < 0)
    # layer 2: m0 = relu(n0 + n2) = |x| (alive unless x == 0 everywhere),
    #          m1 = relu(-n0 - n2 - 1) (always dead), m2 = relu(n1) (dead where n1 is)
    w1 = ([[1.0, -1.0, -1.0]], [0.0, -10.0, 0.0])
    w2 = ([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0], [1.0, -1.0, 0.0]], [0.0, -1.0, 0.0])
    out = ([[1.0], [1.0], [1.0]], [0.0])
    weights = stacked([w1, w2, out])
    both_signs = np.array([[[-2.0], [-0.5], [1.0], [3.0]]])
    dead = dead_neurons(weights, both_signs)
    assert dead.shape == (1, 2, 3)
    assert dead[0].tolist() == [[False, True, False], [False, True, True]]
    # on positive inputs only, n2 is dead too: dead on part of the input space
    positive = np.array([[[0.5], [1.0], [2.0]]])
    assert dead_neurons(weights, positive)[0].tolist() == [[False, True, True], [False, True, True]]
    # on inputs below -10, n1 wakes up and so does m2
    far = np.array([[[-20.0], [-11.0]]])
    assert dead_neurons(weights, far)[0].tolist() == [[True, False, False], [False, True, False]]


def random_weights(rng, trials: int, sizes=(3, 8, 8, 8, 1), bias_mean: float = 0.0):
    return [(rng.normal(size=(trials, a, b)), rng.normal(bias_mean, 1.0, size=(trials, b))) for a, b in pairwise(sizes)]


def test_dead_neurons_chunking_does_not_change_the_answer():
    rng = np.random.default_rng(0)
    weights = random_weights(rng, trials=2)
    x = rng.normal(size=(2, 500, 3))
    np.testing.assert_array_equal(dead_neurons(weights, x, chunk=7, kernel=False), dead_neurons(weights, x, kernel=False))


@pytest.mark.parametrize(
    "kernel",
    [False, pytest.param(True, marks=pytest.mark.skipif(not cpu_kernel.available(), reason="the CPU kernel does not build here"))],
    ids=["numpy", "cpu-kernel"],
)
def test_dead_neurons_judges_each_trial_by_its_own_weights_and_inputs(kernel):
    rng = np.random.default_rng(1)
    weights = random_weights(rng, trials=3, bias_mean=-1.0)  # some, not all, neurons die
    x = rng.normal(size=(3, 300, 3))
    expected = []
    for t in range(3):  # the definition, one trial and all its rows at once
        h, alive = x[t], []
        for w, bias in weights[:-1]:
            h = np.maximum(h @ w[t] + bias[t], 0.0)
            alive.append((h > 0).any(axis=0))
        expected.append(~np.array(alive))
    dead = dead_neurons(weights, x, chunk=64, kernel=kernel)
    assert 0 < dead.sum() < dead.size
    np.testing.assert_array_equal(dead, np.array(expected))
    # a row of NaN (an overflowed network) keeps no neuron alive and kills none
    x[:, 7] = np.nan
    np.testing.assert_array_equal(dead_neurons(weights, x, kernel=kernel), dead)  # all rows in one chunk


def test_degenerate_table_means_and_standard_errors():
    dead = np.zeros((2, 2, 3, 2))  # stage, sample, trial, layer; width 4
    dead[1, 0, :, 1] = [1, 2, 3]  # trained, data, layer 2
    ds = xr.Dataset({"dead": (("stage", "sample", "trial", "layer"), dead)},
                    coords={"stage": ["init", "trained"], "sample": ["data", "fresh"], "trial": [0, 1, 2], "layer": [1, 2]},
                    attrs={"width": 4})
    table = degenerate_analysis.table(ds)
    assert table.layer.tolist() == [1, 2]
    assert table.trained_data_mean.tolist() == [0.0, 0.5]
    np.testing.assert_allclose(table.trained_data_sem[1], np.std([0.25, 0.5, 0.75], ddof=1) / np.sqrt(3))
    assert table.init_fresh_mean.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("teeth", [1, 4, 10])
def test_sawtooth_has_its_teeth(teeth):
    x = np.linspace(-1, 1, 20001)
    y = targets.sawtooth(x, (-1, 1), teeth, 2.0)
    drops = np.sum(np.diff(y) < -1.0)
    assert drops == teeth - 1  # a drop between neighbouring teeth
    assert y.min() == pytest.approx(-2.0) and y.max() == pytest.approx(2.0, abs=1e-3)
    rises = np.diff(y)[np.diff(y) > -1.0]
    np.testing.assert_allclose(rises, rises[0], rtol=1e-6)  # linear inside each tooth


def test_random_spline_has_8_knots_and_is_linear_between_them():
    rng = np.random.default_rng(1)
    kx, ky = targets.random_spline(rng, 8, (-1, 1), 1.0)
    assert len(kx) == len(ky) == 8 and kx[0] == -1 and kx[-1] == 1 and np.all(np.diff(kx) > 0)
    for a, b, ya, yb in zip(kx[:-1], kx[1:], ky[:-1], ky[1:]):
        t = np.linspace(0, 1, 11)
        np.testing.assert_allclose(targets.spline(a + t * (b - a), kx, ky), ya + t * (yb - ya), atol=1e-12)
    even, _ = targets.random_spline(rng, 8, (0, 7), 1.0, positions="even")
    np.testing.assert_allclose(even, np.arange(8))


def test_inputs_lie_on_the_domain():
    rng = np.random.default_rng(2)
    grid = targets.sample_inputs(rng, 5, (0, 1), "grid")
    assert grid[:, 0].tolist() == [0, 0.25, 0.5, 0.75, 1]
    uni = targets.sample_inputs(rng, 100, (2, 3), "uniform")
    assert uni.shape == (100, 1) and uni.min() >= 2 and uni.max() <= 3 and np.all(np.diff(uni[:, 0]) >= 0)
    with pytest.raises(ValueError, match="sampling"):
        targets.sample_inputs(rng, 5, (0, 1), "sobol")


def test_linearity_diff_and_pure_are_as_defined():
    # two trials, one sample point, two epochs; outputs chosen by hand
    out = np.zeros((3, 2, 2, 1))
    out[0, :, :, 0] = [[5.0, 6.0], [7.0, 8.0]]  # X+N trials 0, 1 at epochs a, b
    out[1, :, :, 0] = [[1.0, 2.0], [3.0, 2.0]]  # X: mean over trials = [2.0, 2.0]
    out[2, :, :, 0] = [[0.5, 1.0], [1.5, 1.0]]  # N
    ds = xr.Dataset(
        {"output_data": (("set", "trial", "epoch", "sample"), out), "noise": (("sample",), [1.0])},
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": [10, 20]},
    )
    res = linearity_analysis.diff_and_pure(ds)
    np.testing.assert_allclose(res["diff"].values[..., 0], [[3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose(res["mse_diff"].values, [[4.0, 9.0], [16.0, 25.0]])
    np.testing.assert_allclose(res["mse_pure"].values, [[0.25, 0.0], [0.25, 0.0]])


def test_linearity_records_its_checkpoints_and_ten_equal_times():
    job = linearity.LinearityJob.from_dict(dict(checkpoints=(20, 100, 200, 1000, 2000, 4000), mse_times=10))
    assert job.mse_epochs.tolist() == list(range(400, 4001, 400))
    assert set(job.marks) == set(job.checkpoints) | set(job.mse_epochs.tolist())
    x, spline, noise, (kx, ky) = job.data()
    assert x.shape == (64, 1) and len(kx) == 8
    np.testing.assert_allclose(spline, targets.spline(x, kx, ky))
    assert 0.1 < noise.std() < 0.3  # noise_scale 0.2


@pytest.mark.parametrize("n, mode, steps, last", [(1000, "keep", 4, 232), (1100, "keep", 5, 76), (1100, "drop", 4, 256), (1100, "resample", 5, 256), (500, "resample", 2, 256)])
def test_batch_plans_for_sizes_around_the_threshold(n, mode, steps, last):
    plan = BatchPlan(n, 256, mode)
    assert plan.steps_per_epoch == steps and plan.batch_lengths[-1] == last
    idx = plan.indices(trial_keys([np.random.default_rng(0)]), 0, 2)
    assert idx.shape == (2, steps, 1, 256) and idx.min() >= 0 and idx.max() < n
    if mode == "resample":
        for e in range(2):
            for s in range(steps):
                assert len(set(idx[e, s, 0].tolist())) == 256  # without replacement inside a batch


def test_degenerate_table_leaves_out_diverged_experiments():
    dead = np.zeros((2, 2, 3, 1))
    dead[1, 0, :, 0] = [1, 2, 4]
    ds = xr.Dataset({"dead": (("stage", "sample", "trial", "layer"), dead), "diverged": (("trial",), np.array([0, 0, 1], dtype=np.int8))},
                    coords={"stage": ["init", "trained"], "sample": ["data", "fresh"], "trial": [0, 1, 2], "layer": [1]},
                    attrs={"width": 4})
    table = degenerate_analysis.table(ds)
    assert table.trained_data_mean.tolist() == [0.375]  # (1 + 2) / 2 / 4, the diverged experiment left out
    np.testing.assert_allclose(table.trained_data_sem[0], np.std([0.25, 0.5], ddof=1) / np.sqrt(2))


def test_linearity_diff_and_pure_leave_out_diverged_trials():
    out = np.zeros((3, 2, 1, 1))
    out[0, :, 0, 0] = [5.0, 7.0]
    out[1, :, 0, 0] = [1.0, np.nan]  # X's trial 1 diverged: the mean over X is trial 0's alone
    out[2, :, 0, 0] = [0.5, np.inf]
    diverged = np.array([[0, 0], [0, 1], [0, 1]], dtype=np.int8)
    ds = xr.Dataset(
        {"output_data": (("set", "trial", "epoch", "sample"), out), "noise": (("sample",), [1.0]), "diverged": (("set", "trial"), diverged)},
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": [10]},
    )
    res = linearity_analysis.diff_and_pure(ds)
    np.testing.assert_allclose(res["diff"].values[:, 0, 0], [4.0, 6.0])
    assert res["mse_pure"].values[0, 0] == 0.25 and np.isnan(res["mse_pure"].values[1, 0])


def test_jobs_that_blow_up_flag_their_trials_and_keep_the_others():
    """A huge learning rate makes some E1 and E5 trials overflow; they are
    flagged, not fatal, and the job still writes its data set."""
    from dataclasses import replace

    from empirical_size.experiments.degenerate import job as e1
    from empirical_size.experiments.degenerate.analysis import dead_fraction

    job = e1.DegenerateJob.from_dict(dict(trials=3, depth=6, width=8, n=40, steps=40, fresh_samples=100, dtype="float32",
                           optimizer={"learning_rate": 1e30, "rho": 0.95, "epsilon": 1e-8}))
    ds = e1.run(job)
    assert ds.diverged.dims == ("trial",) and ds.diverged.sum() >= 1
    assert np.isnan(dead_fraction(ds).sel(trial=ds.trial[ds.diverged.astype(bool)])).all()
    lin = linearity.LinearityJob.from_dict(dict(width=8, n=16, trials=2, checkpoints=(5, 10), mse_times=2, grid_points=10, dtype="float32",
                                 optimizer={"learning_rate": 1e30, "rho": 0.95, "epsilon": 1e-8}))
    out = linearity.run(lin)
    assert out.diverged.dims == ("set", "trial") and out.diverged.sum() >= 1
    first = out.diverged_epoch.where(out.diverged.astype(bool))
    assert set(np.unique(first.values[np.isfinite(first.values)])) <= {5, 10}
    calm = linearity.run(replace(lin, optimizer={"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-8}))
    assert calm.diverged.sum() == 0 and (calm.diverged_epoch == -1).all()
