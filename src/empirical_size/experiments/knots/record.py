"""E6's record: the counts at initialisation (``init``) and, when
``knots.steps`` lists steps, after training (``trained``)
(:mod:`empirical_size.plan.record`). Its merge reads E4's and E5's merged data
sets too: its own rule (workflow/rules/knots.smk)."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Plot, common_spec

JOB = "results/jobs/knots/{part}.nc"  # init: counts at initialisation; trained: after knots.steps steps
PARTS = ("init", "trained")


def spec(config: dict, part: str = "init") -> dict:
    """E6's counts at initialisation (``init``: numpy, biases of
    ``bias_scale``), or after ``steps`` training steps from the paper's
    initialisation (``trained``: the engine, the run's dtype and optimizer)."""
    s = config["knots"]
    networks = {"seed": config["seed"], "namespace": "knots", "widths": s["widths"], "depths": s["depths"], "trials": s["trials"]}
    if part == "init":
        return {**networks, "bias_scale": s["bias_scale"]}
    if part != "trained" or not s.get("steps"):
        raise ConfigError(f"no E6 job {part!r}; this run's are {parts(config)} (knots.steps = {s.get('steps')})")
    return {**common_spec(config), **networks, "steps": s["steps"], "train_points": s["train_points"]}


def parts(config: dict) -> list[str]:
    """E6's jobs: the initialisation counts, and the training when ``knots.steps`` lists steps."""
    return list(PARTS if config["knots"].get("steps") else PARTS[:1])


def jobs(config: dict) -> list[str]:
    return [JOB.format(part=part) for part in parts(config)]


def work(spec: dict) -> tuple[float, float]:
    """E6's work: each network of the grid trained for its largest step on
    ``train_points`` points (none for the initialisation counts); the memory
    of the largest."""
    from ...plan.work import job_work

    flops, memory = 0.0, 0.0
    for width in spec["widths"]:
        for depth in spec["depths"]:
            one = {"depth": depth, "width": width, "trials": spec["trials"], "n": spec.get("train_points", 0), "dtype": spec.get("dtype")}
            f, m = job_work({**one, "epochs": max(spec.get("steps") or [0])})
            flops, memory = flops + f, max(memory, m)
    return flops, memory


def check(config: dict) -> None:
    steps = config["knots"].get("steps", [])
    if sorted(set(steps)) != list(steps):
        raise ConfigError(f"config key knots.steps must be distinct and increasing, got {steps}")


RECORD = Experiment(
    "knots", "E6", JOB, jobs, spec, checkpoints=False, plots=(Plot("knots"),), category="E6: knots", check=check,
    work=work, wildcards={"part": r"init|trained"},
    gpu=False,  # numpy piece counts and a few steps of small networks
    merge=None,
)  # fmt: skip
