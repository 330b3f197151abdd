"""E4's record: one job per variant of the initial biases, every trial
(:mod:`empirical_size.plan.record`)."""

from __future__ import annotations

from ...plan.record import Experiment, Merge, Plot, domain_increasing, increasing, section_spec

JOB = "results/jobs/minima/{variant}.nc"


def jobs(config: dict) -> list[str]:
    return [JOB.format(variant=v) for v in config["minima"]["variants"]]


def spec(config: dict, variant: str) -> dict:
    drop = ("variants",) if variant == "uniform" else ("variants", "bias_scale")  # zero biases ignore the scale
    return {**section_spec(config, "minima", drop=drop), "variant": variant, "namespace": "minima"}


def check(config: dict) -> None:
    domain_increasing(config, "minima")
    increasing(config, "minima", "checkpoints")


RECORD = Experiment(
    "minima", "E4", JOB, jobs, spec, ("output", "mse", "target"), plots=(Plot("fig3", rule="fig3"),), category="Figure 3: local minima",
    check=check, wildcards={"variant": r"zero|uniform"}, merge=Merge(grid=("variant",)),
)  # fmt: skip
