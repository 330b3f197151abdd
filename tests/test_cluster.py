"""The pipeline through a real SLURM: a single-node cluster on this machine.

Starts munged, slurmctld and slurmd (installing Debian's packages if
missing), submits a tiny config with --profile profiles/slurm (its default resources,
GPU request with them, replaced), checks the outputs and that SLURM ran the jobs, and stops the daemons
it started. Skips, with the reason, where the daemons cannot start.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml
from test_workflow import TINY

from empirical_size.plan import registry, resources

HERE = Path(__file__).parent / "cluster"
BASE = Path("/tmp/empirical-size-slurm")


@pytest.fixture(scope="module")
def slurm():
    if os.geteuid() != 0:
        pytest.skip("starting SLURM daemons needs root")
    if importlib_missing("snakemake_executor_plugin_slurm"):
        pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')")
    env = {**os.environ, "FIX_HOSTS": "1"}
    start = subprocess.run(["bash", str(HERE / "start-slurm.sh"), str(BASE)], capture_output=True, text=True, env=env, timeout=600)
    if start.returncode != 0:
        pytest.skip(f"SLURM daemons did not start: {start.stderr[-800:]}")
    try:
        yield BASE
    finally:
        subprocess.run(["bash", str(HERE / "stop-slurm.sh"), str(BASE), "--purge"], capture_output=True, timeout=120)


def importlib_missing(name):
    import importlib.util

    return importlib.util.find_spec(name) is None


def test_tiny_config_through_slurm(slurm, workdir):
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    cfg["cluster"] = {"min_runtime": 5}
    (workdir / "config" / "slurm-test.yaml").write_text(yaml.safe_dump(cfg))
    comp = slurm / "log" / "jobcomp.txt"
    before = comp.read_text().count("JobId=") if comp.exists() else 0
    cmd = [
        sys.executable, "-m", "snakemake", "results/fig1.png",
        "--profile", "profiles/slurm",
        "--configfile", "config/slurm-test.yaml",
        "--default-resources", "slurm_partition=debug", "runtime=5", "mem_mb=500",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--jobs", "2", "--latency-wait", "5",
        # this cluster has no GPU: a --default-resources on the command line replaces the profile's, gpu: 1 with it
    ]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)  # Snakemake ignores SIGTERM while waiting on SLURM
        out, _ = proc.communicate(timeout=60)
        pytest.fail(f"snakemake on SLURM timed out:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-4000:]
    ds = xr.load_dataset(workdir / "results/data/size.nc")
    assert ds.depth.values.tolist() == TINY["size"]["depths"] and ds.n.values.tolist() == TINY["size"]["sizes"]
    assert (workdir / "results/fig1.png").stat().st_size > 10_000
    # SLURM, not the local executor, ran the training jobs (4: 2 depths x 2 chunks, the sizes packed);
    # merges and figures ran locally
    after = comp.read_text().count("JobId=")
    assert after - before == 4, out[-3000:]
    assert "size_train" in comp.read_text() or "SLURM" in out


def test_gpus_come_from_the_cluster_profile_only(workdir):
    """A local run asks for no GPU; on SLURM every training rule asks one,
    but E6's (its record says no), and only training rules are submitted."""
    from conftest import snakemake, workflow_rules

    if importlib_missing("snakemake_executor_plugin_slurm"):
        pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')")
    local = snakemake(workdir, "-n")
    local = local.stdout + local.stderr
    assert "resources:" in local and "gpu=1" not in local
    cluster = snakemake(workdir, "-n", "--profile", "profiles/slurm")
    cluster = cluster.stdout + cluster.stderr
    jobs = [block for block in re.split(r"\n(?:local)?rule ", cluster)[1:] if "resources:" in block]
    asking = {b.split(":")[0] for b in jobs if "gpu=1" in b}
    trains = {f"{name}_train" for name in registry.EXPERIMENTS}
    gpu = {f"{name}_train" for name, e in registry.EXPERIMENTS.items() if e.gpu}
    assert gpu == trains - {"knots_train"}  # E6's counts: numpy and a few steps of tiny networks
    # every rule a job of this run asks a GPU, but E6's training: default-resources,
    # read by Snakemake for local rules too, which it never submits
    assert asking & trains == gpu
    rules, local_rules = workflow_rules(workdir)
    assert {r.name for r in rules} - local_rules == trains  # submitted: the training rules alone
    # memory for the path each will take: the CPU kernel's here, Keras' on a GPU
    local_mb, cluster_mb = (max(int(m) for m in re.findall(r"size_train:.*?mem_mb=(\d+)", out, re.S)) for out in (local, cluster))
    assert local_mb < resources.PROCESS_MB["keras"] <= cluster_mb
    knots_mb = [max(int(m) for m in re.findall(r"knots_train:.*?mem_mb=(\d+)", out, re.S)) for out in (local, cluster)]
    assert knots_mb[0] == knots_mb[1]  # no GPU asked: the kernel's path either way


# The job's own peak: VmHWM, this process image's high-water mark (Linux).
# Not ru_maxrss, which keeps the forking parent's across exec (pytest's,
# with TensorFlow loaded, 0.74 GB, above a kernel job's whole peak).
PEAK = """
import re, sys
from pathlib import Path
from empirical_size.cli import main
code = main(sys.argv[1:])
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024)
sys.exit(code)
"""


@pytest.mark.parametrize("path", ["kernel", "graph"])
@pytest.mark.parametrize(
    "experiment, spec",
    [
        ("size", {"depth": 2, "width": 64, "inputs": 3, "n": 100, "first_trial": 0, "trials": 8, "epochs": 10, "record_every": 10}),
        ("degenerate", {"depth": 6, "width": 64, "inputs": 3, "n": 1000, "steps": 5, "trials": 10, "fresh_samples": 1_000_000}),
        ("size", {"depth": 4, "width": 64, "inputs": 3, "ns": [1000, 1500, 2000, 2500], "first_trial": 0, "trials": 128, "epochs": 4, "record_every": 2}),
        ("linearity", {"depth": 4, "width": 32, "n": 64, "trials": 100, "knots": 8, "checkpoints": [5, 10], "mse_times": 2, "grid_points": 400}),
    ],
    ids=["small", "E1", "E2", "E5"],
)
def test_memory_requests_are_within_2x_of_the_jobs_measured_peak(experiment, spec, path, tmp_path):
    """A cluster job asks for what its arrays need on the path it takes
    (the CPU kernel's, without TensorFlow; a Keras path): at least its peak
    resident memory, at most twice it (E1 asked for 67 GB on a 24 GB machine)."""
    import json

    command = [sys.executable, "-c", PEAK, "train", "--job", experiment, "--spec", json.dumps(spec), "--out", str(tmp_path / "job.nc")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src"), "EMPIRICAL_SIZE_PATH": path}
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak = float(proc.stdout.split()[-1])
    request = resources.mem_mb(spec, keras=path != "kernel")
    assert peak <= request <= 2 * peak, (request, peak)
    if path == "kernel" and spec["trials"] == 8:
        assert peak <= 300  # a small job without TensorFlow (the graph path's peaked at 820 MB)


def _one_job_config(workdir, name, **cluster):
    """TINY's E2 as one float64 training job (its two sizes packed, one chunk)
    of 2,000 epochs, a checkpoint every 500: caught mid-way on any CPU by
    the stop-after-checkpoint hook."""
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    cfg["dtype"] = "float64"
    cfg["size"].update(depths=[2], trials=2, trials_per_job=2, epochs=2000, record_every=500)
    cfg["cluster"] = {"min_runtime": 5, **cluster}
    (workdir / "config" / name).write_text(yaml.safe_dump(cfg))
    return "config/" + name


def _slurm_run(workdir, config, on_first_checkpoint, timeout=900):
    """Snakemake on the cluster with the job stopping itself at its first
    checkpoint (a resumed job does not stop); ``on_first_checkpoint(job ids)``
    once the checkpoint is on disk. Returns Snakemake's output; fails on a
    non-zero exit."""
    from empirical_size.training.checkpoint import STOP_AFTER_CHECKPOINT

    cmd = [
        sys.executable, "-m", "snakemake", "results/data/size.nc", "--profile", "profiles/slurm", "--configfile", config,
        "--default-resources", "slurm_partition=debug", "mem_mb=500", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2", "--jobs", "1", "--latency-wait", "5", "--retries", "1",
    ]  # fmt: skip
    env = {**os.environ, STOP_AFTER_CHECKPOINT: "1"}
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env)
    checkpoints = workdir / "results/checkpoints/size"
    deadline = time.time() + 300
    while not list(checkpoints.rglob("*.npz")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    try:
        assert list(checkpoints.rglob("*.npz")), "no checkpoint was written"
        on_first_checkpoint(subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True, check=True).stdout.split())
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        os.killpg(proc.pid, signal.SIGINT)  # Snakemake ignores SIGTERM while waiting on SLURM
        out, _ = proc.communicate(timeout=60)
        pytest.fail(f"snakemake on SLURM did not finish:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-4000:]
    return out


def _uninterrupted(workdir, config, tmp_path) -> xr.Dataset:
    """The same config run locally without a stop: the numbers to match."""
    import shutil

    from conftest import snakemake

    clean = tmp_path / "uninterrupted"
    shutil.copytree(workdir, clean, ignore=shutil.ignore_patterns("results", ".snakemake"))
    snakemake(clean, "results/data/size.nc", "--configfile", config)
    return xr.load_dataset(clean / "results/data/size.nc")


def _jobs_since(slurm, before: int) -> list[dict]:
    """SLURM's completion records (JobState, TimeLimit...) of the jobs after the first ``before``."""
    lines = (slurm / "log" / "jobcomp.txt").read_text().splitlines()
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in lines if "JobId=" in line][before:]


def _count(slurm) -> int:
    comp = slurm / "log" / "jobcomp.txt"
    return comp.read_text().count("JobId=") if comp.exists() else 0


def _same_numbers(ours: xr.Dataset, clean: xr.Dataset) -> None:
    from empirical_size.analysis.compare import differences

    assert ours.mse.dtype == "float64"
    assert not [d for d in differences(ours, clean) if "attribute" not in d]


def test_a_job_cancelled_mid_way_is_resubmitted_and_resumes_with_the_same_numbers(slurm, workdir, tmp_path):
    """Preemption: scancel once the job has a checkpoint; Snakemake resubmits
    it (the profile's retries), it resumes from the checkpoint, and the
    merged data set equals an uninterrupted run's, bit for bit."""
    config = _one_job_config(workdir, "cancel.yaml")
    before = _count(slurm)
    _slurm_run(workdir, config, lambda ids: subprocess.run(["scancel", *ids], check=True))
    log = next((workdir / "results/logs/size").rglob("trials*.log")).read_text()
    resumed = re.search(r"resumed from \S+ at epoch (\d+)", log)
    assert resumed and 0 < int(resumed[1]) < 2000, log[-2000:]  # mid-way, from its checkpoint
    states = [j.get("JobState") for j in _jobs_since(slurm, before)]
    assert states == ["CANCELLED", "COMPLETED"], states
    _same_numbers(xr.load_dataset(workdir / "results/data/size.nc"), _uninterrupted(workdir, config, tmp_path))


def test_a_job_at_its_time_limit_comes_back_with_a_longer_one_and_resumes(slurm, workdir, tmp_path):
    """A job whose runtime request is too short (here: it stops itself past
    its first checkpoint) is killed at its limit and resubmitted with
    cluster.runtime_growth times the runtime; it resumes and finishes."""
    config = _one_job_config(workdir, "timeout.yaml", min_runtime=1, gflops=1e9, safety=1, runtime_growth=3)
    before = _count(slurm)
    _slurm_run(workdir, config, lambda ids: None, timeout=600)
    jobs = _jobs_since(slurm, before)
    assert [j.get("JobState") for j in jobs] == ["TIMEOUT", "COMPLETED"], jobs
    limits = [j.get("TimeLimit") for j in jobs]
    assert limits == ["2", "6"], limits  # minutes: the estimate's floor (2), then 3 x 2
    log = next((workdir / "results/logs/size").rglob("trials*.log")).read_text()
    assert re.search(r"resumed from \S+ at epoch \d+", log), log[-2000:]
    _same_numbers(xr.load_dataset(workdir / "results/data/size.nc"), _uninterrupted(workdir, config, tmp_path))


def test_requests_grow_with_the_attempt(workdir):
    """Attempt 1 is what a dry run shows; each resubmission asks for
    cluster.runtime_growth and cluster.memory_growth times more."""
    from conftest import snakemake

    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    config["cluster"].update(runtime_growth=2, memory_growth=1.5)
    wildcards = {"depth": "2", "n": "1-256", "first": "0", "last": "7"}
    first = registry.resources("size", config, wildcards, attempt=1)
    second = registry.resources("size", config, wildcards, attempt=2)
    third = registry.resources("size", config, wildcards, attempt=3)
    assert second["runtime"] == 2 * first["runtime"] and third["runtime"] == 4 * first["runtime"]
    assert second["mem_mb"] == -(-first["mem_mb"] * 3 // 2) and third["mem_mb"] >= 2 * first["mem_mb"]
    config["cluster"]["max_runtime"] = 3 * first["runtime"]  # the partition's MaxTime: a grown request stops there
    assert registry.resources("size", config, wildcards, attempt=3)["runtime"] == 3 * first["runtime"]
    out = snakemake(workdir, "-n", "results/jobs/size/depth2/n1-256/trials0-7.nc").stdout
    assert f"runtime={first['runtime']}," in out and f"mem_mb={first['mem_mb']}," in out


def test_a_failed_run_ends_with_one_line_per_job_naming_its_log(tmp_path):
    """When a job's retries run out, Snakemake's log holds an ``Error in rule``
    block per attempt; the workflow's onerror prints one line per job."""
    from empirical_size.plan import failures

    block = (
        "Error in rule size_train:\n    message: SLURM-job '7' failed, SLURM status is: 'CANCELLED'\n    jobid: 1\n"
        "    output: results/jobs/size/depth2/n1-256/trials0-1.nc\n"
        "    log: results/logs/size/depth2/n1-256/trials0-1.log (check log file(s) for error details)\n    shell:\n        python ...\n\n"
    )
    other = "Error in rule fig1:\n    jobid: 4\n    output: results/fig1.png\n\n"
    recovered = block.replace("jobid: 1", "jobid: 2").replace("trials0-1", "trials2-3")  # failed once, then finished
    log = tmp_path / "run.snakemake.log"
    log.write_text(
        "Select jobs to execute...\n" + block + recovered + "Trying to restart job 1.\nTrying to restart job 2.\n"
        + "Finished jobid: 2 (Rule: size_train)\n" + block + other
    )  # fmt: skip
    assert failures.summary([str(log)]) == [
        "empirical-size: size_train results/jobs/size/depth2/n1-256/trials0-1.nc failed (2 attempts); its log: results/logs/size/depth2/n1-256/trials0-1.log",
        "empirical-size: fig1 results/fig1.png failed (1 attempt)",
    ]
    assert failures.summary(tmp_path / "missing.log") == []
    snakefile = (Path(__file__).parents[1] / "Snakefile").read_text()
    assert "onerror:" in snakefile and "failure_summary(log)" in snakefile
