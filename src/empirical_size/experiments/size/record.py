"""E2's record: one job per depth, size (or bucket of sizes, packed) and
chunk of trials (:mod:`empirical_size.plan.record`)."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Merge, Plot, colour_map, common_spec, trial_chunks

JOB = "results/jobs/size/depth{depth}/n{n}/trials{first}-{last}.nc"
KEYS = ("width", "inputs", "input_distribution", "epochs", "record_every")  # of an E2 point's section
VARIABLES = ("mse", "size", "sum_y2")


def bucket(n: int, pack_width: int) -> str:
    """The ``n`` part of the E2 job that trains size ``n``: ``n`` itself, or,
    packed, the bucket ``lo-hi`` of width ``pack_width`` holding it. Buckets
    are fixed, so adding or removing a size reruns only its bucket's job."""
    if not pack_width:
        return str(n)
    k = (int(n) - 1) // pack_width
    return f"{k * pack_width + 1}-{(k + 1) * pack_width}"


def buckets(sizes, pack_width: int) -> list[list[int]]:
    """E2's sizes grouped as its jobs train them (:func:`bucket`)."""
    groups: dict[str, list[int]] = {}
    for n in sorted(sizes):
        groups.setdefault(bucket(n, pack_width), []).append(n)
    return list(groups.values())


def job(config: dict, depth: int, n: int, first: int, last: int) -> str:
    """The job file holding E2's point ``(depth, n)`` and trials ``first..last``."""
    return JOB.format(depth=depth, n=bucket(n, config["size"]["pack_width"]), first=first, last=last)


def jobs(config: dict) -> list[str]:
    s = config["size"]
    paths = [
        job(config, d, n, first, last)
        for d in s["depths"]
        for n in s["sizes"]
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]
    return list(dict.fromkeys(paths))


def spec_from(config: dict, section: str, depth, n, first, last) -> dict:
    """E2's job spec from ``section``; E3 and E7 use the same seeds ("size")."""
    s = config[section]
    return {
        **common_spec(config),
        "namespace": "size",
        "depth": int(depth),
        "n": int(n),
        "first_trial": int(first),
        "trials": int(last) - int(first) + 1,
        **{k: s[k] for k in KEYS},
    }


def spec(config: dict, depth: int, n: int | str, first: int, last: int) -> dict:
    """One size ``n``, or a packed bucket ``"lo-hi"``: the config's sizes in it."""
    if "-" not in str(n):
        return spec_from(config, "size", depth, n, first, last)
    lo, hi = (int(v) for v in str(n).split("-"))
    ns = sorted(m for m in config["size"]["sizes"] if lo <= m <= hi)
    if not ns or bucket(lo, config["size"]["pack_width"]) != str(n):
        raise ConfigError(f"E2 job n{n} is not a bucket of size.sizes with size.pack_width = {config['size']['pack_width']}")
    one = spec_from(config, "size", depth, ns[0], first, last)
    del one["n"]
    return {**one, "ns": ns}


def check_records(config: dict, section: str) -> None:
    """``section.record_every`` divides ``section.epochs`` (E2, E3)."""
    s = config[section]
    if s["record_every"] > s["epochs"]:
        raise ConfigError(f"config key {section}.record_every ({s['record_every']}) must not exceed {section}.epochs ({s['epochs']})")
    if s["epochs"] % s["record_every"]:
        raise ConfigError(f"config key {section}.epochs ({s['epochs']}) must be a multiple of {section}.record_every ({s['record_every']})")


WILDCARDS = {"depth": r"\d+", "n": r"\d+(-\d+)?", "first": r"\d+", "last": r"\d+"}
RECORD = Experiment(
    "size", "E2", JOB, jobs, spec, VARIABLES, plots=(Plot("fig1", rule="fig1", options=colour_map),), category="Figure 1: error and size",
    check=lambda config: check_records(config, "size"), wildcards=WILDCARDS,
    priority=2,  # E2's jobs are the longest (up to 20 s on 2 cores): started first, none is left running alone at the end
    merge=Merge(grid=("depth", "n")),
)  # fmt: skip
