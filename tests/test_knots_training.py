"""E6 after a few training steps from the paper's initialisation (zero
biases): the counts, their consistency with the trainer's weights, their
seeds, the job's spec and the workflow's reruns."""

import json
import re

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT, snakemake

from empirical_size.experiments.common import glorot_trials
from empirical_size.experiments.knots import analysis as knots_analysis
from empirical_size.experiments.knots import figure as knots_figure
from empirical_size.experiments.knots import job as knots
from empirical_size.experiments.knots import record as e6
from empirical_size.plan import registry, resources
from empirical_size.science import networks
from empirical_size.science.pieces import count_pieces

SPEC = {
    "seed": 0, "namespace": "knots", "widths": [4, 16], "depths": [1, 3], "trials": 2, "steps": [0, 1, 3],
    "train_points": 64, "dtype": "float32", "matmul_precision": "float32",
    "optimizer": {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-8},
}  # fmt: skip


@pytest.fixture(scope="module")
def trained():
    return knots.run(knots.Job.from_dict(SPEC))


def test_step_zero_has_at_most_two_pieces_and_training_adds_kinks(trained):
    p = trained.pieces_trained
    assert p.dims == ("width", "depth", "step", "trial") and p.step.values.tolist() == [0, 1, 3]
    assert p.attrs["description"] and p.dtype.kind == "i"
    start = p.sel(step=0)
    assert ((start >= 1) & (start <= 2)).all()  # zero biases: every kink at x = 0
    assert (p.sel(width=16, step=[1, 3]) > 2).all()  # a step moves the first layer's kinks apart
    assert (p.sel(step=0, width=4, depth=3) == 1).any()  # a narrow deep network can start dead: one piece
    assert np.isfinite(trained.mse_trained).all()
    assert trained.data_x.size == 64
    np.testing.assert_allclose(trained.data_x, np.linspace(-1, 1, 64))


def test_counts_are_those_of_the_trainers_weights(trained):
    """The job's counts after training equal count_pieces of a trainer made,
    started and trained the same way, by hand (3 steps in one call)."""
    from empirical_size.engine.trainer import AdadeltaSettings, make_trainer

    job = knots.Job.from_dict(SPEC)
    x, y = job.data()
    xs, ys = np.repeat(x[None], job.trials, 0), np.repeat(y[None], job.trials, 0)
    for width in job.widths:
        for depth in job.depths:
            trainer = make_trainer(networks.layer_sizes(1, width, depth), job.trials, "float32", AdadeltaSettings(**job.optimizer))
            start = job.initial_weights(width, depth)
            assert all((b == 0).all() for _, b in start)  # the paper's zero biases
            trainer.set_weights(start)
            trainer.train_full(trainer.cast(xs), trainer.cast(ys), 3)
            expected = count_pieces(trainer.get_weights(), (-1.0, 1.0))
            np.testing.assert_array_equal(trained.pieces_trained.sel(width=width, depth=depth, step=3), expected)


def test_same_spec_gives_the_same_numbers_and_streams_are_its_own(trained):
    again = knots.run(knots.Job.from_dict(SPEC))
    for name in ("pieces_trained", "mse_trained", "data_y"):
        np.testing.assert_array_equal(again[name], trained[name])
    job = knots.Job.from_dict(SPEC)
    # initial kernels independent of the initialisation counts' (same width, depth, trials)
    counted = glorot_trials(0, "knots", (16, 3), job.trial_ids, networks.layer_sizes(1, 16, 3), bias_scale=0.5)
    assert not np.allclose(job.initial_weights(16, 3)[0][0], counted[0][0])
    # a trial's start does not depend on how many trials the job has
    more = knots.Job.from_dict({**SPEC, "trials": 3})
    np.testing.assert_array_equal(more.initial_weights(16, 3)[1][0][:2], job.initial_weights(16, 3)[1][0])
    # the data: E6's own, not E5's
    from empirical_size.experiments.linearity.job import LinearityJob

    x, spline_y, noise, _ = LinearityJob.from_dict(dict()).data()
    assert not np.allclose(job.data()[1], spline_y + noise)


def test_summarise_adds_the_trained_counts_and_leaves_them_out_without_steps(trained):
    init = knots.run(knots.Job.from_dict({k: SPEC[k] for k in ("seed", "namespace", "widths", "depths", "trials")} | {"bias_scale": 0.5}))
    assert "pieces" in init and "pieces_trained" not in init
    merged = knots_analysis.summarise(init, None, None, trained)
    assert merged.pieces_trained.dims == ("width", "depth", "step", "trial")
    np.testing.assert_array_equal(merged.pieces_trained, trained.pieces_trained)
    np.testing.assert_array_equal(merged.pieces, init.pieces)
    assert merged.pieces_trained.attrs["description"].startswith("linear pieces on the data's domain")
    assert "pieces_trained" not in knots_analysis.summarise(init, None, None)

    fig = knots_figure.knots_figure(merged)
    left, right = fig.axes
    assert right.get_xscale() == right.get_yscale() == "log" and right.get_title().startswith("After 3 full-batch steps")
    labels = right.get_legend_handles_labels()[1]
    assert any(label.startswith("N·K") for label in labels) and any(label.startswith("N^K") for label in labels)
    assert any(label.startswith("step 0") for label in labels)
    squares = [line for line in right.get_lines() if line.get_marker() == "s" and len(line.get_xdata())]
    assert len(squares) == 2 and all((np.asarray(s.get_ydata()) <= 2).all() for s in squares)
    assert right.get_ylim()[0] < 1  # step 0's single pieces stay in view


def config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_specs_hold_what_their_numbers_depend_on():
    c = config()
    # the initialisation job's spec as it was before the training job existed: its results do not rerun
    old = '{"bias_scale": 0.5, "depths": [1, 2, 3, 4], "namespace": "knots", "seed": 0, "trials": 5, "widths": [8, 32, 128, 500]}'
    assert json.dumps(e6.spec(c, "init"), sort_keys=True) == old == json.dumps(e6.spec(c), sort_keys=True)
    spec = e6.spec(c, "trained")
    assert set(spec) == {"seed", "namespace", "widths", "depths", "trials", "steps", "train_points", "dtype", "optimizer", "matmul_precision"}
    assert spec["steps"] == [0, 1, 5, 25] and spec["train_points"] == 64
    knots.Job.from_dict(spec)  # a training job
    changed = config()
    changed["knots"].update(bias_scale=0.25, steps=[0, 2])
    assert e6.spec(changed, "trained") != spec and e6.spec(changed, "trained")["steps"] == [0, 2]
    changed["knots"]["steps"] = spec["steps"]
    assert e6.spec(changed, "trained") == spec  # the bias scale is the initialisation counts' only
    assert e6.jobs(c) == ["results/jobs/knots/init.nc", "results/jobs/knots/trained.nc"]
    c["knots"]["steps"] = []
    assert e6.jobs(c) == ["results/jobs/knots/init.nc"]
    with pytest.raises(registry.ConfigError, match="knots.steps"):
        e6.spec(c, "trained")


@pytest.mark.parametrize("steps", [[5, 1], [0, 1, 1]])
def test_steps_must_be_distinct_and_increasing(steps):
    c = config()
    c["knots"]["steps"] = steps
    with pytest.raises(registry.ConfigError, match=r"config key knots.steps"):
        registry.check(c)


def test_work_and_resources_follow_the_grid():
    c = config()
    init, trained = e6.spec(c, "init"), e6.spec(c, "trained")
    assert e6.work(init)[0] == 0  # counts only
    flops = e6.work(trained)[0]
    params = sum(networks.parameter_count(networks.layer_sizes(1, w, d)) for w in c["knots"]["widths"] for d in c["knots"]["depths"])
    assert flops == 6.0 * params * 64 * 25 * c["knots"]["trials"]
    for part in ("init", "trained"):
        r = registry.resources("knots", c, {"part": part})
        assert r["runtime"] >= 1 and r["mem_mb"] > resources.PROCESS_MB["kernel"]


@pytest.mark.workflow
def test_changing_steps_reruns_the_training_job_only(workdir):
    """In a tiny workflow: knots.steps replans the training job, not the
    initialisation counts; knots.bias_scale the counts, not the training."""
    from test_workflow import TINY, write_config

    targets = ["results/jobs/knots/init.nc", "results/jobs/knots/trained.nc"]
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    cfg["knots"]["steps"] = [0, 1, 3]
    snakemake(workdir, *targets, "--configfile", write_config(workdir, cfg), timeout=300)
    assert xr.load_dataset(workdir / targets[1]).step.values.tolist() == [0, 1, 3]

    def planned(**change) -> list[str]:
        """The E6 jobs a dry run would run (their ``part``s)."""
        changed = yaml.safe_load(yaml.safe_dump(cfg))
        changed["knots"].update(change)
        wanted = targets[: 1 + bool(changed["knots"]["steps"])]
        out = snakemake(workdir, *wanted, "-n", "--configfile", write_config(workdir, changed, "changed.yaml")).stdout
        return sorted(re.findall(r"^\s+wildcards: part=(\w+)$", out, flags=re.M))

    assert planned() == []
    assert planned(steps=[0, 1, 2]) == ["trained"]
    assert planned(bias_scale=0.25) == ["init"]
    assert planned(steps=[]) == []  # no training: the counts stay


def test_the_training_jobs_code_trigger_watches_the_engine():
    """Both E6 jobs run experiments/knots/job.py: its code trigger holds what the
    training imports (inside functions too), so editing the engine reruns it;
    its analysis (the merge's) is not among them."""
    from empirical_size.plan import code

    watched = {p.name for p in code.files("empirical_size.training.job", registry.EXPERIMENTS["knots"].job_module())}
    assert {"keras_trainer.py", "loop.py", "keras_steps.py", "cpu_kernel.cpp", "targets.py", "pieces.py"} <= watched
    assert not watched & {"plots.py", "reproduction.py", "cli.py", "analysis.py"}
