"""A training job killed with SIGKILL and rerun resumes from its checkpoint
and writes the same numbers as an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr
from conftest import ROOT

from empirical_size.training.checkpoint import STOP_AFTER_CHECKPOINT

# the killed run stops itself after its first checkpoint (2 records: 400 epochs), so it is caught mid-way on any CPU
SPEC = {"depth": 2, "n": 300, "first_trial": 0, "trials": 4, "epochs": 2000, "record_every": 200, "width": 32}
PACKED = {**{k: v for k, v in SPEC.items() if k != "n"}, "ns": [280, 300]}


def command(out, ckpt, spec, job="size"):
    return [sys.executable, "-m", "empirical_size", "train", "--job", job, "--spec", json.dumps(spec), "--out", str(out), "--checkpoint", str(ckpt)]


MINIMA = {"variant": "uniform", "bias_scale": 0.5, "width": 16, "n": 200, "batch_size": 100, "checkpoints": list(range(100, 601, 100)), "grid_points": 50}


# checkpoints at records only, however slow the machine (the between-records test sets its own)
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "EMPIRICAL_SIZE_CHECKPOINT_EVERY": "2", "EMPIRICAL_SIZE_CHECKPOINT_SECONDS": "1e9"}
STOPS = {**ENV, STOP_AFTER_CHECKPOINT: "1"}  # the run to kill: it waits, stopped, at its first checkpoint


@pytest.mark.parametrize(
    "job, spec, variables",
    [
        ("size", SPEC, ("mse", "size", "sum_y2")),
        # E3's default: sizes of the same steps an epoch (5 of 64) packed in one job
        ("size", {**PACKED, "batch_size": 64, "batch_mode": "keep"}, ("mse", "size", "sum_y2")),
        ("minima", MINIMA, ("mse", "output", "kernel_1")),
    ],
    ids=["full-batch", "packed-mini-batch", "minima"],
)
def test_killed_job_resumes_to_the_same_numbers(tmp_path, job, spec, variables):
    whole = tmp_path / "whole.nc"
    subprocess.run(command(whole, tmp_path / "whole.ckpt.npz", spec, job), check=True, env=ENV, capture_output=True, timeout=600)
    assert not (tmp_path / "whole.ckpt.npz").exists()  # removed once the output is written

    out, ckpt = tmp_path / "killed.nc", tmp_path / "killed.ckpt.npz"
    proc = subprocess.Popen(command(out, ckpt, spec, job), env=STOPS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the job ended before its first checkpoint"
    proc.send_signal(signal.SIGKILL)  # at once: the checkpoint is complete when it appears (written, then renamed)
    proc.wait()
    assert not out.exists() and ckpt.exists()
    done = json.loads(str(np.load(ckpt)["meta"]))["done"]
    first = 2 * spec["record_every"] if "record_every" in spec else spec["checkpoints"][1]  # every 2 records
    assert done == first < spec.get("epochs", max(spec.get("checkpoints", [0])))

    rerun = subprocess.run(command(out, ckpt, spec, job), env=ENV, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "resumed from" in rerun.stderr
    a, b = xr.load_dataset(whole), xr.load_dataset(out)
    for var in variables:
        np.testing.assert_array_equal(a[var].values, b[var].values)


@pytest.mark.parametrize(
    "job, spec, variables",
    [
        ("size", SPEC, ("mse", "size")),
        ("size", {**PACKED, "batch_size": 64, "batch_mode": "keep"}, ("mse", "size")),
        ("size", {**SPEC, "optimizer": {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-8, "reset_at_records": True}}, ("mse", "size")),
        ("minima", MINIMA, ("mse", "output", "kernel_1")),
    ],
    ids=["full-batch", "packed-mini-batch", "optimizer-reset", "minima"],
)
def test_a_job_killed_between_records_resumes_there_to_the_same_numbers(tmp_path, job, spec, variables):
    """Records far apart (E4's) are checkpointed between them once the
    checkpoint's seconds have passed (0 here: after every compiled call;
    records never, their every set beyond the job's): a kill there resumes
    mid-interval, records the next mark, and ends as if never killed."""
    mid = {"EMPIRICAL_SIZE_CHECKPOINT_SECONDS": "0", "EMPIRICAL_SIZE_CHECKPOINT_EVERY": "1000"}
    whole = tmp_path / "whole.nc"
    subprocess.run(command(whole, tmp_path / "whole.ckpt.npz", spec, job), check=True, env=ENV, capture_output=True, timeout=600)
    out, ckpt = tmp_path / "killed.nc", tmp_path / "killed.ckpt.npz"
    proc = subprocess.Popen(command(out, ckpt, spec, job), env={**STOPS, **mid}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the job ended before its first checkpoint"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    meta = json.loads(str(np.load(ckpt)["meta"]))
    marks = spec["checkpoints"] if "checkpoints" in spec else list(range(spec["record_every"], spec["epochs"] + 1, spec["record_every"]))
    assert 0 < meta["done"] < marks[0]  # inside the first interval: no record yet
    rerun = subprocess.run(command(out, ckpt, spec, job), env=ENV, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"at epoch {meta['done']}" in rerun.stderr
    a, b = xr.load_dataset(whole), xr.load_dataset(out)
    for var in variables:
        np.testing.assert_array_equal(a[var].values, b[var].values)


def test_a_checkpoint_of_another_spec_is_ignored(tmp_path):
    from empirical_size.training.checkpoint import Checkpoint

    ckpt = Checkpoint(tmp_path / "c.npz", {"epochs": 10})
    ckpt.save(5, [np.zeros(3)], {"mse": [np.ones(2)]})
    assert Checkpoint(tmp_path / "c.npz", {"epochs": 10}).load()[0] == 5
    assert Checkpoint(tmp_path / "c.npz", {"epochs": 20}).load() is None
    (tmp_path / "c.npz").write_bytes(b"garbage")
    assert Checkpoint(tmp_path / "c.npz", {"epochs": 10}).load() is None


def test_a_checkpoint_of_an_engine_that_trained_differently_is_ignored(tmp_path, monkeypatch):
    from empirical_size.training import checkpoint

    checkpoint.Checkpoint(tmp_path / "c.npz", {"epochs": 10}).save(5, [np.zeros(3)], {"mse": [np.ones(2)]})
    monkeypatch.setattr(checkpoint, "TRAINING_FORMAT", checkpoint.TRAINING_FORMAT + 1)
    assert checkpoint.Checkpoint(tmp_path / "c.npz", {"epochs": 10}).load() is None


def test_every_checkpoint_holds_a_record_for_each_mark_it_passed(tmp_path):
    """Saved between records (seconds 0: after every compiled call short of
    a mark) or after them, a checkpoint's epoch never runs ahead of its
    records: a resume from it skips exactly the marks it holds."""
    from empirical_size.engine.trainer import AdadeltaSettings, make_trainer
    from empirical_size.science.networks import glorot_uniform, stack_trials
    from empirical_size.training.checkpoint import Checkpoint
    from empirical_size.training.loop import train_and_record

    saves = []

    class Watched(Checkpoint):
        def save(self, done, state, records):
            saves.append((done, len(records.get("mse", []))))
            super().save(done, state, records)

    marks = [3, 7, 12]
    sizes = [1, 8, 8, 1]
    trainer = make_trainer(sizes, 2, "float64", AdadeltaSettings(learning_rate=1.0, rho=0.95, epsilon=1e-8))
    rng = np.random.default_rng(0)
    trainer.set_weights(stack_trials([glorot_uniform(rng, sizes) for _ in range(2)]))
    x = rng.uniform(-1, 1, (2, 20, 1))
    train_and_record(trainer, x, np.sin(3 * x), marks=marks, checkpoint=Watched(tmp_path / "c.npz", {"t": 1}, seconds=0))
    assert any(done not in marks for done, _ in saves), saves  # some between records
    for done, held in saves:
        assert held == sum(m <= done for m in marks), saves
