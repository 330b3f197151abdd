"""Seeds, initial weights, progress lines, job grids: small pure functions."""

import numpy as np
import pytest
import xarray as xr

from empirical_size.experiments.batching import record as e3
from empirical_size.experiments.degenerate import record as e1
from empirical_size.experiments.linearity import record as e5
from empirical_size.experiments.minima import record as e4
from empirical_size.experiments.sensitivity import record as e7
from empirical_size.experiments.size import record as e2
from empirical_size.experiments.size.job import SizeJob
from empirical_size.plan import registry
from empirical_size.science import networks, seeding
from empirical_size.training.progress import Progress


def test_streams_depend_only_on_their_key():
    a = seeding.generator(0, "size", "data", 100, 5).standard_normal(3)
    b = seeding.generator(0, "size", "data", 100, 5).standard_normal(3)
    c = seeding.generator(0, "size", "data", 100, 6).standard_normal(3)
    d = seeding.generator(0, "size", "init", 100, 5).standard_normal(3)
    e = seeding.generator(1, "size", "data", 100, 5).standard_normal(3)
    np.testing.assert_array_equal(a, b)
    for other in (c, d, e):
        assert not np.allclose(a, other)


def test_job_data_and_weights_do_not_depend_on_the_chunk():
    big = SizeJob.from_dict(dict(depth=2, n=30, first_trial=0, trials=5, epochs=1, record_every=1))
    one = SizeJob.from_dict(dict(depth=2, n=30, first_trial=3, trials=1, epochs=1, record_every=1))
    x5, y5 = big.data()
    x1, y1 = one.data()
    np.testing.assert_array_equal(x5[3], x1[0])
    np.testing.assert_array_equal(y5[3], y1[0])
    for (k5, b5), (k1, b1) in zip(big.initial_weights(), one.initial_weights()):
        np.testing.assert_array_equal(k5[3], k1[0])
        np.testing.assert_array_equal(b5[3], b1[0])


def test_depths_share_data_but_not_weights():
    d2 = SizeJob.from_dict(dict(depth=2, n=30, first_trial=0, trials=1, epochs=1, record_every=1))
    d3 = SizeJob.from_dict(dict(depth=3, n=30, first_trial=0, trials=1, epochs=1, record_every=1))
    np.testing.assert_array_equal(d2.data()[1], d3.data()[1])
    assert not np.allclose(d2.initial_weights()[0][0], d3.initial_weights()[0][0])


@pytest.mark.parametrize(
    "distribution, low, high, mean, var",
    [("normal", -np.inf, np.inf, 0.0, 1.0), ("uniform_symmetric", -1.0, 1.0, 0.0, 1 / 3), ("uniform_positive", 0.0, 1.0, 0.5, 1 / 12)],
)
def test_each_input_distribution_has_its_support_and_moments(distribution, low, high, mean, var):
    x, y = networks.noise_data(np.random.default_rng(3), 200_000, 3, distribution)
    assert x.shape == (200_000, 3) and (x > low).all() and (x < high).all()
    n = x.shape[0]
    # mean and variance within 5 standard errors (the variance's from the fourth moment)
    np.testing.assert_allclose(x.mean(axis=0), mean, atol=5 * np.sqrt(var / n))
    fourth = ((x - mean) ** 4).mean(axis=0)
    np.testing.assert_allclose(x.var(axis=0), var, atol=5 * np.sqrt((fourth.max() - var**2) / n))
    if distribution != "normal":  # uniform: each tenth of the interval holds a tenth of the draws
        counts = np.histogram(x.ravel(), bins=10, range=(low, high))[0] / x.size
        np.testing.assert_allclose(counts, 0.1, atol=5 * np.sqrt(0.09 / x.size))
    assert abs(y.mean()) < 5 / np.sqrt(n) and abs(y.var() - 1) < 5 * np.sqrt(2 / n)  # targets N(0, 1) in every case


def test_input_distributions_share_their_targets_and_keep_the_pairing_across_depths():
    data = {}
    for distribution in networks.INPUT_DISTRIBUTIONS:
        jobs = [SizeJob.from_dict(dict(depth=d, n=30, first_trial=2, trials=3, epochs=1, record_every=1, input_distribution=distribution)) for d in (2, 4)]
        (x2, y2), (x4, y4) = (job.data() for job in jobs)
        np.testing.assert_array_equal(x2, x4)  # depths 2 and 4 fit the same data sets
        np.testing.assert_array_equal(y2, y4)
        data[distribution] = x2, y2
    normal, _ = data["normal"]
    for distribution, (x, y) in data.items():
        np.testing.assert_array_equal(y, data["normal"][1])  # the same targets whatever the inputs
        order = np.argsort(normal, axis=1)  # a monotone transform of the same draws
        assert (np.diff(np.take_along_axis(x, order, axis=1), axis=1) >= 0).all(), distribution
    np.testing.assert_allclose(data["uniform_positive"][0], (data["uniform_symmetric"][0] + 1) / 2)
    from empirical_size.experiments.degenerate.job import DegenerateJob

    e1 = DegenerateJob.from_dict(dict(trials=2, fresh_samples=1000, input_distribution="uniform_positive"))
    assert 0 < e1.data()[0].min() and e1.data()[0].max() < 1 and 0 < e1.fresh().min() and e1.fresh().max() < 1  # E1's fresh inputs too
    with pytest.raises(ValueError, match="unknown input distribution 'uniform'"):
        networks.noise_data(np.random.default_rng(0), 4, 3, "uniform")


def test_glorot_uniform_limits_and_zero_bias():
    rng = np.random.default_rng(0)
    sizes = networks.layer_sizes(3, 64, 4)
    assert sizes == [3, 64, 64, 64, 64, 1]
    weights = networks.glorot_uniform(rng, sizes)
    for (k, b), fi, fo in zip(weights, sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (fi + fo))
        assert k.shape == (fi, fo) and np.abs(k).max() <= limit
        assert np.abs(k).max() > 0.9 * limit  # uniform over the whole range
        assert not b.any()
    assert networks.parameter_count(sizes) == 3 * 64 + 64 + 3 * (64 * 64 + 64) + 65


def test_unknown_job_spec_key_is_refused():
    with pytest.raises(ValueError, match="epohcs"):
        SizeJob.from_dict({"depth": 2, "n": 3, "first_trial": 0, "trials": 1, "epochs": 1, "record_every": 1, "epohcs": 3})


def test_progress_reports_elapsed_and_time_left_at_its_interval():
    now = [0.0]
    lines = []
    p = Progress(1000, every=30, emit=lines.append, clock=lambda: now[0])
    now[0] = 10
    p.update(100)
    assert lines == []  # too soon
    now[0] = 31
    p.update(250)
    assert len(lines) == 1
    assert "250/1000 epochs" in lines[0] and "elapsed 0:00:31" in lines[0] and "left ~0:01:33" in lines[0]
    now[0] = 40
    p.update(1000)
    assert "1000/1000" in lines[-1]
    p.update(1000, force=True)
    assert len(lines) == 2  # the end is reported once

    resumed = Progress(1000, every=30, emit=lines.append, clock=lambda: now[0])
    resumed.resume(600)  # from a checkpoint: 600 epochs were trained by an earlier process
    now[0] += 40
    resumed.update(700)
    assert "700/1000 epochs" in lines[-1] and "left ~0:02:00" in lines[-1]  # 100 epochs in 40 s, 300 to go


def test_trial_chunks_add_chunks_without_changing_old_ones():
    assert registry.trial_chunks(4, 2) == [(0, 1), (2, 3)]
    assert registry.trial_chunks(6, 2) == [(0, 1), (2, 3), (4, 5)]
    assert registry.trial_chunks(5, 8) == [(0, 4)]


def test_size_spec_holds_only_what_the_job_depends_on():
    config = {
        "seed": 1, "dtype": "float32", "backend": "tensorflow", "matmul_precision": "float32",
        "optimizer": {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-8},
        "plot": {"cmap": "jet", "dpi": 100},
        "size": {"depths": [2], "width": 8, "inputs": 3, "sizes": [20, 40], "trials": 4,
                 "epochs": 10, "record_every": 5, "trials_per_job": 2, "pack_width": 0,
                 "input_distribution": "normal"},
    }
    spec = e2.spec(config, depth=2, n=40, first=2, last=3)
    assert spec["trials"] == 2 and spec["first_trial"] == 2 and spec["n"] == 40
    changed = {**config, "plot": {"cmap": "viridis", "dpi": 50}, "size": {**config["size"], "trials": 6, "sizes": [40]}}
    assert e2.spec(changed, depth=2, n=40, first=2, last=3) == spec
    SizeJob.from_dict(spec)  # every key is one the job knows
    assert len(e2.jobs(config)) == 1 * 2 * 2


def paper_like_config():
    import yaml
    from conftest import ROOT

    return yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


def test_batching_full_batch_points_are_shared_with_e2_or_between_variants():
    config = paper_like_config()
    jobs = e3.jobs(config)
    assert len(jobs) == len(set(jobs))
    small = [j for j in jobs if "/n1-256/" in j]
    assert small == [e2.JOB.format(depth=d, n="1-256", first=0, last=127) for d in (2, 3, 4)]  # E2's own (packed) files
    assert all(e3.job(config, "keep", d, 20, 0, 127) == e2.job(config, d, 20, 0, 127) for d in (2, 3, 4))
    big = [j for j in jobs if "/n2305-2560/" in j or "/n2304-2559/" in j]  # drop's bucket: floor(n / 256) steps
    assert len(big) == 3 * 3
    config["batching"]["epochs"] = 1000  # no longer E2's settings: one shared full-batch job per point
    small = [j for j in e3.jobs(config) if "/n20/" in j]
    assert small == [e3.JOB.format(variant="full", depth=d, n=20, first=0, last=127) for d in (2, 3, 4)]
    full = e3.spec(config, "full", 2, 20, 0, 127)
    assert "batch_size" not in full and "variant" not in full
    mini = e3.spec(config, "drop", 2, 2500, 0, 127)
    assert (mini["batch_size"], mini["batch_mode"], mini["variant"]) == (256, "drop", "drop")
    with pytest.raises(registry.ConfigError):
        e3.spec(config, "keep", 2, 20, 0, 127)


def test_e3_packs_the_sizes_taking_the_same_steps_an_epoch():
    from empirical_size.engine.minibatch import BatchPlan

    config = paper_like_config()
    assert [e3.bucket(n, 256, "keep") for n in (1024, 1025, 1280)] == [(769, 1024), (1025, 1280), (1025, 1280)]
    assert [e3.bucket(n, 256, "drop") for n in (1023, 1024, 1279)] == [(768, 1023), (1024, 1279), (1024, 1279)]
    mini = [j for j in e3.jobs(config) if "/batching/" in j and "/keep_b" not in j]  # the batch-size sweep: below
    assert len(mini) == 3 * 3 * 6  # variants x depths x buckets from 1024 to 2560 (paper: 531 jobs unpacked)
    packed = set()
    for path in mini:
        variant, depth, n = path.split("/")[3], int(path.split("/")[4][5:]), path.split("/")[5][1:]
        spec = e3.spec(config, variant, depth, n, 0, 127)
        steps = {BatchPlan(m, 256, variant).steps_per_epoch for m in spec["ns"]}
        assert len(steps) == 1 and len(spec["ns"]) >= 7, (path, spec["ns"], steps)
        packed |= {(variant, depth, m) for m in spec["ns"]}
    e3_sizes = [m for m in config["batching"]["sizes"] if m >= 1024]
    assert packed == {(v, d, m) for v in ("keep", "drop", "resample") for d in (2, 3, 4) for m in e3_sizes}
    with pytest.raises(registry.ConfigError, match="not a bucket"):
        e3.spec(config, "drop", 2, "1025-1280", 0, 127)  # keep's bucket, not drop's
    config["batching"]["pack"] = False
    assert len([j for j in e3.jobs(config) if "/batching/" in j and "/keep_b" not in j]) == 3 * 3 * len(e3_sizes)


def test_the_batch_size_sweep_trains_the_keep_variant_on_the_same_trials_at_other_batch_sizes():
    from empirical_size.experiments.size import job as size_experiment

    config = paper_like_config()
    config["batching"].update(sweep_batch_sizes=[128, 512], sweep_sizes=[1498, 2500])
    sweep = [j for j in e3.jobs(config) if "/keep_b" in j]
    assert len(sweep) == 2 * 3 * 2  # batch sizes x depths x sizes (each its own bucket here)
    assert "results/jobs/batching/keep_b128/depth2/n2433-2560/trials0-127.nc" in sweep  # ceil(n / 128) steps
    one = e3.spec(config, "keep_b512", 3, "2049-2560", 0, 127)
    paper = e3.spec(config, "keep", 3, 2500, 0, 127)
    assert (one["batch_size"], one["batch_mode"], one["ns"]) == (512, "keep", [2500])
    # the same data, initial weights and shuffle streams as the paper's batch size: only the batch differs
    assert {k: v for k, v in one.items() if k not in ("batch_size", "variant", "ns")} == {
        k: v for k, v in paper.items() if k not in ("batch_size", "variant", "n")
    }
    size_experiment.Job.from_dict(one)
    assert e3.sweep_batch_size("keep_b512") == 512 and e3.sweep_batch_size("keep") is None and e3.sweep_batch_size("keep_b05") is None
    with pytest.raises(registry.ConfigError, match="sweep_batch_sizes"):
        e3.spec(config, "keep_b64", 3, 2500, 0, 127)  # not a batch size of the sweep
    for change, key in (
        ({"sweep_batch_sizes": [256]}, "batching.sweep_batch_sizes"),
        ({"sweep_sizes": [1500]}, "batching.sweep_sizes"),  # not one of batching.sizes
        ({"sweep_sizes": [997]}, "batching.sweep_sizes"),  # full batch there
        ({"sweep_sizes": []}, "batching.sweep_sizes"),
    ):
        bad = paper_like_config()
        bad["batching"].update({"sweep_batch_sizes": [128, 512], "sweep_sizes": [1498], **change})
        with pytest.raises(registry.ConfigError, match=key.replace(".", r"\.")):
            e3.check(bad)


def test_minima_zero_bias_spec_ignores_the_bias_scale():
    config = paper_like_config()
    zero, uniform = e4.spec(config, "zero"), e4.spec(config, "uniform")
    assert "bias_scale" not in zero and uniform["bias_scale"] == 0.5
    from empirical_size.experiments.minima.job import MinimaJob

    MinimaJob.from_dict(zero), MinimaJob.from_dict(uniform)


def test_every_spec_is_one_its_job_accepts():
    from empirical_size.experiments.degenerate import job as degenerate
    from empirical_size.experiments.linearity import job as linearity
    from empirical_size.experiments.size import job as size_experiment

    config = paper_like_config()
    degenerate.Job.from_dict(e1.spec(config))
    linearity.Job.from_dict(e5.spec(config))
    size_experiment.Job.from_dict(e3.spec(config, "resample", 4, 2500, 0, 127))
    merged = registry.merge_config(config, "degenerate")
    assert "report_layers" not in merged["degenerate"] and merged["optimizer"]["epsilon"] == 1e-8


def test_a_chunk_too_large_for_the_device_is_refused_with_what_fits():
    from empirical_size.experiments.size.job import SizeJob, check_memory, memory_estimate

    job = SizeJob.from_dict(dict(depth=4, n=2500, first_trial=0, trials=128, epochs=10, record_every=5))
    need = memory_estimate(job)
    assert memory_estimate(job, 64) == pytest.approx(need / 2)
    check_memory(job, available=10 * need)  # fits: no error
    with pytest.raises(ValueError, match=r"needs about .* GiB.*trials_per_job to at most (\d+)") as err:
        check_memory(job, available=need / 2)
    fits = int(err.value.args[0].rsplit(" ", 1)[-1])
    assert 0 < fits < 128 and memory_estimate(job, fits) <= 0.8 * need / 2


def test_sizes_pack_into_fixed_buckets_and_a_bucket_job_names_its_sizes():
    config = paper_like_config()
    config["size"].update(sizes=[20, 256, 257, 600], pack_width=256, trials=4, trials_per_job=4)
    assert [e2.bucket(n, 256) for n in (1, 256, 257, 600)] == ["1-256", "1-256", "257-512", "513-768"]
    assert e2.bucket(600, 0) == "600"
    assert [p.split("/")[4] for p in e2.jobs(config) if "depth2/" in p] == ["n1-256", "n257-512", "n513-768"]
    spec = e2.spec(config, 2, "1-256", 0, 3)
    assert spec["ns"] == [20, 256] and "n" not in spec
    with pytest.raises(registry.ConfigError, match="pack_width"):
        e2.spec(config, 2, "1-300", 0, 3)  # not a bucket of width 256
    config["size"]["pack_width"] = 0
    assert [p.split("/")[4] for p in e2.jobs(config) if "depth2/" in p] == ["n20", "n256", "n257", "n600"]


def test_a_packed_job_file_merges_into_its_points(tmp_path):
    from empirical_size.analysis.merge import merge_jobs

    def job(ns, first):
        trial = np.arange(first, first + 2)
        return xr.Dataset(
            {v: (("n", "trial", "epoch"), np.random.default_rng(first).random((len(ns), 2, 3))) for v in ("mse", "size")}
            | {"sum_y2": (("n", "trial"), np.ones((len(ns), 2)))},
            coords={"n": ns, "trial": trial, "epoch": [1, 2, 3], "depth": 2},
        )

    paths = []
    for first in (0, 2):
        path = tmp_path / f"t{first}.nc"
        job([20, 35], first).to_netcdf(path)
        paths.append(str(path))
    single = job([300], 0).isel(n=0)
    single.to_netcdf(tmp_path / "s0.nc")
    job([300], 2).isel(n=0).to_netcdf(tmp_path / "s2.nc")
    ds = merge_jobs(paths + [str(tmp_path / "s0.nc"), str(tmp_path / "s2.nc")], ("depth", "n"), ("mse", "size", "sum_y2"), "size")
    assert ds.mse.sizes == {"depth": 1, "n": 3, "trial": 4, "epoch": 3}
    np.testing.assert_array_equal(ds.mse.sel(depth=2, n=35, trial=[2, 3]), job([20, 35], 2).mse.sel(n=35))
    np.testing.assert_array_equal(ds.mse.sel(depth=2, n=300, trial=[0, 1]), single.mse)


@pytest.mark.parametrize("user_level", [None, "0"])
def test_a_job_log_leaves_out_tensorflows_start_up_notices_unless_the_user_set_a_level(tmp_path, user_level):
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")}
    env.update(PYTHONPATH=str(ROOT / "src"), EMPIRICAL_SIZE_PATH="graph", **({"TF_CPP_MIN_LOG_LEVEL": user_level} if user_level else {}))  # a path that imports TensorFlow
    spec = {"depth": 2, "n": 20, "first_trial": 0, "trials": 2, "epochs": 4, "record_every": 2, "width": 4}
    proc = subprocess.run(
        [sys.executable, "-m", "empirical_size", "train", "--job", "size", "--spec", json.dumps(spec), "--out", str(tmp_path / "j.nc")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    notices = [line for line in proc.stderr.splitlines() if "oneDNN custom operations" in line or "absl::InitializeLog" in line]
    assert ("4/4 epochs" in proc.stderr) and (bool(notices) == (user_level is not None)), proc.stderr[-2000:]


def test_compare_tells_identical_close_and_different_numbers():
    import xarray as xr

    from empirical_size.analysis.compare import differences

    a = xr.Dataset({"mse": ("trial", np.array([1.0, 0.5, np.nan]))})
    assert differences(a, a.copy(deep=True)) == []
    ulp = a.copy(deep=True)
    ulp["mse"].values[1] = np.nextafter(0.5, 1.0)
    assert differences(a, ulp) == ["mse: values differ"]  # exact by default
    assert "close" in differences(a, ulp, rtol=1e-12)[0]
    far = a.copy(deep=True)
    far["mse"].values[1] = 0.5001
    assert differences(a, far, rtol=1e-12) == ["mse: values differ"]
    nan = a.copy(deep=True)
    nan["mse"].values[2] = 0.0
    assert differences(a, nan, rtol=1.0) == ["mse: values differ"]  # a NaN is never close to a number


def test_e7_loss_scale_and_optimizer_reset_are_settings_changed_alone_or_with_a_learning_rate():
    config = paper_like_config()
    config["sensitivity"].update(loss_scale=[1.0, 0.125], loss_scale_learning_rates=[1.0, 0.1], optimizer_reset=[False, True])
    settings = e7.settings(config)
    assert settings["loss_scale_0.125"] == {"loss_scale": 0.125}
    assert settings["loss_scale_0.125_learning_rate_0.1"] == {"loss_scale": 0.125, "learning_rate": 0.1}
    assert settings["optimizer_reset_True"] == {"optimizer_reset": True}
    assert "loss_scale_1" not in settings and "optimizer_reset_False" not in settings  # the paper's: the baseline
    # the optimizer's knobs reach the job's Adadelta settings; the baseline's spec names neither
    scaled = e7.spec(config, "loss_scale_0.125_learning_rate_0.1", "size_depth4")["optimizer"]
    assert scaled == {**config["optimizer"], "loss_scale": 0.125, "learning_rate": 0.1}
    assert set(e7.spec(config, "baseline", "size_depth4")["optimizer"]) == {"learning_rate", "rho", "epsilon"}
    assert e7.spec(config, "optimizer_reset_True", "size_depth4")["optimizer"]["reset_at_records"] is True
    # E1's five steps hold no records: the reset leaves E1 as it is, and E7 reads E1's own job
    assert e7.job(config, "optimizer_reset_True", "degenerate") == e1.JOB
    assert e7.job(config, "loss_scale_0.125", "degenerate") == e7.JOB.format(setting="loss_scale_0.125", part="degenerate")
    from empirical_size.engine.trainer import AdadeltaSettings

    AdadeltaSettings(**scaled), AdadeltaSettings(**e7.spec(config, "optimizer_reset_True", "size_depth4")["optimizer"])
