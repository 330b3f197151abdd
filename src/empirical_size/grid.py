"""From a validated config to the list of training jobs and their specs.

Pure functions of the config, used by the workflow's rules. A job's spec
holds exactly the settings its numbers depend on, so that changing one
setting reruns only the jobs it touches.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value that the schema cannot reject; names the key."""


def check(config: dict) -> None:
    size = config["size"]
    if size["record_every"] > size["epochs"]:
        raise ConfigError(
            f"config key size.record_every ({size['record_every']}) must not exceed size.epochs ({size['epochs']})"
        )
    if size["epochs"] % size["record_every"]:
        raise ConfigError(
            f"config key size.epochs ({size['epochs']}) must be a multiple of size.record_every ({size['record_every']})"
        )


def trial_chunks(trials: int, per_job: int) -> list[tuple[int, int]]:
    """Chunks of trial indices as ``(first, last)``, ``last`` included.

    Boundaries are multiples of ``per_job``: adding trials adds chunks and
    changes no existing one except a partial last chunk.
    """
    return [(f, min(f + per_job, trials) - 1) for f in range(0, trials, per_job)]


def common_spec(config: dict) -> dict:
    """Settings every training job depends on."""
    return {"seed": config["seed"], "dtype": config["dtype"], "optimizer": dict(config["optimizer"])}


SIZE_JOB = "results/jobs/size/depth{depth}/n{n}/trials{first}-{last}.nc"


def size_jobs(config: dict) -> list[str]:
    s = config["size"]
    return [
        SIZE_JOB.format(depth=d, n=n, first=first, last=last)
        for d in s["depths"]
        for n in s["sizes"]
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]


def size_spec(config: dict, depth: int, n: int, first: int, last: int) -> dict:
    s = config["size"]
    return {
        **common_spec(config),
        "namespace": "size",
        "depth": int(depth),
        "n": int(n),
        "first_trial": int(first),
        "trials": int(last) - int(first) + 1,
        "width": s["width"],
        "inputs": s["inputs"],
        "epochs": s["epochs"],
        "record_every": s["record_every"],
    }
