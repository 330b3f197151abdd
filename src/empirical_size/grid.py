"""From a validated config to the list of training jobs and their specs.

Pure functions of the config, used by the workflow's rules. A job's spec
holds exactly the settings its numbers depend on, so that changing one
setting reruns only the jobs it touches.
"""

from __future__ import annotations

from .networks import layer_sizes, parameter_count


class ConfigError(ValueError):
    """A config value that the schema cannot reject; names the key."""


def check(config: dict) -> None:
    """Checks across keys; each error names the key."""
    for section in ("size", "batching"):
        s = config[section]
        if s["record_every"] > s["epochs"]:
            raise ConfigError(
                f"config key {section}.record_every ({s['record_every']}) must not exceed {section}.epochs ({s['epochs']})"
            )
        if s["epochs"] % s["record_every"]:
            raise ConfigError(
                f"config key {section}.epochs ({s['epochs']}) must be a multiple of {section}.record_every ({s['record_every']})"
            )
    for section in ("minima", "linearity"):
        s = config[section]
        if s["domain"][0] >= s["domain"][1]:
            raise ConfigError(f"config key {section}.domain must be increasing, got {s['domain']}")
        if sorted(set(s["checkpoints"])) != list(s["checkpoints"]):
            raise ConfigError(f"config key {section}.checkpoints must be increasing, got {s['checkpoints']}")
    d = config["degenerate"]
    bad = [layer for layer in d["report_layers"] if layer > d["depth"]]
    if bad:
        raise ConfigError(f"config key degenerate.report_layers has layers {bad} beyond degenerate.depth ({d['depth']})")


def trial_chunks(trials: int, per_job: int) -> list[tuple[int, int]]:
    """Chunks of trial indices as ``(first, last)``, ``last`` included.

    Boundaries are multiples of ``per_job``: adding trials adds chunks and
    changes no existing one except a partial last chunk.
    """
    return [(f, min(f + per_job, trials) - 1) for f in range(0, trials, per_job)]


def checkpoint_path(job_path: str) -> str:
    """Where a training job keeps its checkpoint: beside, never as, its output."""
    return job_path.replace("results/jobs/", "results/checkpoints/", 1).removesuffix(".nc") + ".npz"


def merge_config(config: dict, section: str) -> dict:
    """What a merged data set records of the config it came from (plot-only
    keys left out, so that changing them redraws figures only)."""
    part = {k: v for k, v in config[section].items() if k not in PLOT_ONLY.get(section, ())}
    return {section: part, "backend": config["backend"], **common_spec(config)}


PLOT_ONLY = {"degenerate": ("report_layers",)}


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


def _noise_fit_spec(config: dict, section: str, depth, n, first, last) -> dict:
    """E2's job spec from ``section``; E3 uses the same seeds ("size")."""
    s = config[section]
    return {
        **common_spec(config),
        "namespace": "size",
        "depth": int(depth),
        "n": int(n),
        "first_trial": int(first),
        "trials": int(last) - int(first) + 1,
        **{k: s[k] for k in ("width", "inputs", "epochs", "record_every")},
    }


def size_spec(config: dict, depth: int, n: int, first: int, last: int) -> dict:
    return _noise_fit_spec(config, "size", depth, n, first, last)


BATCHING_JOB = "results/jobs/batching/{variant}/depth{depth}/n{n}/trials{first}-{last}.nc"
FULL = "full"  # the "variant" of E3's full-batch points, shared by every variant


def _shares_size_job(config: dict, depth: int, n: int) -> bool:
    """Whether E2 already trains this full-batch point with the same settings."""
    b, s = config["batching"], config["size"]
    same = ("width", "inputs", "epochs", "record_every", "trials", "trials_per_job")
    return depth in s["depths"] and n in s["sizes"] and all(b[k] == s[k] for k in same)


def batching_job(config: dict, variant: str, depth: int, n: int, first: int, last: int) -> str:
    """The file of one E3 point. Below ``full_batch_below`` every variant is
    the same full-batch training: one shared job, or E2's own when E2 has it."""
    if n >= config["batching"]["full_batch_below"]:
        return BATCHING_JOB.format(variant=variant, depth=depth, n=n, first=first, last=last)
    if _shares_size_job(config, depth, n):
        return SIZE_JOB.format(depth=depth, n=n, first=first, last=last)
    return BATCHING_JOB.format(variant=FULL, depth=depth, n=n, first=first, last=last)


def batching_jobs(config: dict) -> list[str]:
    s = config["batching"]
    paths = [
        batching_job(config, v, d, n, first, last)
        for v in s["variants"]
        for d in s["depths"]
        for n in s["sizes"]
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]
    return list(dict.fromkeys(paths))


def batching_spec(config: dict, variant: str, depth: int, n: int, first: int, last: int) -> dict:
    """E3: E2's networks and seeds (paired trials), mini-batches from
    ``full_batch_below`` on; ``variant`` is ``full`` below it."""
    s = config["batching"]
    n = int(n)
    mini = n >= s["full_batch_below"]
    if mini == (variant == FULL):
        raise ConfigError(f"E3 job variant {variant!r} does not fit n={n} (batching.full_batch_below={s['full_batch_below']})")
    spec = _noise_fit_spec(config, "batching", depth, n, first, last)
    if mini:
        spec.update(variant=variant, batch_size=s["batch_size"], batch_mode=variant, shuffle=s["shuffle"])
    return spec


def _section_spec(config: dict, section: str, drop=()) -> dict:
    s = {k: v for k, v in config[section].items() if k not in drop}
    return {**common_spec(config), **s}


def degenerate_spec(config: dict) -> dict:
    return {**_section_spec(config, "degenerate", drop=("report_layers",)), "namespace": "degenerate"}


MINIMA_JOB = "results/jobs/minima/{bias}.nc"


def minima_jobs(config: dict) -> list[str]:
    return [MINIMA_JOB.format(bias=v) for v in config["minima"]["variants"]]


def minima_spec(config: dict, bias: str) -> dict:
    drop = ("variants",) if bias == "uniform" else ("variants", "bias_scale")  # zero biases ignore the scale
    return {**_section_spec(config, "minima", drop=drop), "variant": bias, "namespace": "minima"}


def linearity_spec(config: dict) -> dict:
    return {**_section_spec(config, "linearity"), "namespace": "linearity"}


# -- cluster resources -------------------------------------------------------
def job_work(spec: dict) -> tuple[float, float]:
    """``(flops, bytes)`` a training job needs, roughly: 6 flops per parameter
    per sample per epoch (forward and backward), and its activations."""
    inputs = spec.get("inputs", 1)
    depth, width, trials = spec["depth"], spec["width"], spec["trials"]
    epochs = spec.get("epochs") or max(spec.get("checkpoints", [1]))
    n = spec["n"] * (3 if "checkpoints" in spec and "knots" in spec else 1)  # E5: three training sets
    if "steps" in spec:  # E1: a few steps, then a large fresh sample
        epochs, n = spec["steps"], spec["n"] + spec["fresh_samples"]
    flops = 6.0 * parameter_count(layer_sizes(inputs, width, depth)) * n * epochs * trials
    memory = 8.0 * trials * n * width * (depth + 2) * 3
    return flops, memory


def runtime_minutes(spec: dict, cluster: dict) -> int:
    """Minutes to request: the job's work at the assumed speed, times a safety factor."""
    flops, _ = job_work(spec)
    minutes = flops / (cluster["gflops"] * 1e9) / 60 * cluster["safety"]
    return int(max(cluster["min_runtime"], round(minutes + 2)))


def mem_mb(spec: dict) -> int:
    _, memory = job_work(spec)
    return int(2000 + 2 * memory / 2**20)


def knots_spec(config: dict) -> dict:
    s = config["knots"]
    return {"seed": config["seed"], "namespace": "knots", "widths": s["widths"], "depths": s["depths"], "trials": s["trials"], "bias_scale": s["bias_scale"]}
