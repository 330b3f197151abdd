"""E8, artificial boosting: the bookkeeping of boosted fits, paired trials,
and the verdict on constructed error curves."""

import numpy as np
import pytest
import xarray as xr

from empirical_size.experiments.boosting import analysis
from empirical_size.experiments.boosting import job as boosting

TINY = dict(width=8, trials=3, checkpoints=(5, 20), grid_points=50, dtype="float64", keep_outputs=True)


@pytest.fixture(scope="module")
def jobs():
    """The same trials at amplitudes 0 and 2 (two jobs, as the workflow runs them)."""
    return {a: boosting.run(boosting.Job.from_dict(dict(amplitude=a, **TINY)), progress_every=1e9) for a in (0.0, 2.0)}


def test_amplitude_zero_is_plain_training_exactly_for_every_low_function(jobs):
    plain = jobs[0.0]
    for low in plain.low.values[1:]:
        np.testing.assert_array_equal(plain.output.sel(low=low).values, plain.output.isel(low=0).values)
        np.testing.assert_array_equal(plain.train_error.sel(low=low).values, plain.train_error.isel(low=0).values)
    # and the same networks trained alone on t, without boosting's machinery
    from empirical_size.engine.trainer import AdadeltaSettings, make_trainer

    job = boosting.Job.from_dict(dict(amplitude=0.0, **TINY))
    x, grid = job.inputs()
    t = plain.target.sel(family="high").values
    trainer = make_trainer(job.sizes, job.trials, "float64", AdadeltaSettings())
    from empirical_size.experiments.common import glorot_trials

    trainer.set_weights(glorot_trials(job.seed, job.namespace, (), job.trial_ids, job.sizes))
    xs, ys = trainer.cast(np.broadcast_to(x[None, :, None], (job.trials, job.n, 1))), trainer.cast(t[..., None])
    trainer.train_full(xs, ys, 20)
    np.testing.assert_array_equal(trainer.predict(xs)[..., 0], plain.output.sel(family="high", epoch=20).isel(low=0).values)
    assert (plain.train_error.isel(epoch=-1) < plain.train_error.isel(epoch=0)).all()  # it trained


def test_paired_trials_share_initial_weights_and_targets_across_amplitudes(jobs):
    a, b = jobs[0.0], jobs[2.0]
    np.testing.assert_array_equal(a.target.values, b.target.values)  # the same N and h at every amplitude
    assert np.unique(a.target.sel(family="noise").values[:, :5], axis=0).shape[0] == 3  # each trial its own draw
    # the initial networks' outputs: the same at every amplitude, family and L
    first = a.output.sel(epoch=0)
    for ds in (a, b):
        out = ds.output.sel(epoch=0)
        np.testing.assert_array_equal(out.values, np.broadcast_to(first.isel(family=0, low=0).values, out.shape))


def test_subtracting_the_known_function_at_epoch_zero_gives_the_networks_own_output(jobs):
    ds = jobs[2.0]
    known = 2.0 * ds.target_std * ds.low_function  # a s L on the inputs
    np.testing.assert_allclose((ds.fit.sel(epoch=0) + known).transpose(*ds.output.sel(epoch=0).dims).values, ds.output.sel(epoch=0).values, rtol=0, atol=1e-12)
    # and the training error is the fit's against t
    err = ((ds.fit - ds.target) ** 2).mean("sample")
    np.testing.assert_allclose(err.transpose(*ds.train_error.dims).values, ds.train_error.values, rtol=1e-12)
    assert np.isnan(ds.function_error.sel(family="noise")).all() and np.isfinite(ds.function_error.sel(family="high")).all()


def constructed(factor_by_family: dict, trials=16, seed=0) -> xr.Dataset:
    """A merged data set whose boosted errors are ``factor`` times plain's, per trial, with noise."""
    rng = np.random.default_rng(seed)
    families = list(factor_by_family)
    amps, epochs = [0.0, 1.0, 2.0], [0, 10, 20]
    plain = rng.uniform(0.5, 1.5, (len(families), 1, trials, 1)) * np.array([2.0, 1.0, 0.8])  # decreasing over epochs
    shape = (1, len(amps), len(families), 2, trials, len(epochs))
    error = np.empty(shape)
    for i, f in enumerate(families):
        for j, a in enumerate(amps):
            factor = 1.0 if a == 0 else factor_by_family[f] * rng.normal(1.0, 0.02, (1, trials, 1))
            error[0, j, i] = plain[i] * factor
    dims = ("width", "amplitude", "family", "low", "trial", "epoch")
    coords = {"width": [32], "amplitude": amps, "family": families, "low": ["spline", "line"], "trial": np.arange(trials), "epoch": epochs}
    return xr.Dataset({"train_error": (dims, error), "function_error": (dims, error)}, coords=coords)


def test_the_verdict_tells_better_equal_and_worse_on_constructed_curves():
    ds = constructed({"noise": 0.8, "high": 1.0, "high+noise": 1.25})
    assert analysis.answer(ds) == {(32, "noise"): "improves", (32, "high"): "no difference", (32, "high+noise"): "worse"}
    table = analysis.table(ds)
    row = table[(table.family == "noise") & (table.low == "line") & (table.amplitude == 2.0)].iloc[0]
    assert abs(row.ratio_best - 0.8) < 0.02 and row.ratio_best_se < 0.01 and row.verdict == "improves"
    assert analysis.verdict([1.0]) [2] == "not comparable" and analysis.verdict([0.5, np.nan])[2] == "not comparable"
    # 4 trials: 3.18 s.e. either side, not 2 (0.8 +- 2 x 0.08 stays below 1, 0.8 +- 3.18 x 0.08 does not)
    ratios = 0.8 + 0.08 * 2 * np.array([-0.75, -0.25, 0.25, 0.75]) / np.std([-0.75, -0.25, 0.25, 0.75], ddof=1)
    mean, se, found = analysis.verdict(ratios)
    assert mean == pytest.approx(0.8) and se == pytest.approx(0.08) and found == "no difference"
    assert analysis.verdict(ratios, z=2.0)[2] == "improves"
    with pytest.raises(ValueError, match="amplitude 0"):
        analysis.table(ds.sel(amplitude=[1.0, 2.0]))
