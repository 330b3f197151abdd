"""E3's record: E2's networks and seeds, one job per variant, depth, size
(or bucket of sizes taking as many steps an epoch) and chunk of trials
(:mod:`empirical_size.plan.record`); E2's own job where E2 trains the point."""

from __future__ import annotations

from ...plan.record import ConfigError, Experiment, Merge, Plot, colour_map, trial_chunks
from ..size import record as size

JOB = "results/jobs/batching/{variant}/depth{depth}/n{n}/trials{first}-{last}.nc"
FULL = "full"  # the "variant" of E3's full-batch points, shared by every variant
ATTRS = ("batch_size", "full_batch_below", "shuffle")  # recorded in its merged data set
SWEEP = "keep_b{batch}"  # the "variant" of the batch-size sweep: the paper's keep, batches of `batch`


def sweep_batch_size(variant: str) -> int | None:
    """The batch size of a sweep variant ``keep_b<batch>``; None for the others."""
    head, _, batch = str(variant).partition("_b")
    if head != "keep" or not batch.isdigit() or SWEEP.format(batch=int(batch)) != variant:
        return None
    return int(batch)


def batch_of(config: dict, variant: str) -> tuple[int, str, list[int]]:
    """A variant's batch size, its mode (how the remainder batch is treated)
    and its sizes: the paper's ``batch_size`` with the variant's own mode on
    ``sizes``; a sweep variant's batch size with the paper's ``keep`` on
    ``sweep_sizes``."""
    b = config["batching"]
    swept = sweep_batch_size(variant)
    if swept is None:
        return b["batch_size"], variant, b["sizes"]
    if swept not in b.get("sweep_batch_sizes", []):
        raise ConfigError(f"E3 job variant {variant!r}: {swept} is not in batching.sweep_batch_sizes ({b.get('sweep_batch_sizes', [])})")
    return swept, "keep", b.get("sweep_sizes", [])


def _shares_size_job(config: dict, depth: int, n: int) -> bool:
    """Whether E2 already trains this full-batch point with the same settings."""
    b, s = config["batching"], config["size"]
    same = (*size.KEYS, "trials", "trials_per_job")
    return depth in s["depths"] and n in s["sizes"] and all(b[k] == s[k] for k in same)


def bucket(n: int, batch_size: int, mode: str) -> tuple[int, int]:
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


def job(config: dict, variant: str, depth: int, n: int, first: int, last: int) -> str:
    """The file of one E3 point. Below ``full_batch_below`` every variant is
    the same full-batch training: one shared job, or E2's own when E2 has it.
    From there on, with ``batching.pack``, the job of its bucket of sizes."""
    b = config["batching"]
    if n >= b["full_batch_below"]:
        if b.get("pack", True):  # the schema default
            batch, mode, _ = batch_of(config, variant)
            n = "{}-{}".format(*bucket(n, batch, mode))
        return JOB.format(variant=variant, depth=depth, n=n, first=first, last=last)
    if _shares_size_job(config, depth, n):
        return size.job(config, depth, n, first, last)
    return JOB.format(variant=FULL, depth=depth, n=n, first=first, last=last)


def jobs(config: dict) -> list[str]:
    s = config["batching"]
    paths = [
        job(config, v, d, n, first, last)
        for v in s["variants"]
        for d in s["depths"]
        for n in s["sizes"]
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]
    paths += [
        job(config, SWEEP.format(batch=batch), d, n, first, last)
        for batch in s.get("sweep_batch_sizes", [])
        for d in s["depths"]
        for n in s.get("sweep_sizes", [])
        for first, last in trial_chunks(s["trials"], s["trials_per_job"])
    ]
    return list(dict.fromkeys(paths))


def spec(config: dict, variant: str, depth: int, n: int | str, first: int, last: int) -> dict:
    """E3: E2's networks and seeds (paired trials), mini-batches from
    ``full_batch_below`` on; ``variant`` is ``full`` below it. ``n`` is one
    size, or a bucket ``"lo-hi"`` (:func:`bucket`): the config's mini-batch
    sizes in it, packed."""
    s = config["batching"]
    if "-" in str(n):
        lo, hi = (int(v) for v in str(n).split("-"))
        batch, mode, sizes = batch_of(config, variant)
        ns = sorted(m for m in sizes if lo <= m <= hi and m >= s["full_batch_below"])
        if variant == FULL or not ns or bucket(ns[0], batch, mode) != (lo, hi):
            raise ConfigError(f"E3 job {variant} n{n} is not a bucket of batching's sizes with batch size {batch}")
        one = spec(config, variant, depth, ns[0], first, last)
        del one["n"]
        return {**one, "ns": ns}
    n = int(n)
    mini = n >= s["full_batch_below"]
    if mini == (variant == FULL):
        raise ConfigError(f"E3 job variant {variant!r} does not fit n={n} (batching.full_batch_below={s['full_batch_below']})")
    one = size.spec_from(config, "batching", depth, n, first, last)
    if mini:
        batch, mode, _ = batch_of(config, variant)
        one.update(variant=variant, batch_size=batch, batch_mode=mode, shuffle=s["shuffle"])
    return one


def check(config: dict) -> None:
    """Records divide the epochs (as E2's); the batch-size sweep trains the
    paper's sizes in mini-batches at other batch sizes (the same trials)."""
    size.check_records(config, "batching")
    s = config["batching"]
    batches, ns = s.get("sweep_batch_sizes", []), s.get("sweep_sizes", [])
    if s["batch_size"] in batches:
        raise ConfigError(f"config key batching.sweep_batch_sizes lists batching.batch_size ({s['batch_size']}): the keep variant trains it")
    if batches and not ns:
        raise ConfigError("config key batching.sweep_sizes is empty: the batch-size sweep needs sizes")
    outside = [n for n in ns if n not in s["sizes"] or n < s["full_batch_below"]]
    if outside:
        raise ConfigError(
            f"config key batching.sweep_sizes has {outside}, not sizes of batching.sizes from batching.full_batch_below = "
            f"{s['full_batch_below']} on (the sweep compares batch sizes on the paper's mini-batch points)"
        )



RECORD = Experiment(
    "batching", "E3", JOB, jobs, spec, size.VARIABLES,
    plots=(
        Plot("fig2", rule="fig2", options=lambda config, w: {**colour_map(config, w), "variant": "keep"}),
        Plot(
            "fig2", rule="fig2_remedy", output="fig2_{variant}.png", caption="fig2_remedy.rst", wildcards={"variant": ("drop", "resample")},
            options=lambda config, w: {**colour_map(config, w), "variant": w["variant"]},
        ),
        Plot("fig2_compare", rule="fig2_compare", options=colour_map),
    ),
    category="Figure 2: batching",
    check=check,
    wildcards={**size.WILDCARDS, "variant": r"keep|drop|resample|full|keep_b\d+"},
    priority=1,  # E3's chain (24 jobs, a merge, four figures) is the longest: after E2's and E7's
    merge=Merge(
        grid=("variant", "depth", "n"),
        broadcast=lambda config: {"variant": list(config["batching"]["variants"])},  # E2's and the shared full-batch files
        attrs=lambda config: {k: config["batching"][k] for k in ATTRS},
        finish=f"{__package__}.merge:split_sweep",  # the sweep's variants into their own variable
    ),
)  # fmt: skip
