"""E8's record: one job per network width and amplitude, every trial in each
(the paper's diff averages them) (:mod:`empirical_size.plan.record`)."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Merge, Plot, domain_increasing, increasing, section_spec

JOB = "results/jobs/boosting/width{width}/amplitude{amplitude}.nc"
GRID = ("widths", "amplitudes")  # one job per width and amplitude
VARIABLES = ("train_error", "function_error")


def amplitude_label(a: float) -> str:
    """An amplitude as its job path writes it (``0``, ``0.5``, ``4``)."""
    return f"{float(a):g}"


def jobs(config: dict) -> list[str]:
    s = config["boosting"]
    return [JOB.format(width=w, amplitude=amplitude_label(a)) for w in s["widths"] for a in s["amplitudes"]]


def spec(config: dict, width: int | str, amplitude: float | str) -> dict:
    """E8's job at one width and amplitude: its section, the grid's lists
    left out; every job holds every trial (the paper's diff averages them)."""
    return {**section_spec(config, "boosting", drop=GRID), "namespace": "boosting", "width": int(width), "amplitude": float(amplitude)}


def check(config: dict) -> None:
    s = config["boosting"]
    if 0 not in s["amplitudes"]:
        raise ConfigError(f"config key boosting.amplitudes must include 0 (plain training, the comparison), got {s['amplitudes']}")
    if len({amplitude_label(a) for a in s["amplitudes"]}) != len(s["amplitudes"]):
        raise ConfigError(f"config key boosting.amplitudes must be distinct, got {s['amplitudes']}")
    increasing(config, "boosting", "checkpoints")
    domain_increasing(config, "boosting")


def work(spec: dict) -> tuple[float, float]:
    """Each family, known function and trial is a network; as many again for
    the diff's networks trained on the known functions alone. Its records
    are outputs, not weights."""
    from ...plan.work import job_work

    sets = len(spec["families"]) * len(spec["lows"]) * (2 if spec.get("diff", True) else 1)
    return job_work(spec, networks=spec["trials"] * sets, samples=spec["n"] + spec["grid_points"], weights_recorded=False)


RECORD = Experiment(
    "boosting", "E8", JOB, jobs, spec, VARIABLES, plots=(Plot("boosting", paper=False),), category="E8: artificial boosting",
    tables=("boosting",), check=check, work=work, wildcards={"width": r"\d+", "amplitude": r"\d+(\.\d+)?"},
    merge=Merge(grid=("width", "amplitude")),
)  # fmt: skip
