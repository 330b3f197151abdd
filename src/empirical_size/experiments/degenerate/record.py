"""E1's record: one job, every trial (:mod:`empirical_size.plan.record`)."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Plot, section_spec

JOB = "results/jobs/degenerate/all.nc"
PLOT_ONLY = ("report_layers",)  # changing them redraws the figure only


def spec(config: dict) -> dict:
    return {**section_spec(config, "degenerate", drop=PLOT_ONLY), "namespace": "degenerate"}


def check(config: dict) -> None:
    d = config["degenerate"]
    bad = [layer for layer in d["report_layers"] if layer > d["depth"]]
    if bad:
        raise ConfigError(f"config key degenerate.report_layers has layers {bad} beyond degenerate.depth ({d['depth']})")


RECORD = Experiment(
    "degenerate", "E1", JOB, lambda config: [JOB], spec, ("dead",), checkpoints=False,
    plots=(Plot("degenerate", options=lambda config, w: {"marked": config["degenerate"]["report_layers"]}),), tables=("degenerate",),
    category="E1: degenerate neurons", check=check, plot_only=PLOT_ONLY,
)  # fmt: skip
