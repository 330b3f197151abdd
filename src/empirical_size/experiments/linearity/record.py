"""E5's record: its own job (``all``), and one job per frequency of its
sweep (``linearity.frequencies``) (:mod:`empirical_size.plan.record`)."""

from __future__ import annotations

from ...plan.record import (
    ConfigError,
    Experiment,
    Merge,
    Plot,
    common_spec,
    domain_increasing,
    increasing,
    section_spec,
)

JOB = "results/jobs/linearity/{part}.nc"  # part: "all" (E5 itself) or "frequency<k>" (its sweep)
ALL = "all"
FREQUENCY_PART = "frequency{k}"
FREQUENCY_KEYS = ("frequencies", "frequency_epochs", "frequency_record_every")  # E5's frequency sweep


def frequency_part(part: str) -> int | None:
    """The cycles ``k`` of an E5 part ``frequency<k>``; None for ``all``."""
    if part == ALL:
        return None
    k = part.removeprefix("frequency")
    if not k.isdigit() or FREQUENCY_PART.format(k=int(k)) != part:
        raise ConfigError(f"no E5 part {part!r}; parts are 'all' and 'frequency<k>'")
    return int(k)


def jobs(config: dict) -> list[str]:
    """E5's job, then one job per frequency of its sweep (``linearity.frequencies``)."""
    parts = [ALL] + [FREQUENCY_PART.format(k=k) for k in config["linearity"].get("frequencies", [])]
    return [JOB.format(part=p) for p in parts]


def spec(config: dict, part: str = ALL) -> dict:
    """E5's job (``all``: its section, the sweep's keys left out), or one
    frequency of its sweep: E5's network, inputs, trials and seeds (its
    trials' initial weights) on a sine of ``k`` cycles over the domain, and
    only the keys those numbers depend on."""
    k = frequency_part(part)
    if k is None:
        return {**section_spec(config, "linearity", drop=FREQUENCY_KEYS), "namespace": "linearity"}
    s = config["linearity"]
    if k not in s.get("frequencies", []):
        raise ConfigError(f"E5 job {part!r}: {k} is not in linearity.frequencies ({s.get('frequencies', [])})")
    return {
        **common_spec(config),
        "namespace": "linearity",
        **{key: s[key] for key in ("depth", "width", "n", "domain", "sampling", "trials")},
        "first_trial": 0,
        "frequency": k,
        "frequency_epochs": s["frequency_epochs"],
        "frequency_record_every": s["frequency_record_every"],
    }


def check_frequencies(config: dict) -> None:
    """E5's sweep: distinct frequencies, each with more than two inputs per
    cycle, and records that divide its epochs."""
    s = config["linearity"]
    ks = list(s.get("frequencies", []))
    if not ks:
        return
    if len(set(ks)) != len(ks):
        raise ConfigError(f"config key linearity.frequencies must be distinct, got {ks}")
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
        raise ConfigError(f"config key linearity.frequencies must be positive integers (cycles over the domain), got {ks}")
    if 2 * max(ks) >= s["n"] - 1:
        raise ConfigError(
            f"config key linearity.frequencies has {max(ks)} cycles: each must be below (linearity.n - 1) / 2 = {(s['n'] - 1) / 2:g} "
            "(more than two inputs per cycle)"
        )
    epochs, every = s["frequency_epochs"], s["frequency_record_every"]
    if every > epochs or epochs % every:
        raise ConfigError(
            f"config key linearity.frequency_record_every ({every}) must divide linearity.frequency_epochs ({epochs})"
        )


def check(config: dict) -> None:
    domain_increasing(config, "linearity")
    increasing(config, "linearity", "checkpoints")
    check_frequencies(config)


RECORD = Experiment(
    "linearity", "E5", JOB, jobs, spec,
    ("output", "output_data", "mse"),  # of E5's own job (the sweep's: its job module)
    plots=(Plot("fig4", rule="fig4"), Plot("fig5", rule="fig5")), category="Figures 4 and 5: linearity", check=check, wildcards={"part": r"all|frequency\d+"},
    merge=Merge(function=f"{__package__}.merge:merge"),  # E5's job and its frequency sweep's
)  # fmt: skip
