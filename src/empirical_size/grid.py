"""From a validated config to the list of training jobs and their specs.

Pure functions of the config, used by the workflow's rules. A job's spec
holds exactly the settings its numbers depend on, so that changing one
setting reruns only the jobs it touches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import paths
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
    check_frequencies(config)
    check_sensitivity(config)
    check_boosting(config)
    steps = config["knots"].get("steps", [])
    if sorted(set(steps)) != list(steps):
        raise ConfigError(f"config key knots.steps must be distinct and increasing, got {steps}")
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
    return {
        "seed": config["seed"],
        "dtype": config["dtype"],
        "matmul_precision": config["matmul_precision"],
        "optimizer": dict(config["optimizer"]),
    }


SIZE_JOB = "results/jobs/size/depth{depth}/n{n}/trials{first}-{last}.nc"


def size_bucket(n: int, pack_width: int) -> str:
    """The ``n`` part of the E2 job that trains size ``n``: ``n`` itself, or,
    packed, the bucket ``lo-hi`` of width ``pack_width`` holding it. Buckets
    are fixed, so adding or removing a size reruns only its bucket's job."""
    if not pack_width:
        return str(n)
    k = (int(n) - 1) // pack_width
    return f"{k * pack_width + 1}-{(k + 1) * pack_width}"


def size_job(config: dict, depth: int, n: int, first: int, last: int) -> str:
    """The job file holding E2's point ``(depth, n)`` and trials ``first..last``."""
    return SIZE_JOB.format(depth=depth, n=size_bucket(n, config["size"]["pack_width"]), first=first, last=last)


def size_jobs(config: dict) -> list[str]:
    s = config["size"]
    paths = [
        size_job(config, d, n, first, last)
        for d in s["depths"]
        for n in s["sizes"]
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]
    return list(dict.fromkeys(paths))


SIZE_KEYS = ("width", "inputs", "input_distribution", "epochs", "record_every")  # of an E2 point's section


def _size_spec_from(config: dict, section: str, depth, n, first, last) -> dict:
    """E2's job spec from ``section``; E3 uses the same seeds ("size")."""
    s = config[section]
    return {
        **common_spec(config),
        "namespace": "size",
        "depth": int(depth),
        "n": int(n),
        "first_trial": int(first),
        "trials": int(last) - int(first) + 1,
        **{k: s[k] for k in SIZE_KEYS},
    }


def size_spec(config: dict, depth: int, n: int | str, first: int, last: int) -> dict:
    """One size ``n``, or a packed bucket ``"lo-hi"``: the config's sizes in it."""
    if "-" not in str(n):
        return _size_spec_from(config, "size", depth, n, first, last)
    lo, hi = (int(v) for v in str(n).split("-"))
    ns = sorted(m for m in config["size"]["sizes"] if lo <= m <= hi)
    if not ns or size_bucket(lo, config["size"]["pack_width"]) != str(n):
        raise ConfigError(f"E2 job n{n} is not a bucket of size.sizes with size.pack_width = {config['size']['pack_width']}")
    spec = _size_spec_from(config, "size", depth, ns[0], first, last)
    del spec["n"]
    return {**spec, "ns": ns}


BATCHING_JOB = "results/jobs/batching/{variant}/depth{depth}/n{n}/trials{first}-{last}.nc"
FULL = "full"  # the "variant" of E3's full-batch points, shared by every variant


def _shares_size_job(config: dict, depth: int, n: int) -> bool:
    """Whether E2 already trains this full-batch point with the same settings."""
    b, s = config["batching"], config["size"]
    same = (*SIZE_KEYS, "trials", "trials_per_job")
    return depth in s["depths"] and n in s["sizes"] and all(b[k] == s[k] for k in same)


def batch_bucket(n: int, batch_size: int, mode: str) -> tuple[int, int]:
    """The sizes ``lo..hi`` that take as many steps an epoch as ``n`` in
    batches of ``batch_size`` (``ceil(n / b)``; ``floor(n / b)`` when the
    remainder is dropped): E3 packs them into one job (``batching.pack``).
    Fixed, so adding a size reruns only its bucket's job."""
    b = int(batch_size)
    if mode == "drop":
        k = int(n) // b
        return k * b, (k + 1) * b - 1
    k = -(-int(n) // b)
    return (k - 1) * b + 1, k * b


def batching_job(config: dict, variant: str, depth: int, n: int, first: int, last: int) -> str:
    """The file of one E3 point. Below ``full_batch_below`` every variant is
    the same full-batch training: one shared job, or E2's own when E2 has it.
    From there on, with ``batching.pack``, the job of its bucket of sizes."""
    b = config["batching"]
    if n >= b["full_batch_below"]:
        if b.get("pack", True):  # the schema default
            n = "{}-{}".format(*batch_bucket(n, b["batch_size"], variant))
        return BATCHING_JOB.format(variant=variant, depth=depth, n=n, first=first, last=last)
    if _shares_size_job(config, depth, n):
        return size_job(config, depth, n, first, last)
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


def batching_spec(config: dict, variant: str, depth: int, n: int | str, first: int, last: int) -> dict:
    """E3: E2's networks and seeds (paired trials), mini-batches from
    ``full_batch_below`` on; ``variant`` is ``full`` below it. ``n`` is one
    size, or a bucket ``"lo-hi"`` (:func:`batch_bucket`): the config's
    mini-batch sizes in it, packed."""
    s = config["batching"]
    if "-" in str(n):
        lo, hi = (int(v) for v in str(n).split("-"))
        ns = sorted(m for m in s["sizes"] if lo <= m <= hi and m >= s["full_batch_below"])
        if variant == FULL or not ns or batch_bucket(ns[0], s["batch_size"], variant) != (lo, hi):
            raise ConfigError(
                f"E3 job {variant} n{n} is not a bucket of batching.sizes with batching.batch_size = {s['batch_size']}"
            )
        spec = batching_spec(config, variant, depth, ns[0], first, last)
        del spec["n"]
        return {**spec, "ns": ns}
    n = int(n)
    mini = n >= s["full_batch_below"]
    if mini == (variant == FULL):
        raise ConfigError(f"E3 job variant {variant!r} does not fit n={n} (batching.full_batch_below={s['full_batch_below']})")
    spec = _size_spec_from(config, "batching", depth, n, first, last)
    if mini:
        spec.update(variant=variant, batch_size=s["batch_size"], batch_mode=variant, shuffle=s["shuffle"])
    return spec


def _section_spec(config: dict, section: str, drop=()) -> dict:
    s = {k: v for k, v in config[section].items() if k not in drop}
    return {**common_spec(config), **s}


def degenerate_spec(config: dict) -> dict:
    return {**_section_spec(config, "degenerate", drop=("report_layers",)), "namespace": "degenerate"}


DEGENERATE_JOB = "results/jobs/degenerate/all.nc"
MINIMA_JOB = "results/jobs/minima/{variant}.nc"
LINEARITY_JOB = "results/jobs/linearity/{part}.nc"  # part: "all" (E5 itself) or "frequency<k>" (its sweep)
KNOTS_JOB = "results/jobs/knots/{part}.nc"  # init: counts at initialisation; trained: after knots.steps steps
KNOTS_PARTS = ("init", "trained")


def minima_jobs(config: dict) -> list[str]:
    return [MINIMA_JOB.format(variant=v) for v in config["minima"]["variants"]]


def minima_spec(config: dict, variant: str) -> dict:
    drop = ("variants",) if variant == "uniform" else ("variants", "bias_scale")  # zero biases ignore the scale
    return {**_section_spec(config, "minima", drop=drop), "variant": variant, "namespace": "minima"}


LINEARITY_ALL = "all"
FREQUENCY_PART = "frequency{k}"
FREQUENCY_KEYS = ("frequencies", "frequency_epochs", "frequency_record_every")  # E5's frequency sweep


def frequency_part(part: str) -> int | None:
    """The cycles ``k`` of an E5 part ``frequency<k>``; None for ``all``."""
    if part == LINEARITY_ALL:
        return None
    k = part.removeprefix("frequency")
    if not k.isdigit() or FREQUENCY_PART.format(k=int(k)) != part:
        raise ConfigError(f"no E5 part {part!r}; parts are 'all' and 'frequency<k>'")
    return int(k)


def linearity_jobs(config: dict) -> list[str]:
    """E5's job, then one job per frequency of its sweep (``linearity.frequencies``)."""
    parts = [LINEARITY_ALL] + [FREQUENCY_PART.format(k=k) for k in config["linearity"].get("frequencies", [])]
    return [LINEARITY_JOB.format(part=p) for p in parts]


def linearity_spec(config: dict, part: str = LINEARITY_ALL) -> dict:
    """E5's job (``all``: its section, the sweep's keys left out), or one
    frequency of its sweep: E5's network, inputs, trials and seeds (its
    trials' initial weights) on a sine of ``k`` cycles over the domain, and
    only the keys those numbers depend on."""
    k = frequency_part(part)
    if k is None:
        return {**_section_spec(config, "linearity", drop=FREQUENCY_KEYS), "namespace": "linearity"}
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


BOOSTING_JOB = "results/jobs/boosting/width{width}/amplitude{amplitude}.nc"
BOOSTING_GRID = ("widths", "amplitudes")  # one job per width and amplitude, each with every trial


def amplitude_label(a: float) -> str:
    """An amplitude as its job path writes it (``0``, ``0.5``, ``4``)."""
    return f"{float(a):g}"


def boosting_jobs(config: dict) -> list[str]:
    s = config["boosting"]
    return [BOOSTING_JOB.format(width=w, amplitude=amplitude_label(a)) for w in s["widths"] for a in s["amplitudes"]]


def boosting_spec(config: dict, width: int | str, amplitude: float | str) -> dict:
    """E8's job at one width and amplitude: its section, the grid's lists
    left out; every job holds every trial (the paper's diff averages them)."""
    return {**_section_spec(config, "boosting", drop=BOOSTING_GRID), "namespace": "boosting", "width": int(width), "amplitude": float(amplitude)}


def check_boosting(config: dict) -> None:
    s = config["boosting"]
    if 0 not in s["amplitudes"]:
        raise ConfigError(f"config key boosting.amplitudes must include 0 (plain training, the comparison), got {s['amplitudes']}")
    if len({amplitude_label(a) for a in s["amplitudes"]}) != len(s["amplitudes"]):
        raise ConfigError(f"config key boosting.amplitudes must be distinct, got {s['amplitudes']}")
    if sorted(set(s["checkpoints"])) != list(s["checkpoints"]):
        raise ConfigError(f"config key boosting.checkpoints must be increasing, got {s['checkpoints']}")
    if s["domain"][0] >= s["domain"][1]:
        raise ConfigError(f"config key boosting.domain must be increasing, got {s['domain']}")


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


# -- E7: sensitivity ------------------------------------------------------------
SENSITIVITY_JOB = "results/jobs/sensitivity/{setting}/{part}.nc"
SIZE_PART = "size_depth{depth}"  # E2's part of a setting, one per depth
BASELINE = "baseline"
KNOBS = ("epsilon", "learning_rate", "dtype", "batch_size", "input_distribution")


def sensitivity_part(part: str) -> tuple[str, int | None]:
    """``(job kind, depth)`` of an E7 part: ``degenerate`` (E1) or ``size_depth<d>`` (E2)."""
    if part == "degenerate":
        return "degenerate", None
    head, _, depth = part.partition("_depth")
    if head != "size" or not depth.isdigit():
        raise ConfigError(f"no E7 part {part!r}; parts are 'degenerate' and 'size_depth<d>'")
    return "size", int(depth)


def baseline_knobs(config: dict) -> dict:
    """The run's own value of each E7 knob."""
    o = config["optimizer"]
    return {
        "epsilon": o["epsilon"],
        "learning_rate": o["learning_rate"],
        "dtype": config["dtype"],
        "batch_size": None,
        "input_distribution": config["size"]["input_distribution"],
    }


def _label(knobs: dict) -> str:
    return "_".join(f"{k}_{v:g}" if isinstance(v, float) else f"{k}_{v}" for k, v in knobs.items())


def sensitivity_settings(config: dict) -> dict[str, dict]:
    """E7's settings: the run's own (``baseline``), then each listed value of
    each knob that differs from it, changed alone; and each epsilon at each
    of ``epsilon_learning_rates`` (epsilon and learning rate changed
    together). Label -> ``{knob: value}`` of the knobs changed."""
    return _settings(config)[0]


def _settings(config: dict) -> tuple[dict[str, dict], dict[str, str]]:
    """The settings, and the labels of listed values that are the baseline's
    own (``learning_rate_1`` at learning rate 1) -> ``baseline``."""
    s = config["sensitivity"]
    base = baseline_knobs(config)
    out, same = {BASELINE: {}}, {}
    for knob in KNOBS:
        for value in s[knob]:
            if value == base[knob]:
                same[_label({knob: value})] = BASELINE
            else:
                out[_label({knob: value})] = {knob: value}
    for rate in s.get("epsilon_learning_rates") or []:
        for eps in s["epsilon"]:
            knobs = {k: v for k, v in (("epsilon", eps), ("learning_rate", rate)) if v != base[k]}
            out.setdefault(_label(knobs) if knobs else BASELINE, knobs)
    return out, same


def sensitivity_depths(config: dict, setting: str) -> list[int]:
    """The depths of E2 at which a setting runs: ``sensitivity.size.depths``,
    and ``extra.depths`` for the settings ``extra.settings`` names (a listed
    value that is the run's own names the baseline)."""
    p = config["sensitivity"]["size"]
    extra = p.get("extra") or {}
    named = {_settings(config)[1].get(label, label) for label in extra.get("settings", [])}
    more = extra.get("depths", []) if setting in named else []
    return sorted(set(p["depths"]) | set(more))


def check_sensitivity(config: dict) -> None:
    """Labels are distinct, ``sensitivity.size.extra.settings`` names settings
    of the run, and E1 and E2 share the input distribution E7 varies."""
    import difflib

    s = config["sensitivity"]
    for knob in KNOBS:
        labels = [_label({knob: v}) for v in s[knob]]
        twins = sorted({label for label in labels if labels.count(label) > 1})
        if twins:
            raise ConfigError(f"config key sensitivity.{knob} has values that print alike ({twins}): give distinct values")
    settings, same = _settings(config)
    for label in (s["size"].get("extra") or {}).get("settings", []):
        if label not in settings and label not in same:
            near = difflib.get_close_matches(label, list(settings), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; settings are {list(settings)}"
            raise ConfigError(f"config key sensitivity.size.extra.settings names {label!r}, not a setting of this run{hint}")
    if s["input_distribution"] and config["degenerate"]["input_distribution"] != config["size"]["input_distribution"]:
        raise ConfigError(
            "config keys degenerate.input_distribution and size.input_distribution differ, but sensitivity.input_distribution "
            "varies both from one baseline: make them equal, or set sensitivity.input_distribution to []"
        )


def _apply_knobs(spec: dict, knobs: dict) -> dict:
    spec = {**spec, "optimizer": dict(spec["optimizer"])}
    for knob, value in knobs.items():
        if knob in ("epsilon", "learning_rate"):
            spec["optimizer"][knob] = value
        else:
            spec[knob] = value
    return spec


def sensitivity_spec(config: dict, setting: str, part: str) -> dict:
    """E1 at the ``degenerate`` section's settings, or one E2 point (the
    ``size`` section's network and epochs at ``sensitivity.size``'s n and
    the part's depth), with the seeds of those experiments and the
    setting's knobs changed."""
    settings = sensitivity_settings(config)
    kind, depth = sensitivity_part(part)
    if setting not in settings or (depth is not None and depth not in sensitivity_depths(config, setting)):
        parts = {label: sensitivity_parts(config, label) for label in settings}
        raise ConfigError(f"no E7 job {setting!r}/{part!r}; this run's settings and their parts are {parts}")
    if kind == "degenerate":
        spec = degenerate_spec(config)
    else:
        p = config["sensitivity"]["size"]
        spec = _size_spec_from(config, "size", depth, p["n"], 0, p["trials"] - 1)
    return _apply_knobs(spec, settings[setting])


def sensitivity_parts(config: dict, setting: str) -> list[str]:
    return ["degenerate"] + [SIZE_PART.format(depth=d) for d in sensitivity_depths(config, setting)]


def sensitivity_merge_config(config: dict) -> dict:
    """What E7's merged data set records: its section and the keys of E1's
    and E2's sections that its jobs train with (not E2's sizes or trials:
    changing those reruns E2, not E7)."""
    size = {k: config["size"][k] for k in SIZE_KEYS}
    return {**merge_config(config, "sensitivity"), "degenerate": merge_config(config, "degenerate")["degenerate"], "size": size}


def sensitivity_job(config: dict, setting: str, part: str) -> str:
    """The file of one E7 job; the baseline is E1's own job, and E2's when
    E2 trains the same point and trials in one job."""
    kind, depth = sensitivity_part(part)
    if setting == BASELINE and kind == "degenerate":
        return DEGENERATE_JOB
    if setting == BASELINE:
        p, s = config["sensitivity"]["size"], config["size"]
        path = size_job(config, depth, p["n"], 0, p["trials"] - 1)
        if path in size_jobs(config) and p["n"] in s["sizes"] and depth in s["depths"]:
            return path
    return SENSITIVITY_JOB.format(setting=setting, part=part)


def sensitivity_jobs(config: dict, kind: str) -> list[tuple[str, str]]:
    """``(setting label, job file)`` of every E7 job of one kind
    (``degenerate`` or ``size``), settings in the config's order."""
    return [
        (label, sensitivity_job(config, label, part))
        for label in sensitivity_settings(config)
        for part in sensitivity_parts(config, label)
        if part.startswith(kind)
    ]


# -- cluster resources -------------------------------------------------------
# A training process before its arrays, by the path it trains on, and how
# much its arrays grow in temporaries. The CPU kernel's: Python, numpy,
# xarray, netCDF4 and the kernel (95-100 MB measured on a small E2 job,
# Intel Xeon, AVX-512; E1, E2 and E5's larger jobs peak at 0.75-1.1x their
# arrays' estimate above it). Keras': TensorFlow 2.21 CPU too (760-830 MB
# measured on E1, E2 and E5's default jobs, AMD EPYC and Intel Xeon), with
# room for another machine's libraries and the compiler's temporaries.
# tests/test_cluster.py holds each path's requests within 2x of its peaks.
PROCESS_MB = {"kernel": 150, "keras": 1200}
ARRAY_FACTOR = {"kernel": 1.1, "keras": 1.4}


def _networks(spec: dict) -> tuple[int, int]:
    """``(networks, samples)``: how many networks a job trains at once and the
    samples each is evaluated on (the padded largest ``n`` of packed sizes;
    E4's and E5's training points and output grid; E5's three sets)."""
    trials = spec["trials"]
    if "lows" in spec:  # E8: each family, known function and trial; as many again for the diff
        sets = len(spec["families"]) * len(spec["lows"]) * (2 if spec.get("diff", True) else 1)
        return trials * sets, spec["n"] + spec["grid_points"]
    if "ns" in spec:
        return trials * len(spec["ns"]), max(spec["ns"])
    if "checkpoints" in spec:  # E4, E5: outputs on the grid too
        sets = 3 if "knots" in spec else 1
        return trials * sets, spec["n"] + spec["grid_points"]
    return trials, spec["n"]  # E1, E2, E3; E5's frequency sweep (frequency_epochs epochs, its MSE only)


def job_work(spec: dict) -> tuple[float, float]:
    """``(flops, bytes)`` a training job needs, roughly: 6 flops per parameter
    per sample per epoch (forward and backward); and its largest arrays
    together: one forward pass of every network at once (a measure's layer
    outputs, 3 words per unit), the data (float64 and the device's copy), E1's
    fresh sample (its normal draws, inputs and cast: 16 bytes a value), the
    weights with Adadelta's accumulators and their copies, and the outputs and
    weights E4 and E5 record. Calibrated against jobs' measured peaks
    (tests/test_cluster.py)."""
    if "widths" in spec:  # E6: a grid of networks, one after another
        return _knots_work(spec)
    inputs, depth, width = spec.get("inputs", 1), spec["depth"], spec["width"]
    word = 8 if spec.get("dtype") == "float64" else 4
    networks, samples = _networks(spec)
    params = parameter_count(layer_sizes(inputs, width, depth))
    epochs = spec.get("epochs") or spec.get("frequency_epochs") or max(spec.get("checkpoints", [1]))
    steps_samples = samples
    if "steps" in spec:  # E1: a few steps, then a large fresh sample
        epochs, steps_samples = spec["steps"], spec["n"] + spec["fresh_samples"]
    flops = 6.0 * params * steps_samples * epochs * networks
    records = len(spec.get("checkpoints", ())) + spec.get("mse_times", 0)
    recorded = 0 if "lows" in spec else params  # E8 records outputs, not weights
    memory = (
        networks * samples * width * word * 3
        + networks * samples * (inputs + 1) * 16
        + spec["trials"] * spec.get("fresh_samples", 0) * inputs * 16
        + networks * params * word * 8
        + networks * records * (recorded + samples) * 8
    )
    return flops, float(memory)


def runtime_minutes(spec: dict, cluster: dict) -> int:
    """Minutes to request: the job's work at the assumed speed, times a safety factor."""
    flops, _ = job_work(spec)
    minutes = flops / (cluster["gflops"] * 1e9) / 60 * cluster["safety"]
    return int(max(cluster["min_runtime"], round(minutes + 2)))


def mem_mb(spec: dict, keras: bool = True) -> int:
    """Memory to request (MB) on the CPU kernel's path or, with ``keras``,
    a Keras path: the process, and its arrays with 10% more (numpy's
    temporaries; 40% on Keras' paths, the compiler's too)."""
    _, memory = job_work(spec)
    path = "keras" if keras else "kernel"
    return int(PROCESS_MB[path] + ARRAY_FACTOR[path] * memory / 2**20)


def knots_spec(config: dict, part: str = "init") -> dict:
    """E6's counts at initialisation (``init``: numpy, biases of
    ``bias_scale``), or after ``steps`` training steps from the paper's
    initialisation (``trained``: the engine, the run's dtype and optimizer)."""
    s = config["knots"]
    networks = {"seed": config["seed"], "namespace": "knots", "widths": s["widths"], "depths": s["depths"], "trials": s["trials"]}
    if part == "init":
        return {**networks, "bias_scale": s["bias_scale"]}
    if part != "trained" or not s.get("steps"):
        raise ConfigError(f"no E6 job {part!r}; this run's are {knots_parts(config)} (knots.steps = {s.get('steps')})")
    return {**common_spec(config), **networks, "steps": s["steps"], "train_points": s.get("train_points", 64)}


def knots_parts(config: dict) -> list[str]:
    """E6's jobs: the initialisation counts, and the training when ``knots.steps`` lists steps."""
    return list(KNOTS_PARTS if config["knots"].get("steps") else KNOTS_PARTS[:1])


def knots_jobs(config: dict) -> list[str]:
    return [KNOTS_JOB.format(part=part) for part in knots_parts(config)]


def _knots_work(spec: dict) -> tuple[float, float]:
    """E6's work: each network of the grid trained for its largest step on
    ``train_points`` points (none for the initialisation counts); the memory
    of the largest."""
    flops, memory = 0.0, 0.0
    for width in spec["widths"]:
        for depth in spec["depths"]:
            one = {"depth": depth, "width": width, "trials": spec["trials"], "n": spec.get("train_points", 0), "dtype": spec.get("dtype")}
            f, m = job_work({**one, "epochs": max(spec.get("steps") or [0])})
            flops, memory = flops + f, max(memory, m)
    return flops, memory


def size_buckets(sizes, pack_width: int) -> list[list[int]]:
    """E2's sizes grouped as its jobs train them (:func:`size_bucket`)."""
    groups: dict[str, list[int]] = {}
    for n in sorted(sizes):
        groups.setdefault(size_bucket(n, pack_width), []).append(n)
    return list(groups.values())


# -- the experiments ---------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    """One experiment as the workflow, the CLI, the estimate and the cluster
    requests see it. Its ``name`` is its config section, rules file
    (``workflow/rules/<name>.smk``), module (``empirical_size.experiments.<name>``),
    CLI job kind, merged data set and log and job folders."""

    name: str
    paper: str  # E1 ... E7, and E8 beyond the paper
    job: str  # path pattern of its training jobs
    jobs: Callable[[dict], list[str]]  # the config's job files (E7: those it trains itself)
    spec: Callable[..., dict]  # (config, **wildcards) -> a job's spec
    variables: tuple[str, ...] = ()  # data variables every job file has
    checkpoints: bool = True  # whether its training jobs checkpoint
    products: tuple[str, ...] = ()  # its figures and tables under results/
    trained_by: Callable[[dict], str] | None = None  # wildcards -> the experiment whose module trains a job

    @property
    def module(self) -> str:
        return f"{__package__}.experiments.{self.name}"

    @property
    def data(self) -> str:
        return f"results/data/{self.name}.nc"

    @property
    def train_log(self) -> str:
        return self.job.replace("results/jobs/", "results/logs/", 1).removesuffix(".nc") + ".log"

    def log(self, step: str) -> str:
        return f"results/logs/{self.name}/{step}.log"

    def kind(self, wildcards: dict) -> str:
        """The CLI job kind that trains the job at ``wildcards``."""
        return self.trained_by(wildcards) if self.trained_by else self.name

    def train_code(self, wildcards: dict) -> str:
        """Fingerprint of the code the job at ``wildcards`` runs (:mod:`empirical_size.code`)."""
        from . import code

        return code.fingerprint(f"{__package__}.job", EXPERIMENTS[self.kind(wildcards)].module)


def _one(path: str) -> Callable[[dict], list[str]]:
    return lambda config: [path]


def _sensitivity_own_jobs(config: dict) -> list[str]:
    own = SENSITIVITY_JOB.split("{")[0]
    return [path for kind in ("degenerate", "size") for _, path in sensitivity_jobs(config, kind) if path.startswith(own)]


SIZE_VARIABLES = ("mse", "size", "sum_y2")
EXPERIMENTS = {
    e.name: e
    for e in (
        Experiment(
            "degenerate", "E1", DEGENERATE_JOB, _one(DEGENERATE_JOB), degenerate_spec,
            ("dead",), checkpoints=False, products=("degenerate.csv", "degenerate.png"),
        ),
        Experiment("size", "E2", SIZE_JOB, size_jobs, size_spec, SIZE_VARIABLES, products=("fig1.png",)),
        Experiment(
            "batching", "E3", BATCHING_JOB, batching_jobs, batching_spec, SIZE_VARIABLES,
            products=("fig2.png", "fig2_drop.png", "fig2_resample.png", "fig2_compare.png"),
        ),
        Experiment("minima", "E4", MINIMA_JOB, minima_jobs, minima_spec, ("output", "mse", "target"), products=("fig3.png",)),
        Experiment(
            "linearity", "E5", LINEARITY_JOB, linearity_jobs, linearity_spec,
            ("output", "output_data", "mse"), products=("fig4.png", "fig5.png"),  # variables: of E5's own job (the sweep's: its module)
        ),
        Experiment("knots", "E6", KNOTS_JOB, knots_jobs, knots_spec, checkpoints=False, products=("knots.png",)),
        Experiment(
            "sensitivity", "E7", SENSITIVITY_JOB, _sensitivity_own_jobs, sensitivity_spec,
            products=("sensitivity.csv", "sensitivity.png", "sensitivity_lr.png"),
            trained_by=lambda wildcards: sensitivity_part(wildcards["part"])[0],
        ),
        Experiment(
            "boosting", "E8", BOOSTING_JOB, boosting_jobs, boosting_spec, ("train_error", "function_error"),
            products=("boosting.csv", "boosting.png"),
        ),
    )
}
REPRODUCTION = "results/reproduction.csv"
REPORT_TEXT = "results/report.rst"  # the report's first page (workflow/rules/reproduction.smk)


def targets() -> list[str]:
    """What a default run makes: every experiment's figures, tables and
    merged data set, the reproduction table and the report's first page."""
    out = [f"results/{p}" for e in EXPERIMENTS.values() for p in e.products]
    return out + [REPRODUCTION, REPORT_TEXT] + [e.data for e in EXPERIMENTS.values()]


def checkpoints(experiment: str, wildcards: dict) -> bool:
    """Whether the job at ``wildcards`` keeps a checkpoint (E7: E2's parts only)."""
    e = EXPERIMENTS[experiment]
    return EXPERIMENTS[e.kind(wildcards)].checkpoints if e.trained_by else e.checkpoints


def resources(experiment: str, config: dict, wildcards: dict, gpus: int = 0) -> dict:
    """A training job's cluster requests, from its spec; its memory for the
    path it will take (:func:`empirical_size.paths.likely_keras`: Keras'
    with ``gpus`` asked for or a Keras path set, else the CPU kernel's)."""
    spec = EXPERIMENTS[experiment].spec(config, **wildcards)
    keras = paths.likely_keras(paths.resolve(), gpus)
    return {"runtime": runtime_minutes(spec, config["cluster"]), "mem_mb": mem_mb(spec, keras)}
