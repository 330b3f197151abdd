"""E5's frequency sweep: its jobs' specs, targets, pairing with E5's trials,
resume, merge, figure panel, and that adding a frequency trains only it."""

import json
import re

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT, snakemake

from empirical_size.experiments.linearity import figure as linearity_figure
from empirical_size.experiments.linearity import job as linearity
from empirical_size.experiments.linearity import record as e5
from empirical_size.plan import registry, work

TINY = {"width": 4, "n": 16, "trials": 3, "frequency_epochs": 40, "frequency_record_every": 10, "dtype": "float64"}


def default_config():
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    return config


def test_the_specs_hold_only_what_their_numbers_depend_on():
    config = default_config()
    main = e5.spec(config, "all")
    assert main == e5.spec(config) and not set(main) & set(e5.FREQUENCY_KEYS)  # E5's own spec as before the sweep
    assert e5.jobs(config) == [f"results/jobs/linearity/{p}.nc" for p in ("all", "frequency1", "frequency2", "frequency4", "frequency8")]
    spec = e5.spec(config, "frequency4")
    assert (spec["frequency"], spec["frequency_epochs"], spec["frequency_record_every"], spec["first_trial"]) == (4, 4000, 20, 0)
    assert isinstance(linearity.Job.from_dict(spec), linearity.FrequencyJob) and isinstance(linearity.Job.from_dict(main), linearity.LinearityJob)
    changed = json.loads(json.dumps(config))
    changed["linearity"].update(checkpoints=[10, 20], noise_scale=0.5, knots=3, mse_times=2, frequencies=[4, 16])
    assert e5.spec(changed, "frequency4") == spec  # E5's own keys and the other frequencies do not touch it
    assert e5.spec(changed, "all") != main
    with pytest.raises(registry.ConfigError, match="not in linearity.frequencies"):
        e5.spec(config, "frequency3")
    with pytest.raises(registry.ConfigError, match="parts are"):
        e5.spec(config, "frequency04")
    flops, memory = work.job_work(spec)
    assert flops == 6.0 * 3265 * 64 * 4000 * 5  # per parameter (1-32-32-32-32-1), sample, epoch and trial
    assert 0 < memory < 2**20 and registry.resources("linearity", config, {"part": "frequency4"})["runtime"] >= 1
    config["linearity"]["frequencies"] = []
    assert e5.jobs(config) == ["results/jobs/linearity/all.nc"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"frequencies": [2, 2]}, "linearity.frequencies must be distinct"),
        ({"frequencies": [1, 32]}, r"linearity.frequencies has 32 cycles"),
        ({"frequency_record_every": 30}, r"linearity.frequency_record_every \(30\) must divide linearity.frequency_epochs"),
        ({"frequency_epochs": 10}, "linearity.frequency_record_every"),
    ],
)
def test_bad_sweeps_are_refused_naming_the_key(change, message):
    config = default_config()
    config["linearity"].update(change)
    with pytest.raises(registry.ConfigError, match=message):
        registry.check(config)


def test_targets_have_their_frequency_and_each_trial_one_phase_at_every_frequency():
    jobs = {k: linearity.FrequencyJob.from_dict(dict(frequency=k, **{**TINY, "n": 64})) for k in (1, 3, 8)}
    x, _ = jobs[1].data()
    np.testing.assert_array_equal(x, linearity.LinearityJob.from_dict(dict(n=64)).data()[0])  # E5's inputs
    phases = jobs[1].phases()
    assert len(set(phases.tolist())) == 3 and ((0 <= phases) & (phases < 2 * np.pi)).all()
    for k, job in jobs.items():
        np.testing.assert_array_equal(job.phases(), phases)  # paired: the same phase at every frequency
        xk, y = job.data()
        np.testing.assert_array_equal(xk, x)
        np.testing.assert_allclose(y[..., 0], np.sin(2 * np.pi * k * (x[:, 0] + 1) / 2 + phases[:, None]))
        crossings = (np.diff(np.sign(y[..., 0]), axis=1) != 0).sum(axis=1)
        assert (crossings == 2 * k).all(), (k, crossings)  # k cycles over the domain
        # its strongest frequency on a fine grid is k
        fine = np.linspace(-1, 1, 2048, endpoint=False)
        spectrum = np.abs(np.fft.rfft(linearity.sine(fine[:, None], k, (-1, 1), phases)[..., 0], axis=1))
        assert (spectrum.argmax(axis=1) == k).all()
    assert linearity.FrequencyJob.from_dict(dict(frequency=1, **{**TINY, "first_trial": 2, "trials": 1})).phases()[0] == phases[2]  # a trial's own stream


def test_each_trial_starts_from_its_e5_trials_weights(monkeypatch):
    """The weights a frequency job sets are those E5's own job starts each
    training set's trial from (shared_init), at every frequency."""
    from empirical_size.engine import trainer as trainers

    seen = []
    make = trainers.make_trainer

    def recording(*args, **kwargs):
        trainer = make(*args, **kwargs)
        set_weights = trainer.set_weights
        trainer.set_weights = lambda weights: (seen.append([(np.array(k), np.array(b)) for k, b in weights]), set_weights(weights))[1]
        return trainer

    monkeypatch.setattr(trainers, "make_trainer", recording)
    main = linearity.LinearityJob.from_dict(dict(width=4, n=16, trials=3, checkpoints=(1,), mse_times=1, grid_points=5, dtype="float64"))
    linearity.run(main)
    for k in (1, 2):
        linearity.run(linearity.Job.from_dict({**TINY, "frequency": k, "frequency_epochs": 10}))
    e5, *sweep = seen
    assert len(sweep) == 2
    for weights in sweep:
        for (k5, b5), (kf, bf) in zip(e5, weights, strict=True):
            for s in range(3):  # E5's three training sets, trials stacked set by set
                np.testing.assert_array_equal(k5[3 * s : 3 * s + 3], kf)
                np.testing.assert_array_equal(b5[3 * s : 3 * s + 3], bf)


def test_a_frequency_job_records_its_mse_and_resumes_to_the_same_numbers(tmp_path):
    from empirical_size.training.checkpoint import Checkpoint

    job = linearity.FrequencyJob.from_dict(dict(frequency=2, **TINY))
    whole = linearity.run(job)
    assert whole.mse.dims == ("trial", "epoch") and whole.epoch.values.tolist() == [10, 20, 30, 40]
    assert int(whole.frequency) == 2 and whole.attrs["frequency_epochs"] == 40
    _, y = job.data()
    np.testing.assert_allclose(whole.target_variance, y[..., 0].var(axis=1))
    assert (whole.target_variance > 0.3).all() and (whole.mse.isel(epoch=-1) < whole.mse.isel(epoch=0)).all()
    for key in ("config", "seeds", "backend", "versions", "device", "wall_seconds", "gradients"):
        assert key in whole.attrs
    assert "frequency_phase" in whole.attrs["seeds"] and json.loads(whole.attrs["config"])["frequency"] == 2

    class Killed(Exception):
        pass

    class DiesAfterSaving(Checkpoint):
        def save(self, *args):
            super().save(*args)
            if args[0] >= 20:
                raise Killed

    spec = {**TINY, "frequency": 2}
    with pytest.raises(Killed):
        linearity.run(job, checkpoint=DiesAfterSaving(tmp_path / "c.npz", spec))
    assert Checkpoint(tmp_path / "c.npz", spec).load()[0] == 20
    resumed = linearity.run(job, checkpoint=Checkpoint(tmp_path / "c.npz", spec))
    np.testing.assert_array_equal(resumed.mse, whole.mse)


def sweep_set(epochs_to_half, last=100, trials=3):
    """A merged-like data set whose trial ``t`` at frequency ``k`` explains
    half its variance first at ``epochs_to_half[k][t]`` (None: never)."""
    freq_epoch = np.arange(10, last + 1, 10)
    ks = sorted(epochs_to_half)
    mse = np.ones((len(ks), trials, len(freq_epoch)))
    for i, k in enumerate(ks):
        for t, e in enumerate(epochs_to_half[k]):
            mse[i, t] = np.where(freq_epoch >= (e or np.inf), 0.4, 0.6)
    return xr.Dataset(
        {"freq_mse": (("frequency", "trial", "freq_epoch"), mse), "freq_target_variance": (("frequency", "trial"), np.ones((len(ks), trials)))},
        coords={"frequency": ks, "trial": range(trials), "freq_epoch": freq_epoch},
    )


def test_epochs_to_learn_half_the_variance():
    ds = sweep_set({1: [10, 20, 30], 2: [40, None, 100]})
    ds["freq_mse"][1, 2, 0] = np.nan  # a diverged trial
    from empirical_size.experiments.linearity.claims import epochs_to_learn

    epochs, reached = epochs_to_learn(ds)
    assert epochs.dims == ("frequency", "trial")
    np.testing.assert_array_equal(epochs.sel(frequency=1), [10, 20, 30])
    assert epochs.sel(frequency=2, trial=0) == 40 and epochs.sel(frequency=2, trial=1) == 110  # not reached: one record past the end
    assert np.isnan(epochs.sel(frequency=2, trial=2))
    assert reached.values.tolist() == [[True, True, True], [True, False, False]]


def test_figure5_has_the_frequency_panel_beside_the_papers():

    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {
            "output_data": (("set", "trial", "epoch", "sample"), rng.random((3, 3, 2, 8))),
            "noise": (("sample",), rng.normal(size=8)),
        },
        coords={"set": ["X+N", "X", "N"], "trial": range(3), "epoch": [40, 80]},
        attrs={"mse_epochs": [40, 80]},
    )
    alone = linearity_figure.figure5(ds)
    assert len(alone.axes) == 1
    fig = linearity_figure.figure5(xr.merge([ds, sweep_set({1: [10, 20, 30], 2: [40, 60, 50], 4: [90, None, 100]})]))
    left, right = fig.axes
    assert left.get_xlabel() == "epoch" and "Is the noise learned" in left.get_title()
    assert right.get_xscale() == right.get_yscale() == "log" and "frequency" in right.get_xlabel()
    lines = {line.get_label(): line for line in right.get_lines()}
    mean = lines["mean over trials"]
    np.testing.assert_allclose(mean.get_xdata(), [1, 2])
    np.testing.assert_allclose(mean.get_ydata(), [20, 50])
    bound = lines["mean, a lower bound (some trials not there)"]  # frequency 4: one trial never got there
    np.testing.assert_allclose(bound.get_ydata(), [(90 + 110 + 100) / 3])  # drawn one record (10) past the end
    assert bound.get_markerfacecolor() == "white"
    assert any(label.startswith("open: not there by epoch 100") for label in lines)
    ref = next(line for label, line in lines.items() if "k²" in label)
    np.testing.assert_allclose(ref.get_ydata(), [20, 80, 320])  # k^2 through the lowest frequency's mean
    assert ref.get_linestyle() == "--"


def test_a_frequency_jobs_derived_code_holds_every_module_it_runs(tmp_path):
    import subprocess
    import sys

    from test_layout import LOADED

    from empirical_size.plan import code

    spec = {**TINY, "frequency": 1}
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, "linearity", json.dumps(spec), str(tmp_path / "job.nc")],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = {p for p in json.loads(proc.stdout.splitlines()[-1]) if p}
    watched = {str(p) for p in code.files("empirical_size.training.job", registry.EXPERIMENTS["linearity"].job_module())}
    assert loaded and loaded <= watched, sorted(loaded - watched)


WORKFLOW = {
    "plot": {"dpi": 40},
    "linearity": {
        "width": 8, "n": 16, "trials": 2, "checkpoints": [5, 10], "mse_times": 2, "grid_points": 20,
        "frequencies": [1, 3], "frequency_epochs": 40, "frequency_record_every": 10,
    },
}  # fmt: skip


def planned(workdir, cfg, target, name="changed.yaml"):
    """Rule -> jobs a dry run plans, and its output."""
    (workdir / "config" / name).write_text(yaml.safe_dump(cfg))
    out = snakemake(workdir, target, "-n", "--configfile", f"config/{name}").stdout
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1], flags=re.M)) if "Job stats:" in out else {}
    return jobs, out


@pytest.mark.workflow
def test_adding_a_frequency_trains_only_its_job(workdir):
    target = "results/data/linearity.nc"
    (workdir / "config" / "tiny.yaml").write_text(yaml.safe_dump(WORKFLOW))
    snakemake(workdir, target, "--configfile", "config/tiny.yaml")
    ds = xr.load_dataset(workdir / target)
    assert ds.freq_mse.dims == ("frequency", "trial", "freq_epoch") and ds.frequency.values.tolist() == [1, 3]
    assert ds.freq_epoch.values.tolist() == [10, 20, 30, 40] and ds.attrs["frequency_epochs"] == 40
    assert ds.freq_target_variance.dims == ("frequency", "trial") and ds.output.sizes == {"set": 3, "trial": 2, "epoch": 2, "x": 20}
    for var in ("freq_mse", "freq_target_variance", "frequency", "freq_epoch"):
        assert ds[var].attrs["description"], var
    job = xr.load_dataset(workdir / "results/jobs/linearity/frequency3.nc")
    assert json.loads(job.attrs["config"])["frequency"] == 3
    main = json.loads(xr.load_dataset(workdir / "results/jobs/linearity/all.nc").attrs["config"])
    assert not set(main) & set(e5.FREQUENCY_KEYS)

    def change(**keys):
        cfg = json.loads(json.dumps(WORKFLOW))
        cfg["linearity"].update(keys)
        return planned(workdir, cfg, target)

    jobs, out = change(frequencies=[1, 2, 3])
    assert jobs == {"linearity_train": "1", "linearity_merge": "1", "total": "2"}
    assert re.search(r"output: results/jobs/linearity/frequency2\.nc", out)
    assert not re.search(r"output: results/jobs/linearity/(all|frequency1|frequency3)\.nc", out)  # E5's own job is not rerun
    jobs, out = change(checkpoints=[5, 20], noise_scale=0.3)  # E5's own keys: its job only
    assert jobs == {"linearity_train": "1", "linearity_merge": "1", "total": "2"} and "output: results/jobs/linearity/all.nc" in out
    jobs, _ = change(frequencies=[3])  # a frequency left out: merged again, nothing trained
    assert jobs == {"linearity_merge": "1", "total": "1"}
    jobs, _ = change(frequencies=[])
    assert jobs == {"linearity_merge": "1", "total": "1"}
