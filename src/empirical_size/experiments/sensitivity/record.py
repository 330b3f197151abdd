"""E7's record: E1's job and E2's points under each setting (the run's own,
the baseline, reuses E1's and E2's jobs), one setting changed at a time
(:mod:`empirical_size.plan.record`). Its merge reads settings and depths: its own
rule (workflow/rules/sensitivity.smk)."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Plot, merge_config
from ..degenerate import record as degenerate
from ..size import record as size

JOB = "results/jobs/sensitivity/{setting}/{part}.nc"
SIZE_PART = "size_depth{depth}"  # E2's part of a setting, one per depth
BASELINE = "baseline"
KNOBS = ("epsilon", "learning_rate", "dtype", "batch_size", "input_distribution", "loss_scale", "optimizer_reset")
OPTIMIZER_KNOBS = {"epsilon": "epsilon", "learning_rate": "learning_rate", "loss_scale": "loss_scale", "optimizer_reset": "reset_at_records"}
E2_ONLY = ("optimizer_reset",)  # knobs E1's 5 steps (no records between them) do not see


def part_of(part: str) -> tuple[str, int | None]:
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
        "loss_scale": 1.0,  # the paper's stated loss: each trial's own MSE
        "optimizer_reset": False,
    }


def _label(knobs: dict) -> str:
    return "_".join(f"{k}_{v:g}" if isinstance(v, float) else f"{k}_{v}" for k, v in knobs.items())


def settings(config: dict) -> dict[str, dict]:
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
    for knob, crossed in (("epsilon", "epsilon_learning_rates"), ("loss_scale", "loss_scale_learning_rates")):
        for rate in s.get(crossed) or []:
            for value in s[knob]:
                knobs = {k: v for k, v in ((knob, value), ("learning_rate", rate)) if v != base[k]}
                out.setdefault(_label(knobs) if knobs else BASELINE, knobs)
    return out, same


def depths(config: dict, setting: str) -> list[int]:
    """The depths of E2 at which a setting runs: ``sensitivity.size.depths``,
    and ``extra.depths`` for the settings ``extra.settings`` names (a listed
    value that is the run's own names the baseline)."""
    p = config["sensitivity"]["size"]
    extra = p.get("extra") or {}
    named = {_settings(config)[1].get(label, label) for label in extra.get("settings", [])}
    more = extra.get("depths", []) if setting in named else []
    return sorted(set(p["depths"]) | set(more))


def check(config: dict) -> None:
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
    """``spec`` with ``knobs`` changed: the optimizer's in its settings
    (:class:`empirical_size.engine.trainer.AdadeltaSettings`), the others as keys."""
    spec = {**spec, "optimizer": dict(spec["optimizer"])}
    for knob, value in knobs.items():
        if knob in OPTIMIZER_KNOBS:
            spec["optimizer"][OPTIMIZER_KNOBS[knob]] = value
        else:
            spec[knob] = value
    return spec


def _e1_knobs(knobs: dict) -> dict:
    """The knobs of a setting that E1's job sees."""
    return {k: v for k, v in knobs.items() if k not in E2_ONLY}


def spec(config: dict, setting: str, part: str) -> dict:
    """E1 at the ``degenerate`` section's settings, or one E2 point (the
    ``size`` section's network and epochs at ``sensitivity.size``'s n and
    the part's depth), with the seeds of those experiments and the
    setting's knobs changed."""
    known = settings(config)
    kind, depth = part_of(part)
    if setting not in known or (depth is not None and depth not in depths(config, setting)):
        run = {label: parts(config, label) for label in known}
        raise ConfigError(f"no E7 job {setting!r}/{part!r}; this run's settings and their parts are {run}")
    if kind == "degenerate":
        return _apply_knobs(degenerate.spec(config), _e1_knobs(known[setting]))
    p = config["sensitivity"]["size"]
    return _apply_knobs(size.spec_from(config, "size", depth, p["n"], 0, p["trials"] - 1), known[setting])


def parts(config: dict, setting: str) -> list[str]:
    return ["degenerate"] + [SIZE_PART.format(depth=d) for d in depths(config, setting)]


def merged_config(config: dict) -> dict:
    """What E7's merged data set records: its section and the keys of E1's
    and E2's sections that its jobs train with (not E2's sizes or trials:
    changing those reruns E2, not E7)."""
    e2 = {k: config["size"][k] for k in size.KEYS}
    e1 = merge_config(config, "degenerate", degenerate.PLOT_ONLY)["degenerate"]
    return {**merge_config(config, "sensitivity"), "degenerate": e1, "size": e2}


def job(config: dict, setting: str, part: str) -> str:
    """The file of one E7 job; the baseline is E1's own job, and E2's when
    E2 trains the same point and trials in one job."""
    kind, depth = part_of(part)
    if kind == "degenerate" and not _e1_knobs(settings(config).get(setting, {})):
        return degenerate.JOB  # E1's own job: the setting changes nothing E1 sees
    if setting == BASELINE:
        p, s = config["sensitivity"]["size"], config["size"]
        path = size.job(config, depth, p["n"], 0, p["trials"] - 1)
        if path in size.jobs(config) and p["n"] in s["sizes"] and depth in s["depths"]:
            return path
    return JOB.format(setting=setting, part=part)


def jobs_of(config: dict, kind: str) -> list[tuple[str, str]]:
    """``(setting label, job file)`` of every E7 job of one kind
    (``degenerate`` or ``size``), settings in the config's order."""
    return [
        (label, job(config, label, part))
        for label in settings(config)
        for part in parts(config, label)
        if part.startswith(kind)
    ]


def own_jobs(config: dict) -> list[str]:
    """The jobs E7 trains itself (not E1's and E2's, which it reuses)."""
    own = JOB.split("{")[0]
    return [path for kind in ("degenerate", "size") for _, path in jobs_of(config, kind) if path.startswith(own)]


RECORD = Experiment(
    "sensitivity", "E7", JOB, own_jobs, spec, ("dead", "size"),
    plots=(Plot("sensitivity"), Plot("sensitivity_lr"), Plot("sensitivity_scale")), category="E7: sensitivity",
    tables=("sensitivity",), trained_by=lambda wildcards: part_of(wildcards["part"])[0], check=check,
    wildcards={"setting": r"[A-Za-z0-9_.+-]+", "part": r"degenerate|size_depth\d+"},
    priority=2,  # E7's jobs are among the longest (see E2's)
    merge=None,
    paper_sections=("degenerate", "size", "sensitivity"),  # its figures draw E1 and E2 points; its knobs are on the axes
)  # fmt: skip
